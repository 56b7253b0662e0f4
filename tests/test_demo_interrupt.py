"""Ctrl-C at a demo's prompt leaves at once, on every platform's demo (a real process on a
pseudo-terminal, as someone typing sees it)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.demo_process import PLATFORMS, Terminal
from tests.matrix.session import synapse_python


def interrupted(term: Terminal, start_timeout: float, typed: str = "") -> str:
    """Ctrl-C sent to the demo at its prompt (after ``typed`` is echoed, if given); what it
    showed, once it left with status 0, without a traceback, within 10 s."""
    try:
        term.read_until(b"alice> ", timeout=start_timeout)
        if typed:
            term.type(typed + "\n")
            term.read_until(typed.encode(), timeout=10)
        time.sleep(0.5)
        began = time.monotonic()
        term.proc.send_signal(signal.SIGINT)
        status = term.proc.wait(timeout=20)
        took = time.monotonic() - began
        term.drain()
    finally:
        term.close()
    out = term.text()
    assert status == 0, out
    assert "Traceback" not in out
    assert took < 10, f"took {took:.1f} s to leave"
    return out


@pytest.mark.timeout(300)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_ctrl_c_at_the_prompt_leaves_at_once(platform: str, tmp_path: Path) -> None:
    if platform == "matrix":
        synapse_python()  # skips (or fails on CI) like the other Synapse tests
    out = interrupted(Terminal(platform, tmp_path), 240)  # sitting at the prompt
    assert "leaving the demo" in out


@pytest.mark.timeout(120)
def test_ctrl_c_while_a_line_is_answered_leaves_too(tmp_path: Path) -> None:
    # Not a command of the bot: the demo waits 15 s for a reply.
    interrupted(Terminal("symphony", tmp_path), 100, typed="/shrug")
