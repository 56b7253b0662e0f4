"""``/jobs``'s sentences."""

from __future__ import annotations

from collections.abc import Sequence

from bot.replies import pointers
from bot.replies.wording import PLAN_LINES, utc_time
from bot.reply import Code, Line, Reply, Untrusted, line
from bot.store import OpenJob


def _job_state(job: OpenJob) -> tuple[str | Code, ...]:
    """Where a job is; a command it points to is code, so each platform shows its own prefix."""
    if job.cancel_requested:
        return ("stopping (cancel asked)",)
    if job.state == "running":
        if job.total:
            return (f"running, {job.settled:,} of {job.total:,} handled",)
        return ("running",)
    if job.state == "scheduled" and job.not_before is not None:
        return (f"scheduled for {utc_time(job.not_before)}",)
    if job.state == "awaiting":
        return ("waiting for its caller's ", Code(pointers.CONFIRM))
    return ("queued",)


def jobs_list(jobs: Sequence[OpenJob]) -> Reply:
    if not jobs:
        return (line("No jobs are running or waiting in this room."),)
    lines: list[Line] = [line(f"{len(jobs)} unfinished in this room:")]
    for job in jobs[:PLAN_LINES]:
        lines.append(
            line(
                f"• case {job.case} ",
                Code("/" + job.command),
                " by ",
                Untrusted(job.caller.label),
                ": ",
                *_job_state(job),
            )
        )
    if len(jobs) > PLAN_LINES:
        lines.append(line(f"… and {len(jobs) - PLAN_LINES:,} more."))
    lines.append(line("Stop one with ", pointers.on_case(pointers.CANCEL, "<case>"), "."))
    return tuple(lines)
