"""Removal notices on Matrix (real Synapse): a direct room recorded in the bot's ``m.direct``
account data, reused on the next notice; a person who refuses invites is said in the reply."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.testing.matrix import Account, MatrixCallError
from tests.matrix.conftest import World

NOTIFY = {"removed_users": True, "contact": "compliance@example.com"}


async def direct_rooms(world: World) -> dict[str, list[str]]:
    """The bot's direct rooms by person (its ``m.direct`` account data; none before the first)."""
    path = f"/_matrix/client/v3/user/{quote(world.bot.user_id)}/account_data/m.direct"
    try:
        found: dict[str, list[str]] = await world.hs.request(world.bot, "GET", path)
    except MatrixCallError as err:
        if err.errcode != "M_NOT_FOUND":  # M_NOT_FOUND: never set
            raise
        return {}
    return found


async def notices(world: World, who: Account, room: str) -> list[dict[str, Any]]:
    """The messages ``who`` reads in ``room``, oldest first."""
    path = f"/_matrix/client/v3/rooms/{quote(room)}/messages"
    page = await world.hs.request(who, "GET", path, params={"dir": "b", "limit": "50"})
    return [e for e in reversed(page["chunk"]) if e["type"] == "m.room.message"]


async def test_removed_person_is_told_in_a_direct_room_reused_next_time(world: World) -> None:
    """The notice's lines: tests/contract/test_notices.py; here, how it travels and reads."""
    await world.start_bot(world.settings(notify=NOTIFY))
    bob = world.bob
    await world.ask(world.alice, f"!kick {bob.user_id} posted <b>@room</b> spam")
    (room,) = (await direct_rooms(world))[bob.user_id]
    invite = await world.hs.state(world.bot, room, "m.room.member", bob.user_id)
    assert invite["membership"] == "invite"
    assert invite["is_direct"] is True
    join_rules = await world.hs.state(world.bot, room, "m.room.join_rules")
    assert join_rules["join_rule"] == "invite"  # private
    await world.hs.join(bob, room)
    (notice,) = await notices(world, bob, room)
    assert notice["sender"] == world.bot.user_id
    content = notice["content"]
    assert content["msgtype"] == "m.notice"
    assert content["body"].splitlines()[1] == "Reason: posted <b>@room</b> spam"
    # The reason is escaped in the HTML, and only the caller is mentioned (no @room ping).
    assert "Reason: posted &lt;b&gt;@room&lt;/b&gt; spam" in content["formatted_body"]
    assert content["m.mentions"] == {"user_ids": [world.alice.user_id]}
    # Bob leaves the direct room, comes back to the room and is removed again.
    await world.hs.request(bob, "POST", f"/_matrix/client/v3/rooms/{quote(room)}/leave", {})
    await world.hs.invite(world.alice, world.ops, bob.user_id)
    await world.hs.join(bob, world.ops)
    assert "Removed Bob" in (await world.ask(world.alice, f"!kick {bob.user_id} again")).body
    assert (await direct_rooms(world))[bob.user_id] == [room]  # no second room
    member = await world.hs.state(world.bot, room, "m.room.member", bob.user_id)
    assert member["membership"] == "invite"  # invited back into the same room
    await world.hs.join(bob, room)
    bodies = [n["content"]["body"].splitlines()[1] for n in await notices(world, bob, room)]
    assert bodies == ["Reason: posted <b>@room</b> spam", "Reason: again"]


async def test_someone_who_refuses_invites_is_said_and_no_room_is_left(world: World) -> None:
    """Done and said: tests/contract/test_notices.py; here, Matrix's reason, and no room left."""
    await world.start_bot(world.settings(notify=NOTIFY))
    bob = world.bob
    path = f"/_matrix/client/v3/user/{quote(bob.user_id)}/account_data/m.invite_permission_config"
    await world.hs.request(bob, "PUT", path, {"default_action": "block"})
    before = await bot_rooms(world)
    reply = await world.ask(world.alice, f"!kick {bob.user_id}")
    assert (
        "Could not send Bob the removal notice: the platform refused (403), the bot lacks the "
        "right here: M_INVITE_BLOCKED: You are not permitted to invite this user." in reply.body
    )
    assert bob.user_id not in await direct_rooms(world)
    assert await bot_rooms(world) == before  # no empty room is left from the notice


async def bot_rooms(world: World) -> set[str]:
    found = await world.hs.request(world.bot, "GET", "/_matrix/client/v3/joined_rooms")
    return set(found["joined_rooms"])
