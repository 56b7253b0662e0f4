"""Fixtures: one bot serving the Symphony pod and the Slack workspace doubles at once (Matrix,
a real Synapse, joins in the process tests), for offboarding on every platform."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.settings import Settings, parse
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from handlers import COMMANDS
from tests import conftest as symphony
from tests.matrix.conftest import synapse, world  # noqa: F401  (Matrix: a real Synapse)
from tests.slack import conftest as slack_kit

SLACK_BOB = slack_kit.BOB
SYMPHONY_BOB = symphony.BOB

POLICY: dict[str, Any] = {
    "commands": {
        "offboard": {"users": ["frank@example.com"]},
        "undo": {"room_owners": True, "users": ["frank@example.com"]},
        "case": {"room_owners": True, "users": ["frank@example.com"]},
    },
}


@pytest.fixture
async def pod() -> AsyncIterator[SymphonyPod]:
    async with symphony.make_pod() as p:
        yield p
        p.assert_no_violations()


@pytest.fixture
async def slack() -> AsyncIterator[SlackWorkspace]:
    async with slack_kit.make_workspace() as workspace:
        yield workspace
        workspace.assert_no_violations()


Maker = Callable[..., Settings]


@pytest.fixture
def settings_for(pod: SymphonyPod, slack: SlackWorkspace, tmp_path: Path) -> Maker:
    key = pod.write_private_key(tmp_path / "bot.pem")

    def make(**overrides: Any) -> Settings:
        data: dict[str, Any] = {
            "store": f"sqlite:///{tmp_path}/kickbot.db",
            "policy": POLICY,
            "symphony": pod.bdk_config(key),
            "slack": slack_kit.slack_section(slack, "http"),
            "offboarding": {"retry_first_seconds": 0.05, "retry_for_minutes": 0.1},
        }
        data.update(overrides)
        return parse(data, [c.name for c in COMMANDS], "test")

    return make


@pytest.fixture
async def app(settings_for: Maker, pod: SymphonyPod) -> AsyncIterator[App]:
    started = App(settings_for())
    await started.start()
    await pod.wait_until_listening()
    yield started
    await started.stop()
