"""The REST calls of the messaging session and its catch-up, through the adapter's signed
client (the bot's ARN the bearer of each): GetMessagingSessionEndpoint,
ListChannelMembershipsForAppInstanceUser, DescribeChannelMembership, ListChannelMessages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from bot import errors
from bot.platforms.chime_sdk.client import ChimeSdkClient
from bot.platforms.chime_sdk.session_wire import timestamp


class ClientSessionApi:
    def __init__(self, client: ChimeSdkClient, bot_arn: str) -> None:
        self._client = client
        self._bot_arn = bot_arn

    async def messaging_session_endpoint(self) -> str:
        answer = await self._client.call("GetMessagingSessionEndpoint")
        endpoint = answer.get("Endpoint")
        url = endpoint.get("Url") if isinstance(endpoint, dict) else None
        if not isinstance(url, str) or not url:
            raise errors.Unavailable("GetMessagingSessionEndpoint gave no Url", status=502)
        return url

    async def bot_channels(self) -> AsyncIterator[tuple[str, str | None]]:
        async for item in self._client.pages(
            "ListChannelMembershipsForAppInstanceUser",
            "ChannelMemberships",
            AppInstanceUserArn=self._bot_arn,
        ):
            summary = item.get("ChannelSummary")
            channel = summary.get("ChannelArn") if isinstance(summary, dict) else None
            if not isinstance(channel, str) or not channel:
                continue
            membership = item.get("AppInstanceUserMembershipSummary")
            sub = membership.get("SubChannelId") if isinstance(membership, dict) else None
            yield channel, sub if isinstance(sub, str) and sub else None

    async def joined_at(self, channel_arn: str, sub_channel: str | None) -> float | None:
        params: dict[str, Any] = {"ChannelArn": channel_arn, "MemberArn": self._bot_arn}
        if sub_channel:
            params["SubChannelId"] = sub_channel
        try:
            answer = await self._client.call("DescribeChannelMembership", **params)
        except errors.NotFound:
            return None
        membership = answer.get("ChannelMembership")
        if not isinstance(membership, dict):
            return None
        return timestamp(membership.get("CreatedTimestamp"))

    async def channel_messages(
        self, channel_arn: str, sub_channel: str | None, not_before: float
    ) -> AsyncIterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "ChannelArn": channel_arn,
            "SortOrder": "ASCENDING",
            "NotBefore": datetime.fromtimestamp(max(0.0, not_before), UTC),
        }
        if sub_channel:
            params["SubChannelId"] = sub_channel
        async for summary in self._client.pages("ListChannelMessages", "ChannelMessages", **params):
            message = dict(summary, ChannelArn=channel_arn)
            if sub_channel:
                message["SubChannelId"] = sub_channel
            yield message
