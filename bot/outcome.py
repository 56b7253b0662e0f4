"""What a command produced, as a value. ``replies.render`` turns it into a Reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from bot.model import UserRef
from bot.reply import Line, Reply
from bot.undo_steps import StoredStep


class Refusal(StrEnum):
    """Why a whole command was refused before any state-changing call."""

    MALFORMED = "malformed"
    NOT_ENTITLED = "not_entitled"
    ROOM_DEACTIVATED = "room_deactivated"
    UNSUPPORTED = "unsupported"
    PLATFORM = "platform"


class Status(StrEnum):
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"
    PLANNED = "planned"
    """A dry run (or a plan awaiting confirmation) would do this; nothing was called."""


class OutcomeKind(StrEnum):
    """How a case ended, as the store keeps it (``commands.outcome``): one per ``Outcome``
    type (its ``kind``, read by ``kind_of``), and the ends a case meets outside a handler. The
    values are the strings earlier releases stored."""

    REFUSED = "refused"
    REPORT = "report"
    PLAN = "plan"
    INFO = "info"
    CRASHED = "crashed"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    """Closed by /cancel before it ran."""
    EXPIRED = "expired"
    """A plan nobody confirmed in time."""
    INTERRUPTED = "interrupted"
    """A command-line run stopped before it finished."""
    DECLINED = "declined"
    """A command-line plan declined at the terminal."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The result for one target of a command."""

    target: UserRef
    status: Status
    line: Line
    platform_response: str | None = None
    undo: StoredStep | None = None
    """What reverses this change (for /undo), e.g. ``Readd(owner=True)``."""


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing was changed: no state-changing platform call was made."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.REFUSED
    reason: Refusal
    detail: Reply


@dataclass(frozen=True, slots=True)
class Report:
    """One line per target, in the order given."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.REPORT
    items: tuple[ItemResult, ...]
    headline: Reply | None = None
    notes: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class Awaiting:
    """A plan held until its caller confirms it with ``/confirm <case>``."""

    case: int
    changes: int
    """How many targets the plan would change."""
    threshold: int
    """bulk.confirm_above: more changes than this need a confirmation."""
    within_minutes: float
    estimate_seconds: float
    interval_seconds: float
    """The room's pace (0: not paced)."""
    members: int | None
    """The room's member count (None: not a room command)."""
    platform_interval_seconds: float = 0.0
    """The platform's published limit, as seconds per change (0: none), when it is slower
    than the room's pace: the estimate uses it."""
    platform: str = ""
    why: str = "limit"
    working_hours: str | None = None
    """Set when a jumbo plan is asked for in working hours: those hours, as configured."""
    runs_at: datetime | None = None
    """``--at``: when it will run once confirmed."""
    requests: int = 1
    """State-changing requests outside any room's pace (offboarding: one per room or group)."""
    """Why it is held: "limit" (more changes than the threshold), "jumbo" (a paced room),
    "filter" (targets chosen by a filter such as --external: the count is always shown first),
    "confirmers" (asked for from outside chat: the people it names must confirm it)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What a command would do, target by target; nothing was changed. ``awaiting`` is set
    when the plan waits for a confirmation, None for a dry run."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.PLAN
    items: tuple[ItemResult, ...]
    awaiting: Awaiting | None = None


@dataclass(frozen=True, slots=True)
class Info:
    kind: ClassVar[OutcomeKind] = OutcomeKind.INFO
    body: Reply


@dataclass(frozen=True, slots=True)
class Crashed:
    """A bug in kickbot: the reply quotes the case id; the log holds the traceback."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.CRASHED
    case_id: int


@dataclass(frozen=True, slots=True)
class Scheduled:
    """Held until ``at`` (``--at``): the job goes back to the queue, due then."""

    kind: ClassVar[OutcomeKind] = OutcomeKind.SCHEDULED
    at: datetime
    """Aware, in the configured time zone."""
    targets: int


Outcome = Refused | Report | Plan | Info | Crashed | Scheduled


def kind_of(outcome: Outcome) -> OutcomeKind:
    """The kind the store records for ``outcome``: the one its type declares (never derived
    from a class name, so a renamed class keeps its stored kind; mypy refuses an ``Outcome``
    type that declares none)."""
    return outcome.kind
