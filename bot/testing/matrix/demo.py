"""``kickbot demo --platform matrix``: a real Synapse on 127.0.0.1, a sample room, the real bot.

Synapse is installed once into its own virtualenv (``KICKBOT_SYNAPSE_VENV``, default
``~/.cache/kickbot/synapse-venv``) and started fresh for the demo. The person types as one of the
sample users; "@bob" becomes a pill (a real mention); lines starting with ``:`` drive the demo.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Awaitable
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.platforms.matrix.adapter import MatrixPlatform
from bot.testing.console import ConsoleBase, Heard, demo_settings
from bot.testing.matrix import (
    Account,
    Homeserver,
    MatrixCallError,
    SynapseServer,
    Watcher,
    default_venv,
    ensure_synapse,
)

PEOPLE = ("alice", "bob", "carol", "dave", "erin")
LEVELS = {"kickbot": 100, "erin": 100, "carol": 50}
# Owners may act on each other here, so the power-level checks of the adapter show.
POLICY = {"owners_may_act_on_owners": True}

HELP = """\
kickbot demo: a real Synapse homeserver on {url} with the real bot syncing from it.
Room "Ops" (room version 12): alice created it (unlimited power), kickbot and erin have power
level 100, carol 50 (the kick level: an owner), bob and dave 0. The policy lets owners act
on owners, and between owners the power levels decide.
Type a message as the current user; "@bob" becomes a real mention (a pill) of bob. Try:
  !help      !kick @bob spamming      kickbot: kick @dave      !demote @carol   (as alice)
  !kick @erin   (as carol: erin's level is above hers; as alice: it is the bot's own)
Demo commands: :as USER   :members   :audit   :quit
"""


class Console(ConsoleBase[Homeserver]):
    speakers = PEOPLE

    def __init__(self, hs: Homeserver, users: dict[str, Account], room: str, app: App, out: TextIO):
        super().__init__(hs, app, out)
        self.users = users
        self.room = room
        self.watcher = Watcher(hs, users["alice"])

    async def roster(self) -> str:
        me = self.users["alice"]  # the creator: always in the room
        joined = await self.double.joined(me, self.room)
        power = await self.double.power_levels(me, self.room)
        levels = power.get("users", {})
        names = {a.user_id: n for n, a in self.users.items()}
        parts = []
        for name, account in self.users.items():
            if account.user_id not in joined:
                continue
            level = math.inf if name == "alice" else levels.get(account.user_id, 0)
            tag = " (creator)" if math.isinf(level) else f" ({level})" if level else ""
            parts.append(names[account.user_id] + tag)
        return "Ops: " + ", ".join(parts)

    async def say(self, text: str) -> str:
        body, html, mentioned = [], [], []
        for word in text.split(" "):
            account = self.users.get(word[1:]) if word.startswith("@") else None
            if account is None:
                body.append(word)
                html.append(word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            else:
                body.append(account.display_name)
                html.append(account.pill)
                mentioned.append(account.user_id)
        return await self.double.say(
            self.users[self.user],
            self.room,
            " ".join(body),
            html=" ".join(html),
            mentions=mentioned,
        )

    async def deliver(self, text: str) -> Awaitable[Heard | None] | None:
        try:
            event_id = await self.say(text)
        except MatrixCallError as err:  # e.g. a removed person: the server's own refusal
            self.show(f"  (Synapse refused {self.user}'s message: {err})")
            return None
        if not (text.startswith("!") or text.lower().startswith(("kickbot", "@kickbot"))):
            return None
        return self._reply(event_id)

    async def _reply(self, event_id: str) -> Heard | None:
        waiting = self.watcher.reply_to(event_id, timeout=20.0)
        reply = await self.reply_unless_ignored(waiting, event_id)
        return None if reply is None else Heard(reply.body)


async def _setup(hs: Homeserver) -> tuple[dict[str, Account], str]:
    names = ("kickbot", *PEOPLE)
    accounts = await asyncio.gather(
        *(hs.register(n, n if n == "kickbot" else n.capitalize()) for n in names)
    )
    users = dict(zip(names, accounts, strict=True))
    room = await hs.create_room(
        users["alice"],
        name="Ops",
        members=[a for n, a in users.items() if n != "alice"],
        power={users[n].user_id: level for n, level in LEVELS.items()},
    )
    return users, room


async def run_demo(
    source: TextIO, store: str | None, out: TextIO, *, synapse_venv: Path | None = None
) -> None:
    python = await asyncio.to_thread(ensure_synapse, synapse_venv or default_venv(), out)
    with tempfile.TemporaryDirectory(prefix="kickbot-matrix-demo-") as tmp:
        server = SynapseServer(python, Path(tmp) / "synapse")
        await asyncio.to_thread(server.start)
        try:
            async with Homeserver.of(server) as hs:
                users, room = await _setup(hs)
                bot = users["kickbot"]
                settings = demo_settings(
                    "matrix",
                    {
                        "homeserver": server.url,
                        "user_id": bot.user_id,
                        "access_token": bot.access_token,
                        "sync_token_file": f"{tmp}/matrix-sync.json",
                    },
                    POLICY,
                    store,
                    tmp,
                )
                assert settings.matrix is not None
                app = App(settings, {"matrix": MatrixPlatform(settings.matrix)})
                console = Console(hs, users, room, app, out)
                async with app, console.watcher:
                    console.hear_ignored(app)
                    await console.run(source, HELP.format(url=server.url))
        finally:
            await asyncio.to_thread(server.stop)
