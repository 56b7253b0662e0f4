"""A world per platform for the contract table: its double and the real bot, seen the same way.

A world says a line in the platform's #desk room as a person (``alice`` and ``carol`` own it,
``bob`` and ``dave`` are plain members, ``frank`` is named in the policy, ``erin`` is in no room)
and reads the bot's reply as plain text; it
shows the room's members by name and the membership changes the double received as
``"remove bob"`` / ``"add bob"``. Each platform's own fixtures (``tests/<platform>/conftest.py``)
build the double and the settings; only the reading is adapted in each world's module
(``<platform>_world.py``, gathered in ``conftest.py``). A scenario may give the
world its own policy (the ``policy`` fixture); by default each platform's tests' policy is used.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.app import App
from bot.settings import Settings
from tests import kit


class Restartable(Protocol):
    """A platform's server as a world stops and starts it (a double, Synapse's proxy)."""

    async def start(self) -> object: ...

    async def stop(self) -> object: ...


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
    """Who owns #desk, by name (with those invited back, where an undo can only invite);
    ``None`` where a room's owners are not its own (Slack: workspace owners and admins and the
    channel's creator), so there is no ``/demote`` and no last owner."""
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

    levels: Mapping[str, int] | None = None
    """The owners' power levels where the platform grades owners by them (Matrix: Alice 75,
    Carol 60): between two owners the higher acts, whatever the policy; a kicked owner keeps
    theirs (invited back, an owner again with no promotion); an undone demotion gives back
    exactly theirs. ``None``: owners are of one rank, the policy says if one acts on another."""
    invited: Callable[[], set[str]] | None = None
    """Who is invited to #desk and not in it yet, where an undo can only invite (Matrix: nobody
    can be made to join); ``None``: an undo puts people back in the room."""
    addresses: bool = True
    """A person is found by an e-mail address typed in a command; False where a platform never
    shows addresses (Matrix)."""

    knobs: Knobs | None = None
    """How the platform's double fails a change (set by every world)."""
    app: App | None = None
    """The bot (its store: a case's results)."""
    post: Callable[[str, str], Awaitable[Reply]] | None = None
    """``post(person, line)``: said in #desk without waiting; returns how to await the reply."""
    later: Reply | None = None
    """The bot's next message in #desk not yet read (by ``say``, a reply or ``later``): what
    follows a reply (a confirmed plan's report, progress)."""
    server: Restartable | None = None
    """The platform's server, to stop and start again (an outage); None: not one server."""
    solo: Solo | None = None
    """#solo, where alice is the only owner and bob a member (carol is no owner there);
    ``None`` where no such room is set up (Slack)."""
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

    def typed_line(self, line: str) -> str:
        """``kick @bob reason`` (a command, each person an ``@`` and a name of ``PEOPLE``) in
        the platform's own syntax; an ``@word`` naming nobody stays as it is."""
        words = [self.typed.get(w[1:], w) if w[:1] == "@" else w for w in line.split(" ")]
        return self.command + " ".join(words)

    def fill(self, text: str) -> str:
        """``text`` as this world says it: ``{c}`` the command prefix, ``{bob}`` Bob as the bot
        shows him, ``{readded[bob]}``, ``{readded_owner[bob]}``, ``{repromoted[bob]}`` and
        ``{untouched[bob]}`` the world's lines for him (``readded``...)."""
        return text.format(
            c=self.command,
            readded=Per(self.readded),
            readded_owner=Per(lambda p: self.readded(p, owner=True)),
            repromoted=Per(self.repromoted),
            untouched=Per(self.co_owner_untouched),
            **self.shown,
        )

    async def play(
        self, who: str, line: str, *said: str, changes: str = "", owners: str = ""
    ) -> str:
        """``who`` says ``line`` (``typed_line``) in #desk and the reply has each of ``said``
        (``fill``; one starting with ``^`` starts the reply). The line asked for exactly
        ``changes`` (``"remove bob, add bob"``): whoever they remove is out of #desk, whoever
        they add is back (``back``), everyone else stays where they were; then, if ``owners`` are
        given (``"alice, carol"``), #desk's owners are those, where a room's owners are its own.
        Returns the reply."""
        before, done = self.members(), len(self.changes())
        reply = await self.say(who, self.typed_line(line))
        for text in map(self.fill, said):
            assert reply.startswith(text[1:]) if text[:1] == "^" else text in reply, reply
        asked = [c for c in changes.split(", ") if c]
        assert self.changes()[done:] == asked
        moved = {p: v for v, p in (c.split(" ", 1) for c in asked) if v in ("remove", "add")}
        assert self.members() - set(moved) == before - set(moved)
        for person, verb in moved.items():
            assert (person not in self.members()) if verb == "remove" else self.back(person)
        if owners and self.owners is not None:
            assert self.owners() == set(owners.split(", "))
        return reply

    def failing_room(self) -> str:
        """``knobs.fail_room``: the next look-up of #desk fails; what the reply shows of it."""
        assert self.knobs is not None
        if self.knobs.fail_room is None:
            pytest.skip(f"{self}: no look-up of the room to fail")
        return self.knobs.fail_room()

    def failing_rank(self, person: str) -> str:
        """``knobs.fail_rank``: the next look-up of ``person``'s rank fails; what the reply
        shows of it. The test is skipped where a target's rank comes with the room's look-up."""
        assert self.knobs is not None
        if self.knobs.fail_rank is None:
            pytest.skip(f"{self}: a target's rank comes with the room's look-up, not on its own")
        return self.knobs.fail_rank(person)

    async def next_said(self) -> str:
        """``later``: the bot's next message in #desk after those already read."""
        assert self.later is not None
        return await self.later()

    def owned(self) -> Callable[[], set[str]]:
        """``owners``; the test is skipped where a room's owners are not its own."""
        if self.owners is None:
            pytest.skip(f"{self}: a room's owners are not its own, so there is no /demote")
        return self.owners

    def back(self, person: str) -> bool:
        """After an undo: ``person`` is in #desk again (or invited, where that is all it does)."""
        return person in self.members() or (self.invited is not None and person in self.invited())

    def readded(self, person: str, *, owner: bool = False) -> str:
        """An undo's line for ``person`` put back in #desk."""
        as_owner = " as owner" if owner else ""
        if self.invited is None:
            return f"Re-added {self.shown[person]}{as_owner}."
        return (
            f"Invited {self.shown[person]} back{as_owner} (the platform cannot make anyone join;"
            " they are back once they accept)."
        )

    def readded_to(self, person: str, room: str) -> str:
        """An undo's line for ``person`` put back in ``room`` (an offboarding's)."""
        if self.invited is None:
            return f"Re-added {self.shown[person]} to “{room}”."
        return f"Invited {self.shown[person]} back to “{room}” (they are back once they accept)."

    def repromoted(self, person: str) -> str:
        """An undo's line for ``person`` made an owner again."""
        if self.levels is None:
            return f"Promoted {self.shown[person]} back to owner."
        return f"Gave {self.shown[person]} back power level {self.levels[person]}."

    def co_owner_untouched(self, person: str) -> str:
        """Why an owner does not act on ``person``, an owner of their rank (of a level at least
        theirs, where the platform grades owners)."""
        if self.levels is not None:
            return f"{self.shown[person]} ranks the same as or above you in this room"
        return f"{self.shown[person]} has the same rank as you (room owner): not touched."

    def __str__(self) -> str:
        return self.platform


