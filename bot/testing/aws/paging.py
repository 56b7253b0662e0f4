"""How the AWS doubles page a list: ``MaxResults`` items at a time, ``NextToken`` to go on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

Answer = tuple[int, dict[str, Any]]


def paged(
    key: str,
    items: list[Any],
    params: Mapping[str, Any],
    page_size: int,
    bad_token: Exception,
    **fixed: Any,
) -> Answer:
    """``200`` with the page of ``items`` that ``params`` asks for under ``key`` (beside
    ``fixed``), and a ``NextToken`` while more follow; a token the double never gave raises
    ``bad_token``."""
    size = int(params.get("MaxResults") or page_size)
    token = params.get("NextToken")
    start = 0
    if token:
        if not re.fullmatch(r"page-\d+", token):
            raise bad_token
        start = int(token[5:])
    end = start + size
    data: dict[str, Any] = {**fixed, key: items[start:end]}
    if end < len(items):
        data["NextToken"] = f"page-{end}"
    return 200, data
