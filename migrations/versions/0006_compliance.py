"""Consent, the AI policy, retention rules and runs, backups, erasure tombstones; the audit
trail's kept start (so retention can drop its oldest entries); invoices that outlive
their client.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
GUARD_DELETE = (
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "WHEN OLD.seq > COALESCE((SELECT base_seq FROM audit_head WHERE id = 1), 0) "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
)
GUARD_BASE = (
    "CREATE TRIGGER audit_head_base_forward BEFORE UPDATE OF base_seq ON audit_head "
    "WHEN NEW.base_seq < OLD.base_seq "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail cannot grow back'); END"
)


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.add_column(sa.Column("base_seq", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("base_hash", sa.String(length=64), server_default=GENESIS, nullable=False)
        )
    op.execute("DROP TRIGGER audit_events_no_delete")
    op.execute(GUARD_DELETE)
    op.execute(GUARD_BASE)
    # Deleted text leaves the full-text index at once instead of at the next merge.
    op.execute("INSERT INTO search_index (search_index, rank) VALUES ('secure-delete', 1)")
    with op.batch_alter_table("notes") as batch_op:
        batch_op.drop_constraint("kind_known", type_="check")
        batch_op.create_check_constraint(
            "kind_known", "kind IN ('discovery', 'session', 'general', 'transcript')"
        )
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.add_column(sa.Column("billed_to", sa.Text(), server_default="", nullable=False))
        batch_op.alter_column("client_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "consent_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_notices")),
        sa.UniqueConstraint("purpose", "version", name=op.f("uq_consent_notices_purpose")),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_method", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_consents_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["consent_notices.id"],
            name=op.f("fk_consents_notice_id_consent_notices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_client", "consents", ["client_id", "purpose"], unique=False)
    op.create_table(
        "ai_policies",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_ai_policies")),
    )
    op.create_table(
        "retention_rules",
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_retention_rules")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("removed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    op.create_table(
        "backups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backups")),
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("client_since", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )


def downgrade() -> None:
    op.drop_table("erasures")
    op.drop_table("backups")
    op.drop_table("retention_runs")
    op.drop_table("retention_rules")
    op.drop_table("ai_policies")
    op.drop_index("ix_consents_client", table_name="consents")
    op.drop_table("consents")
    op.drop_table("consent_notices")
    op.execute("DELETE FROM notes WHERE kind = 'transcript'")
    with op.batch_alter_table("notes") as batch_op:
        batch_op.drop_constraint("kind_known", type_="check")
        batch_op.create_check_constraint(
            "kind_known", "kind IN ('discovery', 'session', 'general')"
        )
    op.execute("DELETE FROM invoices WHERE client_id IS NULL")
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.alter_column("client_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("billed_to")
    op.execute("INSERT INTO search_index (search_index, rank) VALUES ('secure-delete', 0)")
    op.execute("DROP TRIGGER audit_head_base_forward")
    op.execute("DROP TRIGGER audit_events_no_delete")
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    )
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.drop_column("base_hash")
        batch_op.drop_column("base_seq")
