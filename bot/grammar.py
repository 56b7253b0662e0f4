"""Command grammar: declared arguments, parsed from tokens, usage generated from the declaration.

The BDK's slash patterns match an exact token count, so a free-text reason cannot be captured;
kickbot owns its grammar instead. Targets come only from structured mentions (user ids supplied by
the platform) or e-mail addresses, never from display-name text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.model import MentionToken, Token, UserRef, Word

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True, slots=True)
class EmailTarget:
    email: str


Target = UserRef | EmailTarget


@dataclass(frozen=True, slots=True)
class Targets:
    """One or more people: mentions or e-mail addresses. ``unless`` names flags that stand in
    for the list (``/kick --external``): with one of them given, no person is needed."""

    name: str = "user"
    unless: tuple[str, ...] = ()
    one: bool = False
    """Usage shows a single person (the handler refuses more, in its own words)."""


@dataclass(frozen=True, slots=True)
class _Named:
    """A part of a command's grammar that is only its name (shown in usage); the subclass
    says how it is parsed."""

    name: str


class Arg(_Named):
    """Exactly one plain word."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """A case number: ``12`` or ``#12`` (kept as its digits in ``Parsed.words``)."""

    name: str = "case"


class Rest(_Named):
    """Everything left, as free text (optional)."""

    __slots__ = ()


ArgSpec = Targets | Arg | CaseNumber | Rest


class Flag(_Named):
    """An option word such as ``--dry-run``, accepted anywhere after the command."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Option:
    """An option with a value, ``--name VALUE`` or ``--name=VALUE``; may be repeated."""

    name: str
    value: str = "value"


_FLAG = re.compile(r"^(?:--|\u2014)([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?$")
"""``--name``, or ``—name`` as phones autocorrect it."""


class ParseError(Exception):
    def __init__(self, problem: str, hint: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Parsed:
    targets: tuple[Target, ...] = ()
    words: Mapping[str, str] = field(default_factory=dict)
    rest: str | None = None
    flags: frozenset[str] = frozenset()
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Option name -> the values given, in order."""

    def value(self, name: str) -> str | None:
        """The last value given for option ``name``, if any."""
        given = self.values.get(name)
        return given[-1] if given else None


@dataclass(frozen=True, slots=True)
class Grammar:
    args: tuple[ArgSpec, ...] = ()
    flags: tuple[Flag | Option, ...] = ()

    def usage(self, command: str) -> str:
        parts = ["/" + command]
        for a in self.args:
            match a:
                case Targets(name, _, True):
                    parts.append(f"@{name}")
                case Targets(name):
                    parts.append(f"@{name} [@{name} …]")
                case Arg(name) | CaseNumber(name):
                    parts.append(f"<{name}>")
                case Rest(name):
                    parts.append(f"[{name}…]")
        return " ".join(parts)

    def options(self) -> str:
        """The declared flags as usage shows them ("" when there are none)."""
        return " ".join(
            f"[--{f.name} <{f.value}>]" if isinstance(f, Option) else f"[--{f.name}]"
            for f in self.flags
        )

    def parse(self, tokens: Sequence[Token]) -> Parsed:
        flags, values, tokens = self._take_flags(tokens)
        pos = 0
        targets: list[Target] = []
        words: dict[str, str] = {}
        rest: str | None = None
        for spec in self.args:
            match spec:
                case Targets(_, unless):
                    pos = _take_targets(tokens, pos, targets, bool(flags & set(unless)))
                case Arg(name):
                    if pos >= len(tokens):
                        raise ParseError(f"The {name} is missing.")
                    text = tokens[pos].text
                    if isinstance(tokens[pos], MentionToken) or text.startswith("@"):
                        raise ParseError(f"Expected the {name} here, not a person.")
                    words[name] = text
                    pos += 1
                case CaseNumber(name):
                    if pos >= len(tokens):
                        raise ParseError(f"The {name} is missing.")
                    text = tokens[pos].text.lstrip("#")
                    if not text.isdigit():
                        raise ParseError(f"“{text}” is not a case number.")
                    words[name] = text
                    pos += 1
                case Rest():
                    if pos < len(tokens):
                        rest = " ".join(t.text for t in tokens[pos:])
                        pos = len(tokens)
        if pos < len(tokens):
            raise ParseError(f"Unexpected text: {' '.join(t.text for t in tokens[pos:])}")
        return Parsed(tuple(targets), words, rest, flags, values)

    def _take_flags(
        self, tokens: Sequence[Token]
    ) -> tuple[frozenset[str], dict[str, tuple[str, ...]], list[Token]]:
        """Set option words (and option values) aside, wherever they are. An unknown option is
        an error, never text: a mistyped ``--dry-run`` must not become the reason of a real
        removal."""
        known = {f.name: f for f in self.flags}
        found: set[str] = set()
        values: dict[str, tuple[str, ...]] = {}
        rest: list[Token] = []
        toks = list(tokens)
        i = 0
        while i < len(toks):
            tok = toks[i]
            i += 1
            m = _FLAG.match(tok.text) if isinstance(tok, Word) else None
            spec = known.get(m.group(1).lower()) if m else None
            if m is None:
                rest.append(tok)
            elif isinstance(spec, Option):
                value = m.group(2)
                if value is None:
                    if i >= len(toks) or not isinstance(toks[i], Word):
                        raise ParseError(
                            f"--{spec.name} needs a {spec.value}.",
                            f"Write it as --{spec.name} <{spec.value}>.",
                        )
                    value = toks[i].text
                    i += 1
                if not value:
                    raise ParseError(f"--{spec.name} needs a {spec.value}.")
                values[spec.name] = (*values.get(spec.name, ()), value)
            elif spec is not None and m.group(2) is None:
                found.add(spec.name)
            elif spec is not None:
                raise ParseError(f"--{spec.name} takes no value.")
            else:
                hint = (
                    "Options: " + ", ".join("--" + f.name for f in self.flags) + "."
                    if self.flags
                    else "This command takes no options."
                )
                raise ParseError(f"Unknown option “{tok.text}”.", hint)
        return frozenset(found), values, rest


def _take_targets(
    tokens: Sequence[Token], pos: int, out: list[Target], optional: bool = False
) -> int:
    seen: set[str] = set()
    while pos < len(tokens):
        tok = tokens[pos]
        if isinstance(tok, MentionToken):
            target: Target = tok.user
            key = "id:" + tok.user.id
        elif _EMAIL.match(tok.text):
            target = EmailTarget(tok.text.lower())
            key = "email:" + tok.text.lower()
        elif tok.text.startswith("@") and len(tok.text) > 1:
            raise ParseError(
                f"“{tok.text}” is typed text, not a mention.",
                "Pick the person from the @-mention list so the message carries their user id, "
                "or give their e-mail address.",
            )
        else:
            break
        if key not in seen:
            seen.add(key)
            out.append(target)
        pos += 1
    if not out and not optional:
        raise ParseError(
            "Name at least one person.", "Mention them (@-list) or give their e-mail address."
        )
    return pos
