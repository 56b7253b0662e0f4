"""Directory users linked through SCIM, as the store keeps them (table ``scim_users``).

The SCIM server (``bot.scim``) reads and writes them here; this module knows nothing of SCIM's
models, only rows: the resource is kept whole as JSON beside the columns it is found by. Each
write is one atomic unit that decides, from the row as it is inside that unit, whether the
change asks for an offboarding (a deactivation, or a deletion of a user not already offboarded)
and marks the row so (``offboard_requested_at``) in the same commit: an offboarding accepted by
a 2xx answer is never lost, even if the process dies before the case is started
(``pending_offboards``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.store.database import Connection, Database, Row, advisory_lock, for_update, storable
from bot.store.journal import now_iso

_COLUMNS = (
    "id, user_name, user_name_key, external_id, email, active, resource, version, created_at,"
    " modified_at, changed_by, offboard_requested_at, offboard_by, offboard_email, offboard_case"
)


class UserNameTaken(Exception):
    """Another user not deleted has this user name (as SCIM compares it)."""


class NoSuchUser(Exception):
    """No user (not deleted) has this id."""


class VersionMismatch(Exception):
    """The user's stored version is not the one the change expected."""


@dataclass(frozen=True, slots=True)
class ScimUser:
    id: str
    user_name: str
    user_name_key: str
    external_id: str | None
    email: str
    active: bool
    resource: dict[str, Any]
    version: int
    created_at: str
    modified_at: str
    changed_by: str
    offboard_requested_at: str | None
    offboard_by: str | None
    offboard_email: str | None
    offboard_case: int | None


@dataclass(frozen=True, slots=True)
class UserFields:
    """What a write sets: the columns a user is found by, and its resource."""

    user_name: str
    user_name_key: str
    external_id: str | None
    email: str
    active: bool
    resource: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PendingOffboard:
    """An offboarding a SCIM change asked for, whose case may not have been started yet."""

    user_id: str
    email: str
    requested_by: str
    """The SCIM client whose change asked for it."""
    requested_at: str

    @property
    def key(self) -> str:
        """Names this request, the same on every try to start it."""
        return f"scim:{self.user_id}:{self.requested_at}"


@dataclass(frozen=True, slots=True)
class Written:
    """A write's result: the user as stored now and the offboarding it asked for, if any."""

    user: ScimUser | None
    offboard: PendingOffboard | None = None
    reactivated: bool = False
    """An inactive user made active again (nothing is re-added: logged only)."""


def _user(row: Row) -> ScimUser:
    return ScimUser(
        id=row["id"],
        user_name=row["user_name"],
        user_name_key=row["user_name_key"],
        external_id=row["external_id"],
        email=row["email"],
        active=bool(row["active"]),
        resource=json.loads(row["resource"]),
        version=int(row["version"]),
        created_at=row["created_at"],
        modified_at=row["modified_at"],
        changed_by=row["changed_by"],
        offboard_requested_at=row["offboard_requested_at"],
        offboard_by=row["offboard_by"],
        offboard_email=row["offboard_email"],
        offboard_case=row["offboard_case"],
    )


def _values(fields: UserFields, by: str) -> dict[str, Any]:
    return {
        "user_name": storable(fields.user_name),
        "user_name_key": storable(fields.user_name_key),
        "external_id": None if fields.external_id is None else storable(fields.external_id),
        "email": storable(fields.email),
        "active": int(fields.active),
        # ensure_ascii: a lone surrogate from JSON is kept as its escape, never as bad UTF-8
        "resource": json.dumps(fields.resource, ensure_ascii=True),
        "by": storable(by),
    }


def _live(conn: Connection, user_id: str, *, lock: bool = False) -> Row | None:
    return conn.row(
        f"SELECT {_COLUMNS} FROM scim_users WHERE id = :id AND deleted_at IS NULL"
        + (for_update(conn) if lock else ""),
        {"id": storable(user_id)},
    )


def _name_taken(conn: Connection, key: str, other_than: str | None) -> bool:
    """Whether a live user other than ``other_than`` has this user name key; PostgreSQL: the
    key's lock is held until the unit ends, so two writes of one name cannot both pass."""
    advisory_lock(conn, f"scim-user\0{key}")
    found = conn.value(
        "SELECT id FROM scim_users WHERE user_name_key = :key AND deleted_at IS NULL",
        {"key": storable(key)},
    )
    return found is not None and found != other_than


def _request_offboard(conn: Connection, row: Row, email: str, by: str) -> PendingOffboard:
    at = now_iso()
    conn.execute(
        "UPDATE scim_users SET offboard_requested_at = :at, offboard_by = :by,"
        " offboard_email = :email, offboard_case = NULL WHERE id = :id",
        {"at": at, "by": storable(by), "email": storable(email), "id": row["id"]},
    )
    return PendingOffboard(row["id"], email, by, at)


def _check_version(row: Row, expected: int | None) -> None:
    if expected is not None and int(row["version"]) != expected:
        raise VersionMismatch


