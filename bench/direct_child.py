"""The overhead benches' direct path in a process of its own: the calls kickbot made for one
command, made again as kickbot made them (one after another, except those it made side by
side: a room and its member list, people's ranks) with a client built as kickbot builds its
own, and nothing else. kickbot runs in its own process too (bench/bot_process.py), so both
paths cross the same process boundary to reach the doubles, which stay in the bench's process.

``python direct_child.py PLATFORM SETTINGS.json``: prints ``{"ready": true}``; then, for each
JSON plan read from stdin, makes its calls and prints ``{"ms": elapsed}`` (timed here, from the
first call's start to the last one's answer); stops at end of input.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, nullcontext
from pathlib import Path
from typing import Any

Runner = Callable[[dict[str, Any]], Awaitable[None]]


Call = dict[str, Any]


async def in_steps(steps: list[list[list[Call]]], one: Callable[[Call], Awaitable[None]]) -> None:
    """Steps one after another, a step's chains side by side, a chain's calls in turn (see
    bench_common.in_steps)."""

    async def chain(calls: list[Call]) -> None:
        for call in calls:
            await one(call)

    for step in steps:
        await asyncio.gather(*(chain(calls) for calls in step))


async def symphony(stack: AsyncExitStack, section: dict[str, Any]) -> Runner:
    from symphony.bdk.core.config.loader import BdkConfigLoader
    from symphony.bdk.core.symphony_bdk import SymphonyBdk

    sdk = await stack.enter_async_context(
        SymphonyBdk(BdkConfigLoader.load_from_content(json.dumps(section)))
    )
    streams, messages = sdk.streams(), sdk.messages()

    async def run(plan: dict[str, Any]) -> None:
        room = plan["room"]
        await asyncio.gather(streams.get_room_info(room), streams.list_room_members(room))
        await streams.remove_member_from_room(plan["user"], room)
        await messages.send_message(room, plan["reply"])

    return run


async def slack(stack: AsyncExitStack, section: dict[str, Any]) -> Runner:
    import aiohttp

    from bot.platforms.slack.adapter import SlackPlatform
    from bot.platforms.slack.calls import web_client

    session = await stack.enter_async_context(aiohttp.ClientSession())
    client = web_client(SlackPlatform(section).settings, session)

    async def one(call: dict[str, Any]) -> None:
        if call["json"]:
            await client.api_call(call["method"], http_verb=call["verb"], json=call["body"])
        else:
            params = {**call["query"], **(call["body"] or {})}
            await client.api_call(call["method"], http_verb=call["verb"], params=params)

    async def run(plan: dict[str, Any]) -> None:
        await in_steps(plan["steps"], one)

    return run


async def rocketchat(stack: AsyncExitStack, section: dict[str, Any]) -> Runner:
    from bot.platforms.rocketchat.adapter import RocketChatPlatform
    from bot.platforms.rocketchat.http import RestClient

    rest = RestClient(RocketChatPlatform(section).config.rest())
    stack.push_async_callback(rest.aclose)

    async def one(call: dict[str, Any]) -> None:
        if call["method"] == "GET":
            answer = await rest.http.get(call["endpoint"], params=call["query"])
        else:
            answer = await rest.http.post(call["endpoint"], json=call["body"])
        assert answer.status_code == 200, (call["endpoint"], answer.text)

    async def run(plan: dict[str, Any]) -> None:
        await in_steps(plan["steps"], one)

    return run


async def chime(stack: AsyncExitStack, section: dict[str, Any]) -> Runner:
    from bot.platforms.aws import Attempts
    from bot.platforms.chime.adapter import ChimePlatform
    from bot.platforms.chime.client import ChimeClient, resolve_credentials

    settings = ChimePlatform(section).settings
    client = ChimeClient(settings, resolve_credentials(settings))
    stack.push_async_callback(client.close)

    async def run(plan: dict[str, Any]) -> None:
        room = plan["room"]
        # The sender's look-up, whose list kickbot's command uses too, then the room.
        async for _ in client.list_room_memberships(room):
            pass
        await client.get_room(room)
        await client.delete_room_membership(room, plan["user"], Attempts())
        await client.post_webhook(plan["webhook"], plan["reply"], nullcontext())

    return run


async def chime_sdk(stack: AsyncExitStack, section: dict[str, Any]) -> Runner:
    from bot.platforms.chime_sdk.adapter import ChimeSdkPlatform

    platform = ChimeSdkPlatform(section)
    await platform.connect()
    stack.push_async_callback(platform.close)
    client = platform.client

    async def run(plan: dict[str, Any]) -> None:
        channel = plan["channel"]
        await asyncio.gather(  # the channel beside its members, hidden members and moderators
            client.call("DescribeChannel", ChannelArn=channel),
            client.call("ListChannelMemberships", ChannelArn=channel, MaxResults=50),
            client.call("ListChannelMemberships", ChannelArn=channel, MaxResults=50, Type="HIDDEN"),
            client.call("ListChannelModerators", ChannelArn=channel, MaxResults=50),
        )
        await client.call("DeleteChannelMembership", ChannelArn=channel, MemberArn=plan["user"])
        await client.call(
            "SendChannelMessage",
            ChannelArn=channel,
            Content=plan["reply"],
            ContentType="text/markdown",
            Type="STANDARD",
            Persistence="PERSISTENT",
            ClientRequestToken=f"direct-{time.time_ns()}",
        )

    return run


RUNNERS: dict[str, Callable[[AsyncExitStack, dict[str, Any]], Awaitable[Runner]]] = {
    "symphony": symphony,
    "slack": slack,
    "rocketchat": rocketchat,
    "chime": chime,
    "chime_sdk": chime_sdk,
}


async def serve(platform: str, section: dict[str, Any]) -> None:
    async with AsyncExitStack() as stack:
        run = await RUNNERS[platform](stack, section)
        print(json.dumps({"ready": True}), flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            plan = json.loads(line)
            started = time.perf_counter()
            await run(plan)
            elapsed = time.perf_counter() - started
            print(json.dumps({"ms": elapsed * 1000}), flush=True)


if __name__ == "__main__":
    platform = sys.argv[1]
    asyncio.run(serve(platform, json.loads(Path(sys.argv[2]).read_text())[platform]))
