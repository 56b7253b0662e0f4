"""A world per platform for the contract table: its double and the real bot, seen the same way.

A world says a line in the platform's #desk room as a person (``alice`` and ``carol`` own it,
``bob`` and ``dave`` are plain members, ``frank`` is named in the policy, ``erin`` is in no room)
and reads the bot's reply as plain text; it
shows the room's members by name and the membership changes the double received as
``"remove bob"`` / ``"add bob"``. Each platform's own fixtures (``tests/<platform>/conftest.py``)
build the double and the settings; only the reading is adapted here. A scenario may give the
world its own policy (the ``policy`` fixture); by default each platform's tests' policy is used.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.testing.chime.state import Membership
from bot.testing.loopback import LoopbackServer
from tests import conftest as symphony
from tests import kit
from tests.chime import conftest as chime
from tests.chime_sdk import conftest as chime_sdk
from tests.kit import SPINE_POLICY
from tests.rocketchat import conftest as rocketchat
from tests.slack import conftest as slack


@dataclass(frozen=True)
class World:
    platform: str
    command: str
    """How a command is typed: ``/`` or ``!``."""
    typed: Mapping[str, str]
    """How a caller names each person in a command (a mention or an address)."""
    shown: Mapping[str, str]
    """How the bot names each person in its replies."""
    say: Callable[[str, str], Awaitable[str]]
    """``say(person, line)``: said in #desk, the bot's reply there as plain text."""
    members: Callable[[], set[str]]
    """Who is in #desk, by name."""
    changes: Callable[[], list[str]]
    """Every membership change the double was asked for, in order: ``"remove bob"``,
    ``"demote carol"``."""
    owners: Callable[[], set[str]] | None = None
    """Who owns #desk, by name; ``None`` where a room's owners are not its own (Slack: workspace
    owners and admins and the channel's creator), so there is no ``/demote`` and no last owner."""
    room_name: str = "desk"
    """#desk as the bot names it in a removal notice."""
    notices: Notices | None = None
    """The removal notices people got; ``None`` where a bot cannot message a person (Chime)."""
    mention: Callable[[str, str], Awaitable[str]] | None = None
    """``mention(person, line)``: ``line`` (``/kick @bob``) said to the bot with an @-mention
    of it, the reply as plain text; ``None``: every line is said to the bot (Chime)."""
    at_word_is_an_id: bool = False
    """An ``@word`` is how a person is written, by id, not a name a client typed (the Chime
    SDK's ``@<AppInstanceUserId>``): an unknown one is someone not in the room."""
    mention_only: bool = False
    """Only a mention reaches the bot with a word that is no command (Slack: a slash command
    is registered, so a mistyped one never reaches the bot)."""

    knobs: Knobs | None = None
    """How the platform's double fails a change (set by every world)."""
    app: App | None = None
    """The bot (its store: a case's results)."""
    post: Callable[[str, str], Awaitable[Reply]] | None = None
    """``post(person, line)``: said in #desk without waiting; returns how to await the reply."""
    server: LoopbackServer | None = None
    """The platform's double, to stop and start again (an outage); None: not one server."""
    nook: Callable[[], str] | None = None
    """Adds a room the bot is in, bob its only owner, and readies the bot to list a person's
    rooms; returns the room's name as the bot shows it. ``None``: no room has owners of its own
    (Slack), nothing to ready."""

    async def results(self, case: int) -> list[dict[str, Any]]:
        """What the audit recorded for each target of ``case``."""
        assert self.app is not None
        assert self.app.store is not None
        (row,) = await self.app.store.audit(case=case)
        return row.results

    async def mentioned(self, person: str, text: str) -> str:
        return await (self.mention or self.say)(person, text)

    def line(self, name: str, *people: str, rest: str = "") -> str:
        """``/kick @bob reason`` in the platform's own syntax."""
        words = [self.command + name, *(self.typed[p] for p in people)]
        return " ".join(words + ([rest] if rest else []))

    def __str__(self) -> str:
        return self.platform


@dataclass(frozen=True)
class Notices:
    """A platform's direct messages to the people it removed."""

    next: Callable[[str], Awaitable[str]]
    """The next notice ``person`` got, as plain text."""
    opened: Callable[[], list[str]]
    """Who the bot opened a direct message with, by name, in order."""
    refuse: Callable[[], None]
    """From now on the platform refuses the bot a direct message (a right it lacks)."""


