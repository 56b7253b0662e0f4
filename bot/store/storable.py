"""Text as the store's columns can hold it: the one boundary every statement's parameters
pass (``Connection``), so text that cannot be stored never fails a write."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` as every text column can hold it: a NUL (which PostgreSQL refuses in text)
    and a surrogate code point (which UTF-8 cannot encode: a lone ``\\ud800`` from JSON) each
    become U+FFFD, the replacement character; a surrogate pair becomes the character it
    encodes. Anything else is kept as it is."""
    if _UNSTORABLE.search(text) is None:
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\x00", REPLACEMENT)


def storable_json(value: Any) -> Any:
    """A JSON-able value with every string in it (keys too) made ``storable``: what a JSON
    column such as the audit trail's payload holds, so that read back it equals the text
    columns it repeats (``json.dumps`` would keep a NUL as the escape ``\\u0000``)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_json(k): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value


def storable_params(params: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Statement parameters with every text made ``storable``: the store's one boundary, so
    text that cannot be stored (typed in a command, a display name, a platform's answer)
    never fails a write (and a redelivery never meets the same failure again)."""
    if not params:
        return {}
    if not any(isinstance(v, str) and _UNSTORABLE.search(v) for v in params.values()):
        return params
    return {k: storable(v) if isinstance(v, str) else v for k, v in params.items()}
