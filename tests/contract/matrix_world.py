"""The contract table's Matrix world: a real Synapse (one for the session, shared with
``tests/matrix``). The people, the bot's account and #desk are made once: the bot created
#desk (room version 12: as its creator, its power is unlimited), everyone but Erin in it; each
test finds it as it was made (whoever left is invited and joins, the power levels are put back,
the bot's direct rooms are left) and runs a kickbot of its own (its store, its settings).
Alice (75) and Carol (60) own it: a room owner is whoever has at least the kick level (50), and
between two owners the higher level acts (``World.levels``). A homeserver never shows
e-mail addresses, so the policy names people by their Matrix ids (the cells' ``@example.com``
addresses are rewritten) and nobody is found by an address typed in a command.

kickbot talks to Synapse through a ``RecordingProxy`` (its calls are the world's changes, and
the proxy loses, refuses or holds one); the people talk to Synapse directly, and a watcher
account in #desk awaits the replies. Members, owners and invitations are read from Synapse as
the watcher when a cell asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.app import App
from bot.platforms.matrix.adapter import MatrixPlatform
from bot.testing.matrix import (
    Account,
    Homeserver,
    ProxiedCall,
    RecordingProxy,
    Watcher,
)
from tests import kit
from tests.contract.worlds import EXTRA, PEOPLE, Knobs, Notices, Reply, Solo, Start, World
from tests.kit import SPINE_POLICY
from tests.matrix import session

KICK = 50
LEVELS = {"alice": 75, "carol": 60}
"""The owners of #desk and their power levels; everyone else has the room's default (0)."""
DISPLAY = {p: p.capitalize() for p in PEOPLE} | EXTRA
CLIENT = "/_matrix/client/v3"


@dataclass(frozen=True)
class Desk:
    """What the Matrix worlds of a session share: the accounts and #desk as it was made."""

    people: dict[str, Account]
    bot: Account
    watch: Account
    room: str
    solo: str
    """#solo: Alice its only owner, Bob a member."""
    power: dict[str, dict[str, Any]]
    """Each room's power levels as made."""

    def inside(self, room: str) -> dict[str, Account]:
        """Who is in ``room`` (besides the bot), by Matrix id."""
        names = [p for p in self.people if p != "erin"] if room == self.room else SOLO
        return {a.user_id: a for a in [*(self.people[p] for p in names), self.watch]}

    async def restored(self, hs: Homeserver) -> Desk:
        """#desk and #solo as they were made, in the fewest calls: whoever left is invited back
        and joins, anyone else is kicked (an invitation withdrawn), the power levels are put
        back; the bot leaves every other room (a notice's direct room, an offboarding's)."""
        await asyncio.gather(*(self._restore(hs, room) for room in (self.room, self.solo)))
        bot = self.bot
        others = set((await hs.request(bot, "GET", f"{CLIENT}/joined_rooms"))["joined_rooms"])
        others -= {self.room, self.solo}
        for other in others:
            await hs.request(bot, "POST", f"{CLIENT}/rooms/{quote(other)}/leave", {})
            await hs.request(bot, "POST", f"{CLIENT}/rooms/{quote(other)}/forget", {})
        if others:
            direct = f"{CLIENT}/user/{quote(bot.user_id)}/account_data/m.direct"
            await hs.request(bot, "PUT", direct, {})
        return self

    async def _restore(self, hs: Homeserver, room: str) -> None:
        bot, inside = self.bot, self.inside(room)
        joined, invited, power = await asyncio.gather(
            hs.joined(self.watch, room), _invited(hs, self.watch, room), hs.power_levels(bot, room)
        )
        if power != self.power[room]:
            await hs.send_state(bot, room, "m.room.power_levels", self.power[room])
        for uid in (joined | invited) - set(inside) - {bot.user_id}:
            await hs.request(bot, "POST", f"{CLIENT}/rooms/{room}/kick", {"user_id": uid})
        missing = [a for uid, a in inside.items() if uid not in joined]
        await asyncio.gather(
            *(hs.invite(bot, room, a.user_id) for a in missing if a.user_id not in invited)
        )
        await asyncio.gather(*(hs.join(a, room) for a in missing))


async def _invited(hs: Homeserver, who: Account, room: str) -> set[str]:
    found = await hs.request(who, "GET", f"{CLIENT}/rooms/{room}/members?membership=invite")
    return {str(event["state_key"]) for event in found["chunk"]}


SOLO = ("alice", "bob")
"""Who is in #solo: Alice owns it (75), Bob is a member; Carol is not there."""

_made: list[Desk] = []
"""The session's #desk, made by the first Matrix world."""


