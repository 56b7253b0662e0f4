"""Slack message text in and out: tokens from Slack's markup, replies as escaped mrkdwn.

Slack sends user mentions as ``<@U123>`` (``<@U123|name>`` in slash commands whose "escape"
option is on), e-mail addresses as ``<mailto:a@b.c|a@b.c>``, and escapes ``&``, ``<`` and ``>``
as entities. Only ``<@U…>`` carries a user id; a typed ``@name`` stays a plain word, which the
core's grammar refuses with a hint.
"""

from __future__ import annotations

import re

from bot.model import MentionToken, Token, UserRef, Word
from bot.reply import Code, Mention, Reply, Text, Untrusted, showable_reply

_PIECE = re.compile(r"<[^<>]*>|[^\s<]+|<")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|(.*))?$")
_SLACK_ID = re.compile(r"^[UWB][A-Z0-9]+$")


def unescape(text: str) -> str:
    """Undo Slack's three escapes (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """What Slack asks of message text: ``&``, ``<`` and ``>`` as entities. This keeps user
    text from becoming a mention, ``<!channel>`` ping or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tokenize(text: str) -> list[Token]:
    """Whitespace-separated tokens; a ``<…>`` span is one token even with spaces inside."""
    return [_token(piece) for piece in _PIECE.findall(text)]


def _token(piece: str) -> Token:
    if not (piece.startswith("<") and piece.endswith(">") and len(piece) > 1):
        return Word(unescape(piece))
    inner = piece[1:-1]
    target, _, label = inner.partition("|")
    if m := _USER.match(inner):
        name = unescape(m.group(2)) if m.group(2) else None
        return MentionToken(UserRef(m.group(1), name), "@" + (name or m.group(1)))
    if target.startswith("#"):  # a channel: <#C123|name>
        return Word("#" + unescape(label or target[1:]))
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
        return Word(unescape(label) if label else "@" + target[1:].split("^")[0])
    if target.startswith("mailto:"):
        return Word(unescape(target.removeprefix("mailto:")))
    return Word(unescape(label or target))  # a link: what the person typed


LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
"""mrkdwn's bold, italic, strike and code characters -> characters that look alike and mean
nothing to Slack. Slack documents no escape for them (only ``&``, ``<`` and ``>``)."""
_LOOKALIKE_TABLE = str.maketrans({k: v for k, v in LOOKALIKES.items() if k != "_"})
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
"""An ``_`` inside a word (``not_in_channel``) stays: mrkdwn opens and closes italics only at
a word's edge."""


def inert(text: str) -> str:
    """Text someone else wrote, as mrkdwn that formats nothing, pings nobody, links nothing:
    ``*bold*``, ``_it_``, ``~strike~`` and backtick code show as typed (in look-alike
    characters) instead of formatting kickbot's reply."""
    flat = _LOOSE_UNDERSCORE.sub(LOOKALIKES["_"], text.translate(_LOOKALIKE_TABLE))
    return escape(flat)


def render(reply: Reply) -> str:
    """Slack mrkdwn for a reply; everything but kickbot's mention markup is escaped, and text
    kickbot did not write can neither format the reply nor reorder it (``showable_reply``)."""
    lines = []
    for ln in showable_reply(reply):
        out = []
        for seg in ln:
            match seg:
                case Mention(user) if _SLACK_ID.match(user.id):
                    out.append(f"<@{user.id}>")
                case Mention(user):
                    out.append(inert("@" + user.label))
                case Code(text):
                    # mrkdwn has no escape for a backtick inside code: use a look-alike.
                    out.append(f"`{escape(text.replace('`', 'ˋ'))}`" if text else "")
                case Text(text):
                    out.append(escape(text))
                case Untrusted(text):
                    out.append(inert(text))
        lines.append("".join(out))
    return "\n".join(lines)
