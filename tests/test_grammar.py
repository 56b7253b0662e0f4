from __future__ import annotations

import pytest

from bot.grammar import Arg, EmailTarget, Grammar, ParseError, Rest, Targets
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
