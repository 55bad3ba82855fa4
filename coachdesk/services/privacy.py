"""A client's rights: a complete export of their record, and erasure.

Which rows belong to a client is worked out from the schema itself: every table
whose foreign key points at the client, or at a row that does, transitively. A new
table with a client reference is therefore exported and erased without changes here,
and `tests/store/test_privacy.py` checks the shipped JSON Schema still matches.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from coachdesk.domain.clients import display_name
from coachdesk.domain.compliance import Category, keep_until
from coachdesk.domain.documents import file_name
from coachdesk.domain.errors import KnownError, NotFoundError
from coachdesk.paths import resource_path
from coachdesk.store import audit
from coachdesk.store import privacy as store
from coachdesk.store.tables import (
    AttachmentTable,
    AuditEventTable,
    BackupTable,
    Base,
    ErasureTable,
)
from coachdesk.store.vault import Vault

EXPORT_FORMAT = "coachdesk.client-export"
EXPORT_VERSION = 1
SCHEMA_FILE = ("resources", "compliance", "client-export.schema.json")
# Tables a client's rows point at, included so the export reads on its own
# (the wording consented to, the offer bought, the stage's name, the tag's name).
RELATED = ("consent_notices", "offer_versions", "offers", "pipeline_stages", "tags", "cohorts")
# Audit entities and the table whose ids they carry.
AUDIT_ENTITIES = {
    "client": "clients",
    "note": "notes",
    "goal": "goals",
    "follow_up": "follow_ups",
    "document": "generated_documents",
    "session": "sessions",
    "invoice": "invoices",
    "enrolment": "enrolments",
    "consent": "consents",
}
AUDIT_COLUMNS = ("seq", "at", "actor", "entity", "entity_id", "action", "fields")
Progress = Callable[[int, int, str], bool]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Which rows are the client's ------------------------------------------------------------


def _tables() -> dict[str, Table]:
    return {name: table for name, table in Base.metadata.tables.items() if isinstance(table, Table)}


def owned_tables() -> list[str]:
    """Every table holding rows that reference a client, directly or through other rows."""
    tables = _tables()
    owned = ["clients"]
    grew = True
    while grew:
        grew = False
        for name, table in tables.items():
            if name in owned:
                continue
            if any(fk.column.table.name in owned for fk in table.foreign_keys):
                owned.append(name)
                grew = True
    return owned


def _key(table: Table, row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, c.name) for c in table.primary_key.columns)


def _rows_of(session: Session, client_id: int) -> dict[str, list[dict[str, Any]]]:
    """The client's rows in every owned table (a fixed point over the foreign keys)."""
    tables = _tables()
    names = owned_tables()
    found: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {n: {} for n in names}
    clients = tables["clients"]
    for row in session.execute(select(clients).where(clients.c.id == client_id)):
        found["clients"][_key(clients, row)] = dict(row._mapping)
    if not found["clients"]:
        raise NotFoundError(f"There is no client #{client_id}.")
    grew = True
    while grew:
        grew = False
        for name in names[1:]:
            table = tables[name]
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent not in found or not found[parent]:
                    continue
                parent_ids = {row[fk.column.name] for row in found[parent].values()}
                query = select(table).where(fk.parent.in_(parent_ids))
                for row in session.execute(query):
                    key = _key(table, row)
                    if key not in found[name]:
                        found[name][key] = dict(row._mapping)
                        grew = True
    return {name: list(rows.values()) for name, rows in found.items()}


