"""/case <number>: show a recorded case (who asked what, and what happened to each target)."""

from __future__ import annotations

from bot.case_lookup import recorded_case, refused_elsewhere
from bot.commands import Command
from bot.entitlement import CommandRule
from bot.grammar import CaseNumber, Grammar
from bot.outcome import Info, Outcome, Refused
from bot.replies import case as sentences
from bot.services import Call, context_of


async def case(call: Call) -> Outcome:
    ctx = context_of(call)
    number = int(ctx.parsed.words["number"])
    row = await recorded_case(ctx, number)
    if isinstance(row, Refused):
        return row
    if row.room != ctx.invocation.room.id:
        elsewhere = sentences.case_elsewhere(number)
        if (refused := await refused_elsewhere(ctx, COMMAND.name, elsewhere)) is not None:
            return refused
    return Info(sentences.case_details(row))


COMMAND = Command(
    name="case",
    summary="show a recorded case",
    grammar=Grammar((CaseNumber("number"),)),
    run=case,
    rule=CommandRule(room_owners=True),
    needs_room=False,
    mutates=False,
)
