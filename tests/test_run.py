"""`kickbot run --config FILE` as a real process: the main job, its signals, and a crash."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DAVE, DESK, changes, config_file_for

REMOVE = r"/pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove"


@pytest.fixture
def config_file(pod: SymphonyPod, tmp_path: Path) -> Path:
    return config_file_for(pod, tmp_path, lease_seconds=5)


async def start(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


@pytest.fixture
async def processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    procs: list[asyncio.subprocess.Process] = []
    yield procs
    for p in procs:
        if p.returncode is None:
            p.kill()
            await p.wait()


Launch = Callable[[Path], Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
def launch(processes: list[asyncio.subprocess.Process]) -> Launch:
    """Start ``kickbot run`` on a config file; killed, if still running, when the test ends."""

    async def go(config: Path) -> asyncio.subprocess.Process:
        proc = await start(config)
        processes.append(proc)
        return proc

    return go


async def test_run_serves_commands_and_stops_on_sigterm(
    pod: SymphonyPod, config_file: Path, launch: Launch
) -> None:
    proc = await launch(config_file)
    await pod.wait_until_listening(timeout=60)
    pod.say(ALICE, DESK, "/kick @bob")
    assert "Removed @Bob Member." in (await pod.next_message(DESK, timeout=30)).text
    proc.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, output.decode()
    assert b"command finished" in output


async def test_a_killed_bot_finishes_the_command_after_restart_without_acting_twice(
    pod: SymphonyPod, config_file: Path, launch: Launch
) -> None:
    first = await launch(config_file)
    await pod.wait_until_listening(timeout=60)
    release = pod.hold_next("POST", REMOVE)
    pod.say(ALICE, DESK, "/kick @bob @dave")
    await pod.wait_for_calls("POST", REMOVE, 1, timeout=30)
    first.kill()  # SIGKILL while the removal of bob is in flight
    await first.wait()
    # The pod had applied that removal; the bot died before hearing the answer.
    pod.room(DESK).drop_member(BOB)
    release.set()

    second = await launch(config_file)
    reply = await pod.next_message(DESK, timeout=60)  # after the dead run's lease (5 s) expires
    assert "Removed @Bob Member (the call was made before kickbot restarted" in reply.text
    assert "Removed @Dave External." in reply.text
    assert DAVE not in pod.room(DESK).members
    assert len(changes(pod)) == 2  # bob once (the lost call), dave once: nothing twice
    second.send_signal(signal.SIGTERM)
    await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0
