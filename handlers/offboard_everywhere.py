"""One person out of every room on every platform the app serves, as one case (the
``--platform all`` form of offboarding, from chat, the command line or an identity provider).

The person is named by e-mail address and found on each platform by ``Checks.reach``: the
identity map's id there, else the platform's own look-up by e-mail. Each platform runs in its
own task, at its own pace (each room keeps its pacing, as on one platform), so a slow or
unreachable platform never holds the others back; one that does not answer (or answers 5xx or
429) is tried again on ``reach.retry``'s schedule, while the others go on. Every room has its
own journal entry, keyed ``<platform>/<room>/<person>``, and its undo step names its platform,
so a resumed job acts at most once per room and one ``/undo`` of the case re-adds everywhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Protocol

from bot.call import Call
from bot.errors import PlatformError
from bot.everywhere.reach import Reach, transient
from bot.grammar import EmailTarget, Parsed
from bot.model import RoomInfo, UserRef
from bot.outcome import ItemResult, Outcome, Refusal, Refused, Report, Status
from bot.platform import Platform, SupportsUserRooms
from bot.replies import offboard as sentences
from bot.reply import unmentioned
from bot.services import Effects, Halted, HasCases, HasEffects
from handlers.offboard_rooms import leave_room, rooms_of

ALL = "all"
"""The one value ``--platform`` takes in chat: every platform the app serves."""


def finds_its_targets(parsed: Parsed) -> bool:
    """``Command.finds_targets``: the all-platform form finds the person on each platform."""
    return bool(parsed.values.get("platform"))


@dataclass(slots=True)
class _Shared:
    """What the platforms' tasks add to together: every result so far (progress reports)
    and the rooms found (the case's total)."""

    effects: Effects
    items: list[ItemResult] = field(default_factory=list)
    total: int = 0

    async def found(self, rooms: int) -> None:
        self.total += rooms
        await self.effects.expect(self.total)

    async def settled(self, item: ItemResult) -> None:
        self.items.append(item)
        await self.effects.progress(self.items)


@dataclass(slots=True)
class _Part:
    """One platform's share of the case."""

    platform: str
    items: list[ItemResult] = field(default_factory=list)
    rooms: int = 0
    retried: int = 0
    halted: str | None = None
    """Why it stopped early ("stopping", "cancelled"), or None."""


async def everywhere(call: Call) -> Outcome:
    parsed = call.asked.parsed
    given = parsed.values.get("platform", ())
    if any(value.lower() != ALL for value in given):
        return Refused(Refusal.MALFORMED, sentences.everywhere_only_all(given, ALL))
    if len(parsed.targets) != 1:
        return Refused(Refusal.MALFORMED, sentences.offboard_one_person(len(parsed.targets)))
    (target,) = parsed.targets
    if not isinstance(target, EmailTarget):
        return Refused(Refusal.MALFORMED, sentences.everywhere_needs_email())
    if parsed.values.get("ib-group"):
        return Refused(Refusal.MALFORMED, sentences.everywhere_no_groups())
    reach = call.checks.reach
    platforms = [p for p in reach.ordered() if isinstance(p, SupportsUserRooms)] if reach else []
    if reach is None or not platforms:
        return Refused(Refusal.UNSUPPORTED, sentences.everywhere_no_platforms())
    shared = _Shared(call.effects)
    parts = await asyncio.gather(
        *(_on_platform(call, reach, p, target.email, shared) for p in platforms)
    )
    if any(part.halted == "stopping" for part in parts):
        raise Halted("stopping")  # handed back: the next start resumes every platform
    if any(part.halted == "cancelled" for part in parts):
        call.effects.cancelled()
    items = tuple(_named(i) for part in parts for i in part.items)
    per_platform = tuple(
        sentences.everywhere_platform_headline(p.platform, p.rooms, p.items, p.retried)
        for p in parts
    )
    rooms = sum(part.rooms for part in parts)
    headline = sentences.everywhere_headline(target.email, len(parts), rooms, items)
    return Report(items, (headline,), per_platform)


async def _on_platform(
    call: Call, reach: Reach, platform: Platform, email: str, shared: _Shared
) -> _Part:
    """The platform's share: find the person, screen them, leave each room; a platform that
    does not answer is tried again (``reach.retry``) without holding the others back."""
    part = _Part(platform.name)
    there = call.on_platform(platform, scope=platform.name)
    ghost = UserRef("email:" + email, None, email)
    delays = iter(()) if call.effects.dry_run else reach.retry.delays()
    wait = next(delays, None)
    try:
        while True:
            try:
                found = await _found(call, there, reach, platform, email)
                break
            except PlatformError as err:
                if wait is None or not transient(err):
                    await _settle(there, shared, part, _unreachable(ghost, platform, part, err))
                    return part
            part.retried += 1
            await _wait(call.effects, reach, wait)
            wait = next(delays, None)
        if found.person is None or found.set_aside:
            for item in found.set_aside or [_unknown(ghost, platform.name)]:
                await _settle(there, shared, part, item)
            return part
        person = found.person
        part.rooms = len(found.rooms)
        await shared.found(len(found.rooms))
        pending = [there.in_room(room) for room in found.rooms]
        while pending:
            later = []
            for in_room in pending:
                journal = in_room.cases.journal
                prev = await journal.previous(person)
                if prev is None:
                    try:
                        prev = await leave_room(
                            in_room, person, platform=platform.name, again=wait is not None
                        )
                    except PlatformError:  # down for now: this room again, after the wait
                        later.append(in_room)
                        continue
                    if not call.effects.dry_run:  # a rehearsal's failure is not the run's
                        await journal.record(prev)
                part.items.append(prev)
                await shared.settled(prev)
            if wait is None or not later:
                break
            part.retried += 1
            await _wait(call.effects, reach, wait)
            wait = next(delays, None)
            pending = later
    except Halted as halted:
        part.halted = halted.reason
    return part


@dataclass(frozen=True, slots=True)
class _Found:
    person: UserRef | None
    """None: unknown on the platform."""
    set_aside: list[ItemResult] = field(default_factory=list)
    """Why the person is not acted on there (protected, outranking the caller, the caller)."""
    rooms: list[RoomInfo] = field(default_factory=list)


async def _found(call: Call, there: Call, reach: Reach, platform: Platform, email: str) -> _Found:
    """The person on ``platform`` (``there``: the command's services on it) and their rooms
    there (named with the platform), unless unknown there or set aside. Raises PlatformError
    when a look-up fails."""
    assert isinstance(platform, SupportsUserRooms)
    person = await reach.find(platform, email)
    if person is None:
        return _Found(None)
    asked = there.asked
    if platform.name == asked.platform and person.id == asked.caller.id:
        return _Found(person, [ItemResult(person, Status.REFUSED, sentences.offboard_self()[0])])
    set_aside = await call.checks.screen(there, [person])
    if set_aside is None:  # nobody checked them: nobody acts (fail closed)
        return _Found(
            person, [ItemResult(person, Status.REFUSED, sentences.everywhere_unscreened(person))]
        )
    if set_aside:
        return _Found(person, set_aside)
    rooms = await rooms_of(there, platform, person, scope=platform.name + "/")
    named = [
        dataclasses.replace(r, name=sentences.platform_room(platform.name, r.name)) for r in rooms
    ]
    return _Found(person, rooms=named)


class _There(HasEffects, HasCases, Protocol):
    """A platform's share: its journal entries (scoped by the platform) and dry run."""


async def _settle(there: _There, shared: _Shared, part: _Part, item: ItemResult) -> None:
    """A platform-wide result (unknown, unreachable, set aside): journalled like a room's, so
    a resumed run shows it without asking again (a rehearsal's is not kept)."""
    journal = there.cases.journal
    prev = await journal.previous(item.target)
    if prev is None:
        if not there.effects.dry_run:
            await journal.record(item)
        prev = item
    part.items.append(prev)
    await shared.settled(prev)


async def _wait(effects: Effects, reach: Reach, seconds: float) -> None:
    """Wait before trying a platform again, a second at a time, so a shutdown or a /cancel
    stops the wait (``Halted``)."""
    left = seconds
    while left > 0:
        await effects.check_halt()
        step = min(left, 1.0)
        await reach.sleep(step)
        left -= step
    await effects.check_halt()


def _named(item: ItemResult) -> ItemResult:
    """A result with its person named in plain text: the report goes to a platform where the
    person's id on another is no mention."""
    return dataclasses.replace(item, line=unmentioned((item.line,))[0])


def _unknown(ghost: UserRef, platform: str) -> ItemResult:
    said = sentences.everywhere_unknown(ghost.email or "", platform)
    return ItemResult(ghost, Status.REFUSED, said)


def _unreachable(ghost: UserRef, platform: Platform, part: _Part, err: PlatformError) -> ItemResult:
    said = sentences.everywhere_unreachable(ghost.email or "", platform.name, part.retried, err)
    return ItemResult(ghost, Status.FAILED, said, err.response or err.detail)
