"""Whole-command refusals: a command not understood, not allowed here or for this caller, a
room that cannot change, a time or a filter that cannot be used. Nothing was changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.entitlement import Decision, Verdict
from bot.replies import pointers
from bot.replies.wording import local_time, platform_name
from bot.reply import Code, Line, Reply, Untrusted, line


def malformed(problem: str, hint: str | None, usage: str, options: str = "") -> Reply:
    lines: list[Line] = [line(Untrusted(problem))]
    if hint:
        lines.append(line(hint))
    if options:
        lines.append(line("Usage: ", Code(usage), " ", Code(options)))
    else:
        lines.append(line("Usage: ", Code(usage)))
    return tuple(lines)


def case_elsewhere(case: int, command: str, lead: str, may: str) -> Reply:
    """A case of another room, to a caller whom ``command``'s policy users do not name: what
    the sentence says after "another room" (``lead``), and what those users ``may`` do."""
    return (
        line(
            f"Case {case} happened in another room{lead} users named in ",
            Code(f"policy.commands.{command}.users"),
            f" may {may}.",
        ),
    )


def unknown_command(name: str, nearest: str | None) -> Reply:
    """A command-like word that is none of kickbot's: the nearest command, and /help."""
    asked, lists = Code("/" + name), line(Code(pointers.HELP), " lists the ones you may use.")
    if nearest is None:
        return (line(asked, " is not a command. ", *lists),)
    return (line(asked, " is not a command. Did you mean ", Code("/" + nearest), "? ", *lists),)


def not_entitled(command: str, decision: Decision) -> Reply:
    cmd = Code("/" + command)
    match decision.verdict:
        case Verdict.DENIED_LISTED:
            return (
                line("You are on this bot's deny list (policy.deny): you may not run ", cmd, "."),
            )
        case Verdict.NEEDS_ROOM_OWNER:
            return (
                line(
                    "You may not run ",
                    cmd,
                    " here: it needs the right to be an owner of this room, or to be named in ",
                    Code(f"policy.commands.{command}.users"),
                    ".",
                ),
            )
        case _:
            return (
                line(
                    "You may not run ",
                    cmd,
                    ": only users named in ",
                    Code(f"policy.commands.{command}.users"),
                    " may, and you are not named there.",
                ),
            )


def email_hint(platform: str, access: str | None) -> str:
    shown = access or (
        f"{platform_name(platform)} did not show the bot this person's e-mail address"
    )
    return f"{shown}. Or name people in the policy by user id."


def identity_unknown(command: str, key: str, platform: str, access: str | None) -> Reply:
    """The caller may be one of ``key``'s e-mail entries, and the platform does not let tell."""
    return (
        line(
            "You may not run ",
            Code("/" + command),
            ": kickbot cannot tell whether you are one of the people named by e-mail in ",
            Code(key),
            f", because {platform_name(platform)} does not show the bot your e-mail address "
            "nor find anyone by those addresses. Nothing was changed.",
        ),
        line(email_hint(platform, access)),
    )


def room_deactivated() -> Reply:
    return (
        line(
            "This room is deactivated: its membership is locked, so nothing was changed. "
            "Reactivate it first."
        ),
    )


def unsupported(command: str, platform: str, why: str | None = None) -> Reply:
    tail = f": {why}" if why else "."
    return (line(Code("/" + command), f" is not available on {platform_name(platform)}{tail}"),)


def filter_unsupported(flag: str, platform: str) -> Reply:
    return (
        line(
            Code("--" + flag),
            f" is not available on {platform_name(platform)}: it cannot tell who that is."
            " Nothing was changed.",
        ),
    )


def filter_matched_nobody(flags: Sequence[str]) -> Reply:
    shown = " ".join("--" + f for f in flags)
    return (line("Nobody in this room matches ", Code(shown), ". Nothing was changed."),)


def bad_time(text: str, timezone: str) -> Reply:
    return (
        line("“", Untrusted(text), "” is not a time kickbot understands."),
        line(
            "Write ",
            Code("--at 19:30"),
            f" (the next 19:30, {timezone}) or ",
            Code("--at 2026-11-25T06:00"),
            ". Nothing was changed.",
        ),
    )


def time_passed(at: datetime) -> Reply:
    return (line(f"{local_time(at)} has passed already. Nothing was changed."),)


def no_such_case(case: int) -> Reply:
    return (line(f"There is no case {case}."),)
