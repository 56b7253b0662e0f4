"""/confirm <case>: let a plan that changes many targets go ahead (its caller only, in its room,
before it expires; a case asked for outside chat: one of the people it names, in its room).

The confirmed case itself runs again from the start, with every check, as its own caller: this
handler only releases it (the store queues it in its room again, marked confirmed).
"""

from __future__ import annotations

from typing import Protocol

from bot.commands import Command
from bot.entitlement import Access, is_named
from bot.grammar import CaseNumber, Grammar
from bot.outcome import Info, Outcome, Refusal, Refused
from bot.replies import confirm as sentences
from bot.replies import refusals
from bot.services import HasAsked, HasCases


class Uses(HasAsked, HasCases, Protocol):
    """What /confirm uses: who asked where, and the cases."""


async def confirm(call: Uses) -> Outcome:
    inv, cases = call.asked, call.cases
    number = int(inv.parsed.words["case"])
    pending = await cases.book.pending_confirmation(number)
    if pending is None:
        if not await cases.book.audit(case=number):
            return Refused(Refusal.MALFORMED, refusals.no_such_case(number))
        return Refused(Refusal.MALFORMED, sentences.not_awaiting(number))
    if (pending.platform, pending.room) != (inv.platform, inv.room.id):
        return Refused(Refusal.NOT_ENTITLED, sentences.confirm_elsewhere(number))
    if pending.confirmers is not None:  # asked for outside chat: the people it names confirm
        if not is_named(pending.confirmers, inv.caller):
            return Refused(Refusal.NOT_ENTITLED, sentences.confirm_not_named(pending))
    elif pending.caller.id != inv.caller.id:
        return Refused(Refusal.NOT_ENTITLED, sentences.confirm_not_yours(pending))
    if pending.state == "done" and pending.confirmed_by is None and not pending.expired:
        return Refused(Refusal.MALFORMED, sentences.not_awaiting(number))  # cancelled
    if pending.confirmed_by is not None:
        return Refused(Refusal.MALFORMED, sentences.already_confirmed(number, pending.confirmed_by))
    if pending.expired or not await cases.book.confirm(number, cases.case_id):
        return Refused(Refusal.MALFORMED, sentences.confirm_too_late(number))
    return Info(sentences.confirmed(pending))


COMMAND = Command(
    name="confirm",
    summary="go ahead with a plan of yours that waits for your confirmation",
    grammar=Grammar((CaseNumber("case"),)),
    run=confirm,
    access=Access.OWN_CASES,
    needs_room=False,
    mutates=False,
)
