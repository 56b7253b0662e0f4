"""The pipeline's view of one command as it runs: its ``Context`` (platform, room, policy, journal,
pacing, halt and progress hooks), and the loops that settle its targets one by one.

Handlers never see it: they get the narrow services of ``bot.services`` built over it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from bot import telemetry
from bot.casebook import CaseBook
from bot.entitlement import Known, users_key
from bot.grammar import Parsed
from bot.lookups import begun
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef
from bot.outcome import ItemResult
from bot.pacing import RoomPacing
from bot.platform import ExplainsEmailAccess, Platform, SupportsOwnerLookup
from bot.progress import Progress
from bot.replies import refusals
from bot.reply import Reply
from bot.services import Halted, Journal, StepAt

T = TypeVar("T")


ProgressHook = Callable[[Sequence[ItemResult]], Awaitable[None]]
HaltCheck = Callable[[], Awaitable[str | None]]
"""Why a running command must stop before its next target ("stopping": the bot is shutting
down; "cancelled": someone ran /cancel), or None to go on."""


OWNER_LOOKUPS_AT_ONCE = 8
"""Owner lookups a command has under way at once (Slack: a users.info each), well inside the
platforms' rate limits."""


@dataclass(slots=True)
class Context:
    platform: Platform
    invocation: Invocation
    room: RoomInfo | None
    parsed: Parsed
    targets: tuple[UserRef, ...]
    """Resolved targets that passed the protected check, in the order given."""
    journal: Journal
    cases: CaseBook
    case_id: int
    dry_run: bool = False
    """Run every check, make no state-changing call (``change`` returns None)."""
    pacing: RoomPacing | None = None
    progress: ProgressHook | None = None
    halt: HaltCheck | None = None
    cancelled: bool = False
    """Set by ``run_each`` when a /cancel stopped the command: its report is partial."""
    command: str = ""
    """The command's name (the label of its platform calls in metrics)."""
    _members: dict[str, Member] | None = field(default=None)
    _caller_owner: bool | None = field(default=None)
    _owners: dict[str, asyncio.Task[bool]] = field(default_factory=dict)
    """The platform's owner lookups by user id, under way or done (SupportsOwnerLookup)."""
    _owner_slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(OWNER_LOOKUPS_AT_ONCE)
    )
    _interval: float | None = field(default=None)
    _acting: RoomRef | None = field(default=None)

    @property
    def acting_room(self) -> RoomRef:
        """Where this context acts: the room the command was typed in, unless ``for_room``."""
        return self._acting if self._acting is not None else self.invocation.room

    def for_room(self, info: RoomInfo) -> Context:
        """This command acting in another room (offboarding: one person, many rooms). Member
        list, owner checks and pace are that room's, and its journal entries are keyed by the
        room, so one person has an entry per room. Replies still go where it was asked."""
        journal = ScopedJournal(self.journal, info.room.id)
        return self.elsewhere(room=info, journal=journal, _acting=info.room)

    def elsewhere(self, **changes: Any) -> Context:
        """This command with ``changes``, acting somewhere else: nothing read of the room it
        acted in (members, owner look-ups, pace) is kept, and it reports no progress."""
        fresh: dict[str, Any] = {
            "progress": None, "_acting": None, "_members": None, "_caller_owner": None,
            "_owners": {}, "_interval": None,
        }  # fmt: skip
        return dataclasses.replace(self, **(fresh | changes))

    def rehearsal(self) -> Context:
        """A dry-run copy: handlers update its member map as if they had acted, so a later
        target sees the room as it would be (e.g. the last owner left)."""
        members = dict(self._members) if self._members is not None else None
        return dataclasses.replace(self, dry_run=True, progress=None, halt=None, _members=members)

    async def expect(self, total: int) -> None:
        """The command's real number of changes, once it knows it (offboarding: the rooms and
        groups it found), for progress reports and /jobs."""
        if self.dry_run:
            return
        if isinstance(self.progress, Progress):
            self.progress.expect(total)
        await self.cases.note_total(self.case_id, total)

    async def check_halt(self) -> None:
        """Raise ``Halted`` if the command must stop now (between two targets)."""
        if self.halt is not None and (reason := await self.halt()) is not None:
            raise Halted(reason)

    async def pace_interval(self) -> float:
        """Seconds between state-changing calls in this room (0: not paced), decided once per
        command from the room's size when it started."""
        if self._interval is None:
            if self.pacing is None or self.room is None:
                self._interval = 0.0
            else:
                members = len(await self.members())
                self._interval = self.pacing.interval_for(members, self.platform.name)
        return self._interval

    async def pace(self) -> None:
        """Wait for this room's pace before a state-changing call (jumbo rooms only)."""
        interval = await self.pace_interval()
        if self.pacing is not None and interval > 0:
            await self.pacing.wait(self.platform.name, self.acting_room.id, interval)

    async def change(self, call: Callable[[], Awaitable[T]], *targets: UserRef) -> T | None:
        """Make a state-changing call for ``targets``: paced, and journalled as started so a
        crash leaves "result unknown". In a dry run nothing is called and the result is None."""
        if self.dry_run:
            return None
        await self.check_halt()
        for target in targets:
            await self.journal.start(target)
        # The pace last: the request leaves the moment the room's turn comes, so the gaps the
        # platform sees are the paced ones (store work in between would make them uneven).
        await self.pace()
        failed = None
        try:
            return await call()
        except BaseException as exc:
            failed = exc
            raise
        finally:
            telemetry.change_ended(self.platform.name, self.command, failed)
            if self.pacing is not None:
                self.pacing.done(self.platform.name, self.acting_room.id)

    async def members(self) -> dict[str, Member]:
        """The room's members by user id, looked up once per command."""
        if self._members is None:
            found = await self.platform.members(self.acting_room)
            self._members = {m.user.id: m for m in found}
        return self._members

    async def caller_is_owner(self) -> bool:
        """Whether the caller counts as an owner of this room on this platform (asked once)."""
        if self._caller_owner is None:
            self._caller_owner = await self.is_owner(self.invocation.caller)
        return self._caller_owner

    async def is_owner(self, user: UserRef) -> bool:
        if isinstance(self.platform, SupportsOwnerLookup):
            return await self._owner_lookup(self.platform, user)
        member = (await self.members()).get(user.id)
        return member is not None and member.is_owner

    def look_up_owners(self, users: Iterable[UserRef]) -> None:
        """Begin the platform's owner lookups for ``users`` now, side by side (at most
        ``OWNER_LOOKUPS_AT_ONCE`` at a time), for the checks that will ask: the caller's right
        and the targets' ranks cost one round trip, not one each. Read-only."""
        if isinstance(self.platform, SupportsOwnerLookup):
            for user in users:
                self._owner_lookup(self.platform, user)

    def _owner_lookup(self, platform: SupportsOwnerLookup, user: UserRef) -> asyncio.Task[bool]:
        found = self._owners.get(user.id)
        if found is None:

            async def ask() -> bool:
                async with self._owner_slots:
                    return await platform.is_room_owner(self.acting_room, user)

            found = self._owners[user.id] = begun(ask())
        return found


