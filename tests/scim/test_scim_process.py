"""End to end, real processes: `kickbot run` with SCIM, the Symphony pod and Slack workspace
doubles and a real Synapse. A SCIM ``PATCH active:false`` is one case that removes the person
on all three; a platform down during it is tried again and reported; a SIGKILL mid-job resumes
with every removal made once; ``/undo`` brings everything back; a wrong token changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from tests import conftest as symphony
from tests.everywhere.kit import assert_out_everywhere, process_config, undo_and_assert_back
from tests.matrix.conftest import World
from tests.scim.conftest import OKTA_DEACTIVATE, OKTA_TOKEN, okta_user
from tests.scim.process import Running, kickbot_run, ready
from tests.scim.test_scim_app import DESK_AS_SHOWN
from tests.slack import conftest as slack_kit

WRONG = "w" * 48
REMOVE = r"/pod/v1/room/[^/]+/membership/remove"


def config(pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp: Path) -> dict[str, Any]:
    return {
        **process_config(pod, slack, world, tmp, "socket"),
        "lease_seconds": 5,
        "scim": {"tokens": {"okta": OKTA_TOKEN}, "report_rooms": {"symphony": DESK_AS_SHOWN}},
    }


async def deactivate_bob(kickbot: Running, pod: SymphonyPod) -> None:
    """Once ``kickbot`` is ready (and listening on the pod), Okta creates Bob and deactivates
    him; a PATCH with a wrong token before is refused."""
    await ready(kickbot, OKTA_TOKEN)
    await pod.wait_until_listening(timeout=60)
    async with kickbot.client(OKTA_TOKEN) as okta:
        created = await okta.post("/Users", json=okta_user())
        assert created.status_code == 201, created.text
        uid = created.json()["id"]
        async with kickbot.client(WRONG) as stranger:
            refused = await stranger.patch(f"/Users/{uid}", json=OKTA_DEACTIVATE)
            assert refused.status_code == 401
        off = await okta.patch(f"/Users/{uid}", json=OKTA_DEACTIVATE)
        assert off.status_code == 200, off.text


async def report(pod: SymphonyPod) -> str:
    """The case's report in the desk (after any notice before it)."""
    while True:
        text = (await pod.next_message(symphony.DESK, timeout=90)).text
        if "offboarding bob@example.com on" in text:
            return text


def case_of(text: str) -> int:
    return int(text.split("case ")[1].split(":")[0])


async def test_a_scim_deactivation_is_one_case_on_three_platforms_and_undo_restores_it(
    pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp_path: Path
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)  # Slack forbids it there
    async with kickbot_run(config(pod, slack, world, tmp_path), tmp_path) as kickbot:
        await deactivate_bob(kickbot, pod)
        text = await report(pod)
        assert "scim:okta" in text, text
        assert "on 3 platforms, 6 rooms: 6 done." in text, text
        for line in ("Symphony: 2 rooms, 2 done.", "Slack: 2 rooms, 2 done.", "Matrix: 2 rooms"):
            assert line in text, text
        await assert_out_everywhere(pod, slack, world)
        await undo_and_assert_back(pod, slack, world, case_of(text))
        assert await kickbot.stop() == 0, kickbot.output()


async def test_a_platform_down_during_it_is_tried_again_and_reported(
    pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp_path: Path
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)
    slack.fail_next("users.conversations", "service_unavailable", status=503, times=2)
    async with kickbot_run(config(pod, slack, world, tmp_path), tmp_path) as kickbot:
        await deactivate_bob(kickbot, pod)
        text = await report(pod)
        assert "on 3 platforms, 6 rooms: 6 done." in text, text
        assert "Slack: 2 rooms, 2 done; tried again " in text, text
        assert len(slack.calls("users.conversations")) >= 3
        await assert_out_everywhere(pod, slack, world)
        assert await kickbot.stop() == 0, kickbot.output()


async def test_a_sigkill_mid_job_resumes_with_every_removal_made_once(
    pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp_path: Path
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)
    data = config(pod, slack, world, tmp_path)
    held = slack.hold_next("conversations.kick")
    async with kickbot_run(data, tmp_path) as first:
        await deactivate_bob(first, pod)
        await slack.wait_for_calls("conversations.kick", 1, timeout=60)
        first.kill()  # SIGKILL while Slack's first removal waits for its answer
        await first.proc.wait()
    held.set()  # the double carries the removal out; the answer goes nowhere
    async with kickbot_run(data, tmp_path) as second:
        await ready(second, OKTA_TOKEN)
        text = await report(pod)  # once the dead run's lease (5 s) has lapsed
        assert "on 3 platforms, 6 rooms: 6 done." in text, text
        await assert_out_everywhere(pod, slack, world)
        kicked = [k["channel"] for k in slack_kit.kicks(slack)]
        assert sorted(kicked) == sorted(set(kicked)), kicked  # each channel asked once
        assert len(pod.calls("POST", REMOVE)) == 2
        matrix_kicks = world.kicks()
        assert len(matrix_kicks) == len(set(matrix_kicks)) == 2, matrix_kicks
        await undo_and_assert_back(pod, slack, world, case_of(text))
        assert await second.stop() == 0, second.output()
