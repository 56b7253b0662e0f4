"""Rank on Rocket.Chat: nobody acts on someone who outranks or equals them; a rank that cannot
be established refuses; !undo reverses a kick and a demote, once.

Ranks, highest first: compliance (named by e-mail), admin (named by user id), room owner (the
room's owner or moderator role, or the server's global admin role), member. Members and the
named ranks are given !kick by name in the policy, so every pair reaches the rank check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.testing.rocketchat.server import RocketChatServer
from tests.contract.test_contract import refusal
from tests.rocketchat.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DESK,
    ERIN,
    FRANK,
    GRACE,
    Room,
    settings_maker,
    start_bot,
    visible,
)

HEDY = "u-hedy"  # compliance, by e-mail
IVAN = "u-ivan"  # admin, by id
JUNE = "u-june"  # admin, by id
MONA = "u-mona"  # moderator of desk
GUS = "u-gus"  # global admin

# kind -> (caller, a second person of the same kind to be the target of their own kind).
KINDS = {
    "compliance": (FRANK, HEDY),
    "admin": (IVAN, JUNE),
    "room owner role": (ALICE, CAROL),
    "moderator role": (DAVE, MONA),
    "global admin": (GRACE, GUS),
    "member": (BOB, ERIN),
}
RANK = {"compliance": "compliance", "admin": "admin", "room owner role": "room owner",
        "moderator role": "room owner", "global admin": "room owner",
        "member": "member"}  # fmt: skip
LEVEL = {"compliance": 0, "admin": 1, "room owner": 2, "member": 3}
OWN = ("moderator role", "global admin")
"""Rocket.Chat's own sources of the room-owner rank; the others' pairs are the contract table's
(tests/contract/test_contract.py::test_rank_matrix)."""
PAIRS = [(c, t) for c in KINDS for t in KINDS if c in OWN or t in OWN]

POLICY: dict[str, Any] = {
    "commands": {
        "kick": {
            "room_owners": True,
            "users": ["frank@example.com", "hedy@example.com", IVAN, JUNE, BOB, ERIN],
        }
    },
    "ranks": [
        {"name": "compliance", "users": ["frank@example.com", "hedy@example.com"]},
        {"name": "admin", "users": [IVAN, JUNE]},
    ],
    "protect_named_users": False,
}


def add_people(server: RocketChatServer) -> None:
    server.add_user(HEDY, "hedy", name="Hedy Compliance", email="hedy@example.com")
    server.add_user(IVAN, "ivan", name="Ivan Admin", email="ivan@example.com")
    server.add_user(JUNE, "june", name="June Admin", email="june@example.com")
    server.add_user(MONA, "mona", name="Mona Moderator", email="mona@example.com")
    server.add_user(GUS, "gus", name="Gus Admin", roles=("user", "admin"))
    desk = server.room(DESK)
    for user in (HEDY, IVAN, JUNE, GRACE, GUS, ERIN):
        desk.add(user)
    desk.add(MONA, "moderator")


@pytest.mark.parametrize(("caller_kind", "target_kind"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
async def test_rank_matrix(
    server: RocketChatServer, tmp_path: Path, caller_kind: str, target_kind: str
) -> None:
    add_people(server)
    caller = KINDS[caller_kind][0]
    target = KINDS[target_kind][1 if caller_kind == target_kind else 0]
    username = server.user(target).username
    app = await start_bot(settings_maker(server, tmp_path)(policy=POLICY), server)
    try:
        reply = visible((await Room(server, DESK).say(caller, f"!kick @{username}")).msg)
    finally:
        await app.stop()
    mine, theirs = RANK[caller_kind], RANK[target_kind]
    if LEVEL[mine] < LEVEL[theirs]:
        assert f"Removed @{username}." in reply
        assert target not in server.room(DESK).members
        assert server.changing_calls() == [f"groups.kick {target}"]
    else:
        assert f"@{username} {refusal(mine, theirs)}" in reply
        assert target in server.room(DESK).members
        assert server.changing_calls() == []


async def test_owners_may_act_on_co_owners_when_the_policy_says_so(
    server: RocketChatServer, tmp_path: Path
) -> None:
    add_people(server)
    policy = {**POLICY, "owners_may_act_on_owners": True}
    app = await start_bot(settings_maker(server, tmp_path)(policy=policy), server)
    try:
        reply = visible((await Room(server, DESK).say(DAVE, "!kick @carol @grace")).msg)
    finally:
        await app.stop()
    assert "Removed @carol." in reply
    assert "Removed @grace." in reply
    assert server.changing_calls() == [f"groups.kick {CAROL}", f"groups.kick {GRACE}"]


async def test_a_failed_rank_lookup_refuses_that_target_only(
    server: RocketChatServer, desk: Room
) -> None:
    # Users are read at delivery (usernames, the caller), then the dispatcher reads the room
    # (rooms.info first) and ranks each target without a room role with users.info. Holding
    # rooms.info lets the test plan a users.info failure that only the targets' look-ups meet.
    server.room(DESK).add(ERIN)
    release = server.hold_next("rooms.info")
    delivery = await desk.post(ALICE, "!kick @bob @erin")
    assert delivery.status == 200
    await server.wait_for_calls("rooms.info")
    server.fail_next("users.info", "error-not-allowed", status=403, message="Not allowed")
    release.set()
    reply = visible((await server.next_message(DESK, timeout=20.0)).msg)
    assert "Could not establish the rank of @bob, so they were not touched" in reply
    assert "Removed @erin." in reply
    (failed,) = server.calls("users.info", status=403)
    assert failed.query == {"userId": BOB}
    assert BOB in desk.members
    assert server.changing_calls() == [f"groups.kick {ERIN}"]


async def test_a_failed_room_lookup_refuses_the_whole_command(
    server: RocketChatServer, desk: Room
) -> None:
    server.fail_next("groups.roles", "error-not-allowed", status=403, message="Not allowed")
    reply = visible((await desk.say(ALICE, "!kick @bob")).msg)
    assert "Could not check the room before acting, so nothing was changed" in reply
    assert BOB in desk.members
    assert server.changing_calls() == []
