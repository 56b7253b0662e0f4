from __future__ import annotations

import pytest

from bot.grammar import Arg, EmailTarget, Flag, Grammar, Option, ParseError, Rest, Targets
from bot.model import MentionToken, Token, UserRef, Word

BOB = UserRef("2", "Bob")
KICK = Grammar((Targets("user"), Rest("reason")))
IB = Grammar((Arg("group-id"), Targets("user")))


def toks(*items: str | UserRef) -> list[Token]:
    return [
        MentionToken(i, "@" + (i.display or "")) if isinstance(i, UserRef) else Word(i)
        for i in items
    ]


@pytest.mark.parametrize(
    ("tokens", "targets", "rest"),
    [
        (toks(BOB), (BOB,), None),
        (toks(BOB, "spamming", "a", "lot"), (BOB,), "spamming a lot"),
        (toks(BOB, "Bob@Example.com", "x"), (BOB, EmailTarget("bob@example.com")), "x"),
        (toks(BOB, BOB), (BOB,), None),
        (toks(BOB, "see", "@Ann"), (BOB,), "see @Ann"),
    ],
    ids=["mention", "reason", "email", "duplicate", "at-sign-in-reason"],
)
def test_kick_parses(tokens: list[Token], targets: tuple[object, ...], rest: str | None) -> None:
    parsed = KICK.parse(tokens)
    assert parsed.targets == targets
    assert parsed.rest == rest


@pytest.mark.parametrize(
    ("grammar", "tokens", "problem"),
    [
        (KICK, toks(), "Name at least one person."),
        (KICK, toks("@Bob", "spam"), "“@Bob” is typed text, not a mention."),
        (KICK, toks(BOB, "@Ann"), "“@Ann” is typed text, not a mention."),
        (KICK, toks("spam"), "Name at least one person."),
        (IB, toks(BOB), "Expected the group-id here, not a person."),
        (IB, toks(), "The group-id is missing."),
        (IB, toks("g1", BOB, "extra"), "Unexpected text: extra"),
    ],
    ids=["empty", "typed-name", "typed-second", "no-target", "ib-no-group", "ib-empty", "extra"],
)
def test_parse_errors(grammar: Grammar, tokens: list[Token], problem: str) -> None:
    with pytest.raises(ParseError) as err:
        grammar.parse(tokens)
    assert err.value.problem == problem


def test_usage_is_generated() -> None:
    assert KICK.usage("kick") == "/kick @user [@user …] [reason…]"
    assert IB.usage("ib-remove") == "/ib-remove <group-id> @user [@user …]"


FILTERED = Grammar(
    (Targets("user", unless=("external",)), Rest("reason")),
    (Flag("external"), Flag("dry-run"), Option("at", "time"), Option("ib-group", "group")),
)


def test_options_take_values_in_both_spellings_and_may_repeat() -> None:
    parsed = FILTERED.parse(
        toks(BOB, "--at", "22:00", "--ib-group=A", "--ib-group", "B", "tidy", "up")
    )
    assert parsed.targets == (BOB,)
    assert parsed.value("at") == "22:00"
    assert parsed.values["ib-group"] == ("A", "B")
    assert parsed.rest == "tidy up"
    assert FILTERED.parse(toks(BOB)).value("at") is None


def test_a_filter_flag_stands_in_for_the_people() -> None:
    parsed = FILTERED.parse(toks("--external", "outsiders"))
    assert parsed.targets == ()
    assert parsed.flags == {"external"}
    assert parsed.rest == "outsiders"
    with pytest.raises(ParseError, match="Name at least one person"):
        FILTERED.parse(toks("--dry-run", "outsiders"))


@pytest.mark.parametrize(
    ("tokens", "problem"),
    [
        (toks(BOB, "--at"), "--at needs a time."),
        (toks(BOB, "--at="), "--at needs a time."),
        (toks(BOB, "--at", BOB), "--at needs a time."),
        (toks(BOB, "--dry-run=yes"), "--dry-run takes no value."),
    ],
)
def test_option_mistakes(tokens: list[Token], problem: str) -> None:
    with pytest.raises(ParseError) as err:
        FILTERED.parse(tokens)
    assert err.value.problem == problem


def test_usage_shows_option_values() -> None:
    assert FILTERED.options() == "[--external] [--dry-run] [--at <time>] [--ib-group <group>]"
