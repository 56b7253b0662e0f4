"""Every sentence kickbot says in a room, in one place.

User-typed text and display names go in as ``Untrusted``/``Mention`` segments so that each
platform's renderer escapes them; nothing here builds markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot import errors
from bot.entitlement import Decision, Verdict
from bot.model import UserRef
from bot.outcome import (
    Awaiting,
    Crashed,
    Info,
    ItemResult,
    Outcome,
    Plan,
    Refused,
    Report,
    Scheduled,
    Status,
)
from bot.platforms import PLUGINS
from bot.reply import Code, Line, Mention, Reply, Untrusted, line
from bot.store import AuditRow, OpenJob, PendingConfirmation

PLATFORM_NAMES = {plugin.name: plugin.display_name for plugin in PLUGINS}
"""Each platform as a sentence names it (its package declares it)."""


def platform_name(name: str) -> str:
    return PLATFORM_NAMES.get(name, name)


PLAN_LINES = 25
"""Targets listed in a plan; the rest are counted (every one is in the case, /case <n>)."""
REPORT_LINES = 25
"""Per-target lines in a final report, likewise (Symphony allows 40 mentions per message)."""
NOTE_LINES = 10
CASE_LINES = 200
"""Targets listed by /case: a chat message has a size limit (Symphony: about 80,000 characters
of MessageML)."""


def _who(user: UserRef) -> Mention | Untrusted:
    # A target resolved from an e-mail has an id too, so it can always be mentioned.
    return Mention(user)


# --- whole-command refusals -------------------------------------------------------------------


def malformed(problem: str, hint: str | None, usage: str, options: str = "") -> Reply:
    lines: list[Line] = [line(Untrusted(problem))]
    if hint:
        lines.append(line(hint))
    if options:
        lines.append(line("Usage: ", Code(usage), " ", Code(options)))
    else:
        lines.append(line("Usage: ", Code(usage)))
    return tuple(lines)


def unknown_command(name: str, nearest: str | None) -> Reply:
    """A command-like word that is none of kickbot's: the nearest command, and /help."""
    asked = Code("/" + name)
    if nearest is None:
        return (line(asked, " is not a command. ", Code("/help"), " lists the ones you may use."),)
    return (
        line(
            asked,
            " is not a command. Did you mean ",
            Code("/" + nearest),
            "? ",
            Code("/help"),
            " lists the ones you may use.",
        ),
    )


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


def _email_hint(platform: str, access: str | None) -> str:
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
        line(_email_hint(platform, access)),
    )