class Per(dict[str, str]):
    """A world's line for each person, as ``str.format`` reads it (``{readded[bob]}``)."""

    def __init__(self, line: Callable[[str], str]) -> None:
        super().__init__()
        self.line = line

    def __missing__(self, person: str) -> str:
        return self.line(person)


@dataclass(frozen=True)
class Solo:
    """A second room: said there, who is in it."""

    say: Callable[[str, str], Awaitable[str]]
    members: Callable[[], set[str]]


def room_of(
    room: Any,
    ids: Mapping[str, Any],
    name: Callable[[Any], str],
    read: Callable[[Any], str] = attrgetter("text"),
    members: str = "members",
) -> Solo:
    """A double's room as a world sees it: ``room.say(id, line)`` as a person, its answer read
    by ``read``; who is in it (the ids in its ``members``), by name."""

    async def say(person: str, line: str) -> str:
        return read(await room.say(ids[person], line))

    return Solo(say, lambda: {name(uid) for uid in getattr(room, members)})


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
    fail_room: Callable[[], str] | None = None
    """The next look-up of #desk a command makes before acting (who is in it, in what role)
    is refused; returns what the reply shows of the platform's answer."""
    fail_rank: Callable[[str], str] | None = None
    """``fail_rank(person)``: the next look-up of ``person``'s rank, a target's read on its own,
    is refused; returns what the reply shows of the platform's answer. ``None`` where a
    target's rank comes with the room's look-up (the platform has no such call)."""


