"""A command's outcome as the reply its caller reads: the header naming caller, command and
case, then its lines (capped, the rest counted), a plan and what confirming it takes, progress
reports, a pause, a crash."""

from __future__ import annotations

from collections.abc import Sequence

from bot.model import UserRef
from bot.outcome import (
    Awaiting,
    Crashed,
    Info,
    ItemResult,
    Outcome,
    Plan,
    Refused,
    Report,
    Scheduled,
    Status,
)
from bot.replies import pointers
from bot.replies.platform_rules import LARGE_ROOM_ADVICE
from bot.replies.wording import (
    NOTE_LINES,
    PLAN_LINES,
    REPORT_LINES,
    about,
    counts,
    duration,
    local_time,
    people,
    platform_name,
    seconds_until,
)
from bot.reply import Code, Line, Mention, Reply, line


def crashed(case_id: int) -> Reply:
    return (
        line(
            f"Something went wrong inside kickbot (case {case_id}). It is logged with its details; "
            "please report the case number. What is done is listed in the audit log."
        ),
    )


def progress(
    caller: UserRef,
    command: str,
    case: int,
    items: Sequence[ItemResult],
    total: int,
    left_seconds: float | None,
) -> Reply:
    done = len(items)
    tail = f" About {duration(left_seconds)} left." if left_seconds and left_seconds >= 1 else ""
    return (
        line(
            Mention(caller),
            " ",
            Code("/" + command),
            f" · case {case}: in progress, {done:,} of {total:,} handled"
            f" ({100 * done // total} %): {counts(items)}.{tail}",
        ),
    )


def paused(caller: UserRef, command: str, case: int) -> Reply:
    return (
        line(
            Mention(caller),
            " ",
            Code("/" + command),
            f" · case {case}: paused, the bot is restarting. What is done is kept; the rest"
            " resumes when it is back.",
        ),
    )


def stopped_by_cancel(items: Sequence[ItemResult], total: int) -> Line:
    return line(
        f"cancelled after {len(items):,} of {total:,}: {counts(items)}. The rest was not touched."
    )


def plan_expired() -> Reply:
    return (line("Not confirmed in time (bulk.confirm_within_minutes): nothing was changed."),)


def render(outcome: Outcome, caller: UserRef, command: str, case: int) -> Reply:
    head = line(Mention(caller), " ", Code("/" + command), f" · case {case}: ")
    match outcome:
        case Refused(_, detail):
            return (head + detail[0], *detail[1:])
        case Report(items, headline, notes):
            tally = counts(items)
            first = head + (line(tally) if headline is None else headline[0])
            return (first, *_report_lines(items, case), *_capped(notes, NOTE_LINES))
        case Plan(items, awaiting):
            if awaiting is None:
                first = head + line(f"dry run, nothing was changed: {counts(items)}")
                return (first, *_plan_lines(items, case))
            return (
                head + _awaiting_head(awaiting, items),
                *_plan_lines(items, case),
                *_confirm(awaiting),
            )
        case Info(body):
            return (head + body[0], *body[1:])
        case Crashed(case_id):
            c = crashed(case_id)
            return (head + c[0], *c[1:])
        case Scheduled(at, targets):
            return (
                head
                + line(
                    f"scheduled: it runs at {local_time(at)} (in {duration(seconds_until(at))})"
                    f" for {people(targets)}, with every check made again then."
                ),
                line(
                    "To drop it, answer ",
                    pointers.on_case(pointers.CANCEL, case),
                    "; ",
                    Code(pointers.JOBS),
                    " lists what is waiting.",
                ),
            )


def _report_lines(items: Sequence[ItemResult], case: int) -> list[Line]:
    """A long report lists what went wrong first, then what was done, up to REPORT_LINES (a
    chat message has a size limit and Symphony allows 40 mentions in one)."""
    if len(items) <= REPORT_LINES:
        return [i.line for i in items]
    first = [i for i in items if i.status is not Status.DONE]
    shown = (first + [i for i in items if i.status is Status.DONE])[:REPORT_LINES]
    more = len(items) - len(shown)
    return [
        *(i.line for i in shown),
        _more_in_case(more, case),
    ]


def _more_in_case(more: int, case: int) -> Line:
    return line(f"… and {more:,} more (all of them: ", pointers.on_case(pointers.CASE, case), ").")


def _capped(lines: Sequence[Line], most: int) -> list[Line]:
    if len(lines) <= most:
        return list(lines)
    return [*lines[:most], line(f"… and {len(lines) - most:,} more notes like these.")]


def _plan_lines(items: Sequence[ItemResult], case: int) -> list[Line]:
    lines = [
        i.line if i.status is Status.PLANNED else line("Would refuse: ") + i.line
        for i in items[:PLAN_LINES]
    ]
    if len(items) > PLAN_LINES:
        more = len(items) - PLAN_LINES
        lines.append(_more_in_case(more, case))
    return lines


def _awaiting_head(plan: Awaiting, items: Sequence[ItemResult]) -> Line:
    if plan.why == "jumbo":
        why = (
            "Changes in a room this size are paced and always shown first, so nothing is done yet:"
        )
    elif plan.why == "filter":
        why = "People chosen by a filter are always counted first, so nothing is done yet:"
    elif plan.why == "confirmers":
        why = (
            "Asked for from outside the chat, it waits for a confirmation by one of the people"
            " named for it, so nothing is done yet:"
        )
    else:
        why = (
            f"That is more than the {plan.threshold} changes this bot makes without a "
            "confirmation (bulk.confirm_above), so nothing is done yet:"
        )
    return line(f"plan: {counts(items)}. {why}")


def _confirm(plan: Awaiting) -> list[Line]:
    if plan.platform_interval_seconds > 0:
        pace = line(
            f"At {platform_name(plan.platform)}'s published limit (one change every "
            f"{plan.platform_interval_seconds:g} s) it will take {about(plan.estimate_seconds)}."
        )
    elif plan.interval_seconds > 0:
        pace = line(
            f"At this room's pace (one change every {plan.interval_seconds:g} s: it has "
            f"{plan.members:,} members) it will take {about(plan.estimate_seconds)}."
        )
    elif plan.members is not None:
        pace = line(f"This room is not paced ({plan.members:,} members), so it will take seconds.")
    elif plan.requests > 1:
        pace = line(
            f"It is {plan.requests:,} requests to the platform, one per room or group, so it"
            " will take seconds."
        )
    else:
        pace = line("It is one request to the platform.")
    minutes = f"{plan.within_minutes:g} minute" + ("" if plan.within_minutes == 1 else "s")
    extra: list[Line] = []
    if plan.runs_at is not None:
        extra.append(line(f"Once confirmed, it runs at {local_time(plan.runs_at)}."))
    if plan.working_hours is not None:
        extra.append(
            line(
                f"That is within working hours ({plan.working_hours}): {LARGE_ROOM_ADVICE}."
                " To run it later, ask again with ",
                Code("--at HH:MM"),
                ".",
            )
        )
    return [
        pace,
        *extra,
        line(
            "To go ahead, answer ",
            pointers.on_case(pointers.CONFIRM, plan.case),
            f" here within {minutes}; only you can confirm it.",
        ),
    ]