Reply = Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class Knobs:
    """A change is ``remove``, ``add``, ``demote`` or ``promote``; each double has its own call."""

    lose: Callable[[str, str], None]
    """``lose(change, how)``: the next such call acts, then its answer is lost: ``"500"`` (an
    error sent after acting) or ``"reset"`` (the connection reset)."""
    refuse: Callable[[str], None]
    """``refuse(change)``: the next such call is refused before acting."""
    hold_lookup: Callable[[], asyncio.Event] | None = None
    """Hold the next look-up of the room a command makes before acting (released by setting
    the event); ``None`` where the world has not said which call that is."""


LOST: dict[str, dict[str, Any]] = {"500": {"status": 500}, "reset": {"reset": True}}


PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank")


Policy = Mapping[str, Any] | None
"""A scenario's own policy, or ``None`` for the platform's tests' policy."""
Options = Mapping[str, Any]
NONE: Options = {}
"""A scenario's own settings besides the policy and the platform's section (``notify``...)."""

VERBS = {"remove": "remove", "add": "add", "demoteOwner": "demote", "promoteOwner": "promote"}
"""Symphony's membership endpoints, as a change is written."""


async def _text(message: Awaitable[Any]) -> str:
    return str((await message).text)


def _or(policy: Policy, default: Mapping[str, Any]) -> Mapping[str, Any]:
    return default if policy is None else policy


EXTRA = {"gina": "Gina Compliance", "hugo": "Hugo Admin", "iris": "Iris Admin", "mia": "Mia Member"}
"""More members of #desk, for the rank matrix (e-mail ``<name>@example.com``): a second
compliance officer and two admins, named so in ``RANKED``, and a plain member."""
RANKED = {
    "commands": {
        "kick": {
            "room_owners": True,
            "users": [f"{p}@example.com" for p in ("frank", "gina", "hugo", "iris", "bob", "mia")],
        }
    },
    "ranks": [
        {"name": "compliance", "users": ["frank@example.com", "gina@example.com"]},
        {"name": "admin", "users": ["hugo@example.com", "iris@example.com"]},
    ],
    "protect_named_users": False,
}
"""Ranks, highest first: compliance, admin, room owner, member; everyone may /kick, so every
pair reaches the rank check."""

OWN_OWNERS: dict[str, dict[str, tuple[str, str | None]]] = {
    "slack": {"workspace owner": ("owen", "olga"), "channel creator": ("carol", None)},
    "rocketchat": {"moderator role": ("dave", "mona"), "global admin": ("grace", "gus")},
}
"""A platform's own sources of the room-owner rank besides the room's owners (kind -> a person
of it in #desk, and a second one, to be the target of their own kind): Slack's workspace owners
(alice, a workspace admin, is the matrix's room owner) and a channel's creator; Rocket.Chat's
moderators and global admins. Their people are in their world (``test_contract.py``)."""


def _people(
    module: Any, bot: Any = None, extra: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], Callable[[Any], str]]:
    """The platform's ids of the people (``tests.slack.conftest.BOB``...), of ``extra`` ones
    and of the bot (``kickbot``), and their names by id."""
    ids = {p: getattr(module, p.upper()) for p in PEOPLE} | dict(extra or {})
    ids["kickbot"] = bot if bot is not None else module.BOT
    names = {str(v): k for k, v in ids.items()}
    return ids, lambda uid: names.get(str(uid), str(uid))


