"""Every Chime event mentions the bot: a word that is no command gets the nearest one and /help."""

from __future__ import annotations

from tests.chime.conftest import ALICE, BOB, Room


async def test_a_typo_gets_the_nearest_command_and_help(desk: Room) -> None:
    reply = await desk.say(ALICE, "/kik @bob")
    assert "/kik is not a command. Did you mean /kick? /help lists the ones you may use." in (
        reply.text
    )
    assert BOB in desk.roles


async def test_no_command_near_gets_help_only(desk: Room) -> None:
    reply = await desk.say(ALICE, "thanks")
    assert "/thanks is not a command. /help lists the ones you may use." in reply.text
