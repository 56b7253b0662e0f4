"""The store as the first releases created it: commands, per-target results, confirmations and
the audit chain.

Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("room", sa.Text, nullable=False),
        sa.Column("caller_id", sa.Text, nullable=False),
        sa.Column("caller_label", sa.Text, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("undoes", sa.Integer),
        sa.Column("invocation", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default=sa.text("'queued'")),
        sa.Column("outcome", sa.Text),
        sa.Column("reply", sa.Text),
        sa.Column("claimed_by", sa.Text),
        sa.Column("lease_until", sa.Float),
        sa.Column("received_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.UniqueConstraint("platform", "event_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("commands_pending", "commands", ["state", "platform", "room"])
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("command_id", sa.Integer, sa.ForeignKey("commands.id"), nullable=False),
        sa.Column("target_id", sa.Text, nullable=False),
        sa.Column("target_label", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("platform_response", sa.Text),
        sa.Column("undo", sa.Text),
        sa.Column("at", sa.Text, nullable=False),
        sa.UniqueConstraint("command_id", "target_id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "confirmations",
        sa.Column(
            "case_id",
            sa.Integer,
            sa.ForeignKey("commands.id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("targets", sa.Integer, nullable=False),
        sa.Column("estimate_seconds", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("confirmed_by", sa.Integer),
        sa.Column("confirmed_at", sa.Text),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("through_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("through_hash", sa.Text, nullable=False),
        sa.Column("pruned", sa.Integer, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_checkpoints", "audit_log", "confirmations", "results"):
        op.drop_table(table)
    op.drop_index("commands_pending", "commands")
    op.drop_table("commands")
