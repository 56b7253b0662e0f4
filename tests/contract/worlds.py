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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.app import App


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


@dataclass(frozen=True)
class Solo:
    """A second room: said there, who is in it."""

    say: Callable[[str, str], Awaitable[str]]
    members: Callable[[], set[str]]


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


def aws_knobs(
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
