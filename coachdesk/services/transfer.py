"""Import clients from CSV or vCard, and export them again, without losing anything.

An import is one write transaction: rows with problems are reported by number
and left out, and anything unexpected (or a cancel) rolls the whole file back.
Duplicates are found by e-mail, phone or full name, both against the vault and
within the file, so importing the same file twice creates nothing new.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coachdesk.domain.clients import ClientDraft, changed_fields
from coachdesk.domain.errors import CancelledError, KnownError, ValidationError
from coachdesk.domain.exporting import ExportRecord, sniff_image_type, write_csv, write_vcards
from coachdesk.domain.importing import (
    DateColumn,
    ImportRecord,
    Parsed,
    RawTable,
    RowError,
    build_records,
    detect_dates,
    guess_mapping,
    read_csv,
    read_vcards,
)
from coachdesk.services import files
from coachdesk.services.clients import STATUS_STAGE
from coachdesk.store import attachments, audit, pipeline
from coachdesk.store import clients as repo
from coachdesk.store.tables import AttachmentTable, ClientEmailTable, ClientPhoneTable, ClientTable
from coachdesk.store.vault import Vault

Format = Literal["csv", "vcf"]
OnDuplicate = Literal["merge", "skip"]
MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 2 * 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def file_format(filename: str, data: bytes) -> Format:
    """vCard when the name or the first line says so, else CSV."""
    head = data[:200].lstrip(b"\xef\xbb\xbf \r\n\t").upper()
    if filename.lower().endswith((".vcf", ".vcard")) or head.startswith(b"BEGIN:VCARD"):
        return "vcf"
    return "csv"


@dataclass(frozen=True, slots=True)
class Preview:
    """What an import would read, before anything is written.

    `table`, `mapping` and `dates` are for CSV only; `parsed` holds every record
    and row error as the mapping and date orders currently stand.
    """

    format: Format
    table: RawTable | None
    mapping: dict[str, str]
    dates: dict[str, DateColumn]
    parsed: Parsed

    @property
    def undecided_dates(self) -> list[str]:
        """Columns whose day/month order the coach still has to choose."""
        return [c for c, d in self.dates.items() if d.order == "ambiguous"]


def preview(
    data: bytes,
    filename: str = "",
    mapping: dict[str, str] | None = None,
    date_orders: dict[str, str] | None = None,
) -> Preview:
    """Read a file and build its records with the given (or guessed) column mapping."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            {"file": "The file is larger than 50 MB; split it and import the parts."}
        )
    if file_format(filename, data) == "vcf":
        return Preview("vcf", None, {}, {}, read_vcards(data))
    table = read_csv(data)
    chosen = dict(mapping) if mapping is not None else guess_mapping(table.headers)
    unknown = [c for c in chosen if c not in table.headers]
    if unknown:
        raise ValidationError(
            {
                "map": f"The file has no column “{unknown[0]}”; its columns are: "
                + ", ".join(table.headers)
            }
        )
    dates = detect_dates(table, chosen)
    orders = {c: d.order for c, d in dates.items() if d.order in ("dmy", "mdy")}
    orders.update(date_orders or {})
    dates = {
        c: replace(d, order=orders[c]) if c in orders and d.order == "ambiguous" else d
        for c, d in dates.items()
    }
    return Preview("csv", table, chosen, dates, build_records(table, chosen, orders))


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    created: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: tuple[RowError, ...] = ()
    warnings: tuple[str, ...] = ()
    total_rows: int = 0
    dry_run: bool = False
    client_ids: tuple[int, ...] = field(default=(), repr=False)