def target_identity_unknown(user: UserRef, key: str, platform: str, access: str | None) -> Line:
    """``user`` may be one of ``key``'s e-mail entries (protected, or of a higher rank)."""
    return line(
        _who(user),
        ": not touched, as kickbot cannot tell whether they are named by e-mail in ",
        Code(key),
        f" ({platform_name(platform)} does not show the bot their e-mail address). ",
        _email_hint(platform, access),
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
    return (line("Could not change IB group ", Code(group), ": ", *_failure(err)),)


def no_such_case(case: int) -> Reply:
    return (line(f"There is no case {case}."),)


def case_elsewhere(case: int) -> Reply:
    return (
        line(
            f"Case {case} happened in another room; only users named in ",
            Code("policy.commands.case.users"),
            " may see cases from other rooms.",
        ),
    )


def case_details(row: AuditRow) -> Reply:
    lines: list[Line] = [
        line(
            f"case {row.case}, {row.received_at} by ",
            Untrusted(row.caller),
            " (",
            Code(row.caller_id),
            "): ",
            Code(row.text),
        ),
        line(case_status(row.outcome, row.state, bool(row.results))),
    ]
    for r in row.results[:CASE_LINES]:
        lines.append(
            line(
                "• ",
                Untrusted(str(r["target"])),
                f" — {r['result']}: ",
                Untrusted(str(r["detail"])),
            )
        )
    if len(row.results) > CASE_LINES:
        more = len(row.results) - CASE_LINES
        lines.append(
            line(
                f"… and {more:,} more; every one is in the audit log (",
                Code("kickbot audit export"),
                ").",
            )
        )
    return tuple(lines)


CASE_OUTCOMES = {
    # how a finished case ended (the store's outcome), as a sentence and as one word or two
    "report": ("It ran.", "ran"),
    "info": ("It was answered.", "answered"),
    "refused": ("It was refused; nothing was changed.", "refused"),
    "plan": ("It was a dry run; nothing was changed.", "dry run"),
    "crashed": ("It failed on an error inside kickbot (its log has the details).", "failed"),
    "cancelled": ("It was cancelled before it ran.", "cancelled"),
    "expired": ("Its plan was not confirmed in time; nothing was changed.", "not confirmed"),
}
CASE_STATES = {
    # where an unfinished case is (the store's state)
    "queued": ("It is waiting its turn.", "waiting"),
    "scheduled": ("It is scheduled to run later.", "scheduled"),
    "running": ("It is running now.", "running"),
    "awaiting": ("Its plan waits for its caller's /confirm.", "awaiting /confirm"),
}


def case_status(outcome: str | None, state: str, results: bool = False) -> str:
    """How a case ended, or where it is, in a sentence (``/case``)."""
    said = CASE_OUTCOMES.get(outcome) if outcome else CASE_STATES.get(state)
    if said is None:
        return f"Its state: {outcome or state}."
    if outcome == "report" and results:
        return "It ran; for each person:"
    return said[0]


def case_status_word(outcome: str | None, state: str) -> str:
    """How a case ended, or where it is, in a word or two (the demo's ``:audit``)."""
    said = CASE_OUTCOMES.get(outcome) if outcome else CASE_STATES.get(state)
    return said[1] if said is not None else (outcome or state)


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
                Code(f"/case {case}"),
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


def not_awaiting(case: int) -> Reply:
    return (line(f"Case {case} is not waiting for a confirmation."),)


def confirm_elsewhere(case: int) -> Reply:
    return (line(f"Case {case} was asked for in another room: confirm it there."),)


def confirm_not_yours(pending: PendingConfirmation) -> Reply:
    return (
        line(
            "Only ",
            Untrusted(pending.caller.label),
            f", who asked for case {pending.case}, can confirm it. Nothing was changed.",
        ),
    )


def confirm_not_named(pending: PendingConfirmation) -> Reply:
    return (
        line(
            f"Case {pending.case} was asked for by ",
            Untrusted(pending.caller.label),
            " and waits for one of the people named to confirm it; you are not one of them."
            " Nothing was changed.",
        ),
    )


def already_confirmed(case: int, by: int) -> Reply:
    return (line(f"Case {case} was already confirmed (case {by})."),)


def confirm_too_late(case: int) -> Reply:
    return (
        line(
            f"Case {case} was not confirmed in time (bulk.confirm_within_minutes) and has "
            "expired; nothing was changed. Ask again to get a new plan."
        ),
    )


def plan_expired() -> Reply:
    return (line("Not confirmed in time (bulk.confirm_within_minutes): nothing was changed."),)


def confirmed(pending: PendingConfirmation) -> Reply:
    pace = (
        f", about {duration(pending.estimate_seconds)} at this room's pace"
        if pending.estimate_seconds >= 1
        else ""
    )
    return (
        line(
            f"Confirmed case {pending.case}: ",
            Code("/" + pending.command),
            f" of {_people(pending.targets)} starts now{pace}; its summary follows.",
        ),
    )


def _about(seconds: float) -> str:
    said = duration(seconds)
    return said if seconds < 1 else "about " + said


def duration(seconds: float) -> str:
    s = round(seconds)
    if s < 1:
        return "less than a second"
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, rest = divmod(s, 60)
        return f"{m} min {rest} s" if rest else f"{m} min"
    h, rest = divmod(s, 3600)
    return f"{h} h {rest // 60} min"


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n:,} people"


def undo_headline(case: int, items: Sequence[ItemResult]) -> Line:
    return line(f"undoing case {case}: {_counts(items)}")


# --- per-target lines ---------------------------------------------------------------------------


def unknown_email(email: str) -> Line:
    return line("No user has the e-mail address ", Code(email), ": nothing done.")


def protected(user: UserRef) -> Line:
    return line(_who(user), " is protected (the bot itself or a named admin): not touched.")


