"""``kickbot demo --platform chime``: a Chime double on 127.0.0.1, two sample rooms, the real bot.

Each typed line becomes a signed Mention event to kickbot's endpoint (the bot's mention is put in
front unless the line starts with one); ``@bob`` is written out as Chime's ``@bob@example.com``.
The bot's reply is read from the room's webhook. Lines starting with ``:`` drive the demo.
Amazon Chime reached end of support on 2026-02-20: this is the only place the adapter can run.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Awaitable
from typing import TextIO

from bot.app import App
from bot.platforms.chime.adapter import ChimePlatform
from bot.testing.aws.credentials import environment
from bot.testing.chime.double import ChimeDouble
from bot.testing.console import ConsoleBase, Heard, demo_settings, fail_on_violations

DESK = "d35c0000-0000-4000-8000-00000000de5c"
OPS = "0b500000-0000-4000-8000-0000000000b5"
ROOMS = {"desk": DESK, "ops": OPS}
USERS = {
    # name: (member id, full name, e-mail)
    "alice": ("a11ce000-0000-4000-8000-000000000001", "Alice Owner", "alice@example.com"),
    "bob": ("b0b00000-0000-4000-8000-000000000002", "Bob Member", "bob@example.com"),
    "carol": ("ca201000-0000-4000-8000-000000000003", "Carol Owner", "carol@example.com"),
    "dave": ("da7e0000-0000-4000-8000-000000000004", "Dave External", "dave@globex.example"),
    "erin": ("e2140000-0000-4000-8000-000000000005", "Erin Elsewhere", "erin@example.com"),
    "frank": ("f2a4c000-0000-4000-8000-000000000006", "Frank Compliance", "frank@example.com"),
}
POLICY = {"commands": {"kick": {"room_owners": True, "users": ["frank@example.com"]}}}

HELP = """\
kickbot demo (Amazon Chime): a local Chime double on {url} with the real bot connected to it.
Amazon Chime reached end of support on 2026-02-20; the double follows its API model.
Rooms: desk ("Trading Desk", Administrators alice and carol) and ops ("Ops", Administrator carol).
Users: alice, bob, carol, dave, erin (in no room), frank (may /kick anywhere). The bot: kickbot.
Type a message as the current user; the bot's @mention is added in front, "@bob" becomes
@bob@example.com. Try:
  /help      /kick @bob spamming      /undo      /kick @carol (a co-Administrator)
  kick dave@globex.example      /kick erin@example.com      /demote @bob
  :as carol  :room ops  /kick @carol   (the last Administrator is never removed)
Demo commands: :as USER   :room desk|ops   :members   :audit   :quit
"""


def build_double() -> ChimeDouble:
    chime = ChimeDouble()
    for uid, name, email in USERS.values():
        chime.add_user(uid, name, email)
    ids = {name: uid for name, (uid, _, _) in USERS.items()}
    chime.add_room(
        DESK,
        "Trading Desk",
        administrators=[ids["alice"], ids["carol"]],
        members=[ids["bob"], ids["dave"], ids["frank"]],
    )
    chime.add_room(OPS, "Ops", administrators=[ids["carol"]], members=[ids["alice"], ids["bob"]])
    return chime


class Console(ConsoleBase[ChimeDouble]):
    speakers = USERS
    places = ROOMS

    async def roster(self) -> str:
        room = self.double.room(ROOMS[self.place])
        names = {uid: name for name, (uid, _, _) in USERS.items()}
        names[self.double.bot.user_id] = "kickbot"
        parts = [
            names.get(uid, uid) + (" (admin)" if role == "Administrator" else "")
            for uid, role in sorted(room.roles.items(), key=lambda i: names.get(i[0], i[0]))
        ]
        return f"{room.name}: " + ", ".join(parts)

    def message(self, text: str) -> str:
        def expand(m: re.Match[str]) -> str:
            user = USERS.get(m.group(1).lower())
            return "@" + user[2] if user else m.group(0)

        body = re.sub(r"(?<![\w@])@(\w+)(?![\w@.])", expand, text)
        if re.match(r"@kickbot\b", text, re.IGNORECASE):
            return body
        return f"{self.double.events.mention_prefix()} {body}"

    async def deliver(self, text: str) -> Awaitable[Heard | None] | None:
        email, room = USERS[self.user][2], ROOMS[self.place]
        url = self.double.webhook_url(room)
        body = self.double.events.mention_body(email, room, self.message(text), webhook_url=url)
        delivery = await self.double.events.send(body)
        if delivery.status != 200:
            self.show(f"  (Chime could not deliver the event: HTTP {delivery.status})")
            return None
        return self._reply()

    async def _reply(self) -> Heard:
        return Heard((await self.double.next_message(ROOMS[self.place], timeout=15.0)).text)


async def run_demo(source: TextIO, store: str | None, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="kickbot-chime-demo-") as tmp:
        async with build_double() as chime:
            settings = demo_settings("chime", chime.config(), POLICY, store, tmp)
            assert settings.chime is not None
            with environment(chime.credentials_env()):
                platform = ChimePlatform(settings.chime)
            app = App(settings, {"chime": platform})
            async with app:
                chime.events.endpoint = platform.listen_url
                console = Console(chime, app, out)
                await console.run(source, HELP.format(url=chime.url))
            violations = list(chime.violations)
    fail_on_violations(violations, "the Chime API model", out)
