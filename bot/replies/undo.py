"""``/undo``'s sentences: where it is refused, and each step it reverses or may not."""

from __future__ import annotations

from collections.abc import Sequence

from bot import errors
from bot.entitlement import Decision, Verdict
from bot.model import UserRef
from bot.outcome import ItemResult
from bot.replies import pointers, refusals
from bot.replies.failures import failure
from bot.replies.wording import counts, in_room, platform_name, who
from bot.reply import Code, Line, Reply, Untrusted, line


def nothing_to_undo(minutes: int) -> Reply:
    return (
        line(
            "You have no case in this room that can still be undone: none of yours here changed"
            f" something that is not undone yet within the last {minutes} minutes"
            " (policy.undo_window_minutes). To undo another case, give its number: ",
            Code("/undo 12"),
            ".",
        ),
    )


def not_undoable(case: int, command: str, itself_an_undo: bool = False) -> Reply:
    if itself_an_undo:
        return (
            line(
                f"Case {case} is itself an undo, and an undo cannot be undone. To make the"
                " change again, give the original command again (",
                pointers.on_case(pointers.CASE, case),
                " shows what it reversed).",
            ),
        )
    return (
        line(
            f"Case {case} was ",
            Code("/" + command),
            ", which changes nothing, so there is nothing to undo.",
        ),
    )


def undo_too_late(case: int, minutes: int) -> Reply:
    return (
        line(
            f"Case {case} is past the undo window ({minutes} minutes, "
            "policy.undo_window_minutes); nothing was changed. Re-add people by hand if needed."
        ),
    )


def undo_not_finished(case: int) -> Reply:
    return (
        line(
            f"Case {case} has not finished yet; nothing was changed. Undo it once it has: ",
            Code(f"/undo {case}"),
            ".",
        ),
    )


def already_undone(case: int, by: int) -> Reply:
    return (line(f"Case {case} was already undone by case {by}."),)


def undo_headline(case: int, items: Sequence[ItemResult]) -> Line:
    return line(f"undoing case {case}: {counts(items)}")


def undo_elsewhere(case: int) -> Reply:
    may = "undo a case from another room"
    return refusals.case_elsewhere(case, "undo", ": undo it there. Only", may)


def nothing_changed(case: int) -> Reply:
    return (line(f"Case {case} changed nothing that can be undone: there is nothing to undo."),)


def undo_place(room: str | None = None, group: str | None = None) -> Line:
    """Where a step of an undo acts, for its lines: " in “room”" or " in IB group g"."""
    if group is not None:
        return line(" in IB group ", Code(group))
    if room is not None:
        return line(" in “", Untrusted(room), "”")
    return ()


def undo_not_entitled(user: UserRef, command: str, where: Line, decision: Decision) -> Line:
    cmd = Code("/" + command)
    users = Code(f"policy.commands.{command}.users")
    start = ("Not undone for ", who(user), *where, ": ")
    match decision.verdict:
        case Verdict.DENIED_LISTED:
            return line(*start, "you are on this bot's deny list (policy.deny).")
        case Verdict.NEEDS_ROOM_OWNER:
            return line(
                *start, "undoing ", cmd, " needs an owner of the room or a user named in ", users,
                ", as running it would.",
            )  # fmt: skip
        case _:
            return line(*start, "undoing ", cmd, " needs a user named in ", users, ".")


def undo_refused(user: UserRef, where: Line, why: Line) -> Line:
    return line("Not undone for ", who(user), *where, ": ", *why)


def undo_unchecked(user: UserRef, where: Line, err: errors.PlatformError | None) -> Line:
    why = failure(err) if err is not None else line("no rank check is available.")
    return line(
        "Not undone for ", who(user), *where, ": could not check your right to, so nothing was"
        " changed: ", *why,
    )  # fmt: skip


def already_undone_step(user: UserRef, where: Line, by: int) -> Line:
    return line("Already undone for ", who(user), *where, f" by case {by}: not done again.")


def readded(user: UserRef, owner: bool) -> Line:
    return line("Re-added ", who(user), " as owner." if owner else ".")


def repromoted(user: UserRef) -> Line:
    return line("Promoted ", who(user), " back to owner.")


def readded_to_room(user: UserRef, room: str, owner: bool) -> Line:
    return line("Re-added ", who(user), " to ", in_room(room), " as owner." if owner else ".")


def invited_back(user: UserRef, owner: bool) -> Line:
    return line(
        "Invited ",
        who(user),
        " back" + (" as owner" if owner else ""),
        " (the platform cannot make anyone join; they are back once they accept).",
    )


def invited_back_to_room(user: UserRef, room: str, owner: bool) -> Line:
    return line(
        "Invited ",
        who(user),
        " back to ",
        in_room(room),
        " as owner" if owner else "",
        " (they are back once they accept).",
    )


def level_restored(user: UserRef, level: int) -> Line:
    return line("Gave ", who(user), f" back power level {level}.")


def ib_readded(user: UserRef, group: str) -> Line:
    return line("Re-added ", who(user), " to IB group ", Code(group), ".")


def ib_readd_refused(user: UserRef, group: str, message: str) -> Line:
    return line(
        "Could not re-add ",
        who(user),
        " to IB group ",
        Code(group),
        ": the platform said ",
        Untrusted(message),
    )


def platform_not_served(user: UserRef, where: Line, platform: str) -> Line:
    return line(
        "Not undone for ",
        who(user),
        *where,
        f": this bot does not serve {platform_name(platform)} now. Enable it and undo the"
        " case again (what is undone here is not undone twice).",
    )


def cannot_undo_here(user: UserRef, platform: str) -> Line:
    return line(
        f"{platform_name(platform)} offers no way for the bot to reverse the change for ",
        who(user),
        ".",
    )


def undo_cancelled(case: int, made: Sequence[ItemResult], total: int, rest_free: bool) -> Line:
    """A /cancel stopped the undo: what it did of the ``total`` changes it was to make, and
    whether the rest can still be reversed (their claims given up)."""
    did = (
        f"cancelled after {len(made):,} of {total:,} changes: {counts(made)}."
        if made
        else f"cancelled before any of its {total:,} changes."
    )
    rest = f" The rest was not undone: /undo {case} can still reverse it." if rest_free else ""
    return line(f"undoing case {case}: {did}{rest}")


def undo_left_unknown(user: UserRef, where: Line) -> Line:
    return line(
        "The change for ",
        who(user),
        *where,
        " was under way when kickbot stopped, and the undo was cancelled before it looked"
        " again: its outcome is unknown, and no later undo makes it (check by hand).",
    )
