"""Webhook-to-reply latency of one !kick on loopback, beside the same REST calls made directly.

Both paths run against the emulated Rocket.Chat server, interleaved in one run:
- bot:    a person writes "!kick @bob" -> the outgoing webhook POSTs it to kickbot -> kickbot
          (token check, users.info look-ups, record, policy, rooms.info, roles, members, kick,
          reply) -> the reply is in the thread;
- direct: the very REST calls the bot made in that iteration (read from the server's request
          log), replayed one after another with the adapter's own httpx client: no webhook, no
          kickbot.
The ratio bot/direct is kickbot's overhead including the webhook hop and its SQLite writes.
The bot runs as with the ``api-bypass-rate-limit`` permission (no pacing), user look-ups cached.
"""

from __future__ import annotations

import tempfile
import time

from bench_common import Finished, Results, print_ratio, print_results, run, summarise

from bot.app import App
from bot.platforms.rocketchat import RocketChatPlatform
from bot.settings import parse
from bot.testing.rocketchat_api import RocketChatServer
from bot.testing.rocketchat_state import RcRequest
from handlers import COMMANDS

BOT, ALICE, BOB, ROOM = "kickbot-id", "u-alice", "u-bob", "R-bench"


def build_server() -> RocketChatServer:
    server = RocketChatServer(bot_user_id=BOT, bot_username="kickbot", bot_roles=("bot", "admin"))
    server.add_user(ALICE, "alice")
    server.add_user(BOB, "bob")
    server.add_room(ROOM, "bench", "p", owners=[ALICE], members=[BOT, BOB])
    return server


async def measure(n: int, warmup: int) -> Results:
    bot_ms: list[float] = []
    direct_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with build_server() as server:
            settings = parse(
                {
                    "store": f"sqlite:///{tmp}/bench.db",
                    "rocketchat": server.bot_config(cache_seconds=30),
                },
                [c.name for c in COMMANDS],
            )
            assert settings.rocketchat is not None
            platform = RocketChatPlatform(settings.rocketchat)
            async with App(settings, {"rocketchat": platform}) as app:
                finished = Finished(app)
                server.connect(platform.webhook_url)
                http = platform.rest.http
                for i in range(warmup + n):
                    # bot path
                    server.room(ROOM).add(BOB)
                    first = len(server.requests)
                    t0 = time.perf_counter()
                    delivery = await server.say(ALICE, ROOM, "!kick @bob")
                    reply = await server.next_message(ROOM, timeout=30)
                    t1 = time.perf_counter()
                    assert delivery.status == 200, delivery
                    assert "Removed @bob" in reply.msg, reply.msg
                    await finished.reach(i + 1)
                    made: list[RcRequest] = server.requests[first:]
                    # direct path: the same calls, same client
                    server.room(ROOM).add(BOB)
                    t2 = time.perf_counter()
                    for r in made:
                        if r.method == "GET":
                            answer = await http.get(r.endpoint, params=r.query)
                        else:
                            answer = await http.post(r.endpoint, json=r.body)
                        assert answer.status_code == 200, (r.endpoint, answer.text)
                    t3 = time.perf_counter()
                    await server.next_message(ROOM, timeout=30)
                    if i >= warmup:
                        bot_ms.append((t1 - t0) * 1000)
                        direct_ms.append((t3 - t2) * 1000)
            server.assert_no_violations()
    return summarise(bot=bot_ms, direct=direct_ms)


def main() -> None:
    res = run(__doc__, measure)
    print_results(res)
    print_ratio(res)


if __name__ == "__main__":
    main()
