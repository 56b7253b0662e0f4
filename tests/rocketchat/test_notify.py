"""Removal notices on Rocket.Chat: ``dm.create`` then ``chat.postMessage`` in that direct
message, in escaped Rocket.Chat markdown; a notice that cannot be sent is said in the thread."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import App
from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import (
    ALICE,
    BOB,
    BOT,
    DESK,
    ConfigMaker,
    Room,
    make_server,
    start_bot,
    visible,
)

NOTIFY = {"removed_users": True, "contact": "compliance@example.com"}


@pytest.fixture
async def notifying(settings_for: ConfigMaker, server: RocketChatServer) -> AsyncIterator[Room]:
    app: App = await start_bot(settings_for(notify=NOTIFY), server)
    yield Room(server, DESK)
    await app.stop()


def dm_of(user: str) -> str:
    return "".join(sorted((BOT, user)))


async def test_removed_person_gets_a_direct_message(
    server: RocketChatServer, notifying: Room
) -> None:
    reply = await notifying.say(ALICE, "!kick @bob posted @all *spam* in #desk")
    assert "Removed" in reply.msg
    assert BOB not in notifying.members
    dm = server.room(dm_of(BOB))
    assert dm.type == "d"
    assert sorted(dm.members) == sorted([BOT, BOB])
    notice = await server.next_message(dm.id)
    assert notice.tmid is None
    assert visible(notice.msg).splitlines() == [
        "You were removed from the room desk by @alice.",
        "Reason: posted @all *spam* in #desk",
        "Questions: contact compliance@example.com.",
    ]
    # The reason pings nobody, links no room and formats nothing; the caller is a real mention.
    assert notice.msg.startswith("You were removed from the room desk by @alice")
    assert not {"all", "here"} & set(notice.mentions)
    assert notice.channel_mentions == []
    assert "*spam*" not in notice.msg
    assert [c.body for c in server.calls("dm.create")] == [{"username": "bob"}]


async def test_without_create_d_the_failure_is_said_and_the_removal_counts(
    server: RocketChatServer, notifying: Room
) -> None:
    server.world.permissions["create-d"] = frozenset()
    reply = await notifying.say(ALICE, "!kick @bob")
    text = visible(reply.msg)
    assert "1 done" in text
    assert BOB not in notifying.members
    assert (
        "Could not send @bob the removal notice: the platform refused (400), the bot lacks the "
        "right here: the bot may not open direct messages: give its role the create-d "
        "permission (Administration › Workspace › Permissions) (Rocket.Chat: Not allowed "
        "[error-not-allowed])" in text
    )
    assert dm_of(BOB) not in server.world.rooms


async def test_the_double_holds_dm_create_to_the_servers_schema() -> None:
    """The published schema accepts every body (an ambiguous ``oneOf``); the double applies
    the server's rule instead: exactly one of ``username``/``usernames``."""
    async with make_server() as server:
        headers = {"X-User-Id": BOT, "X-Auth-Token": server.auth_token}
        async with httpx.AsyncClient(base_url=server.url + "/api/v1/", headers=headers) as http:
            good = await http.post("dm.create", json={"username": "bob"})
            again = await http.post("dm.create", json={"username": "bob"})
            nobody = await http.post("dm.create", json={"username": "nobody"})
            assert server.violations == []
            empty = await http.post("dm.create", json={})
            both = await http.post("dm.create", json={"username": "bob", "usernames": "bob"})
    assert good.json() == {
        "room": {"t": "d", "rid": dm_of(BOB), "usernames": ["kickbot", "bob"]},
        "success": True,
    }
    assert again.json() == good.json()  # the same room on every call
    assert nobody.status_code == 400
    assert nobody.json()["errorType"] == "error-invalid-user"
    assert (empty.status_code, both.status_code) == (400, 400)
    assert len(server.violations) == 2
    assert all("[spec]" in v and "exactly one of username" in v for v in server.violations)
