"""Every server error becomes a clear reply, and nothing is done twice or silently."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.errors import Unauthorized
from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import (
    ALICE,
    BOB,
    CAROL,
    DESK,
    ConfigMaker,
    Room,
    make_server,
    settings_maker,
    start_bot,
    visible,
)


@pytest.mark.parametrize(
    ("command", "method", "sentence", "code"),
    [
        ("kick", "groups.kick", "remove @carol", "error-you-are-last-owner"),
        ("demote", "groups.removeOwner", "demote @carol", "error-remove-last-owner"),
    ],
)
async def test_server_last_owner_error_becomes_a_clear_reply(
    server: RocketChatServer, desk: Room, command: str, method: str, sentence: str, code: str
) -> None:
    # The bot sees two owners and lets the change through; meanwhile someone demotes alice, so
    # when it arrives carol is the last owner and the server's own rule refuses it.
    release = server.hold_next(method)
    await desk.post(ALICE, f"!{command} @carol")
    await server.wait_for_calls(method)
    server.room(DESK).roles[ALICE].discard("owner")
    release.set()
    text = visible((await server.next_message(DESK)).msg)
    assert f"Could not {sentence}" in text
    verb = sentence.split()[0]
    assert f"refuses to {verb} the room's last owner" in text
    assert code in text
    assert CAROL in desk.members
    assert server.room(DESK).owners == {CAROL}


@pytest.mark.parametrize(
    ("error", "status", "says"),
    [
        ("error-not-allowed", 400, "the bot lacks the right here"),
        ("error-user-not-in-room", 400, "the user is not in this room (any more)"),
        ("error-room-not-found", 400, "Rocket.Chat knows no such room for the bot"),
        ("error-invalid-user", 400, "Rocket.Chat knows no such user"),
        ("", 401, "the bot's session was refused (401); check its credentials"),
        ("", 500, "the platform failed (HTTP 500); it may not have changed"),
    ],
    ids=["not-allowed", "not-in-room", "room-not-found", "invalid-user", "401", "500"],
)
async def test_each_kick_error_becomes_a_clear_reply(
    server: RocketChatServer, desk: Room, error: str, status: int, says: str
) -> None:
    server.fail_next("groups.kick", error, status=status)
    text = visible((await desk.say(ALICE, "!kick @bob")).msg)
    assert "Could not remove @bob" in text
    assert says in text
    if error:
        assert error in text
    assert BOB in desk.members
    assert len(server.calls("groups.kick")) == 1  # a failed POST is never repeated


async def test_401_while_checking_the_room_changes_nothing(
    server: RocketChatServer, desk: Room
) -> None:
    server.fail_next("rooms.info", status=401)
    text = visible((await desk.say(ALICE, "!kick @bob")).msg)
    assert "Could not check the room before acting, so nothing was changed" in text
    assert "rocketchat.auth_token" in text
    assert server.changing_calls() == []


async def test_a_failed_read_is_retried(server: RocketChatServer, desk: Room) -> None:
    server.fail_next("groups.members", status=503)
    text = visible((await desk.say(ALICE, "!kick @bob")).msg)
    assert "Removed @bob." in text
    assert [r.status for r in server.calls("groups.members")] == [503, 200]


async def test_a_rate_limit_longer_than_allowed_is_reported_and_not_repeated(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    app = await start_bot(settings_for({"max_wait_seconds": 1}), server)
    try:
        server.fail_next("groups.kick", status=429, reset_in=30)
        text = visible((await Room(server, DESK).say(ALICE, "!kick @bob")).msg)
        assert "Could not remove @bob" in text
        assert "rate-limiting the bot (429)" in text
        assert len(server.calls("groups.kick")) == 1
    finally:
        await app.stop()


@pytest.fixture
async def plain_bot_server() -> AsyncIterator[RocketChatServer]:
    """The bot user without the admin role: it holds no right to remove people."""
    async with make_server(bot_roles=("bot",)) as server:
        yield server
        server.assert_no_violations()


async def test_bot_without_permission_gets_the_servers_refusal(
    plain_bot_server: RocketChatServer, tmp_path: Path
) -> None:
    server = plain_bot_server
    app = await start_bot(settings_maker(server, tmp_path)(), server)
    try:
        text = visible((await Room(server, DESK).say(ALICE, "!kick @bob")).msg)
        assert "the bot lacks the right here" in text
        assert "remove-user" in text  # says which permission is missing
        assert "error-not-allowed" in text
        assert [r.status for r in server.calls("groups.kick")] == [400]
        assert BOB in server.room(DESK).members
    finally:
        await app.stop()


async def test_wrong_credentials_stop_the_start(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    server.revoke_token()
    app = App(settings_for())
    try:
        with pytest.raises(Unauthorized, match=r"rocketchat\.auth_token"):
            await app.start()
    finally:
        await app.stop()
