"""The audit trail's link kinds: each record says whether its link is a plain SHA-256 or an
HMAC under the audit key; each pruning checkpoint, the kind of the last record it covers.

Records made before are plain (the server default).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_audit_trail"
down_revision = "0002"


def upgrade() -> None:
    op.add_column(
        "audit_log",
        sa.Column("link", sa.Text, nullable=False, server_default=sa.text("'sha256'")),
    )
    op.add_column("audit_checkpoints", sa.Column("through_link", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.drop_column("through_link")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("link")
