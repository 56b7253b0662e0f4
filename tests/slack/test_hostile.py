"""Hostile requests to the Request URL: junk gets a 4xx before any work (no Web API call,
nothing recorded), never a 500."""

from __future__ import annotations

import hashlib
import hmac
import time

from bot.testing.slack_api import SlackWorkspace
from tests.hostile import NESTED, NOT_UTF8, OVERSIZE, raw_post
from tests.slack.conftest import ALICE, DESK, Bot, Channel


def signed(secret: str, body: bytes, timestamp: str | None = None) -> list[tuple[str, bytes]]:
    """Slack's headers for ``body``: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    stamp = (timestamp if timestamp is not None else str(int(time.time()))).encode()
    mac = hmac.new(secret.encode(), b"v0:" + stamp + b":" + body, hashlib.sha256)
    return [
        ("X-Slack-Request-Timestamp", stamp),
        ("X-Slack-Signature", b"v0=" + mac.hexdigest().encode()),
    ]


async def commands(bot: Bot) -> int:
    assert bot.app.store is not None
    return len(await bot.app.store.audit())


async def test_junk_gets_a_4xx_before_any_work(slack: SlackWorkspace, http_bot: Bot) -> None:
    url = http_bot.platform.listen_url
    secret = slack.signing_secret
    event = b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_mention"}}'
    json_type = ("Content-Type", b"application/json")
    good = signed(secret, event)
    sent: dict[str, tuple[list[tuple[str, bytes]], bytes]] = {
        # the timestamp is not a number of seconds (Bolt's own check fails on int())
        "abc": ([json_type, ("X-Slack-Request-Timestamp", b"abc"), good[1]], event),
        "empty": ([json_type, ("X-Slack-Request-Timestamp", b""), good[1]], event),
        "float": ([json_type, ("X-Slack-Request-Timestamp", b"1.7e9"), good[1]], event),
        "not utf-8": ([json_type, ("X-Slack-Request-Timestamp", b"\xff\xfe"), good[1]], event),
        "signature not utf-8": ([json_type, good[0], ("X-Slack-Signature", b"v0=\xff")], event),
        "unsigned nested": ([json_type], NESTED),
        "forged nested": ([json_type, *signed("not-the-secret", NESTED)], NESTED),
        "signed nested": ([json_type, *signed(secret, NESTED)], NESTED),
        "signed not utf-8": ([json_type, *signed(secret, NOT_UTF8)], NOT_UTF8),
        "wrong type": ([("Content-Type", b"text/plain"), *good], event),
        "no type": (good, event),
        "oversize": ([json_type, *signed(secret, OVERSIZE)], OVERSIZE),
    }
    before = len(slack.requests)
    got = {name: await raw_post(url, headers, body) for name, (headers, body) in sent.items()}
    assert got == {
        "abc": 401,
        "empty": 401,
        "float": 401,
        "not utf-8": 401,
        "signature not utf-8": 401,
        "unsigned nested": 401,
        "forged nested": 401,
        "signed nested": 400,
        "signed not utf-8": 400,
        "wrong type": 415,
        "no type": 415,
        "oversize": 413,
    }
    assert slack.requests[before:] == []  # not even a look-up
    assert await commands(http_bot) == 0
    # The receiver is still there, and a genuine command is taken.
    reply = await Channel(slack, http_bot, DESK).mention(ALICE, "@kickbot help")
    assert "Commands you may use here" in reply.plain
    assert await commands(http_bot) == 1
