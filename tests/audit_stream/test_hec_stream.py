"""`kickbot run` streams the audit chain to a Splunk HEC collector on loopback: every record
once and in order, through the collector's absence and kickbot's SIGKILL; a refused token is
reported by ``kickbot audit stream --status``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.testing.symphony import SymphonyPod
from tests.audit_stream.certs import make_pki
from tests.audit_stream.kit import (
    append,
    chain,
    ready_run,
    status,
    stored,
    taken_then_away,
    until,
)
from tests.audit_stream.receivers import HecReceiver
from tests.conftest import ALICE, BOB, DESK
from tests.ops.process import kickbot_run

TOKEN = "0f3c9a52-6a5e-4c1e-9c0b-7d2f1e8a4b6c"


def config(pod: SymphonyPod, tmp_path: Path, hec: HecReceiver, **sink: Any) -> dict[str, Any]:
    key = pod.write_private_key(tmp_path / "bot.pem")
    return {
        "store": f"sqlite:///{tmp_path}/kickbot.db",
        "symphony": pod.bdk_config(key),
        "audit_sinks": [{
            "type": "splunk_hec", "name": "splunk", "url": hec.url, "token": TOKEN,
            "index": "compliance", "poll_seconds": 0.3, "retry_max_seconds": 1,
            "refused_retry_seconds": 1, "batch_size": 10, **sink,
        }],
    }  # fmt: skip


@contextlib.asynccontextmanager
async def collecting(
    hec: HecReceiver, pod: SymphonyPod, tmp_path: Path, **sink: Any
) -> AsyncIterator[dict[str, Any]]:
    """``hec`` listening, and a config that streams to it; when done, a held answer is let go
    and ``hec`` stops."""
    await hec.start()
    try:
        yield config(pod, tmp_path, hec, **sink)
    finally:
        hec.release.set()
        await hec.stop()


def lag(metrics: str) -> float | None:
    for family in text_string_to_metric_families(metrics):
        for s in family.samples:
            if s.name == "kickbot_audit_sink_lag_records" and s.labels == {"sink": "splunk"}:
                return s.value
    return None


async def test_every_record_once_in_order_over_https(pod: SymphonyPod, tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(pki.cert, pki.key)
    hec = HecReceiver(TOKEN, server)
    async with collecting(hec, pod, tmp_path, ca_file=str(pki.ca)) as cfg:
        url = cfg["store"]
        async with ready_run(cfg, tmp_path) as bot:
            pod.say(ALICE, DESK, "/kick @bob spamming | x=y \\ CEF:0|forged")
            assert "Removed @Bob Member" in (await pod.next_message(DESK, timeout=30)).text
            assert BOB not in pod.room(DESK).members
            await append(url, [{"n": n} for n in range(25)])  # another writer: found by polling
            await until(lambda: len(hec.events) >= 27, what="every record")
            await asyncio.sleep(1)  # nothing more comes
            records = await chain(url)
            assert len(records) == 27  # the case, its result, and the 25 appended
            assert hec.seqs() == [seq for seq, _ in records]  # once each, in order
            assert [e["event"]["hash"] for e in hec.events] == [h for _, h in records]
            case = next(e for e in hec.events if e["event"]["kind"] == "case")
            assert case["event"]["reason"] == "spamming | x=y \\ CEF:0|forged"
            assert case["index"] == "compliance"
            assert (case["source"], case["sourcetype"]) == ("kickbot", "kickbot:audit")
            assert hec.requests >= 3  # batches of at most 10
            metrics = (await bot.get("/metrics")).text
            assert lag(metrics) == 0, metrics
            shown = status(cfg, tmp_path, "--max-lag", "0")
            assert shown.returncode == 0, shown.stderr
            last = records[-1][0]
            assert f"splunk (splunk_hec): acknowledged #{last} of #{last}, 0 behind" in shown.stdout
            assert await bot.stop() == 0, bot.output()
            assert TOKEN not in bot.output()


async def test_records_wait_while_the_collector_is_down(pod: SymphonyPod, tmp_path: Path) -> None:
    hec = HecReceiver(TOKEN)
    async with collecting(hec, pod, tmp_path) as cfg:
        url = cfg["store"]
        async with ready_run(cfg, tmp_path) as bot:
            await taken_then_away(url, "splunk", hec, 40)
            await asyncio.sleep(2)  # several tries fail meanwhile
            shown = status(cfg, tmp_path, "--max-lag", "10")
            assert shown.returncode == 1, shown.stdout
            assert "acknowledged #5 of #40, 35 behind" in shown.stdout, shown.stdout
            assert "last error at" in shown.stdout
            assert "ConnectError" in shown.stdout
            assert "behind by more than 10 records: splunk (35)" in shown.stderr
            assert lag((await bot.get("/metrics")).text) == 35
            await hec.start()  # back, on its port
            await until(lambda: len(hec.events) >= 40, within=30, what="the waiting records")
            assert hec.seqs() == list(range(1, 41))
            shown = status(cfg, tmp_path, "--max-lag", "0")
            assert shown.returncode == 0, shown.stdout
            assert "last error" not in shown.stdout, shown.stdout
            assert await bot.stop() == 0, bot.output()


async def test_sigkill_mid_stream_loses_nothing(pod: SymphonyPod, tmp_path: Path) -> None:
    """Killed while the collector holds its answer to a batch it took (the one window where a
    record is sent twice): after the restart every record is there, and the only copies are
    that batch's, with the same seq and hash. Killed when idle: no copy at all."""
    hec = HecReceiver(TOKEN)
    async with collecting(hec, pod, tmp_path) as cfg:
        url = cfg["store"]
        async with ready_run(cfg, tmp_path) as bot:
            await append(url, [{"n": n} for n in range(10)])
            await until(lambda: len(hec.events) == 10, what="the first batch")
            hec.hold = True
            await append(url, [{"n": n} for n in range(10, 20)])
            await asyncio.wait_for(hec.holding.wait(), 30)
            bot.kill()
            await bot.proc.wait()
        hec.release.set()
        held = list(range(11, 21))
        assert hec.seqs() == list(range(1, 21))
        await append(url, [{"n": n} for n in range(20, 30)])  # while kickbot is down
        async with kickbot_run(cfg, tmp_path) as bot:  # the same store: a restart
            await until(lambda: len(hec.events) >= 40, what="the rest after the restart")
            await bot.wait_for("/readyz", 200)
            assert await bot.stop() == 0, bot.output()
        seqs = hec.seqs()
        assert seqs == list(range(1, 21)) + held + list(range(21, 31))
        by_seq: dict[int, set[str]] = {}
        for e in hec.events:
            by_seq.setdefault(e["event"]["seq"], set()).add(json.dumps(e, sort_keys=True))
        assert all(len(copies) == 1 for copies in by_seq.values())  # a copy is identical

        before = len(hec.events)  # killed when idle: nothing is sent again
        async with ready_run(cfg, tmp_path) as bot:
            await append(url, [{"n": 30}])
            await until(lambda: len(hec.events) == before + 1, what="the next record")
            await stored(url, "splunk", 31)  # its position written: the window is closed
            bot.kill()
            await bot.proc.wait()
        async with ready_run(cfg, tmp_path) as bot:
            await append(url, [{"n": 31}])
            await until(lambda: len(hec.events) == before + 2, what="the record after")
            assert await bot.stop() == 0, bot.output()
        assert hec.seqs()[before:] == [31, 32]


async def test_a_refused_token_is_reported_and_the_records_wait(
    pod: SymphonyPod, tmp_path: Path
) -> None:
    hec = HecReceiver("another-token")
    async with collecting(hec, pod, tmp_path) as cfg:
        url = cfg["store"]
        async with ready_run(cfg, tmp_path) as bot:
            await append(url, [{"n": n} for n in range(3)])
            await until(lambda: hec.refused >= 2, what="a second try")
            shown = status(cfg, tmp_path, "--max-lag", "0")
            assert shown.returncode == 1
            assert "acknowledged #0 of #3, 3 behind" in shown.stdout, shown.stdout
            assert "HTTP 403, code 4: 'Invalid token'" in shown.stdout, shown.stdout
            assert "token is missing, wrong or disabled" in shown.stdout
            assert "refused the records" in bot.output()
            assert TOKEN not in bot.output()
            assert TOKEN not in shown.stdout
            hec.token = TOKEN  # the operator fixes the token on the collector's side
            await until(lambda: len(hec.events) == 3, what="the records, once accepted")
            assert hec.seqs() == [1, 2, 3]
            assert await bot.stop() == 0, bot.output()
