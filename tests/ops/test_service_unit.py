"""``config/kickbot.service``: systemd accepts it (``systemd-analyze verify``, warnings
included) and it keeps the hardening the operations guide promises."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "config" / "kickbot.service"
INSTALLED = "/opt/kickbot/.venv/bin/kickbot"


def settings() -> dict[str, list[str]]:
    """The [Service] section's keys and their values (a key may repeat)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_is_hardened_and_writes_only_its_state_directory() -> None:
    service = settings()
    for key, value in {
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "DynamicUser": "yes",
        "StateDirectory": "kickbot",
        "WorkingDirectory": "/var/lib/kickbot",
        "CapabilityBoundingSet": "",
    }.items():
        assert service.get(key) == [value], key
    assert service["ExecStart"] == [f"{INSTALLED} run --config /etc/kickbot/kickbot.yaml"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this checkout's kickbot
    kickbot = Path(sys.executable).with_name("kickbot")
    assert kickbot.exists(), kickbot
    unit = tmp_path / "kickbot.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(kickbot)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout + done.stderr == ""  # no warning either (an unknown key is only one)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verify_reports_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: the same unit with a key systemd does not know warns."""
    kickbot = Path(sys.executable).with_name("kickbot")
    unit = tmp_path / "kickbot.service"
    text = UNIT.read_text().replace(INSTALLED, str(kickbot))
    unit.write_text(text.replace("PrivateTmp=yes", "PrivateTmp=yes\nPrivateTmpp=yes"))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert "Unknown key 'PrivateTmpp'" in done.stdout + done.stderr
