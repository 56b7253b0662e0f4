"""The Chime SDK demo console, driven by a script as a newcomer would pipe one in."""

from __future__ import annotations

import io
from pathlib import Path

from bot.testing.chime_sdk.demo import run_demo

SCRIPT = """\
/help
/kick @bob spamming <b>loudly</b>
:as bob
/kick @dave
:as alice
/undo
/demote @carol
:as carol
:channel ops
/demote @carol
:audit
:quit
"""


async def test_demo_runs_the_real_bot_against_the_double(tmp_path: Path) -> None:
    out = io.StringIO()
    await run_demo(io.StringIO(SCRIPT), f"sqlite:///{tmp_path}/demo.db", out)
    text = out.getvalue()
    assert "Commands you may use here" in text
    assert "Removed @bob — reason: spamming <b>loudly</b>" in text
    assert "You may not run `/kick` here" in text
    assert "Re-added @bob." in text
    now = "now Trading Desk: alice (moderator), bob, carol, dave, frank, kickbot (moderator)"
    assert now in text
    assert "@carol is the last owner of this room" in text.split("carol> :channel ops")[1]
    assert "#1 Alice Moderator: " in text
    assert "saw requests that break" not in text
