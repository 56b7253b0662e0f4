"""The tamper-evident audit trail: an append-only log whose records are hash-chained.

Each record carries the SHA-256 of the previous record, and its own hash covers its sequence
number, time, kind, case and payload. Editing, deleting or reordering a record breaks the chain
at that record, which ``verify`` names. Pruning old records leaves a checkpoint (the last pruned
sequence number and hash, signed with HMAC-SHA256) so the remaining chain still verifies.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    case_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    through_seq INTEGER PRIMARY KEY,
    through_hash TEXT NOT NULL,
    pruned INTEGER NOT NULL,
    at TEXT NOT NULL,
    signature TEXT NOT NULL
);
"""

GENESIS = "0" * 64


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(prev: str, seq: int, at: str, kind: str, case_id: int, payload: str) -> str:
    body = _canonical([prev, seq, at, kind, case_id, payload])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def append(
    db: aiosqlite.Connection, case_id: int, entries: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """Append records (kind, payload) for one case at the end of the chain. Call inside a
    write transaction (BEGIN IMMEDIATE), so that concurrent writers cannot fork the chain."""
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    async with db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1") as cur:
        last = await cur.fetchone()
    if last is not None:
        seq, prev = last[0], last[1]
    else:
        async with db.execute(
            "SELECT through_seq, through_hash FROM audit_checkpoints"
            " ORDER BY through_seq DESC LIMIT 1"
        ) as cur:
            cp = await cur.fetchone()
        seq, prev = (cp[0], cp[1]) if cp else (0, GENESIS)
    for kind, data in entries:
        seq += 1
        payload = _canonical(data)
        digest = record_hash(prev, seq, at, kind, case_id, payload)
        await db.execute(
            "INSERT INTO audit_log (seq, at, kind, case_id, payload, prev_hash, hash)"
            " VALUES (?,?,?,?,?,?,?)",
            (seq, at, kind, case_id, payload, prev, digest),
        )
        prev = digest


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int
    why: str

    def __str__(self) -> str:
        return f"record #{self.seq}: {self.why}"


def sign(key: bytes, through_seq: int, through_hash: str, pruned: int) -> str:
    msg = _canonical([through_seq, through_hash, pruned]).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


async def verify(db: aiosqlite.Connection, key: bytes | None) -> tuple[int, Broken | None]:
    """(records checked, the first broken record or None)."""
    async with db.execute(
        "SELECT through_seq, through_hash, pruned, signature FROM audit_checkpoints"
        " ORDER BY through_seq DESC LIMIT 1"
    ) as cur:
        cp = await cur.fetchone()
    expected_seq, prev = 1, GENESIS
    if cp is not None:
        if key is None:
            return 0, Broken(cp[0], "a pruning checkpoint exists but no audit key is configured")
        if not hmac.compare_digest(sign(key, cp[0], cp[1], cp[2]), cp[3]):
            return 0, Broken(cp[0], "the pruning checkpoint's signature does not match")
        expected_seq, prev = cp[0] + 1, cp[1]
    checked = 0
    async with db.execute(
        "SELECT seq, at, kind, case_id, payload, prev_hash, hash FROM audit_log ORDER BY seq"
    ) as cur:
        async for seq, at, kind, case_id, payload, prev_hash, digest in cur:
            if seq != expected_seq:
                if seq > expected_seq:
                    return checked, Broken(expected_seq, "missing (deleted)")
                return checked, Broken(seq, "out of sequence")
            if prev_hash != prev:
                return checked, Broken(seq, "does not follow the previous record (reordered?)")
            if record_hash(prev_hash, seq, at, kind, case_id, payload) != digest:
                return checked, Broken(seq, "its content does not match its hash (edited)")
            prev, expected_seq = digest, seq + 1
            checked += 1
    return checked, None


async def prune(db: aiosqlite.Connection, before: str, key: bytes) -> int:
    """Delete records older than ``before`` (ISO time), leaving a signed checkpoint."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        async with db.execute(
            "SELECT seq, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1", (before,)
        ) as cur:
            last = await cur.fetchone()
        if last is None:
            await db.execute("COMMIT")
            return 0
        async with db.execute("SELECT count(*) FROM audit_log WHERE seq <= ?", (last[0],)) as cur:
            row = await cur.fetchone()
        count = int(row[0]) if row else 0
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        await db.execute(
            "INSERT INTO audit_checkpoints (through_seq, through_hash, pruned, at, signature)"
            " VALUES (?,?,?,?,?)",
            (last[0], last[1], count, at, sign(key, last[0], last[1], count)),
        )
        await db.execute("DELETE FROM audit_log WHERE seq <= ?", (last[0],))
        await db.execute("COMMIT")
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    return count


EXPORT_FIELDS = (
    "seq", "at", "kind", "case", "platform", "room", "caller", "caller_id", "command", "text",
    "reason", "outcome", "target", "target_id", "result", "detail", "platform_response", "hash",
)  # fmt: skip


async def export_rows(
    db: aiosqlite.Connection, since: str | None, until: str | None
) -> list[dict[str, Any]]:
    where, args = [], []
    if since:
        where.append("at >= ?")
        args.append(since)
    if until:
        where.append("at < ?")
        args.append(until)
    sql = "SELECT seq, at, kind, case_id, payload, hash FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = []
    async with db.execute(sql + " ORDER BY seq", args) as cur:
        async for seq, at, kind, case_id, payload, digest in cur:
            data = json.loads(payload)
            row = {f: "" for f in EXPORT_FIELDS}
            row.update({k: ("" if v is None else v) for k, v in data.items() if k in row})
            row.update({"seq": seq, "at": at, "kind": kind, "case": case_id, "hash": digest})
            rows.append(row)
    return rows


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
