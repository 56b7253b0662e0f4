"""User text in Symphony replies (MessageML) cannot reorder kickbot's line: bidirectional
controls are shown, not obeyed."""

from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, Room

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_bidi_controls_in_a_reason_are_shown_not_obeyed(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, f"/kick @bob spamming \u202eevil\u2069 {BIDI}")
    assert not set(reply.messageml) & set(BIDI)
    assert "reason: spamming ⟨U+202E⟩evil⟨U+2069⟩ ⟨U+202A⟩⟨U+202B⟩" in reply.text
    assert "Removed @Bob Member" in reply.text
