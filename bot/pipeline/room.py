"""The room step: the room is active, and the caller's right there is known.

The room's info and (for a command that reads it) its member list are read side by side, or
were begun while the command was recorded (``bot/lookups.py``). The step builds the command's
``Context``, begins the owner lookups the rank checks will ask for, and decides a rule that
needs a room owner. Read-only: nothing is changed before the handler runs.
"""

from __future__ import annotations

import contextlib

from bot.context import Context
from bot.entitlement import Decision, Verdict
from bot.lookups import Lookups
from bot.model import UserRef
from bot.outcome import Refusal, Refused
from bot.pipeline import policy
from bot.pipeline.desk import Desk
from bot.pipeline.parse import Understood
from bot.platform import Platform
from bot.replies import refusals
from bot.services import Journal
from bot.store import Job


async def enter(
    desk: Desk,
    job: Job,
    platform: Platform,
    asked: Understood,
    decision: Decision,
    journal: Journal,
    ahead: Lookups | None,
    unused: contextlib.ExitStack,
) -> Context | Refused:
    """The command's context in its room, or why it may not run there. ``ahead``: the room's
    lookups, begun while the command was recorded; lookups begun here that end up unused are
    stopped with ``unused``. Raises PlatformError when a lookup fails."""
    inv = job.invocation
    command, name, parsed = asked.command, asked.name, asked.parsed
    lookups = ahead
    if lookups is None and command.needs_room:
        lookups = Lookups.begin(platform, inv.room, members=command.uses_members)
        unused.callback(lookups.drop)
    room = await lookups.room if lookups is not None and lookups.room else None
    if room is not None and not room.active:
        return Refused(Refusal.ROOM_DEACTIVATED, refusals.room_deactivated())
    members = await lookups.member_map() if lookups is not None else None
    ctx = Context(
        platform, inv, room, parsed, (), journal, desk.store, job.id,
        dry_run="dry-run" in parsed.flags, pacing=desk.pacing, _members=members, command=name,
    )  # fmt: skip
    if command.mutates and room is not None:  # the caller's right, the targets' ranks
        named = (t for t in parsed.targets if isinstance(t, UserRef))
        ctx.look_up_owners((inv.caller, *named))
    if decision.verdict is Verdict.NEEDS_ROOM_OWNER:
        owner = await ctx.caller_is_owner()
        refused = policy.as_owner(desk.policy, name, inv.caller, decision, owner, platform)
        if refused is not None:
            return refused
    return ctx
