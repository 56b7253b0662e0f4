"""Names in replies and records come from the platform's user record for the id, never from a
mention's visible text (which the sender's client writes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.app import App
from bot.testing.symphony import SymphonyPod
from bot.testing.symphony.messageml import mention_entity
from tests.conftest import ALICE, BOB, DESK, Room, changes
from tests.test_audit import audit

FORGED = (
    '<div data-format="PresentationML" data-version="2.0">/kick '
    '<span class="entity" data-entity-id="0">@Frank Compliance</span> spamming</div>'
)


def export_csv(tmp_path: Path) -> str:
    exported = tmp_path / "export.csv"
    store = f"sqlite:///{tmp_path}/kickbot.db"
    subprocess.run(
        [sys.executable, "-m", "bot", "audit", "export", "--store", store, "--format", "csv",
         "-o", str(exported)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return exported.read_text(encoding="utf-8")


async def test_a_forged_mention_text_names_nobody(
    pod: SymphonyPod, desk: Room, bot: App, tmp_path: Path
) -> None:
    pod.send_raw(ALICE, DESK, FORGED, json.dumps({"0": mention_entity(BOB)}))
    reply = await pod.next_message(DESK)
    assert BOB not in desk.members  # the id decides who is removed
    assert "Removed @Bob Member — reason: spamming" in reply.text
    assert "Frank" not in reply.text
    assert changes(pod) == ["POST /pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/remove"]

    # /case quotes the command as it was typed (evidence of the forged text); every line
    # about the target names the person the platform says the id is.
    case = (await desk.say(ALICE, "/case 1")).text
    assert "• Bob Member — done: Removed @Bob Member — reason: spamming" in case
    assert "Frank Compliance —" not in case

    assert bot.dispatcher is not None
    await bot.dispatcher.drain()
    (row,) = [r for r in json.loads(audit(tmp_path, "--json")) if r["command"] == "kick"]
    (result,) = row["results"]
    assert (result["target_id"], result["target"]) == (str(BOB), "Bob Member")
    assert "Frank" not in result["detail"]
    assert "Frank Compliance —" not in audit(tmp_path)

    lines = [ln for ln in export_csv(tmp_path).splitlines() if str(BOB) in ln]
    assert lines
    assert all("Bob Member" in ln for ln in lines)
    assert not any("Frank Compliance —" in ln or "Frank Compliance," in ln for ln in lines)


async def test_an_id_the_pod_does_not_know_keeps_no_name(pod: SymphonyPod, desk: Room) -> None:
    pod.send_raw(ALICE, DESK, FORGED, json.dumps({"0": mention_entity(4242)}))
    reply = await pod.next_message(DESK)
    assert "Frank" not in reply.text
    assert "@4242 is not a member of this room" in reply.text
    assert changes(pod) == []
