"""An Amazon Chime SDK messaging double on ``http://127.0.0.1:<port>``: the REST side of
``chime-sdk-messaging`` and ``chime-sdk-identity`` (one endpoint serves both).

Every request is routed by botocore's own models (those of the botocore installed), its SigV4
``Authorization`` is recomputed with botocore's signer (service ``chime``; a wrong one is a
403), its input is rebuilt and checked against the operation's input shape (a wrong one is a
400), and a messaging call must carry ``x-amz-chime-bearer`` naming a user of the AppInstance.
Answers come from the double's AppInstance (``operations``) and are checked against the output
and error shapes too. Whatever breaks a rule is in ``violations`` (``assert_no_violations()``).

    async with ChimeSdkDouble() as sdk:
        alice = sdk.add_user("alice", "Alice")
        desk = sdk.add_channel("desk", "Desk", moderators=[alice])
        platform = ChimeSdkPlatform(sdk.config())   # with sdk.credentials_env() set
        sdk.say(alice, desk, "/help")                 # a message, told to the session
        reply = await sdk.next_message(desk)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiohttp import web

from bot.testing.aws import model
from bot.testing.aws.double import AwsDouble, Failure, error_response
from bot.testing.aws.model import ERROR_CODES, Route, ServiceSpec
from bot.testing.chime_sdk.operations import ChimeSdkError, Operations
from bot.testing.chime_sdk.session_server import SessionServer
from bot.testing.chime_sdk.state import (
    DEFAULT_APP_INSTANCE,
    Channel,
    StoredMessage,
)

SERVICES = ("chime-sdk-messaging", "chime-sdk-identity")
CHANGING = frozenset(
    {
        "DeleteChannelMembership",
        "CreateChannelMembership",
        "DeleteChannelModerator",
        "CreateChannelModerator",
    }
)


@functools.cache
def specs() -> tuple[ServiceSpec, ...]:
    return tuple(ServiceSpec(model.installed(name)) for name in SERVICES)


def planned_error(
    operation: str, error: str, *, message: str | None, retry_after: float | None, undeclared: bool
) -> Failure:
    """``error`` (a shape or its code) as ``operation`` answers it; its model must declare it
    unless ``undeclared``."""
    route = next((r for s in specs() for r in s.routes if r.operation == operation), None)
    if route is None:
        raise ValueError(f"{operation} is not an operation of {' or '.join(SERVICES)}")
    codes = {v: k for k, v in ERROR_CODES.items()}
    shape = error if error.endswith("Exception") else codes.get(error, error)
    if model.error_shape(route, shape) is None and not undeclared:
        declared = ", ".join(s.name for s in route.model.error_shapes)
        raise ValueError(f"{operation} does not declare {shape} (declared: {declared})")
    return Failure(shape, message or f"injected {shape}", retry_after)


class ChimeSdkDouble(AwsDouble):
    service = "Chime SDK"
    models = "the Chime SDK models"

    def __init__(
        self,
        *,
        app_instance_arn: str = DEFAULT_APP_INSTANCE,
        access_key: str = "AKIAKICKBOTSDKDOUBLE",
        secret_key: str = "sdk-double-secret/for+tests",
        bot_id: str = "kickbot",
        bot_name: str = "kickbot",
        page_size: int = 50,
    ) -> None:
        super().__init__(access_key, secret_key, app_instance_arn.split(":")[3], planned_error)
        self.app_instance_arn = app_instance_arn
        self.operations = Operations(app_instance_arn, page_size)
        self.bot = self.add_user(bot_id, bot_name)
        self.sessions = SessionServer(
            secrets={access_key: secret_key},
            region=self.region,
            is_user=lambda arn: arn in self.users,
            members_of=lambda arn: (
                c.members if (c := self.operations.channels.get(arn)) is not None else ()
            ),
        )
        """The messaging session's WebSocket (its own port): GetMessagingSessionEndpoint
        names it; every message posted is published on it."""
        self.sessions.violations = self.violations  # one list: assert_no_violations sees both
        self.on_message(
            lambda channel, message: self.sessions.publish(self.payload(channel.arn, message))
        )

    async def start(self) -> None:
        await super().start()
        await self.sessions.start()
        self.operations.session_endpoint = self.sessions.endpoint

    async def stop(self) -> None:
        self.knobs.release_holds()
        await self.sessions.stop()
        await self._close()

    # -- kickbot's configuration -------------------------------------------------------------

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A ``chime_sdk:`` section pointing kickbot at this (started) double."""
        own = {
            "app_instance_arn": self.app_instance_arn,
            "bot_arn": self.bot,
            "session_reconnect_initial_seconds": 0.05,
            "session_reconnect_max_seconds": 0.5,
        }
        return self.section(own, overrides)

    # -- world set-up ------------------------------------------------------------------------

    @property
    def channels(self) -> dict[str, Channel]:
        return self.operations.channels

    @property
    def users(self) -> dict[str, str]:
        return self.operations.users

    def user_arn(self, user_id: str) -> str:
        return f"{self.app_instance_arn}/user/{user_id}"

    def add_user(self, user_id: str, name: str, *, admin: bool = False) -> str:
        arn = self.user_arn(user_id)
        self.operations.users[arn] = name
        if admin:
            self.operations.admins.add(arn)
        return arn

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        moderators: Iterable[str] = (),
        members: Iterable[str] = (),
        hidden: Iterable[str] = (),
        with_bot: bool = True,
        bot_moderator: bool = True,
    ) -> str:
        """A channel whose moderators are members too; the bot a member (and a moderator)."""
        arn = f"{self.app_instance_arn}/channel/{channel_id}"
        mods = list(moderators)
        channel = Channel(arn, name, created_by=mods[0] if mods else self.bot)
        for who in [*mods, *members]:
            channel.add(who)
        for who in hidden:
            channel.add(who, "HIDDEN")
        channel.moderators.update(mods)
        if with_bot:
            channel.add(self.bot)
            if bot_moderator:
                channel.moderators.add(self.bot)
        unknown = [m for m in channel.members if m not in self.users]
        if unknown:
            raise ValueError(f"unknown users {unknown}: add_user() them first")
        self.operations.channels[arn] = channel
        return arn

    def channel(self, arn: str) -> Channel:
        return self.operations.channels[arn]

    # -- messages ----------------------------------------------------------------------------

    def say(self, sender: str, channel: str, content: str, **extra: Any) -> StoredMessage:
        """``sender`` posts ``content`` in ``channel`` (as their app would): stored, and every
        ``on_message`` listener (the messaging session) is told."""
        return self.operations.post(self.channel(channel), sender, content, **extra)

    def payload(self, channel: str, message: StoredMessage) -> dict[str, Any]:
        """The message as a CREATE_CHANNEL_MESSAGE event's payload carries it."""
        data = message.summary(self.users) | {"ChannelArn": channel, "Persistence": "PERSISTENT"}
        if message.sub_channel_id:
            data["SubChannelId"] = message.sub_channel_id
        return data

    def on_message(self, listener: Callable[[Channel, StoredMessage], None]) -> None:
        self.operations.on_message.append(listener)

    def bot_messages(self, channel: str, bot: str | None = None) -> list[StoredMessage]:
        """What the bot (or the bot user ``bot``) sent in ``channel``."""
        sender = bot or self.bot
        return [m for m in self.channel(channel).messages if m.sender == sender]

    async def next_message(
        self,
        channel: str,
        timeout: float = 10.0,  # noqa: ASYNC109
        bot: str | None = None,
    ) -> StoredMessage:
        """The bot's (or ``bot``'s) next message in ``channel`` not yet returned by this."""
        return await self.next_of(channel, lambda: self.bot_messages(channel, bot), timeout)

    # -- knobs -------------------------------------------------------------------------------

    # -- traffic -----------------------------------------------------------------------------

    def state_changes(self) -> list[tuple[str, dict[str, Any]]]:
        """Every membership or moderator change asked for: (operation, its input)."""
        return [
            (c.operation, {**c.query, **(c.body or {}), "path": c.path})
            for c in self.requests
            if c.operation in CHANGING
        ]

    # -- HTTP --------------------------------------------------------------------------------

    def _specs(self) -> Sequence[ServiceSpec]:
        return specs()

    def _refuse(self, request: web.Request, params: dict[str, Any]) -> web.Response | None:
        bearer = params.get("ChimeBearer")
        if bearer is not None and bearer not in self.users:
            self.violate("bearer", f"{bearer!r} is not a user of the AppInstance", request)
            return error_response("ForbiddenException", f"{bearer} is not an AppInstanceUser", 403)
        return None

    def _answer(self, request: web.Request, route: Route, params: dict[str, Any]) -> web.Response:
        handler = self.operations.handlers.get(route.operation)
        if handler is None:
            return self._not_emulated(request, route)
        try:
            status, data = handler(params, params.get("ChimeBearer"))
        except ChimeSdkError as err:
            declared = [s for s in err.shapes if model.error_shape(route, s) is not None]
            if not declared:
                self.violate("response", f"{route.operation} declares none of {err.shapes}")
            return self._error((declared or err.shapes)[0], err.message)
        return self._answered(request, route, status, data)
