"""``kickbot demo --platform rocketchat``: an emulated Rocket.Chat server on 127.0.0.1, two
sample rooms, the real bot connected to it through the outgoing webhook.

The person types as one of the sample users; each line is delivered to the bot as the outgoing
webhook integration delivers a message; lines starting with ``:`` drive the demo itself.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable
from typing import TextIO

from bot.app import App
from bot.platforms.rocketchat.adapter import RocketChatPlatform
from bot.testing.console import ConsoleBase, Heard, demo_settings, fail_on_violations
from bot.testing.rocketchat.server import RocketChatServer

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


class Console(ConsoleBase[RocketChatServer]):
    speakers = USERS
    places = ROOMS

    def show(self, text: str) -> None:
        print(text.replace("\u200b", ""), file=self.out, flush=True)

    async def roster(self) -> str:
        room = self.double.room(ROOMS[self.place])
        parts = []
        for uid in room.members:
            held = sorted(room.roles.get(uid, set()))
            name = self.double.user(uid).username
            parts.append(name + (f" ({', '.join(held)})" if held else ""))
        return f"{self.place}: " + ", ".join(parts)

    async def deliver(self, text: str) -> Awaitable[Heard | None] | None:
        room_id = ROOMS[self.place]
        delivery = await self.double.say(USERS[self.user][0], room_id, text)
        if delivery.status != 200:
            self.show(f"  (the bot answered the webhook with HTTP {delivery.status})")
            return None
        if not (text.startswith("!") or text.lower().startswith("@kickbot")):
            return None
        return self._reply(room_id, delivery.message_id)

    async def _reply(self, room_id: str, message_id: str) -> Heard | None:
        waiting = self.double.next_message(room_id, timeout=15.0)
        reply = await self.reply_unless_ignored(waiting, message_id)
        return None if reply is None else Heard(reply.msg)


async def run_demo(source: TextIO, store: str | None, out: TextIO) -> None:
    with tempfile.TemporaryDirectory(prefix="kickbot-demo-") as tmp:
        async with build_server() as server:
            settings = demo_settings("rocketchat", server.bot_config(), POLICY, store, tmp)
            assert settings.rocketchat is not None
            platform = RocketChatPlatform(settings.rocketchat)
            app = App(settings, {"rocketchat": platform})
            console = Console(server, app, out)
            async with app:
                server.connect(platform.webhook_url)
                console.hear_ignored(app)
                await console.run(source, HELP.format(url=server.url))
            violations = list(server.violations)
    fail_on_violations(violations, "the Rocket.Chat spec", out)
