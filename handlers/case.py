"""/case <number>: show a recorded case (who asked what, and what happened to each target)."""

from __future__ import annotations

from bot.commands import Command, Context, caller_named, unknown_why
from bot.entitlement import CommandRule, Known
from bot.errors import PlatformError
from bot.grammar import CaseNumber, Grammar
from bot.outcome import Info, Outcome, Refusal, Refused
from bot.replies import case as sentences
from bot.replies import failures, refusals


async def case(ctx: Context) -> Outcome:
    number = int(ctx.parsed.words["number"])
    rows = await ctx.cases.audit(case=number)
    if not rows:
        return Refused(Refusal.MALFORMED, refusals.no_such_case(number))
    row = rows[0]
    if row.room != ctx.invocation.room.id:
        try:
            known = await caller_named(ctx, COMMAND.name)
        except PlatformError as err:
            return Refused(Refusal.PLATFORM, failures.lookup_failed(err))
        if known is not Known.NAMED:
            why = sentences.case_elsewhere(number)
            return Refused(Refusal.NOT_ENTITLED, why + unknown_why(ctx, COMMAND.name, known))
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
