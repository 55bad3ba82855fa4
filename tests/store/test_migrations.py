"""Alembic migrations on real encrypted files: one head, schema equals the ORM, data survives."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from coachdesk.domain.errors import VaultDamagedError
from coachdesk.services import audit_trail, clients
from coachdesk.store.engine import make_engine, open_raw
from coachdesk.store.migrate import (
    SCHEMA_HEAD,
    alembic_config,
    current_revision,
    head_revision,
    migrate_to,
)
from coachdesk.store.tables import SEARCH_TABLE, Base, orm_managed
from coachdesk.store.vault import Vault, open_with_key
from tests.store.util import canary, leaks, sample_draft, sql


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine over a new, empty encrypted database."""
    engine = make_engine(tmp_path / "empty.db", secrets.token_bytes(32))
    yield engine
    engine.dispose()


def schema_diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": orm_managed}
        )
        return list(compare_metadata(context, Base.metadata))


def object_names(engine: Engine, kind: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = :k"), {"k": kind})
        return {row[0] for row in rows}


def user_tables(engine: Engine) -> set[str]:
    """Tables the ORM declares (the FTS5 index and its shadow tables are left out)."""
    return {
        name
        for name in object_names(engine, "table")
        if name != "alembic_version" and not name.startswith(SEARCH_TABLE)
    }


def all_clients(vault: Vault) -> list[object]:
    return [clients.get_client(vault, row.id) for row in clients.list_clients(vault)]


def test_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert head_revision() == script.get_current_head() == "0008"
    assert [r.revision for r in script.walk_revisions()] == [
        "0008",
        "0007",
        "0006",
        "0005",
        "0004",
        "0003",
        "0002",
        "0001",
    ]
    # Start-up compares against this constant instead of loading Alembic.
    assert head_revision() == SCHEMA_HEAD


def test_upgrade_from_empty_equals_orm_metadata(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    migrate_to(empty_engine, "head")
    assert current_revision(empty_engine) == head_revision()
    assert schema_diff(empty_engine) == []
    assert user_tables(empty_engine) == set(Base.metadata.tables)
    assert object_names(empty_engine, "trigger") == {
        "audit_events_no_update",
        "audit_events_no_delete",
        "audit_head_base_forward",
    }


def test_older_schema_differs_from_orm(empty_engine: Engine) -> None:
    """The comparison is not vacuous: at 0002 it sees the tables the later revisions add."""
    migrate_to(empty_engine, "0002")
    added = {entry[1].name for entry in schema_diff(empty_engine) if entry[0] == "add_table"}
    assert added == {
        "pipeline_stages",
        "stage_changes",
        "notes",
        "note_versions",
        "goals",
        "milestones",
        "follow_ups",
        "segments",
        "template_versions",
        "generated_documents",
        "offers",
        "offer_versions",
        "cohorts",
        "enrolments",
        "sessions",
        "working_hours",
        "blocked_dates",
        "busy_times",
        "invoices",
        "invoice_lines",
        "payments",
        "consent_notices",
        "consents",
        "ai_policies",
        "retention_rules",
        "retention_runs",
        "backups",
        "erasures",
        "ai_drafts",
    }


def test_search_index_is_created_and_dropped_with_0003(empty_engine: Engine) -> None:
    migrate_to(empty_engine, "head")
    assert {"search_index", "search_index_vocab"} <= object_names(empty_engine, "table")
    migrate_to(empty_engine, "0002")
    assert not any(n.startswith(SEARCH_TABLE) for n in object_names(empty_engine, "table"))


NAMES_AND_EMAILS = (
    "SELECT c.first_name, e.address FROM clients c JOIN client_emails e ON e.client_id = c.id"
)


def test_downgrade_and_upgrade_keep_client_rows(vault: Vault) -> None:
    for index in range(5):
        clients.create_client(vault, sample_draft(index))
    trashed = clients.create_client(vault, sample_draft(9, tags=("returner",)))
    clients.trash_clients(vault, [trashed.id])
    before = all_clients(vault)
    before_trash = clients.list_clients(vault, trashed=True)
    names_before = sorted(sql(vault, NAMES_AND_EMAILS))
    assert len(names_before) == 12

    migrate_to(vault.engine, "0001")
    assert current_revision(vault.engine) == "0001"
    assert object_names(vault.engine, "trigger") == set()
    assert "ix_clients_last_name" not in object_names(vault.engine, "index")
    assert sorted(sql(vault, NAMES_AND_EMAILS)) == names_before

    migrate_to(vault.engine, "head")
    assert current_revision(vault.engine) == "0008"
    assert schema_diff(vault.engine) == []
    assert all_clients(vault) == before
    assert clients.list_clients(vault, trashed=True) == before_trash
    assert audit_trail.verify(vault).intact
    with pytest.raises(DBAPIError, match="append-only"):
        sql(vault, "DELETE FROM audit_events WHERE seq = 1")


def test_downgrade_to_base_and_back_to_head(vault: Vault) -> None:
    clients.create_client(vault, sample_draft(0))
    migrate_to(vault.engine, "base")
    assert current_revision(vault.engine) is None
    assert user_tables(vault.engine) == set()

    migrate_to(vault.engine, "head")
    assert current_revision(vault.engine) == head_revision()
    assert schema_diff(vault.engine) == []
    created = clients.create_client(vault, sample_draft(1))
    assert clients.get_client(vault, created.id).first_name == "Marguerite1"
    assert audit_trail.verify(vault).intact


def test_opening_an_older_vault_backs_it_up_first(vault: Vault) -> None:
    mark = canary()
    for index in range(3):
        clients.create_client(vault, sample_draft(index, notes=f"{mark} {index}"))
    migrate_to(vault.engine, "0001")
    data_key, root = vault.data_key, vault.paths.root
    vault.close()
    assert not vault.paths.backups.exists()

    reopened = open_with_key(root, data_key, "coach@test")
    try:
        assert current_revision(reopened.engine) == head_revision()
        assert len(clients.list_clients(reopened)) == 3
        backup = reopened.last_backup
    finally:
        reopened.close()

    assert backup is not None
    assert backup.parent == vault.paths.backups
    assert list(vault.paths.backups.iterdir()) == [backup]
    assert f"before-{SCHEMA_HEAD}" in backup.name
    raw = backup.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    assert leaks([mark], vault.paths.backups) == []

    conn = open_raw(backup, data_key)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        notes = sorted(row[0] for row in conn.execute("SELECT notes FROM clients"))
        assert notes == [f"{mark} {index}" for index in range(3)]
    finally:
        conn.close()
    with pytest.raises(VaultDamagedError):
        open_raw(backup, secrets.token_bytes(32))


def test_opening_a_current_vault_takes_no_backup(vault: Vault) -> None:
    data_key, root = vault.data_key, vault.paths.root
    vault.close()
    reopened = open_with_key(root, data_key, "coach@test")
    try:
        assert reopened.last_backup is None
    finally:
        reopened.close()
    assert not vault.paths.backups.exists()
