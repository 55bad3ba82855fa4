"""Alembic environment: runs on the connection CoachDesk hands it, in batch mode."""

from __future__ import annotations

from alembic import context

from coachdesk.store.tables import Base, orm_managed

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "CoachDesk migrations run through coachdesk.store.migrate, not the alembic CLI."
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    transaction_per_migration=True,
    compare_type=True,
    include_name=orm_managed,
)
with context.begin_transaction():
    context.run_migrations()
