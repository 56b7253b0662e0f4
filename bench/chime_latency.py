"""Event-to-reply latency of one /kick on Chime (loopback double), beside the same calls direct.

Both paths use kickbot's SigV4-signed httpx client against the Chime double, interleaved:
- bot:    a signed Mention event "/kick @bob" -> kickbot's endpoint (sender lookup, record) ->
          worker (GetRoom; the member list is the one just read for the sender;
          DeleteRoomMembership) -> webhook reply arrives;
- direct: the same four calls (ListRoomMemberships for the sender, GetRoom,
          DeleteRoomMembership, the webhook POST) one after another, no event, no kickbot.
Each iteration uses a fresh room, so neither path meets the 1-reply-per-second room pacing and
the sender lookup is never cached. The ratio bot/direct is kickbot's overhead including the
event delivery, signature check and its SQLite writes.
kickbot and the direct path run in processes of their own, a second kickbot (``unflushed``)
beside the first: see bench/bot_process.py.
"""

from __future__ import annotations

import os
import tempfile
import time
from functools import partial
from pathlib import Path

from bench_common import Results, run, side_by_side, unflushed
from bot_process import Apart, direct_apart, kickbot_apart

from bot.testing.chime.double import ChimeDouble

ALICE, BOB = "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
DIRECT_CALLS = ["ListRoomMemberships", "GetRoom", "DeleteRoomMembership", "webhook"]
REPLY = "@alice@example.com `/kick` · case 1: 1 done\nRemoved @bob@example.com."


async def measure(n: int, warmup: int) -> Results:
    with tempfile.TemporaryDirectory() as tmp:
        chime = ChimeDouble()
        chime.add_user(ALICE, "Alice", "alice@example.com")
        chime.add_user(BOB, "Bob", "bob@example.com")
        async with chime:
            data = {"store": f"sqlite:///{tmp}/bench.db", "chime": chime.config()}
            env = {**chime.credentials_env(), "AWS_CONFIG_FILE": os.devnull}
            async with (
                kickbot_apart(data, Path(tmp), env) as bot,
                kickbot_apart(*unflushed(data, Path(tmp)), env) as relaxed,
                direct_apart("chime", data, Path(tmp), env) as direct,
            ):

                async def bot_path(apart: Apart, tag: str, i: int) -> float:
                    chime.events.endpoint = apart.listen["chime"]
                    room = f"bench-{tag}-{i}"
                    chime.add_room(room, "Bench", administrators=[ALICE], members=[BOB])
                    message = f"{chime.events.mention_prefix()} /kick @bob@example.com"
                    body = chime.events.mention_body("alice@example.com", room, message)
                    made = len(chime.requests)
                    delivery = await chime.events.send(body)
                    reply = await chime.next_message(room, timeout=30)
                    t1 = time.perf_counter()
                    assert chime.events.sent_at is not None
                    t0 = chime.events.sent_at  # the event's body written to kickbot's socket
                    assert delivery.status == 200, delivery.attempts
                    assert "Removed" in reply.text, reply.text
                    calls = [c.operation or "webhook" for c in chime.requests[made:]]
                    assert calls == DIRECT_CALLS, calls  # what the direct path makes
                    await apart.reach(i + 1)
                    return (t1 - t0) * 1000

                async def direct_path(i: int) -> float:
                    # the same calls with the same signed client
                    room = f"bench-direct-{i}"
                    chime.add_room(room, "Bench", administrators=[ALICE], members=[BOB])
                    plan = {
                        "room": room,
                        "user": BOB,
                        "webhook": chime.webhook_url(room),
                        "reply": REPLY,
                    }
                    took = await direct.run(plan)
                    await chime.next_message(room, timeout=30)
                    return took

                bots = {
                    "bot": partial(bot_path, bot, "bot"),
                    "unflushed": partial(bot_path, relaxed, "unflushed"),
                }
                results = await side_by_side(n, warmup, bots, direct_path)
            chime.assert_no_violations()
    return results


if __name__ == "__main__":
    run(__doc__, measure)
