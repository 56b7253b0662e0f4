"""/kick on Slack's wire, in HTTP mode and in Socket Mode: Slack delivery -> Bolt -> kickbot ->
Web API (the double) -> the reply in the channel or the mention's thread (the outcomes every
platform shares: ``tests/contract``)."""

from __future__ import annotations

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, BOT, DESK, Channel


async def test_slash_command_answers_in_the_channel(slack: SlackWorkspace, desk: Channel) -> None:
    reply = await desk.slash(ALICE, "@bob spamming the desk")
    assert reply.text.startswith(f"<@{ALICE}> `/kick`")
    assert reply.thread_ts is None  # a visible channel message: slash commands have no thread
    assert reply.via == "chat.postMessage"


async def test_mention_kicks_and_answers_in_its_thread(
    slack: SlackWorkspace, desk: Channel
) -> None:
    """Done: tests/contract (test_a_command_after_a_mention_of_the_bot_is_run); here, where."""
    event = slack.mention(ALICE, DESK, "@kickbot kick @bob")
    assert event["event"]["text"] == f"<@{BOT}> kick <@{BOB}>"
    assert (await desk.bot.transport.event(event)).ok
    assert (await slack.next_message(DESK)).thread_ts == event["event"]["ts"]


async def test_mention_inside_a_thread_answers_in_that_thread(
    slack: SlackWorkspace, desk: Channel
) -> None:
    parent = slack.mention(BOB, DESK, "buy my coins")["event"]["ts"]
    event = slack.mention(ALICE, DESK, "@kickbot /kick @bob", thread_ts=parent)
    assert (await desk.bot.transport.event(event)).ok
    reply = await slack.next_message(DESK, thread_ts=parent)
    assert "Removed @Bob Member." in reply.plain
    assert reply.thread_ts == parent  # the thread's parent, never the reply's own ts


async def test_a_known_name_typed_without_the_picker_is_refused(
    slack: SlackWorkspace, desk: Channel
) -> None:
    # "@bob" sent as plain text (no <@U…>): a name, not an id, so it must not be acted on.
    reply = await desk.mention(ALICE, f"<@{BOT}> kick @bob", raw=True)
    assert "“@bob” is typed text, not a mention." in reply.plain
    assert BOB in desk.members
    assert slack.calls("conversations.kick") == []


async def test_user_text_is_escaped(slack: SlackWorkspace, desk: Channel) -> None:
    reason = "<!channel> & <https://evil.example|click> ∗now∗"  # cannot bold the reply
    fields = slack.slash_command(ALICE, DESK, "", command="/kick")
    fields["text"] = f"<@{BOB}|bob> &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; *now*"
    assert (await desk.bot.transport.slash(fields)).ok
    reply = await slack.next_message(DESK)
    assert f"reason: {reason}" in reply.plain
    assert "<!channel>" not in reply.text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in reply.text
    assert reply.text.count("<@") == 2  # the caller and bob, nothing else
