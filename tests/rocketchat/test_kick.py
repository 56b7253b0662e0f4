"""!kick end to end: outgoing webhook -> bot -> REST API -> reply in the thread."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, CAROL, DAVE, DESK, FRANK, GRACE, Room, visible


async def test_a_kick_mentions_the_caller_and_the_target_and_names_the_room(
    server: RocketChatServer, desk: Room
) -> None:
    reply = await desk.say(ALICE, "!kick @bob spamming the desk")
    assert reply.mentions == ["alice", "bob"]
    assert server.calls("groups.kick")[0].body == {"roomId": DESK, "userId": BOB}


async def test_owner_kicks_member_from_public_channel(server: RocketChatServer, town: Room) -> None:
    reply = await town.say(ALICE, "!kick @bob off-topic")
    assert "Removed @bob — reason: off-topic" in visible(reply.msg)
    assert BOB not in town.members
    assert server.changing_calls() == [f"channels.kick {BOB}"]
    assert server.calls(r"^groups\.") == []  # the room's type decided the endpoint family


async def test_room_type_is_looked_up_once(server: RocketChatServer, town: Room) -> None:
    await town.say(ALICE, "!kick @bob")
    await town.say(ALICE, "!kick @carol")
    # rooms.info once per command (it says whether the room is archived); the type it gave is
    # remembered, so no command needed a second look-up.
    assert len(server.calls("rooms.info")) == 2
    assert server.changing_calls() == [f"channels.kick {BOB}", f"channels.kick {CAROL}"]


async def test_mention_of_the_bot_then_a_bare_command(server: RocketChatServer, desk: Room) -> None:
    reply = await desk.say(ALICE, "@kickbot kick @bob")
    assert "Removed @bob." in visible(reply.msg)
    # a full stop right after a mention is not read as part of the username (it notifies bob)
    assert reply.mentions == ["alice", "bob"]
    assert BOB not in desk.members


async def test_an_address_is_looked_up_by_email(server: RocketChatServer, desk: Room) -> None:
    await desk.say(ALICE, "!kick @bob dave@globex.example")
    assert {"email": "dave@globex.example"} in [r.query for r in server.calls("users.info")]


async def test_one_lookup_per_distinct_username(server: RocketChatServer, desk: Room) -> None:
    await desk.say(ALICE, "!kick @bob @bob")
    lookups = [r.query for r in server.calls("users.info")]
    assert lookups.count({"username": "bob"}) == 1
    assert server.changing_calls() == [f"groups.kick {BOB}"]


async def test_moderator_counts_as_room_owner(server: RocketChatServer, desk: Room) -> None:
    reply = await desk.say(DAVE, "!kick @bob")
    assert "Removed @bob." in visible(reply.msg)
    assert BOB not in desk.members


async def test_global_admin_counts_as_room_owner(server: RocketChatServer, town: Room) -> None:
    reply = await town.say(GRACE, "!kick @bob")
    assert "Removed @bob." in visible(reply.msg)
    assert server.changing_calls() == [f"channels.kick {BOB}"]


async def test_user_named_in_the_policy_by_id(server: RocketChatServer, desk: Room) -> None:
    reply = await desk.say(FRANK, "!kick @bob")
    assert "Removed @bob." in visible(reply.msg)


async def test_typed_name_of_nobody_gets_a_hint(server: RocketChatServer, desk: Room) -> None:
    reply = await desk.say(ALICE, "!kick @robert please")
    text = visible(reply.msg)
    assert "“@robert” is typed text, not a mention." in text
    assert "Usage: `!kick @user [@user …] [reason…]`" in text
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
