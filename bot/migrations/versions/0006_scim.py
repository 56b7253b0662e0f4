"""Directory users linked through SCIM: one row per user an identity provider created, kept
after its deletion (``deleted_at``) with the offboarding its deactivation or deletion started.

``user_name_key`` is the user name as SCIM compares it (case-insensitive); it is unique among
the users not deleted. ``offboard_requested_at`` is set, in the same transaction as the change
that asked for it, before the offboarding case is started; ``offboard_case`` once it has been:
a row with the first and not the second is an offboarding still to start (after a crash).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_scim"
down_revision = "0005_read_positions"

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "scim_users",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("user_name_key", sa.Text, nullable=False),
        sa.Column("external_id", sa.Text),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("resource", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("modified_at", sa.Text, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("deleted_at", sa.Text),
        sa.Column("offboard_requested_at", sa.Text),
        sa.Column("offboard_by", sa.Text),
        sa.Column("offboard_email", sa.Text),
        sa.Column("offboard_case", sa.Integer),
    )
    op.create_index(
        "scim_users_user_name",
        "scim_users",
        ["user_name_key"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index("scim_users_external_id", "scim_users", ["external_id"])


def downgrade() -> None:
    op.drop_index("scim_users_external_id", table_name="scim_users")
    op.drop_index("scim_users_user_name", table_name="scim_users")
    op.drop_table("scim_users")
