"""Rocket.Chat message text: rendering replies, and reading commands out of messages.

Rocket.Chat's message parser (packages/message-parser, grammar.pegjs) has no backslash escapes,
so user text is neutralised instead: the emphasis characters ``* _ ~ ` `` become look-alike
characters, and a zero-width space breaks every other construct where it starts: ``@name`` and
``#channel`` (no ping, no link), ``[t](url)``, ``<url|t>`` and ``<t:…>`` timestamps,
``||spoiler||``, ``>`` quotes and ``# `` headings. What a person reads is the text that was typed.
"""

from __future__ import annotations

import re

from bot.model import UserRef
from bot.reply import Code, Mention, Reply, Text, Untrusted, showable_reply

ZWSP = "\u200b"
LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
"""Emphasis and code characters -> characters that look alike and mean nothing to the parser."""

_LOOKALIKE_TABLE = str.maketrans({k: v for k, v in LOOKALIKES.items() if k != "_"})
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z])")
"""An ``_`` inside a word (``owners_may_act``) stays: it cannot close an italic span, since the
parser reads ``_x_y`` as plain text when a letter follows the closing ``_``."""
_BREAK_AFTER = re.compile(r"([@#\[\]<|])")
_PING = re.compile(r"([@#])")
USERNAME = re.compile(r"[0-9A-Za-z._-]+")
"""Rocket.Chat's default username characters (UTF8_User_Names_Validation)."""
MENTION = re.compile(r"@([0-9A-Za-z._-]+)")
_COMMAND_IN_CODE = re.compile(r"(?<![\w/])/(?=[a-z][a-z-]*\b)")
EVERYONE = frozenset({"all", "here"})


def escape(text: str) -> str:
    """User (or server) text made inert for Rocket.Chat's markdown, on one line."""
    flat = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    flat = _LOOSE_UNDERSCORE.sub(LOOKALIKES["_"], flat.translate(_LOOKALIKE_TABLE))
    inert = _BREAK_AFTER.sub(lambda m: m.group(1) + ZWSP, flat)
    return inert.replace(">", ZWSP + ">")


def code(text: str, prefix: str) -> str:
    """Inline code. The core writes commands as ``/kick``; on Rocket.Chat ``/kick`` is the
    server's own built-in command, so they are shown with kickbot's prefix (``!kick``)."""
    shown = _COMMAND_IN_CODE.sub(lambda _m: prefix, text)
    shown = shown.replace("\n", " ").replace("`", LOOKALIKES["`"])
    # Code spans are not parsed for mentions, but the server's notification scan may be.
    shown = _PING.sub(lambda m: m.group(1) + ZWSP, shown)
    return f"`{shown}`" if shown.strip() else ""


def mention(user: UserRef) -> str:
    """A real mention when the user's username is known (it is the ``display`` of every
    ``UserRef`` this adapter makes), else their label as inert text."""
    if user.display and USERNAME.fullmatch(user.display):
        return "@" + user.display
    return escape(user.label)


def render(reply: Reply, prefix: str) -> str:
    lines = []
    for ln in showable_reply(reply):  # no bidi control reorders the line, no NUL is sent
        parts = []
        after_mention = False
        for seg in ln:
            match seg:
                case Mention(user):
                    part = mention(user)
                case Code(text):
                    part = code(text, prefix)
                case Text(text) | Untrusted(text):
                    part = escape(text)
            if after_mention and USERNAME.match(part):
                # "@alice." would name the user "alice." (usernames may hold dots): the
                # server neither links nor notifies it (Rocket.Chat issue #956)
                part = ZWSP + part
            parts.append(part)
            after_mention = isinstance(seg, Mention) and part.startswith("@")
        lines.append("".join(parts))
    return "\n".join(lines)


def words(text: str) -> list[str]:
    return text.split()


def mentioned_username(word: str) -> str | None:
    """The username in a ``@username`` word (None for other words and for @all/@here)."""
    m = MENTION.fullmatch(word)
    if m is None or m.group(1).lower() in EVERYONE:
        return None
    return m.group(1)
