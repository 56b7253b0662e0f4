"""/ib-remove <group-id> @user [@user …] [--dry-run]: remove users from an Information Barrier
group.

One bulk call; the platform answers with one message per user in submitted order, "" meaning
removed. Deactivated accounts are set aside first: the API cannot remove them.
"""

from __future__ import annotations

from typing import Protocol

from bot.commands import Command
from bot.entitlement import CommandRule
from bot.errors import Forbidden, PlatformError
from bot.grammar import Arg, Flag, Grammar, Targets
from bot.lost_answers import ib_confirmed
from bot.model import UserRef
from bot.outcome import ItemResult, Outcome, Refusal, Refused, Report, Status
from bot.platform import SupportsIbGroups
from bot.replies import failures, ib_groups
from bot.services import HasAsked, HasCases, HasEffects, HasRoom
from bot.undo_steps import IbReadd


class Uses(HasAsked, HasRoom, HasEffects, HasCases, Protocol):
    """What /ib-remove uses: the group and targets asked, the platform, the effects (one bulk
    call), and the case's journal."""


async def ib_remove(call: Uses) -> Outcome:
    platform, journal, asked = call.room.platform, call.cases.journal, call.asked
    assert isinstance(platform, SupportsIbGroups)  # Command.requires checked it
    group = asked.parsed.words["group-id"]
    items: dict[str, ItemResult] = {}
    todo = []
    for target in asked.targets:
        prev = await journal.previous(target)
        if prev is not None:
            items[target.id] = prev
        else:
            todo.append(target)
    try:
        inactive = await platform.deactivated_users(todo) if todo else set()
    except PlatformError as err:
        return Refused(Refusal.PLATFORM, failures.lookup_failed(err))
    for target in todo:
        if target.id in inactive:
            items[target.id] = ItemResult(target, Status.REFUSED, ib_groups.ib_deactivated(target))
    send = [t for t in todo if t.id not in inactive]
    if send:
        try:
            # An answer lost: the group decides (bot/lost_answers.py).
            answer = await call.effects.change(
                lambda: ib_confirmed(
                    platform,
                    lambda: platform.remove_from_ib_group(group, send),
                    group,
                    send,
                    removing=True,
                )
            )
        except Forbidden:
            return Refused(Refusal.PLATFORM, ib_groups.ib_needs_provisioning(group))
        except PlatformError as err:
            return Refused(Refusal.PLATFORM, ib_groups.ib_failed(group, err))
        if answer is None:  # a dry run: nothing was called
            for target in send:
                line = ib_groups.would_ib_remove(target, group)
                items[target.id] = ItemResult(target, Status.PLANNED, line)
        else:
            items.update(_results(send, group, *answer))
    for target in todo:
        await journal.record(items[target.id])
    return Report(tuple(items[t.id] for t in asked.targets))


def _results(
    sent: list[UserRef], group: str, messages: list[str], raw: str
) -> dict[str, ItemResult]:
    """The platform answers one message per user, in submitted order; "" means removed."""
    items = {}
    for target, message in zip(sent, messages, strict=True):
        if message == "":
            undo = IbReadd(group)
            line = ib_groups.ib_removed(target, group)
            items[target.id] = ItemResult(target, Status.DONE, line, raw, undo)
        else:
            line = ib_groups.ib_refused(target, message)
            items[target.id] = ItemResult(target, Status.FAILED, line, raw)
    return items


COMMAND = Command(
    name="ib-remove",
    summary="remove users from an Information Barrier group",
    grammar=Grammar((Arg("group-id"), Targets("user")), (Flag("dry-run"),)),
    run=ib_remove,
    undo_steps=(IbReadd,),
    rule=CommandRule(),
    needs_room=False,
    requires=SupportsIbGroups,
)
