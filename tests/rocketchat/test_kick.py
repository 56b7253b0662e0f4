"""!kick on Rocket.Chat's wire: outgoing webhook -> bot -> REST API -> reply in the thread (the
outcomes every platform shares: ``tests/contract``)."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, CAROL, DAVE, DESK, Room, visible


async def test_a_kick_after_a_mention_mentions_the_caller_and_the_target(
    server: RocketChatServer, desk: Room
) -> None:
    reply = await desk.say(ALICE, "@kickbot kick @bob")
    # a full stop right after a mention ("Removed @bob.") is not read as part of the username
    assert reply.mentions == ["alice", "bob"]
    assert server.calls("groups.kick")[0].body == {"roomId": DESK, "userId": BOB}


async def test_a_public_channel_is_kicked_from_by_its_own_endpoint_looked_up_once(
    server: RocketChatServer, town: Room
) -> None:
    reply = await town.say(ALICE, "!kick @bob off-topic")
    assert "Removed @bob — reason: off-topic" in visible(reply.msg)
    await town.say(ALICE, "!kick @carol")
    assert server.changing_calls() == [f"channels.kick {BOB}", f"channels.kick {CAROL}"]
    assert server.calls(r"^groups\.") == []  # the room's type decided the endpoint family
    # rooms.info once per command (it says whether the room is archived); the type it gave is
    # remembered, so no command needed a second look-up.
    assert len(server.calls("rooms.info")) == 2


async def test_one_lookup_per_distinct_username_and_addresses_by_email(
    server: RocketChatServer, desk: Room
) -> None:
    await desk.say(ALICE, "!kick @bob @bob dave@globex.example")
    lookups = [r.query for r in server.calls("users.info")]
    assert lookups.count({"username": "bob"}) == 1
    assert {"email": "dave@globex.example"} in lookups
    assert server.changing_calls() == [f"groups.kick {BOB}", f"groups.kick {DAVE}"]


async def test_typed_name_of_nobody_gets_a_hint(server: RocketChatServer, desk: Room) -> None:
    reply = await desk.say(ALICE, "!kick @robert please")
    text = visible(reply.msg)
    assert "“@robert” is typed text, not a mention." in text
    assert "robert" not in reply.mentions  # quoted back without pinging anyone
    assert [r.query for r in server.calls("users.info")].count({"username": "robert"}) == 1
    assert server.changing_calls() == []


async def test_archived_room_refuses_before_any_call(server: RocketChatServer, desk: Room) -> None:
    server.room(DESK).archived = True
    reply = await desk.say(ALICE, "!kick @bob")
    assert "This room is deactivated" in visible(reply.msg)
    assert BOB in desk.members
    assert server.changing_calls() == []


async def test_reply_goes_to_the_thread_of_the_command(
    server: RocketChatServer, desk: Room
) -> None:
    first = await desk.post(ALICE, "!help")
    reply = await server.next_message(DESK)
    assert reply.tmid == first.message_id  # a new thread on the command message
    root = server.messages(DESK, include_users=True)[0].id
    await desk.post(ALICE, "!kick @bob", tmid=root)
    reply = await server.next_message(DESK)
    assert reply.tmid == root  # a command inside a thread is answered in that thread
    assert server.calls("chat.postMessage")[-1].body["tmid"] == root


async def test_chatter_and_rocketchat_slash_commands_are_ignored(
    server: RocketChatServer, desk: Room
) -> None:
    for text in ("hello @bob", "/kick @bob", "kick @bob"):
        delivery = await desk.post(ALICE, text)
        assert delivery.status == 200
        assert delivery.body == ""  # an empty answer: Rocket.Chat posts nothing itself
    assert server.calls("users.info") == []  # no look-ups for chatter
    reply = await desk.say(ALICE, "!help")
    assert "Commands you may use here" in visible(reply.msg)
    assert len(server.messages(DESK)) == 1
    assert BOB in desk.members


async def test_nasty_reason_is_shown_as_typed_and_neither_formats_nor_pings(
    server: RocketChatServer, desk: Room
) -> None:
    reason = (
        "*bold* _it_ ~gone~ `code` [click](http://evil.example) <http://evil.example|x> "
        "# heading @all @here @carol #general ||spoiler|| > quote <t:1700000000:R>"
    )
    reply = await desk.say(ALICE, f"!kick @bob {reason}")
    raw = reply.msg
    assert visible(raw).endswith(f"Removed @bob — reason: {reason}")
    assert reply.mentions == ["alice", "bob"]  # not @all, @here nor @carol
    assert reply.channel_mentions == []
    for markup in ("*bold*", "_it_", "~gone~", "`code`", "](", "<http", "||", "<t:", "# "):
        assert markup not in raw, markup
    assert BOB not in desk.members
