"""A command declares everything about itself; the core reads it from the registry.

Its default rule and who may run it (entitlement), the undo steps it records (/undo), the
capability it needs (each platform says, per capability, why it lacks one), and the kind of
outcome the store keeps for what it returns.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from datetime import UTC, datetime

import pytest

from bot import platform as capabilities
from bot.commands import Command, Registry
from bot.entitlement import Access, CommandRule, Policy, Verdict, decide_static, declared_by
from bot.grammar import Grammar
from bot.model import UserRef
from bot.outcome import (
    Crashed,
    Info,
    Outcome,
    OutcomeKind,
    Plan,
    Refusal,
    Refused,
    Report,
    Scheduled,
    kind_of,
)
from bot.platforms import FACTORIES
from handlers import COMMANDS

SOMEONE = UserRef("77", "Someone")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_the_policy_defaults_are_what_each_command_declares(command: Command) -> None:
    policy = Policy()
    assert policy.rule(command.name) == (command.rule or CommandRule())
    verdict = decide_static(policy, command.name, SOMEONE)
    if command.access is Access.EVERYONE:
        assert verdict.verdict is Verdict.ALLOWED
        assert verdict.via == "everyone"
    elif command.access is Access.OWN_CASES:
        assert verdict.via == "for your own cases"
    elif command.rule is not None and command.rule.room_owners:
        assert verdict.verdict is Verdict.NEEDS_ROOM_OWNER
    else:
        assert verdict.verdict is Verdict.NOT_NAMED


def test_a_new_command_brings_its_own_defaults() -> None:
    async def run(_ctx: object) -> Outcome:
        raise AssertionError("not run")

    grammar = Grammar(())
    new = Command("archive", "archive a room", grammar, run, rule=CommandRule(room_owners=True))
    status = Command("status", "say how kickbot is", grammar, run, access=Access.EVERYONE)
    found = declared_by([*COMMANDS, new, status])
    assert dict(found.rules)["archive"] == CommandRule(room_owners=True)
    assert "status" in found.everyone
    assert "status" not in dict(found.rules)


def test_the_undoable_commands_are_those_that_record_undo_steps() -> None:
    undoable = {c.name for c in Registry(COMMANDS) if c.undoable}
    assert undoable == {"kick", "demote", "ib-remove", "offboard"}
    assert not next(c for c in COMMANDS if c.name == "undo").undoable  # an undo is final


def test_every_outcome_type_has_the_kind_earlier_releases_stored() -> None:
    samples: dict[type, Outcome] = {
        Refused: Refused(Refusal.MALFORMED, ()),
        Report: Report(()),
        Plan: Plan(()),
        Info: Info(()),
        Crashed: Crashed(1),
        Scheduled: Scheduled(datetime.now(UTC), 1),
    }
    assert set(samples) == set(typing.get_args(Outcome))
    stored = {t: str(kind_of(o)) for t, o in samples.items()}
    assert stored == {
        Refused: "refused",
        Report: "report",
        Plan: "plan",
        Info: "info",
        Crashed: "crashed",
        Scheduled: "scheduled",
    }
    assert {k.value for k in OutcomeKind} >= {"cancelled", "expired", "interrupted", "declined"}


def test_a_renamed_outcome_type_keeps_its_stored_kind() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Summary(Report):  # what a rename of Report would look like to the store
        pass

    assert kind_of(Summary(())) is OutcomeKind.REPORT


PROTOCOLS = {
    obj
    for obj in vars(capabilities).values()
    if isinstance(obj, type) and getattr(obj, "_is_runtime_protocol", False)
}


@pytest.mark.parametrize("platform", sorted(FACTORIES))
def test_a_platform_says_why_per_capability_it_lacks(platform: str) -> None:
    module, _, name = FACTORIES[platform].partition(":")
    cls = getattr(importlib.import_module(module), name)
    for capability, why in cls.unsupported.items():
        assert capability in PROTOCOLS, f"{platform}: {capability!r} is not a capability"
        assert not issubclass(cls, capability), f"{platform} has {capability.__name__}"
        assert why.strip()
    needed = {c.requires for c in COMMANDS if c.requires is not None}
    lacking = {c for c in needed if not issubclass(cls, c)}
    assert set(cls.unsupported) <= lacking