@contextlib.asynccontextmanager
async def symphony_world(
    tmp_path: Path, _: pytest.MonkeyPatch, policy: Policy = None, options: Options = NONE
) -> AsyncIterator[World]:
    ids, name = _people(symphony, extra={p: 2001 + i for i, p in enumerate(EXTRA)})
    async with kit.checked(symphony.make_pod()) as pod:
        for p, display in EXTRA.items():
            pod.add_user(ids[p], display, email=f"{p}@example.com", username=p)
            pod.room(symphony.DESK).set_member(ids[p], owner=False)
        key = pod.write_private_key(tmp_path / "bot.pem")
        section = pod.bdk_config(key)
        app = await symphony.start_bot(
            kit.settings(tmp_path, "symphony", section, _or(policy, SPINE_POLICY), **options)
        )
        await pod.wait_until_listening()
        desk = symphony.Room(pod, symphony.DESK)
        room = pod.room(symphony.DESK).stream_id

        async def say(person: str, text: str) -> str:
            return (await desk.say(ids[person], text)).text

        async def post(person: str, text: str) -> Reply:
            pod.say(ids[person], symphony.DESK, text)
            return lambda: _text(pod.next_message(symphony.DESK, timeout=20.0))

        def changes() -> list[str]:
            made = symphony.changes(pod)  # every membership or IB group change
            assert all(f"/room/{room}/" in c for c in made), made  # the id URL-safe
            return [
                f"{VERBS[r.path.rsplit('/', 1)[1]]} {name((r.body or {}).get('id'))}"
                for r in pod.calls("POST", r"/membership/")
                if not r.path.endswith("/list")
            ]

        def ims() -> dict[str, str]:
            return {
                name(uid): im.stream_id
                for im in pod.rooms.values()
                if im.stream_type == "IM"
                for uid in im.members
                if uid != symphony.BOT
            }

        async def notice(person: str) -> str:
            return (await pod.next_message(ims()[person])).text

        def refuse() -> None:
            pod.fail_next("POST", r"/pod/v1/im/create", 403, times=10)

        def call(change: str) -> str:
            return f"/membership/{ {v: k for k, v in VERBS.items()}[change] }$"

        def lose(change: str, how: str) -> None:
            status = 500 if how == "500" else 0
            pod.fail_next("POST", call(change), status, after_effect=True, reset=how == "reset")

        def refuse_change(change: str) -> None:
            pod.fail_next("POST", call(change), 400, body={"code": 400, "message": "No, not today"})

        try:
            yield World(
                "symphony",
                "/",
                {p: f"@{p}" for p in ids} | {"erin": "erin@example.com"},
                {p: f"@{pod.user(ids[p]).display_name}" for p in ids},
                say,
                lambda: {name(uid) for uid in desk.members},
                changes,
                lambda: {name(uid) for uid, owner in desk.members.items() if owner},
                "Trading Desk",
                Notices(notice, lambda: list(ims()), refuse),
                lambda person, text: say(person, "@kickbot " + text),
                knobs=Knobs(
                    lose, refuse_change, lambda: pod.hold_next("GET", r"/pod/v3/room/[^/]+/info")
                ),
                app=app,
                post=post,
                server=pod,
                nook=lambda: (
                    pod.add_room(None, "Nook", owners=[ids["bob"]], members=[ids["kickbot"]]).name
                ),
            )
        finally:
            await app.stop()


SLACK_CALLS = {"remove": "conversations.kick", "add": "conversations.invite"}
RC_CALLS = {
    "remove": "groups.kick",
    "add": "groups.invite",
    "demote": "groups.removeOwner",
    "promote": "groups.addOwner",
}
CHIME_CALLS = {
    "remove": "DeleteRoomMembership",
    "add": "CreateRoomMembership",
    "demote": "UpdateRoomMembership",
    "promote": "UpdateRoomMembership",
}


