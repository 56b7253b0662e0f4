"""The services of ``bot.services`` as the pipeline builds them for one command: each a small
view over the command's ``Context`` (``bot.context``), and the checks the dispatcher lends it."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.casebook import CaseBook
from bot.commands import Registry
from bot.context import Context, ScopedJournal, run_each, settle_each, unknown_why
from bot.entitlement import Known, Policy
from bot.everywhere.reach import Reach
from bot.lost_answers import checked, removed
from bot.model import Member, RoomInfo, RoomRef, UserRef
from bot.outcome import ItemResult
from bot.platform import Platform
from bot.reply import Line, Reply
from bot.services import Asked, Cases, Checks, Effects, Journal, ReversalCheck, RoomView, Step

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Room:
    _ctx: Context

    @property
    def platform(self) -> Platform:
        return self._ctx.platform

    @property
    def info(self) -> RoomInfo | None:
        return self._ctx.room

    @property
    def acting(self) -> RoomRef:
        return self._ctx.acting_room

    async def members(self) -> dict[str, Member]:
        return await self._ctx.members()

    async def is_owner(self, user: UserRef) -> bool:
        return await self._ctx.is_owner(user)

    async def caller_is_owner(self) -> bool:
        return await self._ctx.caller_is_owner()


@dataclass(frozen=True, slots=True)
class _Effects:
    _ctx: Context

    @property
    def dry_run(self) -> bool:
        return self._ctx.dry_run

    async def change(self, call: Callable[[], Awaitable[T]], *targets: UserRef) -> T | None:
        return await self._ctx.change(call, *targets)

    async def remove(self, user: UserRef, reason: str | None) -> str | None:
        platform, room = self._ctx.platform, self._ctx.acting_room
        removal = checked(
            lambda: platform.remove_member(room, user, reason),
            removed(platform, room, user),  # an answer lost: the member list decides
            was_not_in_place=True,  # a member, in the list read for this command
        )
        return await self._ctx.change(removal, user)

    async def pace(self) -> None:
        await self._ctx.pace()

    async def pace_interval(self) -> float:
        return await self._ctx.pace_interval()

    async def check_halt(self) -> None:
        await self._ctx.check_halt()

    async def expect(self, total: int) -> None:
        await self._ctx.expect(total)

    async def each(self, work: Callable[[UserRef], Awaitable[ItemResult]]) -> list[ItemResult]:
        return await run_each(self._ctx, work)

    async def settle(self, steps: Sequence[Step]) -> tuple[list[ItemResult], bool]:
        return await settle_each(self._ctx, [(c._ctx, t, w) for c, t, w in steps])

    async def progress(self, items: Sequence[ItemResult]) -> None:
        if self._ctx.progress is not None:
            await self._ctx.progress(items)

    def cancelled(self) -> None:
        self._ctx.cancelled = True


@dataclass(frozen=True, slots=True)
class _Cases:
    _ctx: Context

    @property
    def case_id(self) -> int:
        return self._ctx.case_id

    @property
    def journal(self) -> Journal:
        return self._ctx.journal

    @property
    def book(self) -> CaseBook:
        return self._ctx.cases


@dataclass(frozen=True, slots=True)
class Lent:
    """``Checks`` as the dispatcher lends them to one command (``bot.pipeline.steps``)."""

    policy: Policy
    registry: Registry
    platform: Platform
    """The platform the command was typed on (what a caller it cannot tell apart is told)."""
    reach: Reach | None
    named_check: Callable[[str], Awaitable[Known]]
    """(a command): whether the caller is named in its ``policy.commands.<command>.users``,
    e-mail entries resolved to the platform's ids as the policy step resolves them."""
    rank_check: Callable[[Context, UserRef, UserRef], Awaitable[Line | None]] | None
    """(the context of the place a change was made, who made it, for whom): why the caller
    may not reverse it by rank, or None (None: no rank can be established)."""
    screen_check: Callable[[Context, Sequence[UserRef]], Awaitable[list[ItemResult]]] | None
    """(a context on some platform, people found there): those the dispatcher's checks set
    aside there, protected or outranking the caller, each with why."""

    @property
    def reversal(self) -> ReversalCheck | None:
        check = self.rank_check
        if check is None:
            return None

        async def reversal(place: Call, actor: UserRef, target: UserRef) -> Line | None:
            return await check(place._ctx, actor, target)

        return reversal

    async def named(self, command: str) -> Known:
        return await self.named_check(command)

    def unknown_why(self, command: str, known: Known) -> Reply:
        return unknown_why(self.platform, command, known)

    async def screen(self, there: Call, people: Sequence[UserRef]) -> list[ItemResult] | None:
        if self.screen_check is None:
            return None
        return await self.screen_check(there._ctx, people)


@dataclass(frozen=True, slots=True)
class Call:
    """The services of one command as it runs (``bot.services``). Built by the pipeline over
    its ``Context``, which a handler does not reach, and the checks it lends."""

    _ctx: Context
    _checks: Lent

    @property
    def asked(self) -> Asked:
        ctx = self._ctx
        inv = ctx.invocation
        return Asked(ctx.command, inv.platform, inv.room, inv.caller, ctx.parsed, ctx.targets)

    @property
    def room(self) -> RoomView:
        return _Room(self._ctx)

    @property
    def effects(self) -> Effects:
        return _Effects(self._ctx)

    @property
    def cases(self) -> Cases:
        return _Cases(self._ctx)

    @property
    def checks(self) -> Checks:
        return self._checks

    def in_room(self, info: RoomInfo) -> Call:
        """The same command acting in another room (offboarding: one person, many rooms):
        that room's members, owners and pace, journal entries keyed by the room, no progress
        reports of its own. Replies still go where it was asked."""
        return Call(self._ctx.for_room(info), self._checks)

    def on_platform(self, platform: Platform, scope: str | None = None) -> Call:
        """The same command on another platform of the app (no room there; journal entries
        under ``scope``, if given; no progress reports of its own)."""
        ctx = self._ctx
        journal = ctx.journal if scope is None else ScopedJournal(ctx.journal, scope)
        there = ctx.elsewhere(platform=platform, room=None, journal=journal)
        return Call(there, self._checks)

    def scoped(self, scope: str) -> Call:
        """The same command with its journal entries keyed ``<scope>/<user id>``."""
        journal = ScopedJournal(self._ctx.journal, scope)
        return Call(dataclasses.replace(self._ctx, journal=journal), self._checks)

    def roomless(self) -> Call:
        """The same command as if it named no room (rank by named ranks only)."""
        return Call(dataclasses.replace(self._ctx, room=None), self._checks)
