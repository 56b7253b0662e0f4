from __future__ import annotations

import pytest

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, FRANK, Room


@pytest.mark.parametrize(
    ("user", "present", "absent"),
    [
        (FRANK, ["/ib-remove <group-id> @user [@user …]", "/help"], ["/kick", "/demote"]),
    ],
    ids=["named-admin"],
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
    assert "/kik is not a command. Did you mean /kick?" in reply.text


async def test_help_says_in_words_why_each_command_is_yours(desk: Room) -> None:
    text = (await desk.say(ALICE, "/help")).text
    assert "/kick @user [@user …] [reason…]" in text
    assert "remove people from this room (you own this room)" in text
    assert "/cancel <case> — stop a job: yours, or any job in this room if you own it" in text
    assert (
        "/confirm <case> — go ahead with a plan of yours that waits for your confirmation" in text
    )
    assert "/help — list the commands you may use here (open to everyone)" in text
    assert "for your own cases" not in text
    assert "(room owner)" not in text
    assert "if you own it (" not in text  # one reason, said once


async def test_help_for_a_named_user(desk: Room) -> None:
    text = (await desk.say(FRANK, "/help")).text
    assert "remove users from an Information Barrier group (the policy names you)" in text
