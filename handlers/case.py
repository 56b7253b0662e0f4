"""/case <number>: show a recorded case (who asked what, and what happened to each target)."""

from __future__ import annotations

from typing import Protocol

from bot.case_lookup import recorded_case, refused_elsewhere
from bot.commands import Command
from bot.entitlement import CommandRule
from bot.grammar import CaseNumber, Grammar
from bot.outcome import Info, Outcome, Refused
from bot.replies import case as sentences
from bot.services import HasAsked, HasCases, HasChecks


class Uses(HasAsked, HasCases, HasChecks, Protocol):
    """What /case uses: where it was asked, the cases, and whether the policy names the
    caller (another room's case)."""


async def case(call: Uses) -> Outcome:
    number = int(call.asked.parsed.words["number"])
    row = await recorded_case(call.cases, number)
    if isinstance(row, Refused):
        return row
    if row.room != call.asked.room.id:
        elsewhere = sentences.case_elsewhere(number)
        if (refused := await refused_elsewhere(call.checks, COMMAND.name, elsewhere)) is not None:
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
