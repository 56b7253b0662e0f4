"""What every platform's test fixtures share: a bot's settings on a double, and a double that
is checked for broken rules when the test is done."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.app import App
from bot.settings import Settings, parse
from bot.testing.aws.double import AwsDouble
from bot.testing.kit import EmulatedServer
from handlers import COMMANDS

ConfigMaker = Callable[..., Settings]

SPINE_POLICY: Mapping[str, Any] = {
    "commands": {
        "ib-remove": {"users": ["frank@example.com"]},
        "undo": {"room_owners": True, "users": ["frank@example.com"]},
    },
    # The spine's tests have owners act on co-owners; rank tests set their own.
    "owners_may_act_on_owners": True,
}
"""The policy of Symphony's and Chime's tests."""


def settings(
    tmp_path: Path, platform: str, section: Any, default_policy: Any, **overrides: Any
) -> Settings:
    """A bot on ``platform`` (its config ``section``), its store in ``tmp_path``, with
    ``default_policy`` unless ``overrides`` (other top-level keys: ``notify``...) hold one."""
    data: dict[str, Any] = {
        "store": f"sqlite:///{tmp_path}/kickbot.db",
        "policy": default_policy,
        platform: section,
    }
    data.update(overrides)
    return parse(data, [c.name for c in COMMANDS], "test")


D = TypeVar("D", bound=EmulatedServer[Any])


@contextlib.asynccontextmanager
async def checked(double: D) -> AsyncIterator[D]:
    """``double`` started; when the test is done, stopped, and no rule it checks was broken."""
    async with double:
        yield double
        double.assert_no_violations()


@contextlib.asynccontextmanager
async def running(starting: Awaitable[App]) -> AsyncIterator[App]:
    """The bot ``starting`` starts (a platform's ``start_bot(...)``), stopped when the block is
    done, whether it passed or failed."""
    app = await starting
    try:
        yield app
    finally:
        await app.stop()


R = TypeVar("R")


def room_fixture(double: str, room: Callable[[Any, str], R], room_id: str) -> Any:
    """A fixture giving ``room(<double>, room_id)`` once the ``bot`` fixture has started the bot;
    ``double`` names the fixture of the platform's double (``pod``, ``chime``, ``server``)."""

    @pytest.fixture
    def fixture(request: pytest.FixtureRequest, bot: object) -> R:
        return room(request.getfixturevalue(double), room_id)

    return fixture


async def cases(app: App) -> int:
    """How many commands the bot has recorded (a case each)."""
    assert app.store is not None
    return len(await app.store.audit())


def lock_store(path: Path) -> sqlite3.Connection:
    """Another process's write transaction: kickbot's store cannot record until it ends."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


AWS_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "CHIME_BOT_SECURITY_TOKEN")


def use_aws_credentials(double: AwsDouble, monkeypatch: Any, tmp_path: Path) -> None:
    """The environment holds ``double``'s credentials and nothing else about AWS: no profile,
    session token or Chime token of the machine's, and none of its own AWS files."""
    for name in AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in double.credentials_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


A = TypeVar("A", bound=AwsDouble)


@contextlib.asynccontextmanager
async def aws_double(double: A, monkeypatch: Any, tmp_path: Path) -> AsyncIterator[A]:
    """``double`` started and ``checked``, its credentials the only AWS ones around."""
    async with checked(double) as started:
        use_aws_credentials(started, monkeypatch, tmp_path)
        yield started
