"""One person out of one room, for offboarding (on one platform, or on every platform at once).

Each room is handled through ``Call.in_room``: that room's member list, last-owner guard, pace (a
jumbo room keeps its one change per interval) and journal entry (keyed by the room), so a job
cut off mid-way resumes without acting twice. A resumed run also lists the rooms an earlier run
already settled: the platform no longer counts the person as a member there.
"""

from __future__ import annotations

from typing import Protocol

from bot.errors import PlatformError
from bot.everywhere.reach import transient
from bot.model import RoomInfo, RoomRef, UserRef
from bot.outcome import ItemResult, Status
from bot.platform import SupportsUserRooms
from bot.replies import offboard as sentences
from bot.services import HasAsked, HasCases, HasEffects, HasRoom
from bot.undo_steps import Readd

IB_SCOPE = "ib:"
"""Journal scope prefix of an IB group's entry (room ids never start with it)."""


class InRoom(HasAsked, HasRoom, HasEffects, HasCases, Protocol):
    """What leaving one room uses: the reason asked, that room, the effects there, and the
    case's journal (keyed by the room)."""


class Found(HasRoom, HasCases, Protocol):
    """What finding a person's rooms uses: the platform, and the case's own entries."""


async def rooms_of(
    call: Found, platform: SupportsUserRooms, user: UserRef, scope: str = ""
) -> list[RoomInfo]:
    """The person's rooms now, plus rooms this case already has an entry for (an earlier run
    removed them there, so the platform no longer lists the room). ``scope``: the prefix of
    this platform's entries when the case acted on several (``<platform>/``)."""
    rooms = list(await platform.rooms_of(user))
    known = {r.room.id for r in rooms}
    suffix = "/" + user.id
    for row in await call.cases.book.audit(case=call.cases.case_id):
        for result in row.results:
            key = str(result["target_id"])
            if not key.startswith(scope):
                continue
            key = key[len(scope) :]
            room_id = key.removesuffix(suffix)
            if room_id == key or key.startswith(IB_SCOPE) or room_id in known:
                continue
            known.add(room_id)
            try:
                rooms.append(await call.room.platform.room_info(RoomRef(room_id)))
            except PlatformError:
                rooms.append(RoomInfo(RoomRef(room_id), room_id, True))
    return rooms


async def leave_room(
    call: InRoom, user: UserRef, *, platform: str | None = None, again: bool = False
) -> ItemResult:
    """Remove ``user`` from ``call``'s room (services ``in_room``). ``platform``: named in
    the undo step when the case acts on several; ``again``: a failure that trying again later
    may mend (``bot.everywhere.reach.transient``) is raised instead of reported."""
    room, journal, effects = call.room.info, call.cases.journal, call.effects
    assert room is not None  # services in_room
    reason = call.asked.parsed.rest
    if not room.active:
        return ItemResult(user, Status.REFUSED, sentences.offboard_deactivated(room.name))
    try:
        members = await call.room.members()
        member = members.get(user.id)
        if member is None:
            if await journal.started(user):  # an earlier run's call went through
                line = sentences.offboard_removed_after_restart(user, room.name)
                undo = room_undo(room, user, owner=False, platform=platform)
                return ItemResult(user, Status.DONE, line, "confirmed by member list", undo)
            return ItemResult(user, Status.REFUSED, sentences.offboard_not_member(user, room.name))
        owners = {uid for uid, m in members.items() if m.is_owner}
        if member.is_owner and owners == {user.id}:
            return ItemResult(user, Status.REFUSED, sentences.offboard_last_owner(user, room.name))
        said = await effects.remove(user, reason)  # a member, in the list read for this room
        if said is None:  # a dry run: nothing was called
            interval = await effects.pace_interval()
            line = sentences.offboard_would_remove(user, room.name, len(members), interval)
            return ItemResult(user, Status.PLANNED, line)
    except PlatformError as err:
        if again and transient(err):
            raise
        line = sentences.offboard_failed(user, room.name, err)
        return ItemResult(user, Status.FAILED, line, err.response or err.detail)
    line = sentences.offboard_removed(user, room.name, reason)
    undo = room_undo(room, user, owner=member.is_owner, kind=member.kind, platform=platform)
    return ItemResult(user, Status.DONE, line, said, undo)


def room_undo(
    room: RoomInfo,
    user: UserRef,
    *,
    owner: bool,
    kind: str | None = None,
    platform: str | None = None,
) -> Readd:
    """Re-add to this room as the kind of member they were (the journal's target id is scoped
    by the room, so the person's own id travels along; and the platform's name, when the case
    acted on several)."""
    return Readd(
        owner=owner,
        room=room.room.id,
        name=room.name,
        user=user.id,
        platform=platform,
        kind=kind,
    )
