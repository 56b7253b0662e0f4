"""The audit trail is hash-chained: edits, deletions and reorderings are found and named."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import audit
from bot.store.database import Database
from tests.test_audit_trail import make_cases

REASON = 'spam, "quoted" & naïve — 東京'


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "audit", *args, "--store", url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
async def url(store_url: str) -> str:
    """A store (SQLite, and PostgreSQL when configured) holding 3 closed cases."""
    await make_cases(
        store_url, 3, key=None, reason=REASON
    )  # 3 cases x (case record + 1 result) = 6 records
    return store_url


async def check(url: str, key: bytes | None = None) -> tuple[int, audit.Broken | None]:
    db = Database.connect(url)
    try:
        return await audit.verify(db, key)
    finally:
        await db.close()


async def tamper(url: str, sql: str) -> None:
    db = Database.connect(url)
    try:
        await db.run(lambda conn: conn.execute(sql), atomic=True)
    finally:
        await db.close()


async def test_untouched_log_verifies(url: str) -> None:
    assert await check(url) == (6, None)
    done = cli(url, "verify")
    assert done.returncode == 0
    assert "audit chain intact: 6 records verified" in done.stdout


@pytest.mark.parametrize(
    ("sql", "seq", "why"),
    [
        (
            "UPDATE audit_log SET payload = replace(payload, 'Removed', 'Kept') WHERE seq = 4",
            4,
            "edited",
        ),
        ("DELETE FROM audit_log WHERE seq = 3", 3, "missing (deleted)"),
        (
            "UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 5 WHEN 5 THEN 2 END + 100"
            " WHERE seq IN (2, 5); UPDATE audit_log SET seq = seq - 100 WHERE seq > 100",
            2,
            "reordered",
        ),
    ],
    ids=["edit", "delete", "reorder"],
)
async def test_tampering_is_named(url: str, sql: str, seq: int, why: str) -> None:
    for statement in sql.split(";"):
        await tamper(url, statement)
    _checked, broken = await check(url)
    assert broken is not None
    assert broken.seq == seq
    assert why in broken.why
    done = cli(url, "verify")
    assert done.returncode != 0
    assert f"audit chain broken at record #{seq}" in done.stderr


async def test_export_round_trips(url: str, tmp_path: Path) -> None:
    out_csv, out_json = tmp_path / "a.csv", tmp_path / "a.json"
    assert cli(url, "export", "--format", "csv", "-o", str(out_csv)).returncode == 0
    assert cli(url, "export", "--format", "json", "-o", str(out_json)).returncode == 0
    with out_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    as_json = json.loads(out_json.read_text(encoding="utf-8"))
    assert len(rows) == len(as_json) == 6
    assert rows[0]["kind"] == "case"
    assert rows[0]["reason"] == REASON
    assert rows[1]["kind"] == "result"
    assert rows[1]["target"] == "Zoë 0"
    assert rows[1]["platform_response"] == "200 Removed"
    # every field survives the CSV round trip exactly as in the JSON export
    for from_csv, from_json in zip(rows, as_json, strict=True):
        assert from_csv == {k: str(v) for k, v in from_json.items()}
    assert cli(url, "export", "--since", "2999-01-01", "-o", str(out_csv)).returncode == 0
    assert out_csv.read_text(encoding="utf-8").count("\n") == 1  # header only


async def test_pruning_leaves_a_signed_checkpoint(url: str) -> None:
    db = Database.connect(url)
    try:
        assert await audit.prune(db, "2999-01-01", b"secret") == 6
    finally:
        await db.close()
    # the bot, given the key, goes on from the checkpoint: its key record, then keyed links
    await make_cases(url, 1, first=10, key="secret")
    assert await check(url, b"secret") == (3, None)
    broken = (await check(url, b"wrong key"))[1]
    assert broken is not None
    assert "signature does not match" in broken.why
    broken = (await check(url, None))[1]
    assert broken is not None
    assert "no audit key" in broken.why
    kept = cli(url, "prune", "--days", "30", "--key", "secret")
    assert kept.returncode == 0
    assert "0 records older than 30 days pruned" in kept.stdout
    refused = cli(url, "prune", "--days", "30")
    assert refused.returncode != 0
    assert "pruning needs an audit key" in refused.stderr