def slack_world(mode: slack.Mode) -> Callable[..., contextlib.AbstractAsyncContextManager[World]]:
    @contextlib.asynccontextmanager
    async def world(
        tmp_path: Path, _: pytest.MonkeyPatch, policy: Policy = None, options: Options = NONE
    ) -> AsyncIterator[World]:
        extra = {p: f"U0{p.upper()}" for p in [*EXTRA, "olga"]} | {"owen": slack.OWEN}
        ids, name = _people(slack, extra=extra)
        async with kit.checked(slack.make_workspace()) as ws:
            for p, display in {**EXTRA, "olga": "Olga Owner"}.items():
                ws.add_user(ids[p], p, display, email=f"{p}@example.com", is_owner=p == "olga")
                ws.join(slack.DESK, ids[p])
            section = slack.slack_section(ws, mode)
            settings = kit.settings(
                tmp_path, "slack", section, _or(policy, slack.POLICY), **options
            )
            bot = await slack.start_bot(ws, settings, mode)
            desk = slack.Channel(ws, bot, slack.DESK)

            async def say(person: str, text: str) -> str:
                command, _, rest = text.partition(" ")
                return (await desk.slash(ids[person], rest, command=command)).plain

            async def post(person: str, text: str) -> Reply:
                command, _, rest = text.partition(" ")
                fields = ws.slash_command(ids[person], slack.DESK, rest, command=command)
                acked = asyncio.create_task(bot.transport.slash(fields))

                async def reply() -> str:
                    message = await ws.next_message(slack.DESK, timeout=20.0)
                    assert (await acked).ok
                    return message.plain

                return reply

            def changes() -> list[str]:
                made = []
                for r in ws.requests:
                    verb = {"/api/conversations.kick": "remove", "/api/conversations.invite": "add"}
                    if r.path in verb:
                        args = {**r.query, **(r.body or {})}
                        assert args["channel"] == slack.DESK, args
                        made.append(f"{verb[r.path]} {name(args.get('user', args.get('users')))}")
                return made

            async def notice(person: str) -> str:
                im = ws.im_of(ids[person])
                assert im is not None, f"no direct message with {person}"
                return (await ws.next_message(im)).plain

            async def mention(person: str, text: str) -> str:
                return (await desk.mention(ids[person], "@kickbot " + text[1:])).plain

            try:
                yield World(
                    f"slack-{mode}",
                    "/",
                    {p: f"@{p}" for p in ids},
                    {p: f"@{ws.users[ids[p]].real_name}" for p in ids},
                    say,
                    lambda: {name(uid) for uid in desk.members},
                    changes,
                    notices=Notices(
                        notice,
                        lambda: [
                            name(c.query.get("users") or (c.body or {})["users"])
                            for c in ws.calls("conversations.open")
                        ],
                        lambda: ws.scopes.discard("im:write"),
                    ),
                    mention=mention,
                    mention_only=True,
                    knobs=Knobs(
                        lambda change, how: ws.fail_next(
                            SLACK_CALLS[change], "internal_error", after_effect=True, **LOST[how]
                        ),
                        lambda change: ws.fail_next(SLACK_CALLS[change], "restricted_action"),
                        lambda: ws.hold_next("conversations.info"),
                    ),
                    app=bot.app,
                    post=post,
                    server=ws,
                )
            finally:
                await slack.stop_bot(bot)

    return world


@contextlib.asynccontextmanager
async def rocketchat_world(
    tmp_path: Path, _: pytest.MonkeyPatch, policy: Policy = None, options: Options = NONE
) -> AsyncIterator[World]:
    extra = {p: f"u-{p}" for p in [*EXTRA, "mona", "gus"]} | {"grace": rocketchat.GRACE}
    ids, name = _people(rocketchat, extra=extra)
    async with kit.checked(rocketchat.make_server()) as server:
        desk_room = server.room(rocketchat.DESK)
        for p, display in EXTRA.items():
            server.add_user(ids[p], p, name=display, email=f"{p}@example.com")
            desk_room.add(ids[p])
        server.add_user(ids["mona"], "mona", name="Mona Moderator", email="mona@example.com")
        server.add_user(ids["gus"], "gus", name="Gus Admin", roles=("user", "admin"))
        desk_room.add(ids["mona"], "moderator")
        desk_room.add(ids["grace"])
        desk_room.add(ids["gus"])
        settings = rocketchat.settings_maker(server, tmp_path)(
            policy=_or(policy, rocketchat.POLICY), **options
        )
        app = await rocketchat.start_bot(settings, server)
        desk = rocketchat.Room(server, rocketchat.DESK)

        def read(message: Any) -> str:
            return rocketchat.visible(message.msg).replace("`", "")  # code spans: markup

        async def say(person: str, text: str) -> str:
            return read(await desk.say(ids[person], text))

        async def post(person: str, text: str) -> Reply:
            assert (await desk.post(ids[person], text)).status == 200

            async def reply() -> str:
                return read(await server.next_message(rocketchat.DESK, timeout=20.0))

            return reply

        def changes() -> list[str]:
            verb = {
                "groups.kick": "remove",
                "groups.invite": "add",
                "groups.removeOwner": "demote",
                "groups.addOwner": "promote",
            }
            return [  # every state-changing call, as server.changing_calls()
                f"{verb.get(endpoint, endpoint)} {name(user)}"
                for endpoint, user in (c.split(" ", 1) for c in server.changing_calls())
            ]

        def dm_of(person: str) -> str:
            return "".join(sorted((rocketchat.BOT, ids[person])))

        async def notice(person: str) -> str:
            return rocketchat.visible((await server.next_message(dm_of(person))).msg)

        def refuse() -> None:
            server.world.permissions["create-d"] = frozenset()

        by_username = {str(ids[p]).removeprefix("u-"): p for p in PEOPLE}

        try:
            yield World(
                "rocketchat",
                "!",
                {p: f"@{p}" for p in ids},
                {p: f"@{p}" for p in ids},
                say,
                lambda: {name(uid) for uid in desk.members},
                changes,
                lambda: {name(uid) for uid in desk.owners},
                notices=Notices(
                    notice,
                    lambda: [by_username[c.body["username"]] for c in server.calls("dm.create")],
                    refuse,
                ),
                mention=lambda person, text: say(person, "@kickbot " + text[1:]),
                knobs=Knobs(
                    lambda change, how: server.fail_next(
                        RC_CALLS[change], after_effect=True, **LOST[how]
                    ),
                    lambda change: server.fail_next(RC_CALLS[change], status=500),
                    lambda: server.hold_next("rooms.info"),
                ),
                app=app,
                post=post,
                server=server,
                nook=lambda: (
                    server.add_room(
                        "R-nook", "nook", "p", owners=[ids["bob"]], members=[ids["kickbot"]]
                    ).name
                ),
            )
        finally:
            await app.stop()


