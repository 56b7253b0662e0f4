"""MessageML in, PresentationML out: the little the emulated agent needs to know about markup.

The agent accepts MessageML (``<messageML>…</messageML>``, well-formed XML) and delivers
PresentationML (``<div data-format="PresentationML" data-version="2.0">…</div>``) plus EntityJSON
(the ``data`` field) in datafeed events, where a mention is
``<span class="entity" data-entity-id="0">@Jane Doe</span>`` and
``{"0": {"type": "com.symphony.user.mention", "version": "1.0",
"id": [{"type": "com.symphony.user.userId", "value": "12345"}]}}``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

MENTION_TYPE = "com.symphony.user.mention"
USER_ID_TYPE = "com.symphony.user.userId"
PRESENTATION_ATTRS = {"data-format": "PresentationML", "data-version": "2.0"}

# The agent renders MessageML through Freemarker: an unescaped `${` or `#{` is an expression
# (user text must carry them as `&#36;{` / `&#35;{`).
_FREEMARKER = re.compile(r"[$#]\{")
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "card", "ul", "ol"}
)
# `@username` or `@12345`: dots only inside the name, so "@bob." mentions bob.
_AT_TOKEN = re.compile(r"@([\w-]+(?:\.[\w-]+)*)")

# Resolves a mention to (user id, display name), or None when nobody matches.
UserLookup = Callable[[str, str], tuple[int, str] | None]


class MessageMLError(ValueError):
    """The MessageML would be refused by a real agent."""


def parse_messageml(raw: str) -> ET.Element:
    """Parse MessageML, refusing what an agent refuses: malformed XML, another root, Freemarker."""
    if "<!DOCTYPE" in raw or "<!ENTITY" in raw:
        # MessageML never declares a DTD; refusing it also rules out entity-expansion tricks.
        raise MessageMLError("MessageML must not contain a DOCTYPE or ENTITY declaration")
    if match := _FREEMARKER.search(raw):
        raise MessageMLError(
            f"unescaped Freemarker expression {match.group()!r} at offset {match.start()}: "
            "escape '$' as '&#36;' and '#' as '&#35;'"
        )
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise MessageMLError(f"MessageML is not well-formed XML: {exc}") from exc
    if root.tag != "messageML":
        raise MessageMLError(f"MessageML root element is <{root.tag}>, not <messageML>")
    return root


def _mention_target(element: ET.Element) -> tuple[str, str] | None:
    if uid := element.get("uid"):
        return ("uid", uid)
    if email := element.get("email"):
        return ("email", email)
    return None


def _render_inline(element: ET.Element, lookup: UserLookup) -> str | None:
    """Text for a shorthand tag (mention, hashtag, cashtag, emoji), or None for other tags."""
    if element.tag == "mention":
        target = _mention_target(element)
        found = lookup(*target) if target else None
        if found is not None:
            return "@" + found[1]
        return "@" + (target[1] if target else "")
    if element.tag == "hash":
        return "#" + element.get("tag", "")
    if element.tag == "cash":
        return "$" + element.get("tag", "")
    if element.tag == "emoji":
        return ":" + element.get("shortcode", "") + ":"
    if element.tag == "br":
        return "\n"
    return None


def render_text(root: ET.Element, lookup: UserLookup) -> str:
    """Plain text of a MessageML tree; ``<mention uid="N"/>`` becomes ``@Display Name``."""
    parts: list[str] = []

    def walk(element: ET.Element) -> None:
        inline = _render_inline(element, lookup)
        if inline is not None:
            parts.append(inline)
        else:
            block = element.tag in _BLOCK_TAGS
            if block:
                parts.append("\n")
            parts.append(element.text or "")
            for child in element:
                walk(child)
                parts.append(child.tail or "")
            if block:
                parts.append("\n")

    walk(root)
    lines = [" ".join(line.split()) for line in "".join(parts).splitlines()]
    return "\n".join(line for line in lines if line)


def mention_entity(user_id: int) -> dict[str, Any]:
    return {
        "type": MENTION_TYPE,
        "version": "1.0",
        "id": [{"type": USER_ID_TYPE, "value": str(user_id)}],
    }


def to_presentation_ml(root: ET.Element, lookup: UserLookup) -> tuple[str, dict[str, Any]]:
    """Convert parsed MessageML to PresentationML and the EntityJSON its mentions need."""
    entities: dict[str, Any] = {}

    def convert(element: ET.Element) -> ET.Element:
        if element.tag == "mention":
            target = _mention_target(element)
            found = lookup(*target) if target else None
            if found is not None:
                key = str(len(entities))
                entities[key] = mention_entity(found[0])
                span = ET.Element("span", {"class": "entity", "data-entity-id": key})
                span.text = "@" + found[1]
                return span
        inline = _render_inline(element, lookup)
        if inline is not None and element.tag != "br":
            span = ET.Element("span")
            span.text = inline
            return span
        copy = ET.Element(element.tag, dict(element.attrib))
        copy.text = element.text
        for child in element:
            converted = convert(child)
            converted.tail = child.tail
            copy.append(converted)
        return copy

    div = convert(root)
    div.tag = "div"
    div.attrib = dict(PRESENTATION_ATTRS)
    return ET.tostring(div, encoding="unicode"), entities


def text_to_presentation_ml(text: str, lookup: UserLookup) -> tuple[str, dict[str, Any]]:
    """What a Symphony client sends when a user types ``text``.

    ``@username`` (or ``@<user id>``) naming a known user becomes a real mention entity; any other
    ``@word`` stays plain text. Returns (PresentationML, EntityJSON).
    """
    entities: dict[str, Any] = {}
    pieces: list[str] = []
    position = 0
    for match in _AT_TOKEN.finditer(text):
        token = match.group(1)
        found = lookup("uid", token) if token.isdigit() else lookup("username", token)
        if found is None:
            continue
        key = str(len(entities))
        entities[key] = mention_entity(found[0])
        pieces.append(escape(text[position : match.start()]))
        pieces.append(
            f'<span class="entity" data-entity-id="{key}">{escape("@" + found[1])}</span>'
        )
        position = match.end()
    pieces.append(escape(text[position:]))
    return '<div data-format="PresentationML" data-version="2.0">' + "".join(pieces) + "</div>", (
        entities
    )
