"""/offboard on Slack (mention form: the app registers no /offboard slash command): the channels
the bot is in (``users.conversations``) where the person is a member, then each one's members."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import (
    BOB,
    BOT,
    CAROL,
    DESK,
    FRANK,
    GENERAL,
    POLICY,
    SECRET,
    Bot,
    Channel,
    SettingsMaker,
    kicks,
    running,
)

OLD = "C0OLDDESK1"  # archived
LOUNGE = "C0LOUNGE01"  # Bob is there, the bot is not


@pytest.fixture
async def offboarding(slack: SlackWorkspace, slack_settings: SettingsMaker) -> AsyncIterator[Bot]:
    slack.add_channel(OLD, "old-desk", creator=CAROL, members=[BOB], archived=True)
    slack.add_channel(LOUNGE, "lounge", creator=CAROL, members=[BOB])
    slack.channel(LOUNGE).members.remove(BOT)
    commands = {"kick": {"room_owners": True}, "offboard": {"users": [FRANK]}}
    policy = {**POLICY, "commands": commands}
    async with running(slack, slack_settings("http", policy=policy)) as started:
        yield started


async def test_offboarding_on_slack(slack: SlackWorkspace, offboarding: Bot) -> None:
    text = (
        await Channel(slack, offboarding, DESK).mention(FRANK, "@kickbot offboard @bob moved on")
    ).plain
    assert "offboarding @Bob Member from 4 rooms: 2 done, 1 refused, 1 failed." in text, text
    assert "Removed @Bob Member from “desk” — reason: moved on" in text
    assert "Removed @Bob Member from “secret” — reason: moved on" in text
    assert "Skipped “old-desk”: the room is deactivated, so its membership is locked." in text
    assert "Failed in “general”: could not remove @Bob Member:" in text  # Slack's own rule
    assert "lounge" not in text  # the bot is not there: not a room it can act in
    assert [k["channel"] for k in kicks(slack)] == [DESK, GENERAL, SECRET]
    assert BOB not in slack.members(DESK)
    assert BOB not in slack.members(SECRET)
    assert BOB in slack.members(LOUNGE)
    assert BOB in slack.members(OLD)
