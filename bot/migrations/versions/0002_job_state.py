"""Job state for long commands: lanes, scheduling, cancellation and progress totals.

Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column(
        "commands",
        sa.Column("lane", sa.Text, nullable=False, server_default=sa.text("'change'")),
    )
    op.add_column("commands", sa.Column("not_before", sa.Float))
    op.add_column("commands", sa.Column("cancel_requested_by", sa.Integer))
    op.add_column("commands", sa.Column("total", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("commands") as batch:
        for column in ("total", "cancel_requested_by", "not_before", "lane"):
            batch.drop_column(column)
