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

from bot.store.database import Connection, Database, Row, advisory_lock, storable

GENESIS = "0" * 64
CHAIN_LOCK = "audit-chain"


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(prev: str, seq: int, at: str, kind: str, case_id: int, payload: str) -> str:
    body = _canonical([prev, seq, at, kind, case_id, payload])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(conn: Connection, case_id: int, entries: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Append records (kind, payload) for one case at the end of the chain. Call inside an
    atomic unit (see ``Database.run``): it takes the chain's lock, so concurrent writers (other
    instances on PostgreSQL) append one after another and the chain never forks."""
    advisory_lock(conn, CHAIN_LOCK)
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    seq, prev = _chain_end(conn)
    rows = []
    for kind, data in entries:
        seq += 1
        payload = storable(_canonical(data))  # hashed as stored (see ``storable``)
        digest = record_hash(prev, seq, at, kind, case_id, payload)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "kind": kind,
                "case_id": case_id,
                "payload": payload,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if rows:
        conn.execute_many(
            "INSERT INTO audit_log (seq, at, kind, case_id, payload, prev_hash, hash)"
            " VALUES (:seq, :at, :kind, :case_id, :payload, :prev_hash, :hash)",
            rows,
        )


def _chain_end(conn: Connection) -> tuple[int, str]:
    """The last record's (seq, hash): of the log, else of the last checkpoint, else genesis."""
    last = conn.row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    if last is not None:
        return int(last["seq"]), str(last["hash"])
    cp = _checkpoint(conn)
    return (int(cp["through_seq"]), str(cp["through_hash"])) if cp is not None else (0, GENESIS)


def _checkpoint(conn: Connection) -> Row | None:
    return conn.row(
        "SELECT through_seq, through_hash, pruned, at, signature FROM audit_checkpoints"
        " ORDER BY through_seq DESC LIMIT 1"
    )


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int
    why: str

    def __str__(self) -> str:
        return f"record #{self.seq}: {self.why}"


def sign(key: bytes, through_seq: int, through_hash: str, pruned: int) -> str:
    msg = _canonical([through_seq, through_hash, pruned]).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


async def verify(db: Database, key: bytes | None) -> tuple[int, Broken | None]:
    """(records checked, the first broken record or None)."""

    def check(conn: Connection) -> tuple[int, Broken | None]:
        cp = _checkpoint(conn)
        expected_seq, prev = 1, GENESIS
        if cp is not None:
            through, through_hash = int(cp["through_seq"]), str(cp["through_hash"])
            if key is None:
                why = "a pruning checkpoint exists but no audit key is configured"
                return 0, Broken(through, why)
            signature = sign(key, through, through_hash, int(cp["pruned"]))
            if not hmac.compare_digest(signature, str(cp["signature"])):
                return 0, Broken(through, "the pruning checkpoint's signature does not match")
            expected_seq, prev = through + 1, through_hash
        checked = 0
        rows = conn.stream(
            "SELECT seq, at, kind, case_id, payload, prev_hash, hash FROM audit_log ORDER BY seq"
        )
        for seq, at, kind, case_id, payload, prev_hash, digest in rows:
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

    return await db.run(check)


async def prune(db: Database, before: str, key: bytes) -> int:
    """Delete records older than ``before`` (ISO time), leaving a signed checkpoint."""

    def cut(conn: Connection) -> int:
        advisory_lock(conn, CHAIN_LOCK)
        last = conn.row(
            "SELECT seq, hash FROM audit_log WHERE at < :before ORDER BY seq DESC LIMIT 1",
            {"before": before},
        )
        if last is None:
            return 0
        seq, digest = int(last["seq"]), str(last["hash"])
        through = {"seq": seq}
        count = int(conn.value("SELECT count(*) FROM audit_log WHERE seq <= :seq", through) or 0)
        conn.execute(
            "INSERT INTO audit_checkpoints (through_seq, through_hash, pruned, at, signature)"
            " VALUES (:seq, :hash, :pruned, :at, :signature)",
            {
                "seq": seq,
                "hash": digest,
                "pruned": count,
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "signature": sign(key, seq, digest, count),
            },
        )
        conn.execute("DELETE FROM audit_log WHERE seq <= :seq", through)
        return count

    return await db.run(cut, atomic=True)


EXPORT_FIELDS = (
    "seq", "at", "kind", "case", "platform", "room", "caller", "caller_id", "command", "text",
    "reason", "outcome", "target", "target_id", "result", "detail", "platform_response", "hash",
)  # fmt: skip


async def export_rows(db: Database, since: str | None, until: str | None) -> list[dict[str, Any]]:
    where = [w for w, given in (("at >= :since", since), ("at < :until", until)) if given]
    query = (
        "SELECT seq, at, kind, case_id, payload, hash FROM audit_log"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY seq"
    )

    def read(conn: Connection) -> list[dict[str, Any]]:
        rows = []
        params = {"since": since, "until": until}
        for seq, at, kind, case_id, payload, digest in conn.stream(query, params):
            data = json.loads(payload)
            row = {f: "" for f in EXPORT_FIELDS}
            row.update({k: ("" if v is None else v) for k, v in data.items() if k in row})
            row.update({"seq": seq, "at": at, "kind": kind, "case": case_id, "hash": digest})
            rows.append(row)
        return rows

    return await db.run(read)


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
