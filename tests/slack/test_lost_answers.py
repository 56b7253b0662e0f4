"""Slack: a kick or a re-add whose answer is lost (a 500 after acting, a reset connection that
slack_sdk retries into ``not_in_channel``/``already_in_channel``) is reported by what the
channel shows: done, and undoable."""

from __future__ import annotations

import pytest

from bot.testing.slack.workspace import SlackWorkspace
from tests.contract.worlds import LOST
from tests.slack.conftest import ALICE, Channel, kicks


@pytest.mark.parametrize("how", sorted(LOST))
async def test_slack_sdk_retries_a_reset_kick_not_a_500(
    slack: SlackWorkspace, desk: Channel, how: str
) -> None:
    """Done and undone: tests/contract/test_lost_answers.py; here, what slack_sdk retries."""
    slack.fail_next("conversations.kick", "internal_error", after_effect=True, **LOST[how])
    assert "1 done" in (await desk.slash(ALICE, "@bob")).plain
    assert len(kicks(slack)) == (2 if how == "reset" else 1)


async def test_slack_sdk_retries_a_reset_re_add(slack: SlackWorkspace, desk: Channel) -> None:
    await desk.slash(ALICE, "@bob")
    slack.fail_next("conversations.invite", "internal_error", after_effect=True, reset=True)
    assert "1 done" in (await desk.slash(ALICE, "", command="/undo")).plain
    assert len(slack.calls("conversations.invite")) == 2  # the retry met already_in_channel
