"""``kickbot demo --platform slack``: an emulated Slack workspace on 127.0.0.1, the real bot.

The bot runs in HTTP mode through slack-bolt: lines starting with a slash command of the app's
manifest (config/slack-manifest.yaml) are delivered as really signed slash commands, ``@kickbot …``
lines as ``app_mention`` events, exactly as in the tests. The person types as one of the sample
users; lines starting with ``:`` drive the demo.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Awaitable
from pathlib import Path
from typing import TextIO

import yaml

from bot.app import App
from bot.platforms.slack.adapter import SlackPlatform
from bot.testing.console import ConsoleBase, Heard, demo_settings, fail_on_violations
from bot.testing.slack.config import kickbot_section
from bot.testing.slack.signing import SignedSender
from bot.testing.slack.workspace import SlackWorkspace
from handlers import COMMANDS

USERS = {
    # name: (id, real name, e-mail, role)
    "alice": ("U0ALICE", "Alice Admin", "alice@example.com", "admin"),
    "owen": ("U0OWEN", "Owen Owner", "owen@example.com", "owner"),
    "carol": ("U0CAROL", "Carol Creator", "carol@example.com", ""),
    "bob": ("U0BOB", "Bob Member", "bob@example.com", ""),
    "dave": ("U0DAVE", "Dave External", "dave@globex.example", ""),
    "erin": ("U0ERIN", "Erin Elsewhere", "erin@example.com", ""),
    "frank": ("U0FRANK", "Frank Compliance", "frank@example.com", ""),
}
CHANNELS = {
    # name: (id, creator, members, general?)
    "desk": ("C0DESK0001", "carol", ["alice", "bob", "dave", "frank", "owen"], False),
    "general": ("C0GENERAL1", "owen", ["alice", "bob", "carol", "dave", "frank"], True),
}
MANIFEST = Path(__file__).resolve().parents[3] / "config" / "slack-manifest.yaml"


def manifest_commands(manifest: Path = MANIFEST) -> tuple[str, ...]:
    """The slash commands the shipped Slack app manifest registers (Slack delivers those, and
    only those, to the app). Installed without the checkout's config/: the commands kickbot
    can answer on Slack, which a test keeps equal to the manifest's."""
    if manifest.is_file():
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        return tuple(str(c["command"]) for c in data["features"]["slash_commands"])
    return tuple(
        "/" + c.name
        for c in COMMANDS
        if c.requires is None
        or issubclass(SlackPlatform, c.requires)
        or c.requires in SlackPlatform.unsupported
    )


POLICY = {
    "commands": {"kick": {"room_owners": True, "users": ["frank@example.com"]}},
    "ranks": [{"name": "compliance", "users": ["frank@example.com"]}],
}

HELP = """\
kickbot demo: a local Slack workspace on {url} with the real bot connected over HTTP (Bolt).
Channels: #desk (created by carol) and #general. Users: alice (workspace admin), owen (workspace
owner), carol, bob, dave, erin (in no channel), frank (may /kick: named in the policy by e-mail).
The app's slash commands, as config/slack-manifest.yaml registers them, are sent as signed slash
commands: {commands}
"@kickbot …" is sent as a mention (the bot answers in its thread); "@bob" becomes a real mention
of bob, "@Robert" stays typed text. Try:
  /kick @bob spamming      /help      /undo      @kickbot kick @dave      /demote @carol
Demo commands: :as USER   :channel desk|general   :members   :audit   :quit
"""


def _build_workspace() -> SlackWorkspace:
    slack = SlackWorkspace()
    for name, (uid, real, email, role) in USERS.items():
        slack.add_user(
            uid, name, real, email=email, is_admin=role == "admin", is_owner=role == "owner"
        )
    for name, (cid, creator, members, general) in CHANNELS.items():
        slack.add_channel(
            cid,
            name,
            creator=USERS[creator][0],
            members=[USERS[m][0] for m in members],
            general=general,
        )
    return slack


class Console(ConsoleBase[SlackWorkspace]):
    speakers = USERS
    place_word = "channel"
    places = CHANNELS

    def __init__(
        self,
        slack: SlackWorkspace,
        sender: SignedSender,
        app: App,
        out: TextIO,
        commands: tuple[str, ...] = (),
    ):
        super().__init__(slack, app, out)
        self.sender = sender
        self.commands = commands or manifest_commands()

    @property
    def channel_id(self) -> str:
        return CHANNELS[self.place][0]

    async def roster(self) -> str:
        names = {uid: name for name, (uid, *_rest) in USERS.items()}
        names[self.double.bot_user_id] = "kickbot"
        channel = self.double.channel(self.channel_id)
        return f"#{channel.name}: " + ", ".join(sorted(names[m] for m in channel.members))

    async def deliver(self, text: str) -> Awaitable[Heard | None] | None:
        uid = USERS[self.user][0]
        word, _, rest = text.partition(" ")
        if word in self.commands:
            fields = self.double.slash_command(uid, self.channel_id, rest, command=word)
            got = await self.sender.slash_command(fields)
            if got.status != 200 or got.body:
                self.show(f"  (Slack shows only you: {got.status} {got.body})")
        elif word.lower() == "@kickbot":
            got = await self.sender.event(self.double.mention(uid, self.channel_id, text))
            if got.status != 200:
                self.show(f"  (the bot answered Slack {got.status}; Slack would deliver again)")
        elif word.startswith("/"):
            self.show(f"  (Slack: {word} is not a valid command)")
            return None
        else:
            self.show("  (said in the channel; the bot hears its slash commands and @kickbot)")
            return None
        return self._reply()

    async def _reply(self) -> Heard:
        msg = await self.double.next_message(self.channel_id, timeout=15.0)
        return Heard(msg.plain, " (in the thread)" if msg.thread_ts else "")


async def run_demo(source: TextIO, store: str | None, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="kickbot-slack-demo-") as tmp:
        async with _build_workspace() as slack:
            section = kickbot_section(slack)
            settings = demo_settings("slack", section, POLICY, store, tmp)
            assert settings.slack is not None
            platform = SlackPlatform(settings.slack)
            app = App(settings, {"slack": platform})
            async with app, SignedSender(platform.listen_url, slack.signing_secret) as sender:
                console = Console(slack, sender, app, out)
                await console.run(
                    source, HELP.format(url=slack.url, commands=" ".join(console.commands))
                )
            violations = list(slack.violations)
    fail_on_violations(violations, "the Slack spec", out)
