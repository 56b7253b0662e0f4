"""The store's tables, as the code queries them.

The database gets them only through the Alembic migrations in ``bot/migrations`` (a test checks
that the migrated database matches these definitions on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

commands = Table(
    "commands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("room", Text, nullable=False),
    Column("caller_id", Text, nullable=False),
    Column("caller_label", Text, nullable=False),
    Column("command", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("reason", Text),
    Column("undoes", Integer),
    Column("invocation", Text, nullable=False),
    # 'queued', 'running', 'awaiting' (a plan waiting for /confirm) or 'done'
    Column("state", Text, nullable=False, server_default=text("'queued'")),
    Column("outcome", Text),
    Column("reply", Text),
    Column("claimed_by", Text),
    Column("lease_until", Float),  # epoch seconds
    Column("received_at", Text, nullable=False),
    Column("finished_at", Text),
    # one of bot.store.store.LANES: 'change' (acts on the room, one at a time), 'control', 'cli'
    Column("lane", Text, nullable=False, server_default=text("'change'")),
    Column("not_before", Float),  # epoch seconds: a queued job is not claimed before then
    Column("cancel_requested_by", Integer),  # the case of the /cancel that stops this one
    Column("total", Integer),
    UniqueConstraint("platform", "event_id"),
    Index("commands_pending", "state", "platform", "room"),
    sqlite_autoincrement=True,
)

results = Table(
    "results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command_id", Integer, ForeignKey("commands.id"), nullable=False),
    Column("target_id", Text, nullable=False),
    Column("target_label", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("line", Text, nullable=False),
    Column("platform_response", Text),
    Column("undo", Text),
    Column("at", Text, nullable=False),
    UniqueConstraint("command_id", "target_id"),
    sqlite_autoincrement=True,
)

confirmations = Table(
    "confirmations",
    metadata,
    Column("case_id", Integer, ForeignKey("commands.id"), primary_key=True, autoincrement=False),
    Column("targets", Integer, nullable=False),
    Column("estimate_seconds", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("confirmed_by", Integer),
    Column("confirmed_at", Text),
)

undo_claims = Table(
    "undo_claims",
    metadata,
    Column("case_id", Integer, ForeignKey("commands.id"), nullable=False),
    Column("target_id", Text, nullable=False),  # as in results: one change of the case
    Column("by_case", Integer, ForeignKey("commands.id"), nullable=False),  # the /undo's case
    Column("at", Text, nullable=False),
    PrimaryKeyConstraint("case_id", "target_id"),
)
"""Which /undo reverses each change of a case: one row per change, so at most one ever does."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("case_id", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    # 'sha256' (plain) or 'hmac-sha256' (keyed with the audit key): see bot.audit
    Column("link", Text, nullable=False, server_default=text("'sha256'")),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("through_seq", Integer, primary_key=True, autoincrement=False),
    Column("through_hash", Text, nullable=False),
    Column("pruned", Integer, nullable=False),
    Column("at", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("through_link", Text),  # the link kind of the last pruned record (NULL: older)
)

read_positions = Table(
    "read_positions",
    metadata,
    Column("platform", Text, nullable=False),
    Column("account", Text, nullable=False),  # the bot's own id on the platform
    Column("room", Text, nullable=False),  # '' : the horizon (see bot.store.positions)
    Column("at", Float, nullable=False),  # the message's creation, epoch seconds
    Column("message_id", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    PrimaryKeyConstraint("platform", "account", "room"),
)
"""How far a platform without redelivery (Amazon Chime SDK's session) has read each room: the
newest message handled (recorded as a command, or seen not to be one), for catching up."""

scim_users = Table(
    "scim_users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_name", Text, nullable=False),
    Column("user_name_key", Text, nullable=False),  # as SCIM compares it (case-insensitive)
    Column("external_id", Text),
    Column("email", Text, nullable=False),  # the e-mail the user is offboarded by
    Column("active", Integer, nullable=False),
    Column("resource", Text, nullable=False),  # the SCIM resource as stored (JSON)
    Column("version", Integer, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("modified_at", Text, nullable=False),
    Column("changed_by", Text, nullable=False),  # the SCIM client of the last change
    Column("deleted_at", Text),
    Column("offboard_requested_at", Text),
    Column("offboard_by", Text),
    Column("offboard_email", Text),
    Column("offboard_case", Integer),
    Index(
        "scim_users_user_name",
        "user_name_key",
        unique=True,
        sqlite_where=text("deleted_at IS NULL"),
        postgresql_where=text("deleted_at IS NULL"),
    ),
    Index("scim_users_external_id", "external_id"),
)
"""Directory users linked through SCIM (``bot.store.scim_users``); deleted ones are kept."""

audit_sinks = Table(
    "audit_sinks",
    metadata,
    Column("name", Text, primary_key=True),  # the sink's name in audit_sinks: of the config
    Column("acknowledged", Integer, nullable=False, server_default=text("0")),  # last seq
    Column("sent_at", Text),  # when records last went out (and were acknowledged)
    Column("error", Text),  # the last failure, cleared by the next acknowledgement
    Column("error_at", Text),
    Column("holder", Text),  # the instance streaming this sink now
    Column("lease_until", Float),  # epoch seconds
)
"""How far each audit sink has acknowledged the chain (``bot.store.audit_sinks``)."""
