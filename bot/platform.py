"""The one seam between the core and a chat platform.

Every adapter in ``bot.platforms`` implements ``Platform``; rarer operations are separate
``runtime_checkable`` capability protocols so the core can ask ``isinstance(p, SupportsIbGroups)``.
Methods raise ``bot.errors.PlatformError`` subtypes, never SDK exceptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol, TypeAlias, runtime_checkable

from bot.model import Invocation, Member, ReadPosition, RoomInfo, RoomRef, UserRef
from bot.reply import Reply

InvocationSink: TypeAlias = Callable[[Invocation], Awaitable[None]]
"""What an adapter calls for each message; returns once a command in it is durable.
Raises if it could not be recorded: the adapter must then make the platform redeliver."""


class Platform(Protocol):
    name: str
    command_prefixes: tuple[str, ...]
    """What starts a command word ("/kick", "!kick"). After a mention of the bot a bare
    command name works too ("@kickbot kick @bob")."""
    unsupported: Mapping[type, str]
    """Capability protocol this platform lacks -> why (the platform's own sentence, shown when
    a command needing it is asked for). Keyed by capability, never by command."""

    @property
    def bot_user(self) -> UserRef:
        """The bot's own account (known after ``start``)."""
        ...

    async def start(self, sink: InvocationSink) -> None: ...

    async def stop(self) -> None:
        """Stop receiving events; calls out still work until ``close``."""
        ...

    async def close(self) -> None:
        """Release connections; after ``stop`` and once running commands are done."""
        ...

    async def room_info(self, room: RoomRef) -> RoomInfo: ...

    async def members(self, room: RoomRef) -> Sequence[Member]: ...

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        """Known users by lower-cased e-mail; unknown addresses are simply absent."""
        ...

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        """Remove ``user``; returns the platform's response text for the audit log. Platforms
        whose API takes a reason (Matrix) pass it on; the others only show it in the reply."""
        ...

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        """Answer ``inv`` where it was asked (its room, or its thread)."""
        ...


@runtime_checkable
class SupportsDemote(Protocol):
    async def demote_owner(self, room: RoomRef, user: UserRef) -> str: ...


@runtime_checkable
class SupportsUndo(Protocol):
    """Reverse kick and demote (/undo)."""

    async def add_member(self, room: RoomRef, user: UserRef, kind: str | None = None) -> str:
        """Put ``user`` back in ``room`` as the kind of member they were (``Member.kind``; None:
        the usual). A platform with one kind of membership ignores ``kind``."""
        ...

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str: ...


@runtime_checkable
class SupportsDirectMessage(Protocol):
    async def send_direct(self, user: UserRef, reply: Reply) -> None: ...


@runtime_checkable
class SupportsOwnerLookup(Protocol):
    """For platforms where "room owner" is not a flag in the member list (Slack: workspace
    owners/admins and the channel's creator). Without it, ``members`` decides."""

    async def is_room_owner(self, room: RoomRef, user: UserRef) -> bool: ...


@runtime_checkable
class SupportsRank(Protocol):
    """Platforms where owners are graded (Matrix power levels): between two owners, whether
    ``actor`` strictly outranks ``target`` in the room."""

    async def outranks(self, room: RoomRef, actor: UserRef, target: UserRef) -> bool: ...


@runtime_checkable
class SupportsIbGroups(Protocol):
    """Information Barrier groups (Symphony)."""

    async def deactivated_users(self, users: Sequence[UserRef]) -> set[str]:
        """Ids among ``users`` whose accounts are deactivated."""
        ...

    async def remove_from_ib_group(
        self, group: str, users: Sequence[UserRef]
    ) -> tuple[list[str], str]:
        """Per-user result messages in submitted order ("" = removed) and the raw response."""
        ...

    async def add_to_ib_group(self, group: str, users: Sequence[UserRef]) -> tuple[list[str], str]:
        """Per-user result messages in submitted order ("" = added) and the raw response."""
        ...


@runtime_checkable
class SupportsIbGroupLookup(Protocol):
    """Information Barrier groups whose members can be listed (to see whether a change whose
    answer was lost happened, see ``bot.lost_answers``)."""

    async def ib_group_members(self, group: str) -> set[str]:
        """Ids of the group's members, read fresh."""
        ...


@runtime_checkable
class SupportsExternalMembers(Protocol):
    """Platforms that can tell members of another company (Symphony: cross-company rooms)."""

    async def external_members(self, room: RoomRef) -> set[str]:
        """Ids of the room's members who belong to another company than the bot's."""
        ...


