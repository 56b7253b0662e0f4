"""Option words in the grammar, the bulk config keys and /confirm's default policy."""

from __future__ import annotations

import pytest

from bot.entitlement import Policy, Verdict, decide_static
from bot.errors import ConfigError
from bot.grammar import EmailTarget, Flag, Grammar, ParseError, Rest, Targets
from bot.model import MentionToken, Token, UserRef, Word
from bot.settings import parse
from handlers import COMMANDS

BOB = UserRef("2", "Bob")
KICK = Grammar((Targets("user"), Rest("reason")), (Flag("dry-run"),))
KNOWN = [c.name for c in COMMANDS]


def toks(*items: str | UserRef) -> list[Token]:
    return [MentionToken(i, "@Bob") if isinstance(i, UserRef) else Word(i) for i in items]


@pytest.mark.parametrize(
    ("tokens", "rest"),
    [
        (toks("--dry-run", BOB, "spam"), "spam"),
        (toks(BOB, "--dry-run", "spam"), "spam"),
        (toks(BOB, "spam", "--DRY-RUN"), "spam"),
        (toks(BOB, "spam", "\u2014dry-run"), "spam"),
        (toks(BOB, "--dry-run"), None),
    ],
    ids=["first", "middle", "last-upper", "em-dash", "no-reason"],
)
def test_a_flag_is_taken_anywhere(tokens: list[Token], rest: str | None) -> None:
    parsed = KICK.parse(tokens)
    assert parsed.flags == frozenset({"dry-run"})
    assert parsed.targets == (BOB,)
    assert parsed.rest == rest


def test_without_the_flag_nothing_is_set() -> None:
    parsed = KICK.parse(toks(BOB, "a", "-", "b", "--", "c@example.com"))
    assert parsed.flags == frozenset()
    assert parsed.rest == "a - b -- c@example.com"
    assert KICK.parse(toks("c@example.com")).targets == (EmailTarget("c@example.com"),)


def test_an_unknown_option_is_an_error() -> None:
    with pytest.raises(ParseError) as err:
        KICK.parse(toks(BOB, "--force"))
    assert err.value.problem == "Unknown option “--force”."
    assert err.value.hint == "Options: --dry-run."
    with pytest.raises(ParseError) as err:
        Grammar((Targets("user"),)).parse(toks(BOB, "--dry-run"))
    assert err.value.hint == "This command takes no options."


def test_usage_is_generated_with_the_options() -> None:
    assert KICK.usage("kick") == "/kick @user [@user …] [reason…]"
    assert KICK.options() == "[--dry-run]"
    assert Grammar((Targets("user"),)).options() == ""


def test_bulk_defaults_and_keys() -> None:
    bulk = parse({}, KNOWN).bulk
    assert (bulk.confirm_above, bulk.confirm_within_minutes) == (5, 10.0)
    assert (bulk.jumbo_members, bulk.jumbo_interval_seconds) == (1000, 3.0)
    assert (bulk.progress_every_percent, bulk.progress_every_seconds) == (10.0, 60.0)
    with pytest.raises(ConfigError, match=r"bulk\.confirm_abve: unknown key"):
        parse({"bulk": {"confirm_abve": 3}}, KNOWN)
    with pytest.raises(ConfigError, match=r"bulk\.jumbo_interval_seconds: Input should be greater"):
        parse({"bulk": {"jumbo_interval_seconds": -1}}, KNOWN)


def test_confirm_is_open_to_callers_unless_the_policy_says_otherwise() -> None:
    someone = UserRef("77", "Someone")
    assert decide_static(Policy(), "confirm", someone).verdict is Verdict.ALLOWED
    assert decide_static(Policy(deny=["77"]), "confirm", someone).verdict is (Verdict.DENIED_LISTED)
    written = Policy.model_validate({"commands": {"confirm": {"users": ["88"]}}})
    assert decide_static(written, "confirm", someone).verdict is Verdict.NOT_NAMED