def _aws_knobs(
    double: Any, calls: Mapping[str, str], failure: str, forbidden: str, lookup: str = ""
) -> Knobs:
    """An AWS double's knobs: ``failure`` after acting (or a reset), ``forbidden`` before;
    ``lookup``, the operation that reads the room before a command acts."""
    return Knobs(
        lambda change, how: double.fail_next(
            calls[change], failure, after_effect=True, reset=how == "reset"
        ),
        lambda change: double.fail_next(calls[change], forbidden),
        (lambda: double.hold_next(lookup)) if lookup else None,
    )


@contextlib.asynccontextmanager
async def chime_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: Policy = None,
    options: Options = NONE,
) -> AsyncIterator[World]:
    async with kit.aws_double(chime.make_double(), monkeypatch, tmp_path) as double:
        extra = {p: f"{i:x}e77a000-0000-4000-8000-{i:012x}" for i, p in enumerate(EXTRA, 7)}
        ids, name = _people(chime, double.bot.user_id, extra)
        desk_room = double.room(chime.DESK)
        for p, display in EXTRA.items():
            double.add_user(ids[p], display, f"{p}@example.com")
            desk_room.memberships[ids[p]] = Membership(ids[p], "Member", desk_room.created_by)
        email = {uid: u.email for uid, u in double.users.items()} | {
            ids["kickbot"]: double.bot.email
        }
        settings = kit.settings(
            tmp_path, "chime", double.config(), _or(policy, SPINE_POLICY), **options
        )
        app = await chime.start_bot(settings, double)
        desk = chime.Room(double, chime.DESK)

        async def say(person: str, text: str) -> str:
            return (await desk.say(ids[person], text)).text

        async def post(person: str, text: str) -> Reply:
            await desk.send(ids[person], text)
            return lambda: _text(double.next_message(chime.DESK, timeout=20.0))

        def changes() -> list[str]:
            made = []
            for c in double.requests:
                if c.method in ("DELETE", "POST") and c.operation:  # every one that may change
                    if c.operation == "DeleteRoomMembership":
                        made.append(f"remove {name(c.path.rsplit('/', 1)[1])}")
                    elif c.operation == "CreateRoomMembership":
                        made.append(f"add {name(c.body['MemberId'])}")
                    elif c.operation == "UpdateRoomMembership":
                        verb = "demote" if c.body == {"Role": "Member"} else "promote"
                        made.append(f"{verb} {name(c.path.rsplit('/', 1)[1])}")
                    else:
                        made.append(f"{c.operation} {c.path}")
            assert len(made) >= len(double.state_changes())
            return made

        try:
            yield World(
                "chime",
                "/",
                {p: f"@{email[ids[p]]}" for p in ids} | {"erin": chime.EMAIL[chime.ERIN]},
                {p: f"@{email[ids[p]]}" for p in ids},
                say,
                lambda: {name(uid) for uid in desk.roles},
                changes,
                lambda: {name(uid) for uid, role in desk.roles.items() if role == "Administrator"},
                knobs=_aws_knobs(double, CHIME_CALLS, "ServiceFailure", "Forbidden", "GetRoom"),
                app=app,
                post=post,
                server=double,
                room_name="Trading Desk",
                nook=lambda: double.add_room(NOOK, "Nook", administrators=[ids["bob"]]).name,
            )
        finally:
            await app.stop()


