"""Rank on Slack when a target's rank cannot be established: that target only is refused. The
rank matrix, with workspace owners and admins and a channel's creator as room owners, and a rank
named by Slack user id are the contract table's."""

from __future__ import annotations

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, DAVE, DESK, Channel, kicks


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
