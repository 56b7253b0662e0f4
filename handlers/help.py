"""/help: the commands this caller may use in this room, usage generated from the grammar."""

from __future__ import annotations

from typing import Protocol

from bot.commands import Command
from bot.entitlement import Access, Verdict, decide_static
from bot.grammar import Grammar
from bot.outcome import Info, Outcome
from bot.replies import help as sentences
from bot.services import HasAsked, HasChecks, HasRoom

SAID = {
    # why the caller may use a command, as the list says it ("" : the summary says it already)
    "everyone": "open to everyone",
    "room owner": "you own this room",
    "named in the policy": "the policy names you",
    "for your own cases": "",
}


class Uses(HasAsked, HasRoom, HasChecks, Protocol):
    """What /help uses: the caller, the platform and room, the policy and the commands."""


async def help_(call: Uses) -> Outcome:
    caller, checks = call.asked.caller, call.checks
    entries = []
    for command in checks.registry:
        if command.requires is not None and not isinstance(call.room.platform, command.requires):
            continue
        decision = decide_static(checks.policy, command.name, caller)
        via = decision.via
        if decision.verdict is Verdict.NEEDS_ROOM_OWNER:
            if not await call.room.caller_is_owner():
                continue
            via = "room owner"
        elif not decision.allowed:
            continue
        entries.append((command.usage, command.options, command.summary, SAID.get(via, via)))
    return Info(sentences.help_lines(entries))


COMMAND = Command(
    name="help",
    summary="list the commands you may use here",
    grammar=Grammar(()),
    run=help_,
    access=Access.EVERYONE,
    needs_room=False,
    mutates=False,
)
