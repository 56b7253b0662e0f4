"""``kickbot demo``: an emulated Symphony pod on 127.0.0.1, a sample room, the real bot.

The person types as one of the sample users; lines starting with ``:`` drive the demo itself.
Everything goes over real HTTP through symphony-bdk-python's datafeed v2, exactly as in tests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.platforms.symphony.adapter import SymphonyPlatform
from bot.settings import parse
from bot.testing import SymphonyPod
from bot.testing.console import ConsoleBase, fail_on_violations, repl
from handlers import COMMANDS

DESK = "hJ4x+Kq/ZW9vbQ=="  # standard base64 as the Symphony client shows it
OPS = "T3BzLVJvb20tMDAx"
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


class Console(ConsoleBase):
    def __init__(self, pod: SymphonyPod, out: TextIO):
        self.pod = pod
        self.out = out
        self.user = "alice"
        self.room = DESK

    def members(self) -> str:
        room = self.pod.room(self.room)
        names = {uid: u for u, (uid, *_rest) in USERS.items()} | {1000: "kickbot"}
        parts = [
            names.get(uid, str(uid)) + (" (owner)" if owner else "")
            for uid, owner in sorted(room.members.items())
        ]
        return f"{room.name}: " + ", ".join(parts)

    async def handle(self, text: str, app: App) -> bool:
        text = text.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self._meta(text, app)
        before = self.members()
        uid = USERS[self.user][0]
        said = self.pod.say(uid, self.room, text)
        if text.startswith("/") or text.startswith("@kickbot"):
            try:
                reply = self.pod.next_message(self.room, timeout=15.0)
                msg = await self.reply_unless_ignored(reply, said)
            except TimeoutError:
                self.show("  (no reply from the bot)")
                return True
            if msg is not None:
                self.show_reply(msg.text, before, self.members())
        return True

    async def _meta(self, text: str, app: App) -> bool:
        cmd, _, arg = text[1:].partition(" ")
        if cmd in ("quit", "q", "exit"):
            return False
        if cmd == "as" and arg in USERS:
            self.user = arg
        elif cmd == "room" and arg in ("desk", "ops"):
            self.room = DESK if arg == "desk" else OPS
        elif cmd == "as":
            self.no_such("user", arg, USERS)
            return True
        elif cmd == "room":
            self.no_such("room", arg, ("desk", "ops"))
            return True
        elif cmd == "members":
            pass
        elif cmd == "audit":
            await self.show_audit(app)
            return True
        else:
            self.show("  demo commands: :as USER   :room desk|ops   :members   :audit   :quit")
            return True
        self.show(f"  [{self.user} in {self.members()}]")
        return True


async def run_demo(source: TextIO, store: str | None, out: TextIO | None = None) -> None:
    import sys

    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="kickbot-demo-") as tmp:
        async with _build_pod() as pod:
            key = pod.write_private_key(Path(tmp) / "bot.pem")
            settings = parse(
                {
                    "store": store or f"sqlite:///{tmp}/kickbot.db",
                    "policy": POLICY,
                    "symphony": pod.bdk_config(key),
                },
                [c.name for c in COMMANDS],
                "demo",
            )
            assert settings.symphony is not None
            app = App(settings, {"symphony": SymphonyPlatform(settings.symphony)})
            async with app:
                console = Console(pod, out)
                console.hear_ignored(app)
                console.show(HELP.format(url=pod.url, group=GROUP))
                console.show(f"  [{console.user} in {console.members()}]")
                await repl(source, out, console, lambda line: console.handle(line, app))
            violations = list(pod.violations)
    fail_on_violations(violations, "the Symphony spec", out)