def outranked(user: UserRef, mine: str, theirs: str) -> Line:
    if mine != theirs:
        return line(_who(user), f" outranks you ({theirs} above {mine}): not touched.")
    hint = (
        " A room owner may act on a co-owner only if policy.owners_may_act_on_owners is true."
        if theirs == "room owner"
        else ""
    )
    return line(_who(user), f" has the same rank as you ({theirs}): not touched.{hint}")


def not_yourself(command: str, user: UserRef) -> Line:
    """The caller named themselves as a target of a command that refuses it (``/kick``)."""
    return line(
        _who(user),
        ": you cannot remove yourself with ",
        Code("/" + command),
        ": you could not undo it once you are out of the room. To leave, leave the room in "
        "your chat client.",
    )


def outranked_in_room(user: UserRef) -> Line:
    return line(
        _who(user),
        " ranks the same as or above you in this room (the platform's own order, "
        "e.g. Matrix power levels): not touched.",
    )


def rank_unknown(user: UserRef, err: errors.PlatformError) -> Line:
    return line(
        "Could not establish the rank of ",
        _who(user),
        ", so they were not touched: ",
        *_failure(err),
    )


def not_a_member(user: UserRef) -> Line:
    return line(_who(user), " is not a member of this room: nothing to do.")


def not_an_owner(user: UserRef) -> Line:
    return line(_who(user), " is not an owner of this room: nothing to demote.")


def last_owner_remove(user: UserRef) -> Line:
    return line(
        _who(user),
        " is the last owner of this room: removing them would leave it without an "
        "owner. Promote someone else first.",
    )


def last_owner_demote(user: UserRef) -> Line:
    return line(
        _who(user),
        " is the last owner of this room and cannot be demoted. Promote someone else first.",
    )


def removed(user: UserRef, reason: str | None) -> Line:
    if reason:
        return line("Removed ", _who(user), " — reason: ", Untrusted(reason))
    return line("Removed ", _who(user), ".")


def removed_after_restart(user: UserRef, reason: str | None) -> Line:
    tail = (" — reason: ", Untrusted(reason)) if reason else (".",)
    return line(
        "Removed ",
        _who(user),
        " (the call was made before kickbot restarted; the member list confirms it)",
        *tail,
    )


def demoted_after_restart(user: UserRef) -> Line:
    return line(
        "Demoted ",
        _who(user),
        " (the call was made before kickbot restarted; the member list confirms it).",
    )


def demoted(user: UserRef) -> Line:
    return line("Demoted ", _who(user), " to member.")


def demoted_yourself(user: UserRef) -> Line:
    return line(
        "Demoted ",
        _who(user),
        " to member. You stepped down yourself: only an owner of this room can make you an "
        "owner again (or undo this).",
    )


def readded(user: UserRef, owner: bool) -> Line:
    return line("Re-added ", _who(user), " as owner." if owner else ".")


def repromoted(user: UserRef) -> Line:
    return line("Promoted ", _who(user), " back to owner.")


def ib_readded(user: UserRef, group: str) -> Line:
    return line("Re-added ", _who(user), " to IB group ", Code(group), ".")


def ib_readd_refused(user: UserRef, group: str, message: str) -> Line:
    return line(
        "Could not re-add ",
        _who(user),
        " to IB group ",
        Code(group),
        ": the platform said ",
        Untrusted(message),
    )


def cannot_undo_here(user: UserRef, platform: str) -> Line:
    return line(
        f"{platform_name(platform)} offers no way for the bot to reverse the change for ",
        _who(user),
        ".",
    )


def would_remove(user: UserRef, reason: str | None) -> Line:
    if reason:
        return line("Would remove ", _who(user), " — reason: ", Untrusted(reason))
    return line("Would remove ", _who(user), ".")


def would_demote(user: UserRef) -> Line:
    return line("Would demote ", _who(user), " to member.")


def would_ib_remove(user: UserRef, group: str) -> Line:
    return line(
        "Would ask the platform to remove ", _who(user), " from IB group ", Code(group), "."
    )


def ib_removed(user: UserRef, group: str) -> Line:
    return line("Removed ", _who(user), " from IB group ", Code(group), ".")


def ib_refused(user: UserRef, message: str) -> Line:
    return line(
        "Not removed ", _who(user), " from the IB group: the platform said ", Untrusted(message)
    )