NOOK = "a00c0000-0000-4000-8000-0000000a00c0"
"""Chime's room for /offboard whose only administrator is bob."""

CHIME_SDK_CALLS = {
    "remove": "DeleteChannelMembership",
    "add": "CreateChannelMembership",
    "demote": "DeleteChannelModerator",
    "promote": "CreateChannelModerator",
}


@contextlib.asynccontextmanager
async def chime_sdk_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    policy: Policy = None,
    options: Options = NONE,
) -> AsyncIterator[World]:
    """AppInstanceUserIds that are e-mail addresses (``user_ids_are_emails``), so that the
    policy's and the commands' addresses find people as on the other platforms."""
    ids = dict(chime_sdk.EMAIL) | {p: f"{p}@example.com" for p in EXTRA}
    async with kit.aws_double(chime_sdk.make_double(ids), monkeypatch, tmp_path) as double:
        desk_arn = f"{double.app_instance_arn}/channel/desk"
        for p, display in EXTRA.items():
            double.channel(desk_arn).add(double.add_user(ids[p], display))
        names = {double.user_arn(uid): person for person, uid in ids.items()}
        names |= {uid: person for person, uid in ids.items()}  # a path's last segment
        names[double.bot] = "kickbot"
        section = double.config(user_ids_are_emails=True)
        settings = kit.settings(
            tmp_path, "chime_sdk", section, _or(policy, SPINE_POLICY), **options
        )
        app, platform = await chime_sdk.start_bot(settings)
        desk = chime_sdk.Channel(double, platform, "desk", ids)
        channel = double.channel(desk.arn)
        verbs = {call: change for change, call in CHIME_SDK_CALLS.items()}

        def changes() -> list[str]:
            made: list[str] = []
            for operation, params in double.state_changes():
                who = params.get("MemberArn") or params.get("ChannelModeratorArn")
                who = who or params["path"].rsplit("/", 1)[1]
                change = f"{verbs[operation]} {names.get(who, who)}"
                if made and change.startswith("demote") and made[-1] == "remove" + change[6:]:
                    continue  # a moderator's removal takes the role too: one change
                made.append(change)
            return made

        async def mention(person: str, text: str) -> str:
            return await desk.say(person, f"@kickbot {text}")

        async def post(person: str, text: str) -> Reply:
            await desk.send(person, text)
            return desk.reply

        typed = {p: f"@{uid}" for p, uid in ids.items()} | {"kickbot": "@kickbot"}

        def nook() -> str:
            double.operations.admins.add(double.bot)  # lists another user's channels
            double.add_channel("nook", "Nook", moderators=[double.user_arn(ids["bob"])])
            return "Nook"

        try:
            yield World(
                "chime_sdk",
                "/",
                typed | {"erin": ids["erin"]},
                typed,
                desk.say,
                lambda: {names.get(arn, arn) for arn in channel.members},
                changes,
                lambda: {names[arn] for arn in channel.moderators if arn != double.bot},
                knobs=_aws_knobs(
                    double,
                    CHIME_SDK_CALLS,
                    "ServiceFailureException",
                    "ForbiddenException",
                    "DescribeChannel",
                ),
                app=app,
                post=post,
                mention=mention,
                at_word_is_an_id=True,
                server=double,
                room_name="Trading Desk",
                nook=nook,
            )
        finally:
            await app.stop()


WORLDS: dict[str, Callable[..., contextlib.AbstractAsyncContextManager[World]]] = {
    "symphony": symphony_world,
    "slack-http": slack_world("http"),
    "slack-socket": slack_world("socket"),
    "rocketchat": rocketchat_world,
    "chime": chime_world,
    "chime_sdk": chime_sdk_world,
}
