"""Delivery discipline: ack before the work, 429 waits for Retry-After, redeliveries act once,
a forged or stale signature is refused with 401 before anything else happens, and a command that
could not be recorded is redelivered (events) or answered (slash commands), never lost silently."""

from __future__ import annotations

import time
from pathlib import Path

import structlog

from bot.platforms.slack.adapter import RECORD_FAILED
from bot.testing.slack.signing import SignedSender
from bot.testing.slack.workspace import SlackWorkspace
from tests.kit import lock_store
from tests.slack import conftest as s


async def test_rate_limited_kick_waits_for_retry_after_then_succeeds_once(
    slack: SlackWorkspace, desk: s.Channel
) -> None:
    slack.rate_limit_next("conversations.kick", retry_after=1)
    reply = await desk.slash(s.ALICE, "@bob")
    assert "Removed @Bob Member." in reply.plain
    assert "1 done" in reply.plain
    first, second = slack.calls("conversations.kick")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0  # waited for Retry-After
    assert s.BOB not in desk.members
    assert len(s.kicks(slack)) == 2  # one refused by the rate limit, one that removed


async def test_the_ack_does_not_wait_for_the_removal(
    slack: SlackWorkspace, desk: s.Channel
) -> None:
    release = slack.hold_next("conversations.kick")
    fields = slack.slash_command(s.ALICE, s.DESK, "@bob")
    ack = await desk.bot.transport.slash(fields)  # returns while the kick is still held
    assert ack.ok
    await slack.wait_for_calls("conversations.kick")
    assert s.BOB in desk.members
    release.set()
    reply = await slack.next_message(s.DESK)
    assert "Removed @Bob Member." in reply.plain


async def test_retried_http_delivery_acts_once(slack: SlackWorkspace, http_bot: s.Bot) -> None:
    assert isinstance(http_bot.transport, s.HttpTransport)
    sender = http_bot.transport.sender
    event = slack.mention(s.ALICE, s.DESK, "@kickbot kick @bob")
    assert (await sender.event(event)).status == 200
    first = await slack.next_message(s.DESK)
    assert "Removed @Bob Member." in first.plain
    for attempt in (1, 2, 3):  # Slack's retries carry the same event_id
        assert (await sender.event(event, retry_num=attempt)).status == 200
    await s.Channel(slack, http_bot, s.DESK).mention(s.ALICE, "@kickbot help")
    assert slack.messages(s.DESK)[-1].plain.count("Commands you may use here") == 1
    assert len(slack.messages(s.DESK)) == 2  # the kick's reply and the help: nothing else
    assert len(s.kicks(slack)) == 1


async def test_resent_envelope_acts_once(slack: SlackWorkspace, socket_bot: s.Bot) -> None:
    assert isinstance(socket_bot.transport, s.SocketTransport)
    event = slack.mention(s.ALICE, s.DESK, "@kickbot kick @bob")
    await socket_bot.transport.event(event)
    await slack.next_message(s.DESK)
    await socket_bot.transport.event(event, retry=1)  # same payload, a new envelope
    fields = slack.slash_command(s.ALICE, s.DESK, "@dave")
    await socket_bot.transport.slash(fields)
    await socket_bot.transport.slash(fields)  # the same slash command twice (same trigger_id)
    reply = await slack.next_message(s.DESK)
    assert "Removed @Dave External." in reply.plain
    help_reply = await s.Channel(slack, socket_bot, s.DESK).mention(s.ALICE, "@kickbot help")
    assert "Commands you may use here" in help_reply.plain
    assert len(slack.messages(s.DESK)) == 3
    assert s.kicks(slack) == [
        {"channel": s.DESK, "user": s.BOB},
        {"channel": s.DESK, "user": s.DAVE},
    ]
    assert len(slack.socket.acks) == 5  # every envelope was acknowledged


