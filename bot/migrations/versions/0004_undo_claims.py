"""Undo claims: each change of a case is reversed at most once, even by undos running at once.

An undo claims the steps it is about to reverse by inserting one row per (case, target): the
primary key lets exactly one undo have each step, on SQLite and on PostgreSQL with several
instances. Cases undone before this revision (``commands.undoes`` of a finished undo) get their
claims written here, so they stay undone.

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_undo_claims"
down_revision = "0003_audit_trail"


def upgrade() -> None:
    op.create_table(
        "undo_claims",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("commands.id"), nullable=False),
        sa.Column("target_id", sa.Text, nullable=False),
        sa.Column("by_case", sa.Integer, sa.ForeignKey("commands.id"), nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("case_id", "target_id"),
    )
    op.execute(
        "INSERT INTO undo_claims (case_id, target_id, by_case, at)"
        " SELECT r.command_id, r.target_id, min(u.id), min(coalesce(u.finished_at, u.received_at))"
        " FROM commands u JOIN results r ON r.command_id = u.undoes"
        " WHERE u.outcome = 'report' AND r.status = 'done' AND r.undo IS NOT NULL"
        " GROUP BY r.command_id, r.target_id"
    )


def downgrade() -> None:
    op.drop_table("undo_claims")
