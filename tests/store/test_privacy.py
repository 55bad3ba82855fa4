"""A client's complete export (checked against the schema and row by row) and erasure."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pypdf import PdfReader
from sqlalchemy import Table, select, text

from coachdesk.domain.billing import LineDraft
from coachdesk.domain.compliance import ConsentMethod, Purpose
from coachdesk.domain.errors import NotFoundError
from coachdesk.services import (
    audit_trail,
    backups,
    clients,
    compliance,
    demo,
    documents,
    invoices,
    privacy,
    search,
)
from coachdesk.store.tables import Base, ErasureTable, InvoiceTable
from coachdesk.store.vault import Vault
from tests.store.util import sample_draft


@pytest.fixture(scope="module")
def rich_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    """A demo practice with every kind of record: notes, goals, offers, cohorts, invoices…"""
    from coachdesk.services import vaults
    from coachdesk.store.keys import FAST_KDF_FOR_TESTS

    root = tmp_path_factory.mktemp("rich") / "vault"
    vault = vaults.create_vault(root, "rich vault passphrase", "coach@test", FAST_KDF_FOR_TESTS)
    from coachdesk.domain.practice import PracticeProfile
    from coachdesk.services import practice

    practice.save_profile(vault, PracticeProfile("Rita Rivera", "Rivera Coaching", "UTC", "EUR"))
    demo.fill(vault, 24)
    demo.add_logistics(vault)
    demo.add_documents(vault, 4)
    for row in clients.list_clients(vault)[:6]:
        compliance.give_consent(vault, row.id, Purpose.DATA_PROCESSING, ConsentMethod.SIGNED_FORM)
    yield vault
    vault.close()


def all_rows(vault: Vault) -> dict[str, list[dict[str, Any]]]:
    with vault.reading() as session:
        return {
            name: [dict(r._mapping) for r in session.execute(select(table))]
            for name, table in Base.metadata.tables.items()
            if isinstance(table, Table)
        }


def rows_referencing(vault: Vault, client_id: int) -> dict[str, set[tuple[Any, ...]]]:
    """Every row that leads to the client through its foreign keys, found row by row."""
    tables = {n: t for n, t in Base.metadata.tables.items() if isinstance(t, Table)}
    rows = all_rows(vault)

    def key(name: str, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[c.name] for c in tables[name].primary_key.columns)

    index = {
        (name, fk.column.name, row[fk.column.name]): (name, row)
        for name, table in tables.items()
        for fk in {fk for t in tables.values() for fk in t.foreign_keys if fk.column.table is table}
        for row in rows[name]
    }
    memo: dict[tuple[str, tuple[Any, ...]], bool] = {}

    def leads_to_client(name: str, row: dict[str, Any], seen: frozenset[Any]) -> bool:
        ident = (name, key(name, row))
        if ident in memo:
            return memo[ident]
        if name == "clients":
            return row["id"] == client_id
        found = False
        for fk in tables[name].foreign_keys:
            value = row[fk.parent.name]
            parent = index.get((fk.column.table.name, fk.column.name, value))
            if value is None or parent is None or (parent[0], value) in seen:
                continue
            if leads_to_client(*parent, seen | {(name, key(name, row))}):
                found = True
                break
        memo[ident] = found
        return found

    result: dict[str, set[tuple[Any, ...]]] = {}
    for name in tables:
        hits = {key(name, r) for r in rows[name] if leads_to_client(name, r, frozenset())}
        if hits:
            result[name] = hits
    return result


def _plain_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A primary key as it reads back from the export's JSON (dates as ISO text)."""
    return tuple(json.loads(json.dumps(key, default=lambda v: v.isoformat())))


