"""How /undo reverses one recorded step: the checks a step must pass in the room it acts in
(``Vetting``), and the reversal itself, journalled as begun before its call (``reverse``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TypeVar, assert_never

from bot.call import Call
from bot.entitlement import Verdict, decide, decide_static
from bot.errors import PlatformError
from bot.lost_answers import (
    added,
    confirmed,
    ib_confirmed,
    known_not_made,
    level_restored,
    promoted,
)
from bot.model import RoomInfo, UserRef
from bot.outcome import ItemResult, Status
from bot.platform import SupportsIbGroups, SupportsInviteOnly, SupportsOwnerLevels, SupportsUndo
from bot.replies import failures
from bot.replies import undo as sentences
from bot.reply import Line
from bot.services import Effects, Journal
from bot.store import AuditRow
from bot.undo_steps import IbReadd, Readd, Repromote, StoredStep, Unreadable

T = TypeVar("T")


def _room_id(how: StoredStep, row: AuditRow) -> str:
    """The room a step acts in: its own (offboarding), else the case's."""
    return how.room if isinstance(how, Readd) and how.room is not None else row.room


class Vetting:
    """Whether the caller may reverse each step of a case now, as if running the original
    command there: its policy right (room ownership counted in the room the step acts in), and
    rank through the dispatcher's check (``Checks.reversal``). Read-only; a check that cannot
    be made refuses the step. The services of each room it looks at (``place``) are the ones
    the step's change then goes through."""

    def __init__(self, call: Call, row: AuditRow):
        self.call = call
        self.row = row
        self.actor = UserRef(row.caller_id, row.caller)
        original = call.checks.registry.get(row.command)
        # Ranks as the original command compared them: in its room, or named ranks only.
        self.in_room = original.needs_room if original is not None else True
        self._rooms: dict[str, Call] = {}

    def place(self, how: StoredStep) -> Call:
        """The services of where a step acts, built once for its check and its change: the
        room asked in (an IB group's step too: it acts in no room), or that room's (its owners,
        and its pace)."""
        call = self.call
        asked = call.asked.room
        room_id = asked.id if isinstance(how, IbReadd) else _room_id(how, self.row)
        if room_id == asked.id:
            return call
        if room_id not in self._rooms:
            name = how.name if isinstance(how, Readd) and how.name is not None else room_id
            self._rooms[room_id] = call.in_room(RoomInfo(type(asked)(room_id), name, True))
        return self._rooms[room_id]

    async def why_not(self, person: UserRef, how: StoredStep, where: Line) -> Line | None:
        call, command = self.call, self.row.command
        policy, reversal = call.checks.policy, call.checks.reversal
        caller = call.asked.caller
        place = self.place(how)  # an IB group's: ownership, if a rule asks, of the room asked in
        try:
            decision = decide_static(policy, command, caller)
            if decision.verdict is Verdict.NEEDS_ROOM_OWNER:
                owner = await place.room.caller_is_owner()
                decision = decide(policy, command, caller, owner)
            if not decision.allowed:
                return sentences.undo_not_entitled(person, command, where, decision)
            if reversal is None:
                return sentences.undo_unchecked(person, where, None)
            named_only = not self.in_room or isinstance(how, IbReadd)
            ranked = call.roomless() if named_only else place
            why = await reversal(ranked, self.actor, person)
        except PlatformError as err:
            return sentences.undo_unchecked(person, where, err)
        return None if why is None else sentences.undo_refused(person, where, why)


@dataclasses.dataclass(frozen=True, slots=True)
class Begun:
    """The undo's own journal entry of a step (keyed as its result is), noted as started just
    before its change is called: a run cut off then leaves it "started", so a resumed run makes
    it again (the platform's look settles an answer lost) and a /cancel keeps its claim."""

    journal: Journal
    key: UserRef


