"""The tables users are shown (``commands`` and ``results``: ``kickbot audit``, ``/case``)
against the case and result records of the chain."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.audit.findings import Broken, Verification
from bot.reply import from_json, plain
from bot.store.database import Connection, storable

CASE_FIELDS = (
    "platform", "room", "caller", "caller_id", "command", "text", "reason", "outcome",
    "received_at", "finished_at", "reply",
)  # fmt: skip
RESULT_FIELDS = ("target", "result", "detail", "platform_response", "at")


def compare_tables(conn: Connection, by_case: dict[int, dict[str, Any]], v: Verification) -> None:
    """Each closed case and its results, as ``kickbot audit`` and ``/case`` show them, against
    the chain; and each case and result record of the chain against the tables."""
    seen: set[int] = set()
    for row in conn.stream(
        "SELECT id, platform, room, caller_label, caller_id, command, text, reason, outcome,"
        " received_at, finished_at, reply, state FROM commands ORDER BY id"
    ):
        case_id, state = int(row[0]), row[12]
        shown = dict(zip(CASE_FIELDS, row[1:12], strict=True))
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
        if _agree(v, seq, CASE_FIELDS, shown, recorded, f"case #{case_id} in commands"):
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
            "detail": storable(plain((from_json(json.loads(line)),))),
            "platform_response": response,
            "at": at,
        }
        matched.add((int(case_id), str(target_id)))
        what = f"case #{case_id}: the result for {recorded.get('target')} ({target_id}) in results"
        if _agree(v, seq, RESULT_FIELDS, shown, recorded, what):
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


def _agree(
    v: Verification,
    seq: int,
    fields: Sequence[str],
    shown: dict[str, Any],
    recorded: dict[str, Any],
    what: str,
) -> bool:
    """Whether the tables (``shown``) agree with the chain's record at ``seq`` on ``fields``;
    where they do not, a mismatch "``what`` differs from it: …" naming each field."""
    differs = [f for f in fields if shown[f] != recorded.get(f)]
    if differs:
        diff = "; ".join(f"{f} {shown[f]!r}, recorded {recorded.get(f)!r}" for f in differs)
        v.mismatches.append(Broken(seq, f"{what} differs from it: {diff}"))
    return not differs
