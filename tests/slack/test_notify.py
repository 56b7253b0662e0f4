"""Removal notices on Slack: a direct message (conversations.open, chat.postMessage) to each
person removed, in escaped mrkdwn; a notice that cannot be sent is said in the channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack import conftest as s

NOTIFY = {"removed_users": True, "contact": "compliance@example.com"}


@pytest.fixture
async def notifying(
    slack: SlackWorkspace, slack_settings: s.SettingsMaker
) -> AsyncIterator[s.Channel]:
    async with s.running(slack, slack_settings("http", notify=NOTIFY)) as started:
        yield s.Channel(slack, started, s.DESK)


async def test_removed_person_gets_a_direct_message(
    slack: SlackWorkspace, notifying: s.Channel
) -> None:
    """The notice's lines: tests/contract/test_notices.py; here, how it travels and reads."""
    await notifying.slash(s.ALICE, "@bob posted <!channel> & *spam*")
    im = slack.im_of(s.BOB)
    assert im is not None
    assert slack.channel(im).members == [slack.bot_user_id, s.BOB]
    notice = await slack.next_message(im)
    assert notice.plain.splitlines()[1] == "Reason: posted <!channel> & ∗spam∗"
    assert notice.text.startswith(f"You were removed from the room desk by <@{s.ALICE}>.")
    # The reason cannot ping the channel (Slack's three escapes) or bold the notice (look-alikes).
    assert "Reason: posted &lt;!channel&gt; &amp; ∗spam∗" in notice.text


async def test_an_earlier_direct_message_is_reused(
    slack: SlackWorkspace, notifying: s.Channel
) -> None:
    im, _ = slack.open_im(s.DAVE)  # an earlier conversation: Slack answers already_open
    await notifying.slash(s.ALICE, "@bob @dave")
    assert "You were removed from the room desk" in (await slack.next_message(im)).plain
    assert len([c for c in slack.channels.values() if c.is_im]) == 2


async def test_without_im_write_the_failure_names_the_scope(
    slack: SlackWorkspace, notifying: s.Channel
) -> None:
    """Done and said: tests/contract/test_notices.py; here, the reason Slack gives."""
    slack.scopes.discard("im:write")  # an app installed from an older manifest
    reply = await notifying.slash(s.ALICE, "@bob")
    assert "Could not send @Bob Member the removal notice: the platform refused (403)" in (
        reply.plain
    )
    assert "the bot's token lacks the OAuth scope im:write" in reply.plain
    assert slack.im_of(s.BOB) is None


async def test_a_deactivated_account_is_said(slack: SlackWorkspace, notifying: s.Channel) -> None:
    slack.users[s.BOB].deleted = True
    reply = await notifying.slash(s.ALICE, "@bob")
    assert "Removed @Bob Member." in reply.plain
    assert (
        "Could not send @Bob Member the removal notice: not found (404): this user's Slack "
        "account is deactivated (Slack: user_disabled)" in reply.plain
    )
    assert slack.im_of(s.BOB) is None
