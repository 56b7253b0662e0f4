"""The parse step: which command a message is, its arguments, and when it is to run.

Two moments use it. Inside the platform's event callback, ``recognised`` tells a command from
chat (nothing else is looked at, so the callback stays fast). In the worker, ``understood``
parses the recorded command against its declared grammar; a mistake is refused with the
command's usage, before any platform call.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import NamedTuple

from bot import schedule
from bot.commands import Command, Registry
from bot.grammar import Parsed, ParseError
from bot.model import Invocation, MentionToken, Token, UserRef, Word
from bot.outcome import Refusal, Refused
from bot.platform import Platform
from bot.replies import refusals

SUGGEST_CUTOFF = 0.6
"""How like a command a word addressed to the bot must be for the answer to suggest it
(``difflib`` ratio: ``/kik`` -> ``/kick`` 0.86, ``/hlep`` -> ``/help`` 0.75)."""
TYPO_CUTOFF = 0.75
"""How like one of kickbot's commands an unaddressed ``/word`` must be to count as a typo of it
and be answered (one swapped or missing letter of a short command; ``/mute``, ``/hello``,
``/kickban`` or ``/shrug`` are someone else's and stay unanswered)."""
LONGEST_COMMAND_WORD = 40
"""A longer word is never taken for a command (nor compared with each)."""


class Understood(NamedTuple):
    """A recorded command as its text tells it: which command, its arguments, when to run."""

    command: Command
    name: str
    parsed: Parsed
    runs_at: datetime | None


def split_command(
    tokens: Sequence[Token], bot: UserRef, prefixes: Sequence[str] = ("/",)
) -> tuple[bool, str, list[Token]] | None:
    """(addressed to the bot, command name, argument tokens), or None if no command."""
    rest = list(tokens)
    addressed = False
    if rest and isinstance(rest[0], MentionToken) and rest[0].user.id == bot.id:
        addressed = True
        rest = rest[1:]
    if not rest or not isinstance(rest[0], Word):
        return None
    word = rest[0].text
    prefix = next((p for p in prefixes if word.startswith(p)), None)
    if prefix is not None:
        name = word[len(prefix) :]
    elif addressed:
        name = word
    else:
        return None
    if not name:
        return None
    return addressed, name.lower(), rest[1:]


def nearest_command(name: str, known: Sequence[str], cutoff: float = SUGGEST_CUTOFF) -> str | None:
    """The command ``name`` was most likely meant to be, if any is close enough."""
    if len(name) > LONGEST_COMMAND_WORD:
        return None
    close = difflib.get_close_matches(name, known, n=1, cutoff=cutoff)
    return close[0] if close else None


def available_commands(registry: Registry, platform: Platform) -> list[str]:
    """The names of the commands that can run on ``platform``."""
    return [
        c.name
        for c in registry
        if (c.requires is None or isinstance(platform, c.requires))
        and c.requires not in platform.unsupported
    ]


def recognised(
    inv: Invocation, platform: Platform, registry: Registry, *, mention_required: bool
) -> str | None:
    """The command word of a message kickbot answers (its own command, or what is most
    likely a typo of one, or any word addressed to it); None for a message that is not for
    kickbot: chat, or someone else's slash command. No platform call."""
    found = split_command(inv.tokens, platform.bot_user, platform.command_prefixes)
    if found is None:
        return None
    addressed, name, _ = found
    addressed = addressed or inv.direct
    if mention_required and not addressed:
        return None
    if registry.get(name) is None and not addressed:
        known = available_commands(registry, platform)
        if nearest_command(name, known, TYPO_CUTOFF) is None:
            return None
    return name


def understood(
    inv: Invocation, platform: Platform, registry: Registry, tz: tzinfo, tz_name: str
) -> Understood | Refused:
    """The command, its arguments and its time: what can be told from the text alone.
    ``tz``: the zone an ``--at`` time is read in (``tz_name`` names it in a refusal)."""
    found = split_command(inv.tokens, platform.bot_user, platform.command_prefixes)
    assert found is not None, "only commands are recorded"
    _, name, args = found
    command = registry.get(name)
    if command is None:
        known = available_commands(registry, platform)
        return Refused(
            Refusal.MALFORMED, refusals.unknown_command(name, nearest_command(name, known))
        )
    try:
        parsed = command.grammar.parse(args)
    except ParseError as err:
        return Refused(
            Refusal.MALFORMED,
            refusals.malformed(err.problem, err.hint, command.usage, command.options),
        )
    runs_at: datetime | None = None
    if (at_text := parsed.value("at")) is not None:
        asked = inv.received_at  # fixed, so a re-run after a restart finds the same time
        try:
            runs_at = schedule.parse_at(at_text, asked, tz)
        except schedule.BadTime:
            return Refused(Refusal.MALFORMED, refusals.bad_time(at_text, tz_name))
        if runs_at <= asked:
            return Refused(Refusal.MALFORMED, refusals.time_passed(runs_at))
    return Understood(command, name, parsed, runs_at)