def _related_rows(
    session: Session, rows: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    tables = _tables()
    related: dict[str, list[dict[str, Any]]] = {}
    for name in RELATED:
        table = tables[name]
        ids: set[Any] = set()
        for owned_name, owned_rows in rows.items():
            for fk in tables[owned_name].foreign_keys:
                if fk.column.table.name == name:
                    ids |= {r[fk.parent.name] for r in owned_rows if r[fk.parent.name] is not None}
        if name == "offers":
            ids |= {r["offer_id"] for r in related.get("offer_versions", [])}
        key = next(iter(table.primary_key.columns))
        query = select(table).where(key.in_(ids)).order_by(key)
        related[name] = [dict(r._mapping) for r in session.execute(query)] if ids else []
    return related


def _audit_rows(session: Session, rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    wanted = {
        (entity, str(r["id"]))
        for entity, table in AUDIT_ENTITIES.items()
        for r in rows.get(table, [])
    }
    entities = sorted({e for e, _ in wanted})
    query = select(*(getattr(AuditEventTable, c) for c in AUDIT_COLUMNS)).where(
        AuditEventTable.entity.in_(entities)
    )
    return [
        dict(zip(AUDIT_COLUMNS, r, strict=True))
        for r in session.execute(query.order_by(AuditEventTable.seq))
        if (r[3], r[4]) in wanted
    ]


# The export ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _plain_tables(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {t: [{k: _plain(v) for k, v in r.items()} for r in rs] for t, rs in tables.items()}


def _json_type(column: Any) -> list[str]:
    python = column.type.python_type
    kind = {int: "integer", bool: "boolean", float: "number"}.get(python, "string")
    return [kind, "null"] if column.nullable else [kind]


def export_schema() -> dict[str, Any]:
    """The JSON Schema of a client export, derived from the tables (shipped in resources/)."""
    tables = _tables()

    def table_schema(name: str) -> dict[str, Any]:
        columns = {c.name: {"type": _json_type(c)} for c in tables[name].columns}
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": columns,
                "required": sorted(columns),
                "additionalProperties": False,
            },
        }

    audit_row = {
        "type": "object",
        "properties": {c: {"type": "integer" if c == "seq" else "string"} for c in AUDIT_COLUMNS},
        "required": list(AUDIT_COLUMNS),
        "additionalProperties": False,
    }
    owned = owned_tables()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://coachdesk.invalid/schemas/client-export-v1.json",
        "title": "CoachDesk client export",
        "description": "Everything a CoachDesk vault holds about one client.",
        "type": "object",
        "required": [
            "format",
            "version",
            "exported_at",
            "client_id",
            "tables",
            "related",
            "audit",
            "files",
        ],
        "additionalProperties": False,
        "properties": {
            "format": {"const": EXPORT_FORMAT},
            "version": {"const": EXPORT_VERSION},
            "exported_at": {"type": "string", "format": "date-time"},
            "client_id": {"type": "integer"},
            "tables": {
                "type": "object",
                "properties": {name: table_schema(name) for name in owned},
                "required": owned,
                "additionalProperties": False,
            },
            "related": {
                "type": "object",
                "properties": {name: table_schema(name) for name in RELATED},
                "required": list(RELATED),
                "additionalProperties": False,
            },
            "audit": {"type": "array", "items": audit_row},
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string"},
                        "attachment_id": {"type": "integer"},
                        "media_type": {"type": "string"},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    },
                    "required": ["path", "attachment_id", "media_type", "sha256"],
                    "additionalProperties": False,
                },
            },
        },
    }


def shipped_schema() -> dict[str, Any]:
    """The schema file in resources/ (what a reader of the export is given)."""
    loaded: dict[str, Any] = json.loads(resource_path(*SCHEMA_FILE).read_text("utf-8"))
    return loaded


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What went into an export."""

    path: Path
    rows: dict[str, int]
    files: int
    audit_entries: int

    @property
    def total_rows(self) -> int:
        """Rows in every table together."""
        return sum(self.rows.values())


def _csv(rows: list[dict[str, Any]], columns: Iterable[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else _plain(v) for k, v in row.items()})
    return buffer.getvalue().encode("utf-8-sig")


README = """\
This is everything {practice} holds about {name}, exported on {day} by CoachDesk.

client.json        the complete record, machine-readable; its layout is described by
                   client-export.schema.json (JSON Schema, draft 2020-12)
