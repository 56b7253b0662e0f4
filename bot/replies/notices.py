"""The direct message the people removed are sent (``notify.removed_users``), and what is said
when it cannot be."""

from __future__ import annotations

from bot import errors
from bot.model import UserRef
from bot.replies.failures import failure
from bot.replies.wording import platform_name, who
from bot.reply import Line, Mention, Reply, Untrusted, line


def removal_notice(room: str, caller: UserRef, reason: str | None, contact: str | None) -> Reply:
    lines: list[Line] = [
        line("You were removed from the room ", Untrusted(room), " by ", Mention(caller), ".")
    ]
    if reason:
        lines.append(line("Reason: ", Untrusted(reason)))
    if contact:
        lines.append(line("Questions: contact ", Untrusted(contact), "."))
    return tuple(lines)


def notice_failed(user: UserRef, err: errors.PlatformError) -> Line:
    return line("Could not send ", who(user), " the removal notice: ", *failure(err))


def notices_unsupported(platform: str) -> Line:
    return line(
        f"{platform_name(platform)} bots cannot send direct messages, so the people removed "
        "were not told (notify.removed_users is on)."
    )
