"""The plan step: run now, show a plan, hold it for /confirm, or wait for ``--at``.

A dry run rehearses the command and shows its plan. A long command (more changes than
``bulk.confirm_above``, any change in a jumbo room, people chosen by a filter, or a command that
fans out) is rehearsed first and held for /confirm, with an estimate of how long it takes and
whether it would run within working hours. A command asked for later is scheduled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from bot import schedule
from bot.call import Call, Lent
from bot.context import Context
from bot.outcome import Awaiting, Outcome, Plan, Report, Scheduled, Status
from bot.pacing import JITTER_MARGIN, paced_seconds
from bot.pipeline.desk import Desk
from bot.pipeline.parse import Understood
from bot.pipeline.targets import Chosen
from bot.platform import PublishesChangeRate
from bot.replies import render
from bot.reply import plain

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Ready:
    """The command runs now. ``long``: it reports progress and looks for a /cancel."""

    long: bool


async def planned(
    desk: Desk, case: int, ctx: Context, lent: Lent, asked: Understood, chosen: Chosen
) -> Ready | Outcome:
    """Whether the command runs now (``Ready``), or the plan, the schedule or the refusal that
    answers it instead. Raises PlatformError when a read of the rehearsal fails."""
    command, runs_at = asked.command, asked.runs_at
    if ctx.dry_run:
        outcome = await command.run(Call(ctx, lent))
        return Plan(chosen.merged(outcome.items)) if isinstance(outcome, Report) else outcome
    big = command.mutates and (
        len(ctx.targets) > desk.bulk.confirm_above
        or command.fans_out
        or bool(chosen.filters)
        or (bool(ctx.targets) and await ctx.pace_interval() > 0)  # a jumbo room
    )
    # Asked from outside chat (``Invocation.confirm_by``): () acts at once; named confirmers
    # are always asked.
    held = ctx.invocation.confirm_by
    if big and held != () and not await desk.store.is_confirmed(case):
        always = bool(chosen.filters) or bool(held)
        plan = await rehearsed(desk, ctx, lent, case, asked, always=always)
        if isinstance(plan, Plan):
            return Plan(chosen.merged(plan.items), plan.awaiting)
        if plan is not None:
            return plan
    if runs_at is not None and runs_at.timestamp() > time.time():
        return Scheduled(runs_at, len(ctx.targets))
    return Ready(big)


async def rehearsed(
    desk: Desk,
    ctx: Context,
    lent: Lent,
    case: int,
    asked: Understood,
    *,
    always: bool = False,
) -> Outcome | None:
    """Rehearse the command; a plan changing more than ``confirm_above`` targets, any
    change in a jumbo room, or any change to people chosen by a filter (``always``) is held
    for confirmation (returned); otherwise the command runs now (None)."""
    bulk = desk.bulk
    outcome = await asked.command.run(Call(ctx.rehearsal(), lent))
    if not isinstance(outcome, Report):
        return outcome  # refused as a whole: the real run would be too
    changes = sum(1 for i in outcome.items if i.status is Status.PLANNED)
    interval = await ctx.pace_interval()
    if changes > bulk.confirm_above:
        why = "limit"
    elif changes and interval > 0:
        why = "jumbo"
    elif changes and always:
        why = "confirmers" if ctx.invocation.confirm_by else "filter"
    else:
        return None
    members = len(await ctx.members()) if ctx.room is not None else None
    published = (
        ctx.platform.change_interval_seconds
        if isinstance(ctx.platform, PublishesChangeRate)
        else 0.0
    )
    awaiting = Awaiting(
        case,
        changes,
        bulk.confirm_above,
        bulk.confirm_within_minutes,
        # the room's own pace is kept with the pacer's jitter margin (bot/pacing.py)
        paced_seconds(changes, max(interval * (1 + JITTER_MARGIN), published)),
        interval,
        members,
        published if published > interval else 0.0,
        ctx.platform.name,
        why,
        working_hours(desk, asked.runs_at) if interval > 0 else None,
        asked.runs_at,
        changes if asked.command.fans_out else 1,
    )
    return Plan(outcome.items, awaiting)


def working_hours(desk: Desk, runs_at: datetime | None) -> str | None:
    """The configured working hours, if the job would run within them."""
    b = desk.bulk
    moment = runs_at or datetime.now(UTC)
    if schedule.in_working_hours(moment, b.working_hours, b.working_days, desk.tz):
        return f"{b.working_hours} {b.working_days}, {b.timezone}"
    return None


async def expire(desk: Desk) -> None:
    """Close the plans whose confirmation time has run out (at a start, and at each sweep)."""
    expired = await desk.store.expire_confirmations(plain(render.plan_expired()))
    if expired:
        log.info("plans expired unconfirmed", cases=expired)