def ib_deactivated(user: UserRef) -> Line:
    return line(
        _who(user),
        "'s account is deactivated: the API cannot remove deactivated users from an "
        "IB group. Use the Admin Portal.",
    )


def failed(user: UserRef, action: str, err: errors.PlatformError) -> Line:
    return line(f"Could not {action} ", _who(user), ": ", *_failure(err))


def not_touched_by_rule(user: UserRef, err: errors.PlatformError) -> Line:
    """A target the platform's own rule protects, found before any call (nothing was sent)."""
    return line(
        _who(user),
        " was not touched: ",
        Untrusted(err.detail),
        " (the platform's own rule, checked before any call).",
    )


def _failure(err: errors.PlatformError) -> Line:
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


# --- whole replies ------------------------------------------------------------------------------


def crashed(case_id: int) -> Reply:
    return (
        line(
            f"Something went wrong inside kickbot (case {case_id}). It is logged with its details; "
            "please report the case number. What is done is listed in the audit log."
        ),
    )


def progress(
    caller: UserRef,
    command: str,
    case: int,
    items: Sequence[ItemResult],
    total: int,
    left_seconds: float | None,
) -> Reply:
    done = len(items)
    tail = f" About {duration(left_seconds)} left." if left_seconds and left_seconds >= 1 else ""
    return (
        line(
            Mention(caller),
            " ",
            Code("/" + command),
            f" · case {case}: in progress, {done:,} of {total:,} handled"
            f" ({100 * done // total} %): {_counts(items)}.{tail}",
        ),
    )


def help_lines(entries: Sequence[tuple[str, str, str, str]]) -> Reply:
    """``entries``: (usage, options, summary, how-allowed) for the commands this caller may
    use; options ("" for none) are a code span of their own after the usage."""
    lines: list[Line] = [line("Commands you may use here:")]
    for usage, options, summary, via in entries:
        shown = line(Code(usage), " ", Code(options)) if options else line(Code(usage))
        lines.append(line("• ", *shown, f" — {summary} ({via})" if via else f" — {summary}"))
    return tuple(lines)


def render(outcome: Outcome, caller: UserRef, command: str, case: int) -> Reply:
    head = line(Mention(caller), " ", Code("/" + command), f" · case {case}: ")
    match outcome:
        case Refused(_, detail):
            return (head + detail[0], *detail[1:])
        case Report(items, headline, notes):
            counts = _counts(items)
            first = head + (line(counts) if headline is None else headline[0])
            return (first, *_report_lines(items, case), *_capped(notes, NOTE_LINES))
        case Plan(items, awaiting):
            if awaiting is None:
                first = head + line(f"dry run, nothing was changed: {_counts(items)}")
                return (first, *_plan_lines(items, case))
            return (
                head + _awaiting_head(awaiting, items),
                *_plan_lines(items, case),
                *_confirm(awaiting),
            )
        case Info(body):
            return (head + body[0], *body[1:])
        case Crashed(case_id):
            c = crashed(case_id)
            return (head + c[0], *c[1:])
        case Scheduled(at, targets):
            return (
                head
                + line(
                    f"scheduled: it runs at {_local(at)} (in {duration(_until(at))}) for "
                    f"{_people(targets)}, with every check made again then."
                ),
                line("To drop it, answer ", Code(f"/cancel {case}"), "; ", Code("/jobs"),
                     " lists what is waiting."),
            )  # fmt: skip


def _report_lines(items: Sequence[ItemResult], case: int) -> list[Line]:
    """A long report lists what went wrong first, then what was done, up to REPORT_LINES (a
    chat message has a size limit and Symphony allows 40 mentions in one)."""
    if len(items) <= REPORT_LINES:
        return [i.line for i in items]
    first = [i for i in items if i.status is not Status.DONE]
    shown = (first + [i for i in items if i.status is Status.DONE])[:REPORT_LINES]
    more = len(items) - len(shown)
    return [
        *(i.line for i in shown),
        line(f"… and {more:,} more (all of them: ", Code(f"/case {case}"), ")."),
    ]


def _capped(lines: Sequence[Line], most: int) -> list[Line]:
    if len(lines) <= most:
        return list(lines)
    return [*lines[:most], line(f"… and {len(lines) - most:,} more notes like these.")]


