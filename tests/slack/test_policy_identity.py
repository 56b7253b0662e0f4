"""On Slack: a mention's ``<@U123|name>`` text never names anyone in records; policy e-mail
entries fail closed without the users:read.email scope; nobody kicks themselves."""

from __future__ import annotations

import json
from pathlib import Path

from bot.settings import parse
from bot.testing.slack.workspace import SlackWorkspace
from handlers import COMMANDS
from tests.slack.conftest import (
    ALICE,
    BOB,
    DAVE,
    DESK,
    Channel,
    SettingsMaker,
    kicks,
    make_workspace,
    manifest_scopes,
    slack_section,
    start_bot,
    stop_bot,
)
from tests.test_audit import audit


async def test_a_forged_mention_name_is_not_recorded(
    slack: SlackWorkspace, desk_http: Channel, tmp_path: Path
) -> None:
    fields = slack.slash_command(ALICE, DESK, "<@U0BOB|Frank Compliance> spamming", raw=True)
    assert (await desk_http.bot.transport.slash(fields)).ok
    reply = await slack.next_message(DESK, timeout=20.0)
    assert kicks(slack) == [{"channel": DESK, "user": BOB}]
    assert "Frank" not in reply.text
    assert desk_http.bot.app.dispatcher is not None
    await desk_http.bot.app.dispatcher.drain()  # the case is closed just after the reply
    (row,) = json.loads(audit(tmp_path, "--json"))
    (result,) = row["results"]
    assert (result["target_id"], result["result"]) == (BOB, "done")
    assert result["target"] == "bob"  # Bob's display name in the workspace
    assert "Frank" not in result["detail"]


async def test_without_users_read_email_a_denied_caller_is_refused(tmp_path: Path) -> None:
    # The token lacks users:read.email: users.info shows no e-mail, users.lookupByEmail fails.
    async with make_workspace(manifest_scopes() - {"users:read.email"}) as slack:
        settings = parse(
            {
                "store": f"sqlite:///{tmp_path}/kickbot.db",
                "policy": {"deny": ["alice@example.com"]},
                "slack": slack_section(slack, "http"),
            },
            [c.name for c in COMMANDS],
            "test",
        )
        bot = await start_bot(slack, settings, "http")
        try:
            reply = await Channel(slack, bot, DESK).slash(ALICE, "@dave")
        finally:
            await stop_bot(bot)
        assert (
            "kickbot cannot tell whether you are one of the people named by e-mail in "
            "policy.deny, because Slack does not show the bot your e-mail address" in reply.plain
        )
        assert "users:read.email" in reply.plain
        assert kicks(slack) == []
        assert DAVE in slack.members(DESK)
        slack.assert_no_violations()


async def test_with_the_scope_the_deny_entry_matches(
    slack: SlackWorkspace, slack_settings: SettingsMaker
) -> None:
    bot = await start_bot(
        slack, slack_settings("http", policy={"deny": ["alice@example.com"]}), "http"
    )
    try:
        reply = await Channel(slack, bot, DESK).slash(ALICE, "@dave")
    finally:
        await stop_bot(bot)
    assert "You are on this bot's deny list" in reply.plain
    assert kicks(slack) == []
