"""``kickbot offboard EMAIL --platform P``: the /offboard command from a terminal, for admins
(``--platform all``: on every platform the config enables, as one case).

It is a case in the bot's own store, run through the same dispatcher steps and the same handler
as the chat command, by the caller ``cli:<os user>`` (whoever can read the bot's config is an
admin, so the policy is extended to name that caller for this run only; protected users and
named ranks still apply). The plan comes first; the changes only after the operator agrees (or
``--yes``), with a progress bar; then the summary. The platform is signed in for outgoing calls
only, so a bot running on the same account keeps receiving its events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import getpass
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from bot.audit import configured_chain
from bot.commands import Registry
from bot.dispatch import Dispatcher
from bot.errors import ConfigError, KickbotError, PlatformError
from bot.everywhere import configured, naming
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef, Word
from bot.outcome import Outcome, OutcomeKind, Plan, Report, Status, kind_of
from bot.platform import InvocationSink, Platform, SupportsCallsOnly, SupportsUserRooms
from bot.replies.offboard import cli_interrupted
from bot.replies.render import render
from bot.replies.wording import platform_name
from bot.reply import Reply, plain
from bot.settings import Settings
from bot.store import Job, Store
from handlers.offboard import COMMAND as OFFBOARD
from handlers.offboard_everywhere import ALL

CLI_ROOM = "cli"
"""The room id command-line cases are recorded under (they answer on the terminal)."""


@dataclass(frozen=True, slots=True)
class OffboardRequest:
    email: str
    platform: str
    groups: tuple[str, ...] = ()
    reason: str | None = None
    dry_run: bool = False
    yes: bool = False


class Terminal(Protocol):
    """What the command needs from the terminal (click in production)."""

    def show(self, text: str) -> None: ...

    def ask(self, question: str) -> bool: ...

    def progress(self, total: int) -> contextlib.AbstractContextManager[Callable[[int], None]]:
        """A progress bar over ``total`` steps; the value is "advance by n"."""
        ...


class OffboardFailed(KickbotError):
    """The offboarding could not start (unknown person, refused, nothing configured)."""


class _OnTerminal:
    """The platform as the dispatcher sees it from a terminal: every call goes to the real
    platform, except replies, which are the job's progress reports (one per room or group
    handled: the command line asks for one after each) and advance the progress bar."""

    def __init__(self, inner: Platform, on_reply: Callable[[Reply], None]):
        self._inner = inner
        self.on_reply = on_reply
        self.name = inner.name
        self.command_prefixes = inner.command_prefixes
        self.unsupported = inner.unsupported

    @property
    def bot_user(self) -> UserRef:
        return self._inner.bot_user

    async def start(self, sink: InvocationSink) -> None:
        raise RuntimeError("the command line receives no events")

    async def stop(self) -> None:
        await self._inner.stop()

    async def close(self) -> None:
        await self._inner.close()

    async def room_info(self, room: RoomRef) -> RoomInfo:
        return await self._inner.room_info(room)

    async def members(self, room: RoomRef) -> Sequence[Member]:
        return await self._inner.members(room)

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        return await self._inner.find_users_by_email(emails)

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        return await self._inner.remove_member(room, user, reason)

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        self.on_reply(reply)

    def __getattr__(self, name: str) -> Any:
        """Capabilities (``rooms_of``, IB groups…) are the real platform's own, so capability
        checks (``isinstance(p, SupportsUserRooms)``) answer as they would for it."""
        return getattr(self._inner, name)


async def offboard(settings: Settings, request: OffboardRequest, terminal: Terminal) -> int:
    """Run the offboarding; the exit status: 0 done (or nothing to do), 1 some room or group
    failed, a platform could not be reached or the command was refused, 2 the operator said
    no. ``request.platform`` "all": on every platform the config enables, as one case."""
    everywhere = request.platform == ALL
    names = settings.enabled_platforms() if everywhere else [request.platform]
    if not names:
        raise ConfigError("no platform is configured in this file")
    from bot.platforms import build

    platforms: list[Platform] = []
    left_out = 0
    for name in names:
        section = getattr(settings, name, None)
        if section is None:
            raise ConfigError(f"{name}: not configured in this file")
        platform = build(name, section)
        if not isinstance(platform, SupportsCallsOnly) or not isinstance(
            platform, SupportsUserRooms
        ):
            unavailable = (
                f"offboarding from the command line is not available on {platform_name(name)}"
            )
            if not everywhere:
                raise ConfigError(unavailable)
            terminal.show(unavailable + ": it is left out of this run.")
            left_out += 1
            continue
        platforms.append(platform)
    store = await Store.open(
        settings.store, configured_chain(settings.audit_key, settings.audit_head_file)
    )
    connected: list[Platform] = []
    try:
        unreached = await _connect(platforms, connected, terminal, all_or_none=not everywhere)
        if not connected:
            raise OffboardFailed("no platform could be reached; nothing was changed")
        status = await _run(settings, request, connected, store, terminal)
        return max(status, 1) if (unreached or left_out) and status == 0 else status
    finally:
        for platform in connected:
            with contextlib.suppress(Exception):
                await platform.close()
        await store.close()


async def _connect(
    platforms: Sequence[Platform],
    connected: list[Platform],
    terminal: Terminal,
    *,
    all_or_none: bool,
) -> int:
    """Sign in to each platform for outgoing calls (side by side); those signed in are added
    to ``connected``. One that cannot be reached is said and left out (the number left out is
    returned), unless ``all_or_none`` (one platform: its error is the command's)."""
    tried = await asyncio.gather(
        *(cast(SupportsCallsOnly, p).connect() for p in platforms), return_exceptions=True
    )
    unreached = 0
    for platform, result in zip(platforms, tried, strict=True):
        if result is None:
            connected.append(platform)
            continue
        if all_or_none or not isinstance(result, PlatformError):
            for other in connected:
                with contextlib.suppress(Exception):
                    await other.close()
            connected.clear()
            raise result
        unreached += 1
        terminal.show(
            f"{platform_name(platform.name)}: could not sign in ({result}); it is left"
            " out of this run (run it again for it later: rooms already done are skipped)."
        )
    return unreached


async def _run(
    settings: Settings,
    request: OffboardRequest,
    platforms: Sequence[Platform],
    store: Store,
    terminal: Terminal,
) -> int:
    platform = platforms[0]  # the case is recorded under the first one's name
    if request.platform == ALL:
        shown = ", ".join(platform_name(p.name) for p in platforms)
        terminal.show(f"{request.email} on {shown}")
    else:
        found = await platform.find_users_by_email([request.email.lower()])
        person = found.get(request.email.lower())
        if person is None:
            raise OffboardFailed(f"no user has the e-mail address {request.email}")
        terminal.show(f"{person.label} <{request.email}> (user id {person.id})")
    os_user = getpass.getuser()
    caller = UserRef(f"cli:{os_user}", f"cli:{os_user}")
    from handlers import COMMANDS

    on_terminal = _OnTerminal(platform, lambda _reply: None)
    dispatcher = Dispatcher(
        store,
        Registry(COMMANDS),
        naming(settings.policy, [caller.id]),
        lease_seconds=settings.lease_seconds,
        # The operator's answer replaces /confirm; a progress report after every room or
        # group drives the progress bar.
        bulk=settings.bulk.model_copy(
            update={
                "confirm_above": 2**31,
                "progress_every_percent": 1e-9,
                "progress_every_seconds": 0.0,
            }
        ),
        **configured(settings.offboarding),
    )
    dispatcher.attach(on_terminal)
    for other in platforms[1:]:
        dispatcher.attach(other)
    inv = Invocation(
        platform=platform.name,
        event_id=f"cli:{uuid.uuid4().hex}",
        room=RoomRef(CLI_ROOM),
        caller=caller,
        tokens=_tokens(request),
    )
    instance = f"cli-{uuid.uuid4().hex[:8]}"
    lease = settings.lease_seconds
    # A command-line run that was killed left its case running with a lapsed lease: close it
    # (its journal and audit record keep what it did) so it does not block this one.
    while (dead := await store.claim(platform.name, CLI_ROOM, instance, lease, "cli")) is not None:
        await store.finish(dead.id, OutcomeKind.INTERRUPTED, plain(cli_interrupted()))
    case = await store.record(inv, OFFBOARD.name, lane="cli")  # a running bot leaves it alone
    job = await store.claim(platform.name, CLI_ROOM, instance, lease, "cli")
    if case is None or job is None or job.id != case:
        raise OffboardFailed("another command-line job is running on this store; try again")
    renew = asyncio.create_task(_renew(store, case, settings.lease_seconds))
    finished = False

    async def finish(outcome: OutcomeKind, text: str) -> None:
        nonlocal finished
        await store.finish(case, outcome, text)
        finished = True

    try:
        rehearsal = dataclasses.replace(inv, tokens=(*inv.tokens, Word("--dry-run")))
        plan = await dispatcher.execute(Job(case, OFFBOARD.name, rehearsal), on_terminal)
        text = _text(plan, caller, case)
        terminal.show(text)
        if not isinstance(plan, Plan):
            await finish(kind_of(plan), text)
            return 1
        changes = sum(1 for i in plan.items if i.status is Status.PLANNED)
        if request.dry_run or changes == 0:
            await finish(OutcomeKind.PLAN, text)
            return 0
        question = f"Make these {changes} change{'' if changes == 1 else 's'} (case {case})?"
        if not request.yes and not terminal.ask(question):
            await finish(
                OutcomeKind.DECLINED, text + "\nDeclined at the terminal: nothing was changed."
            )
            terminal.show("Nothing was changed.")
            return 2
        steps = len(plan.items)
        with terminal.progress(steps) as advance:
            handled = 0

            def step(_reply: Reply) -> None:
                nonlocal handled
                handled += 1
                advance(1)

            on_terminal.on_reply = step
            outcome = await dispatcher.execute(Job(case, OFFBOARD.name, inv), on_terminal)
            advance(max(steps - handled, 0))  # the last step reports no progress: it ends
        text = _text(outcome, caller, case)
        terminal.show(text)
        await finish(kind_of(outcome), text)
        failed = not isinstance(outcome, Report) or any(
            i.status is Status.FAILED for i in outcome.items
        )
        return 1 if failed else 0
    finally:
        renew.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renew
        if not finished:  # interrupted: close the case with what its journal holds
            with contextlib.suppress(Exception):
                await asyncio.shield(store.finish(case, OutcomeKind.INTERRUPTED, "Interrupted."))


def _tokens(request: OffboardRequest) -> tuple[Word, ...]:
    words = [Word("/" + OFFBOARD.name), Word(request.email)]
    if request.platform == ALL:
        words += [Word("--platform"), Word(ALL)]
    words += [Word(w) for w in (request.reason or "").split()]
    for group in request.groups:
        words += [Word("--ib-group"), Word(group)]
    return tuple(words)


def _text(outcome: Outcome, caller: UserRef, case: int) -> str:
    return plain(render(outcome, caller, OFFBOARD.name, case))


async def _renew(store: Store, case: int, lease: float) -> None:
    while True:
        await asyncio.sleep(lease / 3)
        await store.renew(case, lease)
