"""What every bench script shares: the figures it computes from two lists of timings, and the
command line that runs a ``measure(n, warmup)`` and prints them."""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Callable, Collection, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.app import App

Results = dict[str, dict[str, float]]


class ClosedCases:
    """Counts the cases the bot has closed, so an iteration waits for the bot to be at rest
    before the next thing is timed: a case closes after its reply (the audit chain's write), and
    without the wait that write runs during the direct path and the next command, each slowing
    the other for reasons of the bench's making."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Event()

    def note(self) -> None:
        self.count += 1
        self._changed.set()

    def wake(self) -> None:
        """Let a waiter look again (its source of news is gone)."""
        self._changed.set()

    async def reach(self, count: int, alive: Callable[[], bool] = lambda: True) -> None:
        """Wait until ``count`` cases have closed; ``alive`` false: they never will."""
        async with asyncio.timeout(30):
            while self.count < count:
                if not alive():
                    raise RuntimeError("kickbot stopped before closing its cases")
                self._changed.clear()
                await self._changed.wait()


def closed_in(app: App) -> ClosedCases:
    """The cases an in-process bot closes (its dispatcher's ``on_finished``)."""
    assert app.dispatcher is not None, "the app is started"
    closed = ClosedCases()
    app.dispatcher.on_finished.append(lambda _case, _outcome: closed.note())
    return closed


T = TypeVar("T")


def in_steps(
    calls: Sequence[T], name: Callable[[T], str], room: str, members: Collection[str]
) -> list[list[list[T]]]:
    """The calls as kickbot makes them: steps one after another, each step's chains side by
    side, each chain's calls one after another. kickbot looks a room up (the call ``room``)
    beside its member list (the calls in ``members``, made in turn): the first such run of
    calls is one step of two chains. Any other call is a step of its own."""
    steps: list[list[list[T]]] = []
    grouped = False
    at = 0
    while at < len(calls):
        if not grouped and name(calls[at]) in {room, *members}:
            info: list[T] = []
            listing: list[T] = []
            while at < len(calls) and name(calls[at]) in {room, *members}:
                if name(calls[at]) == room:
                    if info:
                        break  # a second look at the room: not part of the look-ahead
                    info.append(calls[at])
                else:
                    listing.append(calls[at])
                at += 1
            steps.append([chain for chain in (info, listing) if chain])
            grouped = True
        else:
            steps.append([[calls[at]]])
            at += 1
    return steps


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(**series: list[float]) -> Results:
    """{"bot": {...}, "direct": {...}}: median, p95 and count of each series (milliseconds)."""
    return {
        name: {"median_ms": statistics.median(v), "p95_ms": pct(v, 0.95), "n": float(len(v))}
        for name, v in series.items()
    }


def print_results(res: Results, label: str = "") -> None:
    for name in ("bot", "direct"):
        r = res[name]
        median, p95, n = r["median_ms"], r["p95_ms"], int(r["n"])
        print(f"{label}{name:7} median {median:7.2f} ms   p95 {p95:7.2f} ms   n={n}")


def print_ratio(res: Results, label: str = "") -> None:
    ratio = res["bot"]["median_ms"] / res["direct"]["median_ms"]
    print(f"{label}ratio bot/direct (medians): {ratio:.2f}")


def run(doc: str | None, measure: Callable[[int, int], Coroutine[Any, Any, Results]]) -> Results:
    """Parse ``-n``/``--warmup``, run ``measure`` quietly, print the rows and the ratio."""
    from bot import logs

    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="measured iterations")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    logs.configure("WARNING")
    return asyncio.run(measure(args.n, args.warmup))
