"""/undo [case]: reverse what a case changed (re-add, re-promote, re-add to the IB group).

Without a number it takes the caller's last case in this room. Each step reports its own result
and the undo is a case of its own; a case can be undone once, within the policy's window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import replies
from bot.commands import Command, Context
from bot.entitlement import is_named
from bot.errors import PlatformError
from bot.grammar import Grammar, Rest
from bot.lost_answers import added, confirmed, level_restored, promoted
from bot.model import RoomInfo, UserRef
from bot.outcome import ItemResult, Outcome, Refusal, Refused, Report, Status
from bot.platform import SupportsIbGroups, SupportsInviteOnly, SupportsOwnerLevels, SupportsUndo

UNDOABLE = ("kick", "demote", "ib-remove", "offboard")


async def undo(ctx: Context) -> Outcome:
    inv = ctx.invocation
    given = (ctx.parsed.rest or "").strip().lstrip("#")
    if given and not given.isdigit():
        return Refused(
            Refusal.MALFORMED,
            replies.malformed(f"“{given}” is not a case number.", None, COMMAND.usage),
        )
    if given:
        number: int | None = int(given)
    else:
        number = await ctx.cases.last_case(inv.platform, inv.room.id, inv.caller.id, UNDOABLE)
    if number is None:
        return Refused(Refusal.MALFORMED, replies.nothing_to_undo())
    rows = await ctx.cases.audit(case=number)
    if not rows:
        return Refused(Refusal.MALFORMED, replies.no_such_case(number))
    row = rows[0]
    if row.room != inv.room.id and not is_named(ctx.policy.rule("undo").users, inv.caller):
        return Refused(Refusal.NOT_ENTITLED, replies.case_elsewhere(number))
    if row.command not in UNDOABLE:
        return Refused(Refusal.MALFORMED, replies.not_undoable(number, row.command))
    window = timedelta(minutes=ctx.policy.undo_window_minutes)
    finished = datetime.fromisoformat(row.finished_at) if row.finished_at else None
    if finished is None or datetime.now(UTC) - finished > window:
        return Refused(
            Refusal.MALFORMED, replies.undo_too_late(number, ctx.policy.undo_window_minutes)
        )
    if (by := await ctx.cases.undone_by(number)) is not None:
        return Refused(Refusal.MALFORMED, replies.already_undone(number, by))
    await ctx.cases.mark_undoes(ctx.case_id, number)
    steps = await ctx.cases.undoable(number)
    items = []
    for target, how in steps:
        prev = await ctx.journal.previous(target)
        if prev is None:
            # An offboarding acted in many rooms: each step names its room and its person
            # (its journal id is scoped by the room).
            person = UserRef(str(how["user"]), target.display) if "user" in how else target
            prev = await _reverse(ctx, str(how.get("room", row.room)), person, how)
            prev = dataclasses.replace(prev, target=target)
            await ctx.journal.record(prev)
        items.append(prev)
    return Report(tuple(items), (replies.undo_headline(number, items),))


async def _reverse(
    ctx: Context, room_id: str, target: UserRef, how: Mapping[str, Any]
) -> ItemResult:
    platform = ctx.platform
    room = (
        ctx.invocation.room
        if room_id == ctx.invocation.room.id
        else type(ctx.invocation.room)(room_id)
    )
    # Changes in this room keep its pace (jumbo rooms); another room's size is not looked up.
    pace = ctx.pace if room_id == ctx.invocation.room.id else _no_pace
    if "room" in how and room_id != ctx.invocation.room.id:  # that room's own pace
        pace = ctx.for_room(RoomInfo(room, str(how.get("name", room_id)), True)).pace
    try:
        match how.get("op"):
            case "add" if isinstance(platform, SupportsUndo):
                await pace()
                invited = isinstance(platform, SupportsInviteOnly)
                # An answer lost: the room decides (here and below).
                said = await confirmed(
                    lambda: platform.add_member(room, target), added(platform, room, target)
                )
                if how.get("owner"):
                    await pace()
                    said += "; " + await confirmed(
                        lambda: platform.promote_owner(room, target),
                        promoted(platform, room, target),
                    )
                owner = bool(how.get("owner"))
                if invited:
                    line = (
                        replies.invited_back_to_room(target, str(how["name"]), owner)
                        if "name" in how
                        else replies.invited_back(target, owner)
                    )
                else:
                    line = (
                        replies.readded_to_room(target, str(how["name"]), owner)
                        if "name" in how
                        else replies.readded(target, owner)
                    )
                return ItemResult(target, Status.DONE, line, said)
            case "promote" if isinstance(platform, SupportsUndo):
                await pace()
                level = how.get("level")
                if isinstance(level, int) and isinstance(platform, SupportsOwnerLevels):
                    said = await confirmed(
                        lambda: platform.restore_owner_level(room, target, level),
                        level_restored(platform, room, target, level),
                    )
                    return ItemResult(
                        target, Status.DONE, replies.level_restored(target, level), said
                    )
                said = await confirmed(
                    lambda: platform.promote_owner(room, target), promoted(platform, room, target)
                )
                return ItemResult(target, Status.DONE, replies.repromoted(target), said)
            case "ib-add" if isinstance(platform, SupportsIbGroups):
                group = str(how["group"])
                results, raw = await platform.add_to_ib_group(group, [target])
                if results and results[0]:
                    line = replies.ib_readd_refused(target, group, results[0])
                    return ItemResult(target, Status.FAILED, line, raw)
                return ItemResult(target, Status.DONE, replies.ib_readded(target, group), raw)
            case _:
                return ItemResult(
                    target, Status.REFUSED, replies.cannot_undo_here(target, platform.name)
                )
    except PlatformError as err:
        return ItemResult(
            target, Status.FAILED, replies.failed(target, "undo the change for", err),
            err.response or err.detail,
        )  # fmt: skip


async def _no_pace() -> None:
    return None


COMMAND = Command(
    name="undo",
    summary="reverse a case (default: your last one here)",
    grammar=Grammar((Rest("case"),)),
    run=undo,
    needs_room=True,
)
