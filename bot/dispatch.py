"""The pipeline from a received message to a reply.

``submit`` runs inside the platform's event callback: it only recognises a command, records it
durably and wakes the room's worker, so the callback returns fast. Each room has its own worker
task, so a slow command in one room never delays another room. A worker runs the fixed steps:
parse -> static entitlement -> room state -> live owner check -> targets -> handler -> reply ->
finish, and never raises into an adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import math
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import NamedTuple

import structlog

from bot import replies, schedule
from bot.commands import Command, Context, HaltCheck, Halted, Handler, Registry
from bot.entitlement import (
    OWNER_RANK,
    Decision,
    Known,
    Policy,
    Resolved,
    Verdict,
    decide,
    decide_resolved,
    decide_static,
    is_email,
    is_named,
    may_act_on,
    owners_may_act_on_owners,
    rank_of,
)
from bot.errors import Forbidden, PlatformError
from bot.grammar import EmailTarget, Parsed, ParseError
from bot.lookups import Lookups
from bot.model import Invocation, MentionToken, Token, UserRef, Word
from bot.outcome import (
    Awaiting,
    Crashed,
    ItemResult,
    Outcome,
    OutcomeKind,
    Plan,
    Refusal,
    Refused,
    Report,
    Scheduled,
    Status,
    kind_of,
)
from bot.pacing import JITTER_MARGIN, Clock, PaceRule, RoomPacing, Sleep, paced_seconds
from bot.platform import (
    ExplainsEmailAccess,
    Platform,
    PublishesChangeRate,
    SupportsDirectMessage,
    SupportsExternalMembers,
    SupportsRank,
    SupportsUserLookup,
)
from bot.progress import Progress
from bot.reply import Line, Reply, plain, with_prefix
from bot.settings import BulkSettings, NotifySettings
from bot.store import Job, Store

log = structlog.get_logger(__name__)

CANCEL_POLL_SECONDS = 1.0
"""How often a long command looks for a /cancel (which may come through another instance)."""
CLOSE_RETRY_SECONDS = 5.0
"""How often closing an answered case is tried again while the store stays unavailable."""

FILTERS = ("external", "all-except-owners")
"""Flags that choose targets from the room's member list (``/kick --external``)."""

RESOLVE_AGAIN_SECONDS = 300.0
"""How long a policy list's e-mail entries stay resolved before they are looked up again (a
permission granted or taken away, an account created)."""


class Handoff(NamedTuple):
    """A job claimed with its command's record, for the worker started for it."""

    job: Job
    lookups: Lookups | None


class Understood(NamedTuple):
    """A recorded command as its text tells it: which command, its arguments, when to run."""

    command: Command
    name: str
    parsed: Parsed
    runs_at: datetime | None


def _hand_over(
    handoff: asyncio.Future[Handoff | None],
    ahead: Lookups | None,
    recording: asyncio.Future[tuple[int | None, Job | None]],
) -> None:
    """Give the worker started for a command the job claimed with its record: with the
    lookups begun for it if it is that command's job (an older job of the lane may come
    first); None if nothing was claimed or the record failed (the worker claims for itself)."""
    handed = None
    if not recording.cancelled() and recording.exception() is None:
        job_id, job = recording.result()
        if job is not None:
            handed = Handoff(job, ahead if job.id == job_id else None)
    if ahead is not None and (handed is None or handed.lookups is None):
        ahead.drop()
    if not handoff.done():
        handoff.set_result(handed)


def split_command(
    tokens: Sequence[Token], bot: UserRef, prefixes: Sequence[str] = ("/",)
) -> tuple[bool, str, list[Token]] | None:
    """(addressed to the bot, command name, argument tokens), or None if no command."""
    rest = list(tokens)
    addressed = False
    if rest and isinstance(rest[0], MentionToken) and rest[0].user.id == bot.id:
        addressed = True
        rest = rest[1:]
    if not rest or not isinstance(rest[0], Word):
        return None
    word = rest[0].text
    prefix = next((p for p in prefixes if word.startswith(p)), None)
    if prefix is not None:
        name = word[len(prefix) :]
    elif addressed:
        name = word
    else:
        return None
    if not name:
        return None
    return addressed, name.lower(), rest[1:]


SUGGEST_CUTOFF = 0.6
"""How like a command a word addressed to the bot must be for the answer to suggest it
(``difflib`` ratio: ``/kik`` -> ``/kick`` 0.86, ``/hlep`` -> ``/help`` 0.75)."""
TYPO_CUTOFF = 0.75
"""How like one of kickbot's commands an unaddressed ``/word`` must be to count as a typo of it
and be answered (one swapped or missing letter of a short command; ``/mute``, ``/hello``,
``/kickban`` or ``/shrug`` are someone else's and stay unanswered)."""
LONGEST_COMMAND_WORD = 40
"""A longer word is never taken for a command (nor compared with each)."""


def nearest_command(name: str, known: Sequence[str], cutoff: float = SUGGEST_CUTOFF) -> str | None:
    """The command ``name`` was most likely meant to be, if any is close enough."""
    if len(name) > LONGEST_COMMAND_WORD:
        return None
    close = difflib.get_close_matches(name, known, n=1, cutoff=cutoff)
    return close[0] if close else None


