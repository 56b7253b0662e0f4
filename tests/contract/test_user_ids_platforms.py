"""A person named in the policy by the platform's own user id, not by e-mail address, is known
by it: the same on every platform whose tests give people fixed ids (Matrix makes its accounts
per test; the Chime SDK world's ids are the people's addresses)."""

from __future__ import annotations

import importlib

import pytest

from tests.contract.worlds import Policy, World

PEOPLE = {
    "symphony": "tests.conftest",
    "slack": "tests.slack.conftest",
    "rocketchat": "tests.rocketchat.conftest",
    "chime": "tests.chime.conftest",
}
"""Where each platform's tests name their people's ids (``FRANK``...)."""


@pytest.fixture
def policy(request: pytest.FixtureRequest) -> Policy:
    """Frank, by the id of the world's platform, may kick and is of a rank above owners."""
    module = PEOPLE.get(request.node.callspec.params["world"].split("-")[0])
    if module is None:
        return None
    frank = str(importlib.import_module(module).FRANK)
    return {
        "commands": {"kick": {"room_owners": True, "users": [frank]}},
        "ranks": [{"name": "compliance", "users": [frank]}],
        "protect_named_users": False,
    }


@pytest.mark.worlds(*PEOPLE)
async def test_a_rank_named_by_user_id_outranks_an_owner(world: World) -> None:
    refused = await world.say("alice", world.line("kick", "frank"))
    assert f"{world.shown['frank']} outranks you (compliance above room owner): not touched." in (
        refused
    )
    done = await world.say("frank", world.line("kick", "alice"))
    assert f"Removed {world.shown['alice']}." in done
    assert world.changes() == ["remove alice"]
