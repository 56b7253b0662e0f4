"""Slack: a kick or a re-add whose answer is lost (a 500 after acting, a reset connection that
slack_sdk retries into ``not_in_channel``/``already_in_channel``) is reported by what the
channel shows: done, and undoable."""

from __future__ import annotations

from typing import Any

import pytest

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, Channel, kicks

LOST: dict[str, dict[str, Any]] = {"500": {"status": 500}, "reset": {"reset": True}}


@pytest.mark.parametrize("how", sorted(LOST))
async def test_a_kick_whose_answer_is_lost_is_done_and_undone(
    slack: SlackWorkspace, desk: Channel, how: str
) -> None:
    slack.fail_next("conversations.kick", "internal_error", after_effect=True, **LOST[how])
    reply = await desk.slash(ALICE, "@bob")
    assert "Removed @Bob Member." in reply.plain
    assert "1 done" in reply.plain
    assert BOB not in desk.members
    # A reset is retried by slack_sdk (and meets not_in_channel); a 500 is not.
    assert len(kicks(slack)) == (2 if how == "reset" else 1)
    store = desk.bot.app.store
    assert store is not None
    (row,) = await store.audit(case=1)
    (result,) = row.results
    assert result["result"] == "done"
    assert str(result["platform_response"]).startswith("answer lost (")
    undo = await desk.slash(ALICE, "", command="/undo")
    assert "Re-added @Bob Member." in undo.plain
    assert BOB in desk.members


async def test_a_re_add_whose_answer_is_lost_is_done(slack: SlackWorkspace, desk: Channel) -> None:
    await desk.slash(ALICE, "@bob")
    slack.fail_next("conversations.invite", "internal_error", after_effect=True, reset=True)
    undo = await desk.slash(ALICE, "", command="/undo")
    assert "Re-added @Bob Member." in undo.plain
    assert "1 done" in undo.plain
    assert BOB in desk.members
    assert len(slack.calls("conversations.invite")) == 2  # the retry met already_in_channel


async def test_a_refusal_with_the_member_still_there_is_a_failure(
    slack: SlackWorkspace, desk: Channel
) -> None:
    slack.fail_next("conversations.kick", "restricted_action")
    reply = await desk.slash(ALICE, "@bob")
    assert "Could not remove @Bob Member" in reply.plain
    assert BOB in desk.members
