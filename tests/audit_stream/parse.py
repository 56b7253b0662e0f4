"""Strict parsers written from the RFCs, independent of kickbot's code: RFC 5424 messages, RFC
6587 / RFC 5425 octet-counted frames, and ArcSight CEF (header and extensions unescaped)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_HEADER = re.compile(
    r"<(?P<pri>\d{1,3})>(?P<version>[1-9]\d{0,2}) (?P<timestamp>\S+) (?P<hostname>[!-~]{1,255})"
    r" (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) "
)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
_SD_NAME = re.compile(r"[!-~]{1,32}")
BOM = "\ufeff"


class Malformed(ValueError):
    pass


@dataclass
class Syslog:
    pri: int
    timestamp: str
    hostname: str
    app: str
    procid: str
    msgid: str
    sd: dict[str, dict[str, str]] = field(default_factory=dict)
    msg: str = ""
    bom: bool = False

    @property
    def facility(self) -> int:
        return self.pri // 8

    @property
    def severity(self) -> int:
        return self.pri % 8


def _sd_name(text: str, i: int, stop: str) -> tuple[str, int]:
    j = i
    while j < len(text) and text[j] not in stop:
        if text[j] in ' ="]' or not ("!" <= text[j] <= "~"):
            raise Malformed(f"bad character {text[j]!r} in an SD name at {j}")
        j += 1
    name = text[i:j]
    if not 1 <= len(name) <= 32:
        raise Malformed(f"SD name {name!r} has a bad length")
    return name, j


def _structured(text: str, i: int) -> tuple[dict[str, dict[str, str]], int]:
    if text[i] == "-":
        return {}, i + 1
    found: dict[str, dict[str, str]] = {}
    while i < len(text) and text[i] == "[":
        sd_id, i = _sd_name(text, i + 1, " ]")
        if sd_id in found:
            raise Malformed(f"SD-ID {sd_id} twice")
        params: dict[str, str] = {}
        while text[i] == " ":
            name, i = _sd_name(text, i + 1, "=")
            if text[i : i + 2] != '="':
                raise Malformed('an SD-PARAM without ="')
            i += 2
            value = []
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"\\]':
                    value.append(text[i + 1])
                    i += 2
                    continue
                if text[i] in '"]':
                    raise Malformed(f"unescaped {text[i]!r} in a PARAM-VALUE")
                value.append(text[i])
                i += 1
            params[name] = "".join(value)
            i += 1
        if text[i] != "]":
            raise Malformed(f"SD-ELEMENT not closed at {i}")
        found[sd_id] = params
        i += 1
    if not found:
        raise Malformed("neither NILVALUE nor an SD-ELEMENT")
    return found, i


def parse_syslog(text: str) -> Syslog:
    """An RFC 5424 message; ``Malformed`` for anything the RFC does not allow."""
    m = _HEADER.match(text)
    if m is None:
        raise Malformed(f"not an RFC 5424 header: {text[:120]!r}")
    pri = int(m["pri"])
    if pri > 191 or m["version"] != "1":
        raise Malformed(f"PRI {pri} or VERSION {m['version']}")
    stamp = m["timestamp"]
    if stamp != "-":
        if not _TIMESTAMP.match(stamp):
            raise Malformed(f"TIMESTAMP {stamp!r}")
        datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    sd, i = _structured(text, m.end())
    msg, bom = "", False
    if i < len(text):
        if text[i] != " ":
            raise Malformed("no SP before MSG")
        msg = text[i + 1 :]
        if msg.startswith(BOM):
            msg, bom = msg[1:], True
    return Syslog(pri, stamp, m["hostname"], m["app"], m["procid"], m["msgid"], sd, msg, bom)


def frames(buffer: bytearray) -> list[bytes]:
    """Take the complete octet-counted frames (``MSG-LEN SP MSG``) off the buffer's start."""
    out: list[bytes] = []
    while True:
        space = buffer.find(b" ")
        if space < 0:
            if len(buffer) > 10:
                raise Malformed("no MSG-LEN")
            return out
        length = buffer[:space]
        if not length.isdigit() or length.startswith(b"0"):
            raise Malformed(f"MSG-LEN {bytes(length)!r}")
        end = space + 1 + int(length)
        if len(buffer) < end:
            return out
        out.append(bytes(buffer[space + 1 : end]))
        del buffer[:end]


@dataclass
class Cef:
    version: str
    vendor: str
    product: str
    device_version: str
    signature: str
    name: str
    severity: str
    extensions: dict[str, str]


_CEF_KEY = re.compile(r"(?:^| )([A-Za-z0-9_]+)=")


def parse_cef(text: str) -> Cef:
    """A CEF line: seven header fields split on unescaped pipes (``\\|`` and ``\\\\`` in
    them unescaped), then ``key=value`` pairs (``\\=``, ``\\\\``, ``\\n``, ``\\r``)."""
    if not text.startswith("CEF:"):
        raise Malformed(f"not CEF: {text[:40]!r}")
    if "\n" in text or "\r" in text:
        raise Malformed("a line break in a CEF line")
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while len(fields) < 7:
        if i >= len(text):
            raise Malformed("fewer than 8 header fields")
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "\\|":
            current.append(text[i + 1])
            i += 2
            continue
        if c == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    rest = text[i:]
    # Keys start where an unescaped "=" follows a word after a space: find the unescaped ones.
    starts = [m for m in _CEF_KEY.finditer(rest) if not _escaped(rest, m.end() - 1)]
    ext: dict[str, str] = {}
    for n, m in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(rest)
        raw = rest[m.end() : end]
        ext[m.group(1)] = _unescape_value(raw)
    version = fields[0].removeprefix("CEF:")
    vendor, product, device_version, signature, name, severity = fields[1:7]
    return Cef(version, vendor, product, device_version, signature, name, severity, ext)


def _escaped(text: str, at: int) -> bool:
    slashes = 0
    j = at - 1
    while j >= 0 and text[j] == "\\":
        slashes += 1
        j -= 1
    return slashes % 2 == 1


def _unescape_value(raw: str) -> str:
    out = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append({"n": "\n", "r": "\r", "=": "=", "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if c == "=":
            raise Malformed(f"an unescaped = inside a value: {raw!r}")
        out.append(c)
        i += 1
    return "".join(out)
