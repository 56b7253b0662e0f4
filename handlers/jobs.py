"""/jobs: the room's unfinished cases (running, queued, scheduled, waiting for /confirm), with
their progress, so a long job can be watched or cancelled."""

from __future__ import annotations

from bot.commands import Command
from bot.entitlement import CommandRule
from bot.grammar import Grammar
from bot.outcome import Info, Outcome
from bot.replies import jobs as sentences
from bot.services import Call, context_of


async def jobs(call: Call) -> Outcome:
    ctx = context_of(call)
    inv = ctx.invocation
    found = [
        j for j in await ctx.cases.open_jobs(inv.platform, inv.room.id) if j.case != ctx.case_id
    ]
    return Info(sentences.jobs_list(found))


COMMAND = Command(
    name="jobs",
    summary="list the unfinished cases in this room",
    grammar=Grammar(),
    run=jobs,
    rule=CommandRule(room_owners=True),
    needs_room=False,
    mutates=False,
)
