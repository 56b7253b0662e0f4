"""Command-to-reply latency of one /kick on loopback, beside the same HTTP calls made directly.

Both paths use symphony-bdk-python against the emulated pod, interleaved in one run:
- bot:    a person says "/kick @bob" -> datafeed v2 -> kickbot (record, policy; room info
          beside the membership list, begun while the record commits; remove, reply) -> the
          reply is in the room;
- direct: the same four pod/agent calls (room info beside the membership list, then remove,
          message create) with the same SDK client, no datafeed and no kickbot, in a process of
          its own (bench/direct_child.py).
The bot path is timed from the command arriving (the double's answer to the datafeed read that
carries it is ready to send) to the reply being in the room. The ratio bot/direct is kickbot's
overhead including the BDK's handling of the read and kickbot's SQLite writes.
kickbot runs in a process of its own (bench/bot_process.py), as it would beside a real pod: the
double's work (answering the BDK's next datafeed read while the command runs, checking every
request against the spec) is not done on kickbot's event loop; the direct path's client is in a
process of its own too, so both cross the same process boundary to reach the double. Each
iteration waits for kickbot to close the case before the direct path runs, so neither path
shares the machine with the other.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench_common import Results, Timings, run
from bot_process import direct_apart, kickbot_apart

from bot.testing.symphony import SymphonyPod

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
    timings = Timings(warmup)
    with tempfile.TemporaryDirectory() as tmp:
        pod = SymphonyPod(bot_username="kickbot", bot_user_id=1000, bot_display_name="kickbot")
        pod.add_user(ALICE, "Alice", email="alice@example.com", username="alice")
        pod.add_user(BOB, "Bob", email="bob@example.com", username="bob")
        pod.add_room(ROOM, "Bench", owners=[ALICE], members=[1000, BOB])
        async with pod:
            key = pod.write_private_key(Path(tmp) / "bot.pem")
            cfg = pod.bdk_config(key)
            data = {"store": f"sqlite:///{tmp}/bench.db", "symphony": cfg}
            plan = {"room": ROOM, "user": BOB, "reply": REPLY}
            async with (
                kickbot_apart(data, Path(tmp)) as bot,
                direct_apart("symphony", data, Path(tmp)) as direct,
            ):
                await pod.wait_until_listening(timeout=60)
                for i in range(warmup + n):
                    # bot path
                    pod.room(ROOM).set_member(BOB, False)
                    said = time.perf_counter()
                    pod.say(ALICE, ROOM, "/kick @bob")
                    reply = await pod.next_message(ROOM, timeout=30)
                    t1 = time.perf_counter()
                    t0 = arrived(pod, said)
                    assert "Removed" in reply.text, reply.text
                    await bot.reach(i + 1)
                    # direct path, same calls, same SDK
                    pod.room(ROOM).set_member(BOB, False)
                    took = await direct.run(plan)
                    await pod.next_message(ROOM, timeout=30)
                    timings.add(i, bot=(t1 - t0) * 1000, direct=took)
            pod.assert_no_violations()
    return timings.summary()


if __name__ == "__main__":
    run(__doc__, measure)
