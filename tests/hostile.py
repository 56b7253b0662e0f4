"""Hostile requests for the bot's HTTP receivers: sent as raw bytes on a socket, so that header
values no HTTP client would send (bytes that are not UTF-8, digits of other scripts) reach the
receiver exactly as an attacker would write them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

NESTED = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
"""A JSON object nested far past the parser's recursion limit (200 kB, under the size cap)."""
NOT_UTF8 = b'{"text": "\xff\xfe"}'
OVERSIZE = b'{"a": "' + b"x" * (300 * 1024) + b'"}'


async def raw_post(url: str, headers: Sequence[tuple[str, bytes]], body: bytes) -> int:
    """POST ``body`` to ``url`` with exactly these headers (plus Host, Content-Length and
    Connection: close); the answer's status code."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        head = [f"POST {parts.path} HTTP/1.1".encode(), f"Host: {parts.netloc}".encode()]
        head += [name.encode() + b": " + value for name, value in headers]
        head += [f"Content-Length: {len(body)}".encode(), b"Connection: close"]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n")
        try:
            writer.write(body)
            await writer.drain()
        except ConnectionError:
            pass  # answered (413) before the whole body was sent
        status_line = await asyncio.wait_for(reader.readline(), timeout=20)
        await asyncio.wait_for(reader.read(), timeout=20)
    finally:
        writer.close()
    return int(status_line.split()[1])


Headers = Sequence[tuple[str, bytes]]
Probe = tuple[Headers, bytes, int]
"""Headers and a body to POST, and the status the receiver must answer them with."""


async def answered(url: str, probes: Mapping[str, Probe]) -> dict[str, tuple[int, int]]:
    """Each probe POSTed to ``url``: the status it got and the status it should have got."""
    return {name: (await raw_post(url, h, body), want) for name, (h, body, want) in probes.items()}


def wrong(answers: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """The probes answered otherwise than they should have been."""
    return {name: pair for name, pair in answers.items() if pair[0] != pair[1]}
