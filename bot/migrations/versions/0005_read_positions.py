"""Read positions: how far a platform without redelivery has read each room.

Amazon Chime SDK's messaging session delivers a message only while the socket is open; after a
reconnect or a restart the bot reads each channel's history from the newest message it handled.
One row per (platform, bot account, room); ``room = ''`` holds the horizon, when the last
session began (where a room with no row of its own is read from).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_read_positions"
down_revision = "0004_undo_claims"


def upgrade() -> None:
    op.create_table(
        "read_positions",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("room", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("platform", "account", "room"),
    )


def downgrade() -> None:
    op.drop_table("read_positions")
