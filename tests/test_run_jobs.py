"""A long job in `kickbot run` as a real process: SIGKILL mid-job and SIGTERM mid-job. Either way
the job resumes on the next start, and the double's membership log shows every target removed
exactly once."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, config_file_for
from tests.crowd import JUMBO, add_crowd, mentions
from tests.test_run import Launch, launch, processes

__all__ = ["launch", "processes"]  # the fixtures, shared with test_run

REMOVE = r"/pod/v1/room/.*/membership/remove"
TARGETS = 20


@pytest.fixture
def jumbo_config(pod: SymphonyPod, tmp_path: Path) -> Path:
    bulk = {"jumbo_members": 10, "jumbo_interval_seconds": 0.25}
    return config_file_for(pod, tmp_path, lease_seconds=5, bulk=bulk)


def removed_ids(pod: SymphonyPod) -> Counter[int]:
    return Counter(int(r.body["id"]) for r in pod.calls("POST", REMOVE))


async def start_job(
    pod: SymphonyPod, launch: Launch, config: Path
) -> tuple[asyncio.subprocess.Process, list[int]]:
    crowd = add_crowd(pod, JUMBO, 30, name="Jumbo")
    proc = await launch(config)
    await pod.wait_until_listening(timeout=60)
    pod.say(ALICE, JUMBO, f"/kick {mentions(crowd[:TARGETS])} leavers")
    plan = await pod.next_message(JUMBO, timeout=30)
    assert "/confirm 1" in plan.text
    pod.say(ALICE, JUMBO, "/confirm 1")
    await pod.next_message(JUMBO, timeout=30)  # "Confirmed case 1 …"
    return proc, crowd[:TARGETS]


async def test_sigkill_mid_job_then_restart_removes_everyone_exactly_once(
    pod: SymphonyPod, jumbo_config: Path, launch: Launch
) -> None:
    first, targets = await start_job(pod, launch, jumbo_config)
    await pod.wait_for_calls("POST", REMOVE, 6, timeout=30)
    first.kill()
    await first.wait()
    before = sum(removed_ids(pod).values())
    assert 6 <= before < TARGETS

    second = await launch(jumbo_config)
    final = await pod.next_message(JUMBO, timeout=90)  # after the dead run's lease expires
    while "in progress" in final.text:
        final = await pod.next_message(JUMBO, timeout=90)
    assert final.text.startswith(f"@Alice Owner /kick · case 1: {TARGETS} done")
    counts = removed_ids(pod)
    assert set(counts) == set(targets)
    assert set(counts.values()) == {1}  # nobody twice, nobody skipped
    assert not set(targets) & set(pod.room(JUMBO).members)
    second.send_signal(signal.SIGTERM)
    await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0


async def test_sigterm_mid_job_finishes_the_call_in_flight_and_resumes_on_restart(
    pod: SymphonyPod, jumbo_config: Path, launch: Launch
) -> None:
    first, targets = await start_job(pod, launch, jumbo_config)
    await pod.wait_for_calls("POST", REMOVE, 4, timeout=30)
    first.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(first.communicate(), 30)
    assert first.returncode == 0, output.decode()
    paused = await pod.next_message(JUMBO, timeout=10)
    while "in progress" in paused.text:
        paused = await pod.next_message(JUMBO, timeout=10)
    assert "case 1: paused, the bot is restarting. What is done is kept" in paused.text
    stopped_at = removed_ids(pod)
    assert set(stopped_at.values()) == {1}
    assert len(stopped_at) < TARGETS
    # every call the bot began was answered and journalled: nothing is "unknown" after SIGTERM
    assert not set(stopped_at) & set(pod.room(JUMBO).members)

    second = await launch(jumbo_config)
    final = await pod.next_message(JUMBO, timeout=60)  # released, so resumed at once
    while "in progress" in final.text:
        final = await pod.next_message(JUMBO, timeout=60)
    assert final.text.startswith(f"@Alice Owner /kick · case 1: {TARGETS} done")
    assert "before kickbot restarted" not in final.text
    counts = removed_ids(pod)
    assert set(counts) == set(targets)
    assert set(counts.values()) == {1}
    second.send_signal(signal.SIGTERM)
    await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0
