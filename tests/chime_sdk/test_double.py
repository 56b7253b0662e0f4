"""The double itself: it refuses what the real service would (a bad signature, no bearer, an
input the model forbids) and records it as a violation; ListChannelMessages pages in order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bot.testing.chime_sdk.double import ChimeSdkDouble


def client(sdk: ChimeSdkDouble, service: str = "chime-sdk-messaging", **keys: str) -> Any:
    return botocore.session.Session().create_client(
        service,
        region_name=sdk.region,
        endpoint_url=sdk.url,
        aws_access_key_id=keys.get("key", sdk.access_key),
        aws_secret_access_key=keys.get("secret", sdk.secret_key),
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def desk(sdk: ChimeSdkDouble) -> Iterator[str]:
    yield f"{sdk.app_instance_arn}/channel/desk"
    sdk.violations.clear()  # each test checks the ones it caused


async def call(method: Any, **params: Any) -> Any:
    return await asyncio.to_thread(method, **params)


async def test_a_wrong_signature_is_refused(sdk: ChimeSdkDouble, desk: str) -> None:
    wrong = client(sdk, secret="not-the-secret")
    with pytest.raises(ClientError) as caught:
        await call(wrong.describe_channel, ChannelArn=desk, ChimeBearer=sdk.bot)
    assert caught.value.response["Error"]["Code"] == "ForbiddenException"
    assert any("[sigv4]" in v and "SignatureDoesNotMatch" in v for v in sdk.violations)


async def test_a_bearer_that_is_no_user_is_refused(sdk: ChimeSdkDouble, desk: str) -> None:
    stranger = f"{sdk.app_instance_arn}/user/nobody"
    with pytest.raises(ClientError) as caught:
        await call(client(sdk).describe_channel, ChannelArn=desk, ChimeBearer=stranger)
    assert caught.value.response["Error"]["Code"] == "ForbiddenException"
    assert any("[bearer]" in v for v in sdk.violations)


async def test_an_input_against_the_model_is_refused(sdk: ChimeSdkDouble, desk: str) -> None:
    messaging = client(sdk)
    # botocore would refuse a bad pattern itself only for lengths; the double checks patterns.
    with pytest.raises(ClientError) as caught:
        await call(
            messaging.delete_channel_membership,
            ChannelArn=desk,
            MemberArn="not an arn at all",
            ChimeBearer=sdk.bot,
        )
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert any("[model]" in v and "does not match" in v for v in sdk.violations)


async def test_a_user_who_is_no_moderator_may_not_remove(sdk: ChimeSdkDouble, desk: str) -> None:
    with pytest.raises(ClientError) as caught:
        await call(
            client(sdk).delete_channel_membership,
            ChannelArn=desk,
            MemberArn=sdk.user_arn("dave"),
            ChimeBearer=sdk.user_arn("bob"),
        )
    assert caught.value.response["Error"]["Code"] == "ForbiddenException"
    assert sdk.user_arn("dave") in sdk.channel(desk).members


async def test_channel_messages_page_in_either_order(sdk: ChimeSdkDouble, desk: str) -> None:
    sent = [sdk.say(sdk.user_arn("alice"), desk, f"line {n}") for n in range(5)]
    start = sent[0].created - 10
    for n, message in enumerate(sent):  # a second apart, as if typed
        message.created = round(start + n, 3)
    messaging = client(sdk)
    first = await call(
        messaging.list_channel_messages, ChannelArn=desk, ChimeBearer=sdk.bot, MaxResults=2
    )
    assert [m["MessageId"] for m in first["ChannelMessages"]] == [
        sent[4].message_id,
        sent[3].message_id,
    ]  # newest first by default
    since = datetime.fromtimestamp(sent[2].created, UTC)
    pages, token = [], None
    while True:
        extra: dict[str, Any] = {"NextToken": token} if token else {}
        page = await call(
            messaging.list_channel_messages,
            ChannelArn=desk,
            ChimeBearer=sdk.bot,
            SortOrder="ASCENDING",
            NotBefore=since,
            MaxResults=1,
            **extra,
        )
        pages += [m["Content"] for m in page["ChannelMessages"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == ["line 2", "line 3", "line 4"]
    assert isinstance(page["ChannelMessages"][0]["CreatedTimestamp"], datetime)
    assert sdk.violations == []


async def test_identity_calls_carry_no_bearer(sdk: ChimeSdkDouble) -> None:
    sdk.operations.admins.add(sdk.user_arn("frank"))
    identity = client(sdk, "chime-sdk-identity")
    admins = await call(identity.list_app_instance_admins, AppInstanceArn=sdk.app_instance_arn)
    assert [a["Admin"]["Arn"] for a in admins["AppInstanceAdmins"]] == [sdk.user_arn("frank")]
    (listed,) = sdk.calls("ListAppInstanceAdmins")
    assert listed.bearer is None
    assert sdk.violations == []


async def test_a_membership_keeps_the_type_it_was_created_with(
    sdk: ChimeSdkDouble, desk: str
) -> None:
    """As the model says: HIDDEN members are listed only when that Type is asked for; the
    membership, and the user's own channel list, say its Type."""
    messaging, erin = client(sdk), sdk.user_arn("erin")
    sdk.operations.admins.add(sdk.bot)
    await call(
        messaging.create_channel_membership,
        ChannelArn=desk,
        MemberArn=erin,
        Type="HIDDEN",
        ChimeBearer=sdk.bot,
    )
    assert sdk.channel(desk).members[erin] == "HIDDEN"

    async def listed(**kind: str) -> set[str]:
        page = await call(
            messaging.list_channel_memberships, ChannelArn=desk, ChimeBearer=sdk.bot, **kind
        )
        return {m["Member"]["Arn"] for m in page["ChannelMemberships"]}

    assert erin not in await listed()
    assert erin not in await listed(Type="DEFAULT")
    assert await listed(Type="HIDDEN") == {erin}
    described = await call(
        messaging.describe_channel_membership, ChannelArn=desk, MemberArn=erin, ChimeBearer=sdk.bot
    )
    assert described["ChannelMembership"]["Type"] == "HIDDEN"
    (mine,) = (
        await call(
            messaging.list_channel_memberships_for_app_instance_user,
            AppInstanceUserArn=erin,
            ChimeBearer=sdk.bot,
        )
    )["ChannelMemberships"]
    assert mine["AppInstanceUserMembershipSummary"]["Type"] == "HIDDEN"
    assert sdk.violations == []
