"""The durable store: commands (jobs), per-target results, and the audit trail they form.

One SQL for SQLite (embedded, the default) and PostgreSQL (several instances sharing one
database): each method is one unit of work run by ``Database.run``.
A command is recorded once per (platform, event id): a redelivered event finds its row and does
nothing. Jobs are claimed with a lease, renewed while they run, so a job whose instance died is
picked up again once the lease runs out, and the per-target results let that second run skip
what the first already did. On PostgreSQL a claim locks the job's row (``FOR UPDATE SKIP
LOCKED``) and the room (an advisory lock), so no two instances ever run one job, nor two change
jobs of one room.

``Store`` is its parts, each a module beside this one, over what they share (``part``):
``jobs`` (recording, claims and leases), ``cases`` (closing, cancelling, listing; the audit
rows), ``confirmations`` (plans awaiting ``/confirm``), ``undo_claims`` (what ``/undo`` reads
and claims), ``positions`` (how far each room has been read), ``audit_sinks`` (how far each
audit sink has acknowledged the chain) and ``scim_users`` (directory users linked through
SCIM); ``journal`` holds a command's per-target results, ``database``
runs the SQL.
"""

from __future__ import annotations

import os

from bot import audit
from bot.errors import StoreError
from bot.store.audit_sinks import AuditSinkPositions
from bot.store.cases import Cases
from bot.store.confirmations import Confirmations
from bot.store.connection import Connection
from bot.store.counts import Counts, read_counts
from bot.store.database import Database
from bot.store.jobs import LANES, Jobs
from bot.store.migrate import upgrade_database
from bot.store.positions import StoredReadPositions
from bot.store.scim_users import ScimUsers
from bot.store.undo_claims import UndoClaims
from bot.store.url import mask_secrets, parse_url

__all__ = ["LANES", "Store"]


class Store(Jobs, Cases, Confirmations, UndoClaims):
    """The store: its parts (each a module beside this one) over one database."""

    @classmethod
    async def open(
        cls, url: str, chain: audit.Chain | None = None, *, create: bool = True
    ) -> Store:
        """Connect and bring the schema to the newest revision. With ``chain`` (a writer: the
        bot, ``kickbot offboard``), check its audit key and head file against the chain first
        (see ``audit.Chain.start``). With ``create=False`` (a reader), a store that does not
        exist yet is an error rather than made."""
        if not create:
            await _must_exist(url)
        parsed = parse_url(url)
        if parsed.backend == "sqlite" and parsed.path == ":memory:":
            raise StoreError(
                f"store: {url} is a database in memory, lost when kickbot stops (its"
                " cases, audit trail and jobs with it): give the SQLite file a path, e.g."
                " sqlite:///var/lib/kickbot/kickbot.db"
            )
        try:
            db = Database.connect(url)
        except OSError as exc:  # the SQLite file's directory cannot be made
            raise StoreError(_cannot_open(mask_secrets(url), exc)) from exc
        try:
            await upgrade_database(db)
        except Exception as exc:  # the driver's errors, SQLAlchemy's (migrating), OSError
            await db.close()
            raise StoreError(_cannot_open(db.url.shown, exc)) from exc
        store = cls(db, chain)
        if chain is not None:
            try:
                await store._start_chain()
            except BaseException:
                await db.close()
                raise
        return store

    async def _start_chain(self) -> None:
        chain = self._chain

        def start(conn: Connection) -> tuple[list[audit.Record], audit.Head | None]:
            return chain.start(conn), audit.chain_end(conn)

        records, end = await self._db.run(start, atomic=True)
        chain.started(end)
        chain.published(records)

    async def close(self) -> None:
        await self._written()
        await self._db.close()

    async def answers(self) -> None:
        """Raise unless the database answers a query now (no retry: a probe asks again)."""

        def probe(conn: Connection) -> None:
            conn.rows("SELECT 1 AS one")

        await self._db.submit(probe, retry=False)

    async def counts(self) -> Counts:
        """Cases queued and running per platform, the audit chain's length (metrics)."""
        return await self._db.submit(read_counts, retry=False)

    @property
    def read_positions(self) -> StoredReadPositions:
        """How far platforms that catch up (``KeepsReadPositions``) have read each room."""
        return StoredReadPositions(self._db)

    @property
    def audit_sinks(self) -> AuditSinkPositions:
        """How far each audit sink has acknowledged the chain (``bot.store.audit_sinks``)."""
        return AuditSinkPositions(self._db)

    @property
    def scim_users(self) -> ScimUsers:
        """Directory users linked through SCIM (``bot.store.scim_users``)."""
        return ScimUsers(self._db)


def _cannot_open(shown: str, exc: BaseException) -> str:
    """Why a store cannot be opened, its URL already masked; the error's own text is masked
    too (a driver may quote its connection string)."""
    return f"cannot open the store at {shown}: {mask_secrets(str(exc))}"


async def _must_exist(url: str) -> None:
    """A StoreError unless ``url`` names a store kickbot has made (nothing is created)."""
    parsed = parse_url(url)
    if parsed.backend == "sqlite":
        if parsed.path == ":memory:" or not os.path.isfile(parsed.path):  # noqa: ASYNC240
            raise StoreError(f"there is no store at {parsed.shown} (no such file)")
        return
    db = Database(parsed)
    try:
        exists = await db.run(lambda conn: conn.value("SELECT to_regclass('commands') IS NOT NULL"))
    except Exception as exc:  # the driver's errors, OSError
        raise StoreError(_cannot_open(parsed.shown, exc)) from exc
    finally:
        await db.close()
    if not exists:
        raise StoreError(f"there is no kickbot store at {parsed.shown} (no commands table)")
