"""``/case``'s sentences, and how a case ended or where it is in a word or two (the demo's
``:audit``)."""

from __future__ import annotations

from bot.replies import refusals
from bot.reply import Code, Line, Reply, Untrusted, line
from bot.store import AuditRow

CASE_LINES = 200
"""Targets listed by /case: a chat message has a size limit (Symphony: about 80,000 characters
of MessageML)."""


def case_elsewhere(case: int) -> Reply:
    return refusals.case_elsewhere(case, "case", "; only", "see cases from other rooms")


def case_details(row: AuditRow) -> Reply:
    lines: list[Line] = [
        line(
            f"case {row.case}, {row.received_at} by ",
            Untrusted(row.caller),
            " (",
            Code(row.caller_id),
            "): ",
            Code(row.text),
        ),
        line(case_status(row.outcome, row.state, bool(row.results))),
    ]
    for r in row.results[:CASE_LINES]:
        lines.append(
            line(
                "• ",
                Untrusted(str(r["target"])),
                f" — {r['result']}: ",
                Untrusted(str(r["detail"])),
            )
        )
    if len(row.results) > CASE_LINES:
        more = len(row.results) - CASE_LINES
        lines.append(
            line(
                f"… and {more:,} more; every one is in the audit log (",
                Code("kickbot audit export"),
                ").",
            )
        )
    return tuple(lines)


CASE_OUTCOMES = {
    # how a finished case ended (the store's outcome), as a sentence and as one word or two
    "report": ("It ran.", "ran"),
    "info": ("It was answered.", "answered"),
    "refused": ("It was refused; nothing was changed.", "refused"),
    "plan": ("It was a dry run; nothing was changed.", "dry run"),
    "crashed": ("It failed on an error inside kickbot (its log has the details).", "failed"),
    "cancelled": ("It was cancelled before it ran.", "cancelled"),
    "expired": ("Its plan was not confirmed in time; nothing was changed.", "not confirmed"),
}


CASE_STATES = {
    # where an unfinished case is (the store's state)
    "queued": ("It is waiting its turn.", "waiting"),
    "scheduled": ("It is scheduled to run later.", "scheduled"),
    "running": ("It is running now.", "running"),
    "awaiting": ("Its plan waits for its caller's confirmation.", "awaiting confirmation"),
}


def case_status(outcome: str | None, state: str, results: bool = False) -> str:
    """How a case ended, or where it is, in a sentence (``/case``)."""
    said = CASE_OUTCOMES.get(outcome) if outcome else CASE_STATES.get(state)
    if said is None:
        return f"Its state: {outcome or state}."
    if outcome == "report" and results:
        return "It ran; for each person:"
    return said[0]


def case_status_word(outcome: str | None, state: str) -> str:
    """How a case ended, or where it is, in a word or two (the demo's ``:audit``)."""
    said = CASE_OUTCOMES.get(outcome) if outcome else CASE_STATES.get(state)
    return said[1] if said is not None else (outcome or state)
