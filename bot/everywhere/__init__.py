"""Someone left: one offboarding across every platform the app serves, as one case.

The entry point for callers that are not in a chat (an identity provider's SCIM client, the
command line)::

    from bot.everywhere import Departure, start_departure

    case = await start_departure(
        app.dispatcher,
        Departure("bob@example.com", reason="left the company", requested_by="scim:okta"),
        report_to={"symphony": "<stream id>", "slack": "C0123"},  # first: where the case lives
        confirm_by=["alice@example.com"],  # () / []: act at once
    )

The case is the all-platform form of offboarding (``/offboard bob@example.com --platform all``,
``handlers/offboard_everywhere.py``), recorded durably in the room of the first ``report_to``
entry and run there like any command: the policy, protected people and ranks apply; each
platform is worked at its own pace, one down is tried again without holding the others back;
it resumes after a restart (each removal made once); its reply goes to every ``report_to``
room; ``/undo <case>`` re-adds the person everywhere. The caller ``requested_by`` must be
named in the policy's rule for offboarding: build the app's policy with ``naming`` (the
identity provider's token is its authority, as reading the config file is the command line's).

The modules here are small and import nothing from the dispatch path at import time (the
dispatcher itself reaches ``bot.everywhere.reach``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from bot.everywhere.identities import IdentityMap, load
from bot.everywhere.reach import Reach, Retry
from bot.platform import Platform, WritesRoomIds

if TYPE_CHECKING:
    from bot.dispatch import Dispatcher
    from bot.entitlement import Policy
    from bot.settings import OffboardingSettings

__all__ = [
    "Configured",
    "Departure",
    "IdentityMap",
    "Reach",
    "Retry",
    "configured",
    "load",
    "naming",
    "start_departure",
]

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_CALLER = re.compile(r"^[a-z][a-z0-9-]{0,31}:[!-~]{1,128}$")
"""``<kind>:<name>``: ``scim:okta``, ``cli:alice``; never a platform's user id."""
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Departure:
    """Who left, why, and who says so.

    ``email``: the person's address (found on each platform by it, or through the identity
    map). ``reason``: recorded in the case and shown with each removal (None: none).
    ``requested_by``: the case's caller, ``<kind>:<name>`` (``scim:okta``). ``key``: the same
    key records one case only (a retried request gets the first one's number back); None: a
    new case each time. Raises ValueError for anything else."""

    email: str
    reason: str | None
    requested_by: str
    key: str | None = None

    def __post_init__(self) -> None:
        if len(self.email) > 254 or not _EMAIL.match(self.email):
            raise ValueError("email: not an e-mail address")
        if not _CALLER.match(self.requested_by):
            raise ValueError("requested_by: expected <kind>:<name>, such as scim:okta")
        if self.reason is not None:
            if len(self.reason) > MAX_REASON:
                raise ValueError(f"reason: longer than {MAX_REASON} characters")
            words = self.reason.split()
            if any(w.startswith(("--", "\u2014")) for w in words):
                raise ValueError("reason: a word may not begin with -- (it would be an option)")
            if words and (words[0].startswith("@") or _EMAIL.match(words[0])):
                raise ValueError("reason: may not begin with a person (it would be a target)")
        if self.key is not None and not re.fullmatch(r"[!-~]{1,200}", self.key):
            raise ValueError("key: 1 to 200 printable characters without spaces")


async def start_departure(
    dispatcher: Dispatcher,
    departure: Departure,
    *,
    report_to: Mapping[str, str],
    confirm_by: Sequence[str] = (),
) -> int:
    """Start the all-platform offboarding of ``departure`` as one case; its case number.

    ``report_to``: platform name -> room id, one room per platform that gets the case's
    reply; the first entry is where the case lives (its plan, ``/confirm``, ``/cancel``,
    ``/jobs``). Each platform must be attached to ``dispatcher``. ``confirm_by``: the people
    (ids or e-mail addresses as their platform shows them) one of whom must ``/confirm`` the
    plan in that room before anything changes; empty: it acts at once. Returns once the case
    is recorded (durable); it runs on the dispatcher's workers. Raises ValueError for a room
    of a platform the dispatcher does not serve, StoreError when it cannot be recorded."""
    from bot.model import Invocation, RoomRef, UserRef, Word
    from handlers.offboard import COMMAND as OFFBOARD
    from handlers.offboard_everywhere import ALL

    if not report_to:
        raise ValueError("report_to: name at least one room")
    platforms = dispatcher.platforms
    for name, room in report_to.items():
        if name not in platforms:
            raise ValueError(f"report_to: {name} is not a platform this app serves")
        if not room or len(room) > 512 or not room.isprintable():
            raise ValueError(f"report_to: {name}: not a room id")
    for who in confirm_by:
        if not who or len(who) > 320 or not who.isprintable() or " " in who:
            raise ValueError("confirm_by: not an id or e-mail address")
    rooms = {name: _as_events_write(platforms[name], room) for name, room in report_to.items()}
    (home, room), *others = rooms.items()
    prefix = platforms[home].command_prefixes[0]
    words = [prefix + OFFBOARD.name, departure.email.lower(), "--platform", ALL]
    words += (departure.reason or "").split()
    caller = UserRef(departure.requested_by, departure.requested_by)
    event = f"{departure.requested_by}:{departure.key or uuid.uuid4().hex}"
    inv = Invocation(
        platform=home,
        event_id=event,
        room=RoomRef(room),
        caller=caller,
        tokens=tuple(Word(w) for w in words),
        direct=True,
        confirm_by=tuple(confirm_by),
        report_to=tuple(others),
    )
    case = await dispatcher.record(inv, OFFBOARD.name)
    if case is None:  # recorded before under the same key: that case
        case = await dispatcher.case_of(inv)
    return case


class Configured(TypedDict):
    identities: IdentityMap
    retry: Retry


def configured(settings: OffboardingSettings) -> Configured:
    """The ``Dispatcher``'s all-platform arguments from the ``offboarding`` section (its
    identity map read now: ConfigError names each bad entry)."""
    path = settings.identity_map
    return {
        "identities": load(path) if path is not None else IdentityMap(),
        "retry": Retry(first=settings.retry_first_seconds, within=settings.retry_for_minutes * 60),
    }


def naming(policy: Policy, callers: Iterable[str]) -> Policy:
    """A copy of ``policy`` whose offboarding rule names ``callers`` too (an identity
    provider's client, ``scim:<name>``; the command line's operator)."""
    from handlers.offboard import COMMAND as OFFBOARD

    named = policy.model_copy(deep=True)
    rule = named.rule(OFFBOARD.name).model_copy(deep=True)
    rule.users = [*rule.users, *(c for c in callers if c not in rule.users)]
    named.commands[OFFBOARD.name] = rule
    return named


def _as_events_write(platform: Platform, room: str) -> str:
    """The room id in the form the platform's events carry (``WritesRoomIds``)."""
    return platform.room_key(room) if isinstance(platform, WritesRoomIds) else room
