"""``kickbot demo --platform chime_sdk`` as a newcomer runs it (a real process): every line
reaches the bot over the messaging session, chat is not waited for, commands are answered."""

from __future__ import annotations

from pathlib import Path

from tests.demo_process import run_script


def test_the_demo_hears_commands_over_the_session(tmp_path: Path) -> None:
    out = run_script(
        "chime_sdk", "hello there\n/kick @bob spamming\n/undo\n:audit\n:quit\n", tmp_path
    )
    assert "(not a command for the bot)" in out
    assert "Removed @bob — reason: spamming" in out
    assert "Re-added @bob." in out
    assert "no reply" not in out
    audit = out.split("> :audit", 1)[1]
    assert "/kick" in audit
    assert "/undo" in audit
