"""Offboarding on every platform at once, in one process: the Symphony pod and the Slack
workspace doubles behind one bot; one case, per-platform and per-room lines, one /undo."""

from __future__ import annotations

from bot.app import App
from bot.everywhere import Departure, naming, start_departure
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from tests import conftest as symphony
from tests.everywhere.conftest import Maker
from tests.slack import conftest as slack_kit

FRANK = symphony.FRANK


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
    settings = settings_for()
    settings.policy = naming(settings.policy, ["scim:okta"])
    app = App(settings)
    await app.start()
    try:
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
    finally:
        await app.stop()
