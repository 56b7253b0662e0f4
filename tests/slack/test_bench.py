"""The Slack bench runs and measures something real (a tiny run, as a separate process)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parent.parent.parent / "bench" / "slack_latency.py"


def test_bench_measures_both_paths() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "-n", "3", "--warmup", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = re.findall(
        r"slack (bot|direct)\s+median\s+([\d.]+) ms\s+p95\s+([\d.]+) ms\s+n=3", done.stdout
    )
    assert [r[0] for r in rows] == ["bot", "direct"], done.stdout
    assert all(0 < float(median) <= float(p95) for _, median, p95 in rows)
    calls = re.search(r"Web API calls per /kick: (\d+)", done.stdout)
    assert calls is not None
    assert int(calls.group(1)) >= 5  # channel info, owner lookups, members, kick, reply
    assert re.search(r"ratio bot/direct \(medians\): [\d.]+", done.stdout)
