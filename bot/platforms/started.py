"""What an adapter has only once started: the clients, the bot's account and the port it makes
when it signs in. Asked for before that, it is a programming error, said the same way on every
platform."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def started(value: T | None, platform: str) -> T:
    """``value``, made when the platform signed in; a ``RuntimeError`` naming the platform
    while it is still None."""
    if value is None:
        raise RuntimeError(f"the {platform} platform is not started")
    return value
