"""Slack row of the bench: command-to-reply latency of one /kick on loopback, beside the bare calls.

Both paths run against the emulated Slack workspace (bot/testing/slack_api.py), interleaved:
- bot:    a signed ``/kick @bob`` slash command is POSTed to kickbot's Request URL -> Bolt (HTTP
          mode: signature check, ack) -> kickbot (record, policy, channel info, owner lookup,
          member list, conversations.kick, reply) -> the reply is in the channel;
- direct: the same Web API calls the bot path made in that iteration (read from the double's
          request log: channel info, owner lookups, member list, conversations.kick,
          chat.postMessage), replayed one after another with the same arguments through an
          AsyncWebClient built exactly as kickbot builds its own, no Bolt and no kickbot.
The bot path is timed from the command arriving (the signed request written to kickbot's socket)
to the reply being in the channel. The ratio bot/direct is kickbot's overhead including Bolt's
dispatch and its SQLite writes.
"""

from __future__ import annotations

import tempfile
import time

import aiohttp
from bench_common import Finished, Results, print_ratio, print_results, run, summarise
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.platforms.slack import SlackPlatform, web_client
from bot.settings import parse
from bot.testing.slack_api import SlackWorkspace
from bot.testing.slack_signing import SignedSender
from bot.testing.slack_web import RecordedCall
from handlers import COMMANDS

CHANNEL, ALICE, BOB = "C0BENCH001", "U0ALICE", "U0BOB"


async def replay(client: AsyncWebClient, call: RecordedCall) -> None:
    method = call.path.removeprefix("/api/")
    if "json" in call.headers.get("Content-Type", ""):
        await client.api_call(method, http_verb=call.method, json=call.body)
    else:
        await client.api_call(
            method, http_verb=call.method, params={**call.query, **(call.body or {})}
        )


async def measure(n: int, warmup: int) -> Results:
    calls = 0
    bot_ms: list[float] = []
    direct_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        slack = SlackWorkspace()
        slack.add_user(ALICE, "alice", "Alice Admin", email="alice@example.com", is_admin=True)
        slack.add_user(BOB, "bob", "Bob Member", email="bob@example.com")
        slack.add_channel(CHANNEL, "bench", creator=ALICE, members=[BOB])
        async with slack:
            section = {
                "mode": "http",
                "bot_token": slack.bot_token,
                "signing_secret": slack.signing_secret,
                "api_base_url": slack.api_url,
                "listen_host": "127.0.0.1",
                "listen_port": 0,
                # Slack's Tier 3 (50+ a minute) would pace the run's 55 removals after the
                # 50th: pacing is section 4's; here the limiter stays in the path but never waits.
                "changes_per_minute": 100_000,
            }
            settings = parse(
                {"store": f"sqlite:///{tmp}/bench.db", "slack": section},
                [c.name for c in COMMANDS],
            )
            assert settings.slack is not None
            platform = SlackPlatform(settings.slack)
            app = App(settings, {"slack": platform})
            async with (
                app,
                SignedSender(platform.listen_url, slack.signing_secret) as sender,
                aiohttp.ClientSession() as session,
            ):
                client = web_client(platform.settings, session)
                finished = Finished(app)
                for i in range(warmup + n):
                    # bot path
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
                    await finished.reach(i + 1)
                    # direct path: the same calls, replayed with the same kind of client
                    plan = slack.requests[start:]
                    slack.join(CHANNEL, BOB)
                    t2 = time.perf_counter()
                    for call in plan:
                        await replay(client, call)
                    t3 = time.perf_counter()
                    await slack.next_message(CHANNEL, timeout=30)
                    calls = len(plan)
                    if i >= warmup:
                        bot_ms.append((t1 - t0) * 1000)
                        direct_ms.append((t3 - t2) * 1000)
        slack.assert_no_violations()
    return {**summarise(bot=bot_ms, direct=direct_ms), "calls": {"n": float(calls)}}


def main() -> None:
    res = run(__doc__, measure)
    print_results(res, "slack ")
    print(f"slack Web API calls per /kick: {int(res['calls']['n'])}")
    print_ratio(res, "slack ")


if __name__ == "__main__":
    main()
