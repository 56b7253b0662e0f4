"""What every bench script shares: the figures it computes from two lists of timings, and the
command line that runs a ``measure(n, warmup)`` and prints them."""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from pathlib import Path
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
    calls: Sequence[T], step_of: Callable[[T], str | None], chain_of: Callable[[T], str]
) -> list[list[list[T]]]:
    """The calls as kickbot makes them: steps one after another, a step's chains side by side,
    a chain's calls one after another. Consecutive calls of the same kind of step (``step_of``;
    None: a step of its own) are one step, split into chains by ``chain_of`` (kickbot looks a
    room up beside its member list, and several people's ranks at once)."""
    steps: list[list[list[T]]] = []
    kind: str | None = None
    chains: dict[str, list[T]] = {}
    for call in calls:
        this = step_of(call)
        if this is None or this != kind:
            if chains:
                steps.append(list(chains.values()))
            chains = {}
        kind = this
        chains.setdefault(chain_of(call) if this is not None else "", []).append(call)
    if chains:
        steps.append(list(chains.values()))
    return steps


def unflushed(data: Mapping[str, Any], workdir: Path) -> tuple[dict[str, Any], Path]:
    """Settings for a second kickbot beside the first, alike but for its store, whose commits
    are not flushed to disk one by one (``?synchronous=normal``), and a directory of its own:
    the difference between the two is what durable records cost on this machine's disk."""
    store = workdir / "unflushed"
    store.mkdir(exist_ok=True)
    return {**data, "store": f"sqlite:///{store}/bench.db?synchronous=normal"}, store


class Timings:
    """Each path's timings (milliseconds) by name, the first ``warmup`` iterations' left out."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.series: dict[str, list[float]] = {}

    def add(self, iteration: int, **took: float) -> None:
        for path, ms in took.items():
            kept = self.series.setdefault(path, [])
            if iteration >= self.warmup:
                kept.append(ms)

    def summary(self) -> Results:
        return summarise(**self.series)


def in_turn(iteration: int, paths: Sequence[T]) -> Sequence[T]:
    """``paths`` in the order they run in this iteration: which goes first alternates."""
    return paths[:: 1 if iteration % 2 else -1]


Timed = Callable[[int], Awaitable[float]]
"""One path of a latency bench: how long it took in iteration ``i`` (milliseconds)."""


async def side_by_side(n: int, warmup: int, bots: Mapping[str, Timed], direct: Timed) -> Results:
    """Each iteration runs the kickbots' paths in turn (which goes first alternates), then the
    direct path; each path's timings under its name (``direct`` for the last), the first
    ``warmup`` iterations left out."""
    timings = Timings(warmup)
    for i in range(warmup + n):
        for tag, path in in_turn(i, list(bots.items())):
            timings.add(i, **{tag: await path(i)})
        timings.add(i, direct=await direct(i))
    return timings.summary()


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
    for name in ("bot", "direct", "unflushed"):
        if name not in res:
            continue
        r = res[name]
        median, p95, n = r["median_ms"], r["p95_ms"], int(r["n"])
        print(f"{label}{name:9} median {median:7.2f} ms   p95 {p95:7.2f} ms   n={n}")


def print_ratio(res: Results, label: str = "") -> None:
    ratio = res["bot"]["median_ms"] / res["direct"]["median_ms"]
    print(f"{label}ratio bot/direct (medians): {ratio:.2f}")


def run(
    doc: str | None,
    measure: Callable[[int, int], Coroutine[Any, Any, Results]],
    label: str = "",
) -> Results:
    """A latency bench's command line: parse ``-n``/``--warmup``, run ``measure`` quietly, print
    the rows and the ratio (each line starting with ``label``)."""
    from bot import logs

    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="measured iterations")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    logs.configure("WARNING")
    res = asyncio.run(measure(args.n, args.warmup))
    print_results(res, label)
    print_ratio(res, label)
    return res
