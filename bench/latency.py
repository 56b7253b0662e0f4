"""Command-to-reply latency of one /kick on loopback, beside the same HTTP calls made directly.

Both paths use symphony-bdk-python against the emulated pod, interleaved in one run:
- bot:    a person says "/kick @bob" -> datafeed v2 -> kickbot (record, policy, room info,
          membership list, remove, reply) -> the reply is in the room;
- direct: the same four pod/agent calls (room info, membership list, remove, message create)
          made one after another with the same SDK client, no datafeed and no kickbot.
The bot path is timed from the command arriving (the double's answer to the datafeed read that
carries it is ready to send) to the reply being in the room. The ratio bot/direct is kickbot's
overhead including the BDK's handling of the read and kickbot's SQLite writes.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench_common import Finished, Results, print_ratio, print_results, run, summarise
from symphony.bdk.core.config.loader import BdkConfigLoader
from symphony.bdk.core.symphony_bdk import SymphonyBdk

from bot.app import App
from bot.platforms.symphony import SymphonyPlatform
from bot.settings import parse
from bot.testing import SymphonyPod
from handlers import COMMANDS

ROOM, ALICE, BOB = "QmVuY2gtUm9vbS0x", 1001, 1002
REPLY = (
    f'<messageML><mention uid="{ALICE}"/> <code>/kick</code>: 1 done<br/>'
    f'Removed <mention uid="{BOB}"/>&#46;</messageML>'
)


def arrived(pod: SymphonyPod, said: float) -> float:
    """When the datafeed read that delivered what was said at ``said`` was answered."""
    return min(
        r.answered_at
        for r in pod.calls("POST", r"/datafeeds/[^/]+/read$")
        if r.answered_at is not None and r.answered_at > said
    )


async def measure(n: int, warmup: int) -> Results:
    bot_ms: list[float] = []
    direct_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        pod = SymphonyPod(bot_username="kickbot", bot_user_id=1000, bot_display_name="kickbot")
        pod.add_user(ALICE, "Alice", email="alice@example.com", username="alice")
        pod.add_user(BOB, "Bob", email="bob@example.com", username="bob")
        pod.add_room(ROOM, "Bench", owners=[ALICE], members=[1000, BOB])
        async with pod:
            key = pod.write_private_key(Path(tmp) / "bot.pem")
            cfg = pod.bdk_config(key)
            settings = parse(
                {"store": f"sqlite:///{tmp}/bench.db", "symphony": cfg},
                [c.name for c in COMMANDS],
            )
            assert settings.symphony is not None
            app = App(settings, {"symphony": SymphonyPlatform(settings.symphony)})
            async with app, SymphonyBdk(BdkConfigLoader.load_from_content(json.dumps(cfg))) as sdk:
                await pod.wait_until_listening()
                streams, messages = sdk.streams(), sdk.messages()
                finished = Finished(app)
                for i in range(warmup + n):
                    # bot path
                    pod.room(ROOM).set_member(BOB, False)
                    said = time.perf_counter()
                    pod.say(ALICE, ROOM, "/kick @bob")
                    reply = await pod.next_message(ROOM, timeout=30)
                    t1 = time.perf_counter()
                    t0 = arrived(pod, said)
                    assert "Removed" in reply.text, reply.text
                    await finished.reach(i + 1)
                    # direct path, same calls, same SDK
                    pod.room(ROOM).set_member(BOB, False)
                    t2 = time.perf_counter()
                    await streams.get_room_info(ROOM)
                    await streams.list_room_members(ROOM)
                    await streams.remove_member_from_room(BOB, ROOM)
                    await messages.send_message(ROOM, REPLY)
                    t3 = time.perf_counter()
                    await pod.next_message(ROOM, timeout=30)
                    if i >= warmup:
                        bot_ms.append((t1 - t0) * 1000)
                        direct_ms.append((t3 - t2) * 1000)
            pod.assert_no_violations()
    return summarise(bot=bot_ms, direct=direct_ms)


def main() -> None:
    res = run(__doc__, measure)
    print_results(res)
    print_ratio(res)


if __name__ == "__main__":
    main()
