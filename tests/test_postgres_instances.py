"""Two `kickbot run` processes on one PostgreSQL store and one Symphony pod: a long job is run by
one instance; SIGKILL it mid-job and the other takes the job over when the lease runs out and
finishes it, every target removed exactly once. Runs when KICKBOT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot import audit
from bot.store.database import Database
from bot.testing.symphony import SymphonyPod
from bot.testing.symphony.state import RecordedRequest
from tests.conftest import ALICE
from tests.crowd import JUMBO, add_crowd, mentions
from tests.stores import postgres_base, postgres_schema
from tests.test_run import processes, start

__all__ = ["processes"]  # the fixture, shared with test_run

REMOVE = r"/pod/v1/room/.*/membership/remove"
TARGETS = 20


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with postgres_schema(postgres_base()) as url:
        yield url


@pytest.fixture
def shared_config(pod: SymphonyPod, tmp_path: Path, postgres_url: str) -> Path:
    key = pod.write_private_key(tmp_path / "bot.pem")
    path = tmp_path / "kickbot.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "store": postgres_url,
                "lease_seconds": 5,
                "bulk": {
                    "confirm_above": 100,
                    "jumbo_members": 10,
                    "jumbo_interval_seconds": 0.25,
                },
                "symphony": pod.bdk_config(key),
            }
        )
    )
    return path


def session(request: RecordedRequest) -> str:
    """The BDK session a request came from (each instance has its own)."""
    return next(v for k, v in request.headers.items() if k.lower() == "sessiontoken")


def sessions(pod: SymphonyPod) -> set[str]:
    return {session(r) for r in pod.calls("POST", r"/agent/v5/datafeeds/.*/read")}


async def job_row(url: str, case: int) -> tuple[str, str | None]:
    db = Database.connect(url)
    try:
        row = await db.run(
            lambda conn: conn.row(
                "SELECT state, claimed_by FROM commands WHERE id = :case", {"case": case}
            )
        )
        assert row is not None
        return row["state"], row["claimed_by"]
    finally:
        await db.close()


async def test_the_other_instance_takes_over_a_killed_instances_job(
    pod: SymphonyPod,
    shared_config: Path,
    postgres_url: str,
    processes: list[asyncio.subprocess.Process],
) -> None:
    crowd = add_crowd(pod, JUMBO, 30, name="Jumbo")
    targets = crowd[:TARGETS]
    first = await start(shared_config)
    processes.append(first)
    await pod.wait_until_listening(timeout=60)
    (first_session,) = sessions(pod)
    second = await start(shared_config)
    processes.append(second)
    await pod.wait_until_listening(timeout=60, readers=2)
    (second_session,) = sessions(pod) - {first_session}
    instances = {first_session: first, second_session: second}

    pod.say(ALICE, JUMBO, f"/kick {mentions(targets)} leavers")
    assert "/confirm 1" in (await pod.next_message(JUMBO, timeout=30)).text  # a jumbo room
    pod.say(ALICE, JUMBO, "/confirm 1")
    await pod.wait_for_calls("POST", REMOVE, 4, timeout=30)
    state, holder = await job_row(postgres_url, 1)
    assert state == "running"
    assert holder is not None
    doomed_session = session(pod.calls("POST", REMOVE)[0])
    doomed = instances[doomed_session]
    survivor_session = second_session if doomed is first else first_session
    survivor = instances[survivor_session]
    doomed.kill()  # SIGKILL: no goodbye, the lease simply stops being renewed
    await doomed.wait()
    removed_by_doomed = len(pod.calls("POST", REMOVE))
    assert 4 <= removed_by_doomed < TARGETS

    final = await pod.next_message(JUMBO, timeout=90)  # once the dead lease (5 s) runs out
    while "in progress" in final.text or "Confirmed case 1" in final.text:
        final = await pod.next_message(JUMBO, timeout=90)
    assert final.text.startswith(f"@Alice Owner /kick · case 1: {TARGETS} done")
    calls = pod.calls("POST", REMOVE)
    assert {session(r) for r in calls[removed_by_doomed:]} == {survivor_session}
    counts = Counter(int(r.body["id"]) for r in calls)
    assert set(counts) == set(targets)
    assert set(counts.values()) == {1}  # nobody twice, nobody skipped
    assert not set(targets) & set(pod.room(JUMBO).members)

    # The summary is posted, then the case is closed: wait for the close.
    state, holder_after = await job_row(postgres_url, 1)
    for _ in range(300):
        if state == "done":
            break
        await asyncio.sleep(0.1)
        state, holder_after = await job_row(postgres_url, 1)
    assert state == "done"
    assert holder_after not in (None, holder)  # the survivor closed it
    db = Database.connect(postgres_url)
    try:
        checked, broken = await audit.verify(db, None)
    finally:
        await db.close()
    assert broken is None
    assert checked >= 1 + TARGETS  # the kick's case and its results (and the /confirm's)

    survivor.send_signal(signal.SIGTERM)
    await asyncio.wait_for(survivor.communicate(), 30)
    assert survivor.returncode == 0
