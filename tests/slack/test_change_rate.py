"""Slack's Tier 3 limit on conversations.kick: the plan's estimate follows it, and the adapter
paces changes to it (a burst of changes_per_minute, then evenly)."""

from __future__ import annotations

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack import conftest as s


async def test_the_plan_estimates_at_tier_3(
    slack: SlackWorkspace, slack_settings: s.SettingsMaker
) -> None:
    settings = slack_settings("http", bulk={"confirm_above": 1})
    async with s.running(slack, settings) as bot:
        plan = await s.Channel(slack, bot, s.DESK).slash(s.ALICE, "@bob @dave")
    assert "plan: 2 would be done." in plan.plain
    assert "At Slack's published limit (one change every 1.2 s) it will take about 1 s." in (
        plan.plain
    )
    assert s.kicks(slack) == []


async def test_a_lower_configured_rate_is_used_and_a_burst_goes_through(
    slack: SlackWorkspace, slack_settings: s.SettingsMaker
) -> None:
    settings = slack_settings("http")
    assert settings.slack is not None
    settings.slack["changes_per_minute"] = 2
    async with s.running(slack, settings) as bot:
        assert bot.platform.change_interval_seconds == 30
        reply = await s.Channel(slack, bot, s.DESK).slash(s.ALICE, "@bob @dave")
    assert "2 done" in reply.plain
    assert [k["user"] for k in s.kicks(slack)] == [s.BOB, s.DAVE]
