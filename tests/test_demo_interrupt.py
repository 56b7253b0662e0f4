"""Ctrl-C at a demo's prompt leaves at once, on every platform's demo (a real process on a
pseudo-terminal, as someone typing sees it)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.demo_process import PLATFORMS, Terminal
from tests.matrix.session import synapse_python


@pytest.mark.timeout(300)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_ctrl_c_at_the_prompt_leaves_at_once(platform: str, tmp_path: Path) -> None:
    if platform == "matrix":
        synapse_python()  # skips (or fails on CI) like the other Synapse tests
    term = Terminal(platform, tmp_path)
    try:
        term.read_until(b"alice> ", timeout=240)
        time.sleep(0.5)  # sitting at the prompt, nothing typed
        began = time.monotonic()
        term.proc.send_signal(signal.SIGINT)
        status = term.proc.wait(timeout=20)
        took = time.monotonic() - began
        term.drain()
    finally:
        term.close()
    out = term.text()
    assert status == 0, out
    assert "leaving the demo" in out
    assert "Traceback" not in out
    assert took < 10, f"took {took:.1f} s to leave"


@pytest.mark.timeout(120)
def test_ctrl_c_while_a_line_is_answered_leaves_too(tmp_path: Path) -> None:
    term = Terminal("symphony", tmp_path)
    try:
        term.read_until(b"alice> ", timeout=100)
        term.type("/shrug\n")  # not a command of the bot: the demo waits 15 s for a reply
        term.read_until(b"/shrug", timeout=10)
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
