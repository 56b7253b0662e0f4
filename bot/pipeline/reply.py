"""The reply step: the outcome said in the thread, and the case closed.

What must be durable before it is shown is stored first: a plan awaiting /confirm (a /confirm
can only follow a stored plan), a scheduled time. A case is closed only after its reply went
out, so a crash in between answers it again rather than never; while the store is unavailable,
closing is tried again here (left open, the case would be resumed and answered twice).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Sequence

import structlog

from bot import telemetry
from bot.errors import PlatformError
from bot.model import Invocation, RoomRef
from bot.outcome import Outcome, OutcomeKind, Plan, Refused, Scheduled, kind_of
from bot.pipeline.desk import Desk
from bot.platform import Platform
from bot.replies.render import render
from bot.reply import Reply, plain, unmentioned, with_prefix
from bot.store import Job

log = structlog.get_logger(__name__)

CLOSE_RETRY_SECONDS = 5.0
"""How often closing an answered case is tried again while the store stays unavailable."""

Wake = Callable[[str, str, str], None]
"""Wake a room's lane: (platform, room, lane)."""
Finished = Callable[[int, Outcome], None]
"""Called with (case id, outcome) after a command's reply."""


async def send(platform: Platform, inv: Invocation, reply: Reply) -> None:
    """Say ``reply`` in the invocation's thread, in the platform's own command prefix (asked
    from outside chat, ``Invocation.confirm_by``: its caller is named, not mentioned)."""
    if inv.confirm_by is not None:
        reply = unmentioned(reply)
    await platform.reply(inv, with_prefix(reply, platform.command_prefixes[0]))


async def copies(desk: Desk, inv: Invocation, reply: Reply) -> None:
    """A final reply's copies to the other rooms that get it (``Invocation.report_to``),
    mentions written as names (the people in it may be on another platform). One that
    fails is logged; the case is answered where it lives."""
    for name, room in inv.report_to:
        platform = desk.reach.platforms.get(name)
        there = dataclasses.replace(inv, platform=name, room=RoomRef(room), thread=None)
        try:
            if platform is None:
                raise PlatformError(f"{name} is not served by this instance")
            await send(platform, there, unmentioned(reply))
        except PlatformError as err:
            log.error("a copy of the reply failed", platform=name, room=room, error=str(err))


async def answer(
    desk: Desk,
    job: Job,
    platform: Platform,
    outcome: Outcome,
    *,
    wake: Wake,
    finished: Sequence[Finished] = (),
) -> None:
    """Reply with ``outcome`` and close the case (a plan waits for /confirm, a scheduled
    command for its time: those stay open)."""
    inv = job.invocation
    bound = log.bind(case=job.id, command=job.command, room=inv.room.id)
    reply = render(outcome, inv.caller, job.command, job.id)
    if isinstance(outcome, Scheduled):
        await desk.store.defer(job.id, outcome.at.timestamp())
        delay = max(0.0, outcome.at.timestamp() - time.time())
        asyncio.get_running_loop().call_later(delay, wake, inv.platform, inv.room.id, "change")
        bound.info("command scheduled", at=outcome.at.isoformat())
    wait = outcome.awaiting if isinstance(outcome, Plan) else None
    if wait is not None:
        # Durable before it is shown: a /confirm can only follow a stored plan.
        await desk.store.await_confirmation(
            job.id, wait.changes, wait.estimate_seconds, wait.within_minutes * 60
        )
    try:
        await send(platform, inv, reply)
    except PlatformError as err:
        bound.error("reply failed", error=str(err), status=err.status)
    if wait is not None:
        bound.info("command awaits confirmation")
        return
    if isinstance(outcome, Scheduled):
        return
    await copies(desk, inv, reply)
    await close(desk, job.id, kind_of(outcome), plain(reply))
    bound.info("command finished", outcome=type(outcome).__name__)
    observed(desk, inv.platform, job.command, outcome)
    for callback in finished:
        callback(job.id, outcome)


def observed(desk: Desk, platform: str, command: str, outcome: Outcome) -> None:
    """Count the answered case (``bot.telemetry``): a command name not registered is
    ``unknown``, so the labels stay bounded whatever callers type."""
    name = command if desk.registry.get(command) is not None else "unknown"
    telemetry.observer().case_answered(platform, name, kind_of(outcome).value)
    if isinstance(outcome, Refused):
        telemetry.observer().refused(platform, name, outcome.reason.value)


async def close(desk: Desk, case: int, outcome: OutcomeKind, reply: str) -> None:
    """Close a case whose reply is out. While the store is unavailable, closing is tried
    again here: left open, the case would be resumed and answered a second time."""
    while True:
        try:
            await desk.store.finish(case, outcome, reply)
            return
        except Exception as exc:
            if desk.stopping() or not desk.store.database.is_transient(exc):
                raise
            log.warning("could not close an answered case yet", case=case, error=str(exc))
            await asyncio.sleep(CLOSE_RETRY_SECONDS)
