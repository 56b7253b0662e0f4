"""`kickbot run` as a process on the messaging session: SIGKILLed (no goodbye, read positions
perhaps not saved), a command posted while it is down, a new process on the same store catches
it up and acts on it once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import yaml

from bot.testing.chime_sdk.demo import readable
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.test_session import HELPED, KICKED, desk_of, replies, said
from tests.test_run import processes, start

__all__ = ["processes"]  # the fixture, shared with test_run


async def logged(process: asyncio.subprocess.Process, text: bytes) -> None:
    """Read the process's output until a line holds ``text``."""
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while text not in (line := await process.stdout.readline()):
            assert line, "the process ended"


async def test_a_killed_process_is_caught_up_by_the_next_without_acting_twice(
    sdk: ChimeSdkDouble, tmp_path: Path, processes: list[asyncio.subprocess.Process]
) -> None:
    config = tmp_path / "kickbot.yaml"
    config.write_text(
        yaml.safe_dump({"store": f"sqlite:///{tmp_path}/kickbot.db", "chime_sdk": sdk.config()})
    )
    desk = desk_of(sdk)
    first = await start(config)
    processes.append(first)
    await logged(first, b"chime_sdk caught up")  # its horizon is in the store
    assert HELPED in await said(sdk, "alice", desk, "/help")
    first.kill()
    await first.wait()
    await sdk.sessions.wait_for_no_session()

    sdk.say(sdk.user_arn("alice"), desk, "/kick @bob posted while no bot ran")
    second = await start(config)
    processes.append(second)
    kicked = readable((await sdk.next_message(desk, timeout=60)).content)
    assert KICKED in kicked
    assert "posted while no bot ran" in kicked
    assert HELPED in await said(sdk, "carol", desk, "/help")
    second.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0, output.decode()
    assert b"chime_sdk channel caught up" in output
    assert sum(KICKED in r for r in replies(sdk, desk)) == 1
    assert sdk.user_arn("bob") not in sdk.channel(desk).members
