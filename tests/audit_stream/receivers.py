"""Receivers on loopback for the audit stream tests: a Splunk HEC collector (aiohttp) that
checks the header and the envelope as Splunk documents them, and a syslog receiver (asyncio:
UDP, TCP, TLS) that parses each RFC 5424 message strictly. Each keeps its port across a stop
and a start, and records what it took, in arrival order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

from tests.audit_stream.parse import Syslog, frames, parse_syslog
from tests.kickbot_process import free_port

ENVELOPE_KEYS = {"time", "host", "source", "sourcetype", "index", "event", "fields"}


def _hec(status: int, text: str, code: int) -> web.Response:
    return web.json_response({"text": text, "code": code}, status=status)


class HecReceiver:
    def __init__(self, token: str, ssl_context: ssl.SSLContext | None = None):
        self.token = token
        self.ssl = ssl_context
        self.port = free_port()
        self.events: list[dict[str, Any]] = []
        """Every envelope taken, in arrival order (a batch sent twice: twice)."""
        self.requests = 0
        self.refused = 0
        self.hold = False
        """Take the next batch, then hold the answer until ``release`` is set."""
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/services/collector/event", self._collect)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self.ssl).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _collect(self, request: web.Request) -> web.Response:
        self.requests += 1
        auth = request.headers.get("Authorization")
        if auth is None:
            self.refused += 1
            return _hec(401, "Token is required", 2)
        if auth != f"Splunk {self.token}":
            self.refused += 1
            return _hec(403, "Invalid token", 4)
        text = await request.text()
        if not text.strip():
            return _hec(400, "No data", 5)
        batch: list[dict[str, Any]] = []
        decoder = json.JSONDecoder()
        at = 0
        while at < len(text):
            while at < len(text) and text[at] in " \r\n\t":
                at += 1
            if at == len(text):
                break
            try:
                envelope, at = decoder.raw_decode(text, at)
            except ValueError:
                return _hec(400, "Invalid data format", 6)
            ok = (
                isinstance(envelope, dict)
                and set(envelope) <= ENVELOPE_KEYS
                and "event" in envelope
                and isinstance(envelope.get("time"), int | float)
                and all(isinstance(envelope.get(k, ""), str) for k in
                        ("host", "source", "sourcetype", "index"))
            )  # fmt: skip
            if not ok:
                return _hec(400, f"Invalid data format (event {len(batch)})", 6)
            batch.append(envelope)
        self.events.extend(batch)  # indexed: what follows cannot take it back
        if self.hold:
            self.hold = False
            self.holding.set()
            await self.release.wait()
        return _hec(200, "Success", 0)

    def seqs(self) -> list[int]:
        return [int(e["event"]["seq"]) for e in self.events]


@dataclass
class Taken:
    raw: bytes
    message: Syslog


class SyslogReceiver:
    """RFC 5424 over UDP (a datagram a message), TCP or TLS (octet-counted frames)."""

    def __init__(self, transport: str, ssl_context: ssl.SSLContext | None = None):
        self.transport = transport
        self.ssl = ssl_context
        self.port = free_port()
        self.taken: list[Taken] = []
        self.errors: list[str] = []
        self._server: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._conns: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        if self.transport == "udp":
            receiver = self

            class Protocol(asyncio.DatagramProtocol):
                def datagram_received(self, data: bytes, addr: Any) -> None:
                    receiver._take(data)

            loop = asyncio.get_running_loop()
            self._udp, _ = await loop.create_datagram_endpoint(
                Protocol, local_addr=("127.0.0.1", self.port)
            )
            return
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, ssl=self.ssl)

    async def stop(self) -> None:
        """Stop listening and close every connection (after reading what it sent)."""
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._server is not None:
            self._server.close()
            for writer in list(self._conns):
                writer.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def _take(self, data: bytes) -> None:
        try:
            self.taken.append(Taken(data, parse_syslog(data.decode("utf-8"))))
        except ValueError as exc:
            self.errors.append(f"{exc}: {data[:200]!r}")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._conns.add(writer)
        buffer = bytearray()
        try:
            while chunk := await reader.read(65536):
                buffer += chunk
                for frame in frames(buffer):
                    self._take(frame)
        except (ConnectionError, ssl.SSLError, ValueError) as exc:
            self.errors.append(f"connection: {exc}")
        finally:
            self._conns.discard(writer)
            writer.close()

    def seqs(self) -> list[int]:
        return [int(t.message.sd["audit@32473"]["seq"]) for t in self.taken]
