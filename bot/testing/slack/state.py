"""The Slack double's world: users, channels, messages, and Slack's id and ts formats.

Ids follow the official spec's patterns (users ``^[UW][A-Z0-9]{2,}$``, channels
``^[CGD][A-Z0-9]{8,}$``, ts ``^\\d{10}\\.\\d{6}$``) so that the double's responses validate.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")
TS = re.compile(r"^\d{10}\.\d{6}$")

ChannelManagement = Literal["everyone", "admins"]

_ts_counter = itertools.count(1)


def new_ts() -> str:
    """A fresh, unique message ts in Slack's ``seconds.micro`` format."""
    return f"{int(time.time())}.{next(_ts_counter) % 1_000_000:06d}"


@dataclass
class SlackUser:
    id: str
    name: str
    real_name: str
    email: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False

    def to_obj(self, team_id: str, *, show_email: bool = True) -> dict[str, Any]:
        """``objs_user`` of the spec (non-enterprise variant); ``show_email``: the token has
        ``users:read.email``."""
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "avatar_hash": "g0000000000",
            "title": "",
            "phone": "",
            "skype": "",
            "status_text": "",
            "status_emoji": "",
            "fields": {},
            "team": team_id,
        }
        if self.email is not None and show_email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "profile": profile,
        }


@dataclass
class SlackChannel:
    id: str
    name: str
    creator: str
    members: list[str]
    is_general: bool = False
    is_private: bool = False
    is_archived: bool = False
    created: int = field(default_factory=lambda: int(time.time()))
    is_im: bool = False
    """A direct message between the bot and one person (``conversations.open``)."""

    @property
    def kind(self) -> str:
        return "private" if self.is_private else "public"

    def to_obj(self, bot_user_id: str) -> dict[str, Any]:
        """``objs_conversation`` of the spec (channel variant)."""
        empty = {"value": "", "creator": "", "last_set": 0}
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "created": self.created,
            "creator": self.creator,
            "is_archived": self.is_archived,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_general": self.is_general,
            "is_im": self.is_im,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_shared": False,
            "is_org_shared": False,
            "is_member": bot_user_id in self.members,
            "topic": dict(empty),
            "purpose": dict(empty),
        }


@dataclass
class SlackMessage:
    """A message in a channel, as stored by the double."""

    channel: str
    ts: str
    user: str
    text: str
    thread_ts: str | None = None
    plain: str = ""
    """``text`` for humans: mentions as ``@name``, entities unescaped, code ticks dropped."""
    via: Literal["chat.postMessage", "response_url", "user"] = "user"

    def to_obj(self, bot_id: str | None) -> dict[str, Any]:
        """``objs_message`` of the spec."""
        obj: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        obj["user"] = self.user
        if bot_id is not None:
            obj["bot_id"] = bot_id
        if self.thread_ts is not None:
            obj["thread_ts"] = self.thread_ts
        return obj


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^@#!][^|>]*)(?:\|([^>]*))?>")


def mrkdwn_to_plain(text: str, names: dict[str, str]) -> str:
    """How a reader sees a bot message: ``<@U1>`` as ``@name``, ``&lt;`` as ``<``, no backticks.

    Used by the tests' transcripts; unescaping happens last so escaped text never turns into
    a mention here either.
    """
    out = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    out = _LINK.sub(lambda m: m.group(2) or m.group(1), out)
    return unescape(out.replace("`", ""))


def unescape(text: str) -> str:
    """Undo Slack's only three escapes (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
