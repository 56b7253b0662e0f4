"""``/confirm``'s sentences."""

from __future__ import annotations

from bot.replies.wording import duration
from bot.reply import Code, Reply, Untrusted, line
from bot.store import PendingConfirmation


def not_awaiting(case: int) -> Reply:
    return (line(f"Case {case} is not waiting for a confirmation."),)


def confirm_elsewhere(case: int) -> Reply:
    return (line(f"Case {case} was asked for in another room: confirm it there."),)


def confirm_not_yours(pending: PendingConfirmation) -> Reply:
    return (
        line(
            "Only ",
            Untrusted(pending.caller.label),
            f", who asked for case {pending.case}, can confirm it. Nothing was changed.",
        ),
    )


def confirm_not_named(pending: PendingConfirmation) -> Reply:
    return (
        line(
            f"Case {pending.case} was asked for by ",
            Untrusted(pending.caller.label),
            " and waits for one of the people named to confirm it; you are not one of them."
            " Nothing was changed.",
        ),
    )


def already_confirmed(case: int, by: int) -> Reply:
    return (line(f"Case {case} was already confirmed (case {by})."),)


def confirm_too_late(case: int) -> Reply:
    return (
        line(
            f"Case {case} was not confirmed in time (bulk.confirm_within_minutes) and has "
            "expired; nothing was changed. Ask again to get a new plan."
        ),
    )


def confirmed(pending: PendingConfirmation) -> Reply:
    """The count is of the changes planned, as the plan counted them: people for a kick in one
    room, rooms for an offboarding of one person."""
    pace = (
        f", about {duration(pending.estimate_seconds)} at this room's pace"
        if pending.estimate_seconds >= 1
        else ""
    )
    changes = "1 change" if pending.targets == 1 else f"{pending.targets:,} changes"
    return (
        line(
            f"Confirmed case {pending.case}: ",
            Code("/" + pending.command),
            f" starts now ({changes}{pace}); its summary follows.",
        ),
    )
