"""AI drafts: what an approved draft was turned into (follow-ups, an objective, an e-mail).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ai_drafts") as batch_op:
        batch_op.add_column(sa.Column("applied", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("applied_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ai_drafts") as batch_op:
        batch_op.drop_column("applied_at")
        batch_op.drop_column("applied")
