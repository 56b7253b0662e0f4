"""Chime message text in and markdown out.

In: how other users' @mentions appear inside an event's ``Message`` is not documented. kickbot
reads ``@alias@domain.com`` (the form Chime documents for webhook mentions) as a mention of the
room member with that e-mail, and plain e-mail addresses as e-mail targets; a leading mention of
the bot (``@<bot e-mail>``, ``@<display name>@<domain>`` as in AWS's example event, or
``@<display name>``) is the mention that addresses kickbot.

Out: webhook messages are markdown; an ``@alias@domain`` is a mention, and ``@All``/``@Present``
alert the whole room. Everything not kickbot's own markup is backslash-escaped, and every ``@``
that is not a mention kickbot means gets a zero-width space after it so it can never notify.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bot.model import MentionToken, Token, UserRef, Word
from bot.platforms.chime.client import content_bytes
from bot.reply import Code, Line, Mention, Reply, Text, Untrusted, showable_reply

ZWSP = "\u200b"
MAX_BODY = 4096  # webhook bodies over 4 KB are refused with 413
_AT_EMAIL = re.compile(r"@([^@\s]+@[^@\s]+\.[^@\s]+)")
_TRAILING = ",;:.!?)"
_INLINE = frozenset("\\`*_[]<>~|&!#")
_LINE_START = frozenset("#+-=>")


def bot_mention_pattern(bot: UserRef) -> re.Pattern[str]:
    forms = []
    if bot.email:
        forms.append(re.escape(bot.email))
    if bot.display:
        forms.append(re.escape(bot.display) + r"(?:@[^\s@]+\.[^\s@]+)?")
    return re.compile(r"@(?:" + "|".join(forms) + r")(?=\s|$)", re.IGNORECASE)


def tokenize(
    message: str,
    bot: UserRef,
    lookup: Callable[[str], UserRef | None],
    bot_pattern: re.Pattern[str] | None = None,
) -> tuple[Token, ...]:
    """Tokens of ``message``; ``lookup`` maps a lower-cased e-mail to a room member."""
    text = message.strip()
    tokens: list[Token] = []
    lead = (bot_pattern or bot_mention_pattern(bot)).match(text)
    if lead is not None:
        tokens.append(MentionToken(bot, lead.group(0)))
        text = text[lead.end() :]
    for word in text.split():
        tokens.append(_token(word, bot, lookup))
    return tuple(tokens)


def _token(word: str, bot: UserRef, lookup: Callable[[str], UserRef | None]) -> Token:
    core = word.rstrip(_TRAILING)
    found = _AT_EMAIL.fullmatch(core)
    if found is None:
        return Word(word)
    address = found.group(1).lower()
    user = lookup(address)
    if user is None and bot.email is not None and address == bot.email.lower():
        user = bot
    if user is not None:
        return MentionToken(user, word)
    # Not a member of this room: an e-mail target, resolved (or not) against the account.
    return Word(address)


# --- rendering --------------------------------------------------------------------------------


def escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in _INLINE:
            out.append("\\" + ch)
        elif ch == "@":
            out.append("@" + ZWSP)
        elif ch in "\r\n\t":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def code(text: str) -> str:
    body = text.replace("@", "@" + ZWSP).replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    return f"{fence}{body}{fence}"


def mention(user: UserRef, emails: Mapping[str, str] | None = None) -> str:
    address = user.email or (emails or {}).get(user.id)
    if address and "@" in address:
        return "@" + address
    return escape(user.label)


def render_line(ln: Line, emails: Mapping[str, str] | None = None) -> str:
    """``emails``: member id -> e-mail, for mentions of users known only by id."""
    parts = []
    for seg in ln:
        match seg:
            case Mention(user):
                parts.append(mention(user, emails))
            case Code(text):
                parts.append(code(text))
            case Text(text) | Untrusted(text):
                parts.append(escape(text))
    out = "".join(parts)
    if out[:1] in _LINE_START:
        out = "\\" + out
    elif (m := re.match(r"\d+([.)])", out)) is not None:
        out = out[: m.end() - 1] + "\\" + out[m.end() - 1 :]
    return out


def render(reply: Reply, emails: Mapping[str, str] | None = None) -> list[str]:
    # no bidi control reorders a line, no NUL or lone surrogate is sent
    return [render_line(ln, emails) for ln in showable_reply(reply)]


def chunks(lines: list[str], limit: int = MAX_BODY) -> list[str]:
    """Pack lines into messages whose webhook body stays within ``limit`` bytes."""
    out: list[str] = []
    current = ""
    for ln in lines:
        candidate = f"{current}\n{ln}" if current else ln
        if content_bytes(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        current = ln if content_bytes(ln) <= limit else _cut(ln, limit)
    if current:
        out.append(current)
    return out


def _cut(line: str, limit: int) -> str:
    lo, hi = 0, len(line)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if content_bytes(line[:mid] + " …") <= limit:
            lo = mid
        else:
            hi = mid - 1
    prefix = line[:lo]
    if prefix.endswith("\\"):
        prefix = prefix[:-1]  # never leave a dangling escape
    return prefix + " …"
