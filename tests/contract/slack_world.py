"""The Slack worlds of the contract table (see ``worlds.py``), in HTTP mode and in Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests import kit
from tests.contract import worlds as w
from tests.slack import conftest as slack

SLACK_CALLS = {"remove": "conversations.kick", "add": "conversations.invite"}


def slack_world(mode: slack.Mode) -> Callable[..., contextlib.AbstractAsyncContextManager[w.World]]:
    @contextlib.asynccontextmanager
    async def world(
        tmp_path: Path, _: pytest.MonkeyPatch, policy: w.Policy = None, options: w.Options = w.NONE
    ) -> AsyncIterator[w.World]:
        extra = {p: f"U0{p.upper()}" for p in [*w.EXTRA, "olga"]} | {"owen": slack.OWEN}
        ids, name = w.people_of(slack, extra=extra)
        async with kit.checked(slack.make_workspace()) as ws:
            for p, display in {**w.EXTRA, "olga": "Olga Owner"}.items():
                ws.add_user(ids[p], p, display, email=f"{p}@example.com", is_owner=p == "olga")
                ws.join(slack.DESK, ids[p])
            section = slack.slack_section(ws, mode)
            settings = kit.settings(
                tmp_path, "slack", section, w.or_default(policy, slack.POLICY), **options
            )
            bot = await slack.start_bot(ws, settings, mode)
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

            def changes() -> list[str]:
                made = []
                for r in ws.requests:
                    verb = {"/api/conversations.kick": "remove", "/api/conversations.invite": "add"}
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
                    knobs=w.Knobs(
                        lambda change, how: ws.fail_next(
                            SLACK_CALLS[change], "internal_error", after_effect=True, **w.LOST[how]
                        ),
                        lambda change: ws.fail_next(SLACK_CALLS[change], "restricted_action"),
                        lambda: ws.hold_next("conversations.info"),
                    ),
                    app=bot.app,
                    post=post,
                    server=ws,
                )
            finally:
                await slack.stop_bot(bot)

    return world
