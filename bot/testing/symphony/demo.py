"""``kickbot demo`` (``--platform symphony``, the default): an emulated Symphony pod on
127.0.0.1, a sample room, the real bot.

The person types as one of the sample users; lines starting with ``:`` drive the demo itself.
Everything goes over real HTTP through symphony-bdk-python's datafeed v2, exactly as in tests.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.platforms.symphony.adapter import SymphonyPlatform
from bot.testing.console import ConsoleBase, Heard, demo_settings, fail_on_violations
from bot.testing.symphony.pod import SymphonyPod

DESK = "hJ4x+Kq/ZW9vbQ=="  # standard base64 as the Symphony client shows it
OPS = "T3BzLVJvb20tMDAx"
ROOMS = {"desk": DESK, "ops": OPS}
GROUP = "571db1f2e4b027c4f055a594"

USERS = {
    # username: (id, display name, e-mail, company, active)
    "alice": (1001, "Alice Owner", "alice@example.com", "Acme", True),
    "bob": (1002, "Bob Member", "bob@example.com", "Acme", True),
    "carol": (1003, "Carol Owner", "carol@example.com", "Acme", True),
    "dave": (1004, "Dave External", "dave@globex.example", "Globex", True),
    "erin": (1005, "Erin Departed", "erin@example.com", "Acme", False),
    "frank": (1006, "Frank Compliance", "frank@example.com", "Acme", True),
}

POLICY = {"commands": {"ib-remove": {"users": ["frank@example.com"]}}}

HELP = """\
kickbot demo: a local Symphony pod on {url} with the real bot connected to it.
Rooms: desk ("Trading Desk", owners alice and carol) and ops ("Ops", owner carol only).
Users: alice, bob, carol, dave, erin (deactivated), frank (may /ib-remove). The bot is kickbot.
Type a message as the current user; "@bob" becomes a real mention of bob. Try:
  /help      /kick @bob spamming      /demote @alice      /kick @frank
  @kickbot /kick @dave      /ib-remove {group} @bob @erin   (as frank)
Demo commands: :as USER   :room desk|ops   :members   :audit   :quit
"""


def _build_pod() -> SymphonyPod:
    pod = SymphonyPod(bot_username="kickbot", bot_user_id=1000, bot_display_name="kickbot")
    for username, (uid, name, email, company, active) in USERS.items():
        pod.add_user(uid, name, email=email, username=username, active=active, company=company)
    pod.bot_roles.add("USER_PROVISIONING")
    pod.add_room(DESK, "Trading Desk", owners=[1001, 1003], members=[1000, 1002, 1004, 1006])
    pod.add_room(OPS, "Ops", owners=[1003], members=[1000, 1001, 1002])
    pod.add_ib_group(GROUP, "Research", members=[1002, 1004, 1005])
    return pod


class Console(ConsoleBase[SymphonyPod]):
    speakers = USERS
    places = ROOMS

    async def roster(self) -> str:
        room = self.double.room(ROOMS[self.place])
        names = {uid: u for u, (uid, *_rest) in USERS.items()} | {1000: "kickbot"}
        parts = [
            names.get(uid, str(uid)) + (" (owner)" if owner else "")
            for uid, owner in sorted(room.members.items())
        ]
        return f"{room.name}: " + ", ".join(parts)

    async def deliver(self, text: str) -> Awaitable[Heard | None] | None:
        said = self.double.say(USERS[self.user][0], ROOMS[self.place], text)
        if not (text.startswith("/") or text.startswith("@kickbot")):
            return None
        return self._reply(said)

    async def _reply(self, said: str) -> Heard | None:
        waiting = self.double.next_message(ROOMS[self.place], timeout=15.0)
        msg = await self.reply_unless_ignored(waiting, said)
        return None if msg is None else Heard(msg.text)


async def run_demo(source: TextIO, store: str | None, out: TextIO | None = None) -> None:
    import sys

    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="kickbot-demo-") as tmp:
        async with _build_pod() as pod:
            key = pod.write_private_key(Path(tmp) / "bot.pem")
            settings = demo_settings("symphony", pod.bdk_config(key), POLICY, store, tmp)
            assert settings.symphony is not None
            app = App(settings, {"symphony": SymphonyPlatform(settings.symphony)})
            async with app:
                console = Console(pod, app, out)
                console.hear_ignored(app)
                await console.run(source, HELP.format(url=pod.url, group=GROUP))
            violations = list(pod.violations)
    fail_on_violations(violations, "the Symphony spec", out)
