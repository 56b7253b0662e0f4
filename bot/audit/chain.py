"""Writing the chain: ``Chain`` appends records under the chain's lock, checks this process's
key against the chain when a writer opens the store, and hands committed records to its sinks;
where the chain ends, and whether it holds a head kept outside the store."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from bot.audit.checkpoints import newest_checkpoint, signature_ok
from bot.audit.links import (
    GENESIS,
    KEY_ENV,
    KEY_RECORD,
    KEYED,
    PLAIN,
    AuditError,
    Head,
    Record,
    canonical,
    keyed_hash,
    record_hash,
)
from bot.audit.sinks import HeadFile, LogSink, Sink
from bot.store.database import Connection, advisory_lock, storable_json

log = structlog.get_logger(__name__)

CHAIN_LOCK = "audit-chain"
"""Appending, opening as a writer and pruning take this lock, so the chain never forks."""


def _now() -> datetime:
    return datetime.now(UTC)


class Chain:
    """How this process writes the chain: its key (None: plain links) and its sinks."""

    def __init__(
        self,
        key: bytes | None = None,
        sinks: Sequence[Sink] | None = None,
        clock: Callable[[], datetime] = _now,
    ):
        self.key = key
        self.sinks: list[Sink] = list(sinks) if sinks is not None else [LogSink()]
        self.clock = clock
        """The records' time (tests make old records with another clock)."""

    @property
    def head_file(self) -> HeadFile | None:
        return next((s for s in self.sinks if isinstance(s, HeadFile)), None)

    def link(self, prev: str, seq: int, at: str, kind: str, case_id: int, payload: str) -> str:
        if self.key is None:
            return record_hash(prev, seq, at, kind, case_id, payload)
        return keyed_hash(self.key, prev, seq, at, kind, case_id, payload)

    def append(
        self, conn: Connection, case_id: int, entries: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[Record]:
        """Append records (kind, payload) for one case at the end of the chain. Call inside
        an atomic unit (see ``Database.run``): it takes the chain's lock, so concurrent writers
        (other instances on PostgreSQL) append one after another and the chain never forks.
        Hand what it returns to ``published`` once the unit has committed."""
        advisory_lock(conn, CHAIN_LOCK)
        at = self.clock().isoformat(timespec="milliseconds")
        end = chain_end(conn)
        seq, prev = (end.seq, end.hash) if end is not None else (0, GENESIS)
        kind_of_link = PLAIN if self.key is None else KEYED
        if end is not None and end.link == KEYED and self.key is None:
            raise AuditError(
                f"the audit chain's links are keyed (HMAC) up to record #{end.seq}, and no audit"
                f" key is configured: set audit_key or {KEY_ENV} to the key they were made with"
            )
        records = []
        for kind, data in entries:
            seq += 1
            payload = canonical(storable_json(data))  # as the tables hold it (``storable``)
            digest = self.link(prev, seq, at, kind, case_id, payload)
            records.append(Record(seq, at, kind, case_id, payload, prev, digest, kind_of_link))
            prev = digest
        if records:
            conn.execute_many(
                "INSERT INTO audit_log (seq, at, kind, case_id, payload, prev_hash, hash, link)"
                " VALUES (:seq, :at, :kind, :case_id, :payload, :prev_hash, :hash, :link)",
                [_row(r) for r in records],
            )
        return records

    def published(self, records: Sequence[Record]) -> None:
        """Hand committed records to the sinks. A sink that fails is logged: the records are
        in the store, and the removal they describe has happened."""
        if not records:
            return
        for sink in self.sinks:
            try:
                sink.appended(records)
            except Exception as exc:  # a sink's own errors (OSError for a head file)
                log.error("audit sink failed", sink=type(sink).__name__, error=str(exc))

    def start(self, conn: Connection) -> list[Record]:
        """For a writer opening the store (atomically): check this process's key against the
        chain (refuse a missing or wrong key where links are keyed or checkpoints signed; refuse
        a head file the chain does not contain), and when keyed, make the chain's end keyed
        (an ``audit-key`` record). What it returns goes to ``published``."""
        advisory_lock(conn, CHAIN_LOCK)
        check_key(conn, self.key)
        head_file = self.head_file
        if head_file is not None:
            known = head_file.read()
            if known is not None and (problem := head_problem(conn, known)) is not None:
                raise AuditError(
                    f"the audit chain does not hold the head kept in {head_file.path}"
                    f" ({known}): {problem}; run `kickbot audit verify` (if the store was"
                    " restored from a backup on purpose, move the head file aside)"
                )
        end = chain_end(conn)
        if self.key is not None and (end is None or end.link != KEYED):
            return self.append(conn, 0, [(KEY_RECORD, {"link": KEYED})])
        return []

    def started(self, end: Head | None) -> None:
        for sink in self.sinks:
            sink.started(end)


def configured_chain(key: str | None, head_file: str | None) -> Chain:
    """The chain as the settings give it: ``audit_key`` (else ``KICKBOT_AUDIT_KEY``) and
    ``audit_head_file``."""
    secret = key or os.environ.get(KEY_ENV) or None
    sinks: list[Sink] = [LogSink()]
    if head_file:
        sink = HeadFile(Path(head_file))
        sink.check_writable()
        sinks.append(sink)
    return Chain(secret.encode() if secret else None, sinks)


def append(conn: Connection, case_id: int, entries: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Append plain-linked records (a chain with no key and no sinks)."""
    Chain(None, []).append(conn, case_id, entries)


def _row(r: Record) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "at": r.at,
        "kind": r.kind,
        "case_id": r.case_id,
        "payload": r.payload,
        "prev_hash": r.prev_hash,
        "hash": r.hash,
        "link": r.link,
    }


def chain_end(conn: Connection) -> Head | None:
    """The last record's head: of the log, else of the last checkpoint (None: empty)."""
    last = conn.row("SELECT seq, hash, link FROM audit_log ORDER BY seq DESC LIMIT 1")
    if last is not None:
        return Head(int(last["seq"]), str(last["hash"]), str(last["link"]))
    cp = newest_checkpoint(conn)
    if cp is None:
        return None
    return Head(int(cp["through_seq"]), str(cp["through_hash"]), str(cp["through_link"] or PLAIN))


def check_key(conn: Connection, key: bytes | None) -> None:
    """Refuse a key that does not match the chain (the newest keyed link, the newest
    checkpoint), or no key where the chain's links are keyed."""
    keyed = conn.row(
        "SELECT seq, at, kind, case_id, payload, prev_hash, hash FROM audit_log"
        f" WHERE link = '{KEYED}' ORDER BY seq DESC LIMIT 1"
    )
    cp = newest_checkpoint(conn)
    if key is None:
        keyed_through = (
            cp["through_seq"] if cp is not None and cp["through_link"] == KEYED else None
        )
        if keyed is not None or keyed_through is not None:
            where = keyed["seq"] if keyed is not None else keyed_through
            raise AuditError(
                f"the audit chain's links are keyed (HMAC) up to record #{where}, and no audit key"
                f" is configured: set audit_key or {KEY_ENV} to the key they were made with"
                " (writing on without it would downgrade the chain)"
            )
        return
    if keyed is not None:
        digest = keyed_hash(
            key, keyed["prev_hash"], int(keyed["seq"]), keyed["at"], keyed["kind"],
            int(keyed["case_id"]), keyed["payload"],
        )  # fmt: skip
        if not hmac.compare_digest(digest, str(keyed["hash"])):
            raise AuditError(
                f"the audit key does not match the one that made record #{keyed['seq']}'s"
                " keyed link (wrong key, or the record was edited): nothing was changed"
            )
    if cp is not None and not signature_ok(key, cp):
        raise AuditError(
            "the audit key does not match the one that signed the pruning checkpoint through"
            f" record #{cp['through_seq']}: nothing was changed"
        )


def records_are(first: int, last: int) -> str:
    """ "record #3 is" or "records #3–#5 are"."""
    return f"record #{first} is" if first == last else f"records #{first}–#{last} are"


def head_problem(conn: Connection, head: Head) -> str | None:
    """Why the chain does not hold ``head`` (None: it does, or it was pruned under a
    checkpoint)."""
    end = chain_end(conn)
    end_seq = end.seq if end is not None else 0
    if head.seq == 0:
        return None
    if head.seq > end_seq:
        if end_seq == 0:
            return f"the chain is empty, but its head was #{head.seq}: every record is missing"
        return (
            f"the chain ends at #{end_seq}, but its head was #{head.seq}:"
            f" {records_are(end_seq + 1, head.seq)} missing (cut off)"
        )
    found = conn.value("SELECT hash FROM audit_log WHERE seq = :seq", {"seq": head.seq})
    if found is None:
        found = conn.value(
            "SELECT through_hash FROM audit_checkpoints WHERE through_seq = :seq",
            {"seq": head.seq},
        )
    if found is None:
        cp = newest_checkpoint(conn)
        if cp is not None and head.seq < int(cp["through_seq"]):
            return None  # pruned: the checkpoint's signature stands for it
        return f"record #{head.seq} is missing"
    if str(found) != head.hash:
        return (
            f"record #{head.seq}'s hash is not the head's ({str(found)[:12]}… against"
            f" {head.hash[:12]}…): the chain was rewritten up to there"
        )
    return None
