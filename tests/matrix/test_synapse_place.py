"""Where Synapse is installed: one place for the Matrix demo and the tests, the place the README
and docs/ name (``~/.cache/kickbot/synapse-venv``, or ``KICKBOT_SYNAPSE_VENV``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.matrix.session import synapse_python

ROOT = Path(__file__).resolve().parents[2]
NAMED = "~/.cache/kickbot/synapse-venv"


def _home(tmp_path: Path) -> dict[str, str]:
    """A newcomer's environment: no KICKBOT_SYNAPSE_VENV, no XDG_CACHE_HOME, this home."""
    unset = ("KICKBOT_SYNAPSE_VENV", "XDG_CACHE_HOME")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["HOME"] = str(tmp_path)
    return env


def test_the_docs_name_the_place_the_demo_and_the_tests_use(tmp_path: Path) -> None:
    mentions = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        mentions += [(doc.name, m) for m in re.findall(r"[\w~./$-]*synapse-venv\b", text)]
    assert mentions, "README.md and docs/ do not say where Synapse is installed"
    assert {m for _, m in mentions} == {NAMED}, mentions
    code = (
        "from bot.testing.matrix import default_venv\n"
        "from tests.matrix.synapse_env import VENV\n"
        "print(default_venv()); print(VENV)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_home(tmp_path), capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    expected = str(Path(NAMED.replace("~", str(tmp_path))))
    assert done.stdout.splitlines() == [expected, expected]


def test_the_matrix_demo_uses_synapse_from_that_place(tmp_path: Path) -> None:
    python = synapse_python()  # skips (or fails on CI) like the other Synapse tests
    place = tmp_path / ".cache" / "kickbot" / "synapse-venv"
    place.parent.mkdir(parents=True)
    place.symlink_to(python.parent.parent, target_is_directory=True)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--platform", "matrix"], cwd=ROOT,
        env=_home(tmp_path), input=":quit\n", capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Installing" not in done.stdout, done.stdout
    assert "kickbot demo: a real Synapse homeserver on http://127.0.0.1:" in done.stdout
