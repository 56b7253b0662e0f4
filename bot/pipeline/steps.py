"""The pipeline: one recorded command, from its text to its reply, in fixed typed steps.

    parse -> policy -> room -> targets -> rank -> plan -> run -> reply

Each step is a function in its own module that takes what the steps before it established and
returns the next value, or the outcome that ends the command early (a refusal, a plan, a
schedule). The order is the safety argument: nothing changes before the static policy, the
resolved policy, the room's state, the targets and their ranks have all passed; only ``run``
calls the handler for real. Read-only lookups that fail (``PlatformError``) end the command
with "could not look up" before anything changed. No step knows a command by name: a command
says what it is through its ``Command`` properties.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import structlog

from bot.call import Lent
from bot.context import Context
from bot.errors import PlatformError
from bot.lookups import Lookups
from bot.model import Invocation
from bot.outcome import Crashed, Outcome, Refusal, Refused
from bot.pipeline import parse, plan, policy, rank, reply, room, run, targets
from bot.pipeline.desk import Desk
from bot.platform import Platform
from bot.replies import failures, render
from bot.services import Halted
from bot.store import Job

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A command that passed every step before ``run``: what ``run`` needs."""

    ctx: Context
    lent: Lent
    asked: parse.Understood
    chosen: targets.Chosen
    ready: plan.Ready


async def handle(
    desk: Desk,
    job: Job,
    platform: Platform,
    ahead: Lookups | None,
    *,
    wake: reply.Wake,
    finished: Sequence[reply.Finished] = (),
) -> None:
    """Run a claimed job and answer it. A shutdown between targets hands it back to the queue
    (it resumes where it stopped); a store that stays unavailable sets it aside, unanswered,
    to be resumed and answered once; anything else that goes wrong is answered as a crash
    with its case number."""
    inv = job.invocation
    bound = log.bind(case=job.id, command=job.command, room=inv.room.id)
    try:
        outcome = await execute(desk, job, platform, ahead)
    except Halted:
        await desk.store.release(job.id)
        bound.info("command paused for shutdown; it resumes on the next start")
        with contextlib.suppress(PlatformError):
            await reply.send(platform, inv, render.paused(inv.caller, job.command, job.id))
        return
    except Exception as exc:
        if desk.store.database.is_transient(exc):
            # The store stayed unavailable past its retries: no crash reply. The job goes
            # back to the queue (its journal keeps what was done), to be resumed and
            # answered once when the store is back.
            bound.warning("the store failed mid-command; it resumes", error=str(exc))
            await _set_aside(desk, job)
            return
        bound.exception("command crashed")
        outcome = Crashed(job.id)
    await reply.answer(desk, job, platform, outcome, wake=wake, finished=finished)


async def execute(desk: Desk, job: Job, platform: Platform, ahead: Lookups | None) -> Outcome:
    """The job's outcome, steps parse to run. ``ahead``: its room's lookups, begun while it
    was recorded; lookups left unused are stopped at the end."""
    with contextlib.ExitStack() as unused:
        if ahead is not None:
            unused.callback(ahead.drop)
        try:
            ready = await _prepared(desk, job, platform, ahead, unused)
        except PlatformError as err:  # a read-only lookup: nothing was changed
            return Refused(Refusal.PLATFORM, failures.lookup_failed(err))
        if not isinstance(ready, Prepared):
            return ready
        return await run.run(
            desk, job, ready.ctx, ready.lent, ready.asked, ready.chosen, ready.ready
        )


async def _prepared(
    desk: Desk, job: Job, platform: Platform, ahead: Lookups | None, unused: contextlib.ExitStack
) -> Prepared | Outcome:
    """Steps parse to plan: everything before the handler acts."""
    inv = job.invocation
    asked = parse.understood(inv, platform, desk.registry, desk.tz, desk.bulk.timezone)
    if isinstance(asked, Refused):
        return asked
    if asked.parsed.rest:
        await desk.store.note_reason(job.id, asked.parsed.rest)
    decision = await policy.admit(desk, asked, inv, platform)
    if isinstance(decision, Refused):
        return decision
    # Read-only lookups from here on; state changes only inside the handler.
    journal = desk.store.journal(job.id, job.settled)
    ctx = await room.enter(desk, job, platform, asked, decision, journal, ahead, unused)
    if isinstance(ctx, Refused):
        return ctx
    lent = Lent(
        desk.policy, desk.registry, platform, desk.reach,
        named_check=partial(policy.caller_named, desk, platform, inv.caller),  # another room
        rank_check=partial(rank.may_reverse, desk, asked.name),  # /undo's rank check
        screen_check=partial(rank.screened, desk, asked),  # people a handler finds elsewhere
    )  # fmt: skip
    chosen = await targets.choose(desk, ctx, asked)
    if isinstance(chosen, Refused):
        return chosen
    chosen = await rank.ranked(desk, ctx, asked, chosen)
    await journal.record_all(chosen.early)
    ctx.targets = chosen.remaining
    go = await plan.planned(desk, job.id, ctx, lent, asked, chosen)
    if not isinstance(go, plan.Ready):
        return go
    return Prepared(ctx, lent, asked, chosen, go)


def look_ahead(desk: Desk, inv: Invocation, platform: Platform) -> Lookups | None:
    """The lookups a command will begin with, begun now (while it is being recorded), if
    the static policy lets its caller through; None if there is nothing to look up. Its
    failure never keeps a command from being recorded (the worker looks again, and reports
    a failure in the thread)."""
    try:
        asked = parse.understood(inv, platform, desk.registry, desk.tz, desk.bulk.timezone)
        if isinstance(asked, Refused) or not asked.command.needs_room:
            return None
        if isinstance(policy.let_through(desk.policy, asked, inv, platform), Refused):
            return None
        return Lookups.begin(platform, inv.room, members=asked.command.uses_members)
    except Exception:
        log.exception("could not look ahead", event_id=inv.event_id)
        return None


async def _set_aside(desk: Desk, job: Job) -> None:
    """Queue a job again after the store failed it; once the store answers, its worker
    claims it again at once (else an expired lease lets a sweep resume it)."""
    try:
        await desk.store.release(job.id)
    except Exception as exc:
        log.warning("could not queue the job again", case=job.id, error=str(exc))
