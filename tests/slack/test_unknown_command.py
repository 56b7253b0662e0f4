"""On Slack a mention is addressed to the bot: a word that is no command gets the nearest one."""

from __future__ import annotations

from tests.slack.conftest import ALICE, BOB, Channel


async def test_a_mistyped_command_in_a_mention(desk_http: Channel) -> None:
    reply = await desk_http.mention(ALICE, "@kickbot kik @bob")
    assert "/kik is not a command. Did you mean /kick? /help lists the ones you may use." in (
        reply.plain
    )
    assert BOB in desk_http.members
