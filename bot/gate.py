"""The moment a state-changing request may leave: once its command's journal has recorded the
change as begun.

The journal's commit (an fsync) and the request's building and signing are independent work; an
adapter that owns its HTTP client holds each request at ``cleared()``, the last step before its
bytes are written, so the two overlap. Nothing leaves before the commit has landed: a crash
still finds the change journalled as begun, whatever it did with the request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_held_until: ContextVar[asyncio.Future[None] | None] = ContextVar(
    "kickbot_change_gate", default=None
)


async def cleared() -> None:
    """Wait, in the task making a request, until the change it belongs to (if any) may leave.
    Raises what the journal's commit raised: the request is then never sent."""
    gate = _held_until.get()
    if gate is not None and not gate.done():
        # Shielded: a request cancelled here leaves the commit to its command (which awaits it).
        await asyncio.shield(gate)
    elif gate is not None:
        gate.result()


@contextlib.contextmanager
def held_until(gate: asyncio.Future[None]) -> Iterator[None]:
    """Requests made in this block (in this task, or tasks it starts) wait at ``cleared()``
    for ``gate``."""
    token = _held_until.set(gate)
    try:
        yield
    finally:
        _held_until.reset(token)


async def request_hook(_request: object) -> None:
    """``cleared()`` as an HTTP client's request hook (httpx runs these after signing)."""
    await cleared()
