"""Matrix message text in and out: tokens from ``body``/``formatted_body``, replies as HTML.

Mentions are structured only when the message carries the user id: a pill (a link to
``https://matrix.to/#/@user:server`` in ``formatted_body``) or a full user id typed in the text.
A typed ``@bob`` is a plain word (the core then asks for a real mention).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote

from bot.model import MentionToken, Token, UserRef, Word
from bot.reply import Code, Mention, Reply, Text, Untrusted, showable_reply

USER_ID = re.compile(r"@[A-Za-z0-9._=\-/+]+:(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
PILL = re.compile(r"^https://matrix\.to/#/(@[^/?#]+)")
_BLOCK = frozenset({"br", "p", "div", "li", "ul", "ol", "blockquote", "pre", "tr", "td", "h1",
                    "h2", "h3", "h4", "h5", "h6", "hr"})  # fmt: skip
_TRAILING = ",;"

Lookup = Callable[[str], UserRef]
"""A user id -> the user as this room knows them (display name when known)."""


def _pill_target(href: str) -> str | None:
    m = PILL.match(unquote(href))
    if m is None:
        return None
    uid = m.group(1)
    return uid if USER_ID.fullmatch(uid) else None


class _Html(HTMLParser):
    """Text and pills of a formatted_body, in order; reply fallbacks are skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str | tuple[str, str]] = []
        self._pill: str | None = None
        self._pill_text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._skip += 1
        elif self._skip:
            return
        elif tag == "a" and self._pill is None:
            self._pill = _pill_target(dict(attrs).get("href") or "")
            self._pill_text = []
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply":
            self._skip = max(0, self._skip - 1)
        elif self._skip:
            return
        elif tag == "a" and self._pill is not None:
            self.parts.append((self._pill, "".join(self._pill_text).strip() or self._pill))
            self._pill = None
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pill is not None:
            self._pill_text.append(data)
        else:
            self.parts.append(data)


def _words(text: str, lookup: Lookup) -> list[Token]:
    out: list[Token] = []
    for word in text.split():
        bare = word.rstrip(_TRAILING)
        if USER_ID.fullmatch(bare):
            out.append(MentionToken(lookup(bare), bare))
        else:
            out.append(Word(word))
    return out


def _strip_reply_fallback(body: str) -> str:
    lines = body.split("\n")
    if lines and lines[0].startswith("> "):
        while lines and lines[0].startswith(">"):
            lines.pop(0)
        if lines and not lines[0].strip():
            lines.pop(0)
    return "\n".join(lines)


def tokens(content: Mapping[str, Any], lookup: Lookup, bot: UserRef) -> tuple[Token, ...]:
    """The tokens of an ``m.room.message`` content."""
    formatted = content.get("formatted_body")
    out: list[Token] = []
    if content.get("format") == "org.matrix.custom.html" and isinstance(formatted, str):
        parser = _Html()
        parser.feed(formatted)
        parser.close()
        text = ""  # adjacent text parts form one run ("<b>lo</b>ud" is one word)
        for part in [*parser.parts, ("", "")]:
            if isinstance(part, str):
                text += part
                continue
            if out and isinstance(out[-1], MentionToken) and text[:1] in (":", ","):
                text = text[1:]  # "Bob: hi" — clients glue the punctuation to a pill
            out.extend(_words(text, lookup))
            text = ""
            uid, label = part
            if uid:
                out.append(MentionToken(lookup(uid), label))
    else:
        body = content.get("body")
        out = _words(_strip_reply_fallback(body), lookup) if isinstance(body, str) else []
    return tuple(_leading_bot_name(out, bot))


def _leading_bot_name(toks: list[Token], bot: UserRef) -> list[Token]:
    """ "kickbot: kick @bob:server" typed by hand: the bot's display name first is a mention."""
    names = [n for n in (bot.display, bot.id.split(":", 1)[0].lstrip("@")) if n]
    for name in names:
        want = name.split()
        head = toks[: len(want)]
        if len(head) < len(want) or not all(isinstance(t, Word) for t in head):
            continue
        said = [t.text for t in head]
        said[-1] = said[-1].rstrip(":,")
        if [s.lower() for s in said] == [w.lower() for w in want] and len(toks) > len(want):
            text = " ".join(t.text for t in head)
            return [MentionToken(bot, text), *toks[len(want) :]]
    return toks


def pill_href(user_id: str) -> str:
    return "https://matrix.to/#/" + quote(user_id, safe="@:")


def render(reply: Reply) -> tuple[str, str, list[str]]:
    """(plain body, HTML formatted_body, mentioned user ids). All text is escaped."""
    plain_lines: list[str] = []
    html_lines: list[str] = []
    mentioned: list[str] = []
    for ln in showable_reply(reply):  # no bidi control reorders a line (body or HTML)
        plain: list[str] = []
        rich: list[str] = []
        for seg in ln:
            match seg:
                case Mention(user):
                    plain.append(user.label)
                    href = html.escape(pill_href(user.id), quote=True)
                    rich.append(f'<a href="{href}">{html.escape(user.label)}</a>')
                    if user.id not in mentioned:
                        mentioned.append(user.id)
                case Code(text):
                    plain.append(text)
                    rich.append(f"<code>{html.escape(text)}</code>")
                case Text(text) | Untrusted(text):
                    plain.append(text)
                    rich.append(html.escape(text))
        plain_lines.append("".join(plain))
        html_lines.append("".join(rich))
    return "\n".join(plain_lines), "<br/>".join(html_lines), mentioned
