"""Where the chain's head goes once records have committed, outside the store: a log line
and, when configured, a head file."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog

from bot.audit.links import GENESIS, Head, Record
from bot.errors import ConfigError
from bot.files import read_if_present, replace_whole

log = structlog.get_logger(__name__)


class Sink(Protocol):
    """Where appended records go once their transaction has committed (outside the store)."""

    def appended(self, records: Sequence[Record]) -> None: ...

    def started(self, head: Head | None) -> None:
        """The chain's end when a writer opens the store (None: an empty chain)."""
        ...


class LogSink:
    """A structured log line per append (``audit appended`` with the new head), and one at
    start (``audit chain head``): ship the log elsewhere and it keeps the heads."""

    def appended(self, records: Sequence[Record]) -> None:
        if records:
            head = records[-1]
            log.info(
                "audit appended",
                seq=head.seq,
                hash=head.hash,
                link=head.link,
                case=head.case_id,
                records=len(records),
            )

    def started(self, head: Head | None) -> None:
        if head is not None:
            log.info("audit chain head", seq=head.seq, hash=head.hash, link=head.link)


class HeadFile:
    """The chain's head in a file (JSON: seq, hash, link, at), replaced after each append.
    A head older than the one in the file is never written over it."""

    def __init__(self, path: Path):
        self.path = path
        self._last = 0

    def read(self) -> Head | None:
        """The head in the file; None when there is no file."""
        text = read_if_present(self.path, f"cannot read the audit head file {self.path}")
        if text is None:
            return None
        try:
            return Head.parse(text)
        except ConfigError as exc:
            raise ConfigError(f"audit head file {self.path}: {exc}") from None

    def check_writable(self) -> None:
        directory = self.path.parent
        if not directory.is_dir() or not os.access(directory, os.W_OK):
            raise ConfigError(
                f"audit_head_file: cannot write {self.path} (its directory {directory} is"
                " missing or not writable)"
            )

    def started(self, head: Head | None) -> None:
        known = self.read()
        self._last = known.seq if known is not None else 0
        self._write(head if head is not None else Head(0, GENESIS))

    def appended(self, records: Sequence[Record]) -> None:
        if records:
            self._write(records[-1].head)

    def _write(self, head: Head) -> None:
        if head.seq <= self._last and self.path.exists():
            return
        data = {**head.to_json(), "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        replace_whole(self.path, json.dumps(data) + "\n", ".kickbot-head-")
        self._last = head.seq
