"""Platform API calls are counted by the API's own name for the operation, on every platform:
a /kick's removal is one ``kickbot_platform_calls_total{operation=…, status="ok"}`` and one
latency observation of that operation, read with prometheus-client's parser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import telemetry
from bot.ops.metrics import PrometheusObserver
from tests.contract.worlds import World
from tests.ops.test_metrics import samples, value

REMOVAL = {
    "symphony": {"removeMember"},
    "slack": {"conversations.kick"},
    "rocketchat": {"channels.kick", "groups.kick"},
    "matrix": {"kick"},
    "chime": {"DeleteRoomMembership"},
    "chime_sdk": {"DeleteChannelMembership"},
}
"""The API operation that removes a member, as each platform's API names it."""


def platform_of(world: World) -> str:
    assert world.app is not None
    return world.app.settings.enabled_platforms()[0]


@pytest.fixture
def metrics(world: World) -> Iterator[PrometheusObserver]:
    observer = PrometheusObserver([platform_of(world)])
    telemetry.install(observer)
    yield observer
    telemetry.install(telemetry.Observer())


async def test_a_removal_is_counted_by_its_api_operation(
    world: World, metrics: PrometheusObserver
) -> None:
    reply = await world.say("alice", world.line("kick", "bob"))
    assert "bob" not in world.members(), reply
    found = samples((await metrics.exposition(None)).decode())
    calls = {
        dict(labels)["operation"]: number
        for (name, labels), number in found.items()
        if name == "kickbot_platform_calls_total" and ("status", "ok") in labels
    }
    platform = platform_of(world)
    removals = REMOVAL[platform] & set(calls)
    assert len(removals) == 1, calls
    (removal,) = removals
    assert calls[removal] == 1
    timed = value(
        found, "kickbot_platform_call_seconds_count", platform=platform, operation=removal
    )
    assert timed == 1
    assert len(calls) > 1, calls  # the reads and the reply are counted too
