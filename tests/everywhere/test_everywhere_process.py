"""``kickbot offboard EMAIL --platform all`` as a real process, against the Symphony pod and
Slack workspace doubles and a real Synapse: the plan, the progress bar and the summary on the
terminal, one case in the store with per-platform, per-room results, then one /undo in chat
that brings the person back everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.app import App
from bot.settings import parse
from bot.store import Store
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from handlers import COMMANDS
from tests import conftest as symphony
from tests.everywhere.conftest import POLICY
from tests.matrix.conftest import World
from tests.slack import conftest as slack_kit
from tests.test_offboard_cli import kickbot


def config(pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp: Path) -> dict[str, Any]:
    identities = tmp / "identities.yaml"
    identities.write_text(
        yaml.safe_dump({"bob@example.com": {"matrix": world.bob.user_id}}), encoding="utf-8"
    )
    return {
        "store": f"sqlite:///{tmp}/kickbot.db",
        "policy": POLICY,
        "symphony": pod.bdk_config(pod.write_private_key(tmp / "bot.pem")),
        "slack": slack_kit.slack_section(slack, "http"),
        "matrix": world.section(),
        "offboarding": {"identity_map": str(identities), "retry_first_seconds": 0.05},
    }


async def test_offboard_everywhere_as_a_process_then_undo_in_chat(
    pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp_path: Path
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)  # Slack forbids it there
    data = config(pod, slack, world, tmp_path)
    path = tmp_path / "kickbot.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    bob = world.bob.user_id

    status, out = await kickbot(
        "offboard", "bob@example.com", "--platform", "all", "--config", str(path),
        "--reason", "left the company", stdin=b"y\n",
    )  # fmt: skip
    assert status == 0, out
    assert "bob@example.com on Symphony, Slack, Matrix" in out, out
    plan, _, after = out.partition("Make these 6 changes (case 1)?")
    assert after, out
    for room in ("Symphony Solo", "Symphony Trading Desk", "Slack desk", "Slack secret"):
        assert f"from “{room}”" in plan, plan
    assert "Would remove " in plan
    assert "“Matrix Ops”" in plan, plan
    assert "“Matrix Old”" in plan, plan
    assert "Offboarding" in after  # the progress bar
    assert "offboarding bob@example.com on 3 platforms, 6 rooms: 6 done." in after, after
    for line in ("Symphony: 2 rooms, 2 done.", "Slack: 2 rooms, 2 done.", "Matrix: 2 rooms"):
        assert line in after, after
    assert symphony.BOB not in pod.room(symphony.DESK).members
    assert symphony.BOB not in pod.room(symphony.SOLO).members
    assert slack_kit.BOB not in slack.members(slack_kit.DESK)
    assert slack_kit.BOB not in slack.members(slack_kit.SECRET)
    assert bob not in await world.joined()
    assert bob not in await world.joined(world.old)

    store = await Store.open(data["store"])
    try:
        (case,) = await store.audit()
        assert case.caller_id.startswith("cli:")
        assert (case.state, case.outcome) == ("done", "report")
        scopes = sorted(str(r["target_id"]).split("/")[0] for r in case.results)
        assert scopes == ["matrix"] * 2 + ["slack"] * 2 + ["symphony"] * 2, scopes
    finally:
        await store.close()

    app = App(parse(data, [c.name for c in COMMANDS], "test"))
    await app.start()
    try:
        await pod.wait_until_listening()
        desk = symphony.Room(pod, symphony.DESK)
        undo = (await desk.say(symphony.FRANK, "/undo 1")).text
        assert "undoing case 1: 6 done" in undo, undo
        assert symphony.BOB in pod.room(symphony.DESK).members
        assert symphony.BOB in pod.room(symphony.SOLO).members
        assert slack_kit.BOB in slack.members(slack_kit.DESK)
        assert slack_kit.BOB in slack.members(slack_kit.SECRET)
        for room in (world.ops, world.old):
            member = await world.hs.state(world.watcher.who, room, "m.room.member", bob)
            assert member["membership"] == "invite"
    finally:
        await app.stop()
