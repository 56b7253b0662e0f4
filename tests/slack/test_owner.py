"""Who may /kick on Slack: "room owner" means a workspace owner or admin (users.info) or the
channel's creator (conversations.info); the policy may also name people by id or e-mail."""

from __future__ import annotations

import pytest

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, CAROL, DAVE, DESK, FRANK, OWEN, Channel, kicks


@pytest.mark.parametrize(
    ("caller", "why"),
    [(ALICE, "workspace admin"), (OWEN, "workspace owner"), (CAROL, "channel creator")],
)
async def test_owners_may_kick(
    slack: SlackWorkspace, desk_http: Channel, caller: str, why: str
) -> None:
    reply = await desk_http.slash(caller, "@dave")
    assert "Removed @Dave External." in reply.plain, why
    assert kicks(slack) == [{"channel": DESK, "user": DAVE}]
    # The channel is read once: its creator, known from that read, decides both owner checks
    # (the caller's and the target's).
    assert len(slack.calls("conversations.info")) == 1


async def test_a_plain_member_may_not(slack: SlackWorkspace, desk_http: Channel) -> None:
    reply = await desk_http.slash(BOB, "@dave")
    assert "You may not run /kick here" in reply.plain
    assert DAVE in desk_http.members
    assert slack.calls("conversations.kick") == []
    # Only reads were made to decide: who the caller is, who created the channel, and its
    # members (looked up with the channel, before the caller's check).
    assert {r.path for r in slack.requests} <= {
        "/api/auth.test",
        "/api/users.info",
        "/api/conversations.info",
        "/api/conversations.members",
        "/api/chat.postMessage",
    }


async def test_creator_of_another_channel_is_not_an_owner_here(
    slack: SlackWorkspace, desk_http: Channel
) -> None:
    slack.channel(DESK).creator = ALICE
    reply = await desk_http.slash(CAROL, "@dave")
    assert "You may not run /kick here" in reply.plain
    assert slack.calls("conversations.kick") == []


async def test_named_by_email_in_the_policy(slack: SlackWorkspace, desk_http: Channel) -> None:
    reply = await desk_http.slash(FRANK, "@dave")  # frank@example.com in policy.commands.kick
    assert "Removed @Dave External." in reply.plain


async def test_owners_do_not_act_on_each_other(slack: SlackWorkspace, desk_http: Channel) -> None:
    # Targets are ranked with the same Slack rule: the creator and the admin are both owners.
    reply = await desk_http.slash(CAROL, "@alice @owen")
    assert reply.plain.count("has the same rank as you (room owner)") == 2
    assert slack.calls("conversations.kick") == []
    reply = await desk_http.slash(FRANK, "@alice")  # a named rank above owners
    assert "Removed @Alice Admin." in reply.plain


async def test_the_callers_right_and_the_targets_rank_are_looked_up_together(
    slack: SlackWorkspace, desk_http: Channel
) -> None:
    await desk_http.slash(ALICE, "")  # the caller is now known (users.info at delivery, kept)
    before = len(slack.calls("users.info"))
    held = slack.hold_next("users.info")
    ack = await desk_http.bot.transport.slash(slack.slash_command(ALICE, DESK, "@dave"))
    assert ack.ok
    # Both owner lookups (Alice's right, Dave's rank) are made while the first is unanswered.
    await slack.wait_for_calls("users.info", before + 2)
    assert slack.calls("conversations.kick") == []
    held.set()
    reply = await slack.next_message(DESK, timeout=20.0)
    assert "Removed @Dave External." in reply.plain
    assert len(slack.calls("users.info")) == before + 2
