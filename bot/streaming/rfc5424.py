"""A record as an RFC 5424 syslog message, and its octet-counting frame (RFC 6587 for TCP,
RFC 5425 for TLS):

``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [audit@32473 seq=".." hash=".." case=".."
link=".."] MSG``, with MSG the record's CEF event (``bot.streaming.cef``), preceded by a BOM
unless ``utf8_bom`` is off. MSGID is the record's kind. The SD-ID's enterprise number 32473 is
the one RFC 5612 reserves for documentation: kickbot has none of its own. SD-PARAM values
escape ``"``, ``\\`` and ``]`` as RFC 5424 says; header fields are printable ASCII."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from bot.audit.links import Record
from bot.streaming.cef import cef
from bot.streaming.settings import FACILITIES, SyslogSink

SD_ID = "audit@32473"
BOM = "\ufeff"
SEVERITY = 5
"""notice: a normal but significant condition (every audit record)."""
_NOT_PRINTABLE = re.compile(r"[^!-~]")


def printable(value: str, most: int) -> str:
    """A header field: printable ASCII without spaces, at most ``most`` characters; ``-``
    (RFC 5424's NILVALUE) when empty."""
    return _NOT_PRINTABLE.sub("_", value)[:most] or "-"


def sd_value(value: object) -> str:
    """An SD-PARAM value with ``"``, ``\\`` and ``]`` escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def timestamp(at: str) -> str:
    """A record's time as RFC 5424's TIMESTAMP (UTC, milliseconds, ``Z``)."""
    moment = datetime.fromisoformat(at).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def message(record: Record, sink: SyslogSink, hostname: str, procid: int | None = None) -> str:
    """The record as one RFC 5424 message (without framing)."""
    pri = FACILITIES[sink.facility] * 8 + SEVERITY
    params = {"seq": record.seq, "hash": record.hash, "case": record.case_id, "link": record.link}
    sd = "[" + SD_ID + "".join(f' {k}="{sd_value(v)}"' for k, v in params.items()) + "]"
    fields = [
        f"<{pri}>1",
        timestamp(record.at),
        printable(hostname, 255),
        printable(sink.app_name, 48),
        printable(str(os.getpid() if procid is None else procid), 128),
        printable(record.kind, 32),
        sd,
    ]
    return " ".join(fields) + " " + (BOM if sink.utf8_bom else "") + cef(record)


def octet_counted(text: str) -> bytes:
    """``MSG-LEN SP SYSLOG-MSG``: the frame TCP and TLS carry (RFC 6587 3.4.1, RFC 5425)."""
    data = text.encode("utf-8")
    return str(len(data)).encode("ascii") + b" " + data
