"""The tamper-evident audit trail: an append-only log whose records are hash-chained.

Each record carries the hash of the previous record, and its own hash covers its sequence
number, time, kind, case and payload. Editing, deleting or reordering a record breaks the chain
at that record, which ``verify`` names.

A link is one of two kinds, marked in each record (``link``):

- ``sha256``: a plain SHA-256 of the record. Anyone can recompute it, so someone who can write
  the store can edit a record and recompute every later hash.
- ``hmac-sha256``: an HMAC-SHA256 under the audit key (``audit_key`` / ``KICKBOT_AUDIT_KEY``).
  Without the key nobody can rebuild the chain. Records made before the key was set stay plain;
  a writer with the key appends a keyed ``audit-key`` record first, so the chain of a store
  opened with the key always ends in a keyed link. A plain link after a keyed one, or a chain
  that ends plain while the verifier holds the key, is a downgrade: ``verify`` names it, and the
  bot refuses to start without the key on a store whose links are keyed.

The chain's head (sequence number and hash) also leaves the store after each append, through the
chain's sinks: a log line (``audit appended``) and, when configured, a head file. ``verify``
given a head finds a tail cut off (records deleted from the end, or all of them).

Pruning old records leaves a checkpoint (the last pruned sequence number and hash, signed with
HMAC-SHA256) so the remaining chain still verifies; checkpoints count the records each one
covers, so a deleted checkpoint is noticed.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import structlog

from bot.errors import ConfigError, KickbotError
from bot.reply import from_json, plain
from bot.store.database import Connection, Database, advisory_lock

log = structlog.get_logger(__name__)

GENESIS = "0" * 64
CHAIN_LOCK = "audit-chain"
PLAIN = "sha256"
KEYED = "hmac-sha256"
LINKS = (PLAIN, KEYED)
KEY_RECORD = "audit-key"
"""The kind of the record a keyed writer appends when the chain's end is not keyed yet: from
there on every link is keyed."""
KEY_ENV = "KICKBOT_AUDIT_KEY"


class AuditError(KickbotError):
    """The audit chain cannot be written or pruned safely (a key missing or wrong, a chain
    broken); nothing was changed."""


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(prev: str, seq: int, at: str, kind: str, case_id: int, payload: str) -> str:
    """A plain link: SHA-256 of the record."""
    body = _canonical([prev, seq, at, kind, case_id, payload])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def keyed_hash(
    key: bytes, prev: str, seq: int, at: str, kind: str, case_id: int, payload: str
) -> str:
    """A keyed link: HMAC-SHA256 of the record under the audit key."""
    body = _canonical([prev, seq, at, kind, case_id, payload, KEYED])
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    """The end of the chain: the last record's sequence number and hash (its link kind)."""

    seq: int
    hash: str
    link: str = PLAIN

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "link": self.link}

    @classmethod
    def parse(cls, text: str) -> Head:
        """``SEQ:HASH``, or a head file's JSON (``{"seq": …, "hash": …}``)."""
        text = text.strip()
        try:
            if text.startswith("{"):
                data = json.loads(text)
                head = cls(int(data["seq"]), str(data["hash"]), str(data.get("link", PLAIN)))
            else:
                seq, _, digest = text.partition(":")
                head = cls(int(seq), digest.strip().lower())
        except (ValueError, KeyError, TypeError):
            head = cls(0, "")
        if (
            head.seq < 0
            or len(head.hash) != 64
            or any(c not in "0123456789abcdef" for c in head.hash)
        ):
            raise ConfigError(
                f"not an audit head: {text[:80]!r} (expected SEQ:HASH, a sequence number and"
                " 64 hex digits, or a head file's JSON)"
            )
        return head


@dataclass(frozen=True, slots=True)
class Record:
    """One record as appended."""

    seq: int
    at: str
    kind: str
    case_id: int
    payload: str
    prev_hash: str
    hash: str
    link: str

    @property
    def head(self) -> Head:
        return Head(self.seq, self.hash, self.link)


class Sink(Protocol):
    """Where appended records go once their transaction has committed (outside the store)."""

    def appended(self, records: Sequence[Record]) -> None: ...

    def started(self, head: Head | None) -> None:
        """The chain's end when a writer opens the store (None: an empty chain)."""
        ...


