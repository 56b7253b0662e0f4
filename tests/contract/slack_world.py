"""The Slack worlds of the contract table (see ``worlds.py``), in HTTP mode and in Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from tests import kit
from tests.contract import worlds as w
from tests.slack import conftest as slack

SLACK_CALLS = {"remove": "conversations.kick", "add": "conversations.invite"}


def slack_world(mode: slack.Mode) -> w.Maker:
    @contextlib.asynccontextmanager
    async def world(start: w.Start) -> AsyncIterator[w.World]:
        extra = {p: f"U0{p.upper()}" for p in [*w.EXTRA, "olga"]} | {"owen": slack.OWEN}
        ids, name = w.people_of(slack, extra=extra)
        async with kit.checked(slack.make_workspace()) as ws:
            for p, display in {**w.EXTRA, "olga": "Olga Owner"}.items():
                ws.add_user(ids[p], p, display, email=f"{p}@example.com", is_owner=p == "olga")
                ws.join(slack.DESK, ids[p])
            section = slack.slack_section(ws, mode)
            bot = await slack.start_bot(ws, start.settings("slack", section, slack.POLICY), mode)
            desk = slack.Channel(ws, bot, slack.DESK)

            async def say(person: str, text: str) -> str:
                command, _, rest = text.partition(" ")
                return (await desk.slash(ids[person], rest, command=command)).plain

            async def post(person: str, text: str) -> w.Reply:
                command, _, rest = text.partition(" ")
                fields = ws.slash_command(ids[person], slack.DESK, rest, command=command)
                acked = asyncio.create_task(bot.transport.slash(fields))

                async def reply() -> str:
                    message = await ws.next_message(slack.DESK, timeout=20.0)
                    assert (await acked).ok
                    return message.plain

                return reply

            async def later() -> str:
                return (await ws.next_message(slack.DESK, timeout=20.0)).plain

            def changes() -> list[str]:
                made = []
                verb = {f"/api/{call}": change for change, call in SLACK_CALLS.items()}
                for r in ws.requests:
                    if r.path in verb:
                        args = {**r.query, **(r.body or {})}
                        assert args["channel"] == slack.DESK, args
                        made.append(f"{verb[r.path]} {name(args.get('user', args.get('users')))}")
                return made

            async def notice(person: str) -> str:
                im = ws.im_of(ids[person])
                assert im is not None, f"no direct message with {person}"
                return (await ws.next_message(im)).plain

            async def mention(person: str, text: str) -> str:
                return (await desk.mention(ids[person], "@kickbot " + text[1:])).plain

            def fail_room() -> str:
                ws.fail_next("conversations.members", "channel_not_found")
                return "channel_not_found"

            def fail_rank(person: str) -> str:
                ws.fail_next("users.info", "fatal_error", matching={"user": ids[person]})
                return "fatal_error"

            try:
                yield w.World(
                    f"slack-{mode}",
                    "/",
                    {p: f"@{p}" for p in ids},
                    {p: f"@{ws.users[ids[p]].real_name}" for p in ids},
                    say,
                    lambda: {name(uid) for uid in desk.members},
                    changes,
                    notices=w.Notices(
                        notice,
                        lambda: [
                            name(c.query.get("users") or (c.body or {})["users"])
                            for c in ws.calls("conversations.open")
                        ],
                        lambda: ws.scopes.discard("im:write"),
                    ),
                    mention=mention,
                    mention_only=True,
                    knobs=w.knobs_of(
                        ws,
                        SLACK_CALLS,
                        "conversations.info",
                        {"error": "internal_error"},
                        {"error": "restricted_action"},
                        fail_room=fail_room,
                        fail_rank=fail_rank,
                    ),
                    app=bot.app,
                    post=post,
                    later=later,
                    server=ws,
                )
            finally:
                await slack.stop_bot(bot)

    return world
