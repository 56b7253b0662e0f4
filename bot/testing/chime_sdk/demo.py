"""``kickbot demo --platform chime_sdk``: a Chime SDK messaging double on 127.0.0.1, an
AppInstance with two channels, the real bot as its AppInstanceUser.

Each typed line is posted to the channel as the current user; the double publishes it on the
messaging session, where the bot hears it as a ``CREATE_CHANNEL_MESSAGE``; the bot's reply is
read from the channel's messages.
``@bob`` is how a target is written (``@<AppInstanceUserId>``). Lines starting with ``:`` drive
the demo.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections.abc import Awaitable
from typing import TextIO

from bot.app import App
from bot.platforms.chime_sdk.adapter import ChimeSdkPlatform
from bot.testing.aws.credentials import environment
from bot.testing.chime_sdk.double import ChimeSdkDouble
from bot.testing.console import ConsoleBase, Heard, demo_settings, fail_on_violations

USERS = {
    "alice": "Alice Moderator",
    "bob": "Bob Member",
    "carol": "Carol Moderator",
    "dave": "Dave Member",
    "erin": "Erin Elsewhere",
    "frank": "Frank Admin",
}
POLICY: dict[str, object] = {}

HELP = """\
kickbot demo (Amazon Chime SDK messaging): a local double on {url} with the real bot, the
AppInstanceUser "kickbot", a moderator of both channels.
Channels: desk ("Trading Desk", moderators alice and carol) and ops ("Ops", moderator carol).
Users: alice, bob, carol, dave, erin (in no channel), frank (an AppInstanceAdmin, in desk).
Type a message as the current user; "@bob" names bob (his AppInstanceUserId). Try:
  /help      /kick @bob spamming      /undo      /kick @carol (a co-moderator)
  /demote @carol      :as carol  :channel ops  /demote @carol   (the last moderator stays)
Demo commands: :as USER   :channel desk|ops   :members   :audit   :quit
"""


def build_double() -> tuple[ChimeSdkDouble, dict[str, str]]:
    sdk = ChimeSdkDouble()
    arns = {name: sdk.add_user(name, full, admin=name == "frank") for name, full in USERS.items()}
    sdk.add_channel(
        "desk",
        "Trading Desk",
        moderators=[arns["alice"], arns["carol"]],
        members=[arns["bob"], arns["dave"], arns["frank"]],
    )
    sdk.add_channel("ops", "Ops", moderators=[arns["carol"]], members=[arns["alice"], arns["bob"]])
    return sdk, arns


def readable(content: str) -> str:
    """A reply's markdown as a person reads it: escapes and zero-width spaces dropped."""
    return re.sub(r"\\(.)", r"\1", content.replace("\u200b", "")).replace("  \n", "\n")


class Console(ConsoleBase[ChimeSdkDouble]):
    speakers = USERS
    place_word = "channel"
    places = ("desk", "ops")

    def __init__(
        self,
        sdk: ChimeSdkDouble,
        platform: ChimeSdkPlatform,
        arns: dict[str, str],
        app: App,
        out: TextIO,
    ) -> None:
        super().__init__(sdk, app, out)
        self.platform = platform
        self.arns = arns
        self._handled: dict[str, asyncio.Future[bool]] = {}

    @property
    def channel(self) -> str:
        return f"{self.double.app_instance_arn}/channel/{self.place}"

    async def roster(self) -> str:
        channel = self.double.channel(self.channel)
        names = {arn: name for name, arn in self.arns.items()} | {self.double.bot: "kickbot"}
        parts = [
            names.get(arn, arn) + (" (moderator)" if arn in channel.moderators else "")
            for arn in sorted(channel.members, key=lambda a: names.get(a, a))
        ]
        return f"{channel.name}: " + ", ".join(parts)

    def heard(self, message_id: str, recorded: bool) -> None:
        """The session handled a message (told by ``MessagingSession.on_handled``)."""
        waiting = self._handled.get(message_id)
        if waiting is not None and not waiting.done():
            waiting.set_result(recorded)

    async def deliver(self, text: str) -> Awaitable[Heard | None] | None:
        message = self.double.say(self.arns[self.user], self.channel, text)
        handled = self._handled[message.message_id] = asyncio.get_running_loop().create_future()
        try:
            recorded = await asyncio.wait_for(handled, 15.0)
        finally:
            del self._handled[message.message_id]
        if not recorded:
            self.show("  (not a command for the bot)")
            return None
        return self._reply()

    async def _reply(self) -> Heard:
        message = await self.double.next_message(self.channel, timeout=15.0)
        return Heard(readable(message.content))


async def run_demo(source: TextIO, store: str | None, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    with tempfile.TemporaryDirectory(prefix="kickbot-chime-sdk-demo-") as tmp:
        sdk, arns = build_double()
        async with sdk:
            settings = demo_settings("chime_sdk", sdk.config(), POLICY, store, tmp)
            section = getattr(settings, "chime_sdk", None)
            assert section is not None
            with environment(sdk.credentials_env()):
                platform = ChimeSdkPlatform(section)
            app = App(settings, {"chime_sdk": platform})
            async with app:
                console = Console(sdk, platform, arns, app, out)
                session = platform.messaging_session
                assert session is not None
                session.on_handled.append(console.heard)
                await asyncio.wait_for(session.caught_up.wait(), 15.0)
                await console.run(source, HELP.format(url=sdk.url))
            violations = list(sdk.violations)
    fail_on_violations(violations, "the Amazon Chime SDK models", out)
