"""Every benchmark in one run: prints a table, writes JSON.

    .venv/bin/python bench/run_all.py                 # realistic sizes (~6 min on 2 cores)
    .venv/bin/python bench/run_all.py --quick         # tiny sizes: checks that every bench runs
    .venv/bin/python bench/run_all.py --only pacing --json out.json

All on loopback against the shipped doubles (bot/testing), with the clients built as the bot
builds them. Figures that are compared are measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench modules import each other

import host_cost
import isolation
import overhead
import pace_accuracy
import throughput

SECTIONS = ("overhead", "isolation", "throughput", "pacing", "host")
SYMPHONY_JUMBO_INTERVAL = 3.0
"""Symphony's own pace in jumbo rooms; the benches otherwise shorten it (``Sizes.interval``)."""


@dataclass(frozen=True)
class Sizes:
    overhead_n: int
    overhead_warmup: int
    overhead_platforms: tuple[str, ...]
    isolation_rooms: int
    isolation_big_room: int
    throughput_rooms: tuple[int, ...]
    throughput_commands: int
    pace_removals: int
    pace_rooms: int
    pace_per_room: int
    pace_published_removals: int
    interval: float
    jumbo_members: int
    host_rooms: int
    host_commands: int
    host_modes: tuple[str, ...]


def _sizes(**each: tuple[Any, Any]) -> tuple[Sizes, Sizes]:
    """The realistic sizes and the tiny ones (``--quick``: checks that every bench runs), from
    each field's two values side by side."""
    return (
        Sizes(**{name: full for name, (full, _) in each.items()}),
        Sizes(**{name: quick for name, (_, quick) in each.items()}),
    )


