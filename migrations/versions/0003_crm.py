"""CRM: pipeline stages and their history, notes with versions, goals, milestones,
follow-ups, segments, and the FTS5 search index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 14:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Written out rather than imported: a migration must keep doing what it did the day
# it shipped, whatever the domain module says later.
DEFAULT_STAGES = (
    ("inquiry", "Inquiry", 3, False),
    ("discovery", "Discovery call", 7, False),
    ("proposal", "Proposal sent", 10, False),
    ("active", "Active", 21, False),
    ("completed", "Completed", 30, False),
    ("alumni", "Alumni", None, False),
    ("lost", "Lost", None, True),
)
# Where existing clients start, by their status.
STATUS_STAGE = {
    "lead": "inquiry",
    "active": "active",
    "paused": "active",
    "alumni": "alumni",
    "lost": "lost",
}

SEARCH_DDL = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "kind UNINDEXED, ref_id UNINDEXED, client_id UNINDEXED, name, title, body, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
)
SEARCH_VOCAB_DDL = "CREATE VIRTUAL TABLE search_index_vocab USING fts5vocab(search_index, 'col')"


def upgrade() -> None:
    stages = op.create_table(
        "pipeline_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stall_days", sa.Integer(), nullable=True),
        sa.Column("is_lost", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stages")),
        sa.UniqueConstraint("name", name=op.f("uq_pipeline_stages_name")),
    )
    op.bulk_insert(
        stages,
        [
            {
                "id": index + 1,
                "key": key,
                "name": name,
                "position": index,
                "stall_days": days,
                "is_lost": lost,
            }
            for index, (key, name, days, lost) in enumerate(DEFAULT_STAGES)
        ],
    )
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(
            sa.Column(
                "client_type", sa.String(length=16), nullable=False, server_default="individual"
            )
        )
        batch_op.add_column(
            sa.Column("objective", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("birthday", sa.String(length=10), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("stage_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stage_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("lost_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("last_contact_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("photo_attachment_id", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            "client_type_known", "client_type IN ('individual', 'sponsored', 'group')"
        )
        batch_op.create_foreign_key(
            op.f("fk_clients_stage_id_pipeline_stages"),
            "pipeline_stages",
            ["stage_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            op.f("fk_clients_photo_attachment_id_attachments"),
            "attachments",
            ["photo_attachment_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_clients_stage_id", ["stage_id"], unique=False)

    op.create_table(
        "stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("from_stage_id", sa.Integer(), nullable=True),
        sa.Column("to_stage_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_stage_changes_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_stage_changes_from_stage_id_pipeline_stages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_stage_changes_to_stage_id_pipeline_stages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_changes")),
    )
    op.create_index("ix_stage_changes_client_id", "stage_changes", ["client_id", "at"])
    op.create_index("ix_stage_changes_at", "stage_changes", ["at"])

    # Existing clients enter the stage matching their status, as of their creation.
    conn = op.get_bind()
    stage_ids = {key: index + 1 for index, (key, *_rest) in enumerate(DEFAULT_STAGES)}
    for client_id, status, created in conn.execute(
        sa.text("SELECT id, status, created_at FROM clients")
    ).all():
        stage = stage_ids[STATUS_STAGE.get(status, "inquiry")]
        conn.execute(
            sa.text("UPDATE clients SET stage_id = :s, stage_since = :t WHERE id = :c"),
            {"s": stage, "t": created, "c": client_id},
        )
        conn.execute(
            sa.text(
                "INSERT INTO stage_changes (client_id, from_stage_id, to_stage_id, at, reason) "
                "VALUES (:c, NULL, :s, :t, '')"
            ),
            {"c": client_id, "s": stage, "t": created or datetime.now(UTC).replace(tzinfo=None)},
        )

    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("themes", sa.Text(), nullable=False),
        sa.Column("blockers", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('discovery', 'session', 'general')", name=op.f("ck_notes_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_notes_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index("ix_notes_client_id", "notes", ["client_id", "occurred_on"])
    op.create_table(
        "note_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("themes", sa.Text(), nullable=False),
        sa.Column("blockers", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_note_versions_note_id_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_versions")),
        sa.UniqueConstraint("note_id", "version", name=op.f("uq_note_versions_note_id")),
    )
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=200), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('not_started', 'on_track', 'at_risk', 'achieved', 'dropped')",
            name=op.f("ck_goals_status_known"),
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_goals_progress_percent")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_goals_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index(op.f("ix_goals_client_id"), "goals", ["client_id"])
    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_milestones_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(op.f("ix_milestones_goal_id"), "milestones", ["goal_id"])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("recurrence", sa.String(length=16), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("snoozed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "recurrence IN ('', 'daily', 'weekly', 'fortnightly', 'monthly')",
            name=op.f("ck_follow_ups_recurrence_known"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_follow_ups_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    op.create_index(op.f("ix_follow_ups_client_id"), "follow_ups", ["client_id"])
    op.create_index("ix_follow_ups_due", "follow_ups", ["done_at", "due_at"])
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.execute(SEARCH_DDL)
    op.execute(SEARCH_VOCAB_DDL)
    # Clients written before search existed; store.search.reindex does the same later.
    op.execute(
        "INSERT INTO search_index (kind, ref_id, client_id, name, title, body) "
        "SELECT 'client', c.id, c.id, "
        "trim(c.first_name || ' ' || c.last_name || ' ' || c.preferred_name), '', "
        "trim(c.company || ' ' || c.role || ' ' || c.lead_source || ' ' || c.notes || ' ' || "
        "coalesce((SELECT group_concat(address, ' ') FROM client_emails "
        "WHERE client_id = c.id), '')"
        " || ' ' || "
        "coalesce((SELECT group_concat(number, ' ') FROM client_phones WHERE client_id = c.id), '')"
        " || ' ' || "
        "coalesce((SELECT group_concat(t.name, ' ') FROM client_tags ct JOIN tags t "
        "ON t.id = ct.tag_id WHERE ct.client_id = c.id), '')) "
        "FROM clients c"
    )


def downgrade() -> None:
    op.execute("DROP TABLE search_index_vocab")
    op.execute("DROP TABLE search_index")
    op.drop_table("segments")
    op.drop_index("ix_follow_ups_due", table_name="follow_ups")
    op.drop_index(op.f("ix_follow_ups_client_id"), table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_index(op.f("ix_milestones_goal_id"), table_name="milestones")
    op.drop_table("milestones")
    op.drop_index(op.f("ix_goals_client_id"), table_name="goals")
    op.drop_table("goals")
    op.drop_table("note_versions")
    op.drop_index("ix_notes_client_id", table_name="notes")
    op.drop_table("notes")
    op.drop_index("ix_stage_changes_at", table_name="stage_changes")
    op.drop_index("ix_stage_changes_client_id", table_name="stage_changes")
    op.drop_table("stage_changes")
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_index("ix_clients_stage_id")
        batch_op.drop_constraint(
            op.f("fk_clients_photo_attachment_id_attachments"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("fk_clients_stage_id_pipeline_stages"), type_="foreignkey")
        batch_op.drop_constraint("client_type_known", type_="check")
        for column in (
            "photo_attachment_id",
            "last_contact_at",
            "lost_reason",
            "stage_since",
            "stage_id",
            "birthday",
            "objective",
            "client_type",
        ):
            batch_op.drop_column(column)
    op.drop_table("pipeline_stages")