def available_commands(registry: Registry, platform: Platform) -> list[str]:
    """The names of the commands that can run on ``platform``."""
    return [
        c.name
        for c in registry
        if (c.requires is None or isinstance(platform, c.requires))
        and c.requires not in platform.unsupported
    ]


class Dispatcher:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        policy: Policy,
        *,
        mention_required: bool = False,
        lease_seconds: float = 300.0,
        notify: NotifySettings | None = None,
        bulk: BulkSettings | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Clock = time.monotonic,
    ):
        self._store = store
        self._registry = registry
        self._policy = policy
        self._mention_required = mention_required
        self._lease = lease_seconds
        self._notify = notify or NotifySettings()
        self._bulk = bulk or BulkSettings()
        self._monotonic = monotonic
        self._pacing = RoomPacing(
            self._bulk.jumbo_members,
            self._bulk.jumbo_interval_seconds,
            rules=[
                PaceRule(r.platform, r.above_members, r.interval_seconds) for r in self._bulk.paces
            ],
            sleep=sleep,
            monotonic=monotonic,
        )
        self._stopping = False
        self._tz = schedule.zone(self._bulk.timezone)
        self._instance = uuid.uuid4().hex[:12]
        self._platforms: dict[str, Platform] = {}
        self._workers: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._pending: set[tuple[str, str, str]] = set()
        self._resolutions: dict[tuple[str, str], tuple[float, Resolved]] = {}
        self.on_finished: list[Callable[[int, Outcome], None]] = []
        """Called with (case id, outcome) after each command's reply (tests, the demo)."""
        self.on_ignored: list[Callable[[Invocation], None]] = []
        """Called with each message that reached kickbot and is not for it (the demo)."""

    def attach(self, platform: Platform) -> None:
        self._platforms[platform.name] = platform

    def _ignored(self, inv: Invocation) -> None:
        """A message that is not for kickbot: nothing recorded, nothing said."""
        for callback in self.on_ignored:
            callback(inv)

    def _typo(self, name: str, platform: Platform) -> bool:
        """Whether an unaddressed ``/name`` is most likely a mistyped command of kickbot's."""
        known = available_commands(self._registry, platform)
        return nearest_command(name, known, TYPO_CUTOFF) is not None

    # --- inside the event callback: record and return ------------------------------------------

    async def submit(self, inv: Invocation) -> None:
        platform = self._platforms[inv.platform]
        found = split_command(inv.tokens, platform.bot_user, platform.command_prefixes)
        if found is None:
            return self._ignored(inv)
        addressed, name, _ = found
        addressed = addressed or inv.direct
        if self._mention_required and not addressed:
            return self._ignored(inv)
        if self._registry.get(name) is None and not addressed and not self._typo(name, platform):
            return self._ignored(inv)  # someone else's slash command, or chat
        command = self._registry.get(name)
        # Commands that change nothing (/jobs, /cancel, /confirm, /help) have their own lane,
        # so they are answered while a long job holds the room's change lane.
        lane = "control" if command is not None and not command.mutates else "change"
        key = (inv.platform, inv.room.id, lane)
        worker = self._workers.get(key)
        if self._stopping or (worker is not None and not worker.done()):
            job_id = await self._store.record(inv, name, lane=lane)  # StoreError: redeliver
            if job_id is not None:
                self.wake(*key)
        else:
            # No worker on this lane of the room: record and claim in one transaction, and
            # hand the job to a worker started now (before the await, so that a command
            # arriving meanwhile finds it and leaves the claiming to it). The command's first
            # lookups are begun now too, so they are under way while the record commits.
            ahead = self._look_ahead_safely(inv)
            handoff: asyncio.Future[Handoff | None] = asyncio.get_running_loop().create_future()
            self._start_worker(key, handoff)
            recording = self._store.record_and_claim(inv, name, lane, self._instance, self._lease)
            recording.add_done_callback(partial(_hand_over, handoff, ahead))
            # Shielded: if this callback is cancelled (a stop), the record still lands and its
            # job still reaches the worker; StoreError is raised here.
            job_id, _ = await asyncio.shield(recording)
        if job_id is None:
            log.info("duplicate event ignored", platform=inv.platform, event_id=inv.event_id)
            return
        log.info("command recorded", case=job_id, command=name, room=inv.room.id)

    # --- workers ------------------------------------------------------------------------------

    def wake(self, platform: str, room: str, lane: str = "change") -> None:
        if self._stopping:  # e.g. a scheduled job's timer firing after shutdown began
            return
        key = (platform, room, lane)
        # Marked before the check: a worker that just found no job looks at the mark before
        # it exits (no await in between), so a job recorded meanwhile is never stranded.
        self._pending.add(key)
        task = self._workers.get(key)
        if task is None or task.done():
            self._start_worker(key)

    def _start_worker(
        self, key: tuple[str, str, str], handoff: asyncio.Future[Handoff | None] | None = None
    ) -> None:
        _, room, lane = key
        self._workers[key] = asyncio.create_task(self._work(key, handoff), name=f"{lane}:{room}")

    async def resume(self) -> None:
        """Pick up jobs left queued (or abandoned by a dead instance) in the store, and close
        plans whose confirmation time has run out."""
        expired = await self._store.expire_confirmations(plain(replies.plan_expired()))
        if expired:
            log.info("plans expired unconfirmed", cases=expired)
        for platform, room, lane in await self._store.runnable_rooms():
            if platform in self._platforms and lane != "cli":
                self.wake(platform, room, lane)

    async def sweep(self) -> None:
        """Forever: pick up jobs whose instance died (their lease ran out) and scheduled jobs
        that fell due (``--at``)."""
        while True:
            wait = self._lease / 2
            try:
                due = await self._store.next_due()
            except Exception:  # the store is unavailable: look again later
                log.exception("could not look for due jobs")
                due = None
            if due is not None:
                wait = max(0.0, min(wait, due - time.time()))
            await asyncio.sleep(wait)
            try:
                await self.resume()
            except Exception:
                log.exception("could not resume jobs; trying again later")

    async def drain(self) -> None:
        """Wait for every worker to run out of jobs."""
        while tasks := [t for t in self._workers.values() if not t.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    def pause(self) -> None:
        """Shutting down: take no new job, and stop running ones after the call in flight.
        A stopped job goes back to the queue with its journal, so the next start (or another
        instance) resumes it where it stopped."""
        self._stopping = True

    async def cancel(self) -> None:
        for task in self._workers.values():
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def _work(
        self, key: tuple[str, str, str], handoff: asyncio.Future[Handoff | None] | None = None
    ) -> None:
        """Run the lane's jobs in the room one after another, until none is left. ``handoff``:
        the first job, claimed when its command was recorded (None: nothing claimed then)."""
        platform_name, room, lane = key
        try:
            # Shielded: the recording side resolves it whatever happens to this worker.
            handed = await asyncio.shield(handoff) if handoff is not None else None
        except asyncio.CancelledError:
            # Stopped while the command is being recorded (its lookups may be under way
            # already): once it is, its job goes back to the queue, for the next start to run
            # at once rather than when its lease runs out.
            assert handoff is not None
            await self._hand_back(await handoff)
            raise
        if handed is not None and self._stopping:
            await self._hand_back(handed)  # shutting down: back to the queue
            return
        given, ahead = (handed.job, handed.lookups) if handed is not None else (None, None)
        while not self._stopping:
            self._pending.discard(key)
            try:
                job = given or await self._store.claim(
                    platform_name, room, self._instance, self._lease, lane
                )
            except Exception as exc:
                if not self._store.database.is_transient(exc):
                    raise
                # The store is unavailable: the sweep wakes this room again later.
                log.warning("could not claim a job", room=room, lane=lane, error=str(exc))
                return
            given = None
            if job is None:
                if key in self._pending:
                    continue
                return
            renew = asyncio.create_task(self._renew(job.id))
            try:
                await self._run(job, self._platforms[platform_name], ahead)
                if lane == "control":  # a /confirm may have queued a change job again
                    self.wake(platform_name, room, "change")
            except asyncio.CancelledError:
                # Stopping: hand the job back so the next start (or another instance) runs it;
                # its journal makes that run skip targets already done.
                await asyncio.shield(self._store.release(job.id))
                raise
            finally:
                ahead = None
                renew.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renew

    async def _hand_back(self, handed: Handoff | None) -> None:
        if handed is not None:
            if handed.lookups is not None:
                handed.lookups.drop()
            await self._store.release(handed.job.id)

    async def _renew(self, job_id: int) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await self._store.renew(job_id, self._lease)
            except Exception as exc:  # a store unavailable for long: the next renewal may do
                log.warning("could not renew a job's lease", case=job_id, error=str(exc))

    async def _run(self, job: Job, platform: Platform, ahead: Lookups | None = None) -> None:
        inv = job.invocation
        bound = log.bind(case=job.id, command=job.command, room=inv.room.id)
        try:
            outcome = await self.execute(job, platform, ahead)
        except Halted:
            await self._store.release(job.id)
            bound.info("command paused for shutdown; it resumes on the next start")
            with contextlib.suppress(PlatformError):
                await self._reply(platform, inv, replies.paused(inv.caller, job.command, job.id))
            return
        except Exception as exc:
            if self._store.database.is_transient(exc):
                # The store stayed unavailable past its retries: no crash reply. The job goes
                # back to the queue (its journal keeps what was done), to be resumed and
                # answered once when the store is back.
                bound.warning("the store failed mid-command; it resumes", error=str(exc))
                await self._set_aside(job)
                return
            bound.exception("command crashed")
            outcome = Crashed(job.id)
        reply = replies.render(outcome, inv.caller, job.command, job.id)
        if isinstance(outcome, Scheduled):
            await self._store.defer(job.id, outcome.at.timestamp())
            delay = max(0.0, outcome.at.timestamp() - time.time())
            asyncio.get_running_loop().call_later(
                delay, self.wake, inv.platform, inv.room.id, "change"
            )
            bound.info("command scheduled", at=outcome.at.isoformat())
        wait = outcome.awaiting if isinstance(outcome, Plan) else None
        if wait is not None:
            # Durable before it is shown: a /confirm can only follow a stored plan.
            await self._store.await_confirmation(
                job.id, wait.changes, wait.estimate_seconds, wait.within_minutes * 60
            )
        try:
            await self._reply(platform, inv, reply)
        except PlatformError as err:
            bound.error("reply failed", error=str(err), status=err.status)
        if wait is not None:
            bound.info("command awaits confirmation")
            return
        if isinstance(outcome, Scheduled):
            return
        await self._close(job.id, kind_of(outcome), plain(reply))
        bound.info("command finished", outcome=type(outcome).__name__)
        for callback in self.on_finished:
            callback(job.id, outcome)

    async def _set_aside(self, job: Job) -> None:
        """Queue a job again after the store failed it; once the store answers, this worker
        claims it again at once (else an expired lease lets a sweep resume it)."""
        try:
            await self._store.release(job.id)
        except Exception as exc:
            log.warning("could not queue the job again", case=job.id, error=str(exc))

    async def _close(self, job_id: int, outcome: OutcomeKind, reply: str) -> None:
        """Close a case whose reply is out. While the store is unavailable, closing is tried
        again here: left open, the case would be resumed and answered a second time."""
        while True:
            try:
                await self._store.finish(job_id, outcome, reply)
                return
            except Exception as exc:
                if self._stopping or not self._store.database.is_transient(exc):
                    raise
                log.warning("could not close an answered case yet", case=job_id, error=str(exc))
                await asyncio.sleep(CLOSE_RETRY_SECONDS)

    @staticmethod
    async def _reply(platform: Platform, inv: Invocation, reply: Reply) -> None:
        await platform.reply(inv, with_prefix(reply, platform.command_prefixes[0]))

    # --- the steps ----------------------------------------------------------------------------

    def _understood(self, inv: Invocation, platform: Platform) -> Understood | Refused:
        """The command, its arguments and its time: what can be told from the text alone."""
        found = split_command(inv.tokens, platform.bot_user, platform.command_prefixes)
        assert found is not None, "only commands are recorded"
        _, name, args = found
        command = self._registry.get(name)
        if command is None:
            known = available_commands(self._registry, platform)
            return Refused(
                Refusal.MALFORMED, replies.unknown_command(name, nearest_command(name, known))
            )
        try:
            parsed = command.grammar.parse(args)
        except ParseError as err:
            return Refused(
                Refusal.MALFORMED,
                replies.malformed(err.problem, err.hint, command.usage, command.options),
            )
        runs_at: datetime | None = None
        if (at_text := parsed.value("at")) is not None:
            asked = inv.received_at  # fixed, so a re-run after a restart finds the same time
            try:
                runs_at = schedule.parse_at(at_text, asked, self._tz)
            except schedule.BadTime:
                return Refused(Refusal.MALFORMED, replies.bad_time(at_text, self._bulk.timezone))
            if runs_at <= asked:
                return Refused(Refusal.MALFORMED, replies.time_passed(runs_at))
        return Understood(command, name, parsed, runs_at)

    def _let_through(
        self, asked: Understood, inv: Invocation, platform: Platform
    ) -> Refused | Decision:
        """The static policy's decision, from who is asking alone (no platform call)."""
        command, name = asked.command, asked.name
        if command.requires is not None and not isinstance(platform, command.requires):
            why = platform.unsupported.get(command.requires)
            return Refused(Refusal.UNSUPPORTED, replies.unsupported(name, platform.name, why))
        static = decide_static(self._policy, name, inv.caller)
        if static.verdict is Verdict.NOT_NAMED and self._may_be_named(name, inv.caller):
            return static  # decided once the e-mail entries are resolved (``_decide``)
        if static.verdict in (Verdict.DENIED_LISTED, Verdict.NOT_NAMED):
            return Refused(Refusal.NOT_ENTITLED, replies.not_entitled(name, static))
        return static

    def _may_be_named(self, command: str, caller: UserRef) -> bool:
        """Whether the command's rule has e-mail entries the caller may be, though the
        platform did not show their e-mail address (only its user records can tell)."""
        return not caller.email and any(is_email(u) for u in self._policy.rule(command).users)

    async def _decide(self, platform: Platform, command: str, caller: UserRef) -> Decision:
        """The static decision with ``deny`` and the command's ``users`` resolved against the
        platform's users (read-only look-ups, only when the caller's e-mail address is not
        shown and the lists have e-mail entries)."""
        rule = self._policy.rule(command)
        deny = await self._resolve(platform, "deny", self._policy.deny, caller)
        users = await self._resolve(platform, "commands." + command, rule.users, caller)
        return decide_resolved(self._policy, command, caller, deny, users)

    async def _resolve(
        self,
        platform: Platform,
        key: str,
        entries: Sequence[str],
        user: UserRef | None = None,
    ) -> Resolved:
        """``entries`` as ``platform`` knows them: e-mail entries resolved to its user ids
        (kept ``RESOLVE_AGAIN_SECONDS``). An address not found stays "unresolved" (it may be
        someone the platform does not show) unless the platform's look-up is conclusive. With
        ``user`` whose e-mail address is shown, nothing is looked up: comparing it is enough.
        A platform that refuses the look-up (a missing permission) resolves nothing, and is
        asked again next time."""
        emails = sorted({e.lower() for e in entries if is_email(e)})
        if not emails or (user is not None and user.email):
            return Resolved(tuple(entries))
        now = self._monotonic()
        cached = self._resolutions.get((platform.name, key))
        if cached is not None and cached[1].entries == tuple(entries):
            at, known = cached
            if now - at < RESOLVE_AGAIN_SECONDS:
                return known
        try:
            found = await platform.find_users_by_email(emails)
        except Forbidden as err:
            log.warning("the platform refused an e-mail look-up", key=key, error=err.detail)
            return Resolved(tuple(entries), frozenset(), frozenset(emails))
        conclusive = (
            platform.email_lookup_conclusive if isinstance(platform, ExplainsEmailAccess) else True
        )
        resolved = Resolved(
            tuple(entries),
            frozenset(u.id for u in found.values()),
            frozenset() if conclusive else frozenset(e for e in emails if e not in found),
        )
        self._resolutions[(platform.name, key)] = (now, resolved)
        return resolved

    def _look_ahead_safely(self, inv: Invocation) -> Lookups | None:
        """``_look_ahead``, whose failure must never keep a command from being recorded (the
        worker looks again, and reports a failure in the thread)."""
        try:
            return self._look_ahead(inv)
        except Exception:
            log.exception("could not look ahead", event_id=inv.event_id)
            return None

    def _look_ahead(self, inv: Invocation) -> Lookups | None:
        """The lookups a command will begin with, begun now (while it is being recorded), if
        the static policy lets its caller through; None if there is nothing to look up."""
        platform = self._platforms[inv.platform]
        asked = self._understood(inv, platform)
        if isinstance(asked, Refused) or not asked.command.needs_room:
            return None
        if isinstance(self._let_through(asked, inv, platform), Refused):
            return None
        return Lookups.begin(platform, inv.room, members=asked.command.uses_members)

    async def execute(self, job: Job, platform: Platform, ahead: Lookups | None = None) -> Outcome:
        """Run the job's command. ``ahead``: its lookups, begun while it was recorded."""
        with contextlib.ExitStack() as unused:  # lookups left unused are stopped at the end
            if ahead is not None:
                unused.callback(ahead.drop)
            return await self._execute(job, platform, ahead, unused)

    async def _execute(
        self, job: Job, platform: Platform, ahead: Lookups | None, unused: contextlib.ExitStack
    ) -> Outcome:
        inv = job.invocation
        asked = self._understood(inv, platform)
        if isinstance(asked, Refused):
            return asked
        command, name, parsed, runs_at = asked
        if parsed.rest:
            await self._store.note_reason(job.id, parsed.rest)
        static = self._let_through(asked, inv, platform)
        if isinstance(static, Refused):
            return static
        try:
            static = await self._decide(platform, name, inv.caller)
        except PlatformError as err:
            return Refused(Refusal.PLATFORM, replies.lookup_failed(err))
        if static.verdict is Verdict.IDENTITY_UNKNOWN:
            return Refused(Refusal.NOT_ENTITLED, self._identity_unknown(platform, name, static))
        if static.verdict in (Verdict.DENIED_LISTED, Verdict.NOT_NAMED):
            return Refused(Refusal.NOT_ENTITLED, replies.not_entitled(name, static))
        # Read-only lookups from here on; state changes only inside the handler.
        journal = self._store.journal(job.id, job.settled)
        lookups = ahead
        if lookups is None and command.needs_room:
            lookups = Lookups.begin(platform, inv.room, members=command.uses_members)
            unused.callback(lookups.drop)
        try:
            room = await lookups.room if lookups is not None and lookups.room else None
            if room is not None and not room.active:
                return Refused(Refusal.ROOM_DEACTIVATED, replies.room_deactivated())
            members = await lookups.member_map() if lookups is not None else None
            ctx = Context(
                platform, inv, room, parsed, (), journal, self._policy, self._registry,
                self._store, job.id, dry_run="dry-run" in parsed.flags, pacing=self._pacing,
                _members=members,
            )  # fmt: skip
            ctx.reversal = partial(self._may_reverse, name)
            if command.mutates and room is not None:  # the caller's right, the targets' ranks
                named = (t for t in parsed.targets if isinstance(t, UserRef))
                ctx.look_up_owners((inv.caller, *named))
            if static.verdict is Verdict.NEEDS_ROOM_OWNER:
                final = decide(self._policy, name, inv.caller, await ctx.caller_is_owner())
                if not final.allowed and static.via:  # maybe named, and not an owner
                    unknown = Decision(Verdict.IDENTITY_UNKNOWN, static.via)
                    return Refused(
                        Refusal.NOT_ENTITLED, self._identity_unknown(platform, name, unknown)
                    )
                if not final.allowed:
                    return Refused(Refusal.NOT_ENTITLED, replies.not_entitled(name, final))
            given = await self._named_by_platform(platform, parsed.targets)
            filters = [f for f in FILTERS if f in parsed.flags]
            if filters:
                if "external" in filters and not isinstance(platform, SupportsExternalMembers):
                    cannot = replies.filter_unsupported("external", platform.name)
                    return Refused(Refusal.UNSUPPORTED, cannot)
                chosen = await self._filtered(ctx, filters)
                if not chosen and not given:
                    return Refused(Refusal.MALFORMED, replies.filter_matched_nobody(filters))
                given += chosen
            targets, early = await self._targets(platform, given)
        except PlatformError as err:
            return Refused(Refusal.PLATFORM, replies.lookup_failed(err))
        if command.refuses_caller:
            early += _yourself(name, inv.caller, targets, early)
        if command.mutates and targets:
            on_owners = owners_may_act_on_owners(self._policy, name, command.owners_act_on_owners)
            try:
                early += await self._outranked(
                    ctx, platform, targets, early, owners_on_owners=on_owners
                )
            except PlatformError as err:  # the caller's own rank is unknown: act on nobody
                return Refused(Refusal.PLATFORM, replies.lookup_failed(err))
        await journal.record_all(early)
        ctx.targets = tuple(t for t in targets if t.id not in {i.target.id for i in early})
        order = {t.id: n for n, t in enumerate(targets)}

        def merged(items: Sequence[ItemResult]) -> tuple[ItemResult, ...]:
            return tuple(sorted((*early, *items), key=lambda i: order.get(i.target.id, 0)))

        try:
            if ctx.dry_run:
                outcome = await command.run(ctx)
                return Plan(merged(outcome.items)) if isinstance(outcome, Report) else outcome
            big = command.mutates and (
                len(ctx.targets) > self._bulk.confirm_above
                or command.fans_out
                or bool(filters)
                or (bool(ctx.targets) and await ctx.pace_interval() > 0)  # a jumbo room
            )
            if big and not await self._store.is_confirmed(job.id):
                plan = await self._plan(
                    ctx,
                    command.run,
                    job.id,
                    always=bool(filters),
                    runs_at=runs_at,
                    fans_out=command.fans_out,
                )
                if isinstance(plan, Plan):
                    return Plan(merged(plan.items), plan.awaiting)
                if plan is not None:
                    return plan
            if runs_at is not None and runs_at.timestamp() > time.time():
                return Scheduled(runs_at, len(ctx.targets))
            if big:
                ctx.progress = self._progress(job, platform, len(ctx.targets))
            ctx.halt = self._halt_check(job, big)
            if big:
                await self._store.note_total(job.id, len(ctx.targets))
        except PlatformError as err:  # a read in the rehearsal, or the room's size
            return Refused(Refusal.PLATFORM, replies.lookup_failed(err))
        outcome = await command.run(ctx)
        if ctx.cancelled and isinstance(outcome, Report):
            settled = [i for i in outcome.items if i.status is not Status.PLANNED]
            headline = (replies.stopped_by_cancel(settled, len(ctx.targets)),)
            outcome = Report(outcome.items, headline, outcome.notes)
        if command.notifies_removed and isinstance(outcome, Report) and self._notify.removed_users:
            outcome = await self._send_notices(ctx, outcome)
        if early and isinstance(outcome, Report):
            return Report(merged(outcome.items), outcome.headline, outcome.notes)
        return outcome

    async def _plan(
        self,
        ctx: Context,
        run: Handler,
        case: int,
        *,
        always: bool = False,
        runs_at: datetime | None = None,
        fans_out: bool = False,
    ) -> Outcome | None:
        """Rehearse the command; a plan changing more than ``confirm_above`` targets, any
        change in a jumbo room, or any change to people chosen by a filter (``always``) is held
        for confirmation (returned); otherwise the command runs now (None)."""
        outcome = await run(ctx.rehearsal())
        if not isinstance(outcome, Report):
            return outcome  # refused as a whole: the real run would be too
        changes = sum(1 for i in outcome.items if i.status is Status.PLANNED)
        interval = await ctx.pace_interval()
        if changes > self._bulk.confirm_above:
            why = "limit"
        elif changes and interval > 0:
            why = "jumbo"
        elif changes and always:
            why = "filter"
        else:
            return None
        members = len(await ctx.members()) if ctx.room is not None else None
        published = (
            ctx.platform.change_interval_seconds
            if isinstance(ctx.platform, PublishesChangeRate)
            else 0.0
        )
        awaiting = Awaiting(
            case,
            changes,
            self._bulk.confirm_above,
            self._bulk.confirm_within_minutes,
            # the room's own pace is kept with the pacer's jitter margin (bot/pacing.py)
            paced_seconds(changes, max(interval * (1 + JITTER_MARGIN), published)),
            interval,
            members,
            published if published > interval else 0.0,
            ctx.platform.name,
            why,
            self._working_hours(runs_at) if interval > 0 else None,
            runs_at,
            changes if fans_out else 1,
        )
        return Plan(outcome.items, awaiting)

    def _working_hours(self, runs_at: datetime | None) -> str | None:
        """The configured working hours, if the job would run within them."""
        b = self._bulk
        moment = runs_at or datetime.now(UTC)
        if schedule.in_working_hours(moment, b.working_hours, b.working_days, self._tz):
            return f"{b.working_hours} {b.working_days}, {b.timezone}"
        return None

    def _halt_check(self, job: Job, long: bool) -> HaltCheck:
        """A shutdown stops any command between targets; a /cancel is looked for (in the store,
        where another instance may have put it) only by long commands."""

        looked = -math.inf

        async def halt() -> str | None:
            nonlocal looked
            if self._stopping:
                return "stopping"
            if self._store.cancelled_here(job.id):
                return "cancelled"
            # At most once a second: a jumbo job's every target would otherwise add a store
            # round trip, queued ahead of other rooms' commands.
            if long and self._monotonic() - looked >= CANCEL_POLL_SECONDS:
                looked = self._monotonic()
                if await self._store.cancel_requested(job.id):
                    return "cancelled"
            return None

        return halt

    def _progress(self, job: Job, platform: Platform, total: int) -> Progress:
        inv = job.invocation

        async def post(items: Sequence[ItemResult], total: int, left: float | None) -> None:
            reply = replies.progress(inv.caller, job.command, job.id, items, total, left)
            try:
                await self._reply(platform, inv, reply)
            except PlatformError as err:
                log.warning("progress report failed", case=job.id, error=str(err))

        return Progress(
            total,
            post,
            every_percent=self._bulk.progress_every_percent,
            every_seconds=self._bulk.progress_every_seconds,
            monotonic=self._monotonic,
        )

    async def _filtered(self, ctx: Context, filters: Sequence[str]) -> list[UserRef]:
        """The room's members a filter flag chooses (never the bot or the caller), in the
        member list's order."""
        members = await ctx.members()
        skip = {ctx.platform.bot_user.id, ctx.invocation.caller.id}
        chosen = [m for m in members.values() if m.user.id not in skip]
        if "all-except-owners" in filters:
            chosen = [m for m in chosen if not m.is_owner]
        if "external" in filters and isinstance(ctx.platform, SupportsExternalMembers):
            external = await ctx.platform.external_members(ctx.invocation.room)
            chosen = [m for m in chosen if m.user.id in external]
        return [m.user for m in chosen]

    async def _targets(
        self, platform: Platform, given: Sequence[UserRef | EmailTarget]
    ) -> tuple[list[UserRef], list[ItemResult]]:
        """Resolve e-mail targets and set aside unknown and protected ones (in given order)."""
        emails = [t.email for t in given if isinstance(t, EmailTarget)]
        found = await platform.find_users_by_email(emails) if emails else {}
        protected = await self._protected(platform)
        shielded = await self._protected_resolved(platform)
        targets: list[UserRef] = []
        early: list[ItemResult] = []
        seen: set[str] = set()
        for t in given:
            if isinstance(t, EmailTarget):
                user = found.get(t.email)
                if user is None:
                    ghost = UserRef(id="email:" + t.email, email=t.email)
                    targets.append(ghost)
                    early.append(ItemResult(ghost, Status.REFUSED, replies.unknown_email(t.email)))
                    continue
            else:
                user = t
            if user.id in seen:
                continue
            seen.add(user.id)
            targets.append(user)
            if user.id in protected or is_named(self._policy.protected_entries(), user):
                early.append(ItemResult(user, Status.REFUSED, replies.protected(user)))
            elif shielded.match(user) is Known.UNKNOWN:  # may be a protected e-mail entry
                line = replies.target_identity_unknown(
                    user, "policy.protected", platform.name, _email_access(platform)
                )
                early.append(ItemResult(user, Status.REFUSED, line))
        return targets, early

    async def _named_by_platform(
        self, platform: Platform, given: Sequence[UserRef | EmailTarget]
    ) -> list[UserRef | EmailTarget]:
        """The mentioned targets as the platform records them: a mention's visible text is
        written by the sender's client ("@Frank Compliance" may carry Bob's id), so replies,
        the case and the audit trail name each target from the platform's record for its id.
        An id whose record the platform does not give keeps no name at all."""
        if not isinstance(platform, SupportsUserLookup):
            return list(given)  # its adapter names mentions from the platform already
        ids = [t.id for t in given if isinstance(t, UserRef)]
        try:
            records = await platform.users_by_id(ids) if ids else {}
        except PlatformError as err:  # named by id only; the checks ahead ask for themselves
            log.warning("could not read the mentioned users' records", error=str(err))
            records = {}
        return [
            (records.get(t.id) or UserRef(t.id)) if isinstance(t, UserRef) else t for t in given
        ]

    async def _send_notices(self, ctx: Context, report: Report) -> Report:
        """Tell each removed person why (at least once: a re-run after a crash may repeat it)."""
        platform = ctx.platform
        if not isinstance(platform, SupportsDirectMessage):
            if not any(item.status is Status.DONE for item in report.items):
                return report
            note = replies.notices_unsupported(platform.name)  # said, never silently skipped
            return Report(report.items, report.headline, (*report.notes, note))
        room = ctx.room.name if ctx.room else ctx.invocation.room.id
        notice = replies.removal_notice(
            room, ctx.invocation.caller, ctx.parsed.rest, self._notify.contact
        )
        notes = list(report.notes)
        for item in report.items:
            if item.status is Status.DONE:
                try:
                    await platform.send_direct(item.target, notice)
                except PlatformError as err:
                    log.warning("removal notice failed", user=item.target.id, error=str(err))
                    notes.append(replies.notice_failed(item.target, err))
        return Report(report.items, report.headline, tuple(notes))

    async def _outranked(
        self,
        ctx: Context,
        platform: Platform,
        targets: Sequence[UserRef],
        early: Sequence[ItemResult],
        *,
        owners_on_owners: bool | None = None,
    ) -> list[ItemResult]:
        """Refuse targets who outrank or equal the caller; a target whose rank cannot be
        established is refused too (never act on an unknown rank). ``owners_on_owners``:
        whether this command lets a room owner act on a co-owner (None: the policy's)."""
        caller = ctx.invocation.caller
        in_room = ctx.room is not None
        settled = {i.target.id for i in early}
        if in_room:
            ctx.look_up_owners(t for t in targets if t.id not in settled and t.id != caller.id)
        ranks = await self._ranks_resolved(platform)
        rank_ids = [set(r.ids) for r in ranks]
        mine = rank_of(self._policy, caller, rank_ids, in_room and await ctx.caller_is_owner())
        refused = []
        for target in targets:
            if target.id in settled or target.id == caller.id:
                continue
            try:
                owner = in_room and await ctx.is_owner(target)
                theirs = rank_of(self._policy, target, rank_ids, owner)
                # A rank above the one found that may name them by an e-mail the platform
                # does not let match: their rank is not known, so they are not touched.
                doubt = next(
                    (
                        level
                        for level, r in enumerate(ranks[: theirs.level])
                        if r.match(target) is Known.UNKNOWN
                    ),
                    None,
                )
                # Owners graded by the platform (Matrix power levels): its order decides.
                graded = (
                    isinstance(platform, SupportsRank) and mine.name == theirs.name == OWNER_RANK
                )
                below = False
                if graded and isinstance(platform, SupportsRank):
                    below = not await platform.outranks(ctx.invocation.room, caller, target)
            except PlatformError as err:
                refused.append(
                    ItemResult(target, Status.REFUSED, replies.rank_unknown(target, err))
                )
                continue
            if doubt is not None:
                line = replies.target_identity_unknown(
                    target,
                    f"policy.ranks ({self._policy.ranks[doubt].name})",
                    platform.name,
                    _email_access(platform),
                )
                refused.append(ItemResult(target, Status.REFUSED, line))
                continue
            if graded:
                if below:
                    line = replies.outranked_in_room(target)
                    refused.append(ItemResult(target, Status.REFUSED, line))
                continue
            if not may_act_on(
                self._policy, mine, theirs, in_room=in_room, owners_on_owners=owners_on_owners
            ):
                line = replies.outranked(target, mine.name, theirs.name)
                refused.append(ItemResult(target, Status.REFUSED, line))
        return refused

    async def _may_reverse(
        self, command: str, ctx: Context, actor: UserRef, target: UserRef
    ) -> Line | None:
        """Why the caller may not reverse, in ``ctx``'s room, the change ``actor`` made for
        ``target`` (None: they may). As for the original command: the caller must be able to
        act on the target now (``_outranked``); and the caller never reverses the act of
        someone who outranks them, unless ``policy.commands.undo.users`` names the caller.
        ``ctx.room`` None: not about a room (IB groups, offboarding): named ranks only.
        Raises PlatformError when a rank cannot be established."""
        platform = ctx.platform
        refused = await self._outranked(ctx, platform, [target], [])
        if refused:
            return refused[0].line
        caller = ctx.invocation.caller
        if actor.id == caller.id or is_named(self._policy.rule(command).users, caller):
            return None
        in_room = ctx.room is not None
        rank_ids = await self._rank_ids(platform)
        mine = rank_of(self._policy, caller, rank_ids, in_room and await ctx.caller_is_owner())
        theirs = rank_of(self._policy, actor, rank_ids, in_room and await ctx.is_owner(actor))
        graded = isinstance(platform, SupportsRank) and mine.name == theirs.name == OWNER_RANK
        if in_room and graded and isinstance(platform, SupportsRank):
            # Owners graded by the platform (Matrix power levels): its order decides.
            if await platform.outranks(ctx.acting_room, actor, caller):
                return replies.undo_outranked_in_room(actor)
            return None
        if theirs.level < mine.level:
            return replies.undo_outranked(actor, mine.name, theirs.name)
        return None

    async def _rank_ids(self, platform: Platform) -> list[set[str]]:
        """Per named rank, the user ids its e-mail entries resolved to on ``platform``."""
        return [set(r.ids) for r in await self._ranks_resolved(platform)]

    async def _ranks_resolved(self, platform: Platform) -> list[Resolved]:
        return [
            await self._resolve(platform, f"ranks.{level}", rule.users)
            for level, rule in enumerate(self._policy.ranks)
        ]

    async def _protected(self, platform: Platform) -> set[str]:
        """Ids that can never be targeted: the bot, and policy entries (ids or e-mails)."""
        return {platform.bot_user.id} | set((await self._protected_resolved(platform)).ids)

    async def _protected_resolved(self, platform: Platform) -> Resolved:
        entries = sorted(self._policy.protected_entries())
        return await self._resolve(platform, "protected", entries)

    def _identity_unknown(self, platform: Platform, command: str, decision: Decision) -> Reply:
        return replies.identity_unknown(
            command, decision.via, platform.name, _email_access(platform)
        )


def _yourself(
    command: str, caller: UserRef, targets: Sequence[UserRef], early: Sequence[ItemResult]
) -> list[ItemResult]:
    """The caller among a command's targets, refused before any call: a change to oneself
    that one could not undo (Slack's own API refuses it: ``cant_kick_self``)."""
    settled = {i.target.id for i in early}
    return [
        ItemResult(t, Status.REFUSED, replies.not_yourself(command, t))
        for t in targets
        if t.id == caller.id and t.id not in settled
    ]


def _email_access(platform: Platform) -> str | None:
    """What lets the bot see e-mail addresses on ``platform``, if its adapter says."""
    return platform.email_access if isinstance(platform, ExplainsEmailAccess) else None