def _plan_lines(items: Sequence[ItemResult], case: int) -> list[Line]:
    lines = [
        i.line if i.status is Status.PLANNED else line("Would refuse: ") + i.line
        for i in items[:PLAN_LINES]
    ]
    if len(items) > PLAN_LINES:
        more = len(items) - PLAN_LINES
        lines.append(line(f"… and {more:,} more (all of them: ", Code(f"/case {case}"), ")."))
    return lines


def _awaiting_head(plan: Awaiting, items: Sequence[ItemResult]) -> Line:
    if plan.why == "jumbo":
        why = (
            "Changes in a room this size are paced and always shown first, so nothing is done yet:"
        )
    elif plan.why == "filter":
        why = "People chosen by a filter are always counted first, so nothing is done yet:"
    elif plan.why == "confirmers":
        why = (
            "Asked for from outside the chat, it waits for a confirmation by one of the people"
            " named for it, so nothing is done yet:"
        )
    else:
        why = (
            f"That is more than the {plan.threshold} changes this bot makes without a "
            "confirmation (bulk.confirm_above), so nothing is done yet:"
        )
    return line(f"plan: {_counts(items)}. {why}")


def _confirm(plan: Awaiting) -> list[Line]:
    if plan.platform_interval_seconds > 0:
        pace = line(
            f"At {platform_name(plan.platform)}'s published limit (one change every "
            f"{plan.platform_interval_seconds:g} s) it will take {_about(plan.estimate_seconds)}."
        )
    elif plan.interval_seconds > 0:
        pace = line(
            f"At this room's pace (one change every {plan.interval_seconds:g} s: it has "
            f"{plan.members:,} members) it will take {_about(plan.estimate_seconds)}."
        )
    elif plan.members is not None:
        pace = line(f"This room is not paced ({plan.members:,} members), so it will take seconds.")
    elif plan.requests > 1:
        pace = line(
            f"It is {plan.requests:,} requests to the platform, one per room or group, so it"
            " will take seconds."
        )
    else:
        pace = line("It is one request to the platform.")
    minutes = f"{plan.within_minutes:g} minute" + ("" if plan.within_minutes == 1 else "s")
    extra: list[Line] = []
    if plan.runs_at is not None:
        extra.append(line(f"Once confirmed, it runs at {_local(plan.runs_at)}."))
    if plan.working_hours is not None:
        extra.append(
            line(
                f"That is within working hours ({plan.working_hours}): Symphony advises changing"
                " rooms this size outside them. To run it later, ask again with ",
                Code("--at HH:MM"),
                ".",
            )
        )
    return [
        pace,
        *extra,
        line(
            "To go ahead, answer ",
            Code(f"/confirm {plan.case}"),
            f" here within {minutes}; only you can confirm it.",
        ),
    ]


def _counts(items: Sequence[ItemResult]) -> str:
    words = {
        Status.DONE: "done",
        Status.REFUSED: "refused",
        Status.FAILED: "failed",
        Status.PLANNED: "would be done",
    }
    parts = []
    for status in (Status.DONE, Status.PLANNED, Status.REFUSED, Status.FAILED):
        n = sum(1 for i in items if i.status is status)
        if n:
            parts.append(f"{n} {words[status]}")
    return ", ".join(parts) or "nothing to do"


def counts(items: Sequence[ItemResult]) -> str:
    """ "2 done, 1 refused": the results counted by status."""
    return _counts(items)


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
    return line("Could not send ", _who(user), " the removal notice: ", *_failure(err))


def lookup_failed(err: errors.PlatformError) -> Reply:
    return (
        line("Could not check the room before acting, so nothing was changed: ", *_failure(err)),
    )


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


def paused(caller: UserRef, command: str, case: int) -> Reply:
    return (
        line(
            Mention(caller),
            " ",
            Code("/" + command),
            f" · case {case}: paused, the bot is restarting. What is done is kept; the rest"
            " resumes when it is back.",
        ),
    )


# --- offboarding --------------------------------------------------------------------------------


def _in(room: str) -> Untrusted:
    return Untrusted(f"“{room}”")


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
            f": {platform_name(platform)} has no Information Barrier groups (only Symphony does)."
            " Nothing was changed.",
        ),
    )


