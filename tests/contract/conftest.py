"""The contract table's ``world`` fixture: each test runs once per platform (see ``worlds.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.worlds import NONE, WORLDS, Options, Policy, World


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
    async with WORLDS[request.param](tmp_path, monkeypatch, policy, options) as started:
        yield started
