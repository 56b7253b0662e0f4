"""Splunk's HTTP Event Collector: records as HEC events (its JSON envelope: time, host, source,
sourcetype, index, event), several in one ``POST /services/collector/event`` with
``Authorization: Splunk <token>``. A batch is acknowledged only by HTTP 200 with
``{"code": 0}``; 400, 401, 403 and 413 are refusals (retried slowly), anything else a failure
(retried with backoff). The token is sent in that header only: never logged, never in an
error."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Sequence
from typing import Any

import httpx

from bot.audit.links import Record
from bot.streaming.sender import SinkFailure, epoch_seconds
from bot.streaming.settings import SplunkHecSink

PATH = "/services/collector/event"
REFUSED = frozenset({400, 401, 403, 413})
"""Statuses that say the collector will not take the batch as sent (HEC's codes 2-6: token
missing, invalid or disabled, no data, invalid data format; 413: too large): a later try
helps only once an operator has acted, so it is made slowly."""


def event_of(record: Record) -> dict[str, Any]:
    """The record as an event: its payload's fields, then (never overwritten by them) its
    place in the chain: seq, hash, prev_hash, link, at, kind, case."""
    data = json.loads(record.payload)
    fields: dict[str, Any] = data if isinstance(data, dict) else {"payload": data}
    return {
        **fields,
        "seq": record.seq,
        "hash": record.hash,
        "prev_hash": record.prev_hash,
        "link": record.link,
        "at": record.at,
        "kind": record.kind,
        "case": record.case_id,
    }


def envelope(record: Record, sink: SplunkHecSink, host: str) -> dict[str, Any]:
    """HEC's envelope for one record."""
    found: dict[str, Any] = {"time": round(epoch_seconds(record.at), 3), "host": host}
    for key in ("source", "sourcetype", "index"):
        value = getattr(sink, key)
        if value is not None:
            found[key] = value
    found["event"] = event_of(record)
    return found


def body(records: Sequence[Record], sink: SplunkHecSink, host: str) -> bytes:
    """A batch: the events' envelopes one after another (HEC's batch format)."""
    return "\n".join(
        json.dumps(envelope(r, sink, host), ensure_ascii=False, separators=(",", ":"))
        for r in records
    ).encode("utf-8")


def _answer(response: httpx.Response) -> tuple[int | None, str]:
    """HEC's ``code`` and ``text`` (None, the body's start: not HEC's JSON)."""
    try:
        data = response.json()
    except ValueError:
        return None, response.text[:200]
    if not isinstance(data, dict):
        return None, response.text[:200]
    code = data.get("code")
    return (code if isinstance(code, int) else None), str(data.get("text", ""))[:200]


class HecSender:
    def __init__(self, sink: SplunkHecSink):
        self.sink = sink
        self.host = sink.host or socket.gethostname()
        self.url = sink.url + PATH
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=sink.ca_file) if sink.ca_file else True
        )
        self._client = httpx.AsyncClient(
            verify=verify,
            timeout=sink.timeout_seconds,
            follow_redirects=False,
            headers={"Authorization": f"Splunk {sink.token.get_secret_value()}"},
        )

    async def send(self, records: Sequence[Record]) -> None:
        try:
            response = await self._client.post(
                self.url,
                content=body(records, self.sink, self.host),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise SinkFailure(f"{self.url}: {type(exc).__name__}: {exc}") from None
        code, text = _answer(response)
        if response.status_code == 200 and code == 0:
            return
        status = response.status_code
        said = f"HTTP {status}" + (f", code {code}" if code is not None else "") + f": {text!r}"
        if status in (401, 403):
            said += " (the token is missing, wrong or disabled)"
        elif status == 413:
            said += " (lower batch_size)"
        raise SinkFailure(f"{self.url}: {said}", refused=status in REFUSED)

    async def close(self) -> None:
        await self._client.aclose()
