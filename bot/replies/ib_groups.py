"""Information Barrier group changes, as ``/ib-remove`` and ``/offboard --ib-group`` say them."""

from __future__ import annotations

from bot import errors
from bot.model import UserRef
from bot.replies.failures import failure
from bot.replies.wording import who
from bot.reply import Code, Line, Reply, Untrusted, line


def ib_needs_provisioning(group: str) -> Reply:
    return (
        line(
            "The platform refused to change IB group ",
            Code(group),
            " (403): the bot's "
            "service account needs the User Provisioning role. Nothing was changed.",
        ),
    )


def ib_failed(group: str, err: errors.PlatformError) -> Reply:
    return (line("Could not change IB group ", Code(group), ": ", *failure(err)),)


def would_ib_remove(user: UserRef, group: str) -> Line:
    return line("Would ask the platform to remove ", who(user), " from IB group ", Code(group), ".")


def ib_removed(user: UserRef, group: str) -> Line:
    return line("Removed ", who(user), " from IB group ", Code(group), ".")


def ib_refused(user: UserRef, message: str) -> Line:
    return line(
        "Not removed ", who(user), " from the IB group: the platform said ", Untrusted(message)
    )


def ib_deactivated(user: UserRef) -> Line:
    return line(
        who(user),
        "'s account is deactivated: the API cannot remove deactivated users from an "
        "IB group. Use the Admin Portal.",
    )
