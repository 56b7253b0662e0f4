"""Pruning: old records go, a signed checkpoint stays, and the cases they covered go with
them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from bot.audit.chain import CHAIN_LOCK, check_key
from bot.audit.checkpoints import sign_checkpoint
from bot.audit.links import AuditError
from bot.audit.verify import check_chain
from bot.store.database import Connection, Database, advisory_lock


async def prune(db: Database, before: str, key: bytes, up_to: int | None = None) -> int:
    """Delete records older than ``before`` (ISO time), and none after ``up_to`` (the
    records every audit sink has acknowledged), leaving a signed checkpoint, and the cases
    (commands and results) whose records go with them. Refused, with nothing deleted, when
    the key does not match the chain (its keyed links, its checkpoints) or the chain is broken
    (pruning would hide the break)."""

    def cut(conn: Connection) -> int:
        advisory_lock(conn, CHAIN_LOCK)
        check_key(conn, key)
        # A store never written with a key is pruned with one (its first checkpoint).
        v = check_chain(conn, key, None, tables=True, strict=False)
        if v.broken is not None or v.mismatches:
            problem = v.first_problem
            raise AuditError(
                f"the audit chain is broken ({problem}): nothing pruned (pruning would hide it)"
            )
        last = conn.row(
            "SELECT seq, hash, link FROM audit_log WHERE at < :before AND seq <= :up_to"
            " ORDER BY seq DESC LIMIT 1",
            {"before": before, "up_to": up_to if up_to is not None else 2**62},
        )
        if last is None:
            return 0
        seq, digest, link = int(last["seq"]), str(last["hash"]), str(last["link"])
        through = {"seq": seq}
        count = int(conn.value("SELECT count(*) FROM audit_log WHERE seq <= :seq", through) or 0)
        conn.execute(
            "INSERT INTO audit_checkpoints"
            " (through_seq, through_hash, pruned, at, signature, through_link)"
            " VALUES (:seq, :hash, :pruned, :at, :signature, :link)",
            {
                "seq": seq,
                "hash": digest,
                "pruned": count,
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "signature": sign_checkpoint(key, seq, digest, count, link),
                "link": link,
            },
        )
        gone = conn.values(
            "SELECT DISTINCT case_id FROM audit_log WHERE seq <= :seq AND kind = 'case'", through
        )
        conn.execute("DELETE FROM audit_log WHERE seq <= :seq", through)
        _drop_cases(conn, gone)
        return count

    return await db.run(cut, atomic=True)


def _drop_cases(conn: Connection, cases: Iterable[int]) -> None:
    """The pruned cases' rows: what ``kickbot audit`` shows is what the chain covers."""
    ids = list(cases)
    for start in range(0, len(ids), 500):
        chunk = {f"c{i}": v for i, v in enumerate(ids[start : start + 500])}
        listed = "(" + ", ".join(f":{k}" for k in chunk) + ")"
        for table, column in (
            ("results", "command_id"),
            ("confirmations", "case_id"),
            ("undo_claims", "case_id"),
            ("undo_claims", "by_case"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {column} IN {listed}", chunk)
        conn.execute(f"DELETE FROM commands WHERE id IN {listed} AND state = 'done'", chunk)
