"""Audit sinks: how far each configured sink (``audit_sinks``) has acknowledged the audit chain.

One row per sink name: the last sequence number the sink acknowledged (every record up to it
was sent and answered), when records last went out, the last error (cleared by the next
acknowledgement), and which instance streams the sink now (``holder``, until ``lease_until``,
epoch seconds) so that two instances sharing a store never send one sink's records twice.

Revision ID: 0007_audit_sinks
Revises: 0006_scim
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_audit_sinks"
down_revision: str | Sequence[str] | None = "0006_scim"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_sinks",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("acknowledged", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("sent_at", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("error_at", sa.Text),
        sa.Column("holder", sa.Text),
        sa.Column("lease_until", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("audit_sinks")