class LogSink:
    """A structured log line per append (``audit appended`` with the new head), and one at
    start (``audit chain head``): ship the log elsewhere and it keeps the heads."""

    def appended(self, records: Sequence[Record]) -> None:
        if records:
            head = records[-1]
            log.info(
                "audit appended",
                seq=head.seq,
                hash=head.hash,
                link=head.link,
                case=head.case_id,
                records=len(records),
            )

    def started(self, head: Head | None) -> None:
        if head is not None:
            log.info("audit chain head", seq=head.seq, hash=head.hash, link=head.link)


class HeadFile:
    """The chain's head in a file (JSON: seq, hash, link, at), replaced after each append.
    A head older than the one in the file is never written over it."""

    def __init__(self, path: Path):
        self.path = path
        self._last = 0

    def read(self) -> Head | None:
        """The head in the file; None when there is no file."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(
                f"cannot read the audit head file {self.path}: {exc.strerror}"
            ) from None
        try:
            return Head.parse(text)
        except ConfigError as exc:
            raise ConfigError(f"audit head file {self.path}: {exc}") from None

    def check_writable(self) -> None:
        directory = self.path.parent
        if not directory.is_dir() or not os.access(directory, os.W_OK):
            raise ConfigError(
                f"audit_head_file: cannot write {self.path} (its directory {directory} is"
                " missing or not writable)"
            )

    def started(self, head: Head | None) -> None:
        known = self.read()
        self._last = known.seq if known is not None else 0
        self._write(head if head is not None else Head(0, GENESIS))

    def appended(self, records: Sequence[Record]) -> None:
        if records:
            self._write(records[-1].head)

    def _write(self, head: Head) -> None:
        if head.seq <= self._last and self.path.exists():
            return
        data = {**head.to_json(), "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        fd, tmp = tempfile.mkstemp(prefix=".kickbot-head-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(data) + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last = head.seq


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
            payload = _canonical(data)
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
    cp = _newest_checkpoint(conn)
    if cp is None:
        return None
    return Head(int(cp["through_seq"]), str(cp["through_hash"]), str(cp["through_link"] or PLAIN))


_CHECKPOINT_COLUMNS = "through_seq, through_hash, pruned, at, signature, through_link"


def _newest_checkpoint(conn: Connection) -> dict[str, Any] | None:
    return conn.row(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1"
    )


def sign(key: bytes, through_seq: int, through_hash: str, pruned: int) -> str:
    """A checkpoint's signature as the first releases made it (no link kind)."""
    msg = _canonical([through_seq, through_hash, pruned]).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def sign_checkpoint(key: bytes, through_seq: int, through_hash: str, pruned: int, link: str) -> str:
    msg = _canonical(["checkpoint", through_seq, through_hash, pruned, link]).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def _signature_ok(key: bytes, cp: dict[str, Any]) -> bool:
    seq, digest, pruned = int(cp["through_seq"]), str(cp["through_hash"]), int(cp["pruned"])
    link = cp["through_link"]
    expected = (
        sign(key, seq, digest, pruned)
        if link is None
        else sign_checkpoint(key, seq, digest, pruned, str(link))
    )
    return hmac.compare_digest(expected, str(cp["signature"]))


def check_key(conn: Connection, key: bytes | None) -> None:
    """Refuse a key that does not match the chain (the newest keyed link, the newest
    checkpoint), or no key where the chain's links are keyed."""
    keyed = conn.row(
        "SELECT seq, at, kind, case_id, payload, prev_hash, hash FROM audit_log"
        f" WHERE link = '{KEYED}' ORDER BY seq DESC LIMIT 1"
    )
    cp = _newest_checkpoint(conn)
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
    if cp is not None and not _signature_ok(key, cp):
        raise AuditError(
            "the audit key does not match the one that signed the pruning checkpoint through"
            f" record #{cp['through_seq']}: nothing was changed"
        )


def _records(first: int, last: int) -> str:
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
            f" {_records(end_seq + 1, head.seq)} missing (cut off)"
        )
    found = conn.value("SELECT hash FROM audit_log WHERE seq = :seq", {"seq": head.seq})
    if found is None:
        found = conn.value(
            "SELECT through_hash FROM audit_checkpoints WHERE through_seq = :seq",
            {"seq": head.seq},
        )
    if found is None:
        cp = _newest_checkpoint(conn)
        if cp is not None and head.seq < int(cp["through_seq"]):
            return None  # pruned: the checkpoint's signature stands for it
        return f"record #{head.seq} is missing"
    if str(found) != head.hash:
        return (
            f"record #{head.seq}'s hash is not the head's ({str(found)[:12]}… against"
            f" {head.hash[:12]}…): the chain was rewritten up to there"
        )
    return None


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int
    why: str

    def __str__(self) -> str:
        return f"record #{self.seq}: {self.why}" if self.seq else self.why


