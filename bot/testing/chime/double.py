"""A Chime double on ``http://127.0.0.1:<port>``: the chat-room API of the botocore model
``chime`` 2018-05-01, the rooms' incoming webhooks, and Chime's side of bot events.

Every API request is routed by the model's ``http.method``/``http.requestUri``, its SigV4
``Authorization`` header is recomputed with botocore (a wrong one is a 403), and its input is
rebuilt and checked against the operation's input shape (a wrong one is a 400); answers come from
the double's accounts, users, rooms and memberships and are checked against the output and error
shapes too. Whatever breaks a rule is recorded in ``violations``
(``assert_no_violations()`` raises). Webhook posts (``webhook_url(room)``) enforce Chime's limits:
1 message per second per room (429) and 4 KB (413). ``events`` sends signed (or forged, or
stale) bot events to kickbot like Chime does.

    async with ChimeDouble() as chime:
        chime.add_user("u-alice", "Alice Owner", "alice@example.com")
        chime.add_room("r-desk", "Desk", administrators=["u-alice"])
        platform = ChimePlatform(chime.config())      # with chime.credentials_env() set
        ...
        delivery = await chime.events.mention("alice@example.com", "r-desk", "/help")
        reply = await chime.next_message("r-desk")
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from aiohttp import web

from bot.testing.aws.double import AwsDouble, RecordedCall
from bot.testing.aws.model import Route, ServiceSpec
from bot.testing.chime import model as chime_model
from bot.testing.chime.events import ChimeEvents
from bot.testing.chime.operations import ChimeError, Operations, Params
from bot.testing.chime.state import (
    ChimeRoom,
    ChimeUser,
    Membership,
    Role,
    WebhookMessage,
    planned_error,
)
from bot.testing.chime.webhooks import PREFIX as WEBHOOKS
from bot.testing.chime.webhooks import Webhooks

DEFAULT_ACCOUNT_ID = "a1b2c3d4-0000-4000-8000-00000000acc7"
CHANGING = frozenset(
    {
        "DeleteRoomMembership",
        "UpdateRoomMembership",
        "CreateRoomMembership",
        "BatchCreateRoomMembership",
    }
)


class ChimeDouble(AwsDouble):
    service = "Chime"
    models = "the chime model"

    def __init__(
        self,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region: str = "us-east-1",
        access_key: str = "AKIAKICKBOTDOUBLE001",
        secret_key: str = "double-secret-key/for+tests",
        bot_id: str = "b0b0b0b0-0000-4000-8000-00000000b07a",
        bot_email: str = "kickbot@example.com",
        bot_display_name: str = "kickbot",
        security_token: str | None = None,
        webhook_ttl_seconds: float = 120.0,
        webhook_interval_seconds: float = 1.0,
        default_page_size: int = 50,
    ) -> None:
        super().__init__(access_key, secret_key, region, planned_error)
        self.account_id = account_id
        self.security_token = security_token or secrets.token_urlsafe(32)
        self.bot = ChimeUser(bot_id, bot_display_name, bot_email, "Bot")
        self.users: dict[str, ChimeUser] = {bot_id: self.bot}
        self.rooms: dict[str, ChimeRoom] = {}
        self.operations = Operations(
            account_id, self.users, self.rooms, self.bot, default_page_size
        )
        self.webhooks = Webhooks(webhook_ttl_seconds, webhook_interval_seconds)
        self.events = ChimeEvents(self)

    # -- lifecycle ---------------------------------------------------------------------------

    async def stop(self) -> None:
        await self.events.close()
        await self._close()

    # -- kickbot's configuration -------------------------------------------------------------

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A ``chime:`` section pointing kickbot at this (started) double."""
        own = {
            "account_id": self.account_id,
            "bot_id": self.bot.user_id,
            "bot_email": self.bot.email,
            "bot_display_name": self.bot.full_name,
            "bot_security_token": self.security_token,
            "listen_host": "127.0.0.1",
            "listen_port": 0,
        }
        return self.section(own, overrides)

    # -- world set-up ------------------------------------------------------------------------

    def add_user(self, user_id: str, full_name: str, email: str) -> ChimeUser:
        user = ChimeUser(user_id, full_name, email)
        self.users[user_id] = user
        return user

    def add_room(
        self,
        room_id: str,
        name: str,
        *,
        administrators: Iterable[str] = (),
        members: Iterable[str] = (),
        with_bot: bool = True,
    ) -> ChimeRoom:
        admins = list(administrators)
        room = ChimeRoom(room_id, name, created_by=admins[0] if admins else self.bot.user_id)
        everyone: list[tuple[str, Role]] = [(m, "Member") for m in members]
        everyone += [(a, "Administrator") for a in admins]
        if with_bot:
            everyone.append((self.bot.user_id, "Member"))
        for member_id, role in everyone:
            if member_id not in self.users:
                raise ValueError(f"unknown user {member_id}: add_user() it first")
            room.memberships[member_id] = Membership(member_id, role, room.created_by)
        self.rooms[room_id] = room
        return room

    def room(self, room_id: str) -> ChimeRoom:
        return self.rooms[room_id]

    def user_by_email(self, email: str) -> ChimeUser | None:
        wanted = email.lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    # -- knobs -------------------------------------------------------------------------------

    def throttle_next(
        self, operation: str, times: int = 1, retry_after: float | None = None
    ) -> None:
        self.fail_next(operation, "ThrottledClientException", times=times, retry_after=retry_after)

    def fail_next_webhook(
        self, status: int, times: int = 1, retry_after: float | None = None
    ) -> None:
        self.webhooks.failures.append((status, times, retry_after))

    # -- webhooks ----------------------------------------------------------------------------

    def webhook_url(self, room_id: str, *, persistent: bool = False) -> str:
        """A new InboundHttpsEndpoint for ``room_id`` (ShortLived: expires like Chime's)."""
        return self.webhooks.create(self.url, room_id, persistent=persistent)

    def expire_webhooks(self) -> None:
        self.webhooks.expire_all()

    def messages(self, room_id: str) -> list[WebhookMessage]:
        return [m for m in self.webhooks.posted if m.room_id == room_id]

    async def next_message(self, room_id: str, timeout: float = 10.0) -> WebhookMessage:  # noqa: ASYNC109
        """The next message posted to the room's webhooks not yet returned by this."""
        return await self.next_of(room_id, lambda: self.messages(room_id), timeout)

    def webhook_statuses(self, room_id: str | None = None) -> list[int]:
        """Statuses of the webhook posts received (for one room), in order."""
        return [
            c.status
            for c in self.requests
            if c.operation is None
            and c.path.startswith(WEBHOOKS)
            and c.status is not None
            and (room_id is None or self.webhooks.room_of(c.path) == room_id)
        ]

    # -- traffic -----------------------------------------------------------------------------

    def state_changes(self) -> list[str]:
        """Every state-changing API call received, as ``"METHOD path"``."""
        return [f"{c.method} {c.path}" for c in self.requests if c.operation in CHANGING]

    # -- HTTP --------------------------------------------------------------------------------

    def _specs(self) -> Sequence[ServiceSpec]:
        return (chime_model.spec(),)

    async def _handle(self, request: web.Request, body: bytes, call: RecordedCall) -> web.Response:
        if request.path.startswith(WEBHOOKS):
            return self.webhooks.handle(
                request, body, lambda detail: self.violate("webhook", detail, request)
            )
        return await super()._handle(request, body, call)

    def _answer(self, request: web.Request, route: Route, params: Params) -> web.Response:
        handler = self.operations.handlers.get(route.operation)
        if handler is None:
            return self._not_emulated(request, route)
        try:
            if params.get("AccountId") != self.account_id:
                raise ChimeError("NotFoundException", "The account does not exist.")
            status, data = handler(params)
        except ChimeError as err:
            if chime_model.error_shape(route, err.shape) is None:
                self.violate("response", f"{route.operation} declares no {err.shape}", request)
            return self._error(err.shape, err.message)
        return self._answered(request, route, status, data)
