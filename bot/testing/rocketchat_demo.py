"""``kickbot demo --platform rocketchat``: an emulated Rocket.Chat server on 127.0.0.1, two
sample rooms, the real bot connected to it through the outgoing webhook.

The person types as one of the sample users; each line is delivered to the bot as the outgoing
webhook integration delivers a message; lines starting with ``:`` drive the demo itself.
"""

from __future__ import annotations

import tempfile
from typing import TextIO

from bot.app import App
from bot.platforms.rocketchat.adapter import RocketChatPlatform
from bot.settings import parse
from bot.testing.console import ConsoleBase, fail_on_violations, repl
from bot.testing.rocketchat_api import RocketChatServer
from handlers import COMMANDS

BOT = "kickbot-id"
USERS = {
    # username: (id, name, e-mail, global roles)
    "alice": ("u-alice", "Alice Owner", "alice@example.com", ("user",)),
    "bob": ("u-bob", "Bob Member", "bob@example.com", ("user",)),
    "carol": ("u-carol", "Carol Owner", "carol@example.com", ("user",)),
    "dave": ("u-dave", "Dave Moderator", "dave@globex.example", ("user",)),
    "grace": ("u-grace", "Grace Admin", "grace@example.com", ("user", "admin")),
}
ROOMS = {"desk": "R-desk-private", "town": "R-town-public"}
POLICY = {"owners_may_act_on_owners": True}  # so that an owner may demote a co-owner

HELP = """\
kickbot demo: a local Rocket.Chat server on {url} with the real bot behind its outgoing webhook.
Rooms: desk (private group: owners alice and carol, moderator dave) and town (public channel:
owner alice). Users: alice, bob, carol, dave, grace (server admin). The bot is @kickbot.
Type a message as the current user. Try:
  !help      !kick @bob spamming      !demote @carol      !kick @kickbot      !undo
  @kickbot kick @dave      !kick @nobody      (as bob) !kick @alice
Demo commands: :as USER   :room desk|town   :members   :audit   :quit
"""


def build_server() -> RocketChatServer:
    server = RocketChatServer(bot_user_id=BOT, bot_username="kickbot", bot_roles=("bot", "admin"))
    for username, (uid, name, email, roles) in USERS.items():
        server.add_user(uid, username, name=name, email=email, roles=roles)
    ids = {u: v[0] for u, v in USERS.items()}
    server.add_room(
        ROOMS["desk"],
        "desk",
        "p",
        owners=[ids["alice"], ids["carol"]],
        moderators=[ids["dave"]],
        members=[BOT, ids["bob"]],
    )
    server.add_room(
        ROOMS["town"], "town", "c", owners=[ids["alice"]], members=[BOT, ids["bob"], ids["grace"]]
    )
    return server


class Console(ConsoleBase):
    def __init__(self, server: RocketChatServer, out: TextIO) -> None:
        self.server = server
        self.out = out
        self.user = "alice"
        self.room = "desk"

    def show(self, text: str) -> None:
        print(text.replace("\u200b", ""), file=self.out, flush=True)

    def members(self) -> str:
        room = self.server.room(ROOMS[self.room])
        parts = []
        for uid in room.members:
            held = sorted(room.roles.get(uid, set()))
            name = self.server.user(uid).username
            parts.append(name + (f" ({', '.join(held)})" if held else ""))
        return f"{self.room}: " + ", ".join(parts)

    async def handle(self, text: str, app: App) -> bool:
        text = text.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self._meta(text, app)
        before = self.members()
        room_id = ROOMS[self.room]
        delivery = await self.server.say(USERS[self.user][0], room_id, text)
        if delivery.status != 200:
            self.show(f"  (the bot answered the webhook with HTTP {delivery.status})")
            return True
        if text.startswith("!") or text.lower().startswith("@kickbot"):
            try:
                waiting = self.server.next_message(room_id, timeout=15.0)
                reply = await self.reply_unless_ignored(waiting, delivery.message_id)
            except TimeoutError:
                self.show("  (no reply from the bot)")
                return True
            if reply is not None:
                self.show_reply(reply.msg, before, self.members())
        return True

    async def _meta(self, text: str, app: App) -> bool:
        cmd, _, arg = text[1:].partition(" ")
        if cmd in ("quit", "q", "exit"):
            return False
        if cmd == "as" and arg in USERS:
            self.user = arg
        elif cmd == "room" and arg in ROOMS:
            self.room = arg
        elif cmd == "as":
            self.no_such("user", arg, USERS)
            return True
        elif cmd == "room":
            self.no_such("room", arg, ROOMS)
            return True
        elif cmd == "members":
            pass
        elif cmd == "audit":
            await self.show_audit(app)
            return True
        else:
            self.show("  demo commands: :as USER   :room desk|town   :members   :audit   :quit")
            return True
        self.show(f"  [{self.user} in {self.members()}]")
        return True


async def run_demo(source: TextIO, store: str | None, out: TextIO) -> None:
    with tempfile.TemporaryDirectory(prefix="kickbot-demo-") as tmp:
        async with build_server() as server:
            settings = parse(
                {
                    "store": store or f"sqlite:///{tmp}/kickbot.db",
                    "policy": POLICY,
                    "rocketchat": server.bot_config(),
                },
                [c.name for c in COMMANDS],
                "demo",
            )
            assert settings.rocketchat is not None
            platform = RocketChatPlatform(settings.rocketchat)
            app = App(settings, {"rocketchat": platform})
            console = Console(server, out)
            async with app:
                server.connect(platform.webhook_url)
                console.hear_ignored(app)
                console.show(HELP.format(url=server.url))
                console.show(f"  [{console.user} in {console.members()}]")
                await repl(source, out, console, lambda line: console.handle(line, app))
            violations = list(server.violations)
    fail_on_violations(violations, "the Rocket.Chat spec", out)
