"""/kick @user [@user …] [reason…] [--dry-run] [--external] [--all-except-owners]: remove
members from the room the command is typed in; the filters choose them from the member list."""

from __future__ import annotations

from functools import partial
from typing import Protocol

from bot.change_result import change_or_result
from bot.commands import Command
from bot.entitlement import CommandRule
from bot.grammar import Flag, Grammar, Option, Rest, Targets
from bot.model import UserRef
from bot.outcome import ItemResult, Outcome, Report, Status
from bot.replies import kick as sentences
from bot.replies import untouched
from bot.services import HasAsked, HasCases, HasEffects, HasRoom
from bot.undo_steps import Readd


class Uses(HasAsked, HasRoom, HasEffects, HasCases, Protocol):
    """What /kick uses: the asked targets and reason, the room's members, the effects
    (removals), and the case's journal."""


async def kick(call: Uses) -> Outcome:
    room, effects, journal = call.room, call.effects, call.cases.journal
    members = await room.members()
    owners = {uid for uid, m in members.items() if m.is_owner}
    reason = call.asked.parsed.rest

    async def one(target: UserRef) -> ItemResult:
        member = members.get(target.id)
        if member is None:
            if await journal.started(target):  # an earlier run's call went through
                line = sentences.removed_after_restart(target, reason)
                undo = Readd(owner=False)
                return ItemResult(target, Status.DONE, line, "confirmed by member list", undo)
            return ItemResult(target, Status.REFUSED, untouched.not_a_member(target))
        # The platform lets the last owner be removed; the room would be left ownerless.
        if member.is_owner and owners == {target.id}:
            return ItemResult(target, Status.REFUSED, sentences.last_owner_remove(target))
        removal = partial(effects.remove, target, reason)
        said = await change_or_result(removal, target, "remove")
        if isinstance(said, ItemResult):
            return said
        owners.discard(target.id)
        del members[target.id]
        if said is None:  # a dry run: nothing was called
            return ItemResult(target, Status.PLANNED, sentences.would_remove(target, reason))
        undo = Readd(owner=member.is_owner, kind=member.kind)  # back as they were
        return ItemResult(target, Status.DONE, sentences.removed(target, reason), said, undo)

    return Report(tuple(await effects.each(one)))


COMMAND = Command(
    name="kick",
    summary="remove people from this room",
    grammar=Grammar(
        (Targets("user", unless=("external", "all-except-owners")), Rest("reason")),
        (Flag("dry-run"), Flag("external"), Flag("all-except-owners"), Option("at", "time")),
    ),
    run=kick,
    undo_steps=(Readd,),
    rule=CommandRule(room_owners=True),
    uses_members=True,
    refuses_caller=True,
    notifies_removed=True,
)