async def _desk(hs: Homeserver) -> Desk:
    if _made:
        return await _made[0].restored(hs)
    tag = secrets.token_hex(3)
    names = [*DISPLAY, "kickbot", "watcher"]
    made = await asyncio.gather(*(hs.register(f"{p}.{tag}", DISPLAY.get(p, p)) for p in names))
    accounts = dict(zip(names, made, strict=True))
    bot, watch = accounts.pop("kickbot"), accounts.pop("watcher")
    rooms = {"desk": [p for p in accounts if p != "erin"], "solo": SOLO}
    room, solo = await asyncio.gather(
        *(
            hs.create_room(
                bot,
                name=name,
                members=[*(accounts[p] for p in inside), watch],
                power={accounts[p].user_id: LEVELS[p] for p in LEVELS if p in inside},
                version="12",
                kick=KICK,
            )
            for name, inside in rooms.items()
        )
    )
    levels = await asyncio.gather(hs.power_levels(bot, room), hs.power_levels(bot, solo))
    power_of = dict(zip((room, solo), levels, strict=True))
    _made.append(Desk(accounts, bot, watch, room, solo, power_of))
    return _made[0]


def by_id(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` (a policy) with each ``<person>@example.com`` replaced by their Matrix id."""
    if isinstance(value, str):
        person = value.removesuffix("@example.com")
        return ids.get(person, value) if person != value else value
    if isinstance(value, Mapping):
        return {k: by_id(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [by_id(v, ids) for v in value]
    return value


class Reader:
    """Reads #desk from Synapse as ``who``, blocking: a cell's ``members()`` is not awaited.
    Synapse is another process, so it answers while the test's event loop waits."""

    def __init__(self, url: str, who: Account, room: str) -> None:
        self.url, self.who, self.room = url, who, quote(room)

    def call(self, method: str, path: str, body: Any = None, who: Account | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        token = (who or self.who).access_token
        request = urllib.request.Request(
            self.url + CLIENT + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def joined(self) -> set[str]:
        return set(self.call("GET", f"/rooms/{self.room}/joined_members")["joined"])

    def levels(self) -> dict[str, int]:
        return dict(self.call("GET", f"/rooms/{self.room}/state/m.room.power_levels")["users"])

    def invited(self) -> set[str]:
        chunk = self.call("GET", f"/rooms/{self.room}/members?membership=invite")["chunk"]
        return {str(event["state_key"]) for event in chunk}


def _in(room: str, method: str, tail: str) -> Callable[[ProxiedCall], bool]:
    """``method`` calls to ``room`` whose path has ``tail``."""

    def match(call: ProxiedCall) -> bool:
        return call.method == method and _room_of(call) == room and tail in call.path

    return match


def _calls(room: str) -> dict[str, Callable[[ProxiedCall], bool]]:
    """Each change's call in ``room``."""
    power = _in(room, "PUT", "/state/m.room.power_levels")
    return {
        "remove": _in(room, "POST", "/kick"),
        "add": _in(room, "POST", "/invite"),
        "demote": power,
        "promote": power,
    }


def _invites(account: Account) -> str:
    """Where ``account`` says whose invitations it takes."""
    return f"/user/{quote(account.user_id)}/account_data/m.invite_permission_config"


def _room_of(call: ProxiedCall) -> str:
    return call.path.removeprefix(f"{CLIENT}/rooms/").split("/", 1)[0]


@contextlib.asynccontextmanager
async def matrix_world(start: Start) -> AsyncIterator[World]:
    server = session.synapse()
    async with Homeserver.of(server) as hs:
        made = await _desk(hs)
        people, bot, watch, desk = made.people, made.bot, made.watch, made.room
        accounts = people | {"kickbot": bot}
        ids = {p: a.user_id for p, a in accounts.items()}
        names = {uid: p for p, uid in ids.items()} | {watch.user_id: "watcher"}

        def name(uid: str) -> str:
            return names.get(uid, uid)

        power = {ids[p]: level for p, level in LEVELS.items()}
        read = Reader(server.url, watch, desk)
        proxy = RecordingProxy(server.url)
        watcher = Watcher(hs, watch)
        await proxy.start()
        await watcher.start()
        section = {
            "homeserver": proxy.url,
            "user_id": bot.user_id,
            "access_token": bot.access_token,
            "sync_token_file": str(start.tmp_path / "matrix-sync.json"),
            "sync_timeout_ms": 10_000,
        }
        rules = by_id(start.policy if start.policy is not None else SPINE_POLICY, ids)
        settings = kit.settings(start.tmp_path, "matrix", section, rules, **start.options)
        assert settings.matrix is not None
        app = App(settings, {"matrix": MatrixPlatform(settings.matrix)})
        blocked: list[Account] = []
        read_notices: dict[str, int] = {}
        calls = _calls(desk)

        answered: list[str] = []
        """The bot's messages in #desk taken as replies, in order."""

        async def reply_to(event: str) -> str:
            """The bot's reply to ``event``: its next message in #desk."""
            reply = await watcher.reply_to(event)
            said = [s.event_id for s in watcher.from_user(bot.user_id) if s.room == desk]
            assert said[len(answered)] == reply.event_id, [
                s.body for s in watcher.from_user(bot.user_id)
            ]
            answered.append(reply.event_id)
            return reply.body

        async def say(person: str, text: str) -> str:
            return await reply_to(await hs.say(accounts[person], desk, text))

        async def later() -> str:
            """The bot's first message in #desk not yet taken as a reply."""
            said = await watcher.wait_for(
                lambda s: s.sender == bot.user_id and s.room == desk and s.event_id not in answered
            )
            answered.append(said.event_id)
            return said.body

        async def say_solo(person: str, text: str) -> str:
            event = await hs.say(accounts[person], made.solo, text)
            return (await watcher.reply_to(event)).body

        solo = Reader(server.url, watch, made.solo)

        async def post(person: str, text: str) -> Reply:
            event = await hs.say(accounts[person], desk, text)
            return lambda: reply_to(event)

        def changes() -> list[str]:
            made: list[str] = []
            before = dict(power)
            for c in proxy.calls:
                if not c.changes_state or _room_of(c) != desk:
                    continue
                body = json.loads(c.body or b"{}")
                if calls["remove"](c):
                    made.append(f"remove {name(body['user_id'])}")
                elif calls["add"](c):
                    made.append(f"add {name(body['user_id'])}")
                elif calls["demote"](c):
                    after: dict[str, int] = body.get("users", {})
                    for uid in sorted(set(before) | set(after), key=name):
                        was, now = before.get(uid, 0) >= KICK, after.get(uid, 0) >= KICK
                        if was != now:
                            made.append(f"{'promote' if now else 'demote'} {name(uid)}")
                    before = after
                else:
                    made.append(f"{c.method} {c.path}")
            return made

        def owners() -> set[str]:
            levels = read.levels()
            there = (read.joined() | read.invited()) - {bot.user_id}
            return {name(uid) for uid in there if levels.get(uid, 0) >= KICK}

        def invitations(person: str | None = None) -> list[ProxiedCall]:
            """The bot's invitations into a direct room (``person``'s, or anyone's)."""
            tail = f"/state/m.room.member/{ids[person]}" if person else "/state/m.room.member/"
            return [
                c
                for c in proxy.calls
                if c.method == "PUT" and tail in c.path and _room_of(c) != desk
            ]

        async def notice(person: str) -> str:
            (invited, *_) = await proxy.wait_for_recorded(lambda c: c in invitations(person))
            room = _room_of(invited)
            count = read_notices.get(person, 0) + 1
            sent = f"{CLIENT}/rooms/{room}/send/m.room.message/"
            await proxy.wait_for_recorded(
                lambda c: c.path.startswith(sent) and c.status == 200, count
            )
            await hs.join(accounts[person], room)
            path = f"{CLIENT}/rooms/{quote(room)}/messages"
            page = await hs.request(accounts[person], "GET", path, params={"dir": "f"})
            said = [e for e in page["chunk"] if e["type"] == "m.room.message"]
            read_notices[person] = count
            return str(said[count - 1]["content"]["body"])

        def nook() -> str:
            """A room of the bot's (room version 10: its level, 100, is Bob's), Bob its owner."""
            power = {"users": {bot.user_id: 100, ids["bob"]: 100}}
            body: dict[str, Any] = {"name": "Nook", "preset": "private_chat", "room_version": "10"}
            body |= {"invite": [ids["bob"]], "power_level_content_override": power}
            made = read.call("POST", "/createRoom", body, who=bot)["room_id"]
            read.call("POST", f"/join/{quote(made)}", {}, who=people["bob"])
            return "Nook"

        def refuse_notices() -> None:
            """Everyone refuses invitations (the bot's direct rooms start with one)."""
            for account in people.values():
                read.call("PUT", _invites(account), {"default_action": "block"}, who=account)
                blocked.append(account)

        def fail_room() -> str:
            """The caller's rank is read from #desk's power levels: that read fails."""
            proxy.fail_next(_in(desk, "GET", "/state/m.room.power_levels"), status=500)
            return "M_UNKNOWN: refused by the test proxy"

        try:
            await app.start()
            yield World(
                "matrix",
                "!",
                ids,
                {p: a.display_name for p, a in accounts.items()} | {"erin": ids["erin"]},
                say,
                lambda: {name(uid) for uid in read.joined()},
                changes,
                owners,
                notices=Notices(
                    notice,
                    lambda: [name(c.path.rsplit("/", 1)[1]) for c in invitations()],
                    refuse_notices,
                ),
                mention=lambda person, text: say(person, f"{bot.user_id} {text}"),
                levels=LEVELS,
                invited=lambda: {name(uid) for uid in read.invited()},
                addresses=False,
                knobs=Knobs(
                    lambda change, how: proxy.lose_next(calls[change], reset=how == "reset"),
                    lambda change: proxy.fail_next(calls[change]),
                    lambda: proxy.hold_next(lambda c: c.method == "GET" and _room_of(c) == desk),
                    fail_room,
                ),
                app=app,
                post=post,
                later=later,
                server=proxy,
                nook=nook,
                solo=Solo(say_solo, lambda: {name(uid) for uid in solo.joined()}),
            )
        finally:
            await app.stop()
            await watcher.stop()
            await proxy.stop()
            for account in blocked:
                await hs.request(account, "PUT", CLIENT + _invites(account), {})
