"""Webhook-to-reply latency of one !kick on loopback, beside the same REST calls made directly.

Both paths run against the emulated Rocket.Chat server, interleaved in one run:
- bot:    a person writes "!kick @bob" -> the outgoing webhook POSTs it to kickbot -> kickbot
          (token check, users.info look-ups, record, policy, rooms.info, roles, members, kick,
          reply) -> the reply is in the thread;
- direct: the very REST calls the bot made in that iteration (read from the server's request
          log), replayed as kickbot made them (one after another, those it made side by side
          together) with an httpx client built as the adapter's: no webhook, no kickbot.
The ratio bot/direct is kickbot's overhead including the webhook hop and its SQLite writes.
The bot runs as with the ``api-bypass-rate-limit`` permission (no pacing), user look-ups cached.
kickbot and the direct path run in processes of their own, a second kickbot (``unflushed``)
beside the first: see bench/bot_process.py.
"""

from __future__ import annotations

import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench_common import Results, in_steps, run, side_by_side, unflushed
from bot_process import Apart, direct_apart, kickbot_apart

from bot.testing.rocketchat.server import RocketChatServer
from bot.testing.rocketchat.state import RcRequest

BOT, ALICE, BOB, ROOM = "kickbot-id", "u-alice", "u-bob", "R-bench"
MEMBER_LIST = ("groups.members", "groups.roles", "channels.members", "channels.roles")
"""The calls of a room's member list, made one after another beside the room's own read."""


def step_of(r: RcRequest) -> str | None:
    if r.endpoint == "rooms.info" or r.endpoint in MEMBER_LIST:
        return "look-ahead"
    return "owners" if r.endpoint == "users.info" else None


def chain_of(r: RcRequest) -> str:
    if r.endpoint in MEMBER_LIST:
        return "members"
    return f"{r.endpoint} {r.query.get('userId', '')}"


def as_plan(r: RcRequest) -> dict[str, Any]:
    return {"method": r.method, "endpoint": r.endpoint, "query": r.query, "body": r.body}


def build_server() -> RocketChatServer:
    server = RocketChatServer(bot_user_id=BOT, bot_username="kickbot", bot_roles=("bot", "admin"))
    server.add_user(ALICE, "alice")
    server.add_user(BOB, "bob")
    server.add_room(ROOM, "bench", "p", owners=[ALICE], members=[BOT, BOB])
    return server


async def measure(n: int, warmup: int) -> Results:
    with tempfile.TemporaryDirectory() as tmp:
        async with build_server() as server:
            data = {
                "store": f"sqlite:///{tmp}/bench.db",
                "rocketchat": server.bot_config(cache_seconds=30),
            }
            async with (
                kickbot_apart(data, Path(tmp)) as bot,
                kickbot_apart(*unflushed(data, Path(tmp))) as relaxed,
                direct_apart("rocketchat", data, Path(tmp)) as direct,
            ):
                made: list[RcRequest] = []
                """The calls the first bot made in this iteration, for the direct path."""

                async def bot_path(apart: Apart, i: int) -> float:
                    server.connect(apart.listen["rocketchat"])
                    server.room(ROOM).add(BOB)
                    first = len(server.requests)
                    delivery = await server.say(ALICE, ROOM, "!kick @bob")
                    reply = await server.next_message(ROOM, timeout=30)
                    t1 = time.perf_counter()
                    assert server.sent_at is not None
                    t0 = server.sent_at  # the webhook's body written to kickbot's socket
                    assert delivery.status == 200, delivery
                    assert "Removed @bob" in reply.msg, reply.msg
                    await apart.reach(i + 1)
                    if apart is bot:
                        made[:] = server.requests[first:]
                    return (t1 - t0) * 1000

                async def direct_path(i: int) -> float:
                    # the calls the first bot made, same client
                    server.room(ROOM).add(BOB)
                    steps = [
                        [[as_plan(r) for r in chain] for chain in step]
                        for step in in_steps(made, step_of, chain_of)
                    ]
                    took = await direct.run({"steps": steps})
                    await server.next_message(ROOM, timeout=30)
                    return took

                bots = {"bot": partial(bot_path, bot), "unflushed": partial(bot_path, relaxed)}
                results = await side_by_side(n, warmup, bots, direct_path)
            server.assert_no_violations()
    return results


if __name__ == "__main__":
    run(__doc__, measure)
