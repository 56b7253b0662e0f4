"""Commands over the messaging session, end to end: the real bot (botocore's signed client, the
``websockets`` client) against the double's REST API and session WebSocket on 127.0.0.1.

Nothing here waits for a time to pass: "nothing happened" is shown by a later command's reply,
since a channel's messages are delivered, and handled, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.platforms.chime_sdk.adapter import ChimeSdkPlatform
from bot.platforms.chime_sdk.session import MessagingSession, SessionRefused
from bot.settings import Settings
from bot.testing.chime_sdk.demo import readable
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import ConfigMaker, start_bot

WAIT = 20.0
KICKED, HELPED = "`/kick` · case", "`/help` · case"


def session_of(platform: ChimeSdkPlatform) -> MessagingSession:
    session = platform.messaging_session
    assert session is not None
    return session


async def caught_up(platform: ChimeSdkPlatform) -> MessagingSession:
    session = session_of(platform)
    await asyncio.wait_for(session.caught_up.wait(), WAIT)
    return session


def desk_of(sdk: ChimeSdkDouble) -> str:
    return f"{sdk.app_instance_arn}/channel/desk"


def replies(sdk: ChimeSdkDouble, channel: str) -> list[str]:
    return [readable(m.content) for m in sdk.bot_messages(channel)]


async def said(sdk: ChimeSdkDouble, person: str, channel: str, text: str) -> str:
    """``person`` posts ``text`` (published on the session like any message); the bot's next
    reply in the channel."""
    sdk.say(sdk.user_arn(person), channel, text)
    return readable((await sdk.next_message(channel, timeout=WAIT)).content)


async def commands_recorded(app: App) -> list[tuple[str, str]]:
    assert app.store is not None

    def read(conn: object) -> list[tuple[str, str]]:
        rows = conn.rows("SELECT event_id, command FROM commands ORDER BY id")  # type: ignore[attr-defined]
        return [(str(r["event_id"]), str(r["command"])) for r in rows]

    return await app.store.database.run(read)


@pytest.fixture
async def live(settings_for: ConfigMaker) -> AsyncIterator[tuple[App, ChimeSdkPlatform]]:
    app, platform = await start_bot(settings_for())
    await caught_up(platform)
    yield app, platform
    await app.stop()


async def test_a_command_over_the_session_is_acted_on_once(
    sdk: ChimeSdkDouble, live: tuple[App, ChimeSdkPlatform]
) -> None:
    app, _ = live
    desk = desk_of(sdk)
    reply = await said(sdk, "alice", desk, "/kick @bob spamming")
    assert KICKED in reply
    assert sdk.user_arn("bob") not in sdk.channel(desk).members
    # The reply came back to the bot over the session too (as to every member); then /help.
    assert HELPED in await said(sdk, "alice", desk, "/help")
    assert [c for _, c in await commands_recorded(app)] == ["kick", "help"]
    assert len(replies(sdk, desk)) == 2
    assert sdk.sessions.events_sent >= 4  # two commands, two replies
    assert [a.accepted for a in sdk.sessions.requests] == [True]


async def test_the_bots_own_messages_are_ignored(
    sdk: ChimeSdkDouble, live: tuple[App, ChimeSdkPlatform]
) -> None:
    app, _ = live
    desk = desk_of(sdk)
    sdk.say(sdk.bot, desk, "/kick @dave")  # the bot's own message, delivered to it
    assert (await sdk.next_message(desk)).content == "/kick @dave"  # (read past it)
    assert HELPED in await said(sdk, "alice", desk, "/help")
    assert sdk.user_arn("dave") in sdk.channel(desk).members
    assert [c for _, c in await commands_recorded(app)] == ["help"]


async def test_a_command_sent_while_the_connection_is_down_is_caught_up_once(
    sdk: ChimeSdkDouble, live: tuple[App, ChimeSdkPlatform]
) -> None:
    app, platform = live
    desk = desk_of(sdk)
    session = session_of(platform)
    sdk.sessions.refuse_next(times=1_000_000, status=503)  # an outage, until accept_again
    sdk.sessions.drop()
    await sdk.sessions.wait_for_no_session()
    sdk.say(sdk.user_arn("alice"), desk, "/kick @bob while away")  # delivered to no socket
    refused = len(sdk.sessions.recorded(lambda a: not a.accepted))
    await sdk.sessions.wait_for_recorded(lambda a: not a.accepted, count=refused + 2)
    sdk.sessions.accept_again()  # the bot has kept trying (with backoff): now it gets in
    reply = readable((await sdk.next_message(desk, timeout=WAIT)).content)
    assert KICKED in reply
    assert sdk.user_arn("bob") not in sdk.channel(desk).members
    await caught_up(platform)
    assert session.connections == 2
    attempts = [a.accepted for a in sdk.sessions.requests]
    assert attempts[0] is True
    assert attempts[-1] is True
    assert attempts.count(False) >= 2
    assert sdk.calls("ListChannelMessages")  # read from the channel's history
    # Read again (the catch-up reads a little before its position) but acted on once.
    assert HELPED in await said(sdk, "alice", desk, "/help")
    assert [c for _, c in await commands_recorded(app)] == ["kick", "help"]
    assert len(replies(sdk, desk)) == 2


async def test_failing_endpoint_and_history_calls_are_tried_again(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    desk = desk_of(sdk)
    settings = settings_for({"retry_attempts": 1})  # no retries in the client: the session's
    app, _ = await start_bot(settings)
    await app.stop()
    sdk.say(sdk.user_arn("alice"), desk, "/kick @bob while the bot was stopped")
    sdk.fail_next("GetMessagingSessionEndpoint", "ServiceUnavailableException", times=2)
    sdk.fail_next("ListChannelMessages", "ThrottledClientException", times=3)
    app, _ = await start_bot(settings)
    try:
        assert KICKED in readable((await sdk.next_message(desk, timeout=WAIT)).content)
        assert HELPED in await said(sdk, "alice", desk, "/help")
        assert [c for _, c in await commands_recorded(app)] == ["kick", "help"]
    finally:
        await app.stop()
    statuses = [c.status for c in sdk.calls("GetMessagingSessionEndpoint")]
    assert statuses == [200, 503, 503, 200]
    assert [c.status for c in sdk.calls("ListChannelMessages")].count(429) == 3


async def test_a_restart_catches_up_without_acting_twice(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    desk = desk_of(sdk)
    settings = settings_for()
    app, platform = await start_bot(settings)
    await caught_up(platform)
    assert HELPED in await said(sdk, "alice", desk, "/help")
    await app.stop()
    sdk.say(sdk.user_arn("alice"), desk, "/kick @bob while the bot was stopped")
    app, platform = await start_bot(settings)  # a new instance on the same store
    try:
        reply = readable((await sdk.next_message(desk, timeout=WAIT)).content)
        assert KICKED in reply
        await caught_up(platform)
    finally:
        await app.stop()
    app, platform = await start_bot(settings)  # again: the kick is read again, not redone
    try:
        await caught_up(platform)
        assert HELPED in await said(sdk, "carol", desk, "/help")
        assert [c for _, c in await commands_recorded(app)] == ["help", "kick", "help"]
    finally:
        await app.stop()
    assert sum(KICKED in r for r in replies(sdk, desk)) == 1
    assert sdk.user_arn("bob") not in sdk.channel(desk).members


async def test_the_first_start_leaves_older_messages_alone(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    desk = desk_of(sdk)
    sdk.say(sdk.user_arn("alice"), desk, "/kick @bob typed before kickbot was ever started")
    app, _ = await start_bot(settings_for())
    try:
        assert HELPED in await said(sdk, "alice", desk, "/help")
        assert [c for _, c in await commands_recorded(app)] == ["help"]
    finally:
        await app.stop()
    assert sdk.user_arn("bob") in sdk.channel(desk).members


async def refused(settings: Settings, why: str) -> None:
    """The bot started on ``settings``: its messaging session is refused, saying ``why``."""
    app, platform = await start_bot(settings, listening=False)
    try:
        feed = session_of(platform).feed
        assert feed is not None
        with pytest.raises(SessionRefused, match=why):
            await asyncio.wait_for(feed, WAIT)
    finally:
        await app.stop()


async def test_a_forbidden_close_ends_the_session_and_says_why(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    sdk.sessions.close_next(4401)
    await refused(settings_for(), "4401")
    assert [a.accepted for a in sdk.sessions.requests] == [True]


async def test_wrong_credentials_are_refused_and_nothing_is_heard(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    await refused(settings_for(), "GetMessagingSessionEndpoint")
    assert sdk.sessions.requests == []
    assert all("SignatureDoesNotMatch" in v for v in sdk.violations)
    assert sdk.violations  # the double saw the wrong signature (and refused it)
    sdk.violations.clear()


async def test_a_channel_joined_while_away_is_read_from_when_the_bot_joined(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    settings = settings_for()
    app, _ = await start_bot(settings)  # a first session: the horizon is set
    await app.stop()
    alice, bob, dave = (sdk.user_arn(p) for p in ("alice", "bob", "dave"))
    ops = sdk.add_channel("ops2", "Ops 2", moderators=[alice], members=[bob, dave], with_bot=False)
    early = sdk.say(alice, ops, "/kick @bob typed before kickbot was a member")
    now = early.created
    early.created = now - 5  # (the history orders by creation; made explicit here)
    channel = sdk.channel(ops)
    channel.members[sdk.bot] = "DEFAULT"
    channel.moderators.add(sdk.bot)
    channel.joined[sdk.bot] = now - 2
    sdk.say(alice, ops, "/kick @dave after kickbot joined")
    app, _ = await start_bot(settings)
    try:
        reply = readable((await sdk.next_message(ops, timeout=WAIT)).content)
        assert KICKED in reply
        assert "dave" in reply
        assert HELPED in await said(sdk, "alice", ops, "/help")
        assert [c for _, c in await commands_recorded(app)] == ["kick", "help"]
    finally:
        await app.stop()
    assert bob in channel.members
    assert dave not in channel.members
    assert sdk.calls("DescribeChannelMembership")


async def test_a_service_restart_close_is_reconnected(
    sdk: ChimeSdkDouble, live: tuple[App, ChimeSdkPlatform]
) -> None:
    _, platform = live
    session = session_of(platform)
    sdk.sessions.close_next(1012)  # the next socket: established, then "service restart"
    sdk.sessions.drop()
    desk = desk_of(sdk)
    await sdk.sessions.wait_for_recorded(lambda a: a.accepted, count=3)
    await caught_up(platform)
    assert session.connections == 3
    assert HELPED in await said(sdk, "alice", desk, "/help")
