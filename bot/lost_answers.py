"""A state-changing call whose answer was lost is judged by the room, not by the error.

A platform may carry out a removal and lose its answer: a 500 sent after acting, a connection
reset, a timeout. An SDK that retries then meets "not a member", and the error would record a
removal that happened as failed, with nothing to undo. So after any failed state-changing call,
kickbot looks at the room before it reports: when the change is in place (the person is no longer
a member, no longer an owner, a member again…), the call is reported done, with what was seen as
its platform response. This is the rule a resumed job already follows (a call begun before a
crash is done if the room shows it, see ``handlers/kick.py``), applied at once in the same run.

The room is read through the ``Platform`` protocol (``members``, and ``is_room_owner`` where
owners are not a flag of the member list), fresh after the change; a platform whose member list
leaves out people on their way in (Matrix: invited) says so with ``SupportsPendingInvites``.
When the look itself fails, the original error stands (marked ``unsettled``: its outcome is
unknown). Information Barrier group changes are judged by the group's member list the same way
(``ib_confirmed``, through ``SupportsIbGroupLookup``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple

import structlog

from bot.errors import PlatformError, RuleForbids
from bot.model import RoomRef, UserRef
from bot.platform import (
    Platform,
    SupportsIbGroupLookup,
    SupportsOwnerLevels,
    SupportsOwnerLookup,
    SupportsPendingInvites,
)

log = structlog.get_logger(__name__)

Look = Callable[[], Awaitable[bool]]
"""Whether the change a call was to make is in place now (read fresh from the platform)."""


class Effect(NamedTuple):
    """What a state-changing call is to bring about, and how to see it."""

    in_place: Look
    seen: str
    """What the look shows when it is in place, for the audit record."""


async def is_member(platform: Platform, room: RoomRef, user: UserRef) -> bool:
    return any(m.user.id == user.id for m in await platform.members(room))


async def is_owner(platform: Platform, room: RoomRef, user: UserRef) -> bool:
    if isinstance(platform, SupportsOwnerLookup):
        return await platform.is_room_owner(room, user)
    return any(m.user.id == user.id and m.is_owner for m in await platform.members(room))


def removed(platform: Platform, room: RoomRef, user: UserRef) -> Effect:
    async def look() -> bool:
        return not await is_member(platform, room, user)

    return Effect(look, "the member list no longer lists them")


def demoted(platform: Platform, room: RoomRef, user: UserRef) -> Effect:
    async def look() -> bool:
        return await is_member(platform, room, user) and not await is_owner(platform, room, user)

    return Effect(look, "the room no longer counts them as an owner")


def added(platform: Platform, room: RoomRef, user: UserRef) -> Effect:
    async def look() -> bool:
        if isinstance(platform, SupportsPendingInvites) and await platform.is_invited(room, user):
            return True
        return await is_member(platform, room, user)

    seen = (
        "the room shows them invited or a member"
        if isinstance(platform, SupportsPendingInvites)
        else "the member list lists them"
    )
    return Effect(look, seen)


def promoted(platform: Platform, room: RoomRef, user: UserRef) -> Effect:
    async def look() -> bool:
        return await is_owner(platform, room, user)

    return Effect(look, "the room counts them as an owner")


def level_restored(
    platform: SupportsOwnerLevels, room: RoomRef, user: UserRef, level: int
) -> Effect:
    async def look() -> bool:
        now = await platform.owner_level(room, user)
        return now is None or now >= level  # None: unlimited (a creator)

    return Effect(look, f"their level is {level} or more")


def answer_may_be_lost(err: PlatformError) -> bool:
    """Whether a failed call may have acted: no answer (a reset, a timeout), a server error
    (5xx: it may have acted before failing), or a refusal met by a second attempt."""
    return err.resent or err.status is None or err.status >= 500


async def confirmed(
    call: Callable[[], Awaitable[str]], effect: Effect, *, was_not_in_place: bool = False
) -> str:
    """``call()``'s answer; if it fails, the room decides: when ``effect`` is in place, the
    change happened and its answer was lost (a text saying so is returned), otherwise the
    error is raised as it came (also when the room cannot be read).

    The room is looked at after any error when the caller saw, just before, that the change
    was not in place (``was_not_in_place``: a removal's target was in the member list);
    otherwise only when the answer may have been lost (``answer_may_be_lost``): a plain
    refusal such as "already in the room" then says the change was there before the call."""
    try:
        return await call()
    except RuleForbids:
        raise  # refused by kickbot before any call: nothing was sent
    except PlatformError as err:
        if not (was_not_in_place or answer_may_be_lost(err)):
            raise
        try:
            there = await effect.in_place()
        except PlatformError as unread:
            log.warning("could not look whether a failed change happened", error=str(unread))
            err.unsettled = True
            raise err from None
        if not there:
            raise
        log.info("a change's answer was lost; the room shows it made", error=str(err))
        status = f"{err.status} " if err.status is not None else ""
        return f"answer lost ({status}{err.detail}); looked: {effect.seen}"


def known_not_made(err: PlatformError) -> bool:
    """Whether a call that failed with ``err`` through ``confirmed`` is known not to have made
    its change: refused outright, or looked at and not in place (not when the look failed)."""
    return not err.unsettled


async def ib_confirmed(
    platform: object,
    call: Callable[[], Awaitable[tuple[list[str], str]]],
    group: str,
    users: Sequence[UserRef],
    *,
    removing: bool,
) -> tuple[list[str], str]:
    """``call()``'s answer (an Information Barrier group's bulk change: one message per user, ""
    for done, and the raw response); if it fails with its answer possibly lost, the group
    decides, as ``confirmed`` lets the room decide: the users whose change is in place (no
    longer listed when ``removing``, listed when adding) are answered "", the others a message
    saying the group does not show it. When no change is in place the error is raised as it
    came; when the group cannot be read (or listed on this platform) it is raised marked
    ``unsettled``: its outcome is unknown."""
    try:
        return await call()
    except RuleForbids:
        raise
    except PlatformError as err:
        if not answer_may_be_lost(err):
            raise
        if not isinstance(platform, SupportsIbGroupLookup):
            err.unsettled = True
            raise
        try:
            members = await platform.ib_group_members(group)
        except PlatformError as unread:
            log.warning("could not look whether a failed group change happened", error=str(unread))
            err.unsettled = True
            raise err from None
        made = [(u.id not in members) == removing for u in users]
        if not any(made):
            raise
        log.info("a group change's answer was lost; the group shows it made", error=str(err))
        status = f"{err.status} " if err.status is not None else ""
        lost = f"answer lost ({status}{err.detail})"
        seen = "the group no longer lists them" if removing else "the group lists them"
        missed = "the group still lists them" if removing else "the group does not list them"
        messages = ["" if m else f"{lost}; {missed}" for m in made]
        return messages, f"{lost}; looked: {seen}"


def checked(
    call: Callable[[], Awaitable[str]], effect: Effect, *, was_not_in_place: bool = False
) -> Callable[[], Awaitable[str]]:
    """``call`` made through ``confirmed`` (for ``Context.change``)."""

    async def run() -> str:
        return await confirmed(call, effect, was_not_in_place=was_not_in_place)

    return run
