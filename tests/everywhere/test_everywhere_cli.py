"""``kickbot offboard --platform all`` through its function with a recording terminal: a
platform that cannot be signed in to is said and left out, the others are offboarded, the
exit status says something was left undone; the progress bar advances room by room."""

from __future__ import annotations

from bot.cli_offboard import OffboardRequest, offboard
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from tests import conftest as symphony
from tests.everywhere.conftest import Maker
from tests.slack import conftest as slack_kit
from tests.test_offboard_cli import Recorder


async def test_a_platform_that_cannot_be_signed_in_to_is_left_out(
    settings_for: Maker, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    slack.revoke_bot_token()
    terminal = Recorder()
    request = OffboardRequest("bob@example.com", "all", yes=True)
    assert await offboard(settings_for(), request, terminal) == 1
    shown = "\n".join(terminal.shown)
    assert "Slack: could not sign in (" in shown, shown
    assert "it is left out of this run" in shown, shown
    assert "offboarding bob@example.com on 1 platform, 2 rooms: 2 done." in shown, shown
    assert symphony.BOB not in pod.room(symphony.DESK).members
    assert slack_kit.BOB in slack.members(slack_kit.DESK)


async def test_the_progress_bar_advances_room_by_room_on_every_platform(
    settings_for: Maker, pod: SymphonyPod, slack: SlackWorkspace
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)
    terminal = Recorder()
    request = OffboardRequest("bob@example.com", "all", reason="left", yes=True)
    assert await offboard(settings_for(), request, terminal) == 0
    assert terminal.total == 4  # two rooms on each platform
    assert terminal.steps == [1, 1, 1, 1]  # one per room handled
    shown = "\n".join(terminal.shown)
    assert "bob@example.com on Symphony, Slack" in shown, shown
    assert "offboarding bob@example.com on 2 platforms, 4 rooms: 4 done." in shown, shown
    assert slack_kit.BOB not in slack.members(slack_kit.SECRET)
