"""``kickbot_jobs_taken_over_total`` of real ``kickbot run`` processes: one is SIGKILLed while a
removal is in flight, a second on the same store takes the job over once the dead one's lease
lapses, and its ``/metrics`` (read with prometheus-client's parser) counts that takeover once."""

from __future__ import annotations

from pathlib import Path

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DAVE, DESK, changes
from tests.ops.process import kickbot_run
from tests.ops.test_metrics import samples, value
from tests.test_run import REMOVE

TAKEN_OVER = "kickbot_jobs_taken_over_total"


async def test_a_job_taken_over_from_a_killed_instance_is_counted(
    pod: SymphonyPod, tmp_path: Path
) -> None:
    key = pod.write_private_key(tmp_path / "bot.pem")
    config = {
        "store": f"sqlite:///{tmp_path}/kickbot.db",
        "lease_seconds": 5,
        "symphony": pod.bdk_config(key),
    }
    async with kickbot_run(config, tmp_path) as first:
        await first.wait_for("/readyz", 200)
        release = pod.hold_next("POST", REMOVE)
        pod.say(ALICE, DESK, "/kick @bob @dave")
        await pod.wait_for_calls("POST", REMOVE, 1, timeout=30)
        running = samples((await first.get("/metrics")).text)
        assert value(running, "kickbot_jobs_running", platform="symphony") == 1
        assert value(running, TAKEN_OVER, platform="symphony") == 0
        first.kill()  # SIGKILL mid-job: its lease is never renewed nor handed back
        await first.proc.wait()
    pod.room(DESK).drop_member(BOB)  # the pod applied the held removal
    release.set()

    async with kickbot_run(config, tmp_path) as second:
        reply = await pod.next_message(DESK, timeout=60)  # once the dead lease (5 s) lapses
        assert "Removed @Dave External." in reply.text
        assert len(changes(pod)) == 2  # bob once (the lost call), dave once
        found = samples((await second.wait_for("/metrics", 200)).text)
        assert value(found, TAKEN_OVER, platform="symphony") == 1
        assert value(found, "kickbot_jobs_running", platform="symphony") == 0
        assert DAVE not in pod.room(DESK).members
        assert await second.stop() == 0, second.output()
