"""The Symphony double with the real bot connected through the BDK's datafeed v2, for the benches
that need many rooms, jumbo rooms and many commands at once.

:class:`BenchPod` is the emulated pod that also notes when each of the bot's messages arrives
(per room, without scanning the whole message log), so waiting for thousands of replies costs
the bench next to nothing. ``spec_checks=False`` turns the double's OpenAPI checks off (about
two thirds of its time per request) for the throughput figures, where the double should answer as
fast as it can; every other bench keeps them on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot_process import bot_process

from bot.app import App
from bot.platforms.symphony.adapter import SymphonyPlatform
from bot.settings import parse
from bot.testing import spec_check
from bot.testing.symphony import SymphonyPod
from bot.testing.symphony.state import SimMessage
from handlers import COMMANDS

BOT, ALICE = 1000, 1001
FIRST_MEMBER = 100_000
SUMMARY = re.compile(r"case (\d+): (?!in progress)")
CONFIRM = re.compile(r"/confirm (\d+)")


class BenchPod(SymphonyPod):
    """The emulated pod, plus a cheap record of the bot's messages per room."""

    def __init__(self) -> None:
        super().__init__(bot_username="kickbot", bot_user_id=BOT, bot_display_name="kickbot")
        self.replies: dict[str, list[tuple[float, SimMessage]]] = defaultdict(list)
        self._waiters: dict[str, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)

    def record_bot_message(self, message: SimMessage) -> None:
        super().record_bot_message(message)
        got = self.replies[message.stream_id]
        got.append((time.perf_counter(), message))
        waiting = self._waiters.get(message.stream_id)
        if waiting:
            for count, future in list(waiting):
                if len(got) >= count and not future.done():
                    future.set_result(None)
                    waiting.remove((count, future))

    async def reply_number(self, room: str, count: int, timeout: float = 60.0) -> SimMessage:  # noqa: ASYNC109
        """Wait until the bot has posted ``count`` messages in ``room``; return the last one."""
        if len(self.replies[room]) < count:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters[room].append((count, future))
            await asyncio.wait_for(future, timeout)
        return self.replies[room][count - 1][1]


@dataclass
class Command:
    """One command said in a room: when it was said, and the bot's answer when it arrives."""

    room: str
    said_at: float
    reply_index: int


def member_id(n: int) -> int:
    return FIRST_MEMBER + n


def mention(uid: int) -> str:
    return f"@m{uid}"


@contextlib.contextmanager
def spec_checks_off() -> Iterator[None]:
    """The double answers without checking requests and responses against the OpenAPI specs."""
    saved = spec_check.check_request, spec_check.check_response
    spec_check.check_request = lambda *_a, **_k: None
    spec_check.check_response = lambda *_a, **_k: None
    try:
        yield
    finally:
        spec_check.check_request, spec_check.check_response = saved


def checks_after_start(on: bool) -> contextlib.AbstractContextManager[None]:
    """Entered once the pod has started: its start-up self-test needs the real checks."""
    return contextlib.nullcontext() if on else spec_checks_off()


class World:
    """The pod, its users and rooms (the bot connected to it); say things, wait for answers."""

    def __init__(self, pod: BenchPod):
        self.pod = pod
        self._said: dict[str, int] = defaultdict(int)  # replies expected so far, per room

    def add_members(self, count: int, start: int = 0) -> list[int]:
        ids = [member_id(n) for n in range(start, start + count)]
        for uid in ids:
            if uid not in self.pod.users:
                self.pod.add_user(uid, f"Member {uid}", username=f"m{uid}")
        return ids

    def add_room(self, members: list[int], name: str = "Bench") -> str:
        return self.pod.add_room(None, name, owners=[ALICE], members=[BOT, *members]).stream_id

    def say(self, room: str, text: str, user: int = ALICE) -> Command:
        """Say ``text``; the command's answer will be the room's next bot message."""
        self._said[room] += 1
        command = Command(room, time.perf_counter(), self._said[room])
        self.pod.say(user, room, text)
        return command

    async def answer(self, command: Command, timeout: float = 120.0) -> tuple[float, SimMessage]:  # noqa: ASYNC109
        """(seconds from saying to the answer, the answer)."""
        message = await self.pod.reply_number(command.room, command.reply_index, timeout)
        at = self.pod.replies[command.room][command.reply_index - 1][0]
        return at - command.said_at, message

    async def summary(self, room: str, case: int, timeout: float = 600.0) -> SimMessage:  # noqa: ASYNC109
        """Wait for the closing summary of ``case`` (progress lines in between are skipped)."""
        seen = 0
        while True:
            seen += 1
            message = await self.pod.reply_number(room, self._said[room] + seen, timeout)
            found = SUMMARY.search(message.text)
            if found is not None and int(found.group(1)) == case:
                self._said[room] += seen
                return message

    async def confirmed_job(self, room: str, text: str) -> int:
        """Say a command that answers with a plan, confirm it; returns the case number."""
        _, plan = await self.answer(self.say(room, text))
        found = CONFIRM.search(plan.text)
        if found is None:
            raise RuntimeError(f"expected a plan, got: {plan.text}")
        case = int(found.group(1))
        self.pod.say(ALICE, room, f"/confirm {case}")
        return case


@contextlib.asynccontextmanager
async def world(
    *,
    bulk: dict[str, Any] | None = None,
    spec_checks: bool = True,
    own_process: bool = False,
    stop_grace: float = 30.0,
) -> AsyncIterator[World]:
    """A started pod with Alice, and the bot connected to it (SQLite store in a temp dir).
    ``stop_grace``: how long commands still running at the end may take (a bench that leaves a
    long job running sets it low: the job is cancelled, as at a restart).

    With ``own_process`` the bot runs as a host runs it, in a process of its own
    (bench/bot_process.py), so that the double's work is not done on the bot's event loop."""
    with tempfile.TemporaryDirectory() as tmp:
        pod = BenchPod()
        pod.add_user(ALICE, "Alice", email="alice@example.com", username="alice")
        async with pod, contextlib.AsyncExitStack() as stack:
            stack.enter_context(checks_after_start(spec_checks))
            key = pod.write_private_key(Path(tmp) / "bot.pem")
            data = {
                "store": f"sqlite:///{tmp}/bench.db",
                "symphony": pod.bdk_config(key),
                "bulk": {"confirm_above": 1_000_000, **(bulk or {})},
            }
            if own_process:
                w = World(pod)
                config = Path(tmp) / "kickbot.json"
                config.write_text(json.dumps(data))
                async with bot_process(config, grace_seconds=stop_grace):
                    await pod.wait_until_listening(timeout=60)
                    yield w
            else:
                settings = parse(data, [c.name for c in COMMANDS])
                assert settings.symphony is not None
                app = App(settings, {"symphony": SymphonyPlatform(settings.symphony)})
                await app.start()
                w = World(pod)
                try:
                    await pod.wait_until_listening()
                    yield w
                finally:
                    await app.stop(grace_seconds=stop_grace)
            pod.assert_no_violations()
