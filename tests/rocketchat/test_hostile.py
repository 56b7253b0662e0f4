"""Hostile requests to the outgoing-webhook endpoint: junk gets a 4xx before any work (no
REST call, nothing recorded), never a 500. The token lives inside the JSON body, so the body is
read first: bounded in size, of the JSON type, parsed so that nothing it holds fails with a 500."""

from __future__ import annotations

import json

from bot.app import App
from bot.testing.rocketchat.server import RocketChatServer
from tests.hostile import NESTED, NOT_UTF8, OVERSIZE, Probe, answered, wrong
from tests.kit import cases
from tests.rocketchat.conftest import ALICE, BOB, DESK, Room, platform_of, visible

JSON_TYPE = ("Content-Type", b"application/json")


async def test_junk_gets_a_4xx_before_any_work(
    server: RocketChatServer, desk: Room, bot: App
) -> None:
    url = platform_of(bot).webhook_url
    payload = {
        "token": server.webhook_token,
        "channel_id": DESK,
        "message_id": "m-hostile-1",
        "user_id": ALICE,
        "user_name": "alice",
        "text": "!kick @bob",
    }
    good = json.dumps(payload).encode()
    lone = json.dumps({**payload, "token": "\ud800"}).encode()  # "\\ud800": valid JSON
    calls = len(server.requests)
    probes: dict[str, Probe] = {
        "nested": ([JSON_TYPE], NESTED, 400),
        "nested in the token": (
            [JSON_TYPE],
            good.replace(b'"text"', b'"x": ' + NESTED[5:-1] + b', "text"'),
            400,
        ),
        "not utf-8": ([JSON_TYPE], NOT_UTF8, 400),
        "lone surrogate token": ([JSON_TYPE], lone, 403),
        "wrong type": ([("Content-Type", b"text/plain")], good, 415),
        "no type": ([], good, 415),
        "oversize": ([JSON_TYPE], OVERSIZE, 413),
    }
    assert wrong(await answered(url, probes)) == {}
    assert len(server.requests) == calls  # not even a look-up
    assert await cases(bot) == 0
    assert BOB in desk.members
    # The endpoint is still there, and a genuine delivery is taken.
    assert (await desk.post(ALICE, "!kick @bob")).status == 200
    assert "Removed @bob." in visible((await server.next_message(DESK)).msg)
    assert await cases(bot) == 1
