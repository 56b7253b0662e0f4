"""A handler sees the services it declares (``bot.services``), never the pipeline's Context.

Each handler types its parameter as a Protocol made of the ``Has*`` services it uses (or, for
the two that use them all, ``bot.call.Call``); the table below is what each may reach, so a
handler that starts to need another service says so here. The figures are the public members
it can reach through them (the pipeline's ``Context`` showed every handler 32: 20 fields and
12 methods).
"""

from __future__ import annotations

import dataclasses
import typing

import pytest

from bot.call import Call
from bot.context import Context
from bot.services import Asked, Cases, Checks, Effects, RoomView
from handlers import COMMANDS

SERVICES: dict[str, type] = {
    "asked": Asked,
    "room": RoomView,
    "effects": Effects,
    "cases": Cases,
    "checks": Checks,
}
ELSEWHERE = {"in_room", "on_platform", "scoped", "roomless"}
"""Call's ways to the same command's services in another room, platform or journal scope."""

SEES: dict[str, tuple[frozenset[str], int]] = {
    # command: (the services it sees, the public members it can reach through them)
    "kick": (frozenset({"asked", "room", "effects", "cases"}), 26),
    "demote": (frozenset({"asked", "room", "effects", "cases"}), 26),
    "ib-remove": (frozenset({"asked", "room", "effects", "cases"}), 26),
    "offboard": (frozenset(SERVICES) | ELSEWHERE, 37),
    "undo": (frozenset(SERVICES) | ELSEWHERE, 37),
    "case": (frozenset({"asked", "cases", "checks"}), 16),
    "confirm": (frozenset({"asked", "cases"}), 9),
    "jobs": (frozenset({"asked", "cases"}), 9),
    "cancel": (frozenset({"asked", "cases", "room"}), 15),
    "help": (frozenset({"asked", "room", "checks"}), 19),
}


def _public(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass in (object, typing.Protocol, typing.Generic):
            continue
        names.update(n for n in vars(klass) if not n.startswith("_"))
        names.update(n for n in getattr(klass, "__annotations__", {}) if not n.startswith("_"))
    return names


def _parameter(run: object) -> type:
    hints = {k: v for k, v in typing.get_type_hints(run).items() if k != "return"}
    (param,) = hints.values()
    assert isinstance(param, type)
    return param


def test_every_command_is_in_the_table() -> None:
    assert {c.name for c in COMMANDS} == set(SEES)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_a_handler_sees_only_the_services_it_declares(command: typing.Any) -> None:
    seen = _public(_parameter(command.run))
    services, reach = SEES[command.name]
    assert seen == services
    counted = sum(len(_public(SERVICES[n])) if n in SERVICES else 1 for n in seen)
    assert counted == reach


def test_no_service_hands_out_the_context() -> None:
    """Nothing public on the services or on ``Call`` is (or returns) the pipeline's Context."""
    names = {"Call": Call}  # named under TYPE_CHECKING in bot.services
    for cls in (Call, *SERVICES.values()):
        hints = typing.get_type_hints(cls, localns=names) if dataclasses.is_dataclass(cls) else {}
        for name in _public(cls):
            member = getattr(cls, name, None)
            if isinstance(member, property) and member.fget is not None:
                returned = typing.get_type_hints(member.fget, localns=names).get("return")
            elif callable(member):
                returned = typing.get_type_hints(member, localns=names).get("return")
            else:
                returned = hints.get(name)
            assert returned is not Context, f"{cls.__name__}.{name}"
