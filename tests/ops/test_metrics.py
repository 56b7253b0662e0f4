"""``GET /metrics`` of a running kickbot, read with prometheus-client's own parser: the counts
match what was done."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DESK
from tests.ops.process import kickbot_run

POD_OPERATIONS = {"roomInfo", "roomMembers", "usersLookup", "removeMember", "createMessage"}
"""The pod API calls a /kick and a refusal make, as the adapter names them."""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


async def test_metrics_count_what_the_bot_did(pod: SymphonyPod, tmp_path: Path) -> None:
    key = pod.write_private_key(tmp_path / "bot.pem")
    config = {"store": f"sqlite:///{tmp_path}/kickbot.db", "symphony": pod.bdk_config(key)}
    async with kickbot_run(config, tmp_path) as bot:
        await bot.wait_for("/readyz", 200)
        before = samples((await bot.wait_for("/metrics", 200)).text)
        assert value(before, "kickbot_jobs_queued", platform="symphony") == 0
        assert value(before, "kickbot_audit_chain_length") == 0

        pod.say(ALICE, DESK, "/kick @bob")
        assert "Removed @Bob Member." in (await pod.next_message(DESK, timeout=30)).text
        pod.say(ALICE, DESK, "/kcik @bob")  # not a command: refused as malformed
        assert "kcik" in (await pod.next_message(DESK, timeout=30)).text
        assert BOB not in pod.room(DESK).members

        response = await bot.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain; version=")
        found = samples(response.text)
        sym = {"platform": "symphony"}
        assert value(found, "kickbot_commands_total", command="kick", **sym) == 1
        assert value(found, "kickbot_commands_total", command="unknown", **sym) == 1
        kick_report = {"command": "kick", "outcome": "report", **sym}
        assert value(found, "kickbot_cases_answered_total", **kick_report) == 1
        malformed = {"command": "unknown", "reason": "malformed", **sym}
        assert value(found, "kickbot_refusals_total", **malformed) == 1
        remove = {"operation": "removeMember", **sym}  # the pod API's name for the call
        assert value(found, "kickbot_platform_calls_total", status="ok", **remove) == 1
        assert value(found, "kickbot_platform_call_seconds_count", **remove) == 1
        reply = {"operation": "createMessage", "status": "ok", **sym}
        replies = value(found, "kickbot_platform_calls_total", **reply)
        assert replies is not None
        assert replies >= 2  # both answers (reads are counted too)
        operations = {dict(labels).get("operation") for name, labels in found} - {None}
        assert operations <= POD_OPERATIONS, operations - POD_OPERATIONS  # from the code
        assert value(found, "kickbot_platform_rate_limited_total", **sym) == 0
        assert value(found, "kickbot_jobs_running", **sym) == 0
        with contextlib.closing(sqlite3.connect(tmp_path / "kickbot.db")) as db:
            (last,) = db.execute("SELECT MAX(seq) FROM audit_log").fetchone()
        assert last >= 2  # both cases closed, chained
        assert value(found, "kickbot_audit_chain_length") == last
        store_units = value(found, "kickbot_store_unit_seconds_count", result="ok")
        assert store_units is not None
        assert store_units > 0
        for name, labels in found:  # no label holds a user or a room
            for _, label_value in labels:
                assert str(BOB) not in label_value, name
                assert DESK not in label_value, name
        assert await bot.stop() == 0, bot.output()
