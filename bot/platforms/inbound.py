"""What every HTTP receiver of kickbot (Slack's Events API, Rocket.Chat's outgoing webhook,
Chime's event endpoint) does with a request before it trusts it: a body of bounded size, of the
content type the platform sends, read as JSON without ever failing on the reader's own limits.

Anyone who can reach the port can send anything; the answer to junk is a 4xx and no work: the
size is capped by aiohttp (``client_max_size``: 413), a wrong content type is a 415, a body that
is not a JSON object (malformed, nested past the parser's recursion limit, not UTF-8) is
``None`` for the caller to refuse, never an exception that becomes a 500.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Annotated, Any

from aiohttp import web
from pydantic import AfterValidator

MAX_BODY_BYTES = 256 * 1024
"""The largest request body a receiver reads (aiohttp answers 413 beyond it). Slack's, Rocket.Chat's
and Chime's deliveries of a chat message are a few KiB."""


def _absolute(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError("must start with /")
    return path


ListenPath = Annotated[str, AfterValidator(_absolute)]
"""A receiver's path in its config section: it starts with ``/``."""

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def wrong_content_type(
    request: web.Request, accepted: Collection[str], *, absent_ok: bool = False
) -> web.Response | None:
    """A 415 answer when the request's ``Content-Type`` (parameters such as ``charset`` aside)
    is none of ``accepted``; None when it is fine. ``absent_ok``: no header at all is fine
    (for a platform that does not document the one it sends)."""
    if absent_ok and "Content-Type" not in request.headers:
        return None
    if request.content_type in accepted:
        return None
    return web.Response(status=415, text=f"expected a body of type {' or '.join(sorted(accepted))}")


def json_object(body: bytes) -> dict[str, Any] | None:
    """``body`` as a JSON object; None when it is anything else: malformed JSON, not UTF-8, a
    JSON array or scalar, or nested deeper than the parser recurses (``RecursionError``: a
    handful of bytes per level, so it takes little to send)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return None
    return data if isinstance(data, dict) else None
