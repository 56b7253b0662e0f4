"""``kickbot offboard EMAIL --platform all`` as a real process, against the Symphony pod and
Slack workspace doubles and a real Synapse: the plan, the progress bar and the summary on the
terminal, one case in the store with per-platform, per-room results, then one /undo in chat
that brings the person back everywhere."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.app import App
from bot.settings import parse
from bot.store import Store
from bot.testing.slack.workspace import SlackWorkspace
from bot.testing.symphony import SymphonyPod
from handlers import COMMANDS
from tests.everywhere.kit import assert_out_everywhere, process_config, undo_and_assert_back
from tests.matrix.conftest import World
from tests.slack import conftest as slack_kit
from tests.test_offboard_cli import kickbot


async def test_offboard_everywhere_as_a_process_then_undo_in_chat(
    pod: SymphonyPod, slack: SlackWorkspace, world: World, tmp_path: Path
) -> None:
    slack.channel(slack_kit.GENERAL).members.remove(slack_kit.BOB)  # Slack forbids it there
    data = process_config(pod, slack, world, tmp_path, "http")
    path = tmp_path / "kickbot.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

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
    await assert_out_everywhere(pod, slack, world)

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
        await undo_and_assert_back(pod, slack, world, 1)
    finally:
        await app.stop()