FULL, QUICK = _sizes(
    overhead_n=(100, 1),
    overhead_warmup=(5, 0),
    # quick: every platform's but Matrix's, which starts a Synapse
    overhead_platforms=(
        tuple(overhead.MODULES),
        tuple(name for name in overhead.MODULES if name != "matrix"),
    ),
    isolation_rooms=(200, 3),
    isolation_big_room=(5000, 30),
    throughput_rooms=((1, 10, 100, 1000), (1, 3)),
    throughput_commands=(1000, 6),
    pace_removals=(1000, 5),
    pace_rooms=(100, 3),
    pace_per_room=(20, 2),
    pace_published_removals=(20, 2),
    interval=(0.02, 0.02),
    jumbo_members=(1000, 10),
    host_rooms=(100, 2),
    host_commands=(500, 4),
    host_modes=(("symphony", "all"), ("symphony",)),
)


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "processor": platform.processor() or _cpu_model(),
        "load_average_at_start": os.getloadavg(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


async def run_sections(
    sizes: Sizes, only: set[str], results: dict[str, Any], save: Callable[[], None]
) -> None:
    """Run the chosen sections into ``results``; a section that fails is recorded as such (and
    the others still run); ``save`` after each."""
    s = sizes
    plan: dict[str, Callable[[], Coroutine[Any, Any, Any]]] = {
        "overhead": lambda: overhead.measure(
            list(s.overhead_platforms), s.overhead_n, s.overhead_warmup
        ),
        "isolation": lambda: isolation.measure(
            s.isolation_rooms,
            s.isolation_big_room,
            (SYMPHONY_JUMBO_INTERVAL, s.interval),
            s.jumbo_members,
        ),
        "throughput": lambda: _throughput(s),
        "pacing": lambda: _pacing(s),
        "host": lambda: host_cost.measure(
            s.host_rooms,
            s.host_commands,
            s.host_modes,
            breakdown=s is FULL,
            idle_seconds=1.0 if s is FULL else 0.1,
            python=None if s is FULL else sys.executable,
        ),
    }
    for name in SECTIONS:
        if name in only:
            print(f"… {name}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            try:
                results[name] = await plan[name]()
            except Exception as exc:
                traceback.print_exc()
                results[name] = {"error": repr(exc)}
            results[name + "_wall_s"] = time.perf_counter() - t0
            save()


async def _throughput(s: Sizes) -> dict[str, Any]:
    rows = []
    for rooms in s.throughput_rooms:
        profile = rooms == max(s.throughput_rooms)
        rows.append(await throughput.measure(rooms, s.throughput_commands, profile=profile))
    return {"runs": rows}


async def _pacing(s: Sizes) -> dict[str, Any]:
    return {
        "watched": await pace_accuracy.one_job(
            s.pace_removals, s.interval, s.jumbo_members, enforce=False
        ),
        "enforced": await pace_accuracy.one_job(
            s.pace_removals, s.interval, s.jumbo_members, enforce=True
        ),
        # Symphony's published pace itself, on the enforcing double (its 2 ms tolerance is
        # 0.07 % of 3 s, against 10 % of the shortened pace above).
        "published": await pace_accuracy.one_job(
            s.pace_published_removals, SYMPHONY_JUMBO_INTERVAL, s.jumbo_members, enforce=True
        ),
        "many_rooms": await pace_accuracy.many_jobs(
            s.pace_rooms, s.pace_per_room, s.interval, s.jumbo_members
        ),
    }


def table(res: dict[str, Any]) -> list[str]:
    """The human-readable summary, one line per figure."""
    out: list[str] = []
    for name in SECTIONS:
        if "error" in res.get(name, {}):
            out.append(f"{name}: FAILED {res[name]['error']}")
    res = {k: v for k, v in res.items() if not (k in SECTIONS and "error" in v)}
    m = res["machine"]
    out.append(
        f"machine: {m['cores']} cores, {m['processor']}, Python {m['python']}, {m['system']}"
    )
    load = ", ".join(f"{x:.1f}" for x in m["load_average_at_start"])
    out.append(f"load average at start (1, 5, 15 min): {load}; other work on the host skews it all")
    if "overhead" in res:
        out.append("")
        out.append(
            "1. overhead per command   bot median / p95      direct median / p95   ratio  added"
        )
        for name, row in res["overhead"].items():
            if "skipped" in row:
                out.append(f"   {name:11} skipped: {row['skipped']}")
                continue
            out.append(
                f"   {name:11} {row['bot_median_ms']:8.1f} / {row['bot_p95_ms']:6.1f} ms"
                f"    {row['direct_median_ms']:8.1f} / {row['direct_p95_ms']:6.1f} ms"
                f"   {row['ratio']:.2f}"
                f"  {row['bot_median_ms'] - row['direct_median_ms']:+.1f} ms"
                f"  (n={row['n']}, target <= 1.10)"
            )
            if "unflushed_median_ms" in row:
                relaxed = row["unflushed_median_ms"]
                out.append(
                    f"{'':15}beside it, its store not flushing each commit: {relaxed:.1f} ms,"
                    f" ratio {relaxed / row['direct_median_ms']:.2f}"
                    f" ({relaxed - row['direct_median_ms']:+.1f} ms)"
                )
    if "isolation" in res:
        runs = res["isolation"]["runs"]
        out.append("")
        n = runs[0]["alone"]["n"]
        out.append(
            f"2. isolation: {n} single /kick in {n} rooms, p50 / p95 (kickbot in its own process)"
        )
        for i in runs:
            out.append(
                f"   big job at {i['big_job_interval_ms']:g} ms/change"
                f" ({i['big_job_removals_per_s']:.1f} removals/s meanwhile,"
                f" {i['big_room_members']:,}-member room)"
            )
            out.append(
                f"     alone        {i['alone']['p50_ms']:7.1f} / {i['alone']['p95_ms']:7.1f} ms"
            )
            out.append(
                f"     with big job {i['with_big_job']['p50_ms']:7.1f} / "
                f"{i['with_big_job']['p95_ms']:7.1f} ms"
            )
            out.append(
                f"     p95 ratio {i['p95_ratio']:.2f} (target <= 1.2),"
                f" p50 ratio {i['p50_ratio']:.2f}"
            )
    if "throughput" in res:
        out.append("")
        out.append("3. throughput (double's spec checks off)   commands   seconds   commands/s")
        for r in res["throughput"]["runs"]:
            out.append(
                f"   {r['rooms']:5} rooms                         {r['commands']:8}"
                f"  {r['seconds']:8.2f}   {r['commands_per_s']:9.1f}"
            )
        prof = next((r["profile"] for r in res["throughput"]["runs"] if "profile" in r), None)
        if prof:
            shares = ", ".join(f"{k} {v:.0%}" for k, v in prof["by_component"].items() if v >= 0.01)
            out.append(f"   profile of the largest run (main thread): {shares}")
            top = ", ".join(f"{k} {v:.2f}s" for k, v in prof["top_kickbot"][:4])
            out.append(f"   kickbot frames (incl. callees): {top}")
    if "pacing" in res:
        p = res["pacing"]
        out.append("")
        out.append(
            "4. pacing      removals  configured  achieved (error)    min gap  429s  total/ideal"
        )
        for key in ("watched", "enforced", "published"):
            if (j := p.get(key)) is None:
                continue
            out.append(
                f"   {key:9} {j['removals']:9}  {j['configured_ms']:7.1f} ms"
                f" {j['achieved_ms']:7.2f} ms"
                f" ({j['error_pct']:+.1f} %) {j['min_gap_ms']:7.2f} ms {j['rejected_429']:5}"
                f"  {j['total_s']:.1f}/{j['ideal_s']:.1f} s"
            )
        mr = p["many_rooms"]
        out.append(
            f"   {mr['rooms']} jobs in {mr['rooms']} rooms at once"
            f" ({mr['per_room']} removals each):"
            f" {mr['all_jobs_s']:.2f} s vs one job alone {mr['one_job_s']:.2f} s"
            f" (x{mr['ratio']:.1f}; ideal {mr['ideal_s']:.2f} s)"
        )
    if "host" in res:
        h = res["host"]
        out.append("")
        out.append(
            f"5. cost to host (bare python {h['bare_python_mib']:.1f} MiB; {h['python']})"
            "  ready   RSS idle  RSS load  SDK baseline  own idle/load"
        )
        for key in ("symphony", "all"):
            if key not in h:
                continue
            r = h[key]
            out.append(
                f"   {'+'.join(r['platforms']):30} {r['ready_s']:5.2f} s {r['rss_idle_mib']:7.1f}"
                f"   {r['rss_load_peak_mib']:7.1f}    {r['sdk_baseline_mib']:7.1f}"
                f"      {r['own_idle_mib']:5.1f}/{r['own_load_mib']:.1f} MiB"
                f"  (target <= 20; disabled SDKs loaded: "
                f"{', '.join(r['sdks_of_disabled_platforms_loaded']) or 'none'})"
            )
            out.append(
                f"      own idle = imports {r['own_imports_mib']:.1f}"
                f" + held at run time {r['own_runtime_idle_mib']:.1f} MiB"
            )
            out.append(
                f"      first start (creates the store): ready {r['first_start_ready_s']:.2f} s,"
                f" RSS idle {r['first_start_rss_idle_mib']:.1f} MiB"
            )
            if sdk := r.get("sdk_running"):
                out.append(
                    f"      SDK running alone (BDK on its datafeed, the same calls):"
                    f" RSS idle {sdk['rss_idle_mib']:.1f}, load {sdk['rss_load_peak_mib']:.1f}"
                    f" MiB; kickbot's own over it: {sdk['own_idle_mib']:.1f} idle,"
                    f" {sdk['own_load_mib']:.1f} under load (target <= 20)"
                )
            if deps := r["own_dependencies_alone_mib"]:
                each = ", ".join(f"{k} {v:.1f}" for k, v in deps.items())
                out.append(f"      kickbot's dependencies, each imported alone (MiB): {each}")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test's)")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="repeatable")
    parser.add_argument("--json", type=Path, default=Path("bench/results.json"))
    args = parser.parse_args(argv)
    from bot import logs

    logs.configure("ERROR")
    sizes = QUICK if args.quick else FULL
    res: dict[str, Any] = {"machine": machine(), "sizes": sizes.__dict__, "quick": args.quick}
    args.json.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")

    asyncio.run(run_sections(sizes, set(args.only or SECTIONS), res, save))
    print("\n".join(table(res)))
    print(f"\nwritten: {args.json}")
    failed = [name for name in SECTIONS if "error" in res.get(name, {})]
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
    return res


if __name__ == "__main__":
    main()
