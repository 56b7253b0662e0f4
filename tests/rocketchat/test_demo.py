"""The Rocket.Chat demo console, driven by a script as a newcomer would type it."""

from __future__ import annotations

import io
from pathlib import Path

from bot.testing.rocketchat.demo import run_demo
from tests.rocketchat.conftest import visible

SCRIPT = """\
!help
!kick @bob spamming *loudly* @here
:as bob
!kick @carol
:as alice
!demote @carol
@kickbot kick @nobody
:room town
!kick @bob
:audit
:quit
"""


async def test_demo_runs_the_real_bot_against_the_emulated_server(tmp_path: Path) -> None:
    out = io.StringIO()
    await run_demo(io.StringIO(SCRIPT), f"sqlite:///{tmp_path}/demo.db", out)
    text = visible(out.getvalue())
    assert "Commands you may use here" in text
    assert "Removed @bob — reason: spamming *loudly* @here" in text
    assert "now desk: kickbot, alice (owner), carol (owner), dave (moderator)" in text
    assert "You may not run `!kick` here" in text
    assert "Demoted @carol to member." in text
    assert "“@nobody” is typed text, not a mention." in text
    assert "now town: kickbot, grace, alice (owner)" in text
    assert "#2 alice: !kick @bob spamming *loudly* @here — ran" in text
