"""Offboarding on every platform at once, in one process: the Symphony pod and the Slack
workspace doubles behind one bot; one case, per-platform and per-room lines, one /undo."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

import pytest

from bot.app import App
from bot.everywhere import Departure, naming, start_departure
from bot.platform import Platform
from bot.platforms.slack.adapter import SlackPlatform
from bot.platforms.symphony.adapter import SymphonyPlatform
from bot.settings import Settings
from bot.testing.slack.signing import SignedSender
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from tests import conftest as symphony
from tests.everywhere.conftest import POLICY, Maker
from tests.slack import conftest as slack_kit

FRANK = symphony.FRANK


@contextlib.asynccontextmanager
async def started(
    settings: Settings, platforms: Mapping[str, Platform] | None = None
) -> AsyncIterator[App]:
    """The bot on ``settings`` (on every platform they name, or on ``platforms``), started;
    stopped when done."""
    app = App(settings, platforms)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def seam_app(settings_for: Maker) -> contextlib.AbstractAsyncContextManager[App]:
    """The bot on every platform, its policy naming the ``scim:okta`` seam; stopped when done."""
    settings = settings_for()
    settings.policy = naming(settings.policy, ["scim:okta"])
    return started(settings)


async def test_one_case_on_symphony_and_slack(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    desk = symphony.Room(pod, symphony.DESK)
    reply = await desk.say(FRANK, "/offboard bob@example.com --platform all left the firm")
    text = reply.text
    case = int(text.split("case ")[1].split(":")[0])
    assert f"case {case}: offboarding bob@example.com on 2 platforms" in text, text
    assert "Symphony: 2 rooms, 2 done." in text, text
    assert "Slack: 3 rooms, 2 done, 1 failed." in text, text
    assert symphony.BOB not in pod.room(symphony.DESK).members
    assert slack_kit.BOB not in slack.members(slack_kit.DESK)
    assert slack_kit.BOB not in slack.members(slack_kit.SECRET)

    await desk.say(FRANK, f"/undo {case}")
    assert symphony.BOB in pod.room(symphony.DESK).members
    assert slack_kit.BOB in slack.members(slack_kit.DESK)
    assert slack_kit.BOB in slack.members(slack_kit.SECRET)


async def test_the_seam_acts_at_once_and_reports_in_each_room(
    settings_for: Maker, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    async with seam_app(settings_for) as app:
        assert app.dispatcher is not None
        departure = Departure("Bob@Example.com", "left the company", "scim:okta", key="k1")
        case = await start_departure(
            app.dispatcher,
            departure,
            report_to={"slack": slack_kit.DESK, "symphony": symphony.SOLO},
        )
        again = await start_departure(
            app.dispatcher,
            departure,
            report_to={"slack": slack_kit.DESK, "symphony": symphony.SOLO},
        )
        assert again == case
        on_slack = await slack.next_message(slack_kit.DESK, timeout=30)
        on_symphony = await pod.next_message(symphony.SOLO, timeout=30)
        for text in (on_slack.plain, on_symphony.text):
            assert f"case {case}: offboarding bob@example.com on 2 platforms" in text, text
        assert symphony.BOB not in pod.room(symphony.DESK).members
        assert slack_kit.BOB not in slack.members(slack_kit.DESK)


async def test_unknown_on_one_platform_is_reported_and_the_others_go_on(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    # Carol is on both; Dave only on Slack by this address: Symphony knows no such e-mail.
    slack.add_user("U0ZOE", "zoe", "Zoe Slack", email="zoe@example.com")
    slack.channel(slack_kit.DESK).members.append("U0ZOE")
    desk = symphony.Room(pod, symphony.DESK)
    text = (await desk.say(FRANK, "/offboard zoe@example.com --platform all")).text
    assert "offboarding zoe@example.com on 2 platforms, 1 room: 1 done, 1 refused." in text, text
    assert (
        "Symphony: no user has the e-mail address zoe@example.com (nor does the identity map"
        " name one); nothing to do there." in text
    ), text
    assert "Symphony: 0 rooms, 1 refused." in text, text
    assert "Slack: 1 room, 1 done." in text, text
    assert "U0ZOE" not in slack.members(slack_kit.DESK)
    assert symphony.changes(pod) == []


async def test_a_platform_down_is_tried_again_without_holding_the_others(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)
    slack.fail_next("users.conversations", "service_unavailable", status=503, times=2)
    desk = symphony.Room(pod, symphony.DESK)
    text = (await desk.say(FRANK, "/offboard bob@example.com --platform all")).text
    assert "on 2 platforms, 4 rooms: 4 done." in text, text
    # Whether the SDK tried again itself first is its own business: kickbot tried again too.
    assert "Slack: 2 rooms, 2 done; tried again " in text, text
    assert "Symphony: 2 rooms, 2 done." in text, text
    assert len(slack.calls("users.conversations")) >= 3
    assert slack_kit.BOB not in slack.members(slack_kit.DESK)


async def test_a_platform_down_past_the_retries_is_reported_failed(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    slack.fail_next("users.conversations", "service_unavailable", status=503, times=1000)
    desk = symphony.Room(pod, symphony.DESK)
    text = (await desk.say(FRANK, "/offboard bob@example.com --platform all")).text
    assert "on 2 platforms, 2 rooms: 2 done, 1 failed." in text, text
    assert "Slack: could not find bob@example.com or list their rooms (tried" in text, text
    assert symphony.BOB not in pod.room(symphony.DESK).members
    assert slack_kit.BOB in slack.members(slack_kit.DESK)


async def test_an_unauthorized_caller_changes_nothing_anywhere(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    desk = symphony.Room(pod, symphony.DESK)
    before = len(slack.requests)
    text = (await desk.say(symphony.ALICE, "/offboard bob@example.com --platform all")).text
    assert "You may not run /offboard: only users named in policy.commands.offboard.users" in text
    assert symphony.changes(pod) == []
    assert kicks_or_lookups(slack, before) == []


def kicks_or_lookups(slack: SlackWorkspace, before: int) -> list[str]:
    """Every Slack Web API call after ``before`` (an unauthorized caller causes none)."""
    return [r.path for r in slack.requests[before:]]


async def test_the_seam_waits_for_a_named_confirmer(
    settings_for: Maker, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    async with seam_app(settings_for) as app:
        assert app.dispatcher is not None
        case = await start_departure(
            app.dispatcher,
            Departure("bob@example.com", None, "scim:okta"),
            # Symphony's stream id as its client shows it (standard base64): the seam turns it
            # into the URL-safe form its events carry, so /confirm typed there finds the case.
            report_to={"symphony": symphony.DESK, "slack": slack_kit.DESK},
            confirm_by=["frank@example.com"],
        )
        plan = (await pod.next_message(symphony.DESK, timeout=30)).text
        assert plan.startswith(f"scim:okta /offboard · case {case}: plan:"), plan
        assert "waits for a confirmation by one of the people named for it" in plan, plan
        assert symphony.changes(pod) == []
        assert slack.calls("conversations.kick") == []
        desk = symphony.Room(pod, symphony.DESK)
        refused = (await desk.say(symphony.ALICE, f"/confirm {case}")).text
        assert "you are not one of them. Nothing was changed." in refused, refused
        await desk.say(FRANK, f"/confirm {case}")
        final = (await pod.next_message(symphony.DESK, timeout=30)).text
        assert f"case {case}: offboarding bob@example.com on 2 platforms" in final, final
        copy = (await slack.next_message(slack_kit.DESK, timeout=30)).plain
        assert f"case {case}: offboarding bob@example.com on 2 platforms" in copy, copy
        assert slack_kit.BOB not in slack.members(slack_kit.DESK)


async def test_a_job_cut_off_resumes_after_a_restart_each_removal_once(
    settings_for: Maker, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    settings = settings_for()
    app = App(settings)
    await app.start()
    await pod.wait_until_listening()
    # Slack's first removal is held: the bot stops while it waits for its answer.
    held = slack.hold_next("conversations.kick")
    pod.say(FRANK, symphony.DESK, "/offboard bob@example.com --platform all")
    await slack.wait_for_calls("conversations.kick", 1)
    await app.stop(grace_seconds=0.5)
    held.set()
    restarted = App(settings)
    await restarted.start()
    try:
        text = (await pod.next_message(symphony.DESK, timeout=30)).text
        while "offboarding bob@example.com" not in text:  # the pause notice first
            text = (await pod.next_message(symphony.DESK, timeout=30)).text
        assert "on 2 platforms, 5 rooms: 4 done, 1 failed." in text, text
        assert (
            "Removed bob from “Slack desk” (the call was cut off by a restart; the member list"
            " confirms it)." in text
        ), text
        kicked = [k["channel"] for k in slack_kit.kicks(slack)]
        assert sorted(kicked) == sorted(set(kicked)), kicked  # each channel asked once
        removed = [c.body for c in pod.calls("POST", r"/pod/v1/room/[^/]+/membership/remove")]
        assert len(removed) == 2, removed
    finally:
        await restarted.stop()


async def test_asked_on_slack_it_acts_on_symphony_too(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)
    platform = app.platforms["slack"]
    assert isinstance(platform, SlackPlatform)
    bot = slack_kit.Bot(app, platform, slack_kit.HttpTransport(_sender(platform, slack)), "http")
    try:
        desk = slack_kit.Channel(slack, bot, slack_kit.DESK)
        reply = await desk.mention(
            slack_kit.FRANK, "@kickbot offboard bob@example.com --platform all"
        )
        text = reply.plain
        assert "offboarding bob@example.com on 2 platforms, 4 rooms: 4 done." in text, text
        assert "Removed Bob Member from “Symphony Trading Desk”." in text, text
        assert symphony.BOB not in pod.room(symphony.SOLO).members
        assert slack_kit.BOB not in slack.members(slack_kit.SECRET)
    finally:
        await bot.transport.sender.close()  # type: ignore[attr-defined]


def _sender(platform: SlackPlatform, slack: SlackWorkspace) -> SignedSender:
    return SignedSender(platform.listen_url, slack.signing_secret)


def test_a_departure_is_checked_before_anything_is_recorded() -> None:
    for bad in (
        {"email": "not-an-address"},
        {"requested_by": "okta"},  # not <kind>:<name>
        {"requested_by": "U0FRANK"},
        {"reason": "--dry-run please"},
        {"reason": "carol@example.com took over"},
        {"reason": "x" * 501},
        {"key": "two words"},
    ):
        given = {"email": "bob@example.com", "reason": None, "requested_by": "scim:okta", **bad}
        with pytest.raises(ValueError, match=next(iter(bad))):
            Departure(**given)  # type: ignore[arg-type]


async def test_an_undo_where_a_platform_is_not_served_leaves_it_for_a_later_undo(
    settings_for: Maker, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    settings = settings_for()
    desk = symphony.Room(pod, symphony.DESK)
    async with started(settings):
        await pod.wait_until_listening()
        await desk.say(FRANK, "/offboard bob@example.com --platform all")
    assert settings.symphony is not None
    async with started(settings, {"symphony": SymphonyPlatform(settings.symphony)}):
        text = (await desk.say(FRANK, "/undo 1")).text
        assert "Re-added @Bob Member to “Symphony Trading Desk”." in text, text
        assert "Not undone for bob in “Slack desk”: this bot does not serve Slack now." in text, (
            text
        )
        assert symphony.BOB in pod.room(symphony.DESK).members
        assert slack_kit.BOB not in slack.members(slack_kit.DESK)
    async with started(settings):
        text = (await desk.say(FRANK, "/undo 1")).text
        assert slack_kit.BOB in slack.members(slack_kit.DESK), text
        assert slack_kit.BOB in slack.members(slack_kit.SECRET), text
        assert "Re-added bob to “Slack desk”." in text, text
        assert "Already undone for @Bob Member in “Symphony Solo” by case 2" in text, text


async def test_a_dry_run_plans_every_platform_and_changes_nothing(
    app: App, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    desk = symphony.Room(pod, symphony.DESK)
    text = (await desk.say(FRANK, "/offboard bob@example.com --platform all --dry-run")).text
    assert "dry run, nothing was changed" in text, text
    assert "Would remove Bob Member from “Symphony Solo”." in text, text
    assert "Would remove bob from “Slack secret”." in text, text
    assert symphony.changes(pod) == []
    assert slack.calls("conversations.kick") == []


async def test_a_protected_person_is_refused_on_every_platform(
    settings_for: Maker, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    policy = {**POLICY, "protected": ["bob@example.com"]}
    async with started(settings_for(policy=policy)):
        await pod.wait_until_listening()
        desk = symphony.Room(pod, symphony.DESK)
        text = (await desk.say(FRANK, "/offboard bob@example.com --platform all")).text
        assert "on 2 platforms, 0 rooms: 2 refused." in text, text
        assert text.count("is protected") == 2, text
        assert symphony.changes(pod) == []
        assert slack.calls("conversations.kick") == []
