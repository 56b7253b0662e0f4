"""What the tests of kickbot as a process offboarding on all three platforms share: its
settings, and Bob out of every room he was offboarded from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.testing.slack.config import Mode
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from tests import conftest as symphony
from tests.everywhere.conftest import POLICY
from tests.matrix.conftest import World
from tests.slack import conftest as slack_kit


def process_config(
    pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp: Path, slack_mode: Mode
) -> dict[str, Any]:
    """Settings for kickbot as a process of its own on the Symphony pod, the Slack workspace
    (in ``slack_mode``) and Synapse, Bob's Matrix id given by an identity map written in
    ``tmp``."""
    identities = tmp / "identities.yaml"
    identities.write_text(
        yaml.safe_dump({"bob@example.com": {"matrix": world.bob.user_id}}), encoding="utf-8"
    )
    return {
        "store": f"sqlite:///{tmp}/kickbot.db",
        "policy": POLICY,
        "symphony": pod.bdk_config(pod.write_private_key(tmp / "bot.pem")),
        "slack": slack_kit.slack_section(slack, slack_mode),
        "matrix": world.section(),
        "offboarding": {"identity_map": str(identities), "retry_first_seconds": 0.05},
    }


async def assert_out_everywhere(pod: SymphonyPod, slack: SlackWorkspace, world: World) -> None:
    """Bob is out of the two rooms of each platform he is offboarded from."""
    assert symphony.BOB not in pod.room(symphony.DESK).members
    assert symphony.BOB not in pod.room(symphony.SOLO).members
    assert slack_kit.BOB not in slack.members(slack_kit.DESK)
    assert slack_kit.BOB not in slack.members(slack_kit.SECRET)
    assert world.bob.user_id not in await world.joined()
    assert world.bob.user_id not in await world.joined(world.old)


async def undo_and_assert_back(
    pod: SymphonyPod, slack: SlackWorkspace, world: World, case: int
) -> None:
    """``/undo`` of ``case`` in the Symphony desk brings Bob back everywhere (invited back
    on Matrix)."""
    desk = symphony.Room(pod, symphony.DESK)
    undone = (await desk.say(symphony.FRANK, f"/undo {case}")).text
    assert f"undoing case {case}: 6 done" in undone, undone
    assert symphony.BOB in pod.room(symphony.DESK).members
    assert symphony.BOB in pod.room(symphony.SOLO).members
    assert slack_kit.BOB in slack.members(slack_kit.DESK)
    assert slack_kit.BOB in slack.members(slack_kit.SECRET)
    for room in (world.ops, world.old):
        member = await world.hs.state(world.watcher.who, room, "m.room.member", world.bob.user_id)
        assert member["membership"] == "invite"
