"""Offboardings asked for through SCIM, started as cases (and started again after a failure or
a crash: a request is noted in the store before its case exists, see ``bot.store.scim_users``)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from bot.scim.offboarder import Offboarder
from bot.store.scim_users import PendingOffboard, ScimUsers

log = structlog.get_logger(__name__)

RETRY_SECONDS = 30.0
"""How often requests whose case could not be started are tried again."""


def caller(client: str) -> str:
    """The caller a SCIM client's cases are by."""
    return f"scim:{client}"


class Offboarding:
    def __init__(self, users: ScimUsers, offboarder: Offboarder):
        self._users = users
        self._offboarder = offboarder
        self._lock = asyncio.Lock()

    async def start(self, pending: PendingOffboard) -> int | None:
        """Start the request's case and note it; None if it could not be started now (it
        stays pending, and ``resume`` tries it again)."""
        async with self._lock:  # one start per request at a time (resume runs beside)
            try:
                if not await self._users.still_pending(pending):
                    return None  # started meanwhile
                case = await self._offboarder.start(
                    pending.email, caller(pending.requested_by), pending.key
                )
                await self._users.offboard_started(pending, case)
            except Exception as exc:  # any failure leaves the request pending, never lost
                log.error("scim offboarding not started yet; tried again later",
                          user=pending.user_id, email=pending.email, error=str(exc))  # fmt: skip
                return None
        log.info("scim offboarding started", case=case, user=pending.user_id,
                 email=pending.email, by=caller(pending.requested_by))  # fmt: skip
        return case

    async def resume(self) -> None:
        """Start every request still pending (after a restart, or a failed start)."""
        for pending in await self._users.pending_offboards():
            await self.start(pending)

    async def keep_resuming(self, every: float = RETRY_SECONDS) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.resume()
            await asyncio.sleep(every)
