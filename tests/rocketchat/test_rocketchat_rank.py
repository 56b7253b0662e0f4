"""Rank on Rocket.Chat beyond the contract table's matrix (``tests/contract/test_contract.py``,
with moderators and global admins as room owners in
``test_rank_matrix_with_the_platforms_own_owners``): a rank named by user id, and a look-up
that fails: a target's rank (that target refused), the room's (the whole command refused)."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import (
    ALICE,
    BOB,
    DESK,
    ERIN,
    FRANK,
    POLICY,
    ConfigMaker,
    Room,
    start_bot,
    visible,
)


async def test_a_rank_named_by_user_id_outranks_an_owner(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    # The tests' policy names frank, by user id, in the compliance rank.
    app = await start_bot(settings_for(policy={**POLICY, "protect_named_users": False}), server)
    try:
        desk = Room(server, DESK)
        refused = visible((await desk.say(ALICE, "!kick @frank")).msg)
        done = visible((await desk.say(FRANK, "!kick @alice")).msg)
    finally:
        await app.stop()
    assert "@frank outranks you (compliance above room owner): not touched." in refused
    assert "Removed @alice." in done
    assert server.changing_calls() == [f"groups.kick {ALICE}"]


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
