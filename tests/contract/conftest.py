"""The contract table's ``world`` fixture: each test runs once per platform (see ``worlds.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.chime_sdk_world import chime_sdk_world
from tests.contract.chime_world import chime_world
from tests.contract.matrix_world import matrix_world
from tests.contract.rocketchat_world import rocketchat_world
from tests.contract.slack_world import slack_world
from tests.contract.symphony_world import symphony_world
from tests.contract.worlds import NONE, Maker, Options, Policy, Start, World

WORLDS: dict[str, Maker] = {
    "symphony": symphony_world,
    "slack-http": slack_world("http"),
    "slack-socket": slack_world("socket"),
    "rocketchat": rocketchat_world,
    "chime": chime_world,
    "chime_sdk": chime_sdk_world,
    "matrix": matrix_world,
}
"""Every platform's world, a module each (``<platform>_world.py``; Matrix's on a real Synapse),
its types in ``worlds.py``."""


@pytest.fixture
def policy() -> Policy:
    """The world's policy: each platform's tests' own unless a scenario parametrizes this."""
    return None


@pytest.fixture
def options() -> Options:
    """The world's other settings (``notify``...): none unless a scenario parametrizes this."""
    return NONE


@pytest.fixture(params=list(WORLDS))
async def world(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: Policy,
    options: Options,
) -> AsyncIterator[World]:
    only = request.node.get_closest_marker("worlds")
    if only is not None and request.param.split("-")[0] not in only.args:
        pytest.skip(
            f"{request.param}: not one of the worlds this is about ({', '.join(only.args)})"
        )
    async with WORLDS[request.param](Start(tmp_path, monkeypatch, policy, options)) as started:
        yield started
