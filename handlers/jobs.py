"""/jobs: the room's unfinished cases (running, queued, scheduled, waiting for /confirm), with
their progress, so a long job can be watched or cancelled."""

from __future__ import annotations

from typing import Protocol

from bot.commands import Command
from bot.entitlement import CommandRule
from bot.grammar import Grammar
from bot.outcome import Info, Outcome
from bot.replies import jobs as sentences
from bot.services import HasAsked, HasCases


class Uses(HasAsked, HasCases, Protocol):
    """What /jobs uses: where it was asked, and the cases."""


async def jobs(call: Uses) -> Outcome:
    asked, cases = call.asked, call.cases
    found = [
        j
        for j in await cases.book.open_jobs(asked.platform, asked.room.id)
        if j.case != cases.case_id
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
