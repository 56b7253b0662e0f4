"""People: the caller looked up before the ack (cached), names for mentioned ids, e-mail
lookups, and who owns a channel (a workspace owner or admin, or its creator), sharing one
``users.info`` per person within a command."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError

from bot import errors
from bot.model import RoomRef, UserRef
from bot.platforms.slack.calls import Clients, call
from bot.platforms.slack.errors import to_platform_error

log = structlog.get_logger(__name__)

CALLER_TTL_SECONDS = 300.0
INFO_REUSE_SECONDS = 2.0
"""A target's name is read from the users.info answer its owner check got this recently (one
call for both, in one command); an owner check itself only shares a call still under way."""
INFOS_KEPT = 1_000
NAME_LOOKUPS_AT_ONCE = 8
CREATORS_KEPT = 10_000
"""Channels whose creator is remembered (the oldest noted is forgotten first)."""


class People:
    def __init__(self, clients: Clients) -> None:
        self._clients = clients
        self._callers: dict[str, tuple[float, UserRef]] = {}
        self._creators: dict[str, str] = {}  # channel id -> its creator's user id
        self._infos: dict[str, tuple[float, asyncio.Future[dict[str, Any]]]] = {}

    async def caller(self, user_id: str) -> UserRef:
        """The caller with display name and e-mail (the policy may name people by e-mail)."""
        now = time.monotonic()
        cached = self._callers.get(user_id)
        if cached is not None and now - cached[0] < CALLER_TTL_SECONDS:
            return cached[1]
        try:
            found = await self._clients.quick().users_info(user=user_id)
        except Exception as exc:
            raise to_platform_error("users.info", exc) from exc
        user = user_ref(found["user"])
        self._callers[user_id] = (now, user)
        return user

    async def by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        found: dict[str, UserRef] = {}
        for email in emails:
            try:
                response = await self._clients.api().users_lookupByEmail(email=email)
            except SlackApiError as exc:
                if exc.response.get("error") == "users_not_found":
                    continue
                raise to_platform_error("users.lookupByEmail", exc) from exc
            except Exception as exc:
                raise to_platform_error("users.lookupByEmail", exc) from exc
            found[email.lower()] = user_ref(response["user"])
        return found

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, UserRef]:
        """``users.info`` for each id (a caller's record kept from delivery, or the answer the
        owner check of the same target gets): names from the workspace, not from a
        ``<@U123|name>`` mention's text."""
        slots = asyncio.Semaphore(NAME_LOOKUPS_AT_ONCE)

        async def one(uid: str) -> UserRef | None:
            cached = self._callers.get(uid)
            if cached is not None and time.monotonic() - cached[0] < CALLER_TTL_SECONDS:
                return cached[1]
            async with slots:
                try:
                    return user_ref((await self._user_info(uid, reuse_answered=True))["user"])
                except errors.PlatformError as err:  # user_not_found, or the call failed
                    log.info("no name for a mentioned user", user=uid, error=err.detail)
                    return None

        wanted = list(dict.fromkeys(ids))
        found = await asyncio.gather(*(one(uid) for uid in wanted))
        return {uid: ref for uid, ref in zip(wanted, found, strict=True) if ref is not None}

    async def is_room_owner(self, room: RoomRef, user: UserRef) -> bool:
        """A workspace owner or admin, or the channel's creator."""
        api = self._clients.api()
        info = (await self._user_info(user.id, reuse_answered=False))["user"]
        if info.get("is_owner") or info.get("is_admin") or info.get("is_primary_owner"):
            return True
        creator = self._creators.get(room.id)
        if creator is None:
            request = api.conversations_info(channel=room.id)
            creator = self.note_creator(
                room.id, (await call("conversations.info", request))["channel"]
            )
        return creator == user.id

    async def _user_info(self, user_id: str, *, reuse_answered: bool) -> dict[str, Any]:
        """``users.info``, shared with a call for the same user under way, or (with
        ``reuse_answered``) answered within ``INFO_REUSE_SECONDS``, a failure included."""
        now = time.monotonic()
        hit = self._infos.get(user_id)
        stale = hit is not None and hit[1].done() and not reuse_answered
        if hit is None or stale or now - hit[0] > INFO_REUSE_SECONDS:
            if len(self._infos) >= INFOS_KEPT:
                self._infos = {k: v for k, v in self._infos.items() if not v[1].done()}
            answer = call("users.info", self._clients.api().users_info(user=user_id))
            hit = self._infos[user_id] = (now, asyncio.ensure_future(answer))
            hit[1].add_done_callback(_retrieved)
        return await asyncio.shield(hit[1])

    def note_creator(self, channel: str, info: Mapping[str, Any]) -> str | None:
        """Keep a channel's creator (it never changes), so that the owner check after a
        ``room_info`` makes no second ``conversations.info`` call."""
        creator = info.get("creator")
        if not isinstance(creator, str) or not creator:
            return None
        if len(self._creators) >= CREATORS_KEPT:
            del self._creators[next(iter(self._creators))]
        self._creators[channel] = creator
        return creator


def _retrieved(done: asyncio.Future[dict[str, Any]]) -> None:
    if not done.cancelled():
        done.exception()  # every asker may have gone; those left get it raised


def user_ref(user: dict[str, Any]) -> UserRef:
    profile = user.get("profile") or {}
    display = profile.get("display_name") or profile.get("real_name") or user.get("name")
    email = profile.get("email")
    return UserRef(str(user["id"]), str(display) if display else None, email or None)
