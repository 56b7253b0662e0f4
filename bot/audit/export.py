"""Exporting the chain's records for compliance: rows, and CSV safe to open in a
spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from bot.store.database import Connection, Database

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
