"""Hostile requests to the Request URL: junk gets a 4xx before any work (no Web API call,
nothing recorded), never a 500."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator

import pytest

from bot import audit
from bot.testing.slack.workspace import SlackWorkspace
from tests.hostile import NESTED, NOT_UTF8, OVERSIZE, Probe, answered, raw_post, wrong
from tests.kit import cases
from tests.slack.conftest import (
    ALICE,
    BOB,
    BOT,
    DESK,
    Bot,
    Channel,
    HttpTransport,
    SettingsMaker,
    running,
)


def signed(secret: str, body: bytes, timestamp: str | None = None) -> list[tuple[str, bytes]]:
    """Slack's headers for ``body``: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    stamp = (timestamp if timestamp is not None else str(int(time.time()))).encode()
    mac = hmac.new(secret.encode(), b"v0:" + stamp + b":" + body, hashlib.sha256)
    return [
        ("X-Slack-Request-Timestamp", stamp),
        ("X-Slack-Signature", b"v0=" + mac.hexdigest().encode()),
    ]


async def test_junk_gets_a_4xx_before_any_work(slack: SlackWorkspace, http_bot: Bot) -> None:
    url = http_bot.platform.listen_url
    secret = slack.signing_secret
    event = b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_mention"}}'
    json_type = ("Content-Type", b"application/json")
    good = signed(secret, event)
    probes: dict[str, Probe] = {
        # the timestamp is not a number of seconds (Bolt's own check fails on int())
        "abc": ([json_type, ("X-Slack-Request-Timestamp", b"abc"), good[1]], event, 401),
        "empty": ([json_type, ("X-Slack-Request-Timestamp", b""), good[1]], event, 401),
        "float": ([json_type, ("X-Slack-Request-Timestamp", b"1.7e9"), good[1]], event, 401),
        "not utf-8": ([json_type, ("X-Slack-Request-Timestamp", b"\xff\xfe"), good[1]], event, 401),
        "signature not utf-8": (
            [json_type, good[0], ("X-Slack-Signature", b"v0=\xff")],
            event,
            401,
        ),
        "unsigned nested": ([json_type], NESTED, 401),
        "forged nested": ([json_type, *signed("not-the-secret", NESTED)], NESTED, 401),
        "signed nested": ([json_type, *signed(secret, NESTED)], NESTED, 400),
        "signed not utf-8": ([json_type, *signed(secret, NOT_UTF8)], NOT_UTF8, 400),
        "wrong type": ([("Content-Type", b"text/plain"), *good], event, 415),
        "no type": (good, event, 415),
        "oversize": ([json_type, *signed(secret, OVERSIZE)], OVERSIZE, 413),
    }
    before = len(slack.requests)
    assert wrong(await answered(url, probes)) == {}
    assert slack.requests[before:] == []  # not even a look-up
    assert await cases(http_bot.app) == 0
    # Slack's certificate check is answered as Bolt answers it: 200, nothing done.
    form = ("Content-Type", b"application/x-www-form-urlencoded")
    assert await raw_post(url, [form], b"ssl_check=1&token=legacy") == 200
    assert await raw_post(url, [form], b"ssl_check=0&token=legacy") == 401
    assert slack.requests[before:] == []
    assert await cases(http_bot.app) == 0
    # The receiver is still there, and a genuine command is taken.
    reply = await Channel(slack, http_bot, DESK).mention(ALICE, "@kickbot help")
    assert "Commands you may use here" in reply.plain
    assert await cases(http_bot.app) == 1


async def test_user_text_cannot_format_ping_or_unfurl(
    slack: SlackWorkspace, desk_http: Channel
) -> None:
    """BiDi controls in a reason: tests/contract (test_bidi_controls_...); here, Slack's markup.
    As Slack delivers it: a typed link as <url>, a typed "<!channel>" and "&" escaped."""
    reason = (
        "*bold* _it_ ~strike~ `code` ```block``` <https://evil.example/x> &lt;!channel&gt; &amp;"
    )
    typed = f"<@{BOT}> kick <@{BOB}> {reason}"
    reply = await desk_http.mention(ALICE, typed, raw=True)
    (call,) = slack.calls("chat.postMessage")
    sent = {**call.query, **(call.body or {})}
    text = str(sent["text"])
    assert sent["unfurl_links"] in (False, "false", "0")
    assert sent["unfurl_media"] in (False, "false", "0")
    for markup in ("*bold*", "_it_", "~strike~", "`code`", "```", "<https:", "<!channel>"):
        assert markup not in text, markup
    assert "https://evil.example/x" in text  # a link as its text: not unfurled
    assert "&lt;!channel&gt; &amp;" in text  # escaped once: pings nobody
    assert f"\nRemoved <@{BOB}> — reason: " in text  # kickbot's own markup still works
    assert "∗bold∗ ˍitˍ ∼strike∼ ˋcodeˋ" in reply.plain  # what was typed, shown inert
    assert "Removed" in reply.plain


@pytest.fixture
async def http_bot_on_store(
    slack: SlackWorkspace, slack_settings: SettingsMaker, store_url: str
) -> AsyncIterator[Bot]:
    async with running(slack, slack_settings("http", store=store_url)) as started:
        yield started


async def test_text_no_store_can_hold_is_recorded_safely_and_answered(
    slack: SlackWorkspace, http_bot_on_store: Bot
) -> None:
    bot = http_bot_on_store
    assert isinstance(bot.transport, HttpTransport)
    event = slack.mention(ALICE, DESK, "@kickbot kick @bob because\x00of\ud800this\udc00")
    delivery = await bot.transport.sender.event(event)
    assert delivery.status == 200  # recorded: Slack does not deliver it again
    reply = await slack.next_message(DESK)
    assert "Removed @Bob Member — reason: because\ufffdof\ufffdthis\ufffd" in reply.plain
    store = bot.app.store
    assert store is not None
    for _ in range(500):  # the case is closed just after its reply is posted
        (case,) = await store.audit()
        if case.outcome is not None:
            break
        await asyncio.sleep(0.01)
    assert case.outcome == "report"
    assert case.reason == "because\ufffdof\ufffdthis\ufffd"
    assert case.results[0]["detail"].endswith("because\ufffdof\ufffdthis\ufffd")
    checked = await audit.examine(store.database, None)
    assert checked.intact, checked.first_problem
    assert (checked.checked, checked.cases, checked.results) == (2, 1, 1)