async def reverse(
    place: Call, begun: Begun, target: UserRef, how: StoredStep
) -> tuple[ItemResult, bool]:
    """The step's result, and whether it failed with its change known not to be in place (its
    claim is then given up). ``place``: the services of where it acts (``Vetting.place``);
    its change goes through their ``Effects.change``, as every change does: a halt is looked
    for first, the room's pace is kept, a failure is counted. The step is journalled as started
    in the undo's own journal (``begun``), not the place's (keyed by its room there)."""
    platform, room, effects = place.room.platform, place.room.acting, place.effects
    try:
        match how:
            case Readd(owner=owner, name=name, kind=kind):
                if not isinstance(platform, SupportsUndo):
                    return _cannot(target, platform.name), False
                invited = isinstance(platform, SupportsInviteOnly)

                async def readd() -> tuple[str, PlatformError | None]:
                    """What the platform said, and why the promotion after a re-add made
                    failed (None: it did not)."""
                    # An answer lost: the room decides (here and below).
                    said = await confirmed(
                        lambda: platform.add_member(room, target, kind),  # the kind they were
                        added(platform, room, target),
                    )
                    if owner:
                        await effects.pace()  # a second call in the room: its own turn
                        try:
                            said += "; " + await confirmed(
                                lambda: platform.promote_owner(room, target),
                                promoted(platform, room, target),
                            )
                        except PlatformError as err:
                            return said, err
                    return said, None

                said, unpromoted = await _made(effects, begun, readd)
                if unpromoted is not None:  # back, not as owner: its claim is kept (re-added)
                    line = sentences.readded_not_owner(target, name, invited, unpromoted)
                    said += "; " + (unpromoted.response or unpromoted.detail or "")
                    return ItemResult(target, Status.FAILED, line, said), False
                if invited:
                    line = (
                        sentences.invited_back_to_room(target, name, owner)
                        if name is not None
                        else sentences.invited_back(target, owner)
                    )
                else:
                    line = (
                        sentences.readded_to_room(target, name, owner)
                        if name is not None
                        else sentences.readded(target, owner)
                    )
                return ItemResult(target, Status.DONE, line, said), False
            case Repromote(level=level):
                if not isinstance(platform, SupportsUndo):
                    return _cannot(target, platform.name), False
                if level is not None and isinstance(platform, SupportsOwnerLevels):
                    said = await _made(
                        effects,
                        begun,
                        lambda: confirmed(
                            lambda: platform.restore_owner_level(room, target, level),
                            level_restored(platform, room, target, level),
                        ),
                    )
                    line = sentences.level_restored(target, level)
                    return ItemResult(target, Status.DONE, line, said), False
                said = await _made(
                    effects,
                    begun,
                    lambda: confirmed(
                        lambda: platform.promote_owner(room, target),
                        promoted(platform, room, target),
                    ),
                )
                return ItemResult(target, Status.DONE, sentences.repromoted(target), said), False
            case IbReadd(group=group):
                if not isinstance(platform, SupportsIbGroups):
                    return _cannot(target, platform.name), False
                # An answer lost: the group decides.
                results, raw = await _made(
                    effects,
                    begun,
                    lambda: ib_confirmed(
                        platform,
                        lambda: platform.add_to_ib_group(group, [target]),
                        group,
                        [target],
                        removing=False,
                    ),
                )
                if results and results[0]:  # the group refused this person: not added
                    line = sentences.ib_readd_refused(target, group, results[0])
                    return ItemResult(target, Status.FAILED, line, raw), True
                line = sentences.ib_readded(target, group)
                return ItemResult(target, Status.DONE, line, raw), False
            case Unreadable():  # another version's step: never acted on
                return _cannot(target, platform.name), False
            case _:
                assert_never(how)
    except PlatformError as err:
        # Through ``confirmed``: refused, or looked at and not in place, unless the look failed.
        not_made = known_not_made(err)
        return ItemResult(
            target, Status.FAILED, failures.failed(target, "undo the change for", err),
            err.response or err.detail,
        ), not_made  # fmt: skip


async def _made(effects: Effects, begun: Begun, change: Callable[[], Awaitable[T]]) -> T:
    """``change`` made through ``effects``, the step noted as started just before it is called
    (after the halt check and the pace: a change a /cancel stopped was never begun); /undo has
    no dry run, so it is always made."""

    async def started() -> T:
        await begun.journal.start(begun.key)
        return await change()

    said = await effects.change(started)
    assert said is not None  # None only in a dry run
    return said


def _cannot(target: UserRef, platform: str) -> ItemResult:
    return ItemResult(target, Status.REFUSED, sentences.cannot_undo_here(target, platform))
