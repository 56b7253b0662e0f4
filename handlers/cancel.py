"""/cancel <case>: stop a job cleanly. A queued, scheduled or unconfirmed case is closed at once;
a running one stops after the target in hand, and its summary says what was done (which /undo
can reverse). Its caller may cancel it; so may an owner of the room it runs in."""

from __future__ import annotations

from typing import Protocol

from bot.case_lookup import recorded_case
from bot.commands import Command
from bot.entitlement import Access
from bot.grammar import CaseNumber, Grammar
from bot.outcome import Info, Outcome, Refusal, Refused, Status
from bot.replies import cancel as sentences
from bot.reply import plain
from bot.services import HasAsked, HasCases, HasRoom


class Uses(HasAsked, HasCases, HasRoom, Protocol):
    """What /cancel uses: who asked where, the cases, and whether the caller owns the room."""


async def cancel(call: Uses) -> Outcome:
    inv, cases = call.asked, call.cases
    number = int(inv.parsed.words["case"])
    row = await recorded_case(cases, number)
    if isinstance(row, Refused):
        return row
    if (row.platform, row.room) != (inv.platform, inv.room.id):
        return Refused(Refusal.NOT_ENTITLED, sentences.cancel_elsewhere(number))
    if row.state == "done":
        return Refused(Refusal.MALFORMED, sentences.cancel_too_late(number, row.outcome))
    if row.caller_id != inv.caller.id and not await call.room.caller_is_owner():
        return Refused(Refusal.NOT_ENTITLED, sentences.cancel_not_yours(number, row.caller))
    # Handed back part-done (a shutdown): what it did, or began with its answer lost (a
    # "started" row), is kept, and its reply says so rather than "it had changed nothing".
    did = any(r["result"] in (Status.DONE, "started") for r in row.results)
    closing = sentences.cancelled_part_done if did else sentences.cancelled_before_start
    said = await cases.book.request_cancel(number, cases.case_id, plain(closing(cases.case_id)))
    if said == "finished":
        return Refused(Refusal.MALFORMED, sentences.cancel_too_late(number, "report"))
    if said == "stopping":
        return Info(sentences.cancel_stopping(number))
    return Info(sentences.cancelled(number, row.command, did))


COMMAND = Command(
    name="cancel",
    summary="stop a job: yours, or any job in this room if you own it",
    grammar=Grammar((CaseNumber("case"),)),
    run=cancel,
    access=Access.OWN_CASES,
    mutates=False,
)
