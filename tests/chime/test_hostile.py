"""Hostile requests to the event endpoint: junk gets a 4xx before any work (no Chime call,
nothing recorded), never a 500; the signature is checked before the body is parsed."""

from __future__ import annotations

from bot.app import App
from bot.testing.chime.double import ChimeDouble
from bot.testing.chime.events import chime_timestamp, signature
from tests.chime.conftest import ALICE, DESK, EMAIL, Room
from tests.hostile import NESTED, NOT_UTF8, OVERSIZE, Probe, answered, raw_post, wrong
from tests.kit import cases

JSON_TYPE = ("Content-Type", b"application/json")


def signed(token: str, body: bytes, timestamp: str | None = None) -> list[tuple[str, bytes]]:
    stamp = timestamp if timestamp is not None else chime_timestamp()
    return [
        ("Chime-Request-Timestamp", stamp.encode()),
        ("Chime-Signature", signature(token, stamp, body).encode()),
    ]


async def test_junk_gets_a_4xx_before_any_work(chime: ChimeDouble, bot: App, desk: Room) -> None:
    url = chime.events.endpoint
    assert url is not None
    token = chime.security_token
    event = chime.events.mention_body(EMAIL[ALICE], DESK, "@kickbot@example.com /help")
    good = signed(token, event)
    probes: dict[str, Probe] = {
        "unsigned nested": ([JSON_TYPE], NESTED, 401),
        "forged nested": ([JSON_TYPE, *signed("not-the-token", NESTED)], NESTED, 401),
        "signed nested": ([JSON_TYPE, *signed(token, NESTED)], NESTED, 400),
        "signed not utf-8": ([JSON_TYPE, *signed(token, NOT_UTF8)], NOT_UTF8, 400),
        "timestamp not utf-8": (
            [JSON_TYPE, ("Chime-Request-Timestamp", b"\xff\xfe"), good[1]],
            event,
            401,
        ),
        "signature not utf-8": ([JSON_TYPE, good[0], ("Chime-Signature", b"\xff=")], event, 401),
        "timestamp abc": ([JSON_TYPE, *signed(token, event, "abc")], event, 401),
        "wrong type": ([("Content-Type", b"text/plain"), *good], event, 415),
        "oversize": ([JSON_TYPE, *signed(token, OVERSIZE)], OVERSIZE, 413),
    }
    assert wrong(await answered(url, probes)) == {}
    assert [c for c in chime.requests if c.operation] == []  # not even a look-up
    assert await cases(bot) == 0
    # The endpoint is still there, and a genuine event is taken.
    assert await raw_post(url, [JSON_TYPE, *signed(token, event)], event) == 200
    assert "Commands you may use here" in (await chime.next_message(DESK)).text
    assert await cases(bot) == 1
