"""Per-target lines for the people a command leaves alone: unknown, protected, oneself,
outranked, of a rank that cannot be established, not a member."""

from __future__ import annotations

from bot import errors
from bot.model import UserRef
from bot.replies.failures import failure
from bot.replies.platform_rules import RANK_ORDER
from bot.replies.refusals import email_hint
from bot.replies.wording import platform_name, who
from bot.reply import Code, Line, line


def target_identity_unknown(user: UserRef, key: str, platform: str, access: str | None) -> Line:
    """``user`` may be one of ``key``'s e-mail entries (protected, or of a higher rank)."""
    return line(
        who(user),
        ": not touched, as kickbot cannot tell whether they are named by e-mail in ",
        Code(key),
        f" ({platform_name(platform)} does not show the bot their e-mail address). ",
        email_hint(platform, access),
    )


def unknown_email(email: str) -> Line:
    return line("No user has the e-mail address ", Code(email), ": nothing done.")


def protected(user: UserRef) -> Line:
    return line(who(user), " is protected (the bot itself or a named admin): not touched.")


def outranked(user: UserRef, mine: str, theirs: str) -> Line:
    if mine != theirs:
        return line(who(user), f" outranks you ({theirs} above {mine}): not touched.")
    hint = (
        " A room owner may act on a co-owner only if policy.owners_may_act_on_owners is true."
        if theirs == "room owner"
        else ""
    )
    return line(who(user), f" has the same rank as you ({theirs}): not touched.{hint}")


def not_yourself(command: str, user: UserRef) -> Line:
    """The caller named themselves as a target of a command that refuses it (``/kick``)."""
    return line(
        who(user),
        ": you cannot remove yourself with ",
        Code("/" + command),
        ": you could not undo it once you are out of the room. To leave, leave the room in "
        "your chat client.",
    )


def outranked_in_room(user: UserRef) -> Line:
    return line(
        who(user),
        f" ranks the same as or above you in this room ({RANK_ORDER}): not touched.",
    )


def rank_unknown(user: UserRef, err: errors.PlatformError) -> Line:
    return line(
        "Could not establish the rank of ",
        who(user),
        ", so they were not touched: ",
        *failure(err),
    )


def not_a_member(user: UserRef) -> Line:
    return line(who(user), " is not a member of this room: nothing to do.")


def undo_outranked(actor: UserRef, mine: str, theirs: str, command: str) -> Line:
    """``actor`` outranks the caller, who may reverse their change only if named in the rule of
    ``command`` (the one reversing)."""
    return line(
        who(actor),
        f" made this change and outranks you ({theirs} above {mine}); only users named in ",
        Code(f"policy.commands.{command}.users"),
        " may undo a higher rank's change.",
    )


def undo_outranked_in_room(actor: UserRef, command: str) -> Line:
    return line(
        who(actor),
        f" made this change and ranks above you in that room ({RANK_ORDER}); only users named in ",
        Code(f"policy.commands.{command}.users"),
        " may undo a higher rank's change.",
    )
