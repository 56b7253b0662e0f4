"""The benchmarks keep working: each runs at tiny sizes and prints and writes its figures.

Nothing here judges a figure (no timed tests); the benches themselves say whether a target is met.
The sections run in two processes side by side to keep this quick.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN_ALL = Path(__file__).resolve().parent.parent / "bench" / "run_all.py"
GROUPS = (("overhead",), ("isolation", "throughput", "pacing", "host"))


# The benches start several processes each; on a loaded 2-core host the two groups together
# have taken over two minutes, so the fixture waits longer than the suite's default timeout.
BENCH_SECONDS = 400


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, dict[str, object]]]:
    out = tmp_path_factory.mktemp("bench")
    procs = []
    for i, group in enumerate(GROUPS):
        only = [arg for name in group for arg in ("--only", name)]
        cmd = [sys.executable, str(RUN_ALL), "--quick", "--json", str(out / f"{i}.json"), *only]
        procs.append(
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    results = []
    for i, proc in enumerate(procs):
        stdout, stderr = proc.communicate(timeout=BENCH_SECONDS)
        assert proc.returncode == 0, stderr
        results.append((stdout, json.loads((out / f"{i}.json").read_text())))
    return results


@pytest.mark.timeout(BENCH_SECONDS + 30)
def test_every_bench_prints_its_figures(runs: list[tuple[str, dict[str, object]]]) -> None:
    printed = "".join(stdout for stdout, _ in runs)
    assert "cores" in printed
    assert "Python" in printed
    for heading in ("1. overhead", "2. isolation", "3. throughput", "4. pacing", "5. cost to host"):
        assert heading in printed, printed
    for platform in ("symphony", "slack", "rocketchat", "chime", "chime_sdk"):
        assert f"   {platform} " in printed, printed


@pytest.mark.timeout(BENCH_SECONDS + 30)
def test_every_bench_writes_its_figures(runs: list[tuple[str, dict[str, object]]]) -> None:
    overhead = runs[0][1]["overhead"]
    rest = runs[1][1]
    assert isinstance(overhead, dict)
    assert set(overhead) == {"symphony", "slack", "rocketchat", "chime", "chime_sdk"}
    assert all(row["ratio"] > 0 for row in overhead.values())
    # Beside the bot, the same bot with an unflushed store, where a second one can run.
    assert {k for k, row in overhead.items() if row.get("unflushed_median_ms", 0) > 0} == {
        "slack",
        "rocketchat",
        "chime",
        "chime_sdk",
    }
    assert {"isolation", "throughput", "pacing", "host"} <= rest.keys()
    isolation, throughput, pacing, host = (
        rest[k] for k in ("isolation", "throughput", "pacing", "host")
    )
    assert isinstance(isolation, dict)
    assert [r["big_job_interval_ms"] for r in isolation["runs"]] == [3000, 20]
    assert all(r["p95_ratio"] > 0 for r in isolation["runs"])
    assert isinstance(throughput, dict)
    assert [r["rooms"] for r in throughput["runs"]] == [1, 3]
    assert any("profile" in r for r in throughput["runs"])
    assert isinstance(pacing, dict)
    assert pacing["watched"]["remove_calls"] == 5
    assert pacing["enforced"]["enforced"] is True
    assert pacing["published"]["configured_ms"] == 3000
    assert pacing["published"]["remove_calls"] == 2
    assert pacing["many_rooms"]["all_jobs_s"] > 0
    assert isinstance(host, dict)
    assert host["symphony"]["sdks_of_disabled_platforms_loaded"] == []
    assert host["symphony"]["rss_idle_mib"] > host["bare_python_mib"]
