"""``kickbot demo --platform matrix`` as a newcomer would run it, driven by a script."""

from __future__ import annotations

import io
from pathlib import Path

from bot.testing.matrix.demo import run_demo
from tests.matrix.conftest import synapse_python
from tests.matrix.synapse_env import VENV as SYNAPSE_VENV

SCRIPT = """\
!help
!kick @bob spamming <b>loudly</b>
:as dave
!kick @carol
:as carol
!kick @erin
:as alice
kickbot: demote @carol
:audit
:quit
"""


async def test_the_demo_runs_the_real_bot_against_a_real_synapse(tmp_path: Path) -> None:
    synapse_python()  # skips (or fails on CI) like the other Synapse tests
    out = io.StringIO()
    await run_demo(
        io.StringIO(SCRIPT), f"sqlite:///{tmp_path}/demo.db", out, synapse_venv=SYNAPSE_VENV
    )
    text = out.getvalue()
    assert "kickbot demo: a real Synapse homeserver on http://127.0.0.1:" in text
    assert "Commands you may use here" in text
    assert "Removed Bob — reason: spamming <b>loudly</b>" in text
    assert "now Ops: kickbot (100), alice (creator), carol (50), dave, erin (100)" in text
    assert "You may not run !kick here" in text
    assert "Erin ranks the same as or above you in this room" in text
    assert "Demoted Carol to member." in text
    assert "now Ops: kickbot (100), alice (creator), carol, dave, erin (100)" in text
    assert "#1 Alice: !help — answered" in text
