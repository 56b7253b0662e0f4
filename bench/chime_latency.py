"""Event-to-reply latency of one /kick on Chime (loopback double), beside the same calls direct.

Both paths use kickbot's SigV4-signed httpx client against the Chime double, interleaved:
- bot:    a signed Mention event "/kick @bob" -> kickbot's endpoint (sender lookup, record) ->
          worker (GetRoom, ListRoomMemberships, DeleteRoomMembership) -> webhook reply arrives;
- direct: the same five calls (ListRoomMemberships for the sender, GetRoom, ListRoomMemberships,
          DeleteRoomMembership, the webhook POST) one after another, no event and no kickbot.
Each iteration uses a fresh room, so neither path meets the 1-reply-per-second room pacing and
the sender lookup is never cached. The ratio bot/direct is kickbot's overhead including the
event delivery, signature check and its SQLite writes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from contextlib import nullcontext

from bot import logs
from bot.app import App
from bot.platforms.chime import ChimePlatform
from bot.platforms.chime_client import Attempts, ChimeClient, resolve_credentials
from bot.settings import parse
from bot.testing.chime_api import ChimeDouble
from bot.testing.chime_demo import environment
from handlers import COMMANDS

ALICE, BOB = "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
REPLY = "@alice@example.com `/kick` · case 1: 1 done\nRemoved @bob@example.com."


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(n: int, warmup: int) -> dict[str, dict[str, float]]:
    bot_ms: list[float] = []
    direct_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        chime = ChimeDouble()
        chime.add_user(ALICE, "Alice", "alice@example.com")
        chime.add_user(BOB, "Bob", "bob@example.com")
        async with chime:
            settings = parse(
                {"store": f"sqlite:///{tmp}/bench.db", "chime": chime.config()},
                [c.name for c in COMMANDS],
            )
            assert settings.chime is not None
            with environment({**chime.credentials_env(), "AWS_CONFIG_FILE": os.devnull}):
                platform = ChimePlatform(settings.chime)
                direct = ChimeClient(platform.settings, resolve_credentials(platform.settings))
            app = App(settings, {"chime": platform})
            async with app:
                chime.events.endpoint = platform.listen_url
                for i in range(warmup + n):
                    # bot path
                    room = f"bench-bot-{i}"
                    chime.add_room(room, "Bench", administrators=[ALICE], members=[BOB])
                    message = f"{chime.events.mention_prefix()} /kick @bob@example.com"
                    body = chime.events.mention_body("alice@example.com", room, message)
                    t0 = time.perf_counter()
                    delivery = await chime.events.send(body)
                    reply = await chime.next_message(room, timeout=30)
                    t1 = time.perf_counter()
                    assert delivery.status == 200, delivery.attempts
                    assert "Removed" in reply.text, reply.text
                    # direct path, same calls, same signed client
                    room = f"bench-direct-{i}"
                    chime.add_room(room, "Bench", administrators=[ALICE], members=[BOB])
                    url = chime.webhook_url(room)
                    t2 = time.perf_counter()
                    async for _ in direct.list_room_memberships(room):
                        pass
                    await direct.get_room(room)
                    async for _ in direct.list_room_memberships(room):
                        pass
                    await direct.delete_room_membership(room, BOB, Attempts())
                    await direct.post_webhook(url, REPLY, nullcontext())
                    t3 = time.perf_counter()
                    await chime.next_message(room, timeout=30)
                    if i >= warmup:
                        bot_ms.append((t1 - t0) * 1000)
                        direct_ms.append((t3 - t2) * 1000)
            await direct.close()
            chime.assert_no_violations()
    out = {}
    for name, values in (("bot", bot_ms), ("direct", direct_ms)):
        out[name] = {
            "median_ms": statistics.median(values),
            "p95_ms": pct(values, 0.95),
            "n": float(len(values)),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="measured iterations")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    logs.configure("WARNING")
    res = asyncio.run(measure(args.n, args.warmup))
    for name, r in res.items():
        median, p95, n = r["median_ms"], r["p95_ms"], int(r["n"])
        print(f"{name:7} median {median:7.2f} ms   p95 {p95:7.2f} ms   n={n}")
    ratio = res["bot"]["median_ms"] / res["direct"]["median_ms"]
    print(f"ratio bot/direct (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
