"""Policy lists with e-mail entries, resolved to a platform's user ids: a person the platform
does not let match against an entry is never taken for "not named" (fail closed)."""

from __future__ import annotations

import pytest

from bot.entitlement import (
    Known,
    Policy,
    Resolved,
    Verdict,
    decide_resolved,
    is_email,
    owners_may_act_on_owners,
)
from bot.model import UserRef

HIDDEN = UserRef("U1", "someone")  # the platform shows no e-mail address
SHOWN = UserRef("U2", "shown", "shown@example.com")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [("a@example.com", True), ("@bob:matrix.example", False), ("U123", False), ("42", False)],
)
def test_what_is_an_email_entry(entry: str, expected: bool) -> None:
    assert is_email(entry) is expected


def test_an_entry_resolved_to_the_id_names_the_person() -> None:
    resolved = Resolved(("a@example.com",), frozenset({"U1"}))
    assert resolved.match(HIDDEN) is Known.NAMED


def test_an_unresolved_entry_and_a_hidden_address_cannot_be_told() -> None:
    resolved = Resolved(("a@example.com",), frozenset(), frozenset({"a@example.com"}))
    assert resolved.match(HIDDEN) is Known.UNKNOWN
    assert resolved.match(SHOWN) is Known.NOT_NAMED  # its own address tells
    assert Resolved(("shown@example.com",)).match(SHOWN) is Known.NAMED


def test_a_resolved_list_tells_everyone_apart() -> None:
    resolved = Resolved(("a@example.com", "U9"), frozenset({"U7"}))
    assert resolved.match(HIDDEN) is Known.NOT_NAMED
    assert resolved.match(UserRef("U9")) is Known.NAMED


def test_decisions_fail_closed() -> None:
    policy = Policy.model_validate({"commands": {"kick": {"room_owners": False}}})
    unknown = Resolved(("x@example.com",), frozenset(), frozenset({"x@example.com"}))
    empty = Resolved(())
    denied = decide_resolved(policy, "kick", HIDDEN, unknown, empty)
    assert (denied.verdict, denied.via) == (Verdict.IDENTITY_UNKNOWN, "policy.deny")
    maybe = decide_resolved(policy, "kick", HIDDEN, empty, unknown)
    assert (maybe.verdict, maybe.via) == (
        Verdict.IDENTITY_UNKNOWN,
        "policy.commands.kick.users",
    )
    owners = Policy()
    # Owners may run it anyway: the owner check decides, and a non-owner is refused for it.
    check = decide_resolved(owners, "kick", HIDDEN, empty, unknown)
    assert (check.verdict, check.via) == (Verdict.NEEDS_ROOM_OWNER, "policy.commands.kick.users")
    named = Resolved(("x@example.com",), frozenset({"U1"}))
    assert decide_resolved(owners, "kick", HIDDEN, named, empty).verdict is Verdict.DENIED_LISTED
    assert decide_resolved(policy, "kick", HIDDEN, empty, named).allowed


@pytest.mark.parametrize(
    ("policy", "command", "default", "expected"),
    [
        ({}, "demote", True, True),
        ({}, "kick", False, False),
        ({"owners_may_act_on_owners": False}, "demote", True, False),
        ({"owners_may_act_on_owners": True}, "kick", False, True),
        ({"commands": {"demote": {"owners_may_act_on_owners": False}}}, "demote", True, False),
        (
            {
                "owners_may_act_on_owners": False,
                "commands": {"kick": {"owners_may_act_on_owners": True}},
            },
            "kick",
            False,
            True,
        ),
    ],
)
def test_who_decides_about_co_owners(
    policy: dict[str, object], command: str, default: bool, expected: bool
) -> None:
    assert owners_may_act_on_owners(Policy.model_validate(policy), command, default) is expected
