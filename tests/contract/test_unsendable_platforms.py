"""Text a request can carry but no reply can (a NUL, a lone surrogate: JSON's ``\\u0000`` and
``\\ud800``) is answered with U+FFFD in its place, the same on every platform whose messages
reach the bot as JSON as the test's double sends them (BiDi controls: ``test_contract.py``; what
Slack's store keeps of such text: ``tests/slack/test_hostile.py``)."""

from __future__ import annotations

import pytest

from tests.contract.worlds import World


@pytest.mark.worlds("chime", "chime_sdk", "rocketchat")
async def test_text_no_reply_can_carry_is_replaced(world: World) -> None:
    reply = await world.say("alice", world.line("kick", "bob", rest="nul\x00 lone\ud800"))
    assert "nul\ufffd lone\ufffd" in reply  # answered: nothing unsendable went out
    assert "bob" not in world.members()