LOST: dict[str, dict[str, Any]] = {"500": {"status": 500}, "reset": {"reset": True}}


PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank")


Policy = Mapping[str, Any] | None
"""A scenario's own policy, or ``None`` for the platform's tests' policy."""
Options = Mapping[str, Any]
NONE: Options = {}
"""A scenario's own settings besides the policy and the platform's section (``notify``...)."""


async def text_of(message: Awaitable[Any]) -> str:
    return str((await message).text)


def or_default(policy: Policy, default: Mapping[str, Any]) -> Mapping[str, Any]:
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


def people_of(
    module: Any, bot: Any = None, extra: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], Callable[[Any], str]]:
    """The platform's ids of the people (``tests.slack.conftest.BOB``...), of ``extra`` ones
    and of the bot (``kickbot``), and their names by id."""
    ids = {p: getattr(module, p.upper()) for p in PEOPLE} | dict(extra or {})
    ids["kickbot"] = bot if bot is not None else module.BOT
    names = {str(v): k for k, v in ids.items()}
    return ids, lambda uid: names.get(str(uid), str(uid))


AWS_LOST: dict[str, dict[str, Any]] = {"500": {}, "reset": {"reset": True}}
"""``LOST`` for an AWS double, whose failures are errors by name, not statuses."""


def knobs_of(
    double: Any,
    calls: Mapping[str, str],
    lookup: str,
    lost: Mapping[str, Any],
    refused: Mapping[str, Any],
    how: Mapping[str, Mapping[str, Any]] = LOST,
    *,
    fail_room: Callable[[], str] | None = None,
    fail_rank: Callable[[str], str] | None = None,
) -> Knobs:
    """The knobs of a double whose ``fail_next`` and ``hold_next`` take a call's name: a
    change's call fails with ``lost`` after acting (and ``how``'s: a 500 or a reset), with
    ``refused`` before; ``lookup`` is the call that reads the room before a command acts."""
    return Knobs(
        lambda change, h: double.fail_next(calls[change], after_effect=True, **lost, **how[h]),
        lambda change: double.fail_next(calls[change], **refused),
        lambda: double.hold_next(lookup),
        fail_room,
        fail_rank,
    )


def aws_knobs(double: Any, calls: Mapping[str, str], lookup: str, *errors: str) -> Knobs:
    """An AWS double's knobs: its two ``errors`` a change's call fails with, after acting and
    before; ``lookup`` is the operation that reads the room before a command acts, and the one
    a failed look-up of the room is (refused: the second error)."""
    lost, refused = ({"error": error} for error in errors)

    def fail_room() -> str:
        double.fail_next(lookup, errors[1], message="The bot may not read this room")
        return "The bot may not read this room"

    return knobs_of(double, calls, lookup, lost, refused, AWS_LOST, fail_room=fail_room)


@dataclass(frozen=True)
class Start:
    """What a world is made of besides its platform: the test's folder and monkeypatch, and
    the scenario's policy and other settings."""

    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch
    policy: Policy
    options: Options

    def settings(self, platform: str, section: Any, default: Mapping[str, Any]) -> Settings:
        """The bot's settings: the scenario's policy, else ``default`` (the platform's tests')."""
        policy = or_default(self.policy, default)
        return kit.settings(self.tmp_path, platform, section, policy, **self.options)


Maker = Callable[[Start], contextlib.AbstractAsyncContextManager[World]]
"""A platform's world, made for a test (``conftest.WORLDS``)."""
