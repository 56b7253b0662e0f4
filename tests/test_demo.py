"""The README's demo command, end to end, as a newcomer runs it (stdin piped)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """\
/help
/kick @bob spamming <b>loudly</b>
:as bob
/kick @dave
:as frank
/ib-remove 571db1f2e4b027c4f055a594 @bob @erin
:quit
"""


def test_demo_runs_the_real_bot_against_the_emulated_pod(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--store", f"sqlite:///{tmp_path}/demo.db"],
        input=SCRIPT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert "Commands you may use here" in out
    assert "Removed @Bob Member — reason: spamming <b>loudly</b>" in out
    assert "now Trading Desk: kickbot, alice (owner), carol (owner), dave, frank" in out
    assert "You may not run /kick here" in out
    assert "Removed @Bob Member from IB group" in out
    assert "Erin Departed's account is deactivated" in out
