"""Slack row of the bench: command-to-reply latency of one /kick on loopback, beside the bare calls.

Both paths run against the emulated Slack workspace (bot/testing/slack/workspace.py), interleaved:
- bot:    a signed ``/kick @bob`` slash command is POSTed to kickbot's Request URL -> Bolt (HTTP
          mode: signature check, ack) -> kickbot (record, policy, channel info, owner lookup,
          member list, conversations.kick, reply) -> the reply is in the channel;
- direct: the same Web API calls the bot path made in that iteration (read from the double's
          request log: channel info, owner lookups, member list, conversations.kick,
          chat.postMessage), replayed as kickbot made them (one after another, those it made
          side by side together) with the same arguments through an
          AsyncWebClient built exactly as kickbot builds its own, no Bolt and no kickbot, in a
          process of its own (bench/direct_child.py).
The bot path is timed from the command arriving (the signed request written to kickbot's socket)
to the reply being in the channel. The ratio bot/direct is kickbot's overhead including Bolt's
dispatch and its SQLite writes.
kickbot and the direct path run in processes of their own, a second kickbot (``unflushed``)
beside the first: see bench/bot_process.py.
"""

from __future__ import annotations

import tempfile
import time
from functools import partial
from pathlib import Path

from bench_common import Results, in_steps, run, side_by_side, unflushed
from bot_process import Apart, direct_apart, kickbot_apart

from bot.testing.slack.config import kickbot_section
from bot.testing.slack.signing import SignedSender
from bot.testing.slack.web import RecordedCall
from bot.testing.slack.workspace import SlackWorkspace

CHANNEL, ALICE, BOB = "C0BENCH001", "U0ALICE", "U0BOB"


STEPS = {
    "conversations.info": "look-ahead",
    "conversations.members": "look-ahead",
    "users.info": "owners",
}
"""The calls kickbot makes side by side: the channel beside its members, then the owner checks
of the caller and the targets (see bench_common.in_steps)."""


def method_of(call: RecordedCall) -> str:
    return call.path.removeprefix("/api/")


def step_of(call: RecordedCall) -> str | None:
    return STEPS.get(method_of(call))


def chain_of(call: RecordedCall) -> str:
    user = {**call.query, **(call.body or {})}.get("user")
    return f"{method_of(call)} {user}" if user else method_of(call)


def as_plan(call: RecordedCall) -> dict[str, object]:
    """A recorded Web API call, as the direct path makes it again (bench/direct_child.py)."""
    return {
        "method": method_of(call),
        "verb": call.method,
        "json": "json" in call.headers.get("Content-Type", ""),
        "body": call.body,
        "query": call.query,
    }


async def measure(n: int, warmup: int) -> Results:
    counted = {"n": 0.0, "steps": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        slack = SlackWorkspace()
        slack.add_user(ALICE, "alice", "Alice Admin", email="alice@example.com", is_admin=True)
        slack.add_user(BOB, "bob", "Bob Member", email="bob@example.com")
        slack.add_channel(CHANNEL, "bench", creator=ALICE, members=[BOB])
        async with slack:
            section = {
                **kickbot_section(slack),
                # Slack's Tier 3 (50+ a minute) would pace the run's 55 removals after the
                # 50th: pacing is section 4's; here the limiter stays in the path but never waits.
                "changes_per_minute": 100_000,
            }
            data = {"store": f"sqlite:///{tmp}/bench.db", "slack": section}
            async with (
                kickbot_apart(data, Path(tmp)) as bot,
                kickbot_apart(*unflushed(data, Path(tmp))) as relaxed,
                direct_apart("slack", data, Path(tmp)) as direct,
                SignedSender(bot.listen["slack"], slack.signing_secret) as to_bot,
                SignedSender(relaxed.listen["slack"], slack.signing_secret) as to_relaxed,
            ):
                plan: list[RecordedCall] = []
                """The calls the first bot made in this iteration, for the direct path."""

                async def bot_path(apart: Apart, sender: SignedSender, i: int) -> float:
                    slack.join(CHANNEL, BOB)
                    start = len(slack.requests)
                    fields = slack.slash_command(ALICE, CHANNEL, "@bob")
                    ack = await sender.slash_command(fields)
                    reply = await slack.next_message(CHANNEL, timeout=30)
                    t1 = time.perf_counter()
                    assert sender.sent_at is not None
                    t0 = sender.sent_at
                    assert ack.status == 200, ack
                    assert "Removed" in reply.plain, reply.plain
                    await apart.reach(i + 1)
                    if apart is bot:
                        plan[:] = slack.requests[start:]
                    return (t1 - t0) * 1000

                async def direct_path(i: int) -> float:
                    # the calls the first bot made, replayed with the same client
                    steps = in_steps(plan, step_of, chain_of)
                    slack.join(CHANNEL, BOB)
                    took = await direct.run(
                        {"steps": [[[as_plan(c) for c in chain] for chain in s] for s in steps]}
                    )
                    await slack.next_message(CHANNEL, timeout=30)
                    counted.update(n=float(len(plan)), steps=float(len(steps)))
                    return took

                bots = {
                    "bot": partial(bot_path, bot, to_bot),
                    "unflushed": partial(bot_path, relaxed, to_relaxed),
                }
                series = await side_by_side(n, warmup, bots, direct_path)
        slack.assert_no_violations()
    return {**series, "calls": counted}


def main() -> None:
    calls = run(__doc__, measure, "slack ")["calls"]
    print(f"slack Web API calls per /kick: {int(calls['n'])} in {int(calls['steps'])} steps")


if __name__ == "__main__":
    main()
