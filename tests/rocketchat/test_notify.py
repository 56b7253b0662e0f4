"""Removal notices on Rocket.Chat: ``dm.create`` then ``chat.postMessage`` in that direct
message, in escaped Rocket.Chat markdown; a notice that cannot be sent is said in the thread."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.testing.rocketchat.server import RocketChatServer
from tests.kit import running
from tests.rocketchat.conftest import ALICE, BOB, BOT, DESK, ConfigMaker, Room, start_bot, visible

NOTIFY = {"removed_users": True, "contact": "compliance@example.com"}


@pytest.fixture
async def notifying(settings_for: ConfigMaker, server: RocketChatServer) -> AsyncIterator[Room]:
    async with running(start_bot(settings_for(notify=NOTIFY), server)):
        yield Room(server, DESK)


def dm_of(user: str) -> str:
    return "".join(sorted((BOT, user)))


async def test_removed_person_gets_a_direct_message(
    server: RocketChatServer, notifying: Room
) -> None:
    """The notice's lines: tests/contract/test_notices.py; here, how it travels and reads."""
    await notifying.say(ALICE, "!kick @bob posted @all *spam* in #desk")
    dm = server.room(dm_of(BOB))
    assert (dm.type, sorted(dm.members)) == ("d", sorted([BOT, BOB]))
    notice = await server.next_message(dm.id)
    assert notice.tmid is None
    assert visible(notice.msg).splitlines()[1] == "Reason: posted @all *spam* in #desk"
    # The reason pings nobody, links no room and formats nothing; the caller is a real mention.
    assert notice.msg.startswith("You were removed from the room desk by @alice")
    assert not {"all", "here"} & set(notice.mentions)
    assert notice.channel_mentions == []
    assert "*spam*" not in notice.msg


async def test_without_create_d_the_failure_says_which_permission(
    server: RocketChatServer, notifying: Room
) -> None:
    """Done and said: tests/contract/test_notices.py; here, the reason Rocket.Chat gives."""
    server.world.permissions["create-d"] = frozenset()
    text = visible((await notifying.say(ALICE, "!kick @bob")).msg)
    assert (
        "Could not send @bob the removal notice: the platform refused (400), the bot lacks the "
        "right here: the bot may not open direct messages: give its role the create-d "
        "permission (Administration › Workspace › Permissions) (Rocket.Chat: Not allowed "
        "[error-not-allowed])" in text
    )
    assert dm_of(BOB) not in server.world.rooms