tables/*.csv       the same rows as spreadsheets, one file per kind of record
tables/audit.csv   when each record was created, changed or viewed by an export (names of
                   fields only, never their content)
documents/         the documents made for {name}, as PDF
files/             other files, such as a photo
"""


def export_client(
    vault: Vault, client_id: int, out: Path, progress: Progress | None = None
) -> ExportSummary:
    """Write one client's complete record as a zip at `out` (whole or not at all)."""
    import jsonschema

    from coachdesk.services import files, practice

    with vault.reading() as session:
        rows = _rows_of(session, client_id)
        related = _related_rows(session, rows)
        audit_rows = _audit_rows(session, rows)
        blob_ids = {r["pdf_attachment_id"]: r for r in rows.get("generated_documents", [])}
        photo = rows["clients"][0]["photo_attachment_id"]
        wanted = set(blob_ids) | ({photo} if photo else set())
        attachments = {
            a.id: a
            for a in session.scalars(select(AttachmentTable).where(AttachmentTable.id.in_(wanted)))
        }
    client = rows["clients"][0]
    name = display_name(client["first_name"], client["last_name"], client["preferred_name"])
    buffer = io.BytesIO()
    listed: list[dict[str, Any]] = []
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        total = len(attachments)
        for done, (attachment_id, attachment) in enumerate(sorted(attachments.items()), 1):
            if progress is not None and not progress(done, total + 1, "Adding documents"):
                raise KnownError("The export was cancelled; no file was written.")
            data = vault.attachments.get(attachment.blob_name)
            if attachment_id in blob_ids:
                doc = blob_ids[attachment_id]
                stem = f"{doc['created_at']:%Y-%m-%d} {doc['title']}"
                path = "documents/" + file_name(stem, "pdf")
            else:
                suffix = attachment.media_type.rsplit("/", 1)[-1]
                path = f"files/photo.{suffix}"
            while path in used:
                path = path.replace(".", " (more).", 1)
            used.add(path)
            archive.writestr(path, data)
            listed.append(
                {
                    "path": path,
                    "attachment_id": attachment_id,
                    "media_type": attachment.media_type,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        record = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": _now().replace(tzinfo=UTC).isoformat(),
            "client_id": client_id,
            "tables": {
                t: [{k: _plain(v) for k, v in r.items()} for r in rs] for t, rs in rows.items()
            },
            "related": {
                t: [{k: _plain(v) for k, v in r.items()} for r in rs] for t, rs in related.items()
            },
            "audit": audit_rows,
            "files": listed,
        }
        schema = shipped_schema()
        try:
            jsonschema.validate(record, schema, format_checker=jsonschema.FormatChecker())
        except jsonschema.ValidationError as exc:  # a bug, not the coach's doing: say so
            raise KnownError(
                f"The export does not match its schema ({exc.message}); nothing was written. "
                "Please report this."
            ) from None
        archive.writestr("client.json", json.dumps(record, indent=2, ensure_ascii=False))
        archive.writestr("client-export.schema.json", json.dumps(schema, indent=2))
        tables = _tables()
        for table_name, table_rows in (*rows.items(), *related.items()):
            columns = [c.name for c in tables[table_name].columns]
            archive.writestr(f"tables/{table_name}.csv", _csv(table_rows, columns))
        archive.writestr("tables/audit.csv", _csv(audit_rows, AUDIT_COLUMNS))
        profile = practice.get_profile(vault)
        archive.writestr(
            "README.txt",
            README.format(
                practice=profile.business_name or profile.coach_name or "your coach",
                name=name,
                day=date.today().isoformat(),
            ),
        )
    files.write_file(out, buffer.getvalue())
    with vault.writing() as session:
        audit.append(session, vault.actor, "client", client_id, "export")
    return ExportSummary(out, {t: len(r) for t, r in rows.items()}, len(listed), len(audit_rows))


# Erasure ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackupHold:
    """A backup that still holds an erased client until it expires."""

    path: str
    taken_at: datetime
    expires_on: date | None
    present: bool


@dataclass(frozen=True, slots=True)
class KeptInvoice:
    """An issued invoice kept for tax records after its client is erased."""

    number: str
    issued_on: date | None
    keep_until: date | None


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What erasing a client removes, what the law keeps, and which backups still hold them.

    `rows` counts what is removed per table; kept invoices (with their lines and
    payments) are only in `kept_invoices`.
    """

    client_id: int
    name: str
    rows: dict[str, int]
    files: int
    kept_invoices: tuple[KeptInvoice, ...]
    backups: tuple[BackupHold, ...]
    done: bool = False
    # Copies the app took inside the vault before schema updates: erasure deletes them.
    update_copies: int = 0

    def to_json(self) -> dict[str, Any]:
        """The report for `--json` output."""
        return {
            "client_id": self.client_id,
            "erased": self.done,
            "rows": self.rows,
            "files": self.files,
            "update_copies_deleted" if self.done else "update_copies_to_delete": (
                self.update_copies
            ),
            "kept_invoices": [
                {
                    "number": k.number,
                    "issued_on": k.issued_on.isoformat() if k.issued_on else None,
                    "keep_until": k.keep_until.isoformat() if k.keep_until else None,
                }
                for k in self.kept_invoices
            ],
            "backups": [
                {
                    "path": b.path,
                    "taken_at": b.taken_at.isoformat(),
                    "expires_on": b.expires_on.isoformat() if b.expires_on else None,
                    "present": b.present,
                }
                for b in self.backups
            ],
        }


def _holds(session: Session, since: datetime, backup_months: int) -> tuple[BackupHold, ...]:
    query = select(BackupTable.path, BackupTable.taken_at).where(BackupTable.taken_at >= since)
    return tuple(
        BackupHold(path, taken, keep_until(taken.date(), backup_months), Path(path).exists())
        for path, taken in session.execute(query.order_by(BackupTable.taken_at))
    )


def _report(vault: Vault, session: Session, client_id: int) -> ErasureReport:
    from coachdesk.services import compliance

    rules = compliance.retention_rules(vault)
    rows = _rows_of(session, client_id)
    client = rows["clients"][0]
    kept = tuple(
        KeptInvoice(
            r["number"], r["issued_on"], keep_until(r["issued_on"], rules[Category.INVOICES])
        )
        for r in rows.get("invoices", [])
        if r["number"] is not None and r["issued_on"] is not None
    )
    files = len(rows.get("generated_documents", [])) + (1 if client["photo_attachment_id"] else 0)
    # Kept invoices, their lines and payments stay: they are not counted as removed.
    kept_ids = {r["id"] for r in rows.get("invoices", []) if r["number"] is not None}
    removed = {
        table: [
            r
            for r in table_rows
            if not (table == "invoices" and r["id"] in kept_ids)
            and not (table in ("invoice_lines", "payments") and r["invoice_id"] in kept_ids)
        ]
        for table, table_rows in rows.items()
    }
    return ErasureReport(
        client_id=client_id,
        name=display_name(client["first_name"], client["last_name"], client["preferred_name"]),
        rows={t: len(r) for t, r in removed.items() if r},
        files=files,
        kept_invoices=kept,
        backups=_holds(session, client["created_at"], rules[Category.BACKUPS]),
        update_copies=len(_update_copies(vault)),
    )


def erasure_preview(vault: Vault, client_id: int) -> ErasureReport:
    """What `erase_client` would do (nothing is changed)."""
    with vault.reading() as session:
        return _report(vault, session, client_id)


def erase_client(vault: Vault, client_id: int) -> ErasureReport:
    """Erase a client everywhere in the vault; the audit trail keeps a tombstone.

    Their rows, search entries, documents and photo go; issued invoices stay detached
    for the tax retention period; freed pages are overwritten (secure_delete) and the
    write-ahead log is emptied; the copies taken before schema updates are deleted.
    Backups taken while they were a client still hold them until those expire: the
    report lists them.
    """
    with vault.writing() as session:
        report = _report(vault, session, client_id)
        blobs = store.erase(session, client_id, _now())
        audit.append(session, vault.actor, "client", client_id, "erase")
    for blob in blobs:
        vault.attachments.delete(blob)
    for copy in _update_copies(vault):
        copy.unlink(missing_ok=True)
    scrub(vault)
    return replace(report, done=True)


def _update_copies(vault: Vault) -> list[Path]:
    """The database copies taken inside the vault before schema updates (`store.migrate`)."""
    folder = vault.paths.backups
    return sorted(folder.glob("coachdesk-*.db")) if folder.is_dir() else []


def erasures(vault: Vault) -> list[tuple[int, datetime, tuple[BackupHold, ...]]]:
    """Every tombstone, with the backups that still hold that client."""
    from coachdesk.services import compliance

    months = compliance.retention_rules(vault)[Category.BACKUPS]
    with vault.reading() as session:
        rows = list(session.scalars(select(ErasureTable).order_by(ErasureTable.erased_at.desc())))
        return [
            (
                r.client_id,
                r.erased_at,
                tuple(
                    h for h in _holds(session, r.client_since, months) if h.taken_at <= r.erased_at
                ),
            )
            for r in rows
        ]


def scrub(vault: Vault, attempts: int = 20) -> bool:
    """Move every committed change into the database file and empty the write-ahead log.

    With secure_delete on, freed pages are already zeroed; this makes sure no old page
    image lingers in the -wal file. Returns False when another reader kept the log busy
    for every attempt (the next checkpoint empties it).
    """
    from coachdesk.services import handoff

    handoff.sweep()
    for _ in range(attempts):
        with vault.engine.connect() as conn:
            busy = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
        if busy is not None and not busy[0]:
            return True
        time.sleep(0.05)
    return False
