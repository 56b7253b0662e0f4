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


# --- on every platform (``--platform all``) ---------------------------------------------------


def platform_room(platform: str, name: str) -> str:
    """A room named with its platform ("Slack #general"), for a report across platforms."""
    return f"{platform_name(platform)} {name}"


def everywhere_only_all(given: Sequence[str], all_platforms: str) -> Reply:
    return (
        line(
            Code("--platform"),
            " takes ",
            Code(all_platforms),
            " here (every platform this bot serves), not ",
            Untrusted(", ".join(given)),
            ". Nothing was changed.",
        ),
    )


def everywhere_needs_email() -> Reply:
    return (
        line(
            "On every platform, name the person by e-mail address (a mention is one platform's"
            " id). Nothing was changed."
        ),
    )


def everywhere_no_groups() -> Reply:
    return (
        line(
            Code("--ib-group"),
            " is for one platform: offboard from the IB groups there separately."
            " Nothing was changed.",
        ),
    )


def everywhere_no_platforms() -> Reply:
    return (line("No platform here can list a person's rooms. Nothing was changed."),)


def everywhere_unknown(email: str, platform: str) -> Line:
    return line(
        f"{platform_name(platform)}: no user has the e-mail address ",
        Untrusted(email),
        " (nor does the identity map name one); nothing to do there.",
    )


def everywhere_unreachable(
    email: str, platform: str, retried: int, err: errors.PlatformError
) -> Line:
    tries = f" (tried {retried + 1} times)" if retried else ""
    return line(
        f"{platform_name(platform)}: could not find ",
        Untrusted(email),
        f" or list their rooms{tries}, so nothing was changed there: ",
        Untrusted(err.detail or "no detail"),
        ". Run it again once the platform answers; rooms already done are skipped.",
    )


def everywhere_unscreened(person: UserRef) -> Line:
    return line(
        "Not checked against the protected people and ranks, so not touched: ",
        Untrusted(person.label),
        ".",
    )


def everywhere_platform_headline(
    platform: str, rooms: int, items: Sequence[ItemResult], retried: int
) -> Line:
    """One platform's share of an offboarding on every platform."""
    tally = counts(items) if items else "nothing to do"
    where = f"{rooms} room" + ("" if rooms == 1 else "s")
    again = f"; tried again {retried} time" + ("" if retried == 1 else "s")
    return line(f"{platform_name(platform)}: {where}, {tally}{again if retried else ''}.")


def everywhere_headline(
    email: str, platforms: int, rooms: int, items: Sequence[ItemResult]
) -> Line:
    where = f"{platforms} platform" + ("" if platforms == 1 else "s")
    return line(
        "offboarding ",
        Untrusted(email),
        f" on {where}, {rooms} room" + ("" if rooms == 1 else "s"),
        f": {counts(items)}." if items else ": nothing to do.",
    )