@runtime_checkable
class SupportsUserRooms(Protocol):
    """Platforms that can list one person's rooms (offboarding)."""

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The rooms, active or not, where ``user`` is a member and the bot could act (an
        inactive one is reported as skipped, never acted in)."""
        ...


@runtime_checkable
class PublishesChangeRate(Protocol):
    """Platforms with a published limit on membership changes (Slack's Tier 3, Rocket.Chat's
    per-endpoint limiter). The adapter keeps to it; the core uses it to estimate long jobs."""

    @property
    def change_interval_seconds(self) -> float:
        """Seconds between membership changes at the published limit."""
        ...


@runtime_checkable
class SupportsCallsOnly(Protocol):
    """Platforms that can sign in for outgoing calls without receiving events (the command
    line acts through them next to a running bot)."""

    async def connect(self) -> None: ...


@runtime_checkable
class SupportsOwnerLevels(Protocol):
    """Platforms where being an owner is a level (Matrix power levels): a demotion keeps the
    level it takes away in its undo data, and /undo gives back exactly that level."""

    async def owner_level(self, room: RoomRef, user: UserRef) -> int | None:
        """The user's level now (None when it cannot be given back, e.g. unlimited)."""
        ...

    async def restore_owner_level(self, room: RoomRef, user: UserRef, level: int) -> str: ...


@runtime_checkable
class SupportsInviteOnly(Protocol):
    """Platforms that cannot put anyone back in a room, only invite them (Matrix): the undo's
    line says "invited back", not "re-added"."""

    async def invite(self, room: RoomRef, user: UserRef) -> str: ...


@runtime_checkable
class SupportsUserLookup(Protocol):
    """Platforms whose mentions carry a name the sender's client wrote (Symphony's MessageML
    mention text, Slack's ``<@U123|name>``): the core names targets from the platform's own
    record for the id, never from the message."""

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, UserRef]:
        """The platform's record of each id (display name; e-mail where the bot is shown it);
        ids the platform does not know (or whose record it could not read) are absent. May
        raise ``PlatformError``: the core then names those targets by id alone."""
        ...


@runtime_checkable
class ExplainsEmailAccess(Protocol):
    """Platforms that show users' e-mail addresses to the bot only with a permission (or
    never): what to grant, in the platform's terms, for a refusal to name. On the others
    (Symphony, Chime) an address ``find_users_by_email`` does not find belongs to nobody."""

    @property
    def email_access(self) -> str:
        """A sentence: what lets the bot see (and look people up by) e-mail addresses."""
        ...

    @property
    def email_lookup_conclusive(self) -> bool:
        """Whether an address ``find_users_by_email`` did not find belongs to nobody now (a
        permission the look-up needs is held), rather than perhaps to someone hidden."""
        ...


@runtime_checkable
class SupportsPendingInvites(Protocol):
    """Platforms whose member list leaves out people invited but not yet in (Matrix): whether
    ``user`` is invited to the room now (an undo's lost answer is judged by it)."""

    async def is_invited(self, room: RoomRef, user: UserRef) -> bool: ...


class ReadPositions(Protocol):
    """Durable read positions, per (platform, the bot's account, room): the store's
    (``bot.store.positions``). A position only ever moves forward."""

    async def load(self, platform: str, account: str) -> dict[str, ReadPosition]: ...

    async def save(
        self, platform: str, account: str, positions: Mapping[str, ReadPosition]
    ) -> None: ...


@runtime_checkable
class KeepsReadPositions(Protocol):
    """Platforms that do not redeliver what arrived while the bot was away (Amazon Chime SDK's
    messaging session): they read each room's history from the newest message they handled,
    kept in the store. Given before ``start``."""

    def use_read_positions(self, positions: ReadPositions) -> None: ...


@runtime_checkable
class WritesRoomIds(Protocol):
    """Platforms whose room ids can be written in more than one form (Symphony: a stream id in
    standard or URL-safe base64): a room named in config is turned into the one form the
    platform's events carry, so commands typed there (``/confirm``, ``/undo``) find its cases."""

    def room_key(self, written: str) -> str: ...


@runtime_checkable
class ReportsConnection(Protocol):
    """Platforms that can tell whether they are connected now (``GET /readyz``,
    ``bot.ops.readiness``): a platform without it counts as connected once started."""

    async def connection_problem(self) -> str | None:
        """None when connected; else what is wrong, in a few words (no secrets). Called at
        most about once a second, bounded by a timeout."""
        ...
