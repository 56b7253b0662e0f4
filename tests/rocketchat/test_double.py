"""The Rocket.Chat double itself: the server's rules and error shapes, spec checks that fail
closed, its rate limiter. Driven with plain httpx, as any client would."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, BOT, DESK, SOLO, TOWN, make_server


@pytest.fixture
async def rc() -> AsyncIterator[tuple[RocketChatServer, httpx.AsyncClient]]:
    async with make_server() as server:
        headers = {"X-User-Id": BOT, "X-Auth-Token": server.auth_token}
        async with httpx.AsyncClient(base_url=server.url + "/api/v1/", headers=headers) as http:
            yield server, http


async def test_last_owner_rules(rc: tuple[RocketChatServer, httpx.AsyncClient]) -> None:
    server, http = rc
    kicked = await http.post("groups.kick", json={"roomId": SOLO, "userId": ALICE})
    assert kicked.status_code == 400
    assert kicked.json() == {
        "success": False,
        "error": "You are the last owner. Please set new owner before leaving the room. "
        "[error-you-are-last-owner]",
        "errorType": "error-you-are-last-owner",
    }
    demoted = await http.post("groups.removeOwner", json={"roomId": SOLO, "userId": ALICE})
    assert demoted.json()["errorType"] == "error-remove-last-owner"
    assert server.room(SOLO).owners == {ALICE}
    assert server.violations == []


async def test_room_family_must_match_the_room_type(
    rc: tuple[RocketChatServer, httpx.AsyncClient],
) -> None:
    server, http = rc
    wrong = await http.post("groups.kick", json={"roomId": TOWN, "userId": BOB})
    assert wrong.json()["errorType"] == "error-room-not-found"
    right = await http.post("channels.kick", json={"roomId": TOWN, "userId": BOB})
    assert right.status_code == 200
    assert right.json()["success"] is True
    assert BOB not in server.room(TOWN).members
    assert server.violations == []


async def test_requests_breaking_the_spec_are_refused_and_recorded(
    rc: tuple[RocketChatServer, httpx.AsyncClient],
) -> None:
    server, http = rc
    answer = await http.post("groups.kick", json={"roomId": DESK})
    assert answer.status_code == 400
    assert "userId" in answer.json()["error"]
    assert BOB in server.room(DESK).members
    assert len(server.violations) == 1
    assert server.violations[0].startswith("[spec] POST /api/v1/groups.kick")


async def test_auth_headers_are_checked_where_the_spec_omits_them(
    rc: tuple[RocketChatServer, httpx.AsyncClient],
) -> None:
    server, _ = rc
    async with httpx.AsyncClient(base_url=server.url + "/api/v1/") as anonymous:
        answer = await anonymous.post("channels.kick", json={"roomId": TOWN, "userId": BOB})
    assert answer.status_code == 401
    assert answer.json() == {"status": "error", "message": "You must be logged in to do this."}
    assert BOB in server.room(TOWN).members
    assert [v.split(":")[0] for v in server.violations] == ["[auth] POST /api/v1/channels.kick"]


async def test_unserved_endpoints_are_violations(
    rc: tuple[RocketChatServer, httpx.AsyncClient],
) -> None:
    server, http = rc
    assert (await http.post("rooms.delete", json={"roomId": DESK})).status_code == 404
    assert len(server.violations) == 1
    assert server.violations[0].startswith("[unimplemented] POST /api/v1/rooms.delete")


async def test_users_info_and_room_roles(rc: tuple[RocketChatServer, httpx.AsyncClient]) -> None:
    server, http = rc
    nobody = await http.get("users.info", params={"username": "nobody"})
    assert nobody.status_code == 400
    assert nobody.json() == {"success": False, "error": "User not found."}
    bob = (await http.get("users.info", params={"username": "BOB"})).json()["user"]
    assert (bob["_id"], bob["emails"][0]["address"]) == (BOB, "bob@example.com")
    roles = (await http.get("groups.roles", params={"roomId": DESK})).json()["roles"]
    assert {r["u"]["username"]: r["roles"] for r in roles} == {
        "alice": ["owner"],
        "carol": ["owner"],
        "dave": ["moderator"],
    }
    page = (await http.get("groups.members", params={"roomId": DESK, "count": "2"})).json()
    assert (page["count"], page["total"]) == (2, 6)
    assert server.violations == []


async def test_rate_limiter_answers_429_with_the_reset_in_epoch_ms(
    rc: tuple[RocketChatServer, httpx.AsyncClient],
) -> None:
    server, http = rc
    server.rate_limit(calls=2, seconds=0.3)
    statuses = [(await http.get("rooms.info", params={"roomId": DESK})) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    limited = statuses[2]
    assert "[error-too-many-requests]" in limited.json()["error"]
    assert limited.headers["X-RateLimit-Limit"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    reset = int(limited.headers["X-RateLimit-Reset"]) / 1000
    assert 0 < reset - time.time() <= 0.3
    other = await http.get("groups.roles", params={"roomId": DESK})
    assert other.status_code == 200  # per route
    assert server.violations == []


async def test_dm_create_is_held_to_the_servers_rule(
    rc: tuple[RocketChatServer, httpx.AsyncClient],
) -> None:
    """The published schema accepts every body (an ambiguous ``oneOf``); the double applies
    the server's rule instead: exactly one of ``username``/``usernames``."""
    server, http = rc
    good = await http.post("dm.create", json={"username": "bob"})
    again = await http.post("dm.create", json={"username": "bob"})
    nobody = await http.post("dm.create", json={"username": "nobody"})
    assert server.violations == []
    empty = await http.post("dm.create", json={})
    both = await http.post("dm.create", json={"username": "bob", "usernames": "bob"})
    dm = "".join(sorted((BOT, BOB)))
    assert good.json() == {
        "room": {"t": "d", "rid": dm, "usernames": ["kickbot", "bob"]},
        "success": True,
    }
    assert again.json() == good.json()  # the same room on every call
    assert nobody.status_code == 400
    assert nobody.json()["errorType"] == "error-invalid-user"
    assert (empty.status_code, both.status_code) == (400, 400)
    assert len(server.violations) == 2
    assert all("[spec]" in v and "exactly one of username" in v for v in server.violations)
