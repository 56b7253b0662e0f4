"""The links of the audit chain: how a record is hashed (plain SHA-256, or HMAC-SHA256
under the audit key), and the values a chain is made of (a record, the chain's head)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from bot.errors import ConfigError, KickbotError

GENESIS = "0" * 64
PLAIN = "sha256"
KEYED = "hmac-sha256"
LINKS = (PLAIN, KEYED)
KEY_RECORD = "audit-key"
"""The kind of the record a keyed writer appends when the chain's end is not keyed yet: from
there on every link is keyed."""
KEY_ENV = "KICKBOT_AUDIT_KEY"


class AuditError(KickbotError):
    """The audit chain cannot be written or pruned safely (a key missing or wrong, a chain
    broken); nothing was changed."""


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(prev: str, seq: int, at: str, kind: str, case_id: int, payload: str) -> str:
    """A plain link: SHA-256 of the record."""
    body = canonical([prev, seq, at, kind, case_id, payload])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def keyed_hash(
    key: bytes, prev: str, seq: int, at: str, kind: str, case_id: int, payload: str
) -> str:
    """A keyed link: HMAC-SHA256 of the record under the audit key."""
    body = canonical([prev, seq, at, kind, case_id, payload, KEYED])
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    """The end of the chain: the last record's sequence number and hash (its link kind)."""

    seq: int
    hash: str
    link: str = PLAIN

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "link": self.link}

    @classmethod
    def parse(cls, text: str) -> Head:
        """``SEQ:HASH``, or a head file's JSON (``{"seq": …, "hash": …}``)."""
        text = text.strip()
        try:
            if text.startswith("{"):
                data = json.loads(text)
                head = cls(int(data["seq"]), str(data["hash"]), str(data.get("link", PLAIN)))
            else:
                seq, _, digest = text.partition(":")
                head = cls(int(seq), digest.strip().lower())
        except (ValueError, KeyError, TypeError):
            head = cls(0, "")
        if (
            head.seq < 0
            or len(head.hash) != 64
            or any(c not in "0123456789abcdef" for c in head.hash)
        ):
            raise ConfigError(
                f"not an audit head: {text[:80]!r} (expected SEQ:HASH, a sequence number and"
                " 64 hex digits, or a head file's JSON)"
            )
        return head


@dataclass(frozen=True, slots=True)
class Record:
    """One record as appended."""

    seq: int
    at: str
    kind: str
    case_id: int
    payload: str
    prev_hash: str
    hash: str
    link: str

    @property
    def head(self) -> Head:
        return Head(self.seq, self.hash, self.link)