def exported(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        loaded: dict[str, Any] = json.loads(archive.read("client.json"))
    return loaded


def test_shipped_schema_matches_the_tables() -> None:
    """After a migration adds a client table: python scripts/export_schema.py."""
    assert privacy.shipped_schema() == privacy.export_schema()
    jsonschema.Draft202012Validator.check_schema(privacy.shipped_schema())


def test_every_table_with_a_client_reference_is_exported() -> None:
    owned = set(privacy.owned_tables())
    for name, table in Base.metadata.tables.items():
        if any(fk.column.table.name in owned for fk in table.foreign_keys):
            assert name in owned, name


@pytest.mark.parametrize("pick", range(4))
def test_export_holds_every_row_that_references_the_client(
    rich_vault: Vault, tmp_path: Path, pick: int
) -> None:
    rows = [r for r in clients.list_clients(rich_vault) if r.status.value == "active"]
    client_id = rows[pick].id
    summary = privacy.export_client(rich_vault, client_id, tmp_path / "export.zip")
    record = exported(summary.path)
    jsonschema.validate(record, privacy.shipped_schema())
    expected = rows_referencing(rich_vault, client_id)
    tables = {n: t for n, t in Base.metadata.tables.items() if isinstance(t, Table)}
    got = {
        name: {tuple(r[c.name] for c in tables[name].primary_key.columns) for r in table_rows}
        for name, table_rows in record["tables"].items()
        if table_rows
    }
    assert got == {n: {_plain_key(k) for k in keys} for n, keys in expected.items()}
    assert summary.total_rows == sum(len(v) for v in expected.values())
    assert {"clients", "client_emails", "notes", "stage_changes"} <= set(got)


def test_export_zip_holds_csv_documents_schema_and_readme(
    rich_vault: Vault, tmp_path: Path
) -> None:
    with_docs = next(
        r.id for r in clients.list_clients(rich_vault) if documents.list_documents(rich_vault, r.id)
    )
    made = documents.list_documents(rich_vault, with_docs)
    summary = privacy.export_client(rich_vault, with_docs, tmp_path / "c.zip")
    assert summary.files == len(made)
    with zipfile.ZipFile(summary.path) as archive:
        names = set(archive.namelist())
        expected = {"client.json", "client-export.schema.json", "README.txt", "tables/audit.csv"}
        assert expected <= names
        pdfs = sorted(n for n in names if n.startswith("documents/"))
        assert len(pdfs) == len(made)
        for name in pdfs:
            assert len(PdfReader(io.BytesIO(archive.read(name))).pages) >= 1
        notes_csv = archive.read("tables/notes.csv").decode("utf-8-sig")
        notes = list(csv.DictReader(io.StringIO(notes_csv)))
        record = json.loads(archive.read("client.json"))
        assert [n["text"] for n in notes] == [n["text"] for n in record["tables"]["notes"]]
        assert record["related"]["pipeline_stages"]
        actions = {(a["entity"], a["action"]) for a in record["audit"]}
        assert ("client", "create") in actions
    events = audit_trail.recent_events(rich_vault, 5)
    assert (events[0].entity, events[0].entity_id, events[0].action) == (
        "client",
        str(with_docs),
        "export",
    )


def test_export_of_an_unknown_client_writes_nothing(vault: Vault, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        privacy.export_client(vault, 404, tmp_path / "none.zip")
    assert not (tmp_path / "none.zip").exists()


def test_export_into_a_missing_folder_is_a_plain_error(vault: Vault, tmp_path: Path) -> None:
    from coachdesk.domain.errors import KnownError

    client_id = clients.create_client(vault, sample_draft(1)).id
    with pytest.raises(KnownError, match="no longer exists"):
        privacy.export_client(vault, client_id, tmp_path / "gone" / "x.zip")


# Erasure --------------------------------------------------------------------------------


@pytest.fixture
def full_client(vault: Vault) -> int:
    from coachdesk.domain.crm import NoteDraft, NoteKind
    from coachdesk.domain.practice import PracticeProfile
    from coachdesk.services import crm, practice

    practice.save_profile(vault, PracticeProfile("Rita Rivera", "Rivera Coaching", "UTC", "EUR"))
    created = clients.create_client(
        vault,
        sample_draft(
            1,
            first_name="Zephyrine",
            last_name="Quillfeather",
            preferred_name="",
            emails=("zephyrine@example.org",),
            tags=("erasable",),
            notes="Background: Xylophonic marmalade",
        ),
    )
    note = NoteDraft(NoteKind.SESSION, created.created_at.date(), "Quasar notes")
    crm.add_note(vault, created.id, note)
    compliance.give_consent(vault, created.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    documents.create_document(vault, created.id, "certificate", {})
    return created.id


def test_erasure_removes_every_row_file_and_index_entry(
    vault: Vault, full_client: int, tmp_path: Path
) -> None:
    other = clients.create_client(vault, sample_draft(2, first_name="Keeper")).id
    before_blobs = {p.name for p in vault.paths.attachments.iterdir()}
    assert search.search_everything(vault, "Quasar")
    report = privacy.erase_client(vault, full_client)
    assert report.done and report.name == "Zephyrine Quillfeather"
    assert report.rows["notes"] == 1 and report.rows["consents"] == 1
    assert rows_referencing(vault, full_client) == {}
    assert not search.search_everything(vault, "Quasar")
    assert not search.search_everything(vault, "Zephyrine")
    assert {p.name for p in vault.paths.attachments.iterdir()} < before_blobs
    assert clients.get_client(vault, other).first_name == "Keeper"
    with pytest.raises(NotFoundError):
        clients.get_client(vault, full_client)
    last = audit_trail.recent_events(vault, 1)[0]
    assert (last.entity, last.entity_id, last.action, last.fields) == (
        "client",
        str(full_client),
        "erase",
        "",
    )
    with vault.reading() as session:
        tombstone = session.scalars(select(ErasureTable)).one()
        assert tombstone.client_id == full_client
        journal = session.execute(text("PRAGMA secure_delete")).scalar()
    assert journal == 1
    wal = vault.paths.db.with_name(vault.paths.db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert audit_trail.verify(vault).intact


def test_issued_invoices_are_kept_for_tax_without_the_client(
    vault: Vault, full_client: int
) -> None:
    draft = invoices.create_invoice(vault, full_client, [LineDraft("Coaching", 2, 15_000, 2000)])
    sent = invoices.issue(vault, draft.id)
    unsent = invoices.create_invoice(vault, full_client, [LineDraft("Draft", 1, 100, 0)])
    preview = privacy.erasure_preview(vault, full_client)
    assert [k.number for k in preview.kept_invoices] == [sent.number]
    assert preview.rows["invoices"] == 1  # only the unsent draft is removed
    assert "payments" not in preview.rows
    assert preview.kept_invoices[0].keep_until is not None
    privacy.erase_client(vault, full_client)
    kept = invoices.get_invoice(vault, sent.id)
    assert kept.client_id is None and kept.client_name == "Zephyrine Quillfeather"
    assert kept.number == sent.number
    with pytest.raises(NotFoundError):
        invoices.get_invoice(vault, unsent.id)
    pdf = PdfReader(io.BytesIO(invoices.invoice_pdf(vault, sent.id)))
    text_ = "".join(p.extract_text() for p in pdf.pages)
    assert "Zephyrine Quillfeather" in text_ and sent.number in text_
    with vault.reading() as session:
        kept_count = len(
            session.scalars(select(InvoiceTable.id).where(InvoiceTable.client_id.is_(None))).all()
        )
    assert kept_count == 1
    with vault.reading() as session:
        billed = json.loads(session.get(InvoiceTable, sent.id).billed_to)
    assert billed["email"] == "zephyrine@example.org"


def test_report_lists_the_backups_that_still_hold_the_client(
    vault: Vault, full_client: int, tmp_path: Path
) -> None:
    folder = tmp_path / "bk"
    folder.mkdir()
    taken = backups.create_backup(vault, folder)
    preview = privacy.erasure_preview(vault, full_client)
    assert [Path(h.path) for h in preview.backups] == [taken.path]
    assert preview.backups[0].present and preview.backups[0].expires_on is not None
    privacy.erase_client(vault, full_client)
    later = clients.create_client(vault, sample_draft(5, first_name="Later")).id
    assert privacy.erasure_preview(vault, later).backups == ()
    [(erased_id, _when, holds)] = privacy.erasures(vault)
    assert erased_id == full_client and [Path(h.path) for h in holds] == [taken.path]


def test_erasing_an_unknown_client_changes_nothing(vault: Vault) -> None:
    events = audit_trail.verify(vault).events
    with pytest.raises(NotFoundError):
        privacy.erase_client(vault, 999)
    assert audit_trail.verify(vault).events == events


def test_erasure_deletes_the_copies_taken_before_schema_updates(
    vault: Vault, full_client: int
) -> None:
    from coachdesk.store.migrate import backup_copy

    copy = backup_copy(vault.paths.db, vault.data_key, vault.paths.backups, "before-0007")
    assert privacy.erasure_preview(vault, full_client).update_copies == 1
    report = privacy.erase_client(vault, full_client)
    assert report.update_copies == 1 and report.to_json()["update_copies_deleted"] == 1
    assert not copy.exists()