@dataclass(slots=True)
class Verification:
    """What ``verify`` found."""

    checked: int = 0
    """Records whose links were checked, up to the first broken one."""
    broken: Broken | None = None
    """The first break in the chain itself (links, checkpoints, key, head)."""
    plain: int = 0
    keyed: int = 0
    checkpoints: int = 0
    head: Head | None = None
    """The chain's end, as checked."""
    cases: int = 0
    results: int = 0
    """Closed cases and their per-target results found to match the chain."""
    mismatches: list[Broken] = field(default_factory=list)
    """Rows of ``commands`` and ``results`` (what ``kickbot audit`` and ``/case`` show) that
    differ from the chain, each with the audit record concerned (0: none)."""

    @property
    def intact(self) -> bool:
        return self.broken is None and not self.mismatches

    @property
    def first_problem(self) -> Broken | None:
        return self.broken or (self.mismatches[0] if self.mismatches else None)


_CASE_FIELDS = (
    "platform", "room", "caller", "caller_id", "command", "text", "reason", "outcome",
    "received_at", "finished_at", "reply",
)  # fmt: skip
_RESULT_FIELDS = ("target", "result", "detail", "platform_response", "at")


def _check_checkpoints(conn: Connection, key: bytes | None, v: Verification) -> Head | None:
    """Every checkpoint signed, and together covering #1 to the newest without a gap."""
    covered, end = 0, None
    checkpoints = conn.rows(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY through_seq"
    )
    for cp in checkpoints:
        through = int(cp["through_seq"])
        if key is None:
            v.broken = Broken(through, "a pruning checkpoint exists but no audit key is configured")
            return None
        if not _signature_ok(key, cp):
            v.broken = Broken(through, "the pruning checkpoint's signature does not match")
            return None
        if int(cp["pruned"]) != through - covered:
            v.broken = Broken(
                covered + 1,
                f"{_records(covered + 1, through - int(cp['pruned']))} pruned, but no"
                " checkpoint covers them (a checkpoint was deleted)",
            )
            return None
        covered = through
        end = Head(through, str(cp["through_hash"]), str(cp["through_link"] or PLAIN))
        v.checkpoints += 1
    return end


def _walk(
    conn: Connection, key: bytes | None, v: Verification, start: Head | None
) -> dict[int, dict[str, Any]]:
    """Check each record's link; the case and result records, by case."""
    expected_seq, prev = (start.seq + 1, start.hash) if start is not None else (1, GENESIS)
    last_link = start.link if start is not None else PLAIN
    by_case: dict[int, dict[str, Any]] = {}
    rows = conn.stream(
        "SELECT seq, at, kind, case_id, payload, prev_hash, hash, link FROM audit_log ORDER BY seq"
    )
    for seq, at, kind, case_id, payload, prev_hash, digest, link in rows:
        if v.broken is not None:
            continue  # read to the end (a stream is left whole)
        if seq != expected_seq:
            if seq > expected_seq:
                gap = f"#{expected_seq}" + (f"–#{seq - 1}" if seq - 1 > expected_seq else "")
                why = (
                    f"missing (deleted): the chain goes on at #{seq}, and no pruning checkpoint"
                    f" covers {gap} (if pruned, its checkpoint was deleted)"
                )
                v.broken = Broken(expected_seq, why)
            else:
                v.broken = Broken(seq, "out of sequence")
            continue
        if prev_hash != prev:
            v.broken = Broken(seq, "does not follow the previous record (reordered?)")
            continue
        if link == KEYED:
            if key is None:
                v.broken = Broken(
                    seq, f"its link is keyed (HMAC): verify needs the audit key ({KEY_ENV})"
                )
                continue
            ok = hmac.compare_digest(
                keyed_hash(key, prev_hash, seq, at, kind, case_id, payload), str(digest)
            )
        elif link == PLAIN:
            if last_link == KEYED:
                v.broken = Broken(
                    seq,
                    "a plain SHA-256 link after keyed ones: written without the key, or the"
                    " chain was rewritten (downgraded)",
                )
                continue
            ok = record_hash(prev_hash, seq, at, kind, case_id, payload) == digest
        else:
            v.broken = Broken(seq, f"unknown link kind {link!r}")
            continue
        if not ok:
            why = "its content does not match its hash (edited)"
            if link == KEYED:
                why += ", or the audit key is not the one the chain was made with"
            v.broken = Broken(seq, why)
            continue
        if kind in ("case", "result"):
            entry = by_case.setdefault(case_id, {"case": None, "results": {}})
            data = json.loads(payload)
            if kind == "case":
                if entry["case"] is not None:
                    v.mismatches.append(Broken(seq, f"case #{case_id} is in the chain twice"))
                entry["case"] = (seq, data)
            else:
                entry["results"][str(data.get("target_id"))] = (seq, data)
        if link == KEYED:
            v.keyed += 1
        else:
            v.plain += 1
        last_link = link
        prev, expected_seq = digest, seq + 1
        v.checked += 1
        v.head = Head(seq, str(digest), str(link))
    return by_case


