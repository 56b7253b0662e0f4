"""A real Synapse for the session; per test, fresh accounts and rooms and kickbot connected.

kickbot talks to Synapse through a ``RecordingProxy`` so a test can list every call it made;
the people talk to Synapse directly, and a watcher account (in every room) awaits replies.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.platforms.matrix.adapter import MatrixPlatform
from bot.settings import Settings, parse
from bot.testing.matrix import (
    Account,
    Homeserver,
    RecordingProxy,
    Seen,
    SynapseServer,
    Watcher,
)
from handlers import COMMANDS
from tests.matrix import session


@pytest.fixture(scope="session")
def synapse() -> SynapseServer:
    """The session's Synapse (``tests/matrix/session.py``), shared with the contract table."""
    return session.synapse()


@dataclass
class World:
    """One test's accounts and rooms on the shared Synapse.

    ``ops`` (room version 12, created by Alice, so she has unlimited power): kickbot 100,
    Erin 100, Carol 50, Frank 50, Bob and Dave 0; the kick level is 50.
    ``old`` (room version 10, created by kickbot): kickbot 100, Alice 75, Carol 50, Bob 0.
    Zed is in no room. The watcher is in both rooms at level 0.
    """

    hs: Homeserver
    tmp: Path
    proxy: RecordingProxy
    watcher: Watcher
    admin: Account
    bot: Account
    alice: Account
    bob: Account
    carol: Account
    dave: Account
    erin: Account
    frank: Account
    zed: Account
    ops: str = ""
    old: str = ""
    apps: list[App] = field(default_factory=list)

    def section(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "homeserver": self.proxy.url,
            "user_id": self.bot.user_id,
            "access_token": self.bot.access_token,
            "sync_token_file": str(self.tmp / "matrix-sync.json"),
            "sync_timeout_ms": 10_000,
        }
        data.update(overrides)
        return data

    def settings(self, section: dict[str, Any] | None = None, **top: Any) -> Settings:
        data: dict[str, Any] = {
            "store": f"sqlite:///{self.tmp}/kickbot.db",
            "matrix": section if section is not None else self.section(),
        }
        data.update(top)
        return parse(data, [c.name for c in COMMANDS], "test")

    async def start_bot(self, settings: Settings | None = None) -> App:
        settings = settings or self.settings()
        assert settings.matrix is not None
        app = App(settings, {"matrix": MatrixPlatform(settings.matrix)})
        await app.start()
        self.apps.append(app)
        return app

    async def stop_bot(self, app: App) -> None:
        self.apps.remove(app)
        await app.stop()

    async def say(self, who: Account, text: str, *, room: str | None = None, **kw: Any) -> str:
        return await self.hs.say(who, room or self.ops, text, **kw)

    async def ask(self, who: Account, text: str, *, room: str | None = None, **kw: Any) -> Seen:
        """Say ``text`` and return kickbot's reply to it."""
        event_id = await self.say(who, text, room=room, **kw)
        return await self.watcher.reply_to(event_id)

    async def joined(self, room: str | None = None) -> set[str]:
        return await self.hs.joined(self.watcher.who, room or self.ops)

    async def levels(self, room: str | None = None) -> dict[str, int]:
        users: dict[str, int] = (await self.hs.power_levels(self.watcher.who, room or self.ops))[
            "users"
        ]
        return users

    def kicks(self) -> list[str]:
        return [c for c in self.proxy.changes() if "/kick " in c]


async def make_world(server: SynapseServer, tmp: Path) -> World:
    hs = Homeserver.of(server)
    tag = secrets.token_hex(3)

    async def user(name: str, display: str, *, admin: bool = False) -> Account:
        return await hs.register(f"{name}.{tag}", display, admin=admin)

    names = ["kickbot", "alice", "bob", "carol", "dave", "erin", "frank", "zed", "watcher"]
    accounts = await asyncio.gather(
        *(user(n, n if n == "kickbot" else n.capitalize()) for n in names),
        user("admin", "Admin", admin=True),
    )
    by_name = dict(zip(names, accounts, strict=False))
    bot, watch = by_name["kickbot"], by_name["watcher"]
    w = World(
        hs=hs,
        tmp=tmp,
        proxy=RecordingProxy(server.url),
        watcher=Watcher(hs, watch),
        admin=accounts[-1],
        bot=bot,
        alice=by_name["alice"],
        bob=by_name["bob"],
        carol=by_name["carol"],
        dave=by_name["dave"],
        erin=by_name["erin"],
        frank=by_name["frank"],
        zed=by_name["zed"],
    )
    ops = hs.create_room(
        w.alice,
        name="Ops",
        members=[bot, w.bob, w.carol, w.dave, w.erin, w.frank, watch],
        power={bot.user_id: 100, w.erin.user_id: 100, w.carol.user_id: 50, w.frank.user_id: 50},
    )
    old = hs.create_room(
        bot,
        name="Old",
        version="10",
        members=[w.alice, w.carol, w.bob, watch],
        power={bot.user_id: 100, w.alice.user_id: 75, w.carol.user_id: 50},
    )
    w.ops, w.old = await asyncio.gather(ops, old)
    await w.proxy.start()
    await w.watcher.start()
    return w


@pytest.fixture
async def world(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world(synapse, tmp_path)
    try:
        yield w
    finally:
        for app in list(w.apps):
            await app.stop()
        await w.watcher.stop()
        await w.proxy.stop()
        await w.hs.close()


@pytest.fixture
async def bot(world: World) -> App:
    return await world.start_bot()
