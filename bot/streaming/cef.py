"""An audit record as an ArcSight CEF event:
``CEF:0|kickbot|kickbot|VERSION|KIND|NAME|SEVERITY|EXTENSIONS``.

Chat text is hostile, so every value is escaped as CEF says: in the header a backslash and a
pipe (``\\\\``, ``\\|``), in the extensions a backslash, an equals sign and line breaks
(``\\\\``, ``\\=``, ``\\n``, ``\\r``). Line breaks cannot be escaped in the header, so there
they become spaces; other control characters become spaces everywhere. A target named
``x|y=z`` or a reason holding ``CEF:0|…`` thus stays one value of its own field."""

from __future__ import annotations

import json
from typing import Any

from bot import __version__
from bot.audit.links import Record
from bot.streaming.sender import epoch_seconds

VENDOR = PRODUCT = "kickbot"
SEVERITY_OF_RESULT = {"done": 6, "failed": 7, "refused": 4, "planned": 2}
"""A result's severity: a change made to someone's access (6), one that failed (7)."""
SEVERITY_OF_KIND = {"case": 3, "audit-key": 5}
_CONTROL = {c: " " for c in range(32) if c not in (10, 13)} | {127: " "}


def _clean(value: Any) -> str:
    return str(value).translate(_CONTROL)


def header(value: Any) -> str:
    """A header field: backslash and pipe escaped, line breaks as spaces."""
    text = _clean(value).replace("\r", " ").replace("\n", " ")
    return text.replace("\\", "\\\\").replace("|", "\\|")


def extension(value: Any) -> str:
    """An extension's value: backslash, equals sign and line breaks escaped."""
    text = _clean(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\n", "\\n").replace("\r", "\\r")


def _name(record: Record, data: dict[str, Any]) -> str:
    if record.kind == "case":
        return f"{data.get('command') or 'command'} case {data.get('outcome') or 'closed'}"
    if record.kind == "result":
        return f"{data.get('command') or 'change'} {data.get('result') or 'result'}"
    return record.kind


def _severity(record: Record, data: dict[str, Any]) -> int:
    if record.kind == "result":
        return SEVERITY_OF_RESULT.get(str(data.get("result")), 5)
    return SEVERITY_OF_KIND.get(record.kind, 3)


def extensions(record: Record, data: dict[str, Any]) -> list[tuple[str, Any]]:
    """The record's fields as CEF keys, a custom one after its label; empty values (and
    their labels) left out."""
    custom: list[tuple[str, str, Any]] = [
        ("cn1", "seq", record.seq),
        ("cn2", "case", record.case_id),
        ("cs1", "hash", record.hash),
        ("cs2", "platform", data.get("platform")),
        ("cs3", "room", data.get("room")),
    ]
    found: list[tuple[str, Any]] = [("rt", round(epoch_seconds(record.at) * 1000))]
    for key, label, value in custom:
        if value is not None and value != "":
            found += [(f"{key}Label", label), (key, value)]
    standard: list[tuple[str, Any]] = [
        ("act", data.get("command")),
        ("outcome", data.get("result") if record.kind == "result" else data.get("outcome")),
        ("suser", data.get("caller")), ("suid", data.get("caller_id")),
        ("duser", data.get("target")), ("duid", data.get("target_id")),
        ("reason", data.get("reason")),
        ("msg", data.get("detail") if record.kind == "result" else data.get("text")),
    ]  # fmt: skip
    return found + [(k, v) for k, v in standard if v is not None and v != ""]


def cef(record: Record) -> str:
    """The record as one CEF line (no line break in it)."""
    loaded = json.loads(record.payload)
    data: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    head = [
        "CEF:0", header(VENDOR), header(PRODUCT), header(__version__), header(record.kind),
        header(_name(record, data)), str(_severity(record, data)),
    ]  # fmt: skip
    ext = " ".join(f"{k}={extension(v)}" for k, v in extensions(record, data))
    return "|".join(head) + "|" + ext
