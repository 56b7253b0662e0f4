"""Rank on Slack beyond the contract table's matrix (``tests/contract/test_contract.py``, with a
workspace admin and a channel's creator as room owners, and Slack's workspace owners in
``test_rank_matrix_with_the_platforms_own_owners``): a rank named by Slack user id, and a rank
that cannot be established, which refuses that target only."""

from __future__ import annotations

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import (
    ALICE,
    BOB,
    DAVE,
    DESK,
    OWEN,
    Channel,
    SettingsMaker,
    kicks,
    start_bot,
    stop_bot,
)

BY_ID = {
    "commands": {"kick": {"room_owners": True, "users": [DAVE]}},
    "ranks": [{"name": "admin", "users": [DAVE]}],
    "protect_named_users": False,
}


async def test_a_rank_named_by_user_id_outranks_a_workspace_owner(
    slack: SlackWorkspace, slack_settings: SettingsMaker
) -> None:
    bot = await start_bot(slack, slack_settings("http", policy=BY_ID), "http")
    try:
        desk = Channel(slack, bot, DESK)
        refused = await desk.slash(OWEN, "@dave")
        done = await desk.slash(DAVE, "@owen")
    finally:
        await stop_bot(bot)
    assert "@Dave External outranks you (admin above room owner): not touched." in refused.plain
    assert "Removed @Owen Owner." in done.plain
    assert kicks(slack) == [{"channel": DESK, "user": OWEN}]


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
