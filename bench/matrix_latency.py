"""Message-to-reply latency of one !kick on a real local Synapse, beside the same calls direct.

Both paths run against the same Synapse (SQLite, 127.0.0.1), interleaved:
- bot:    Alice sends "!kick <pill of Bob>" -> kickbot's /sync long-poll wakes -> record ->
          worker (room name beside the member list: power levels, joined members; then power
          levels, POST kick) -> the threaded reply reaches a watcher's /sync;
- direct: Alice sends a message as long (``?kick``, which the running bot ignores), then one
          client makes the same five reads and writes with the bot's token, the same ones side
          by side, and sends the same reply; timed until the watcher sees it.
Before each iteration Bob is invited back and joins (not timed). The ratio bot/direct is what
kickbot adds: the /sync delivery, the dispatcher and its SQLite writes.
Synapse comes from ``KICKBOT_SYNAPSE_VENV`` (default ``~/.cache/kickbot/synapse-venv``).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from functools import partial
from pathlib import Path

from bench_common import Results, Timings, closed_in, run

from bot.app import App
from bot.platforms.matrix.adapter import MatrixPlatform
from bot.settings import parse
from bot.testing.matrix import (
    Account,
    Homeserver,
    Seen,
    SynapseServer,
    Watcher,
    default_venv,
    ensure_synapse,
)
from handlers import COMMANDS


def _is(event_id: str, seen: Seen) -> bool:
    return seen.event_id == event_id


async def _direct(hs: Homeserver, bot: Account, room: str, target: Account) -> None:
    base = f"/_matrix/client/v3/rooms/{room}"

    async def members() -> None:
        await hs.power_levels(bot, room)
        await hs.request(bot, "GET", f"{base}/joined_members")

    # The room and its member list side by side, as kickbot looks them up.
    await asyncio.gather(hs.state(bot, room, "m.room.name"), members())
    await hs.power_levels(bot, room)
    await hs.request(bot, "POST", f"{base}/kick", {"user_id": target.user_id})


async def measure(n: int, warmup: int) -> Results:
    python = await asyncio.to_thread(ensure_synapse, default_venv())
    timings = Timings(warmup)
    with tempfile.TemporaryDirectory() as tmp:
        server = SynapseServer(python, Path(tmp) / "synapse")
        await asyncio.to_thread(server.start)
        try:
            async with Homeserver.of(server) as hs:
                bot, alice, bob, watch = await asyncio.gather(
                    *(hs.register(n) for n in ("kickbot", "alice", "bob", "watcher"))
                )
                room = await hs.create_room(
                    alice, name="Bench", members=[bot, bob, watch], power={bot.user_id: 100}
                )
                settings = parse(
                    {
                        "store": f"sqlite:///{tmp}/bench.db",
                        "matrix": {
                            "homeserver": server.url,
                            "user_id": bot.user_id,
                            "access_token": bot.access_token,
                            "sync_token_file": f"{tmp}/sync.json",
                        },
                    },
                    [c.name for c in COMMANDS],
                )
                assert settings.matrix is not None
                app = App(settings, {"matrix": MatrixPlatform(settings.matrix)})
                async with app, Watcher(hs, watch) as watcher:
                    finished = closed_in(app)
                    text, html = f"!kick {bob.user_id}", f"!kick {bob.pill}"
                    # as long, but no command: the running bot must not act on the direct path
                    quiet, quiet_html = f"?kick {bob.user_id}", f"?kick {bob.pill}"
                    for i in range(warmup + n):
                        # bot path
                        t0 = time.perf_counter()
                        cmd = await hs.say(alice, room, text, html=html)
                        reply = await watcher.reply_to(cmd, timeout=30)
                        t1 = time.perf_counter()
                        assert "Removed" in reply.body, reply.body
                        await finished.reach(i + 1)
                        await hs.invite(alice, room, bob.user_id)
                        await hs.join(bob, room)
                        # direct path: the same calls, no kickbot
                        t2 = time.perf_counter()
                        await hs.say(alice, room, quiet, html=quiet_html)
                        await _direct(hs, bot, room, bob)
                        sent = await hs.say(
                            bot, room, reply.body, html=reply.html, msgtype="m.notice"
                        )
                        await watcher.wait_for(partial(_is, sent), timeout=30)
                        t3 = time.perf_counter()
                        await hs.invite(alice, room, bob.user_id)
                        await hs.join(bob, room)
                        timings.add(i, bot=(t1 - t0) * 1000, direct=(t3 - t2) * 1000)
        finally:
            await asyncio.to_thread(server.stop)
    return timings.summary()


if __name__ == "__main__":
    run(__doc__, measure)
