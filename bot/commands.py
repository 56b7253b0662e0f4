"""What a command is (its declaration) and the registry of commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from bot.entitlement import Access, CommandRule
from bot.grammar import Grammar, Parsed
from bot.outcome import Outcome
from bot.undo_steps import UndoStep

if TYPE_CHECKING:
    from bot.call import Call

Handler: TypeAlias = "Callable[[Call], Awaitable[Outcome]]"
"""A command's handler: it gets the narrow services of ``bot.services`` (a ``bot.call.Call``;
each handler types its parameter as a Protocol of those it uses) and returns its outcome."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    summary: str
    grammar: Grammar
    run: Handler
    needs_room: bool = True
    """Checks the room is active (and so its membership unlocked) before running."""
    requires: type | None = None
    """A capability protocol the platform must implement, else the command is refused."""
    mutates: bool = True
    uses_members: bool = False
    """Reads the room's member list: looked up side by side with the room's info."""
    fans_out: bool = False
    """Acts beyond its targets' count (offboarding: one person, many rooms), so it is always
    rehearsed first and held for /confirm when the rehearsal changes more than the limit."""
    owners_act_on_owners: bool = False
    """Whether, by default, a room owner may use it on a co-owner (``/demote``: that is what it
    is for; ``/kick``: no). The policy may say otherwise (``owners_may_act_on_owners``)."""
    rule: CommandRule | None = None
    """Its rule when the policy writes none (None: only the users a policy names may run it)."""
    access: Access = Access.RULE
    """Open to everyone (/help), to the callers of the cases it is about (/confirm, /cancel),
    or decided by its rule."""
    undo_steps: tuple[type[UndoStep], ...] = ()
    """The undo step types it records with its changes (``bot.undo_steps``); empty: /undo has
    nothing to reverse in its cases."""
    notifies_removed: bool = False
    """After it runs, the people it removed are told why (``notify.removed_users``): its
    after-hook, which the dispatcher runs."""
    refuses_caller: bool = False
    """The caller may not be one of its targets: a change to oneself that one could not undo
    (after ``/kick`` or ``/demote`` of oneself, one is no longer an owner there)."""
    finds_targets: Callable[[Parsed], bool] | None = None
    """Whether, for these arguments, the handler finds its targets itself, on each platform
    it acts on (an all-platform offboarding): the dispatcher then resolves none, and the
    handler sets aside protected and outranking people through ``Checks.screen``."""

    @property
    def undoable(self) -> bool:
        return bool(self.undo_steps)

    @property
    def usage(self) -> str:
        return self.grammar.usage(self.name)

    @property
    def options(self) -> str:
        return self.grammar.options()


class Registry:
    def __init__(self, commands: Sequence[Command]):
        self._by_name: dict[str, Command] = {}
        for c in commands:
            if c.name in self._by_name:
                raise ValueError(f"command /{c.name} registered twice")
            self._by_name[c.name] = c

    def get(self, name: str) -> Command | None:
        return self._by_name.get(name)

    @property
    def names(self) -> list[str]:
        return list(self._by_name)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._by_name.values())
