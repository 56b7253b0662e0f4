"""``/offboard``'s sentences (and ``kickbot offboard``'s)."""

from __future__ import annotations

from collections.abc import Sequence

from bot import errors
from bot.model import UserRef
from bot.outcome import ItemResult
from bot.replies.failures import failure
from bot.replies.platform_rules import IB_GROUPS_ONLY_ON
from bot.replies.wording import counts, in_room, platform_name, who
from bot.reply import Code, Line, Reply, Untrusted, line


def offboard_one_person(given: int) -> Reply:
    return (
        line(
            Code("/offboard"),
            f" takes exactly one person and you named {given}: offboard them one at a time."
            " Nothing was changed.",
        ),
    )


def offboard_self() -> Reply:
    return (line("You cannot offboard yourself. Nothing was changed."),)


def offboard_no_ib_groups(platform: str) -> Reply:
    return (
        line(
            Code("--ib-group"),
            f": {platform_name(platform)} has no Information Barrier groups"
            f" ({IB_GROUPS_ONLY_ON}). Nothing was changed.",
        ),
    )


def offboard_rooms_failed(user: UserRef, err: errors.PlatformError) -> Reply:
    return (
        line(
            "Could not list the rooms of ", who(user), ", so nothing was changed: ", *failure(err)
        ),
    )


def offboard_headline(user: UserRef, rooms: int, groups: int, items: Sequence[ItemResult]) -> Line:
    where = f"{rooms} room" + ("" if rooms == 1 else "s")
    if groups:
        where += f" and {groups} IB group" + ("" if groups == 1 else "s")
    if not items:
        return line(
            "offboarding ", who(user), ": not in any room the bot can act in; nothing to do."
        )
    return line("offboarding ", who(user), f" from {where}: {counts(items)}.")


def offboard_removed(user: UserRef, room: str, reason: str | None) -> Line:
    tail = (" — reason: ", Untrusted(reason)) if reason else (".",)
    return line("Removed ", who(user), " from ", in_room(room), *tail)


def offboard_removed_after_restart(user: UserRef, room: str) -> Line:
    return line(
        "Removed ",
        who(user),
        " from ",
        in_room(room),
        " (the call was cut off by a restart; the member list confirms it).",
    )


def offboard_would_remove(user: UserRef, room: str, members: int, interval: float) -> Line:
    if interval > 0:
        pace = f" (a large room: {members:,} members, one change every {interval:g} s)."
        return line("Would remove ", who(user), " from ", in_room(room), pace)
    return line("Would remove ", who(user), " from ", in_room(room), ".")


def offboard_not_member(user: UserRef, room: str) -> Line:
    return line("Skipped ", in_room(room), ": ", who(user), " is no longer a member.")


def offboard_deactivated(room: str) -> Line:
    return line(
        "Skipped ", in_room(room), ": the room is deactivated, so its membership is locked."
    )


def offboard_last_owner(user: UserRef, room: str) -> Line:
    return line(
        "Refused in ",
        in_room(room),
        ": ",
        who(user),
        " is its last owner and removing them would leave the room ownerless."
        " Make someone else an owner there first.",
    )


def offboard_failed(user: UserRef, room: str, err: errors.PlatformError) -> Line:
    return line("Failed in ", in_room(room), ": could not remove ", who(user), ": ", *failure(err))


def offboard_ib_failed(user: UserRef, group: str, err: errors.PlatformError) -> Line:
    return line(
        "Failed in IB group ", Code(group), ": could not remove ", who(user), ": ", *failure(err)
    )


def offboard_cancelled(user: UserRef, items: Sequence[ItemResult], total: int) -> Line:
    return line(
        "offboarding ",
        who(user),
        f": cancelled after {len(items):,} of {total:,} rooms and groups: {counts(items)}."
        " The rest was not touched.",
    )


def cli_interrupted() -> Reply:
    return (
        line(
            "Interrupted: the command line that ran it stopped. What it did is in its results;"
            " run it again to finish (rooms already done are skipped)."
        ),
    )
