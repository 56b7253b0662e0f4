"""Sending RFC 5424 messages (``bot.streaming.rfc5424``) to a syslog receiver over TLS (RFC
5425, the default: the receiver's certificate verified), TCP (RFC 6587) or UDP (RFC 5426).

Syslog has no answer, so what "acknowledged" means differs by transport:

- TCP and TLS: a batch is acknowledged once its frames are written and the receiver's host has
  acknowledged every byte at the TCP level (Linux: the socket's send queue, ``SIOCOUTQ``, is
  empty; elsewhere: once written). A connection that closes or resets before then fails the
  batch, which is sent again on a new connection (a receiver may then see some records twice,
  with the same seq and hash).
- UDP: once handed to the network without an error; a datagram lost on the way is not known.
  A message longer than a datagram can hold is cut (its MSG). Prefer TLS or TCP."""

from __future__ import annotations

import array
import asyncio
import contextlib
import fcntl
import socket
import ssl
import sys
from collections.abc import Sequence

import structlog

from bot.audit.links import Record
from bot.streaming.rfc5424 import message, octet_counted
from bot.streaming.sender import SinkFailure
from bot.streaming.settings import SyslogSink

log = structlog.get_logger(__name__)

UDP_MOST = 65507
"""The most a UDP datagram over IPv4 carries."""
_OUTQ = 0x5411 if sys.platform.startswith("linux") else None
"""SIOCOUTQ (TIOCOUTQ): bytes in a socket's send queue not yet acknowledged by the peer."""


def unacknowledged(sock: socket.socket) -> int | None:
    """Bytes the peer's TCP has not acknowledged yet (None: not known on this system)."""
    if _OUTQ is None:
        return None
    found = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), _OUTQ, found, True)
    return found[0]


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.error: Exception | None = None

    def error_received(self, exc: Exception) -> None:
        self.error = exc


class SyslogSender:
    def __init__(self, sink: SyslogSink):
        self.sink = sink
        self.hostname = sink.hostname or socket.gethostname()
        self.where = f"{sink.transport}://{sink.host}:{sink.effective_port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._udp: tuple[asyncio.DatagramTransport, _Datagrams] | None = None

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.sink.ca_file)
        if self.sink.client_cert is not None:
            context.load_cert_chain(self.sink.client_cert, self.sink.client_key)
        return context

    async def send(self, records: Sequence[Record]) -> None:
        messages = [message(r, self.sink, self.hostname) for r in records]
        try:
            if self.sink.transport == "udp":
                await self._send_datagrams(messages)
            else:
                await self._send_frames(messages)
        except (OSError, ssl.SSLError, EOFError, ConnectionError) as exc:
            self._drop()
            raise SinkFailure(f"{self.where}: {type(exc).__name__}: {exc}") from None
        except BaseException:  # cancelled (a timeout) perhaps mid-frame: never write after it
            self._drop()
            raise

    async def _connected(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = self._reader, self._writer
        if reader is not None and writer is not None:
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer
            self._drop()  # the receiver closed it: a new one
        tls = self.sink.transport == "tls"
        reader, writer = await asyncio.open_connection(
            self.sink.host,
            self.sink.effective_port,
            ssl=self.tls_context() if tls else None,
            server_hostname=(self.sink.server_name or self.sink.host) if tls else None,
        )
        self._reader, self._writer = reader, writer
        return reader, writer

    async def _send_frames(self, messages: Sequence[str]) -> None:
        reader, writer = await self._connected()
        writer.write(b"".join(octet_counted(m) for m in messages))
        await writer.drain()
        sock = writer.get_extra_info("socket")
        pause = 0.002
        while True:  # until the receiver's host has every byte (bounded by the send's timeout)
            if writer.is_closing() or reader.at_eof():
                raise EOFError("the receiver closed the connection before taking every record")
            left = unacknowledged(sock) if sock is not None else None
            if not left:
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def _send_datagrams(self, messages: Sequence[str]) -> None:
        if self._udp is None:
            loop = asyncio.get_running_loop()
            self._udp = await loop.create_datagram_endpoint(
                _Datagrams, remote_addr=(self.sink.host, self.sink.effective_port)
            )
        transport, protocol = self._udp
        for text in messages:
            data = text.encode("utf-8")
            if len(data) > UDP_MOST:
                log.warning("syslog message cut to fit a datagram", sink=self.sink.name,
                            octets=len(data))  # fmt: skip
                data = data[:UDP_MOST].decode("utf-8", "ignore").encode("utf-8")
            transport.sendto(data)
            await asyncio.sleep(0)  # an ICMP error for an earlier datagram arrives here
            if protocol.error is not None:
                raise OSError(f"the receiver's host answered: {protocol.error}")

    def _drop(self) -> None:
        """Abandon the connection (the next send makes a new one)."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.transport.abort()
        if self._udp is not None:
            self._udp[0].close()
            self._udp = None

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        if self._udp is not None:
            self._udp[0].close()
            self._udp = None
