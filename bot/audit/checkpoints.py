"""Pruning checkpoints: the last pruned record's sequence number and hash, signed with
HMAC-SHA256 under the audit key, so that the chain after them still verifies."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from bot.audit.links import canonical
from bot.store.database import Connection

CHECKPOINT_COLUMNS = "through_seq, through_hash, pruned, at, signature, through_link"


def newest_checkpoint(conn: Connection) -> dict[str, Any] | None:
    return conn.row(
        f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1"
    )


def sign(key: bytes, through_seq: int, through_hash: str, pruned: int) -> str:
    """A checkpoint's signature as the first releases made it (no link kind)."""
    msg = canonical([through_seq, through_hash, pruned]).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def sign_checkpoint(key: bytes, through_seq: int, through_hash: str, pruned: int, link: str) -> str:
    msg = canonical(["checkpoint", through_seq, through_hash, pruned, link]).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def signature_ok(key: bytes, cp: dict[str, Any]) -> bool:
    seq, digest, pruned = int(cp["through_seq"]), str(cp["through_hash"]), int(cp["pruned"])
    link = cp["through_link"]
    expected = (
        sign(key, seq, digest, pruned)
        if link is None
        else sign_checkpoint(key, seq, digest, pruned, str(link))
    )
    return hmac.compare_digest(expected, str(cp["signature"]))
