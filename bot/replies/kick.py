"""``/kick``'s sentences."""

from __future__ import annotations

from bot.model import UserRef
from bot.replies.wording import who
from bot.reply import Line, Untrusted, line


def removed(user: UserRef, reason: str | None) -> Line:
    if reason:
        return line("Removed ", who(user), " — reason: ", Untrusted(reason))
    return line("Removed ", who(user), ".")


def removed_after_restart(user: UserRef, reason: str | None) -> Line:
    tail = (" — reason: ", Untrusted(reason)) if reason else (".",)
    return line(
        "Removed ",
        who(user),
        " (the call was made before kickbot restarted; the member list confirms it)",
        *tail,
    )


def would_remove(user: UserRef, reason: str | None) -> Line:
    if reason:
        return line("Would remove ", who(user), " — reason: ", Untrusted(reason))
    return line("Would remove ", who(user), ".")


def last_owner_remove(user: UserRef) -> Line:
    return line(
        who(user),
        " is the last owner of this room: removing them would leave it without an "
        "owner. Promote someone else first.",
    )
