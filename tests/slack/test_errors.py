"""Every Slack error conversations.kick can answer becomes a clear sentence in the reply, and the
member stays (nothing is claimed done that Slack refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import parse
from bot.testing.slack.workspace import SlackWorkspace
from handlers import COMMANDS
from tests.slack.conftest import (
    ALICE,
    BOB,
    DESK,
    GENERAL,
    Bot,
    Channel,
    make_workspace,
    manifest_scopes,
    running,
    slack_section,
)

SENTENCES = {
    "cant_kick_self": "Slack does not let the bot remove itself (Slack: cant_kick_self)",
    "not_in_channel": "they are not in this channel (Slack: not_in_channel)",
    "cant_kick_from_general": "nobody can be removed from the workspace's general channel",
    "restricted_action": "Workspace settings → Permissions → Channel Management",
    "method_not_supported_for_channel_type": "a direct message or group DM has no membership",
    "user_not_found": "Slack knows no such user in this workspace (Slack: user_not_found)",
    "channel_not_found": "if it is private, invite the bot first (Slack: channel_not_found)",
    "not_authed": "Slack received no token from the bot; check slack.bot_token",
    "invalid_auth": "Slack refused the bot's token (wrong, or for another workspace)",
}


@pytest.mark.parametrize("error", sorted(SENTENCES))
async def test_each_kick_error_is_a_clear_sentence(
    slack: SlackWorkspace, desk_http: Channel, error: str
) -> None:
    slack.fail_next("conversations.kick", error)
    reply = await desk_http.slash(ALICE, "@bob")
    assert "1 failed" in reply.plain
    assert "Could not remove @Bob Member" in reply.plain
    assert SENTENCES[error] in reply.plain
    assert BOB in desk_http.members
    assert len(slack.calls("conversations.kick")) == 1


async def test_missing_scope_names_the_scope(slack: SlackWorkspace, desk_http: Channel) -> None:
    slack.fail_next("conversations.kick", "missing_scope", needed="channels:manage")
    reply = await desk_http.slash(ALICE, "@bob")
    assert "the bot's token lacks the OAuth scope channels:manage" in reply.plain
    assert "OAuth & Permissions" in reply.plain


async def test_general_channel_refuses_for_real(slack: SlackWorkspace, http_bot: Bot) -> None:
    general = Channel(slack, http_bot, GENERAL)
    reply = await general.slash(ALICE, "@bob")
    assert SENTENCES["cant_kick_from_general"] in reply.plain
    assert BOB in general.members


async def test_workspace_setting_restricts_kicks(slack: SlackWorkspace, desk_http: Channel) -> None:
    slack.who_can_kick["public"] = "admins"  # Slack's default for public channels
    reply = await desk_http.slash(ALICE, "@bob")
    assert "“People who can remove members from channels” does not allow the bot" in reply.plain
    assert "(Slack: restricted_action)" in reply.plain
    assert BOB in desk_http.members


async def test_a_scope_really_missing_from_the_token(tmp_path: Path) -> None:
    async with make_workspace(manifest_scopes() - {"channels:manage"}) as slack:
        data = {"store": f"sqlite:///{tmp_path}/k.db", "slack": slack_section(slack, "http")}
        async with running(slack, parse(data, [c.name for c in COMMANDS])) as bot:
            reply = await Channel(slack, bot, DESK).slash(ALICE, "@bob")
        assert "lacks the OAuth scope channels:manage,channels:write" in reply.plain
        assert BOB in slack.members(DESK)
        slack.assert_no_violations()


async def test_rate_limited_beyond_the_retries_fails_clearly(
    slack: SlackWorkspace, desk_http: Channel
) -> None:
    slack.rate_limit_next("conversations.kick", retry_after=0, times=4)
    reply = await desk_http.slash(ALICE, "@bob")
    assert "the platform is rate-limiting the bot (429); try again shortly." in reply.plain
    assert BOB in desk_http.members
    assert len(slack.calls("conversations.kick")) == 4  # the first try and 3 retries
