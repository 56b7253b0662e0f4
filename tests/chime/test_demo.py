"""The Chime demo console, driven by a script as a newcomer would pipe one in."""

from __future__ import annotations

import io
from pathlib import Path

from bot.testing.chime.demo import run_demo

SCRIPT = """\
/help
/kick @bob spamming <b>loudly</b>
:as bob
/kick @dave
:as alice
/undo
/demote @alice
:room ops
/kick @alice
:audit
:quit
"""


async def test_demo_runs_the_real_bot_against_the_chime_double(tmp_path: Path) -> None:
    out = io.StringIO()
    await run_demo(io.StringIO(SCRIPT), f"sqlite:///{tmp_path}/demo.db", out)
    text = out.getvalue()
    assert "Amazon Chime reached end of support on 2026-02-20" in text
    assert "Commands you may use here" in text
    assert "Removed @bob@example.com — reason: spamming <b>loudly</b>" in text
    assert "now Trading Desk: alice (admin), carol (admin), dave, frank, kickbot" in text
    assert "You may not run /kick here" in text
    assert "Demoted @alice@example.com to member." in text
    assert "Re-added @bob@example.com." in text
    assert "You may not run /kick here" in text.split("alice> :room ops")[1]
    assert "#1 Alice Owner: " in text
    assert "The Chime double saw requests" not in text
