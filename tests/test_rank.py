"""Rank: nobody acts on someone who outranks or equals them (compliance > admin > owner)."""

from __future__ import annotations

import pytest

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, CAROL, DAVE, DESK, FRANK, ConfigMaker, start_bot

NAMES = {FRANK: "Frank Compliance", DAVE: "Dave External", ALICE: "Alice Owner",
         CAROL: "Carol Owner", BOB: "Bob Member"}  # fmt: skip
RANKS = {FRANK: "compliance", DAVE: "admin", ALICE: "room owner", CAROL: "room owner",
         BOB: "member"}  # fmt: skip
POLICY = {
    "commands": {"kick": {"room_owners": True, "users": ["frank@example.com", str(DAVE)]}},
    "ranks": [
        {"name": "compliance", "users": ["frank@example.com"]},
        {"name": "admin", "users": [str(DAVE)]},
    ],
    "protect_named_users": False,
}
ORDER = [FRANK, DAVE, ALICE, BOB]
PAIRS = [(c, t if t != ALICE else CAROL) for c in [FRANK, DAVE, ALICE] for t in ORDER if t != c]


def level(user: int) -> int:
    return [FRANK, DAVE, ALICE, BOB].index(user if user != CAROL else ALICE)


@pytest.mark.parametrize(
    ("caller", "target"), PAIRS, ids=[f"{RANKS[c]}->{RANKS[t]}" for c, t in PAIRS]
)
async def test_rank_matrix(
    pod: SymphonyPod, settings_for: ConfigMaker, caller: int, target: int
) -> None:
    app = await start_bot(settings_for(policy=POLICY))
    try:
        await pod.wait_until_listening()
        username = NAMES[target].split()[0].lower()
        pod.say(caller, DESK, f"/kick @{username}")
        reply = (await pod.next_message(DESK)).text
        if level(caller) < level(target):
            assert f"Removed @{NAMES[target]}." in reply
            assert target not in pod.room(DESK).members
        else:
            mine, theirs = RANKS[caller], RANKS[target]
            expected = (
                f"has the same rank as you ({theirs})"
                if mine == theirs
                else f"outranks you ({theirs} above {mine})"
            )
            assert expected in reply
            assert target in pod.room(DESK).members
            assert pod.calls("POST", r"/membership/remove") == []
    finally:
        await app.stop()
