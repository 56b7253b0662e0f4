"""Message-to-reply latency of one /kick on Amazon Chime SDK messaging (loopback double),
beside the same calls made direct.

- bot:    a channel message "/kick @bob" published on the messaging session's WebSocket ->
          kickbot records it -> worker (DescribeChannel beside the channel's members, hidden
          members and moderators; DeleteChannelMembership) -> SendChannelMessage arrives;
- direct: the same calls, made as kickbot makes them (the four reads side by side, then the
          removal, then the reply) with the client kickbot builds (botocore's own clients on
          its thread pool), no session, no kickbot.
Each path has a channel of its own where bob is put back after each iteration; the two kickbots
are two AppInstanceUsers (each hears only its own channel). kickbot runs in a process of
its own (bench/bot_process.py) and so does the direct path (bench/direct_child.py): both cross
the same process boundary to reach the double. Each iteration waits for kickbot to close the
case before the direct path runs. A second kickbot whose store does not flush each commit
(``unflushed``) takes its turn beside the first.
"""

from __future__ import annotations

import os
import tempfile
import time
from functools import partial
from pathlib import Path

from bench_common import Results, run, side_by_side, unflushed
from bot_process import Apart, direct_apart, kickbot_apart

from bot.testing.chime_sdk.double import ChimeSdkDouble

CALLS = {
    "DescribeChannel",
    "ListChannelMemberships",
    "ListChannelModerators",
    "ListAppInstanceAdmins",  # bob's rank: no moderator, so is he an admin? (kept 30 s)
    "DeleteChannelMembership",
    "SendChannelMessage",
}
REPLY = "@alice `/kick` · case 1: 1 done  \nRemoved @bob\\."


async def measure(n: int, warmup: int) -> Results:
    with tempfile.TemporaryDirectory() as tmp:
        sdk = ChimeSdkDouble()
        alice, bob = sdk.add_user("alice", "Alice"), sdk.add_user("bob", "Bob")
        other = sdk.add_user("kickbot-unflushed", "kickbot")
        channels = {
            "bot": sdk.add_channel("bench-bot", "Bench", moderators=[alice], members=[bob]),
            "unflushed": sdk.add_channel(
                "bench-unflushed", "Bench", moderators=[alice, other], members=[bob], with_bot=False
            ),
            "direct": sdk.add_channel("bench-direct", "Bench", moderators=[alice], members=[bob]),
        }
        async with sdk:
            section = sdk.config(retry_initial_seconds=0.5, retry_max_wait_seconds=20.0)
            data = {"store": f"sqlite:///{tmp}/bench.db", "chime_sdk": section}
            relaxed_data, relaxed_dir = unflushed(data, Path(tmp))
            relaxed_data["chime_sdk"] = {**section, "bot_arn": other}
            env = {**sdk.credentials_env(), "AWS_CONFIG_FILE": os.devnull}
            async with (
                kickbot_apart(data, Path(tmp), env) as bot,
                kickbot_apart(relaxed_data, relaxed_dir, env) as relaxed,
                direct_apart("chime_sdk", data, Path(tmp), env) as direct,
            ):

                async def bot_path(apart: Apart, channel: str, me: str, i: int) -> float:
                    sdk.channel(channel).add(bob)
                    made = len(sdk.requests)
                    t0 = time.perf_counter()
                    sdk.say(alice, channel, "/kick @bob")
                    reply = await sdk.next_message(channel, timeout=30, bot=me)
                    t1 = time.perf_counter()
                    assert "Removed @bob" in reply.content, reply.content
                    calls = {c.operation for c in sdk.requests[made:]}
                    assert i == 0 or calls <= CALLS, calls  # the first: catching up
                    await apart.reach(i + 1)
                    return (t1 - t0) * 1000

                async def direct_path(i: int) -> float:
                    sdk.channel(channels["direct"]).add(bob)
                    plan = {"channel": channels["direct"], "user": bob, "reply": REPLY}
                    return await direct.run(plan)

                bots = {
                    "bot": partial(bot_path, bot, channels["bot"], sdk.bot),
                    "unflushed": partial(bot_path, relaxed, channels["unflushed"], other),
                }
                results = await side_by_side(n, warmup, bots, direct_path)
            sdk.assert_no_violations()
    return results


if __name__ == "__main__":
    run(__doc__, measure)
