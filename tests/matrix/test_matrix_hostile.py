"""User text in replies (body and HTML) cannot reorder kickbot's line: bidirectional controls
are shown, not obeyed."""

from __future__ import annotations

from bot.app import App
from tests.matrix.conftest import World

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_bidi_controls_in_a_reason_are_shown_not_obeyed(world: World, bot: App) -> None:
    reason = f"spamming \u202eevil\u2069 {BIDI}"
    cmd = await world.say(
        world.alice,
        f"!kick {world.bob.display_name} {reason}",
        html=f"!kick {world.bob.pill} {reason}",
    )
    reply = await world.watcher.reply_to(cmd)
    for sent in (reply.body, reply.html):
        assert not set(sent) & set(BIDI), sent
        assert "reason: spamming ⟨U+202E⟩evil⟨U+2069⟩ ⟨U+202A⟩⟨U+202B⟩" in sent
