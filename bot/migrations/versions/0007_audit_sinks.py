"""Audit sinks: how far each configured sink (``audit_sinks``) has acknowledged the audit chain.

One row per sink name: the last sequence number the sink acknowledged (every record up to it
was sent and answered), when records last went out, the last error (cleared by the next
acknowledgement), and which instance streams the sink now (``holder``, until ``lease_until``,
epoch seconds) so that two instances sharing a store never send one sink's records twice.

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_audit_sinks"
down_revision = "0006_scim"


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
