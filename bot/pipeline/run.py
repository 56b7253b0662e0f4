"""The run step: the handler acts, and what goes with a run.

A long command reports its progress in the thread and looks for a /cancel between targets (in
the store, where another instance may have put it, at most once a second), as does a command
that finds its changes itself (/undo); any command stops
between targets when the bot shuts down. After the handler, a command that removes people tells
them why (``Command.notifies_removed``, ``notify.removed_users``), and the targets set aside
before any call join its report in the order given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import structlog

from bot.call import Call, Lent
from bot.context import Context, HaltCheck
from bot.errors import PlatformError
from bot.outcome import ItemResult, Outcome, Report, Status
from bot.pipeline.desk import Desk
from bot.pipeline.parse import Understood
from bot.pipeline.plan import Ready
from bot.pipeline.reply import send
from bot.pipeline.targets import Chosen
from bot.platform import Platform, SupportsDirectMessage
from bot.progress import Progress
from bot.replies import notices, render
from bot.store import Job

log = structlog.get_logger(__name__)

CANCEL_POLL_SECONDS = 1.0
"""How often a long command looks for a /cancel (which may come through another instance)."""


async def run(
    desk: Desk,
    job: Job,
    ctx: Context,
    lent: Lent,
    asked: Understood,
    chosen: Chosen,
    ready: Ready,
) -> Outcome:
    """Run the handler on the targets left, and complete its report."""
    command = asked.command
    if ready.long:
        ctx.progress = progress(desk, job, ctx.platform, len(ctx.targets))
    # A command that finds its changes itself (/undo: none given) may run long too.
    ctx.halt = halt_check(desk, job.id, ready.long or not ctx.targets)
    if ready.long:
        await desk.store.note_total(job.id, len(ctx.targets))
    outcome = await command.run(Call(ctx, lent))
    if ctx.cancelled and isinstance(outcome, Report):
        settled = [i for i in outcome.items if i.status is not Status.PLANNED]
        headline = (render.stopped_by_cancel(settled, len(ctx.targets)),)
        outcome = Report(outcome.items, headline, outcome.notes)
    if command.notifies_removed and isinstance(outcome, Report) and desk.notify.removed_users:
        outcome = await notified(desk, ctx, outcome)
    if chosen.early and isinstance(outcome, Report):
        return Report(chosen.merged(outcome.items), outcome.headline, outcome.notes)
    return outcome


def halt_check(desk: Desk, case: int, polls: bool) -> HaltCheck:
    """A shutdown stops any command between targets; a /cancel is looked for (in the store,
    where another instance may have put it) only by long commands, and by those that find
    their changes themselves (``polls``)."""

    looked = -math.inf

    async def halt() -> str | None:
        nonlocal looked
        if desk.stopping():
            return "stopping"
        if desk.store.cancelled_here(case):
            return "cancelled"
        # At most once a second: a jumbo job's every target would otherwise add a store
        # round trip, queued ahead of other rooms' commands.
        if polls and desk.monotonic() - looked >= CANCEL_POLL_SECONDS:
            looked = desk.monotonic()
            if await desk.store.cancel_requested(case):
                return "cancelled"
        return None

    return halt


def progress(desk: Desk, job: Job, platform: Platform, total: int) -> Progress:
    """Progress reports in the command's thread (one that fails is logged, never fatal)."""
    inv = job.invocation

    async def post(items: Sequence[ItemResult], total: int, left: float | None) -> None:
        reply = render.progress(inv.caller, job.command, job.id, items, total, left)
        try:
            await send(platform, inv, reply)
        except PlatformError as err:
            log.warning("progress report failed", case=job.id, error=str(err))

    return Progress(
        total,
        post,
        every_percent=desk.bulk.progress_every_percent,
        every_seconds=desk.bulk.progress_every_seconds,
        monotonic=desk.monotonic,
    )


async def notified(desk: Desk, ctx: Context, report: Report) -> Report:
    """Tell each removed person why (at least once: a re-run after a crash may repeat it)."""
    platform = ctx.platform
    if not isinstance(platform, SupportsDirectMessage):
        if not any(item.status is Status.DONE for item in report.items):
            return report
        note = notices.notices_unsupported(platform.name)  # said, never silently skipped
        return Report(report.items, report.headline, (*report.notes, note))
    room = ctx.room.name if ctx.room else ctx.invocation.room.id
    notice = notices.removal_notice(
        room, ctx.invocation.caller, ctx.parsed.rest, desk.notify.contact
    )
    notes = list(report.notes)
    for item in report.items:
        if item.status is Status.DONE:
            try:
                await platform.send_direct(item.target, notice)
            except PlatformError as err:
                log.warning("removal notice failed", user=item.target.id, error=str(err))
                notes.append(notices.notice_failed(item.target, err))
    return Report(report.items, report.headline, tuple(notes))