def _compare_tables(conn: Connection, by_case: dict[int, dict[str, Any]], v: Verification) -> None:
    """Each closed case and its results, as ``kickbot audit`` and ``/case`` show them, against
    the chain; and each case and result record of the chain against the tables."""
    seen: set[int] = set()
    for row in conn.stream(
        "SELECT id, platform, room, caller_label, caller_id, command, text, reason, outcome,"
        " received_at, finished_at, reply, state FROM commands ORDER BY id"
    ):
        case_id, state = int(row[0]), row[12]
        shown = dict(zip(_CASE_FIELDS, row[1:12], strict=True))
        entry = by_case.get(case_id)
        if entry is None or entry["case"] is None:
            if state == "done":
                v.mismatches.append(
                    Broken(
                        0,
                        f"case #{case_id} is closed in commands but has no record in the audit"
                        " chain (added, or its record was deleted)",
                    )
                )
            continue
        seen.add(case_id)
        seq, recorded = entry["case"]
        if state != "done":
            v.mismatches.append(
                Broken(seq, f"case #{case_id} is closed here, but {state!r} in commands")
            )
            continue
        differs = [f for f in _CASE_FIELDS if shown[f] != recorded.get(f)]
        if differs:
            v.mismatches.append(
                Broken(
                    seq,
                    f"case #{case_id} in commands differs from it: "
                    + _diff(differs, shown, recorded),
                )
            )
        else:
            v.cases += 1
    for case_id, entry in by_case.items():
        if entry["case"] is not None and case_id not in seen:
            v.mismatches.append(
                Broken(entry["case"][0], f"case #{case_id} is missing from commands (deleted)")
            )
    matched: set[tuple[int, str]] = set()
    for case_id, target_id, label, status, line, response, at in conn.stream(
        "SELECT r.command_id, r.target_id, r.target_label, r.status, r.line,"
        " r.platform_response, r.at FROM results r JOIN commands c ON c.id = r.command_id"
        " WHERE c.state = 'done' ORDER BY r.command_id, r.id"
    ):
        entry = by_case.get(int(case_id))
        if entry is None or entry["case"] is None:
            continue  # named with its case above
        found = entry["results"].get(str(target_id))
        if found is None:
            v.mismatches.append(
                Broken(
                    entry["case"][0],
                    f"case #{case_id}: the result for {label} ({target_id}) in results is not"
                    " in the audit chain (added)",
                )
            )
            continue
        seq, recorded = found
        shown = {
            "target": label,
            "result": status,
            "detail": plain((from_json(json.loads(line)),)),
            "platform_response": response,
            "at": at,
        }
        matched.add((int(case_id), str(target_id)))
        differs = [f for f in _RESULT_FIELDS if shown[f] != recorded.get(f)]
        if differs:
            v.mismatches.append(
                Broken(
                    seq,
                    f"case #{case_id}: the result for {recorded.get('target')} ({target_id}) in"
                    f" results differs from it: {_diff(differs, shown, recorded)}",
                )
            )
        else:
            v.results += 1
    for case_id, entry in by_case.items():
        if case_id not in seen:
            continue
        for target_id, (seq, recorded) in entry["results"].items():
            if (case_id, target_id) not in matched:
                v.mismatches.append(
                    Broken(
                        seq,
                        f"case #{case_id}: the result for {recorded.get('target')} ({target_id})"
                        " is missing from results (deleted)",
                    )
                )


def _diff(fields: Sequence[str], shown: dict[str, Any], recorded: dict[str, Any]) -> str:
    return "; ".join(f"{f} {shown[f]!r}, recorded {recorded.get(f)!r}" for f in fields)


