"""A kick's request waits until the journal has recorded it as begun (bot.gate, through the
aiohttp session's connection hooks)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from aiohttp import web

from bot import gate
from bot.platforms.slack import client_session
from bot.testing.slack_api import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, DESK, Channel, kicks
from tests.stores import recorded


async def test_the_kick_leaves_only_once_its_start_is_journalled(
    slack: SlackWorkspace, desk_http: Channel, tmp_path: Path
) -> None:
    store = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    try:
        held = slack.hold_next("conversations.info")
        fields = slack.slash_command(ALICE, DESK, "@bob")
        acked = asyncio.create_task(desk_http.bot.transport.slash(fields))
        await recorded(store)
        store.execute("BEGIN IMMEDIATE")  # the journal's "started" write must wait for this lock
        held.set()
        await asyncio.sleep(0.5)  # ample time for a request that did not wait to arrive
        assert kicks(slack) == []
        store.execute("ROLLBACK")
        reply = await slack.next_message(DESK, timeout=20.0)
        ack = await acked
    finally:
        store.close()
    assert ack.ok, ack
    assert "Removed @Bob Member." in reply.plain
    assert kicks(slack) == [{"channel": DESK, "user": BOB}]
    assert BOB not in desk_http.members


async def test_the_session_holds_requests_on_new_and_reused_connections() -> None:
    arrived: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        arrived.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{name}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with client_session() as session:
            for name in ("new", "reused"):  # the first opens a connection, the second reuses it
                commit: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                with gate.held_until(commit):
                    sending = asyncio.create_task(
                        session.post(f"http://127.0.0.1:{port}/{name}", data=b"x")
                    )
                await asyncio.sleep(0.2)  # ample time for a request that did not wait
                assert f"/{name}" not in arrived
                commit.set_result(None)
                async with await sending as response:
                    assert response.status == 200
                assert arrived[-1] == f"/{name}"
    finally:
        await runner.cleanup()