async def settle_each(
    ctx: Context, steps: Sequence[StepAt[Context]]
) -> tuple[list[ItemResult], bool]:
    """Run the steps in turn, skipping those a previous run already settled, and journal each
    result as soon as it is known (and report progress, for long commands). Returns the results
    and whether a /cancel ended the loop early; a shutdown raises ``Halted`` so the job is handed
    back and resumes on the next start."""
    items: list[ItemResult] = []
    for journalled, target, work in steps:
        prev = await journalled.journal.previous(target)
        if prev is None:
            try:
                prev = await work()  # ctx.change looks for a stop before each call
            except Halted as halted:
                if halted.reason != "cancelled":
                    raise
                return items, True
            await journalled.journal.record(prev)
        items.append(prev)
        if ctx.progress is not None:
            await ctx.progress(items)
    return items, False


async def run_each(
    ctx: Context,
    work: Callable[[UserRef], Awaitable[ItemResult]],
) -> list[ItemResult]:
    """``work`` for each target in turn (see ``settle_each``); a /cancel sets ``ctx.cancelled``
    and the results so far are returned."""
    items, cancelled = await settle_each(ctx, [(ctx, t, partial(work, t)) for t in ctx.targets])
    ctx.cancelled = ctx.cancelled or cancelled
    return items


class ScopedJournal:
    """A journal whose entries are keyed ``<scope>/<user id>`` (scope: a room or an IB group),
    so one person can have one entry per room in the same case. Results come back with the
    person as the target; the store keeps the scoped id (``/case`` shows the room)."""

    def __init__(self, inner: Journal, scope: str):
        self._inner = inner
        self.scope = scope

    def key(self, target: UserRef) -> UserRef:
        return UserRef(f"{self.scope}/{target.id}", target.display, target.email)

    async def previous(self, target: UserRef) -> ItemResult | None:
        prev = await self._inner.previous(self.key(target))
        return None if prev is None else dataclasses.replace(prev, target=target)

    async def record(self, item: ItemResult) -> None:
        await self._inner.record(dataclasses.replace(item, target=self.key(item.target)))

    async def start(self, target: UserRef) -> None:
        await self._inner.start(self.key(target))

    async def started(self, target: UserRef) -> bool:
        return await self._inner.started(self.key(target))


def unknown_why(platform: Platform, command: str, known: Known) -> Reply:
    """For a caller ``caller_named`` could not tell (``Known.UNKNOWN``): why, and what to grant
    the bot; nothing otherwise."""
    if known is not Known.UNKNOWN:
        return ()
    access = platform.email_access if isinstance(platform, ExplainsEmailAccess) else None
    key = users_key(command)
    return refusals.identity_unknown(command, key, platform.name, access)