class ScimUsers:
    """The store's SCIM users (``Store.scim_users``)."""

    def __init__(self, db: Database):
        self._db = db

    async def create(self, fields: UserFields, by: str) -> ScimUser:
        """Link a new user; ``UserNameTaken`` if a live user has its name."""
        # Microseconds: a list is in the order users were created, and two made in one
        # millisecond would otherwise come back in the order of their random ids.
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        values = {**_values(fields, by), "id": uuid.uuid4().hex, "at": at}

        def write(conn: Connection) -> ScimUser:
            if _name_taken(conn, values["user_name_key"], None):
                raise UserNameTaken
            conn.execute(
                "INSERT INTO scim_users (id, user_name, user_name_key, external_id, email,"
                " active, resource, version, created_at, modified_at, changed_by)"
                " VALUES (:id, :user_name, :user_name_key, :external_id, :email, :active,"
                " :resource, 1, :at, :at, :by)",
                values,
            )
            row = _live(conn, values["id"])
            assert row is not None
            return _user(row)

        return await self._db.run(write, atomic=True)

    async def get(self, user_id: str) -> ScimUser | None:
        row = await self._db.run(lambda conn: _live(conn, user_id))
        return None if row is None else _user(row)

    async def find(
        self,
        *,
        user_name_key: str | None = None,
        external_id: str | None = None,
        user_id: str | None = None,
    ) -> list[ScimUser]:
        """The live users with these values (each one given narrows), oldest first."""
        where = ["deleted_at IS NULL"]
        params: dict[str, Any] = {}
        for column, value in (
            ("user_name_key", user_name_key),
            ("external_id", external_id),
            ("id", user_id),
        ):
            if value is not None:
                where.append(f"{column} = :{column}")
                params[column] = storable(value)
        sql = f"SELECT {_COLUMNS} FROM scim_users WHERE {' AND '.join(where)}"
        rows = await self._db.run(lambda conn: conn.rows(sql + " ORDER BY created_at, id", params))
        return [_user(r) for r in rows]

    async def page(self, offset: int, limit: int | None) -> tuple[int, list[ScimUser]]:
        """The number of live users, and ``limit`` of them (all: None) from ``offset``, oldest
        first: a list without a filter reads one page, not every user."""

        def read(conn: Connection) -> tuple[int, list[Row]]:
            total = int(conn.value("SELECT count(*) FROM scim_users WHERE deleted_at IS NULL"))
            bounds: dict[str, int | None] = {
                "offset": max(offset, 0),
                "limit": -1 if limit is None else max(limit, 0),
            }
            if conn.is_postgres and limit is None:
                bounds["limit"] = None  # PostgreSQL: LIMIT NULL is no limit
            rows = conn.rows(
                f"SELECT {_COLUMNS} FROM scim_users WHERE deleted_at IS NULL"
                " ORDER BY created_at, id LIMIT :limit OFFSET :offset",
                bounds,
            )
            return total, rows

        total, rows = await self._db.run(read)
        return total, [_user(r) for r in rows]

    async def update(
        self, user_id: str, fields: UserFields, by: str, expected_version: int | None = None
    ) -> Written:
        """Replace a live user. A change from active to inactive asks for an offboarding (in
        the same commit); one from inactive to active is reported as a reactivation."""
        values = {**_values(fields, by), "id": user_id, "at": now_iso()}

        def write(conn: Connection) -> Written:
            row = _live(conn, user_id, lock=True)
            if row is None:
                raise NoSuchUser
            _check_version(row, expected_version)
            if _name_taken(conn, values["user_name_key"], row["id"]):
                raise UserNameTaken
            conn.execute(
                "UPDATE scim_users SET user_name = :user_name, user_name_key = :user_name_key,"
                " external_id = :external_id, email = :email, active = :active,"
                " resource = :resource, version = version + 1, modified_at = :at,"
                " changed_by = :by WHERE id = :id",
                values,
            )
            offboard = None
            if row["active"] and not fields.active:
                offboard = _request_offboard(conn, row, fields.email, by)
            reactivated = not row["active"] and fields.active
            stored = _live(conn, user_id)
            assert stored is not None
            return Written(_user(stored), offboard, reactivated)

        return await self._db.run(write, atomic=True)

    async def delete(self, user_id: str, by: str, expected_version: int | None = None) -> Written:
        """Delete a live user (the row is kept, marked deleted). It asks for an offboarding
        unless the user is inactive with an offboarding asked for already."""

        def write(conn: Connection) -> Written:
            row = _live(conn, user_id, lock=True)
            if row is None:
                raise NoSuchUser
            _check_version(row, expected_version)
            conn.execute(
                "UPDATE scim_users SET deleted_at = :at, changed_by = :by WHERE id = :id",
                {"at": now_iso(), "by": storable(by), "id": row["id"]},
            )
            offboarded = not row["active"] and row["offboard_requested_at"] is not None
            if offboarded:
                return Written(None)
            return Written(None, _request_offboard(conn, row, row["email"], by))

        return await self._db.run(write, atomic=True)

    async def pending_offboards(self) -> list[PendingOffboard]:
        """Offboardings asked for whose case is not known to have started, oldest first."""
        rows = await self._db.run(
            lambda conn: conn.rows(
                "SELECT id, offboard_email, offboard_by, offboard_requested_at FROM scim_users"
                " WHERE offboard_requested_at IS NOT NULL AND offboard_case IS NULL"
                " ORDER BY offboard_requested_at, id"
            )
        )
        return [
            PendingOffboard(
                r["id"], r["offboard_email"], r["offboard_by"], r["offboard_requested_at"]
            )
            for r in rows
        ]

    async def still_pending(self, pending: PendingOffboard) -> bool:
        """Whether this request's case is still to be started."""
        found = await self._db.run(
            lambda conn: conn.value(
                "SELECT 1 FROM scim_users WHERE id = :id AND offboard_requested_at = :at"
                " AND offboard_case IS NULL",
                {"id": pending.user_id, "at": pending.requested_at},
            )
        )
        return found is not None

    async def offboard_started(self, pending: PendingOffboard, case: int) -> None:
        """Note the case an offboarding request started (only if it is still that request)."""
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE scim_users SET offboard_case = :case WHERE id = :id"
                " AND offboard_requested_at = :at AND offboard_case IS NULL",
                {"case": case, "id": pending.user_id, "at": pending.requested_at},
            )
        )
