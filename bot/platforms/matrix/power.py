"""Matrix power levels as the server computes them, and kickbot's checks on them.

"Room owner" for kickbot is a power level at or above the room's ``kick`` level (what the server
requires to kick). In room versions with privileged creators (12 and later), the creators have an
infinite power level and are not listed in ``m.room.power_levels``. The checks here mirror the
server's authorization rules so a refusal is explained before any call is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import errors

CREATOR_VERSIONS = frozenset({"org.matrix.hydra.11"})


def creators_privileged(room_version: str) -> bool:
    """Room versions where creators hold an infinite power level (MSC4289)."""
    return room_version in CREATOR_VERSIONS or (room_version.isdigit() and int(room_version) >= 12)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True, slots=True)
class Creation:
    """What the immutable ``m.room.create`` event says about power."""

    room_version: str
    creators: frozenset[str]
    """Users with an infinite level (only in versions where creators are privileged)."""
    sender: str

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Creation:
        content = event.get("content") or {}
        version = str(content.get("room_version") or "1")
        sender = str(event.get("sender") or "")
        creators: frozenset[str] = frozenset()
        if creators_privileged(version):
            extra = content.get("additional_creators") or []
            creators = frozenset({sender, *(str(u) for u in extra if isinstance(u, str))})
        return cls(version, creators, sender)


SPEC_LEVELS = {"users_default": 0, "kick": 50, "invite": 0, "state_default": 50}
"""The levels of ``m.room.power_levels`` kickbot reads, with the spec's value for each where the
event leaves it out (or gives no number)."""


@dataclass(frozen=True, slots=True)
class PowerLevels:
    content: Mapping[str, Any]
    creation: Creation
    users: Mapping[str, int] = field(init=False)
    users_default: int = field(init=False)
    kick: int = field(init=False)
    invite: int = field(init=False)
    state_default: int = field(init=False)

    def __post_init__(self) -> None:
        raw = self.content.get("users") or {}
        users = {str(k): _int(v, 0) for k, v in raw.items()} if isinstance(raw, dict) else {}
        object.__setattr__(self, "users", users)
        for name, default in SPEC_LEVELS.items():
            object.__setattr__(self, name, _int(self.content.get(name), default))

    def event_level(self, event_type: str) -> int:
        events = self.content.get("events") or {}
        if isinstance(events, dict) and event_type in events:
            return _int(events[event_type], self.state_default)
        return self.state_default

    def level(self, user_id: str) -> float:
        if user_id in self.creation.creators:
            return math.inf
        if not self.content and user_id == self.creation.sender:
            return 100  # no power levels event yet: the creator has 100, everyone else 0
        return self.users.get(user_id, self.users_default)

    def is_owner(self, user_id: str) -> bool:
        return self.level(user_id) >= self.kick

    def top_holders(self, members: Iterable[str]) -> tuple[float, set[str]]:
        """The highest level among ``members`` and who holds it."""
        levels = {m: self.level(m) for m in members}
        if not levels:
            return 0, set()
        top = max(levels.values())
        return top, {m for m, lv in levels.items() if lv == top}


def show(level: float) -> str:
    return "creator (unlimited)" if math.isinf(level) else str(int(level))


def check_may_act(
    power: PowerLevels, actor: str, target: str, *, action: str, actor_is_bot: bool, needed: int
) -> None:
    """Raise ``RuleForbids`` unless ``actor`` may ``action`` ``target`` under the server's rule:
    the actor needs ``needed`` and a level strictly above the target's."""
    whose = "the bot's" if actor_is_bot else "yours"
    mine = power.level(actor)
    if mine < needed:
        raise errors.RuleForbids(
            f"{'the bot' if actor_is_bot else 'you'} ({actor}) "
            f"{'has' if actor_is_bot else 'have'} power level {show(mine)}, "
            f"below the {needed} needed to {action} in this room"
        )
    theirs = power.level(target)
    if target in power.creation.creators:
        raise errors.RuleForbids(
            f"{target} created this room (room version {power.creation.room_version}): "
            f"creators have unlimited power and nobody can {action} them"
        )
    if theirs >= mine:
        raise errors.RuleForbids(
            f"{target} has power level {show(theirs)}, the same as or above {whose} ({show(mine)})"
        )


def demoted_content(power: PowerLevels, target: str) -> dict[str, Any]:
    """The new ``m.room.power_levels`` content with ``target`` back at ``users_default``."""
    content = dict(power.content)
    users = dict(power.users)
    users.pop(target, None)
    content["users"] = users
    return content


def with_level(power: PowerLevels, target: str, level: int) -> dict[str, Any]:
    """The new ``m.room.power_levels`` content with ``target`` at ``level``."""
    content = dict(power.content)
    content["users"] = {**power.users, target: level}
    return content


def check_may_set(power: PowerLevels, bot: str, target: str, level: int) -> None:
    """Raise ``RuleForbids`` unless the bot may raise ``target`` to ``level``: the server wants
    the level for ``m.room.power_levels``, a new level no higher than the bot's own, and a
    target below the bot."""
    mine = power.level(bot)
    needed = power.event_level("m.room.power_levels")
    if mine < needed:
        raise errors.RuleForbids(
            f"the bot ({bot}) has power level {show(mine)}, below the {needed} needed to change "
            "power levels in this room"
        )
    if level > mine:
        raise errors.RuleForbids(
            f"{target} had power level {level}, above the bot's ({show(mine)}): only someone "
            "at that level or higher can give it back"
        )
    theirs = power.level(target)
    if theirs >= mine:
        raise errors.RuleForbids(
            f"{target} has power level {show(theirs)}, the same as or above the bot's "
            f"({show(mine)})"
        )
