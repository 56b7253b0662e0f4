"""Channel message text in (commands, targets) and out (replies).

In: a target is ``@<AppInstanceUserId>`` (the last segment of the member's ARN) or the member's
full ARN; a leading ``@<the bot's id>`` addresses kickbot. The Chime SDK has no mention markup of
its own: mentions are what the channel's app makes of ``@``, so that is what kickbot reads.

Out: replies are sent as ``text/markdown``. CommonMark lets any ASCII punctuation be escaped
with a backslash, so user text (reasons, names, AWS's messages) is escaped whole and cannot
format; every ``@`` in it gets a zero-width space after it, so no app's mention convention can
make it notify anyone. Only kickbot's own mentions (``@<id>``) are left to mean one.
"""

from __future__ import annotations

import re

from bot.model import MentionToken, Token, UserRef, Word
from bot.platforms.chime_sdk.config import MEMBER, USER_ID
from bot.reply import Code, Line, Mention, Reply, Text, Untrusted, showable_reply

ZWSP = "\u200b"
CONTENT_TYPE = "text/markdown"
MAX_CONTENT_BYTES = 4096
"""A STANDARD message's content is at most 4 KB (SendChannelMessage's documentation)."""
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_AT_ID = re.compile(rf"@({USER_ID})")
_TRAILING = ",;:.!?)"


def user_id(arn: str) -> str:
    """The AppInstanceUserId (or bot id): the last segment of a member's ARN."""
    return arn.rsplit("/", 1)[-1]


def tokenize(content: str, bot: UserRef, app_instance_arn: str) -> tuple[Token, ...]:
    """Tokens of a message; ``@id`` and full ARNs of this AppInstance's members are mentions."""
    tokens: list[Token] = []
    for word in content.split():
        tokens.append(_token(word, bot, app_instance_arn))
    return tuple(tokens)


def _token(word: str, bot: UserRef, app_instance_arn: str) -> Token:
    core = word.rstrip(_TRAILING) if not MEMBER.fullmatch(word) else word
    arn: str | None = None
    if (found := _AT_ID.fullmatch(core)) is not None:
        arn = f"{app_instance_arn}/user/{found.group(1)}"
    elif (member := MEMBER.fullmatch(core.removeprefix("@"))) is not None and member.group(
        0
    ).startswith(app_instance_arn + "/"):
        arn = member.group(0)
    if arn is None:
        return Word(word)
    if arn == bot.id:
        return MentionToken(bot, word)
    return MentionToken(UserRef(arn, user_id(arn)), word)


# --- rendering --------------------------------------------------------------------------------


def escape(text: str) -> str:
    flat = " ".join(text.splitlines())
    return _PUNCTUATION.sub(r"\\\1", flat).replace("@", "@" + ZWSP)


def code(text: str) -> str:
    body = " ".join(text.splitlines()).replace("@", "@" + ZWSP)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    return f"{fence}{body}{fence}"


def mention(user: UserRef) -> str:
    """``@<AppInstanceUserId>``, its punctuation escaped (an ``_`` must not italicise)."""
    return "@" + _PUNCTUATION.sub(r"\\\1", user_id(user.id))


def render_line(ln: Line) -> str:
    parts = []
    for seg in ln:
        match seg:
            case Mention(user):
                parts.append(mention(user))
            case Code(text):
                parts.append(code(text))
            case Text(text) | Untrusted(text):
                parts.append(escape(text))
    return "".join(parts)


def render(reply: Reply) -> list[str]:
    """One markdown line per reply line (bidi controls made visible, see ``showable_reply``)."""
    return [render_line(ln) for ln in showable_reply(reply)]


def messages(lines: list[str], limit: int = MAX_CONTENT_BYTES) -> list[str]:
    """Lines packed into messages of at most ``limit`` bytes (a line too long is cut)."""
    out: list[str] = []
    current = ""
    for ln in lines:
        candidate = f"{current}  \n{ln}" if current else ln
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        current = ln if len(ln.encode()) <= limit else _cut(ln, limit)
    if current:
        out.append(current)
    return out


def _cut(line: str, limit: int) -> str:
    kept = line.encode()[: limit - len(" …".encode())].decode(errors="ignore")
    while kept.endswith("\\") and not kept.endswith("\\\\"):
        kept = kept[:-1]  # never leave a dangling escape
    return kept + " …"
