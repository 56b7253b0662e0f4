"""What the store hands out: claimed jobs, audit rows, plans awaiting confirmation, open jobs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypedDict

from bot.model import Invocation, UserRef
from bot.outcome import OutcomeKind


class JobState(StrEnum):
    """Where a case is (``commands.state``); the values are the strings earlier releases
    stored."""

    QUEUED = "queued"
    SCHEDULED = "scheduled"
    """Never stored: a queued case whose ``not_before`` is still to come, as /jobs shows it."""
    RUNNING = "running"
    AWAITING = "awaiting"
    """A plan waiting for /confirm."""
    DONE = "done"


SettledRow = tuple[str, str, str | None, str | None]
"""A final result as stored: status, line (JSON), platform response, undo data (JSON)."""


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    command: str
    invocation: Invocation
    settled: Mapping[str, SettledRow] | None = None
    """Target id -> its final result from an earlier run, read with the claim (None: not
    read; the journal then asks the store per target)."""
    taken_over: bool = False
    """Claimed from another instance whose lease on it had lapsed (it died or lost the store)."""


class AuditQuery(TypedDict, total=False):
    """Which recorded cases to read (each given filter narrows; none: every case)."""

    room: str | None
    user: str | None
    """The caller or a target: an id, or a label (any case)."""
    since: str | None
    """ISO time the command was received at or after."""
    case: int | None
    limit: int | None


@dataclass(frozen=True, slots=True)
class AuditRow:
    case: int
    received_at: str
    finished_at: str | None
    platform: str
    room: str
    caller: str
    caller_id: str
    command: str
    text: str
    reason: str | None
    state: JobState
    outcome: OutcomeKind | None
    results: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A case whose plan was shown and waits (or waited) for its caller's ``/confirm``."""

    case: int
    platform: str
    room: str
    caller: UserRef
    command: str
    targets: int
    estimate_seconds: float
    expires_at: float
    """Epoch seconds."""
    confirmed_by: int | None
    state: JobState
    confirmers: tuple[str, ...] | None = None
    """Who confirms it instead of its caller (``Invocation.confirm_by``); None: its caller."""

    @property
    def expired(self) -> bool:
        return self.confirmed_by is None and time.time() >= self.expires_at


@dataclass(frozen=True, slots=True)
class OpenJob:
    """A case not finished yet, as ``/jobs`` lists it."""

    case: int
    command: str
    caller: UserRef
    state: JobState
    """QUEUED, SCHEDULED (queued with a future ``not_before``), RUNNING or AWAITING."""
    not_before: float | None
    """Epoch seconds."""
    total: int | None
    settled: int
    """Targets with a final result (not merely planned or started)."""
    received_at: str
    cancel_requested: bool
