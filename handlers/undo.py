"""/undo [case]: reverse what a case changed (re-add, re-promote, re-add to the IB group).

Without a number it takes the caller's last case in this room that changed something still to
undo, within the policy's window. Each step reports its own result and the undo is a case of its
own. A step is reversed only where the caller could run the original command on that person in
that place now (its policy right, ownership of the room it acts in, rank), and at most once: each
change is claimed in the store before it is reversed, so two undos at once never both act. A
step that failed with its change known not to be in place (refused, or looked at and not there)
gives its claim up with its result, so a later undo can try it again; one whose outcome is unknown
keeps it. Each reversal is a change like any command's (``Effects.change``, in the room it acts
in), noted as started in the undo's journal just before it is called: a shutdown hands the undo
back, to resume holding its claims; a /cancel stops it before its next change, and the claims of
the changes it did not make are given up (not one an earlier run began: its outcome is unknown).
A resumed run goes on with the case it chose (``CaseBook.undoes``), past the window; a step it
claimed and never began that the checks now refuse gives its claim up, one it began is made again
(the platform's look settles an answer lost).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import assert_never

from bot.call import Call
from bot.case_lookup import recorded_case, refused_elsewhere
from bot.commands import Command
from bot.entitlement import CommandRule
from bot.grammar import Grammar, Rest
from bot.model import UserRef
from bot.outcome import ItemResult, Outcome, Refusal, Refused, Report, Status
from bot.replies import refusals
from bot.replies import undo as sentences
from bot.reply import Line, unmentioned
from bot.services import Halted
from bot.store import AuditRow
from bot.undo_steps import IbReadd, Readd, Repromote, StoredStep, Unreadable
from handlers.undo_reversal import Begun, Vetting, reverse


async def undo(call: Call) -> Outcome:
    inv, cases, checks = call.asked, call.cases, call.checks
    book, journal = cases.book, cases.journal
    given = (inv.parsed.rest or "").strip().lstrip("#")
    if given and not given.isdigit():
        return Refused(
            Refusal.MALFORMED,
            refusals.malformed(f"“{given}” is not a case number.", None, COMMAND.usage),
        )
    undoable = [c.name for c in checks.registry if c.undoable]  # each says so (Command.undo_steps)
    minutes = checks.policy.undo_window_minutes
    window = timedelta(minutes=minutes)
    # A run handed back (a shutdown, a crash) goes on with the case it chose, past the window:
    # its claims are on that case's changes, and it may have made some.
    resumed = await book.undoes(cases.case_id)
    if resumed is not None:
        number: int | None = resumed
    elif given:
        number = int(given)
    else:
        since = (datetime.now(UTC) - window).isoformat(timespec="milliseconds")
        number = await book.last_undoable(inv.platform, inv.room.id, inv.caller.id, undoable, since)
    if number is None:
        return Refused(Refusal.MALFORMED, sentences.nothing_to_undo(minutes))
    row = await recorded_case(call.cases, number)
    if isinstance(row, Refused):
        return row
    if row.room != inv.room.id:
        elsewhere = sentences.undo_elsewhere(number)
        if (refused := await refused_elsewhere(call.checks, COMMAND.name, elsewhere)) is not None:
            return refused
    if row.command not in undoable:
        itself = row.command == COMMAND.name
        return Refused(Refusal.MALFORMED, sentences.not_undoable(number, row.command, itself))
    if not row.finished_at:  # still running, or its reply is out and its close on the way
        return Refused(Refusal.MALFORMED, sentences.undo_not_finished(number))
    late = datetime.now(UTC) - datetime.fromisoformat(row.finished_at) > window
    if late and resumed is None:
        return Refused(Refusal.MALFORMED, sentences.undo_too_late(number, minutes))
    steps = await book.undoable(number)
    if not steps:
        return Refused(Refusal.MALFORMED, sentences.nothing_changed(number))
    # Changes another undo has claimed (given up only by an undo that failed to reverse them).
    claims = await book.undo_claims(number)
    others = {t: by for t, by in claims.items() if by != cases.case_id}
    mine = {t for t, by in claims.items() if by == cases.case_id}  # an earlier run's
    if all(target.id in others for target, _ in steps):
        return Refused(Refusal.MALFORMED, sentences.already_undone(number, min(others.values())))
    await book.mark_undoes(cases.case_id, number)
    vettings: dict[str, Vetting] = {}
    settled: dict[int, ItemResult] = {}
    allowed: list[int] = []
    begun: set[int] = set()  # an earlier run's change, in flight when it stopped: made again
    for n, (target, how) in enumerate(steps):
        prev = await journal.previous(target)  # a run cut off earlier settled it
        if prev is not None:
            settled[n] = prev
            continue
        if target.id in mine and await journal.started(target):
            begun.add(n)  # allowed when it began; its claim is kept whatever the checks say now
            allowed.append(n)
            continue
        person, where = _person(target, how), _where(how)
        there = _platform_of(call, how)
        if target.id in others:
            line = sentences.already_undone_step(person, where, others[target.id])
        elif there is None:
            line = sentences.platform_not_served(person, where, _platform_name(call, how))
        elif (why := await _vetting(vettings, there, row).why_not(person, how, where)) is not None:
            line = why
        else:
            allowed.append(n)
            continue
        settled[n] = _said_here(call, how, ItemResult(target, Status.REFUSED, line))
        await journal.record(settled[n])
        if target.id in mine:  # claimed by an earlier run, never begun: free for a later undo
            await book.release_undo(number, cases.case_id, [target.id])
    # Claimed in one transaction just before acting: of two undos at once, one gets each change.
    ids = [steps[n][0].id for n in allowed]
    holders = await book.claim_undo(number, cases.case_id, ids) if ids else {}
    for k, n in enumerate(allowed):
        target, how = steps[n]
        person = _person(target, how)
        holder = holders.get(target.id)
        release = False
        there = _platform_of(call, how)
        if holder == cases.case_id and there is not None:
            place = _vetting(vettings, there, row).place(how)
            try:
                done, release = await reverse(place, Begun(journal, target), person, how)
            except Halted as halted:  # looked for before each change: this one was not made
                if halted.reason != "cancelled":
                    raise  # a shutdown: handed back, it resumes holding its claims
                return await _cancelled(call, number, steps, settled, allowed[k:], begun)
        elif holder is not None:
            line = sentences.already_undone_step(person, _where(how), holder)
            done = ItemResult(person, Status.REFUSED, line)
        else:  # not claimed, and held by nobody: never act without a claim
            done = ItemResult(person, Status.REFUSED, sentences.undo_unchecked(person, (), None))
        settled[n] = _said_here(call, how, dataclasses.replace(done, target=target))
        await journal.record(settled[n])
        if release:  # with the failure just recorded, in one transaction
            await book.release_undo(number, cases.case_id, [target.id])
    items = [settled[n] for n in range(len(steps))]
    return Report(tuple(items), (sentences.undo_headline(number, items),))


async def _cancelled(
    call: Call,
    number: int,
    steps: list[tuple[UserRef, StoredStep]],
    settled: dict[int, ItemResult],
    unmade: list[int],
    begun: set[int],
) -> Report:
    """An undo a /cancel stopped before its next change. The claims on the changes it did not
    make are given up for a later undo, except a change an earlier run began (its outcome is
    unknown: it keeps its claim, so no undo makes it twice)."""
    journal = call.cases.journal
    for m in unmade:
        if m in begun:
            target, how = steps[m]
            line = sentences.undo_left_unknown(_person(target, how), _where(how))
            settled[m] = _said_here(call, how, ItemResult(target, Status.FAILED, line))
            await journal.record(settled[m])
    free = [steps[m][0].id for m in unmade if m not in begun]
    # With the results just recorded, in one transaction.
    await call.cases.book.release_undo(number, call.cases.case_id, free)
    items = [settled[m] for m in sorted(settled)]
    # The changes made, by this run or one before it (a refusal settled before any change is
    # not one), out of those it was to make.
    done = [i for m, i in settled.items() if m not in unmade and i.status is not Status.REFUSED]
    headline = sentences.undo_cancelled(number, done, len(done) + len(unmade), bool(free))
    return Report(tuple(items), (headline,))


def _platform_of(call: Call, how: StoredStep) -> Call | None:
    """Where a step acts: ``call``'s platform, or for a step of another platform (an
    all-platform offboarding) the services on that platform, if this app serves it (None: it
    does not)."""
    name = how.platform if isinstance(how, Readd) else None
    if name is None or name == call.room.platform.name:
        return call
    reach = call.checks.reach
    platform = reach.platforms.get(name) if reach is not None else None
    if platform is None:
        return None
    return call.on_platform(platform)


def _said_here(call: Call, how: StoredStep, item: ItemResult) -> ItemResult:
    """A step of another platform's, its person named in text: no mention of them here."""
    if _platform_name(call, how) == call.room.platform.name:
        return item
    return dataclasses.replace(item, line=unmentioned((item.line,))[0])


