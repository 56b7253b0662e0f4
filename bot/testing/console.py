"""The read-and-answer loop every ``kickbot demo`` shares, whatever the platform."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from bot.app import App


class Speaker(Protocol):
    @property
    def user(self) -> str: ...


async def repl(
    source: TextIO, out: TextIO, who: Speaker, handle: Callable[[str], Awaitable[bool]]
) -> None:
    """Read lines (typed at a prompt, or piped and echoed) and hand each to ``handle`` until it
    returns False or the input ends."""
    interactive = source.isatty()
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print(f"{who.user}> ", end="", file=out, flush=True)
        line = await loop.run_in_executor(None, source.readline)
        if not line:
            return
        if not interactive:
            print(f"{who.user}> {line.rstrip()}", file=out, flush=True)
        if not await handle(line):
            return


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