async def test_forged_and_stale_signatures_are_refused(
    slack: SlackWorkspace, http_bot: s.Bot
) -> None:
    before = len(slack.requests)
    url = http_bot.platform.listen_url
    fields = slack.slash_command(s.ALICE, s.DESK, "@bob")
    async with SignedSender(url, "not-the-signing-secret") as forger:
        with structlog.testing.capture_logs() as logs:
            forged = await forger.slash_command(fields)
            tampered = await forger.slash_command(fields, signature="v0=" + "0" * 64)
            async with SignedSender(url, slack.signing_secret) as late:
                stale = await late.slash_command(fields, timestamp=int(time.time()) - 6 * 60)
    assert [forged.status, tampered.status, stale.status] == [401, 401, 401]
    refusals = [e for e in logs if "bad or stale Slack signature" in e["event"]]
    assert len(refusals) >= 3
    assert refusals[0]["log_level"] == "warning"
    assert slack.requests[before:] == []  # no Web API call at all
    assert s.BOB in slack.members(s.DESK)


async def test_an_event_that_cannot_be_recorded_is_redelivered(
    slack: SlackWorkspace, http_bot: s.Bot, tmp_path: Path
) -> None:
    assert isinstance(http_bot.transport, s.HttpTransport)
    sender = http_bot.transport.sender
    event = slack.mention(s.ALICE, s.DESK, "@kickbot kick @bob")
    lock = lock_store(tmp_path / "kickbot.db")
    try:
        first = await sender.event(event)
    finally:
        lock.rollback()
        lock.close()
    assert first.status == 500  # not acknowledged: Slack delivers it again
    assert slack.calls("conversations.kick") == []
    assert (await sender.event(event, retry_num=1)).status == 200
    reply = await slack.next_message(s.DESK)
    assert "Removed @Bob Member." in reply.plain
    assert len(s.kicks(slack)) == 1


async def test_a_slash_command_that_cannot_be_recorded_says_so(
    slack: SlackWorkspace, http_bot: s.Bot, tmp_path: Path
) -> None:
    lock = lock_store(tmp_path / "kickbot.db")
    try:
        ack = await http_bot.transport.slash(slack.slash_command(s.ALICE, s.DESK, "@bob"))
    finally:
        lock.rollback()
        lock.close()
    assert ack.text == RECORD_FAILED
    # The next command is answered, and it is the only answer: nothing ran for the first one.
    help_reply = await s.Channel(slack, http_bot, s.DESK).mention(s.ALICE, "@kickbot help")
    assert "Commands you may use here" in help_reply.plain
    assert slack.messages(s.DESK) == [help_reply]
    assert slack.calls("conversations.kick") == []
    assert s.BOB in slack.members(s.DESK)


async def test_caller_lookup_failure_is_redelivered_not_guessed(
    slack: SlackWorkspace, http_bot: s.Bot
) -> None:
    # Without the caller's e-mail the policy (deny list, named users) cannot be applied: the
    # mention is refused with a 500 so that Slack delivers it again, never run on a guess.
    assert isinstance(http_bot.transport, s.HttpTransport)
    sender = http_bot.transport.sender
    slack.fail_next("users.info", "fatal_error")
    event = slack.mention(s.ALICE, s.DESK, "@kickbot kick @bob")
    assert (await sender.event(event)).status == 500
    assert (await sender.event(event, retry_num=1)).status == 200
    reply = await slack.next_message(s.DESK)
    assert "Removed @Bob Member." in reply.plain
    assert len(s.kicks(slack)) == 1
    ack = await http_bot.transport.slash(slack.slash_command(s.BOB, s.DESK, "@dave"))
    assert ack.text is None  # bob was looked up fine: the command was taken


async def test_request_url_verification_answers_the_challenge(
    slack: SlackWorkspace, http_bot: s.Bot
) -> None:
    # What Slack sends when an admin saves the Request URL in the app's settings.
    assert isinstance(http_bot.transport, s.HttpTransport)
    body = {"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    got = await http_bot.transport.sender.event({**body, "type": "url_verification"})
    assert got.status == 200
    assert got.json() == {"challenge": body["challenge"]}
