"""``/cancel``'s sentences (what a cancelled command's own reply says is in ``render``)."""

from __future__ import annotations

from bot.replies import pointers
from bot.reply import Code, Reply, Untrusted, line


def cancel_elsewhere(case: int) -> Reply:
    return (line(f"Case {case} runs in another room: cancel it there."),)


def cancel_too_late(case: int, outcome: str | None) -> Reply:
    what = "was cancelled already" if outcome == "cancelled" else "has finished"
    return (
        line(
            f"Case {case} {what}: there is nothing left to cancel. ",
            pointers.on_case(pointers.UNDO, case),
            " reverses what it did, within the undo window.",
        ),
    )


def cancel_not_yours(case: int, caller: str) -> Reply:
    return (
        line(
            "Only ",
            Untrusted(caller),
            f", who asked for case {case}, or an owner of this room can cancel it."
            " Nothing was changed.",
        ),
    )


def cancelled_before_start(by_case: int) -> Reply:
    return (line(f"Cancelled by case {by_case} before it changed anything."),)


def cancelled_part_done(by_case: int) -> Reply:
    return (
        line(
            f"Cancelled by case {by_case} while paused for a restart: what it had done before"
            " is kept (its results), the rest was not done."
        ),
    )


def cancelled(case: int, command: str, part_done: bool = False) -> Reply:
    if part_done:
        return (
            line(
                f"Cancelled case {case} (",
                Code("/" + command),
                "): what it did before the bot restarted is kept (",
                pointers.on_case(pointers.CASE, case),
                " shows it); the rest will not be done.",
            ),
        )
    return (line(f"Cancelled case {case} (", Code("/" + command), "): it had changed nothing."),)


def cancel_stopping(case: int) -> Reply:
    return (
        line(
            f"Case {case} stops after the change in hand; its summary follows with what was done."
        ),
    )
