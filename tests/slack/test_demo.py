"""The Slack demo end to end, as a newcomer runs it (stdin piped, a separate process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """\
@kickbot help
/kick @bob spamming <b>loudly</b> & more
/kick @Robert
:as bob
/kick @dave
:as frank
@kickbot kick @dave
/demote @carol
:audit
:quit
"""

PROGRAM = """\
import asyncio, sys
from bot import logs
from bot.testing.slack.demo import run_demo
logs.configure("WARNING")
asyncio.run(run_demo(sys.stdin, sys.argv[1], sys.stdout))
"""


def test_demo_runs_the_real_bot_against_the_emulated_workspace(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, f"sqlite:///{tmp_path}/demo.db"],
        input=SCRIPT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert "Commands you may use here" in out
    assert "Removed @Bob Member — reason: spamming <b>loudly</b> & more" in out
    assert "now #desk: alice, carol, dave, frank, kickbot, owen" in out
    assert "“@Robert” is typed text, not a mention." in out
    assert "You may not run /kick here" in out
    assert "kickbot (in the thread): @Frank Compliance /kick" in out
    assert "now #desk: alice, carol, frank, kickbot, owen" in out
    assert "Slack offers bots no API to demote a channel manager" in out
    audit = out.split(":audit")[-1]
    assert "/kick @bob spamming <b>loudly</b> & more — ran" in audit
    assert "done: dave" in audit  # named from the workspace, not as the mention's id
    assert "break the Slack spec" not in out
