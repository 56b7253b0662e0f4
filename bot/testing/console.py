"""The read-and-answer loop every ``kickbot demo`` shares, whatever the platform."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import os
import signal
import stat
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TextIO, TypeVar

from bot.replies.case import case_status_word

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings

T = TypeVar("T")
D = TypeVar("D")
"""The double a console drives."""


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
            stopped, go_on = await _unless_stopped(_said(handle, line, out), stop)
            if stopped:
                break
            if not go_on:
                return
    print("\n  (Ctrl-C: leaving the demo)", file=out, flush=True)


async def _said(handle: Callable[[str], Awaitable[bool]], line: str, out: TextIO) -> bool:
    """``handle(line)``; a failure to deliver the line (the emulated platform or the bot's
    endpoint refusing or unreachable) is one line, and the demo goes on."""
    try:
        return await handle(line)
    except Exception as exc:
        print(f"  (the demo could not deliver that line: {type(exc).__name__}: {exc})", file=out)
        return True


def demo_settings(
    platform: str,
    section: Mapping[str, Any],
    policy: Mapping[str, Any],
    store: str | None,
    tmp: str,
) -> Settings:
    """A demo's settings: its platform's section, its policy, the store given or one in ``tmp``."""
    from bot.settings import parse
    from handlers import COMMANDS

    data = {"store": store or f"sqlite:///{tmp}/kickbot.db", "policy": policy, platform: section}
    return parse(data, [c.name for c in COMMANDS], "demo")


def fail_on_violations(violations: Sequence[str], what: str, out: TextIO) -> None:
    """End the demo with exit status 1 if the emulated server saw traffic breaking its spec."""
    if violations:
        print(f"The emulated server saw requests that break {what}:", file=out)
        for v in violations:
            print("  " + v, file=out)
        raise SystemExit(1)


@dataclass(frozen=True)
class Heard:
    """The bot's reply to a line, as the demo shows it (``where``: " (in the thread)")."""

    text: str
    where: str = ""


class ConsoleBase(Generic[D]):
    """The loop every demo console shares: a line starting with ``:`` is a demo command
    (``:as USER``, ``:room NAME`` where there are rooms, ``:members``, ``:audit``, ``:quit``);
    any other is said by the current user, and the bot's reply is printed with the membership
    change it caused. A platform's console drives one ``double`` and says who may speak, where,
    how a line is delivered (:meth:`deliver`) and how the room's members read (:meth:`roster`)."""

    out: TextIO
    app: App
    user: str
    speakers: Collection[str] = ()
    """The sample users ``:as`` may switch to."""
    place_word = "room"
    places: Collection[str] = ()
    """The rooms ``:room`` (or ``:channel``...) may switch to, by name; none: the command is
    absent. The console starts in the first; ``place`` is the current one's name."""
    _ignored: dict[str, asyncio.Event] | None = None

    def __init__(self, double: D, app: App, out: TextIO, *, user: str = "alice") -> None:
        self.double = double
        self.app = app
        self.out = out
        self.user = user
        self.place = next(iter(self.places), "")

    async def roster(self) -> str:
        """The current room and its members as the demo prints them."""
        raise NotImplementedError

    def go_to(self, place: str) -> None:
        self.place = place

    async def deliver(self, text: str) -> Awaitable[Heard | None] | None:
        """Say ``text`` as the current user; the bot's reply to wait for (None once the bot
        takes the line as not for it), or None when there is nothing to wait for (and why has
        been shown)."""
        raise NotImplementedError

    async def run(self, source: TextIO, intro: str) -> None:
        """Print ``intro`` and where the user is, then answer lines until the input ends."""
        self.show(intro)
        self.show(f"  [{self.user} in {await self.roster()}]")
        await repl(source, self.out, self, self.handle)

    async def handle(self, text: str) -> bool:
        text = text.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self.meta(text)
        before = await self.roster()
        heard = await self.deliver(text)
        if heard is None:
            return True
        try:
            reply = await heard
        except TimeoutError:
            self.show("  (no reply from the bot)")
            return True
        if reply is not None:
            self.show_reply(reply.text, before, await self.roster(), reply.where)
        return True

    async def meta(self, text: str) -> bool:
        """A demo command; False for ``:quit``."""
        cmd, _, arg = text[1:].partition(" ")
        if cmd in ("quit", "q", "exit"):
            return False
        if cmd == "as":
            if arg not in self.speakers:
                self.no_such("user", arg, self.speakers)
                return True
            self.user = arg
        elif self.places and cmd == self.place_word:
            if arg not in self.places:
                self.no_such(self.place_word, arg, self.places)
                return True
            self.go_to(arg)
        elif cmd == "audit":
            await self.show_audit(self.app)
            return True
        elif cmd != "members":
            self.show(self.commands_help())
            return True
        self.show(f"  [{self.user} in {await self.roster()}]")
        return True

    def commands_help(self) -> str:
        place = f":{self.place_word} {'|'.join(self.places)}   " if self.places else ""
        return f"  demo commands: :as USER   {place}:members   :audit   :quit"

    def hear_ignored(self, app: App) -> None:
        """Learn which messages the bot took as not for it, so a line it will not answer is
        not waited for."""
        assert app.dispatcher is not None
        self._ignored = {}
        app.dispatcher.on_ignored.append(lambda inv: self._ignored_event(inv.event_id).set())

    def _ignored_event(self, event_id: str) -> asyncio.Event:
        assert self._ignored is not None
        return self._ignored.setdefault(event_id, asyncio.Event())

    async def reply_unless_ignored(self, reply: Awaitable[T], event_id: str) -> T | None:
        """The bot's reply to the message ``event_id``, or None as soon as the bot has taken
        the message as not for it (chat, or someone else's command)."""
        if self._ignored is None:
            return await reply
        ignored = self._ignored_event(event_id)
        try:
            stopped, got = await _unless_stopped(reply, ignored)
        finally:
            self._ignored.pop(event_id, None)
        return None if stopped else got

    def show(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def no_such(self, what: str, given: str, choices: Iterable[str]) -> None:
        """``:as zed``, ``:room attic``: say so, and name the choices."""
        names = list(choices)
        listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        if given:
            self.show(f"  There is no sample {what} {given}; the {what}s are {listed}.")
        else:
            self.show(f"  Name the {what}: one of {listed}.")

    def show_reply(self, text: str, before: str, after: str, where: str = "") -> None:
        self.show(f"  kickbot{where}: " + text.replace("\n", "\n           "))
        if after != before:
            self.show("  now " + after)

    async def show_audit(self, app: App) -> None:
        assert app.store is not None
        for row in await app.store.audit():
            status = case_status_word(row.outcome, row.state)
            self.show(f"  #{row.case} {row.caller}: {row.text} — {status}")
            for r in row.results:
                self.show(f"      {r['result']}: {r['target']}")
