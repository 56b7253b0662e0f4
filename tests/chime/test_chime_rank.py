"""Rank on Amazon Chime: nobody acts on someone who outranks or equals them; a room that cannot
be read refuses the whole command; /undo reverses a kick and a demote, once.

Ranks, highest first: compliance (named by e-mail), admin (named by member id), room owner (the
room's Administrator role), member. Members and the named ranks are given /kick by name in the
policy, so every pair reaches the rank check. A Chime room's roles come from one member list per
command, so there is no per-target rank look-up that could fail on its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DESK,
    EMAIL,
    FRANK,
    ConfigMaker,
    Room,
    path,
    start_bot,
)

GINA = "9140c000-0000-4000-8000-000000000007"  # compliance, by e-mail
HUGO = "4090c000-0000-4000-8000-000000000008"  # admin, by member id
IRIS = "1215c000-0000-4000-8000-000000000009"  # admin, by member id
PEOPLE = {GINA: ("Gina Compliance", "gina@example.com"), HUGO: ("Hugo Admin", "hugo@example.com"),
          IRIS: ("Iris Admin", "iris@example.com")}  # fmt: skip
ADDRESS = {**EMAIL, **{uid: email for uid, (_, email) in PEOPLE.items()}}

# kind -> (caller, a second person of the same kind to be the target of their own kind).
KINDS = {
    "compliance": (FRANK, GINA),
    "admin": (HUGO, IRIS),
    "room owner": (ALICE, CAROL),
    "member": (BOB, DAVE),
}
PAIRS = [(c, t) for c in KINDS for t in KINDS]

POLICY: dict[str, Any] = {
    "commands": {
        "kick": {
            "room_owners": True,
            "users": ["frank@example.com", "gina@example.com", HUGO, IRIS, BOB, DAVE],
        }
    },
    "ranks": [
        {"name": "compliance", "users": ["frank@example.com", "gina@example.com"]},
        {"name": "admin", "users": [HUGO, IRIS]},
    ],
    "protect_named_users": False,
}


def add_people(chime: ChimeDouble) -> None:
    for uid, (name, email) in PEOPLE.items():
        chime.add_user(uid, name, email)
    chime.add_room(
        DESK,
        "Trading Desk",
        administrators=[ALICE, CAROL],
        members=[BOB, DAVE, FRANK, GINA, HUGO, IRIS],
    )


def refusal(mine: str, theirs: str) -> str:
    if mine == theirs:
        return f"has the same rank as you ({theirs}): not touched."
    return f"outranks you ({theirs} above {mine}): not touched."


@pytest.mark.parametrize(("caller_kind", "target_kind"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
async def test_rank_matrix(
    chime: ChimeDouble, settings_for: ConfigMaker, caller_kind: str, target_kind: str
) -> None:
    add_people(chime)
    caller = KINDS[caller_kind][0]
    target = KINDS[target_kind][1 if caller_kind == target_kind else 0]
    role = chime.room(DESK).roles[target]
    app = await start_bot(settings_for(policy=POLICY), chime)
    try:
        address = ADDRESS[target]
        delivery = await chime.events.mention(ADDRESS[caller], DESK, f"/kick @{address}")
        assert delivery.status == 200, delivery.attempts
        reply = (await chime.next_message(DESK, timeout=20.0)).text
    finally:
        await app.stop()
    order = list(KINDS)
    if order.index(caller_kind) < order.index(target_kind):
        assert f"Removed @{address}." in reply
        assert target not in chime.room(DESK).roles
        assert chime.state_changes() == [f"DELETE {path(DESK, target)}"]
    else:
        assert f"@{address} {refusal(caller_kind, target_kind)}" in reply
        assert chime.room(DESK).roles[target] == role
        assert chime.state_changes() == []


async def test_a_failed_room_lookup_refuses_the_whole_command(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    # The sender is found in the room's member list when the event arrives, a list kept for a
    # while: a /help first keeps it, so the kick's own lookup of the list (for the roles, made
    # with GetRoom, not served from the kept list with reuse off) is the one that fails.
    app = await start_bot(settings_for({"members_reuse_seconds": 0}), chime)
    try:
        await Room(chime, DESK).say(ALICE, "/help")
        chime.fail_next("ListRoomMemberships", "ForbiddenException", message="Access denied")
        reply = (
            await Room(chime, DESK).say(ALICE, "/kick @bob@example.com @carol@example.com")
        ).text
    finally:
        await app.stop()
    assert "Could not check the room before acting, so nothing was changed" in reply
    assert "Access denied" in reply
    statuses = [c.status for c in chime.calls("ListRoomMemberships")]
    assert statuses[-1] == 403, statuses
    assert statuses.count(403) == 1, statuses
    assert chime.room(DESK).roles[BOB] == "Member"
    assert chime.room(DESK).roles[CAROL] == "Administrator"
    assert chime.state_changes() == []
