"""What the session socket may carry besides commands: junk, other events, CONTROL messages,
an oversized frame, a message ahead of SESSION_ESTABLISHED. None of it is acted on wrongly,
none of it stops the bot hearing the next command."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.platforms.chime_sdk.adapter import ChimeSdkPlatform
from bot.testing.chime_sdk.demo import readable
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import ConfigMaker, start_bot
from tests.chime_sdk.test_session import (
    HELPED,
    KICKED,
    WAIT,
    caught_up,
    commands_recorded,
    desk_of,
    said,
    session_of,
)


@pytest.fixture
async def live(settings_for: ConfigMaker) -> AsyncIterator[tuple[App, ChimeSdkPlatform]]:
    app, platform = await start_bot(settings_for())
    yield app, platform
    await app.stop()


def frame(event: str, message_type: str, payload: object) -> str:
    headers = {"x-amz-chime-event-type": event, "x-amz-chime-message-type": message_type}
    return json.dumps({"Headers": headers, "Payload": json.dumps(payload)})


async def test_junk_and_other_events_are_left_alone(
    sdk: ChimeSdkDouble, live: tuple[App, ChimeSdkPlatform]
) -> None:
    app, platform = live
    desk = desk_of(sdk)
    alice = sdk.user_arn("alice")
    kick = {
        "ChannelArn": desk,
        "MessageId": "m-" + "1" * 30,
        "Content": "/kick @bob",
        "Type": "STANDARD",
        "Sender": {"Arn": alice, "Name": "Alice"},
        "CreatedTimestamp": "2026-12-07T14:00:00.000Z",
    }
    for raw in (
        "not json",
        "[]",
        json.dumps({"Headers": {"x-amz-chime-event-type": 7}}),
        json.dumps({"Headers": {"x-amz-chime-event-type": "CREATE_CHANNEL_MESSAGE"}}),
        frame("CREATE_CHANNEL_MESSAGE", "STANDARD", "[1, 2]"),
        frame("CREATE_CHANNEL_MESSAGE", "STANDARD", {**kick, "ChannelArn": None}),
        frame("CREATE_CHANNEL_MESSAGE", "CONTROL", {**kick, "Type": "CONTROL"}),
        frame("UPDATE_CHANNEL_MESSAGE", "STANDARD", {**kick, "MessageId": "m-update"}),
        frame("DELETE_CHANNEL_MEMBERSHIP", "SYSTEM", {"ChannelArn": desk}),
        frame("CREATE_CHANNEL_MESSAGE", "STANDARD", {**kick, "Redacted": True}),
    ):
        sdk.sessions.send_raw(raw)
    assert HELPED in await said(sdk, "alice", desk, "/help")
    assert [c for _, c in await commands_recorded(app)] == ["help"]
    assert sdk.user_arn("bob") in sdk.channel(desk).members
    assert session_of(platform).connections == 1


async def test_an_oversized_frame_ends_the_socket_and_the_bot_reconnects(
    sdk: ChimeSdkDouble, live: tuple[App, ChimeSdkPlatform]
) -> None:
    _, platform = live
    sdk.sessions.send_raw("x" * (300 * 1024))  # over the 256 KiB kickbot reads
    await sdk.sessions.wait_for_recorded(lambda a: a.accepted, count=2)
    await caught_up(platform)
    assert session_of(platform).connections == 2
    assert HELPED in await said(sdk, "alice", desk_of(sdk), "/help")


async def test_a_message_ahead_of_session_established_is_held_then_handled(
    sdk: ChimeSdkDouble, live: tuple[App, ChimeSdkPlatform]
) -> None:
    app, _ = live
    desk = desk_of(sdk)
    sdk.sessions.refuse_next(times=1_000_000)
    sdk.sessions.drop()
    await sdk.sessions.wait_for_no_session()
    # Not kept in the history: only the early frame can bring it to the bot.
    message = sdk.say(sdk.user_arn("alice"), desk, "/kick @bob", persistence="NON_PERSISTENT")
    sdk.sessions.before_established_next(sdk.payload(desk, message))
    sdk.sessions.accept_again()
    assert KICKED in readable((await sdk.next_message(desk, timeout=WAIT)).content)
    assert HELPED in await said(sdk, "alice", desk, "/help")
    assert [c for _, c in await commands_recorded(app)] == ["kick", "help"]
