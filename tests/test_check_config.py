"""`kickbot check-config` checks what `kickbot run` needs before it connects, and `run` starts
with the same checks: every problem at once, each naming the file and the key."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bot.cli import main
from bot.platforms import PLUGINS

PLATFORM_LIST = ", ".join(PLUGINS.names[:-1]) + " or " + PLUGINS.names[-1]


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@functools.cache
def rsa_pem() -> bytes:
    """An RSA private key as the BDK reads it (made once: making one takes a while)."""
    return pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def good(tmp_path: Path) -> dict[str, Any]:
    """A config that checks: a Symphony pod's host, the bot's key file, an SQLite store."""
    key = tmp_path / "bot.pem"
    key.write_bytes(rsa_pem())
    return {
        "store": f"sqlite:///{tmp_path}/kickbot.db",
        "symphony": {
            "host": "acme.symphony.com",
            "bot": {"username": "kickbot", "privateKey": {"path": str(key)}},
        },
    }


def write(tmp_path: Path, data: Any, name: str = "kickbot.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def run(path: Path) -> subprocess.CompletedProcess[str]:
    """``kickbot run --config path`` as a process."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def check(path: Path, *, command: str = "check-config") -> tuple[int, list[str]]:
    args = (
        ["check-config", str(path)] if command == "check-config" else ["run", "--config", str(path)]
    )
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output.splitlines()


def test_a_good_config_checks(tmp_path: Path, good: dict[str, Any]) -> None:
    status, lines = check(write(tmp_path, good))
    assert status == 0, lines
    assert lines == [f"{tmp_path / 'kickbot.yaml'}: OK (platforms: symphony)"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda c: c["symphony"]["bot"]["privateKey"].update(path="/x/key.pem"),
            "symphony.bot.privateKey.path: /x/key.pem does not exist",
        ),
        (lambda c: c.update(store="mysql://db.example/kickbot"), "store: unsupported database URL"),
        (
            lambda c: c.update(store="sqlite:////no/such/dir/kickbot.db"),
            "store: sqlite:////no/such/dir/kickbot.db: the directory /no/such/dir does not exist",
        ),
        (
            lambda c: c["symphony"].pop("host"),
            "symphony.host: required: the pod's host name, e.g. acme.symphony.com",
        ),
        (lambda c: c["symphony"].update(agnet={}), "symphony.agnet: unknown key"),
        (
            lambda c: c["symphony"].update(agent={"scheme": "ftp", "port": "8443"}),
            "symphony.agent.scheme: must be https (or http), not 'ftp'",
        ),
        (lambda c: c["symphony"]["bot"].pop("username"), "symphony.bot.username: required"),
        (lambda c: c.update(symphony=None), "symphony: the section is empty"),
        (
            lambda c: c.pop("symphony"),
            f"no platform configured: add a section for one of {PLATFORM_LIST}",
        ),
        (
            lambda c: c.update(policy={"commands": {"kick": {"room_owner": True}}}),
            "policy.commands.kick.room_owner: unknown key",
        ),
        (
            lambda c: c.update(audit_head_file="/no/such/dir/head.json"),
            "audit_head_file: cannot write /no/such/dir/head.json (its directory /no/such/dir is"
            " missing or not writable)",
        ),
    ],
    ids=[
        "key-file", "mysql", "sqlite-dir", "no-host", "bdk-typo", "scheme", "no-username",
        "empty-section", "no-platform", "policy", "head-file",
    ],
)  # fmt: skip
def test_check_config_names_the_file_and_key_of_what_run_would_fail_on(
    tmp_path: Path, good: dict[str, Any], change: Any, problem: str
) -> None:
    change(good)
    path = write(tmp_path, good)
    for command in ("check-config", "run"):
        status, lines = check(path, command=command)
        assert status == 1, (command, lines)
        assert len(lines) == 1, (command, lines)
        assert lines[0].startswith(f"Error: {path}: {problem}"), (command, lines)


def test_key_files_that_are_not_an_unencrypted_rsa_key(
    tmp_path: Path, good: dict[str, Any]
) -> None:
    bad = tmp_path / "not-a-key.pem"
    bad.write_text("hello\n")
    good["symphony"]["bot"]["privateKey"]["path"] = str(bad)
    status, lines = check(write(tmp_path, good))
    assert status == 1
    assert lines == [
        f"Error: {tmp_path / 'kickbot.yaml'}: symphony.bot.privateKey.path: {bad} is not a PEM"
        " private key (-----BEGIN PRIVATE KEY-----)"
    ]
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    good["symphony"]["bot"]["privateKey"]["path"] = str(ec_key)
    status, lines = check(write(tmp_path, good))
    assert status == 1
    assert lines[0].endswith(f"{ec_key} is not an RSA key (the BDK signs with RS512)")


