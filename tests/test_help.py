from __future__ import annotations

import pytest

from bot.testing import SymphonyPod
from tests.conftest import ALICE, BOB, FRANK, Room


@pytest.mark.parametrize(
    ("user", "present", "absent"),
    [
        (ALICE, ["/kick @user", "/demote @user", "/help"], ["/ib-remove"]),
        (BOB, ["/help"], ["/kick", "/demote", "/ib-remove"]),
        (FRANK, ["/ib-remove <group-id> @user [@user …]", "/help"], ["/kick", "/demote"]),
    ],
    ids=["owner", "member", "named-admin"],
)
async def test_help_lists_what_the_caller_may_use(
    pod: SymphonyPod, desk: Room, user: int, present: list[str], absent: list[str]
) -> None:
    reply = await desk.say(user, "/help")
    body = reply.text.split("\n", 1)[1]
    for usage in present:
        assert usage in body
    for usage in absent:
        assert usage not in body


async def test_unknown_command_addressed_to_bot(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, "@kickbot /kik @bob")
    assert "I don't know the command /kik." in reply.text