def offboard_rooms_failed(user: UserRef, err: errors.PlatformError) -> Reply:
    return (
        line(
            "Could not list the rooms of ", _who(user), ", so nothing was changed: ", *_failure(err)
        ),
    )


def offboard_headline(user: UserRef, rooms: int, groups: int, items: Sequence[ItemResult]) -> Line:
    where = f"{rooms} room" + ("" if rooms == 1 else "s")
    if groups:
        where += f" and {groups} IB group" + ("" if groups == 1 else "s")
    if not items:
        return line(
            "offboarding ", _who(user), ": not in any room the bot can act in; nothing to do."
        )
    return line("offboarding ", _who(user), f" from {where}: {_counts(items)}.")


def offboard_removed(user: UserRef, room: str, reason: str | None) -> Line:
    tail = (" — reason: ", Untrusted(reason)) if reason else (".",)
    return line("Removed ", _who(user), " from ", _in(room), *tail)


def offboard_removed_after_restart(user: UserRef, room: str) -> Line:
    return line(
        "Removed ",
        _who(user),
        " from ",
        _in(room),
        " (the call was cut off by a restart; the member list confirms it).",
    )


def offboard_would_remove(user: UserRef, room: str, members: int, interval: float) -> Line:
    if interval > 0:
        pace = f" (a large room: {members:,} members, one change every {interval:g} s)."
        return line("Would remove ", _who(user), " from ", _in(room), pace)
    return line("Would remove ", _who(user), " from ", _in(room), ".")


def offboard_not_member(user: UserRef, room: str) -> Line:
    return line("Skipped ", _in(room), ": ", _who(user), " is no longer a member.")


def offboard_deactivated(room: str) -> Line:
    return line("Skipped ", _in(room), ": the room is deactivated, so its membership is locked.")


def offboard_last_owner(user: UserRef, room: str) -> Line:
    return line(
        "Refused in ",
        _in(room),
        ": ",
        _who(user),
        " is its last owner and removing them would leave the room ownerless."
        " Make someone else an owner there first.",
    )


def offboard_failed(user: UserRef, room: str, err: errors.PlatformError) -> Line:
    return line("Failed in ", _in(room), ": could not remove ", _who(user), ": ", *_failure(err))


def readded_to_room(user: UserRef, room: str, owner: bool) -> Line:
    return line("Re-added ", _who(user), " to ", _in(room), " as owner." if owner else ".")


def offboard_ib_failed(user: UserRef, group: str, err: errors.PlatformError) -> Line:
    return line(
        "Failed in IB group ", Code(group), ": could not remove ", _who(user), ": ", *_failure(err)
    )


# --- /jobs and /cancel ------------------------------------------------------------------------


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _job_state(job: OpenJob) -> str:
    if job.cancel_requested:
        return "stopping (cancel asked)"
    if job.state == "running":
        if job.total:
            return f"running, {job.settled:,} of {job.total:,} handled"
        return "running"
    if job.state == "scheduled" and job.not_before is not None:
        return f"scheduled for {_utc(job.not_before)}"
    if job.state == "awaiting":
        return "waiting for its caller's /confirm"
    return "queued"


def jobs_list(jobs: Sequence[OpenJob]) -> Reply:
    if not jobs:
        return (line("No jobs are running or waiting in this room."),)
    lines: list[Line] = [line(f"{len(jobs)} unfinished in this room:")]
    for job in jobs[:PLAN_LINES]:
        lines.append(
            line(
                f"• case {job.case} ",
                Code("/" + job.command),
                " by ",
                Untrusted(job.caller.label),
                f": {_job_state(job)}",
            )
        )
    if len(jobs) > PLAN_LINES:
        lines.append(line(f"… and {len(jobs) - PLAN_LINES:,} more."))
    lines.append(line("Stop one with ", Code("/cancel <case>"), "."))
    return tuple(lines)


def cancel_elsewhere(case: int) -> Reply:
    return (line(f"Case {case} runs in another room: cancel it there."),)


