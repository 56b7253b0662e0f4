"""Rank on Slack: nobody acts on someone who outranks or equals them; a rank that cannot be
established refuses; /undo of a kick re-invites, once.

Ranks, highest first: compliance (named by e-mail), admin (named by user id), room owner (a
workspace owner or admin, or the channel's creator), member. Members and the named ranks are
given /kick by name in the policy, so every pair reaches the rank check (a member is otherwise
refused earlier, by the static policy).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.testing.slack.workspace import SlackWorkspace
from tests.contract.test_contract import refusal
from tests.slack.conftest import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    DESK,
    FRANK,
    OWEN,
    Channel,
    SettingsMaker,
    kicks,
    start_bot,
    stop_bot,
)

GRACE = "U0GRACE"  # compliance, by e-mail
HANK = "U0HANK"  # admin, by id
OLGA = "U0OLGA"  # workspace owner
IVY = "U0IVY"  # workspace admin
MIA = "U0MIA"  # member

REAL_NAMES = {FRANK: "Frank Compliance", GRACE: "Grace Compliance", DAVE: "Dave External",
              HANK: "Hank Admin", OWEN: "Owen Owner", OLGA: "Olga Owner", ALICE: "Alice Admin",
              IVY: "Ivy Admin", CAROL: "Carol Creator", BOB: "Bob Member",
              MIA: "Mia Member"}  # fmt: skip

# kind -> (caller, a second person of the same kind to be the target of their own kind).
KINDS: dict[str, tuple[str, str | None]] = {
    "compliance": (FRANK, GRACE),
    "admin": (DAVE, HANK),
    "workspace owner": (OWEN, OLGA),
    "workspace admin": (ALICE, IVY),
    "channel creator": (CAROL, None),  # a channel has one creator
    "member": (BOB, MIA),
}
RANK = {"compliance": "compliance", "admin": "admin", "workspace owner": "room owner",
        "workspace admin": "room owner", "channel creator": "room owner",
        "member": "member"}  # fmt: skip
LEVEL = {"compliance": 0, "admin": 1, "room owner": 2, "member": 3}
PAIRS = [
    (c, t)
    for c in KINDS
    for t in KINDS
    if (c != t or KINDS[t][1] is not None)
    and ("workspace owner" in (c, t) or c == "channel creator")
]
"""The pairs with Slack's own sources of the room-owner rank that the contract table's matrix
(a workspace admin and the channel's creator as its room owners) does not hold."""

POLICY: dict[str, Any] = {
    "commands": {
        "kick": {
            "room_owners": True,
            "users": ["frank@example.com", "grace@example.com", DAVE, HANK, BOB, MIA],
        }
    },
    "ranks": [
        {"name": "compliance", "users": ["frank@example.com", "grace@example.com"]},
        {"name": "admin", "users": [DAVE, HANK]},
    ],
    "protect_named_users": False,
}
READS = {
    "/api/auth.test",
    "/api/users.info",
    "/api/users.lookupByEmail",
    "/api/conversations.info",
    "/api/conversations.members",
    "/api/chat.postMessage",
}


def add_people(slack: SlackWorkspace) -> None:
    slack.add_user(GRACE, "grace", REAL_NAMES[GRACE], email="grace@example.com")
    slack.add_user(HANK, "hank", REAL_NAMES[HANK], email="hank@example.com")
    slack.add_user(OLGA, "olga", REAL_NAMES[OLGA], email="olga@example.com", is_owner=True)
    slack.add_user(IVY, "ivy", REAL_NAMES[IVY], email="ivy@example.com", is_admin=True)
    slack.add_user(MIA, "mia", REAL_NAMES[MIA], email="mia@example.com")
    for user in (GRACE, HANK, OLGA, IVY, MIA):
        slack.join(DESK, user)


def target_of(caller_kind: str, target_kind: str) -> str:
    first, second = KINDS[target_kind]
    if caller_kind != target_kind:
        return first
    assert second is not None
    return second


@pytest.mark.parametrize(("caller_kind", "target_kind"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
async def test_rank_matrix(
    slack: SlackWorkspace, slack_settings: SettingsMaker, caller_kind: str, target_kind: str
) -> None:
    add_people(slack)
    caller, target = KINDS[caller_kind][0], target_of(caller_kind, target_kind)
    name = slack.users[target].name
    bot = await start_bot(slack, slack_settings("http", policy=POLICY), "http")
    try:
        reply = await Channel(slack, bot, DESK).slash(caller, f"@{name}")
    finally:
        await stop_bot(bot)
    mine, theirs = RANK[caller_kind], RANK[target_kind]
    if LEVEL[mine] < LEVEL[theirs]:
        assert f"Removed @{REAL_NAMES[target]}." in reply.plain
        assert target not in slack.members(DESK)
        assert kicks(slack) == [{"channel": DESK, "user": target}]
    else:
        assert f"@{REAL_NAMES[target]} {refusal(mine, theirs)}" in reply.plain
        assert target in slack.members(DESK)
        assert {r.path for r in slack.requests} <= READS


# A workspace admin on the channel's creator is in tests/contract (alice on carol).
CO_OWNERS = [("channel creator", "workspace owner")]


@pytest.mark.parametrize(
    ("caller_kind", "target_kind"), CO_OWNERS, ids=[f"{c}->{t}" for c, t in CO_OWNERS]
)
async def test_owners_may_act_on_co_owners_when_the_policy_says_so(
    slack: SlackWorkspace, slack_settings: SettingsMaker, caller_kind: str, target_kind: str
) -> None:
    caller, target = KINDS[caller_kind][0], KINDS[target_kind][0]
    policy = {**POLICY, "owners_may_act_on_owners": True}
    bot = await start_bot(slack, slack_settings("http", policy=policy), "http")
    try:
        reply = await Channel(slack, bot, DESK).slash(caller, f"@{slack.users[target].name}")
    finally:
        await stop_bot(bot)
    assert f"Removed @{REAL_NAMES[target]}." in reply.plain
    assert kicks(slack) == [{"channel": DESK, "user": target}]


async def test_a_failed_rank_lookup_refuses_that_target_only(
    slack: SlackWorkspace, desk_http: Channel
) -> None:
    # The dispatcher looks the caller up (users.info) at delivery, then the caller's right and
    # each target's rank, side by side (users.info each): only Bob's look-up fails.
    slack.fail_next("users.info", "fatal_error", matching={"user": BOB})
    fields = slack.slash_command(ALICE, DESK, "@bob @dave", command="/kick")
    assert (await desk_http.bot.transport.slash(fields)).ok
    reply = await slack.next_message(DESK, timeout=20.0)
    assert "Could not establish the rank of @Bob Member, so they were not touched" in reply.plain
    assert "Removed @Dave External." in reply.plain
    looked_up = [{**r.query, **(r.body or {})}["user"] for r in slack.calls("users.info")]
    assert looked_up[:2] == [ALICE, ALICE]  # at delivery, then the owner check (first)
    assert sorted(looked_up[2:]) == sorted([BOB, DAVE])  # the targets' ranks, with it
    assert BOB in desk_http.members
    assert kicks(slack) == [{"channel": DESK, "user": DAVE}]
