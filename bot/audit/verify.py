"""Verifying the chain: its checkpoints, every link in order, the key, a head kept outside
the store, and (``tables``) the rows users are shown."""

from __future__ import annotations

import hmac
import json
from typing import Any

from bot.audit.chain import head_problem, records_are
from bot.audit.checkpoints import CHECKPOINT_COLUMNS, newest_checkpoint, signature_ok
from bot.audit.findings import Broken, Verification
from bot.audit.links import GENESIS, KEY_ENV, KEYED, PLAIN, Head, keyed_hash, record_hash
from bot.audit.tables import compare_tables
from bot.store.database import Connection, Database


def check_checkpoints(conn: Connection, key: bytes | None, v: Verification) -> Head | None:
    """Every checkpoint signed, and together covering #1 to the newest without a gap."""
    covered, end = 0, None
    checkpoints = conn.rows(
        f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY through_seq"
    )
    for cp in checkpoints:
        through = int(cp["through_seq"])
        if key is None:
            v.broken = Broken(through, "a pruning checkpoint exists but no audit key is configured")
            return None
        if not signature_ok(key, cp):
            v.broken = Broken(through, "the pruning checkpoint's signature does not match")
            return None
        if int(cp["pruned"]) != through - covered:
            v.broken = Broken(
                covered + 1,
                f"{records_are(covered + 1, through - int(cp['pruned']))} pruned, but no"
                " checkpoint covers them (a checkpoint was deleted)",
            )
            return None
        covered = through
        end = Head(through, str(cp["through_hash"]), str(cp["through_link"] or PLAIN))
        v.checkpoints += 1
    return end


def walk(
    conn: Connection,
    key: bytes | None,
    v: Verification,
    start: Head | None,
    *,
    after_start: bool = False,
) -> dict[int, dict[str, Any]]:
    """Check each record's link; the case and result records, by case. ``after_start``: read
    only the records after ``start`` (a head verified before), not the whole log."""
    expected_seq, prev = (start.seq + 1, start.hash) if start is not None else (1, GENESIS)
    last_link = start.link if start is not None else PLAIN
    by_case: dict[int, dict[str, Any]] = {}
    tail = after_start and start is not None
    rows = conn.stream(
        "SELECT seq, at, kind, case_id, payload, prev_hash, hash, link FROM audit_log"
        + (" WHERE seq > :after" if tail else "")
        + " ORDER BY seq",
        {"after": expected_seq - 1} if tail else None,
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


async def examine(
    db: Database, key: bytes | None, head: Head | None = None, *, tables: bool = True
) -> Verification:
    """Check the chain: checkpoints, every link, the key (with a key, the chain must end in a
    keyed link), the head given (kept outside the store), and, with ``tables``, that every
    closed case and per-target result in ``commands`` and ``results`` matches its record."""

    def check(conn: Connection) -> Verification:
        return check_chain(conn, key, head, tables=tables)

    return await db.run(check)


async def verify(
    db: Database, key: bytes | None, head: Head | None = None
) -> tuple[int, Broken | None]:
    """(records checked, the first problem or None): ``examine``, briefly."""
    v = await examine(db, key, head)
    return v.checked, v.first_problem


def check_chain(
    conn: Connection, key: bytes | None, head: Head | None, *, tables: bool, strict: bool = True
) -> Verification:
    v = Verification()
    start = check_checkpoints(conn, key, v)
    if v.broken is not None:
        return v
    by_case = walk(conn, key, v, start)
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
        compare_tables(conn, by_case, v)
    return v


def check_tail(conn: Connection, key: bytes | None, verified: Head) -> Verification:
    """The records appended after ``verified``, a head a full check found good: it is still in
    the chain with the same hash (not rewritten up to there), and each later link holds. A
    checkpoint made since (records pruned past it) means a full check instead, without the
    rows shown to users. An edit of a record before ``verified`` that leaves its hash as it
    was is found by the next full check only."""
    cp = newest_checkpoint(conn)
    if cp is not None and int(cp["through_seq"]) >= verified.seq:
        return check_chain(conn, key, None, tables=False)
    v = Verification()
    problem = head_problem(conn, verified)
    if problem is not None:
        v.broken = Broken(verified.seq, f"not the head verified before: {problem}")
        return v
    walk(conn, key, v, verified, after_start=True)
    v.head = v.head or verified
    return v
