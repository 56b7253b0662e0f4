"""/offboard @user [reason…] [--ib-group <group>]… [--dry-run]: remove one person from every room
the bot can act in where they are a member, and from the named IB groups (Symphony).

Each room is handled through ``ctx.for_room``: that room's member list, last-owner guard, pace (a
jumbo room keeps its one change per interval) and journal entry (keyed by the room), so a job
cut off mid-way resumes without acting twice. A resumed run also lists the rooms an earlier run
already settled: the platform no longer counts the person as a member there.
"""

from __future__ import annotations

import dataclasses
from functools import partial

from bot.commands import Command, Context, ScopedJournal, Step, settle_each
from bot.errors import PlatformError
from bot.grammar import Flag, Grammar, Option, Rest, Targets
from bot.lost_answers import checked, ib_confirmed, removed
from bot.model import RoomInfo, RoomRef, UserRef
from bot.outcome import ItemResult, Outcome, Refusal, Refused, Report, Status
from bot.platform import SupportsIbGroups, SupportsUserRooms
from bot.replies import ib_groups
from bot.replies import offboard as sentences
from bot.undo_steps import IbReadd, Readd

IB_SCOPE = "ib:"
"""Journal scope prefix of an IB group's entry (room ids never start with it)."""


async def offboard(ctx: Context) -> Outcome:
    platform = ctx.platform
    assert isinstance(platform, SupportsUserRooms)  # Command.requires checked it
    if len(ctx.parsed.targets) != 1:
        return Refused(Refusal.MALFORMED, sentences.offboard_one_person(len(ctx.parsed.targets)))
    groups = ctx.parsed.values.get("ib-group", ())
    if groups and not isinstance(platform, SupportsIbGroups):
        return Refused(Refusal.UNSUPPORTED, sentences.offboard_no_ib_groups(platform.name))
    if not ctx.targets:  # unknown, protected or outranking: the dispatcher has said why
        return Report(())
    (user,) = ctx.targets
    if user.id == ctx.invocation.caller.id:
        return Refused(Refusal.MALFORMED, sentences.offboard_self())
    try:
        rooms = await _rooms(ctx, platform, user)
    except PlatformError as err:
        return Refused(Refusal.PLATFORM, sentences.offboard_rooms_failed(user, err))
    await ctx.expect(len(rooms) + len(groups))
    steps: list[Step] = []
    for info in rooms:
        room_ctx = ctx.for_room(info)
        steps.append((room_ctx, user, partial(_leave_room, room_ctx, user)))
    for group in groups:
        assert isinstance(platform, SupportsIbGroups)
        group_ctx = dataclasses.replace(ctx, journal=ScopedJournal(ctx.journal, IB_SCOPE + group))
        steps.append((group_ctx, user, partial(_leave_group, group_ctx, platform, user, group)))
    items, cancelled = await settle_each(ctx, steps)
    if cancelled:
        stopped = sentences.offboard_cancelled(user, items, len(steps))
        return Report(tuple(items), (stopped,))
    headline = sentences.offboard_headline(user, len(rooms), len(groups), items)
    return Report(tuple(items), (headline,))


async def _rooms(ctx: Context, platform: SupportsUserRooms, user: UserRef) -> list[RoomInfo]:
    """The person's rooms now, plus rooms this case already has an entry for (an earlier run
    removed them there, so the platform no longer lists the room)."""
    rooms = list(await platform.rooms_of(user))
    known = {r.room.id for r in rooms}
    suffix = "/" + user.id
    for row in await ctx.cases.audit(case=ctx.case_id):
        for result in row.results:
            key = str(result["target_id"])
            room_id = key.removesuffix(suffix)
            if room_id == key or key.startswith(IB_SCOPE) or room_id in known:
                continue
            known.add(room_id)
            try:
                rooms.append(await ctx.platform.room_info(RoomRef(room_id)))
            except PlatformError:
                rooms.append(RoomInfo(RoomRef(room_id), room_id, True))
    return rooms


async def _leave_room(ctx: Context, user: UserRef) -> ItemResult:
    room = ctx.room
    assert room is not None  # a for_room context
    reason = ctx.parsed.rest
    if not room.active:
        return ItemResult(user, Status.REFUSED, sentences.offboard_deactivated(room.name))
    try:
        members = await ctx.members()
        member = members.get(user.id)
        if member is None:
            if await ctx.journal.started(user):  # an earlier run's call went through
                line = sentences.offboard_removed_after_restart(user, room.name)
                undo = _undo(room, user, owner=False)
                return ItemResult(user, Status.DONE, line, "confirmed by member list", undo)
            return ItemResult(user, Status.REFUSED, sentences.offboard_not_member(user, room.name))
        owners = {uid for uid, m in members.items() if m.is_owner}
        if member.is_owner and owners == {user.id}:
            return ItemResult(user, Status.REFUSED, sentences.offboard_last_owner(user, room.name))
        call = checked(
            lambda: ctx.platform.remove_member(room.room, user, reason),
            removed(ctx.platform, room.room, user),  # an answer lost: the member list decides
            was_not_in_place=True,  # a member, in the list read for this room
        )
        said = await ctx.change(call, user)
        if said is None:  # a dry run: nothing was called
            interval = await ctx.pace_interval()
            line = sentences.offboard_would_remove(user, room.name, len(members), interval)
            return ItemResult(user, Status.PLANNED, line)
    except PlatformError as err:
        line = sentences.offboard_failed(user, room.name, err)
        return ItemResult(user, Status.FAILED, line, err.response or err.detail)
    line = sentences.offboard_removed(user, room.name, reason)
    return ItemResult(user, Status.DONE, line, said, _undo(room, user, owner=member.is_owner))


def _undo(room: RoomInfo, user: UserRef, *, owner: bool) -> Readd:
    """Re-add to this room (the journal's target id is scoped by the room, so the person's own
    id travels along)."""
    return Readd(owner=owner, room=room.room.id, name=room.name, user=user.id)


async def _leave_group(
    ctx: Context, platform: SupportsIbGroups, user: UserRef, group: str
) -> ItemResult:
    try:
        if user.id in await platform.deactivated_users([user]):
            return ItemResult(user, Status.REFUSED, ib_groups.ib_deactivated(user))
        call = partial(  # an answer lost: the group decides
            ib_confirmed,
            platform,
            lambda: platform.remove_from_ib_group(group, [user]),
            group,
            [user],
            removing=True,
        )
        answer = await ctx.change(call, user)
    except PlatformError as err:
        line = sentences.offboard_ib_failed(user, group, err)
        return ItemResult(user, Status.FAILED, line, err.response or err.detail)
    if answer is None:  # a dry run: nothing was called
        return ItemResult(user, Status.PLANNED, ib_groups.would_ib_remove(user, group))
    (message,), raw = answer
    if message:
        return ItemResult(user, Status.FAILED, ib_groups.ib_refused(user, message), raw)
    undo = IbReadd(group, user.id)
    return ItemResult(user, Status.DONE, ib_groups.ib_removed(user, group), raw, undo)


COMMAND = Command(
    name="offboard",
    summary="remove one person from every room the bot can act in (and IB groups)",
    grammar=Grammar(
        (Targets("user", one=True), Rest("reason")),
        (Flag("dry-run"), Option("ib-group", "group"), Option("at", "time")),
    ),
    run=offboard,
    undo_steps=(Readd, IbReadd),
    needs_room=False,
    requires=SupportsUserRooms,
    fans_out=True,
)
