from __future__ import annotations

import pytest

from bot.entitlement import Policy, Verdict, decide, decide_static
from bot.model import UserRef

OWNER = UserRef("1", "Owner", "owner@example.com")
ADMIN = UserRef("2", "Admin", "Admin@Example.com")
DENIED = UserRef("3", "Denied", "denied@example.com")
MEMBER = UserRef("4", "Member", "member@example.com")

POLICY = Policy.model_validate(
    {
        "commands": {
            "ib-remove": {"users": ["admin@example.com"]},
            "kick": {"room_owners": True, "users": ["3"]},
        },
        "deny": ["3"],
    }
)


@pytest.mark.parametrize(
    ("command", "caller", "is_owner", "verdict"),
    [
        ("kick", OWNER, True, Verdict.ALLOWED),
        ("kick", MEMBER, False, Verdict.NEEDS_ROOM_OWNER),
        ("kick", DENIED, True, Verdict.DENIED_LISTED),
        ("demote", OWNER, True, Verdict.ALLOWED),
        ("demote", MEMBER, False, Verdict.NEEDS_ROOM_OWNER),
        ("ib-remove", ADMIN, False, Verdict.ALLOWED),
        ("ib-remove", OWNER, True, Verdict.NOT_NAMED),
        ("help", MEMBER, False, Verdict.ALLOWED),
        ("help", DENIED, False, Verdict.DENIED_LISTED),
    ],
    ids=lambda v: getattr(v, "label", str(v)),
)
def test_decide(command: str, caller: UserRef, is_owner: bool, verdict: Verdict) -> None:
    assert decide(POLICY, command, caller, is_owner).verdict is verdict


def test_static_decision_needs_no_lookup_for_refusals() -> None:
    assert decide_static(POLICY, "ib-remove", OWNER).verdict is Verdict.NOT_NAMED
    assert decide_static(POLICY, "kick", MEMBER).verdict is Verdict.NEEDS_ROOM_OWNER


def test_defaults_without_policy() -> None:
    policy = Policy()
    assert policy.rule("kick").room_owners
    assert policy.rule("demote").room_owners
    assert not policy.rule("ib-remove").room_owners
    assert policy.rule("ib-remove").users == []


def test_partial_policy_keeps_other_defaults() -> None:
    policy = Policy.model_validate({"commands": {"ib-remove": {"users": ["x@example.com"]}}})
    assert policy.rule("kick").room_owners
    assert "x@example.com" in policy.protected_entries()
