"""A platform's error as a sentence, and the lines that report one."""

from __future__ import annotations

from bot import errors
from bot.model import UserRef
from bot.replies.wording import who
from bot.reply import Line, Reply, Untrusted, line


def failure(err: errors.PlatformError) -> Line:
    said = Untrusted(err.detail) if err.detail else Untrusted("no detail")
    match err:
        case errors.RuleForbids():
            return line(
                "the platform's own rule forbids it (checked before any call; nothing was sent): ",
                said,
            )
        case errors.Forbidden():
            return line(
                f"the platform refused ({err.status}), the bot lacks the right here: ", said
            )
        case errors.Unauthorized():
            return line("the bot's session was refused (401); check its credentials. ", said)
        case errors.NotFound():
            return line(f"not found ({err.status}): ", said)
        case errors.RateLimited():
            return line("the platform is rate-limiting the bot (429); try again shortly.")
        case errors.Unavailable():
            return line(
                f"the platform failed (HTTP {err.status}); it may not have changed. Try again. ",
                said,
            )
        case _:
            return line(f"the platform refused (HTTP {err.status}): ", said)


def failed(user: UserRef, action: str, err: errors.PlatformError) -> Line:
    return line(f"Could not {action} ", who(user), ": ", *failure(err))


def not_touched_by_rule(user: UserRef, err: errors.PlatformError) -> Line:
    """A target the platform's own rule protects, found before any call (nothing was sent)."""
    return line(
        who(user),
        " was not touched: ",
        Untrusted(err.detail),
        " (the platform's own rule, checked before any call).",
    )


def lookup_failed(err: errors.PlatformError) -> Reply:
    return (
        line("Could not check the room before acting, so nothing was changed: ", *failure(err)),
    )
