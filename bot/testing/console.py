"""The read-and-answer loop every ``kickbot demo`` shares, whatever the platform."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import os
import signal
import stat
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, TextIO, TypeVar

if TYPE_CHECKING:
    from bot.app import App

T = TypeVar("T")


class Speaker(Protocol):
    @property
    def user(self) -> str: ...


class LineReader:
    """Lines from ``source`` without a thread: a terminal or a pipe is read when the event loop
    says it is readable, so nothing is left blocked in ``readline`` when the demo ends (Ctrl-C
    leaves at once). A file or an in-memory text is read directly (it never blocks)."""

    def __init__(self, source: TextIO):
        self._source = source
        self._fd: int | None = None
        try:
            fd = source.fileno()
        except (io.UnsupportedOperation, AttributeError, ValueError):
            fd = None
        if fd is not None and not stat.S_ISREG(os.fstat(fd).st_mode):
            self._fd = fd
        encoding = getattr(source, "encoding", None) or "utf-8"
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._buffer = ""
        self._eof = False

    async def readline(self) -> str:
        """The next line with its newline ("" at the end of the input)."""
        if self._fd is None:
            return self._source.readline()
        while "\n" not in self._buffer and not self._eof:
            chunk = await self._read(self._fd)
            if not chunk:
                self._eof = True
                self._buffer += self._decoder.decode(b"", final=True)
            else:
                self._buffer += self._decoder.decode(chunk)
        line, newline, self._buffer = self._buffer.partition("\n")
        return line + newline

    @staticmethod
    async def _read(fd: int) -> bytes:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
        try:
            return os.read(fd, 65536)
        except OSError:  # the terminal went away: the input has ended
            return b""


@contextlib.contextmanager
def _interrupt_sets(stop: asyncio.Event) -> Iterator[None]:
    """While the prompt runs, SIGINT (Ctrl-C) sets ``stop`` instead of raising somewhere in the
    middle of the bot; where signals cannot be handled (not the main thread), nothing changes."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, stop.set)
    except (ValueError, RuntimeError, NotImplementedError):
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> tuple[bool, T | None]:
    """Run ``work`` until it ends or ``stop`` is set (then it is cancelled): (stopped, result)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((task, stopped), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if stop.is_set() and (task.cancelled() or not task.done()):
        return True, None
    return False, task.result()


async def repl(
    source: TextIO, out: TextIO, who: Speaker, handle: Callable[[str], Awaitable[bool]]
) -> None:
    """Read lines (typed at a prompt, or piped and echoed) and hand each to ``handle`` until it
    returns False or the input ends. Ctrl-C leaves at once, whether at the prompt or while a
    line is being answered; the demo then closes as after ``:quit``."""
    interactive = source.isatty()
    reader = LineReader(source)
    stop = asyncio.Event()
    with _interrupt_sets(stop):
        while True:
            if interactive:
                print(f"{who.user}> ", end="", file=out, flush=True)
            stopped, line = await _unless_stopped(reader.readline(), stop)
            if stopped:
                break
            if not line:
                return
            if not interactive:
                print(f"{who.user}> {line.rstrip()}", file=out, flush=True)
            stopped, go_on = await _unless_stopped(handle(line), stop)
            if stopped:
                break
            if not go_on:
                return
    print("\n  (Ctrl-C: leaving the demo)", file=out, flush=True)


def fail_on_violations(violations: Sequence[str], what: str, out: TextIO) -> None:
    """End the demo with exit status 1 if the emulated server saw traffic breaking its spec."""
    if violations:
        print(f"The emulated server saw requests that break {what}:", file=out)
        for v in violations:
            print("  " + v, file=out)
        raise SystemExit(1)


class ConsoleBase:
    """What every demo console prints the same way: lines, the bot's reply with the membership
    change it caused, and the audit log."""

    out: TextIO

    def show(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show_reply(self, text: str, before: str, after: str, where: str = "") -> None:
        self.show(f"  kickbot{where}: " + text.replace("\n", "\n           "))
        if after != before:
            self.show("  now " + after)

    async def show_audit(self, app: App) -> None:
        assert app.store is not None
        for row in await app.store.audit():
            self.show(f"  #{row.case} {row.caller}: {row.text} -> {row.outcome or row.state}")
            for r in row.results:
                self.show(f"      {r['result']}: {r['target']}")
