"""The audit chain checked while ``kickbot run`` runs, for its metrics.

Once the store is open, the whole chain is checked (checkpoints, every link, the key; the
rows shown to users are left to ``kickbot audit verify``); then every
``http.audit_verify_minutes`` only the records appended since the last head found intact
(``bot.audit.verify.check_tail``: that head still in the chain with its hash, each later link
holding), and the whole chain again every ``http.audit_full_verify_hours``. The checks run on a
database connection and thread of their own, never the store's, so the commands' store work
does not wait behind them.

A broken chain is logged (an error) and counted (``kickbot_audit_verify_failures_total``), and
the last head found intact stays as it was; it does not make ``/readyz`` fail: removals go on
and are still chained, and a probe taking the bot out of service would stop moderation without
mending the evidence (docs/operations.md)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from bot.audit import Head, Verification
from bot.audit.verify import check_chain, check_tail
from bot.ops.readiness import Running
from bot.store.database import Connection, Database

log = structlog.get_logger(__name__)


class VerifyObserver(Protocol):
    """What the checks tell (``bot.ops.metrics.PrometheusObserver``)."""

    def audit_verified(self, seq: int, at: float) -> None: ...

    def audit_verify_failed(self, reason: str) -> None: ...


@dataclass(eq=False)
class AuditWatch:
    app: Running
    observer: VerifyObserver
    every: float
    """Seconds between two checks (of the tail, unless the whole chain is due)."""
    full_every: float
    """Seconds between two checks of the whole chain."""
    verified: Head | None = field(default=None, init=False)
    """The last head found intact (None: none yet, or the chain is empty)."""
    _last_full: float | None = field(default=None, init=False, repr=False)

    async def run(self) -> None:
        """Forever: check once the store is open, then every ``every`` seconds."""
        db: Database | None = None
        try:
            while True:
                store = self.app.store
                if store is None:  # still opening (and migrating)
                    await asyncio.sleep(0.2)
                    continue
                if db is None:
                    db = Database(store.database.url)  # a connection and thread of its own
                await self.check(db, store.audit_key)
                await asyncio.sleep(self.every)
        finally:
            if db is not None:
                with contextlib.suppress(Exception):
                    await db.close()

    async def check(self, db: Database, key: bytes | None) -> Verification | None:
        """One check: the whole chain when due (or nothing is verified yet), else its tail."""
        now = time.monotonic()
        verified = self.verified
        full = (
            verified is None or self._last_full is None or now - self._last_full >= self.full_every
        )

        def examine(conn: Connection) -> Verification:
            if full or verified is None:
                return check_chain(conn, key, None, tables=False)
            return check_tail(conn, key, verified)

        try:
            found = await db.run(examine)
        except Exception as exc:
            log.warning("could not check the audit chain", error=str(exc))
            self.observer.audit_verify_failed("error")
            return None
        if found.broken is not None:  # checked whole each time until it is mended
            self._last_full = None
            log.error("the audit chain is broken", problem=str(found.broken), full=full)
            self.observer.audit_verify_failed("broken")
            return found
        if full:
            self._last_full = now
        self.verified = found.head
        seq = found.head.seq if found.head is not None else 0
        log.debug(
            "audit chain checked",
            head=seq,
            records=found.checked,
            full=full,
            seconds=round(time.monotonic() - now, 3),
        )
        self.observer.audit_verified(seq, time.time())
        return found
