"""The operations the Chime SDK double carries out, on its AppInstance and channels.

Each takes the operation's input as rebuilt from the request (model member names) and the
bearer, and returns (status, output) or raises ``ChimeSdkError``. Rights are the service's: a
channel is read by its members, moderators and the AppInstanceAdmins; memberships and moderators
are changed by moderators and admins; a message is sent by a member; only an admin lists
another user's channels. What the documentation leaves open is chosen and said here: removing a
non-member or demoting a non-moderator is a BadRequestException (neither operation declares
NotFound), and the last moderator may be removed (kickbot must guard it itself).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.testing.aws.paging import paged
from bot.testing.chime_sdk.state import Channel, StoredMessage, stamp

Params = dict[str, Any]
Answer = tuple[int, dict[str, Any]]
Handler = Callable[[Params, str | None], Answer]


class ChimeSdkError(Exception):
    """An answer with an error shape; the first of ``shapes`` the operation declares is used."""

    def __init__(self, message: str, *shapes: str) -> None:
        super().__init__(message)
        self.message = message
        self.shapes = shapes or ("BadRequestException",)


def _forbidden(message: str) -> ChimeSdkError:
    return ChimeSdkError(message, "ForbiddenException")


class Operations:
    def __init__(self, app_instance: str, page_size: int) -> None:
        self.app_instance = app_instance
        self.page_size = page_size
        self.users: dict[str, str] = {}
        """AppInstanceUser ARN -> name."""
        self.admins: set[str] = set()
        self.channels: dict[str, Channel] = {}
        self.session_endpoint: str | None = None
        """GetMessagingSessionEndpoint's Url (a host[:port] without a scheme), once served."""
        self.on_message: list[Callable[[Channel, StoredMessage], None]] = []
        self.handlers: dict[str, Handler] = {
            "DescribeChannel": self._describe_channel,
            "ListChannelMemberships": self._list_memberships,
            "ListChannelModerators": self._list_moderators,
            "DescribeChannelMembership": self._describe_membership,
            "DescribeChannelModerator": self._describe_moderator,
            "DeleteChannelMembership": self._delete_membership,
            "CreateChannelMembership": self._create_membership,
            "DeleteChannelModerator": self._delete_moderator,
            "CreateChannelModerator": self._create_moderator,
            "SendChannelMessage": self._send_message,
            "ListChannelMessages": self._list_messages,
            "GetChannelMessage": self._get_message,
            "ListChannelMembershipsForAppInstanceUser": self._user_channels,
            "GetMessagingSessionEndpoint": self._session_endpoint,
            "ListAppInstanceAdmins": self._list_admins,
            "DescribeAppInstanceUser": self._describe_user,
        }

    # --- helpers ------------------------------------------------------------------------------

    def identity(self, arn: str) -> dict[str, str]:
        return {"Arn": arn, "Name": self.users.get(arn, "")}

    def _channel(self, params: Params) -> Channel:
        channel = self.channels.get(params["ChannelArn"])
        if channel is None:
            raise ChimeSdkError(
                f"The channel {params['ChannelArn']} does not exist.",
                "NotFoundException",
                "BadRequestException",
            )
        return channel

    def _readable(self, params: Params, bearer: str | None) -> Channel:
        """The channel named in ``params``, which ``bearer`` may read (a member, a moderator or
        an AppInstanceAdmin)."""
        channel = self._channel(params)
        if bearer in channel.members or bearer in channel.moderators or bearer in self.admins:
            return channel
        raise _forbidden(f"{bearer} is not a member or moderator of the channel.")

    def _managed(self, params: Params, bearer: str | None) -> Channel:
        """The channel named in ``params``, which ``bearer`` may change (a moderator or an
        AppInstanceAdmin)."""
        channel = self._channel(params)
        if bearer in channel.moderators or bearer in self.admins:
            return channel
        raise _forbidden(f"{bearer} is not a moderator of the channel or an AppInstanceAdmin.")

    def _known(self, arn: str) -> None:
        if arn not in self.users:
            raise ChimeSdkError(f"{arn} is not a user of the AppInstance.", "NotFoundException")

    def _paged(self, key: str, items: list[Any], params: Params, **fixed: Any) -> Answer:
        bad_token = ChimeSdkError("The next token is not valid.")
        return paged(key, items, params, self.page_size, bad_token, **fixed)

    # --- channels -----------------------------------------------------------------------------

    def _describe_channel(self, params: Params, bearer: str | None) -> Answer:
        channel = self._readable(params, bearer)
        return 200, {
            "Channel": {
                "Name": channel.name,
                "ChannelArn": channel.arn,
                "Mode": channel.mode,
                "Privacy": channel.privacy,
                "CreatedBy": self.identity(channel.created_by),
                "CreatedTimestamp": stamp(channel.created),
            }
        }

    def _list_memberships(self, params: Params, bearer: str | None) -> Answer:
        channel = self._readable(params, bearer)
        kind = params.get("Type", "DEFAULT")  # hidden members only when asked for
        items = [{"Member": self.identity(arn)} for arn, t in channel.members.items() if t == kind]
        return self._paged("ChannelMemberships", items, params, ChannelArn=channel.arn)

    def _list_moderators(self, params: Params, bearer: str | None) -> Answer:
        channel = self._readable(params, bearer)
        items = [{"Moderator": self.identity(arn)} for arn in sorted(channel.moderators)]
        return self._paged("ChannelModerators", items, params, ChannelArn=channel.arn)

    def _describe_membership(self, params: Params, bearer: str | None) -> Answer:
        channel = self._readable(params, bearer)
        member = params["MemberArn"]
        if member not in channel.members:
            raise ChimeSdkError("The user is not a member of the channel.", "NotFoundException")
        joined = stamp(channel.joined.get(member, channel.created))
        return 200, {
            "ChannelMembership": {
                "ChannelArn": channel.arn,
                "Member": self.identity(member),
                "Type": channel.members[member],
                "InvitedBy": self.identity(channel.created_by),
                "CreatedTimestamp": joined,
                "LastUpdatedTimestamp": joined,
            }
        }

    def _describe_moderator(self, params: Params, bearer: str | None) -> Answer:
        channel = self._readable(params, bearer)
        moderator = params["ChannelModeratorArn"]
        if moderator not in channel.moderators:
            raise ChimeSdkError("The user is not a moderator.", "NotFoundException")
        return 200, {
            "ChannelModerator": {
                "ChannelArn": channel.arn,
                "Moderator": self.identity(moderator),
                "CreatedBy": self.identity(channel.created_by),
            }
        }

    def _delete_membership(self, params: Params, bearer: str | None) -> Answer:
        channel = self._managed(params, bearer)
        if channel.members.pop(params["MemberArn"], None) is None:
            raise ChimeSdkError("The member is not a member of the channel.")
        return 204, {}

    def _create_membership(self, params: Params, bearer: str | None) -> Answer:
        channel = self._managed(params, bearer)
        member = params["MemberArn"]
        self._known(member)
        if member in channel.members:
            raise ChimeSdkError("The user is already a member.", "ConflictException")
        channel.add(member, params["Type"])
        return 201, {"ChannelArn": channel.arn, "Member": self.identity(member)}

    def _delete_moderator(self, params: Params, bearer: str | None) -> Answer:
        channel = self._managed(params, bearer)
        moderator = params["ChannelModeratorArn"]
        if moderator not in channel.moderators:
            raise ChimeSdkError("The user is not a moderator of the channel.")
        channel.moderators.discard(moderator)
        return 204, {}

    def _create_moderator(self, params: Params, bearer: str | None) -> Answer:
        channel = self._managed(params, bearer)
        moderator = params["ChannelModeratorArn"]
        if moderator not in self.users:
            raise ChimeSdkError(f"{moderator} is not a user of the AppInstance.")
        if moderator in channel.moderators:
            raise ChimeSdkError("The user is already a moderator.", "ConflictException")
        channel.moderators.add(moderator)
        return 201, {"ChannelArn": channel.arn, "ChannelModerator": self.identity(moderator)}

    # --- messages -----------------------------------------------------------------------------

    def _send_message(self, params: Params, bearer: str | None) -> Answer:
        channel = self._channel(params)
        if bearer not in channel.members:
            raise _forbidden(f"{bearer} is not a member of the channel.")
        token = params["ClientRequestToken"]
        earlier = next((m for m in channel.messages if m.client_request_token == token), None)
        if earlier is not None:
            if earlier.content != params["Content"] or earlier.sender != bearer:
                raise ChimeSdkError(
                    "The ClientRequestToken was used for another message.", "ConflictException"
                )
            message = earlier  # the same request again: the same message
        else:
            message = self.post(
                channel,
                str(bearer),
                params["Content"],
                type=params["Type"],
                persistence=params["Persistence"],
                content_type=params.get("ContentType"),
                sub_channel_id=params.get("SubChannelId"),
                client_request_token=token,
            )
        data: dict[str, Any] = {
            "ChannelArn": channel.arn,
            "MessageId": message.message_id,
            "Status": {"Value": "SENT"},
        }
        if message.sub_channel_id:
            data["SubChannelId"] = message.sub_channel_id
        return 201, data

    def post(self, channel: Channel, sender: str, content: str, **extra: Any) -> StoredMessage:
        """A message into the channel (by a user or through SendChannelMessage): listeners (the
        messaging session) are told."""
        message = channel.post(sender, content, **extra)
        for listener in list(self.on_message):
            listener(channel, message)
        return message

    def _list_messages(self, params: Params, bearer: str | None) -> Answer:
        channel = self._readable(params, bearer)
        kept = [m for m in channel.messages if m.persistence == "PERSISTENT"]
        if "SubChannelId" in params:
            kept = [m for m in kept if m.sub_channel_id == params["SubChannelId"]]
        # Timestamps are compared in whole milliseconds, the service's precision.
        if (after := _when(params.get("NotBefore"))) is not None:
            kept = [m for m in kept if _ms(m.created) >= _ms(after)]
        if (before := _when(params.get("NotAfter"))) is not None:
            kept = [m for m in kept if _ms(m.created) <= _ms(before)]
        if params.get("SortOrder", "DESCENDING") == "DESCENDING":
            kept.reverse()
        items = [m.summary(self.users) for m in kept]
        return self._paged("ChannelMessages", items, params, ChannelArn=channel.arn)

    def _get_message(self, params: Params, bearer: str | None) -> Answer:
        channel = self._readable(params, bearer)
        found = next((m for m in channel.messages if m.message_id == params["MessageId"]), None)
        if found is None:
            raise ChimeSdkError("The message does not exist.", "NotFoundException")
        data = found.summary(self.users) | {"ChannelArn": channel.arn}
        return 200, {"ChannelMessage": data}

    # --- users --------------------------------------------------------------------------------

    def _user_channels(self, params: Params, bearer: str | None) -> Answer:
        user = params.get("AppInstanceUserArn", bearer)
        if user != bearer and bearer not in self.admins:
            raise _forbidden("Only an AppInstanceAdmin may list another user's channels.")
        items = [
            {
                "ChannelSummary": {
                    "Name": c.name,
                    "ChannelArn": c.arn,
                    "Mode": c.mode,
                    "Privacy": c.privacy,
                },
                "AppInstanceUserMembershipSummary": {"Type": c.members[user]},
            }
            for c in self.channels.values()
            if user in c.members
        ]
        return self._paged("ChannelMemberships", items, params)

    def _session_endpoint(self, params: Params, bearer: str | None) -> Answer:
        if self.session_endpoint is None:
            raise ChimeSdkError("No messaging session is served.", "ServiceUnavailableException")
        return 200, {"Endpoint": {"Url": self.session_endpoint}}

    def _list_admins(self, params: Params, bearer: str | None) -> Answer:
        if params["AppInstanceArn"] != self.app_instance:
            raise ChimeSdkError("The AppInstance does not exist.", "BadRequestException")
        items = [{"Admin": self.identity(arn)} for arn in sorted(self.admins)]
        return self._paged("AppInstanceAdmins", items, params, AppInstanceArn=self.app_instance)

    def _describe_user(self, params: Params, bearer: str | None) -> Answer:
        arn = params["AppInstanceUserArn"]
        if arn not in self.users:
            raise ChimeSdkError("The AppInstanceUser does not exist.", "BadRequestException")
        return 200, {"AppInstanceUser": {"AppInstanceUserArn": arn, "Name": self.users[arn]}}


def _ms(when: float) -> int:
    return round(when * 1000)


def _when(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