def test_every_problem_in_one_run(
    tmp_path: Path, good: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KICKBOT_NO_HOST", raising=False)
    monkeypatch.delenv("KICKBOT_NO_USER", raising=False)
    good["store"] = "mysql://db.example/kickbot"
    good["symphony"]["host"] = "${KICKBOT_NO_HOST}"
    good["symphony"]["bot"]["username"] = "${KICKBOT_NO_USER}"
    good["symphony"]["bot"]["privateKey"]["path"] = "/x/key.pem"
    good["policy"] = {"commands": {"kik": {}, "kick": {"users": ["${KICKBOT_NO_HOST}"]}}}
    good["log_level"] = "LOUD"
    good["slack"] = {"mode": "socket", "bot_token": "abc"}
    path = write(tmp_path, good)
    status, lines = check(path)
    assert status == 1
    found = [line.removeprefix(f"Error: {path}: ") for line in lines]
    assert sorted(found) == sorted(
        [
            "symphony.host: environment variable KICKBOT_NO_HOST is not set",
            "symphony.bot.username: environment variable KICKBOT_NO_USER is not set",
            "policy.commands.kick.users[0]: environment variable KICKBOT_NO_HOST is not set",
            "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
            "policy.commands.kik: unknown command (known: cancel, case, confirm, demote, help,"
            " ib-remove, jobs, kick, offboard, undo)",
            "store: unsupported database URL mysql:// (sqlite:///PATH or"
            " postgresql://USER@HOST/DB)",
            "symphony.bot.privateKey.path: /x/key.pem does not exist",
            "slack.bot_token: must be the app's bot token (xoxb-…, OAuth & Permissions page)",
            "slack.app_token: required in socket mode (or set SLACK_APP_TOKEN)",
        ]
    ), lines


def test_every_platform_reports_all_its_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "store": f"sqlite:///{tmp_path}/kickbot.db",
            "rocketchat": {"url": "chat.example.com", "trigger": "/kick"},
            "chime": {"account_id": "", "bot_email": "kickbot"},
            "matrix": {
                "homeserver": "https://matrix.example.org",
                "user_id": "@kickbot:example.org",
                "sync_token_file": f"{tmp_path}/kickbot.yaml/sync.json",
            },
        },
    )
    status, lines = check(path)
    assert status == 1
    found = {line.removeprefix(f"Error: {path}: ").partition(": ")[0] for line in lines}
    assert found == {
        "rocketchat.url",
        "rocketchat.user_id",
        "rocketchat.auth_token",
        "rocketchat.webhook_token",
        "rocketchat.trigger",
        "chime.account_id",
        "chime.bot_id",
        "chime.bot_email",
        "chime.bot_security_token",
        "matrix.access_token",
        "matrix.sync_token_file",
    }, lines
    assert (
        f"Error: {path}: matrix.sync_token_file: {tmp_path}/kickbot.yaml/sync.json:"
        f" {path} is not a directory"
    ) in lines


def test_an_empty_file_is_an_error_for_check_config_and_run(tmp_path: Path) -> None:
    empty = write(tmp_path, "")
    expected = (
        f"Error: {empty}: the file is empty; kickbot needs at least a platform's section"
        f" ({PLATFORM_LIST}): see config/kickbot.yaml"
    )
    assert check(empty) == (1, [expected])
    # As a process: `run` used to open the store and wait for a signal, saying nothing.
    done = run(empty)
    assert (done.returncode, done.stderr.splitlines()) == (1, [expected])
    assert not (tmp_path / "kickbot.db").exists()


def test_a_bad_store_stops_run_before_anything_connects(
    tmp_path: Path, good: dict[str, Any]
) -> None:
    good["store"] = "mysql://db.example/kickbot"
    good["symphony"]["host"] = "127.0.0.1"
    good["symphony"]["port"] = 9  # nothing listens: a connection attempt would fail otherwise
    done = run(write(tmp_path, good))
    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        [
            f"Error: {tmp_path / 'kickbot.yaml'}: store: unsupported database URL mysql://"
            " (sqlite:///PATH or postgresql://USER@HOST/DB)"
        ],
    )


def test_offboard_names_the_file_of_a_platform_problem(
    tmp_path: Path, good: dict[str, Any]
) -> None:
    good["symphony"]["agnet"] = {}
    path = write(tmp_path, good)
    for platform, problem in [
        ("symphony", "symphony.agnet: unknown key (BDK keys: see docs/symphony.md)"),
        ("slack", "slack: not configured in this file"),
    ]:
        args = ["offboard", "bob@example.com", "--platform", platform, "--config", str(path)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert result.output.splitlines() == [f"Error: {path}: {problem}"]


def test_a_store_in_memory_is_a_problem_check_config_names() -> None:
    from bot.preflight import store_problems

    assert store_problems("sqlite:///:memory:") == [
        "store: sqlite:///:memory: is a database in memory: give the SQLite file a path"
    ]
