"""Text in and out: a message's tokens (the BDK's tokenizer; mentions carry the user's id) and
a reply as MessageML."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from symphony.bdk.core.activity.parsing.message_entities import Mention as BdkMention
from symphony.bdk.core.service.message.messageml_util import escape_special_chars

from bot.model import MentionToken, Token, UserRef, Word
from bot.reply import Code, Mention, Reply, Text, Untrusted, showable_reply


def token(t: object) -> Token:
    """One token of the BDK's tokenizer."""
    if isinstance(t, BdkMention):
        return MentionToken(UserRef(str(t.user_id), t.user_display_name), t.text)
    return Word(str(getattr(t, "text", t)))


def render(reply: Reply) -> str:
    """MessageML for a reply. Everything that is not kickbot's own markup is escaped."""
    out = []
    # No bidi control reorders a line; no control character makes the MessageML invalid XML.
    for n, ln in enumerate(showable_reply(reply)):
        if n:
            out.append("<br/>")
        for seg in ln:
            match seg:
                case Mention(user):
                    out.append(f"<mention uid={quoteattr(user.id)}/>")
                case Code(text):
                    out.append(f"<code>{escape_special_chars(text)}</code>")
                case Text(text) | Untrusted(text):
                    out.append(escape_special_chars(text))
    return "<messageML>" + "".join(out) + "</messageML>"