class _DryRunDoneError(Exception):
    """Raised inside the write transaction to roll a dry run back."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-9:]


def _name_key(draft: ClientDraft) -> str:
    first = (draft.first_name or draft.preferred_name).casefold()
    last = draft.last_name.casefold()
    return f"{first}\t{last}" if first and last else ""


class _Matcher:
    """Finds the client a record duplicates: by e-mail, then phone, then full name."""

    def __init__(self, session: Session) -> None:
        self.emails: dict[str, int] = {}
        self.phones: dict[str, int] = {}
        self.names: dict[str, int] = {}
        self.reachable: set[int] = set()
        live = select(ClientTable.id).where(ClientTable.deleted_at.is_(None))
        for cid, address in session.execute(
            select(ClientEmailTable.client_id, ClientEmailTable.address).where(
                ClientEmailTable.client_id.in_(live)
            )
        ):
            self.emails.setdefault(address.casefold(), cid)
            self.reachable.add(cid)
        for cid, number in session.execute(
            select(ClientPhoneTable.client_id, ClientPhoneTable.number).where(
                ClientPhoneTable.client_id.in_(live)
            )
        ):
            if len(_digits(number)) >= 6:
                self.phones.setdefault(_digits(number), cid)
            self.reachable.add(cid)
        for cid, first, last, preferred in session.execute(
            select(
                ClientTable.id,
                ClientTable.first_name,
                ClientTable.last_name,
                ClientTable.preferred_name,
            ).where(ClientTable.deleted_at.is_(None))
        ):
            key = _name_key(ClientDraft(first_name=first, last_name=last, preferred_name=preferred))
            if key:
                self.names.setdefault(key, cid)

    def find(self, draft: ClientDraft) -> int | None:
        for address in draft.emails:
            if address.casefold() in self.emails:
                return self.emails[address.casefold()]
        for number in draft.phones:
            digits = _digits(number)
            if len(digits) >= 6 and digits in self.phones:
                return self.phones[digits]
        # Two people may share a name: a name alone only matches when one side has no
        # e-mail or phone to tell them apart.
        by_name = self.names.get(_name_key(draft)) if _name_key(draft) else None
        if by_name is None:
            return None
        if (draft.emails or draft.phones) and by_name in self.reachable:
            return None
        return by_name

    def remember(self, client_id: int, draft: ClientDraft) -> None:
        if draft.emails or draft.phones:
            self.reachable.add(client_id)
        for address in draft.emails:
            self.emails.setdefault(address.casefold(), client_id)
        for number in draft.phones:
            if len(_digits(number)) >= 6:
                self.phones.setdefault(_digits(number), client_id)
        if _name_key(draft):
            self.names.setdefault(_name_key(draft), client_id)


def merge_drafts(current: ClientDraft, incoming: ClientDraft) -> ClientDraft:
    """The stored record with the gaps filled from the import.

    Nothing the coach entered is overwritten: empty fields are filled, e-mails,
    phones and tags are added, and notes are appended when they are new.
    """
    values = {}
    for name in (
        "first_name",
        "last_name",
        "preferred_name",
        "company",
        "role",
        "time_zone",
        "locale",
        "lead_source",
        "birthday",
    ):
        values[name] = getattr(current, name) or getattr(incoming, name)
    notes = current.notes
    if incoming.notes and incoming.notes not in notes:
        notes = f"{notes}\n\n{incoming.notes}" if notes else incoming.notes
    return replace(
        current,
        **values,
        emails=tuple(dict.fromkeys(current.emails + incoming.emails)),
        phones=tuple(dict.fromkeys(current.phones + incoming.phones)),
        tags=tuple(dict.fromkeys(current.tags + incoming.tags)),
        notes=notes,
        objective=current.objective or incoming.objective,
    )


def import_clients(
    vault: Vault,
    data: bytes,
    filename: str = "",
    *,
    mapping: dict[str, str] | None = None,
    date_orders: dict[str, str] | None = None,
    on_duplicate: OnDuplicate = "merge",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import a CSV or vCard file in one transaction and report what happened."""
    plan = preview(data, filename, mapping, date_orders)
    undecided = plan.undecided_dates
    if undecided:
        raise ValidationError(
            {
                "date_order": f"The dates in “{undecided[0]}” could be day/month or month/day; "
                "choose which (--date-order dmy or mdy)."
            }
        )
    written: list[str] = []
    try:
        with vault.writing() as session:
            report = _apply(
                vault, session, plan, on_duplicate, dry_run, written, progress, cancelled
            )
            if dry_run:
                raise _DryRunDoneError(report)
    except _DryRunDoneError as done:
        return done.report
    except BaseException:
        for blob in written:
            vault.attachments.delete(blob)
        raise
    return report


