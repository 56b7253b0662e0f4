"""On Slack: a mention's ``<@U123|name>`` text never names anyone in records; policy e-mail
entries fail closed without the users:read.email scope; nobody kicks themselves."""

from __future__ import annotations

import json
from pathlib import Path

from bot.settings import parse
from bot.testing.slack.workspace import SlackWorkspace
from handlers import COMMANDS
from tests.slack import conftest as s
from tests.test_audit import audit


async def test_a_forged_mention_name_is_not_recorded(
    slack: SlackWorkspace, desk_http: s.Channel, tmp_path: Path
) -> None:
    fields = slack.slash_command(s.ALICE, s.DESK, "<@U0BOB|Frank Compliance> spamming", raw=True)
    assert (await desk_http.bot.transport.slash(fields)).ok
    reply = await slack.next_message(s.DESK, timeout=20.0)
    assert s.kicks(slack) == [{"channel": s.DESK, "user": s.BOB}]
    assert "Frank" not in reply.text
    assert desk_http.bot.app.dispatcher is not None
    await desk_http.bot.app.dispatcher.drain()  # the case is closed just after the reply
    (row,) = json.loads(audit(tmp_path, "--json"))
    (result,) = row["results"]
    assert (result["target_id"], result["result"]) == (s.BOB, "done")
    assert result["target"] == "bob"  # Bob's display name in the workspace
    assert "Frank" not in result["detail"]


async def test_without_users_read_email_a_denied_caller_is_refused(tmp_path: Path) -> None:
    # The token lacks users:read.email: users.info shows no e-mail, users.lookupByEmail fails.
    async with s.make_workspace(s.manifest_scopes() - {"users:read.email"}) as slack:
        settings = parse(
            {
                "store": f"sqlite:///{tmp_path}/kickbot.db",
                "policy": {"deny": ["alice@example.com"]},
                "slack": s.slack_section(slack, "http"),
            },
            [c.name for c in COMMANDS],
            "test",
        )
        async with s.running(slack, settings) as bot:
            reply = await s.Channel(slack, bot, s.DESK).slash(s.ALICE, "@dave")
        assert (
            "kickbot cannot tell whether you are one of the people named by e-mail in "
            "policy.deny, because Slack does not show the bot your e-mail address" in reply.plain
        )
        assert "users:read.email" in reply.plain
        assert s.kicks(slack) == []
        assert s.DAVE in slack.members(s.DESK)
        slack.assert_no_violations()


async def test_with_the_scope_the_deny_entry_matches(
    slack: SlackWorkspace, slack_settings: s.SettingsMaker
) -> None:
    async with s.running(
        slack, slack_settings("http", policy={"deny": ["alice@example.com"]})
    ) as bot:
        reply = await s.Channel(slack, bot, s.DESK).slash(s.ALICE, "@dave")
    assert "You are on this bot's deny list" in reply.plain
    assert s.kicks(slack) == []
