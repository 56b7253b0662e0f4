"""What a handler gets: a few narrow services, not the pipeline's whole ``Context``.

- ``Asked``: the parsed command, who asked, where, and the targets left after the checks.
- ``RoomView``: the platform and the room a command acts in (its info, members, owners). Reads.
- ``Effects``: every state-changing call goes through ``change`` (a removal: ``remove``), which
  checks for a halt, journals the call as started, keeps the room's pace and makes no call in
  a dry run;
  ``each`` and ``settle`` settle targets one by one with the journal, progress and /cancel.
- ``Cases``: the case's id, its journal and the casebook.
- ``Checks``: the policy and the registry, and the dispatcher's checks a handler asks for
  itself (whether the policy names the caller, rank for /undo, screening people it finds).

A handler declares the services it uses as a Protocol made of the ``Has*`` Protocols below,
so mypy lets it reach nothing else. ``bot.call.Call`` holds them all (built by the pipeline);
its ``in_room``, ``on_platform`` and ``scoped`` give the same command's services in another
room, on another platform, or with journal entries under a scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.casebook import CaseBook
from bot.commands import Registry
from bot.entitlement import Known, Policy
from bot.everywhere.reach import Reach
from bot.grammar import Parsed
from bot.model import Member, RoomInfo, RoomRef, UserRef
from bot.outcome import ItemResult
from bot.platform import Platform
from bot.reply import Line, Reply

if TYPE_CHECKING:
    from bot.call import Call

T = TypeVar("T")


class Journal(Protocol):
    """Per-target memory of a command, so a re-run after a crash never acts twice."""

    async def previous(self, target: UserRef) -> ItemResult | None: ...

    async def record(self, item: ItemResult) -> None: ...

    async def start(self, target: UserRef) -> None:
        """Call just before a state-changing call, so a crash leaves "result unknown"."""
        ...

    async def started(self, target: UserRef) -> bool:
        """True if an earlier run began a call for ``target`` and died before its result."""
        ...


class Halted(Exception):
    """Raised between targets when a command must stop; its journal keeps what was done."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Asked:
    """The command as asked: by whom, where (its replies go there), and on whom."""

    command: str
    platform: str
    """The platform it was typed on (its report goes there)."""
    room: RoomRef
    """The room it was typed in."""
    caller: UserRef
    parsed: Parsed
    targets: tuple[UserRef, ...]
    """Resolved targets that passed the protected and rank checks, in the order given."""


class RoomView(Protocol):
    """The platform and the room the command acts in. Read-only: changes go through
    ``Effects``."""

    @property
    def platform(self) -> Platform: ...

    @property
    def info(self) -> RoomInfo | None:
        """The room's info (None: the command needs no room, or acts on another platform)."""
        ...

    @property
    def acting(self) -> RoomRef:
        """Where it acts: the room it was typed in, unless ``Call.in_room``."""
        ...

    async def members(self) -> dict[str, Member]:
        """The room's members by user id, looked up once per command (a rehearsal updates
        its copy as it plans)."""
        ...

    async def is_owner(self, user: UserRef) -> bool: ...

    async def caller_is_owner(self) -> bool: ...


Place = TypeVar("Place")
StepAt = tuple[Place, UserRef, Callable[[], Awaitable[ItemResult]]]
"""One piece of a command's work: the place whose journal keeps its result (a handler's
``Call``; inside the pipeline, its ``Context``), the person it is for, and the work itself."""

Step = StepAt["Call"]
"""One piece of work for ``Effects.settle``."""


class Effects(Protocol):
    """State-changing calls, with what must go with them."""

    @property
    def dry_run(self) -> bool:
        """A rehearsal: every check runs, ``change`` calls nothing and returns None."""
        ...

    async def change(self, call: Callable[[], Awaitable[T]], *targets: UserRef) -> T | None:
        """Make a state-changing call for ``targets``: a halt is looked for first (``Halted``),
        each target is journalled as started, the room's pace is kept. None in a dry run."""
        ...

    async def remove(self, user: UserRef, reason: str | None) -> str | None:
        """Remove ``user``, a member by the list read for this command, from the room it acts
        in, through ``change``. An answer lost is settled by the member list
        (``bot.lost_answers``). What the platform said; None in a dry run."""
        ...

    async def pace(self) -> None:
        """Wait for the room's pace only: a second call within one ``change`` (/undo's
        promotion after its re-add)."""
        ...

    async def pace_interval(self) -> float:
        """Seconds between changes in this room (0: not paced)."""
        ...

    async def check_halt(self) -> None:
        """Raise ``Halted`` if the command must stop now (between two targets)."""
        ...

    async def expect(self, total: int) -> None:
        """The command's real number of changes, once it knows it (progress and /jobs)."""
        ...

    async def each(self, work: Callable[[UserRef], Awaitable[ItemResult]]) -> list[ItemResult]:
        """``work`` for each of the asked targets in turn, skipping those a previous run
        settled, journalling each result and reporting progress; a /cancel ends it early."""
        ...

    async def settle(self, steps: Sequence[Step]) -> tuple[list[ItemResult], bool]:
        """As ``each``, for steps of one's own; also says whether a /cancel ended it."""
        ...

    async def progress(self, items: Sequence[ItemResult]) -> None:
        """Report the results so far (a long command; nothing otherwise)."""
        ...

    def cancelled(self) -> None:
        """A /cancel stopped the command part-way: its report says so."""
        ...


class Cases(Protocol):
    """The case this command is, and the others."""

    @property
    def case_id(self) -> int: ...

    @property
    def journal(self) -> Journal:
        """Per-target results of this case, so a re-run after a crash never acts twice."""
        ...

    @property
    def book(self) -> CaseBook: ...


ReversalCheck = Callable[["Call", UserRef, UserRef], Awaitable[Line | None]]
"""(the services of the place a change was made, who made it, for whom): why the caller may
not reverse it by rank, or None."""


class Checks(Protocol):
    """The policy, the commands, and the checks the dispatcher lends a handler."""

    @property
    def policy(self) -> Policy: ...

    @property
    def registry(self) -> Registry: ...

    @property
    def reach(self) -> Reach | None:
        """Every platform of the app (all-platform offboarding, an undo of it)."""
        ...

    @property
    def reversal(self) -> ReversalCheck | None:
        """The rank check of an undo's step (None: no rank can be established)."""
        ...

    async def named(self, command: str) -> Known:
        """Whether the caller is named in ``command``'s policy users. Raises PlatformError
        when a look-up fails."""
        ...

    def unknown_why(self, command: str, known: Known) -> Reply:
        """For a caller ``named`` could not tell (``Known.UNKNOWN``): why, and what to grant
        the bot; nothing otherwise."""
        ...

    async def screen(self, there: Call, people: Sequence[UserRef]) -> list[ItemResult] | None:
        """Of ``people`` found on ``there``'s platform, those set aside (protected, or
        outranking the caller), each with why; None: no check is available, so nobody may be
        acted on."""
        ...


class HasAsked(Protocol):
    @property
    def asked(self) -> Asked: ...


class HasRoom(Protocol):
    @property
    def room(self) -> RoomView: ...


class HasEffects(Protocol):
    @property
    def effects(self) -> Effects: ...


class HasCases(Protocol):
    @property
    def cases(self) -> Cases: ...


class HasChecks(Protocol):
    @property
    def checks(self) -> Checks: ...
