"""``/demote``'s sentences."""

from __future__ import annotations

from bot.model import UserRef
from bot.replies.wording import who
from bot.reply import Line, line


def demoted(user: UserRef) -> Line:
    return line("Demoted ", who(user), " to member.")


def demoted_after_restart(user: UserRef) -> Line:
    return line(
        "Demoted ",
        who(user),
        " (the call was made before kickbot restarted; the member list confirms it).",
    )


def demoted_yourself(user: UserRef) -> Line:
    return line(
        "Demoted ",
        who(user),
        " to member. You stepped down yourself: only an owner of this room can make you an "
        "owner again (or undo this).",
    )


def would_demote(user: UserRef) -> Line:
    return line("Would demote ", who(user), " to member.")


def not_an_owner(user: UserRef) -> Line:
    return line(who(user), " is not an owner of this room: nothing to demote.")


def last_owner_demote(user: UserRef) -> Line:
    return line(
        who(user),
        " is the last owner of this room and cannot be demoted. Promote someone else first.",
    )
