"""What the operations endpoint reads of the store (``Store.answers``, ``Store.counts``), on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.outcome import OutcomeKind
from bot.store import Store
from tests.stores import opened
from tests.test_store_jobs import A, claimed, record


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    async with opened(store_url) as s:
        yield s


async def test_counts_follow_cases_from_queued_to_closed(store: Store) -> None:
    await store.answers()
    empty = await store.counts()
    assert (empty.queued, empty.running, empty.audit_records) == ({}, {}, 0)
    first, second = await record(store), await record(store, room="elsewhere")
    assert (await store.counts()).queued == {"symphony": 2}
    assert await claimed(store, A) == first
    counts = await store.counts()
    assert (counts.queued, counts.running) == ({"symphony": 1}, {"symphony": 1})
    await store.finish(first, OutcomeKind.REPORT, "done")
    done = await store.counts()
    assert (done.queued, done.running) == ({"symphony": 1}, {})
    assert done.audit_records >= 1  # the closed case is chained
    assert second > first


async def test_a_closed_store_does_not_answer(store_url: str) -> None:
    s = await Store.open(store_url)
    await s.close()
    with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's own error, whichever
        await s.answers()
