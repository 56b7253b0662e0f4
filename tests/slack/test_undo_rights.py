"""/undo on Slack obeys rank: a workspace admin (a room owner) does not undo the kick of a higher
named rank; a co-owner's kick they may."""

from __future__ import annotations

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, CAROL, DESK, FRANK, Channel


async def test_an_admin_cannot_undo_a_higher_ranks_kick(
    slack: SlackWorkspace, desk_http: Channel
) -> None:
    assert "Removed @Bob Member." in (await desk_http.slash(FRANK, "@bob")).plain
    reply = await desk_http.slash(ALICE, "1", command="/undo")
    assert (
        "Not undone for @Bob Member: @Frank Compliance made this change and outranks you"
        " (compliance above room owner); only users named in policy.commands.undo.users may"
        " undo a higher rank's change." in reply.plain
    )
    assert slack.calls("conversations.invite") == []
    assert BOB not in desk_http.members
    # Carol created the channel, so she is an owner of it: her kick is Alice's rank.
    slack.join(DESK, BOB)
    assert "Removed @Bob Member." in (await desk_http.slash(CAROL, "@bob")).plain
    assert "Re-added @Bob Member." in (await desk_http.slash(ALICE, "3", command="/undo")).plain
    invites = [{**r.query, **(r.body or {})} for r in slack.calls("conversations.invite")]
    assert [(i["channel"], i["users"]) for i in invites] == [(DESK, BOB)]