def cancel_too_late(case: int, outcome: str | None) -> Reply:
    what = "was cancelled already" if outcome == "cancelled" else "has finished"
    return (
        line(
            f"Case {case} {what}: there is nothing left to cancel. ",
            Code(f"/undo {case}"),
            " reverses what it did, within the undo window.",
        ),
    )


def cancel_not_yours(case: int, caller: str) -> Reply:
    return (
        line(
            "Only ",
            Untrusted(caller),
            f", who asked for case {case}, or an owner of this room can cancel it."
            " Nothing was changed.",
        ),
    )


def cancelled_before_start(by_case: int) -> Reply:
    return (line(f"Cancelled by case {by_case} before it changed anything."),)


def cancelled(case: int, command: str) -> Reply:
    return (line(f"Cancelled case {case} (", Code("/" + command), "): it had changed nothing."),)


def cancel_stopping(case: int) -> Reply:
    return (
        line(
            f"Case {case} stops after the change in hand; its summary follows with what was done."
        ),
    )


def stopped_by_cancel(items: Sequence[ItemResult], total: int) -> Line:
    return line(
        f"cancelled after {len(items):,} of {total:,}: {_counts(items)}. The rest was not touched."
    )


# --- --at ---------------------------------------------------------------------------------------


def _local(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M ") + (at.tzname() or "")


def _until(at: datetime) -> float:
    return max(0.0, at.timestamp() - datetime.now(UTC).timestamp())


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
    return (line(f"{_local(at)} has passed already. Nothing was changed."),)


# --- invite-only undo, owner levels, notices per platform --------------------------------------


def invited_back(user: UserRef, owner: bool) -> Line:
    return line(
        "Invited ",
        _who(user),
        " back" + (" as owner" if owner else ""),
        " (the platform cannot make anyone join; they are back once they accept).",
    )


def invited_back_to_room(user: UserRef, room: str, owner: bool) -> Line:
    return line(
        "Invited ",
        _who(user),
        " back to ",
        _in(room),
        " as owner" if owner else "",
        " (they are back once they accept).",
    )


def level_restored(user: UserRef, level: int) -> Line:
    return line("Gave ", _who(user), f" back power level {level}.")


def notices_unsupported(platform: str) -> Line:
    return line(
        f"{platform_name(platform)} bots cannot send direct messages, so the people removed "
        "were not told (notify.removed_users is on)."
    )


def offboard_cancelled(user: UserRef, items: Sequence[ItemResult], total: int) -> Line:
    return line(
        "offboarding ",
        _who(user),
        f": cancelled after {len(items):,} of {total:,} rooms and groups: {_counts(items)}."
        " The rest was not touched.",
    )


def cli_interrupted() -> Reply:
    return (
        line(
            "Interrupted: the command line that ran it stopped. What it did is in its results;"
            " run it again to finish (rooms already done are skipped)."
        ),
    )


# --- /undo: where it is refused, and each step it may not reverse -----------------------------


def undo_elsewhere(case: int) -> Reply:
    return (
        line(
            f"Case {case} happened in another room: undo it there. Only users named in ",
            Code("policy.commands.undo.users"),
            " may undo a case from another room.",
        ),
    )


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
    start = ("Not undone for ", _who(user), *where, ": ")
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
    return line("Not undone for ", _who(user), *where, ": ", *why)


def undo_outranked(actor: UserRef, mine: str, theirs: str) -> Line:
    return line(
        _who(actor),
        f" made this change and outranks you ({theirs} above {mine}); only users named in ",
        Code("policy.commands.undo.users"),
        " may undo a higher rank's change.",
    )


def undo_outranked_in_room(actor: UserRef) -> Line:
    return line(
        _who(actor),
        " made this change and ranks above you in that room (the platform's own order, e.g."
        " Matrix power levels); only users named in ",
        Code("policy.commands.undo.users"),
        " may undo a higher rank's change.",
    )


def undo_unchecked(user: UserRef, where: Line, err: errors.PlatformError | None) -> Line:
    why = _failure(err) if err is not None else line("no rank check is available.")
    return line(
        "Not undone for ", _who(user), *where, ": could not check your right to, so nothing was"
        " changed: ", *why,
    )  # fmt: skip


def already_undone_step(user: UserRef, where: Line, by: int) -> Line:
    return line("Already undone for ", _who(user), *where, f" by case {by}: not done again.")
