"""/demote @user [@user …] [--dry-run]: make room owners plain members (never the last owner)."""

from __future__ import annotations

from functools import partial
from typing import Protocol

from bot.change_result import change_or_result
from bot.commands import Command
from bot.entitlement import CommandRule
from bot.grammar import Flag, Grammar, Targets
from bot.lost_answers import confirmed, demoted
from bot.model import UserRef
from bot.outcome import ItemResult, Outcome, Report, Status
from bot.platform import SupportsDemote, SupportsOwnerLevels
from bot.replies import demote as sentences
from bot.replies import untouched
from bot.services import HasAsked, HasCases, HasEffects, HasRoom
from bot.undo_steps import Repromote


class Uses(HasAsked, HasRoom, HasEffects, HasCases, Protocol):
    """What /demote uses: the asked targets, the room and its owners, the effects (demotions),
    and the case's journal."""


async def demote(call: Uses) -> Outcome:
    effects, journal, caller = call.effects, call.cases.journal, call.asked.caller
    room, place = call.asked.room, call.room.platform
    platform = place
    assert isinstance(platform, SupportsDemote)  # Command.requires checked it
    members = await call.room.members()
    owners = {uid for uid, m in members.items() if m.is_owner}

    async def one(target: UserRef) -> ItemResult:
        if target.id not in members:
            return ItemResult(target, Status.REFUSED, untouched.not_a_member(target))
        if target.id not in owners:
            if await journal.started(target):  # an earlier run's call went through
                line = sentences.demoted_after_restart(target)
                unknown_level = Repromote()  # the level taken away was not kept
                return ItemResult(
                    target, Status.DONE, line, "confirmed by member list", unknown_level
                )
            return ItemResult(target, Status.REFUSED, sentences.not_an_owner(target))
        if owners == {target.id}:
            return ItemResult(target, Status.REFUSED, sentences.last_owner_demote(target))
        undo = Repromote()

        async def demotion() -> str:
            nonlocal undo
            # Read just before the change (after any pacing): the level it takes away.
            if isinstance(platform, SupportsOwnerLevels):
                taken = await platform.owner_level(room, target)
                if taken is not None:
                    undo = Repromote(taken)
            # An answer lost: the room decides whether they are an owner still.
            return await confirmed(
                lambda: platform.demote_owner(room, target),
                demoted(place, room, target),
                was_not_in_place=True,  # an owner, in the list read for this command
            )

        said = await change_or_result(partial(effects.change, demotion, target), target, "demote")
        if isinstance(said, ItemResult):
            return said
        owners.discard(target.id)
        if said is None:  # a dry run: nothing was called
            return ItemResult(target, Status.PLANNED, sentences.would_demote(target))
        # Stepping down is what an owner may mean by it; the line says what follows.
        if target.id == caller.id:
            return ItemResult(target, Status.DONE, sentences.demoted_yourself(target), said, undo)
        return ItemResult(target, Status.DONE, sentences.demoted(target), said, undo)

    return Report(tuple(await effects.each(one)))


COMMAND = Command(
    name="demote",
    summary="make room owners plain members",
    grammar=Grammar((Targets("user"),), (Flag("dry-run"),)),
    run=demote,
    undo_steps=(Repromote,),
    rule=CommandRule(room_owners=True),
    uses_members=True,
    requires=SupportsDemote,
    owners_act_on_owners=True,
)
