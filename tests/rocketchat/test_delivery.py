"""The outgoing webhook: token in constant time, a fast empty answer, redeliveries act once,
a message that cannot be recorded is answered 500 so the integration delivers it again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import App
from bot.testing.rocketchat.server import RocketChatServer
from tests.kit import cases, lock_store
from tests.rocketchat.conftest import ALICE, BOB, DESK, Room, platform_of, visible


async def test_good_token_is_answered_at_once_with_an_empty_body(
    server: RocketChatServer, desk: Room, bot: App
) -> None:
    delivery = await desk.post(ALICE, "!kick @bob")
    assert (delivery.status, delivery.body) == (200, "")
    reply = await server.next_message(DESK)
    assert "Removed @bob." in visible(reply.msg)


async def test_wrong_or_missing_token_is_refused_and_nothing_recorded(
    server: RocketChatServer, desk: Room, bot: App
) -> None:
    await desk.post(ALICE, "!help")  # a good one, to have a payload to forge from
    await server.next_message(DESK)
    before, calls = await cases(bot), len(server.requests)
    payload = {
        "channel_id": DESK,
        "message_id": "forged-1",
        "user_id": ALICE,
        "user_name": "alice",
        "text": "!kick @bob",
    }
    assert (await server.deliver(payload, token="not-the-token")).status == 403
    assert (await server.deliver(payload, token="")).status == 403
    assert await cases(bot) == before
    assert len(server.requests) == calls  # not even a look-up
    assert BOB in desk.members


async def test_malformed_deliveries_are_refused(server: RocketChatServer, bot: App) -> None:
    url = platform_of(bot).webhook_url
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=b"not json") as response:
            assert response.status == 415  # not even of the JSON type
        json_type = {"Content-Type": "application/json"}
        async with session.post(url, data=b"not json", headers=json_type) as response:
            assert response.status == 400
        body = {"token": server.webhook_token, "text": "!kick @bob"}
        async with session.post(url, json=body) as response:
            assert response.status == 400  # no message id, room or user
    assert await cases(bot) == 0


async def test_redelivered_message_acts_once(server: RocketChatServer, desk: Room) -> None:
    first = await desk.post(ALICE, "!kick @bob")
    reply = await server.next_message(DESK)
    assert "Removed @bob." in visible(reply.msg)
    assert (await server.redeliver(first.message_id)).status == 200
    second = await desk.say(ALICE, "!help")
    assert "Commands you may use here" in visible(second.msg)  # no second !kick reply
    assert server.changing_calls() == [f"groups.kick {BOB}"]


async def test_simultaneous_duplicate_deliveries_act_once(
    server: RocketChatServer, desk: Room
) -> None:
    first = await desk.post(ALICE, "!kick @bob")
    again = await asyncio.gather(*(server.redeliver(first.message_id) for _ in range(3)))
    assert {d.status for d in again} == {200}
    await server.next_message(DESK)
    reply = await desk.say(ALICE, "!help")
    assert "Commands you may use here" in visible(reply.msg)
    assert server.changing_calls() == [f"groups.kick {BOB}"]
    assert len(server.messages(DESK)) == 2


async def test_a_message_that_cannot_be_recorded_is_answered_500_and_redelivered(
    server: RocketChatServer, desk: Room, tmp_path: Path
) -> None:
    lock = lock_store(tmp_path / "kickbot.db")
    try:
        first = await desk.post(ALICE, "!kick @bob")
    finally:
        lock.rollback()
        lock.close()
    assert first.status == 500  # the integration's "Retry Failed Calls" delivers it again
    assert server.changing_calls() == []
    assert server.messages(DESK) == []
    assert (await server.redeliver(first.message_id)).status == 200
    reply = await server.next_message(DESK)
    assert "Removed @bob." in visible(reply.msg)
    assert server.changing_calls() == [f"groups.kick {BOB}"]


async def test_the_bots_own_messages_are_ignored(server: RocketChatServer, desk: Room) -> None:
    delivery = await server.say(server.bot_user_id, DESK, "!kick @bob")
    assert delivery.status == 200
    assert (await server.next_message(DESK)).msg == "!kick @bob"  # the bot's own message
    reply = await desk.say(ALICE, "!help")
    assert "Commands you may use here" in visible(reply.msg)
    assert server.changing_calls() == []