def _platform_name(call: Call, how: StoredStep) -> str:
    return how.platform if isinstance(how, Readd) and how.platform else call.room.platform.name


def _vetting(found: dict[str, Vetting], there: Call, row: AuditRow) -> Vetting:
    """One ``Vetting`` per platform the case acted on."""
    name = there.room.platform.name
    if name not in found:
        found[name] = Vetting(there, row)
    return found[name]


def _person(target: UserRef, how: StoredStep) -> UserRef:
    """Whom a step is for: an offboarding acted in many rooms, so each step names its room and
    its person (its journal id is scoped by the room)."""
    match how:
        case Readd(user=str(user)) | IbReadd(user=str(user)):
            return UserRef(user, target.display)
        case Readd() | IbReadd() | Repromote() | Unreadable():
            return target
        case _:
            assert_never(how)


def _where(how: StoredStep) -> Line:
    match how:
        case IbReadd(group=group):
            return sentences.undo_place(group=group)
        case Readd(name=str(name)):
            return sentences.undo_place(room=name)
        case Readd() | Repromote() | Unreadable():
            return sentences.undo_place()  # the case's own room
        case _:
            assert_never(how)


COMMAND = Command(
    name="undo",
    summary="reverse your last change in this room, or the case you name",
    grammar=Grammar((Rest("case"),)),
    run=undo,
    rule=CommandRule(room_owners=True),
    needs_room=True,
)