async def examine(
    db: Database, key: bytes | None, head: Head | None = None, *, tables: bool = True
) -> Verification:
    """Check the chain: checkpoints, every link, the key (with a key, the chain must end in a
    keyed link), the head given (kept outside the store), and, with ``tables``, that every
    closed case and per-target result in ``commands`` and ``results`` matches its record."""

    def check(conn: Connection) -> Verification:
        return _verify(conn, key, head, tables=tables)

    return await db.run(check)


async def verify(
    db: Database, key: bytes | None, head: Head | None = None
) -> tuple[int, Broken | None]:
    """(records checked, the first problem or None): ``examine``, briefly."""
    v = await examine(db, key, head)
    return v.checked, v.first_problem


def _verify(
    conn: Connection, key: bytes | None, head: Head | None, *, tables: bool, strict: bool = True
) -> Verification:
    v = Verification()
    start = _check_checkpoints(conn, key, v)
    if v.broken is not None:
        return v
    by_case = _walk(conn, key, v, start)
    if v.broken is not None:
        return v
    end = v.head or start
    v.head = end
    if key is not None and strict:
        if end is None:
            v.broken = Broken(
                1,
                "the chain is empty, yet an audit key is set: a store kickbot has opened with"
                " the key holds at least its keyed audit-key record (every record deleted?)",
            )
        elif end.link != KEYED:
            v.broken = Broken(
                end.seq,
                "the chain ends in a plain SHA-256 link, yet an audit key is set: kickbot"
                " opened with the key ends the chain with keyed links (the keyed tail was cut"
                " off or rewritten plain; if the bot has not run with this key yet, give it the"
                " key: audit_key or KICKBOT_AUDIT_KEY)",
            )
    if v.broken is None and head is not None:
        problem = head_problem(conn, head)
        if problem is not None:
            v.broken = Broken(head.seq, f"not the head kept outside the store: {problem}")
    if tables:
        _compare_tables(conn, by_case, v)
    return v


async def prune(db: Database, before: str, key: bytes) -> int:
    """Delete records older than ``before`` (ISO time), leaving a signed checkpoint, and the
    cases (commands and results) whose records go with them. Refused, with nothing deleted,
    when the key does not match the chain (its keyed links, its checkpoints) or the chain is
    broken (pruning would hide the break)."""

    def cut(conn: Connection) -> int:
        advisory_lock(conn, CHAIN_LOCK)
        check_key(conn, key)
        # A store never written with a key is pruned with one (its first checkpoint).
        v = _verify(conn, key, None, tables=True, strict=False)
        if v.broken is not None or v.mismatches:
            problem = v.first_problem
            raise AuditError(
                f"the audit chain is broken ({problem}): nothing pruned (pruning would hide it)"
            )
        last = conn.row(
            "SELECT seq, hash, link FROM audit_log WHERE at < :before ORDER BY seq DESC LIMIT 1",
            {"before": before},
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


EXPORT_FIELDS = (
    "seq", "at", "kind", "case", "platform", "room", "caller", "caller_id", "command", "text",
    "reason", "outcome", "target", "target_id", "result", "detail", "platform_response", "hash",
    "link",
)  # fmt: skip


async def export_rows(db: Database, since: str | None, until: str | None) -> list[dict[str, Any]]:
    where = [w for w, given in (("at >= :since", since), ("at < :until", until)) if given]
    query = (
        "SELECT seq, at, kind, case_id, payload, hash, link FROM audit_log"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY seq"
    )

    def read(conn: Connection) -> list[dict[str, Any]]:
        rows = []
        params = {"since": since, "until": until}
        for seq, at, kind, case_id, payload, digest, link in conn.stream(query, params):
            data = json.loads(payload)
            row = {f: "" for f in EXPORT_FIELDS}
            row.update({k: ("" if v is None else v) for k, v in data.items() if k in row})
            row.update(
                {"seq": seq, "at": at, "kind": kind, "case": case_id, "hash": digest, "link": link}
            )
            rows.append(row)
        return rows

    return await db.run(read)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell beginning with one of these as a formula (OWASP, CSV injection)."""


def neutralised(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV for spreadsheets: text cells beginning with ``= + - @``, a tab or a carriage return
    get a leading ``'`` so that they are shown, not run (the JSON export stays exact); every
    cell is quoted (a carriage return inside a cell cannot start a new row)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=EXPORT_FIELDS, lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    writer.writerows({k: neutralised(v) for k, v in row.items()} for row in rows)
    return out.getvalue()
