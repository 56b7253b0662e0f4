"""What a double records of one HTTP request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    """As the double parsed it: JSON, form fields as a dict, or the raw text (None if empty)."""
    status: int | None = None
    """Filled in once the double has answered."""

    @classmethod
    def arrived(cls, request: web.Request, body: Any) -> Self:
        """The record of ``request`` as it arrived, its body parsed as ``body``."""
        return cls(request.method, request.path, dict(request.query), dict(request.headers), body)