def _apply(
    vault: Vault,
    session: Session,
    plan: Preview,
    on_duplicate: OnDuplicate,
    dry_run: bool,
    written: list[str],
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> ImportReport:
    now = _now()
    matcher = _Matcher(session)
    stages = pipeline.stages(session)
    by_name = {s.name.casefold(): s.id for s in stages}
    by_key = {s.key: s.id for s in stages if s.key}
    created = merged = unchanged = skipped = 0
    warnings: list[str] = []
    touched: dict[int, None] = {}
    seen: set[int] = set()
    records = plan.parsed.records
    for done, record in enumerate(records):
        if cancelled is not None and cancelled():
            raise CancelledError("Import cancelled; nothing was changed.")
        if progress is not None and done % 50 == 0:
            progress(done, len(records))
        draft = record.draft.validated()
        stage_id = None
        if record.stage:
            stage_id = by_name.get(record.stage.strip().casefold())
            if stage_id is None:
                warnings.append(
                    f"Row {record.row}: there is no stage called “{record.stage}”; "
                    "placed by status instead."
                )
        existing = matcher.find(draft)
        if existing is not None:
            if on_duplicate == "skip":
                skipped += 1
                continue
            row = repo.load(session, existing)
            assert row is not None
            first_sight = row.id not in seen
            seen.add(row.id)
            before = repo.to_record(session, row).draft()
            after = merge_drafts(before, draft).validated()
            changed = list(changed_fields(before, after))
            if changed:
                repo.apply_draft(session, row, after, now)
            # The first row that names a client decides their stage; a later row for the
            # same person must not move them back and forth on every re-import.
            if stage_id is not None and row.stage_id != stage_id and first_sight:
                pipeline.record_move(session, row, stage_id, now, "import")
                changed.append("stage")
            if record.photo and row.photo_attachment_id is None:
                changed += _attach_photo(vault, session, row, record, dry_run, written, now)
            if changed:
                audit.append(
                    session, vault.actor, "client", row.id, "import-merge", changed, flush=False
                )
                merged += 1
                touched[row.id] = None
            else:
                unchanged += 1
            matcher.remember(row.id, after)
            continue
        row = repo.insert(session, draft, now)
        if stage_id is None:
            stage_id = by_key.get(STATUS_STAGE[draft.status])
        if stage_id is not None:
            pipeline.record_move(session, row, stage_id, now)
        if record.photo:
            _attach_photo(vault, session, row, record, dry_run, written, now)
        audit.append(session, vault.actor, "client", row.id, "import", flush=False)
        matcher.remember(row.id, draft)
        created += 1
        touched[row.id] = None
        seen.add(row.id)
    if progress is not None:
        progress(len(records), len(records))
    return ImportReport(
        created=created,
        merged=merged,
        unchanged=unchanged,
        skipped=skipped,
        errors=plan.parsed.errors,
        warnings=tuple(warnings),
        total_rows=plan.parsed.total_rows,
        dry_run=dry_run,
        client_ids=tuple(touched),
    )


def _attach_photo(
    vault: Vault,
    session: Session,
    row: ClientTable,
    record: ImportRecord,
    dry_run: bool,
    written: list[str],
    now: datetime,
) -> list[str]:
    photo = record.photo or b""
    media_type = sniff_image_type(photo)
    if not media_type or len(photo) > MAX_PHOTO_BYTES or dry_run:
        return []
    blob = vault.attachments.put(photo)
    written.append(blob)
    row.photo_attachment_id = attachments.add_row(session, blob, photo, media_type, now).id
    return ["photo"]


def export_records(vault: Vault, client_ids: Iterable[int]) -> list[ExportRecord]:
    """The full records of these clients, in the order given, photos included."""
    wanted = list(dict.fromkeys(client_ids))
    found: dict[int, ExportRecord] = {}
    with vault.reading() as session:
        stage_names = {s.id: s.name for s in pipeline.stages(session)}
        for start in range(0, len(wanted), 500):
            for row in repo.load_many(session, wanted[start : start + 500]):
                client = repo.to_record(session, row, stage_names)
                photo, photo_type = None, ""
                if client.photo_attachment_id is not None:
                    attachment = session.get(AttachmentTable, client.photo_attachment_id)
                    if attachment is not None:
                        photo = vault.attachments.get(attachment.blob_name)
                        photo_type = attachment.media_type
                found[client.id] = ExportRecord(
                    client.draft(), client.stage_name, photo, photo_type
                )
    return [found[i] for i in wanted if i in found]


def export_clients(vault: Vault, client_ids: Iterable[int], fmt: str) -> bytes:
    """CSV or vCard bytes for these clients."""
    if fmt not in ("csv", "vcf"):
        raise KnownError(f"Unknown export format “{fmt}”; use csv or vcf.")
    records = export_records(vault, client_ids)
    return write_csv(records) if fmt == "csv" else write_vcards(records)


def export_to_file(vault: Vault, client_ids: list[int], fmt: str, path: Path) -> int:
    """Export clients to `path`, written whole or not at all; how many were written."""
    files.write_file(path, export_clients(vault, client_ids, fmt))
    return len(client_ids)
