"""The audit chain checked while kickbot runs (``bot.ops.audit_watch``), on SQLite and
PostgreSQL: a full check, then only the records appended since; a rewritten head, an edit found
by the next full check, pruning past the head checked; and in a real ``kickbot run``, its
metrics read with prometheus-client's parser while ``/readyz`` stays ready."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot import audit
from bot.ops.audit_watch import AuditWatch
from bot.ops.metrics import PrometheusObserver
from bot.platform import Platform
from bot.store import Store
from bot.store.database import Database
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, DESK
from tests.ops.process import kickbot_run
from tests.ops.test_metrics import Samples, samples, value
from tests.test_audit_chain import tamper
from tests.test_audit_trail import make_cases

HOUR = 3600.0
FAILURES = "kickbot_audit_verify_failures_total"


@dataclass
class Opened:
    """What the check reads of ``bot.app.App``: its store, once open."""

    store: Store | None
    platforms: dict[str, Platform] = field(default_factory=dict)
    started: bool = True


@pytest.fixture
async def db(store_url: str) -> AsyncIterator[Database]:
    await make_cases(store_url, 3, key=None)  # 6 records
    database = Database.connect(store_url)
    yield database
    await database.close()


async def watching(url: str, full_every: float = HOUR) -> tuple[AuditWatch, PrometheusObserver]:
    store = await Store.open(url)
    await store.close()  # the watch reads only its URL and key
    metrics = PrometheusObserver([])
    return AuditWatch(Opened(store), metrics, every=HOUR, full_every=full_every), metrics


async def exposed(metrics: PrometheusObserver) -> dict[str, float | None]:
    found = samples((await metrics.exposition(None)).decode())
    return {
        "seq": value(found, "kickbot_audit_verified_seq"),
        "broken": value(found, FAILURES, reason="broken"),
        "error": value(found, FAILURES, reason="error"),
    }


async def test_after_a_full_check_only_the_new_records_are_read(
    db: Database, store_url: str
) -> None:
    watch, metrics = await watching(store_url)
    assert (await exposed(metrics))["seq"] == 0
    first = await watch.check(db, None)
    assert first is not None
    assert (first.checked, first.broken) == (6, None)
    await make_cases(store_url, 1, first=10, key=None)  # 2 more records
    tail = await watch.check(db, None)
    assert tail is not None
    assert (tail.checked, tail.broken) == (2, None)  # not the 6 checked before
    assert await exposed(metrics) == {"seq": 8, "broken": 0, "error": 0}

    await tamper(store_url, "UPDATE audit_log SET hash = 'rewritten' WHERE seq = 8")
    found = await watch.check(db, None)
    assert found is not None
    assert found.broken is not None
    assert "not the head verified before" in found.broken.why
    assert await exposed(metrics) == {"seq": 8, "broken": 1, "error": 0}  # the last good head
    again = await watch.check(db, None)  # a broken chain is checked whole from then on
    assert again is not None
    assert again.broken is not None
    assert (again.broken.seq, again.checked, "edited" in again.broken.why) == (8, 7, True)


async def test_an_edit_before_the_head_is_found_by_the_next_full_check(
    db: Database, store_url: str
) -> None:
    watch, metrics = await watching(store_url)
    await watch.check(db, None)
    await tamper(
        store_url,
        "UPDATE audit_log SET payload = replace(payload, 'Removed', 'Kept') WHERE seq = 2",
    )
    tail = await watch.check(db, None)  # its hash left as it was: the tail check cannot see it
    assert tail is not None
    assert tail.broken is None
    assert watch._last_full is not None
    watch._last_full -= HOUR  # the whole check falls due
    found = await watch.check(db, None)
    assert found is not None
    assert found.broken is not None
    assert (found.broken.seq, "edited" in found.broken.why) == (2, True)
    assert (await exposed(metrics))["broken"] == 1


async def test_pruning_past_the_head_checked_means_a_full_check(
    db: Database, store_url: str
) -> None:
    watch, metrics = await watching(store_url)
    await watch.check(db, None)
    assert await audit.prune(db, "2999-01-01", b"secret") == 6
    await make_cases(store_url, 1, first=10, key="secret")  # the key record, then keyed links
    found = await watch.check(db, b"secret")
    assert found is not None
    assert (found.broken, found.checkpoints, found.checked) == (None, 1, 3)
    assert (await exposed(metrics))["seq"] == 9


async def test_kickbot_run_exposes_the_last_head_found_intact(
    pod: SymphonyPod, tmp_path: Path
) -> None:
    key = pod.write_private_key(tmp_path / "bot.pem")
    config = {"store": f"sqlite:///{tmp_path}/kickbot.db", "symphony": pod.bdk_config(key)}
    every = {"audit_verify_minutes": 0.01}  # every 0.6 s
    async with kickbot_run(config, tmp_path, every) as bot:
        await bot.wait_for("/readyz", 200)
        pod.say(ALICE, DESK, "/kick @bob")
        assert "Removed @Bob Member." in (await pod.next_message(DESK, timeout=30)).text
        found = await scraped(bot.get, caught_up)  # the case and its result chained, checked
        last = int(value(found, "kickbot_audit_verified_seq") or 0)
        assert value(found, FAILURES, reason="broken") == 0
        verified_at = value(found, "kickbot_audit_last_verified_timestamp_seconds")
        assert verified_at is not None
        assert verified_at > 0

        with contextlib.closing(sqlite3.connect(tmp_path / "kickbot.db")) as conn:
            conn.execute("UPDATE audit_log SET hash = 'rewritten' WHERE seq = ?", (last,))
            conn.commit()
        found = await scraped(bot.get, lambda f: (value(f, FAILURES, reason="broken") or 0) >= 1)
        assert value(found, "kickbot_audit_verified_seq") == last
        assert "the audit chain is broken" in bot.output()
        assert (await bot.get("/readyz")).status_code == 200  # moderation goes on
        assert await bot.stop() == 0, bot.output()


def caught_up(found: Samples) -> bool:
    """The chain holds the case closed and its result, and the last check found it all intact."""
    length = value(found, "kickbot_audit_chain_length") or 0
    return length >= 2 and value(found, "kickbot_audit_verified_seq") == length


async def scraped(
    get: Callable[[str], Awaitable[httpx.Response]],
    until: Callable[[Samples], bool],
    within: float = 30,
) -> Samples:
    """Scrape ``/metrics`` until ``until(samples)`` holds; those samples."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = samples((await get("/metrics")).text)
        if until(found):
            return found
        if loop.time() > deadline:
            raise TimeoutError(f"the metrics never showed it: {found}")
        await asyncio.sleep(0.3)
