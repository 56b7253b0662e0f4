from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, BOT, Room


def audit(tmp_path: Path, *args: str) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "audit",
            "--store",
            f"sqlite:///{tmp_path}/kickbot.db",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout


async def test_every_command_and_outcome_is_recorded(
    pod: SymphonyPod, desk: Room, bot: App, tmp_path: Path
) -> None:
    await desk.say(ALICE, "/kick @bob @kickbot posting <script> & co")
    await desk.say(BOB, "/kick @alice")
    assert bot.dispatcher is not None
    await bot.dispatcher.drain()  # the reply goes out just before the case is closed
    rows = json.loads(audit(tmp_path, "--json"))
    assert [r["command"] for r in rows] == ["kick", "kick"]
    first = rows[0]
    assert first["caller"] == "Alice Owner"
    assert first["caller_id"] == str(ALICE)
    assert first["room"] == "hJ4x-Kq_ZW9vbQ"
    assert first["outcome"] == "report"
    assert "posting <script> & co" in first["text"]
    assert first["reason"] == "posting <script> & co"
    assert first["received_at"] <= first["finished_at"]
    assert sorted((r["target_id"], r["result"]) for r in first["results"]) == [
        (str(BOT), "refused"),
        (str(BOB), "done"),
    ]
    done = next(r for r in first["results"] if r["result"] == "done")
    assert done["platform_response"] == "200 Member removed"
    assert "reason: posting <script> & co" in done["detail"]
    assert rows[1]["outcome"] == "refused"
    assert rows[1]["results"] == []
    # Filters
    assert [r["case"] for r in json.loads(audit(tmp_path, "--json", "--user", str(BOB)))] == [1, 2]
    assert json.loads(audit(tmp_path, "--json", "--room", "other")) == []
    assert json.loads(audit(tmp_path, "--json", "--since", "2999-01-01")) == []
    text = audit(tmp_path, "--user", "Alice Owner")
    assert "#1" in text
    assert "done" in text
    assert "Bob Member" in text
