"""Documents: templates and their versions, making, exporting and e-mailing documents.

Rendering runs in three steps, each owned by the documents package: the template
is filled in (sandboxed, in a worker process), the markup is parsed into one
`Document`, and the writers lay that out as PDF or DOCX.  A made document keeps
its structure and its PDF (encrypted) in the vault, and the template version it
came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coachdesk.documents import eml, engine, model
from coachdesk.documents.context import Record, build, chosen_note
from coachdesk.documents.docx import write_docx
from coachdesk.documents.pdf import write_pdf
from coachdesk.documents.sandbox import BrokenTemplateError, RunawayTemplateError
from coachdesk.documents.types import (
    EMAIL_TEMPLATE,
    FORMATS,
    doc_type,
    template_file,
    template_names,
)
from coachdesk.domain.clients import display_name
from coachdesk.domain.documents import DocumentInfo, TemplateOrigin, TemplateVersion, file_name
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.paths import resource_path
from coachdesk.services import files, practice, vault_settings
from coachdesk.settings import PAPER_SIZE
from coachdesk.store import attachments, audit, consent, crm, scheduling
from coachdesk.store import clients as client_store
from coachdesk.store import documents as store
from coachdesk.store.tables import (
    AttachmentTable,
    ClientTable,
    GeneratedDocumentTable,
    TemplateVersionTable,
)
from coachdesk.store.vault import Vault


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _today() -> date:
    return datetime.now().date()


def _known_template(key: str) -> None:
    if key not in template_names():
        names = ", ".join(template_names())
        raise NotFoundError(f"There is no template '{key}'. Choose one of: {names}.")


def builtin_source(key: str) -> str:
    """The template CoachDesk ships for `key`."""
    _known_template(key)
    return resource_path("resources", "templates", template_file(key)).read_text("utf-8")


# Templates ------------------------------------------------------------------------------


def template_in_use(vault: Vault, key: str) -> TemplateVersion:
    """The version documents of this kind are made with now."""
    builtin = builtin_source(key)
    with vault.reading() as session:
        row = store.latest(session, key)
        if row is not None and not store.needs_builtin(row, builtin):
            return store.to_version(row)
    with vault.writing() as session:
        return store.to_version(store.in_use(session, key, builtin, _now()))


def template_history(vault: Vault, key: str) -> list[TemplateVersion]:
    """Every saved version of a template, newest first."""
    template_in_use(vault, key)
    with vault.reading() as session:
        return [store.to_version(row) for row in store.versions(session, key)]


def check_template(vault: Vault, key: str, source: str) -> None:
    """Refuse a template that would fail (BrokenTemplateError names the line)."""
    _known_template(key)
    engine.check_template(key, source, practice.get_profile(vault), _today())


def _save_version(
    vault: Vault, key: str, source: str, origin: TemplateOrigin, note: str
) -> TemplateVersion:
    current = template_in_use(vault, key)
    if source == current.source and origin is not TemplateOrigin.BUILT_IN:
        return current
    with vault.writing() as session:
        row = store.add_version(session, key, source, origin, _now(), note.strip()[:200])
        audit.append(session, vault.actor, "template", key, str(origin), ["source"])
        return store.to_version(row)


def save_template(vault: Vault, key: str, source: str, note: str = "") -> TemplateVersion:
    """Check and save a new version (nothing is saved when the text is unchanged).

    Raises:
        BrokenTemplateError: the template would fail; nothing is saved.
    """
    check_template(vault, key, source)
    return _save_version(vault, key, source, TemplateOrigin.EDITED, note)


def revert_template(vault: Vault, key: str, number: int) -> TemplateVersion:
    """Make an earlier version current again, as a new version (history is kept)."""
    old = next((v for v in template_history(vault, key) if v.number == number), None)
    if old is None:
        raise NotFoundError(f"The template has no version {number}.")
    check_template(vault, key, old.source)
    return _save_version(
        vault, key, old.source, TemplateOrigin.REVERTED, f"Back to version {number}"
    )


def restore_builtin(vault: Vault, key: str) -> TemplateVersion:
    """Go back to CoachDesk's own template (and follow its updates again)."""
    return _save_version(
        vault, key, builtin_source(key), TemplateOrigin.BUILT_IN, "Back to the built-in template"
    )


# Rendering --------------------------------------------------------------------------------


def _letterhead(vault: Vault) -> model.Letterhead:
    profile = practice.get_profile(vault)
    return model.Letterhead(
        practice_name=profile.business_name or profile.coach_name,
        coach_name=profile.coach_name,
        logo=practice.logo_bytes(vault),
    )


def _paper(vault: Vault) -> str:
    return str(vault_settings.get(vault, PAPER_SIZE))


def practice_document(
    vault: Vault, template_file: str, context: dict[str, Any], subject: str
) -> model.Document:
    """A document from one of CoachDesk's own templates.

    Invoices, receipts, the records of processing and the AI disclosure use these;
    unlike document types, they are not the coach's to edit.
    """
    source = resource_path("resources", "templates", template_file).read_text("utf-8")
    profile = practice.get_profile(vault)
    return engine.render_document(source, context, author=profile.coach_name, subject=subject)


def practice_pdf(vault: Vault, template_file: str, context: dict[str, Any], subject: str) -> bytes:
    """`practice_document` as a PDF on the practice's letterhead."""
    document = practice_document(vault, template_file, context, subject)
    return write_pdf(document, _letterhead(vault), _paper(vault))


def _record(session: Session, client_id: int) -> Record:
    client = client_store.get(session, client_id)
    if client is None or client.deleted_at is not None:
        raise NotFoundError(f"There is no client #{client_id}.")
    return Record(
        client,
        tuple(crm.goals(session, client_id)),
        tuple(crm.notes(session, client_id)),
        tuple(crm.follow_ups(session, client_id)),
        scheduling.current_offer(session, client_id),
        consent.lines(session, client_id),
    )


def _check_note_option(record: Record, options: Mapping[str, str]) -> None:
    note_id = options.get("note", "")
    if note_id and not any(n.id == int(note_id) for n in record.notes):
        raise ValidationError({"note": f"Note #{note_id} is not one of this client's notes."})


@dataclass(frozen=True, slots=True)
class _Made:
    document: model.Document
    version: TemplateVersion
    options: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Setup:
    """What every document of one kind shares: read once per batch, not per client."""

    key: str
    version: TemplateVersion
    profile: PracticeProfile
    letterhead: model.Letterhead
    paper: str

    @classmethod
    def load(cls, vault: Vault, key: str) -> _Setup:
        doc_type(key)
        return cls(
            key,
            template_in_use(vault, key),
            practice.get_profile(vault),
            _letterhead(vault),
            _paper(vault),
        )


def _make(
    setup: _Setup,
    record: Record | None,
    given: Mapping[str, str],
    source: str | None = None,
) -> _Made:
    kind = doc_type(setup.key)
    today = _today()
    options = kind.resolve_options(given, today)
    if record is not None:
        _check_note_option(record, options)
        if "note" in options and not options["note"]:
            picked = chosen_note(record.notes, "")
            options["note"] = str(picked.id) if picked else ""
    context = build(kind, setup.profile, record, options, today)
    subject = record.client.display_name if record else ""
    document = engine.render_document(
        setup.version.source if source is None else source,
        context,
        author=setup.profile.coach_name,
        subject=subject,
    )
    # Kept with the document for "Make again": every value it was made with, except
    # defaults that should move on (an offer's "valid until today + 30").
    chosen = {key for key, value in given.items() if value.strip()}
    kept = {
        option.key: options[option.key]
        for option in kind.options
        if option.key in chosen or not option.refresh
    }
    return _Made(document, setup.version, kept)


def preview_pdf(
    vault: Vault,
    key: str,
    source: str,
    client_id: int | None = None,
    options: Mapping[str, str] | None = None,
) -> bytes:
    """A PDF of `source` filled in for a client (or the sample client), stored nowhere."""
    _known_template(key)
    if key == EMAIL_TEMPLATE:
        raise ValidationError({"template": "The e-mail template has no PDF preview."})
    if client_id is None:
        record = engine.sample_record(_today())
    else:
        with vault.reading() as session:
            record = _record(session, client_id)
    setup = _Setup.load(vault, key)
    made = _make(setup, record, options or {}, source=source)
    return write_pdf(made.document, setup.letterhead, setup.paper)


def _info(row: GeneratedDocumentTable, client_name: str, number: int, size: int) -> DocumentInfo:
    return DocumentInfo(
        id=row.id,
        client_id=row.client_id,
        client_name=client_name,
        doc_type=row.doc_type,
        type_name=doc_type(row.doc_type).name,
        title=row.title,
        template_version=number,
        options=tuple(sorted(json.loads(row.options).items())),
        created_at=row.created_at,
        size=size,
    )


def _store(
    vault: Vault, setup: _Setup, client_id: int, made: _Made, pdf: bytes, now: datetime
) -> DocumentInfo:
    key = setup.key
    blob = vault.attachments.put(pdf)
    try:
        with vault.writing() as session:
            client = session.get(ClientTable, client_id)
            if client is None or client.deleted_at is not None:
                raise NotFoundError(f"There is no client #{client_id}.")
            attachment = attachments.add_row(session, blob, pdf, "application/pdf", now)
            logo_id = setup.profile.logo_attachment_id
            if logo_id is not None and session.get(AttachmentTable, logo_id) is None:
                logo_id = None  # replaced while a batch ran
            row = GeneratedDocumentTable(
                client_id=client_id,
                doc_type=key,
                title=made.document.title[:200],
                template_version_id=made.version.id,
                options=json.dumps(made.options, sort_keys=True),
                structure=model.to_json(made.document),
                pdf_attachment_id=attachment.id,
                letterhead=json.dumps(
                    {
                        "practice_name": setup.letterhead.practice_name,
                        "coach_name": setup.letterhead.coach_name,
                        "paper": setup.paper,
                    }
                ),
                logo_attachment_id=logo_id,
                created_at=now,
            )
            session.add(row)
            session.flush()
            audit.append(session, vault.actor, "document", row.id, "create", [key])
            name = display_name(client.first_name, client.last_name, client.preferred_name)
            return _info(row, name, made.version.number, len(pdf))
    except BaseException:
        vault.attachments.delete(blob)
        raise


def create_document(
    vault: Vault, client_id: int, key: str, options: Mapping[str, str] | None = None
) -> DocumentInfo:
    """Make a document for a client from the template in use, and keep it in the vault.

    Raises:
        NotFoundError: no such client or document type.
        ValidationError: an option is unknown or of the wrong kind.
        BrokenTemplateError: the template fails for this client (with its line).
    """
    return _create(vault, _Setup.load(vault, key), client_id, options or {})


def _create(
    vault: Vault, setup: _Setup, client_id: int, options: Mapping[str, str]
) -> DocumentInfo:
    with vault.reading() as session:
        record = _record(session, client_id)
    made = _make(setup, record, options)
    pdf = write_pdf(made.document, setup.letterhead, setup.paper)
    return _store(vault, setup, client_id, made, pdf, _now())


def list_documents(vault: Vault, client_id: int) -> list[DocumentInfo]:
    """A client's documents, newest first."""
    with vault.reading() as session:
        client = session.get(ClientTable, client_id)
        if client is None:
            raise NotFoundError(f"There is no client #{client_id}.")
        name = display_name(client.first_name, client.last_name, client.preferred_name)
        rows = store.documents_of(session, client_id)
        versions = {
            i: n
            for i, n in session.execute(
                select(TemplateVersionTable.id, TemplateVersionTable.number).where(
                    TemplateVersionTable.id.in_({r.template_version_id for r in rows})
                )
            )
        }
        sizes = {
            i: n
            for i, n in session.execute(
                select(AttachmentTable.id, AttachmentTable.size).where(
                    AttachmentTable.id.in_({r.pdf_attachment_id for r in rows})
                )
            )
        }
        return [
            _info(r, name, versions[r.template_version_id], sizes[r.pdf_attachment_id])
            for r in rows
        ]


def _document_row(session: Session, document_id: int) -> GeneratedDocumentTable:
    row = session.get(GeneratedDocumentTable, document_id)
    if row is None:
        raise NotFoundError(f"There is no document #{document_id}.")
    return row


def document_info(vault: Vault, document_id: int) -> DocumentInfo:
    """One document's details."""
    with vault.reading() as session:
        row = _document_row(session, document_id)
        client_id = row.client_id
    return next(d for d in list_documents(vault, client_id) if d.id == document_id)


def document_pdf(vault: Vault, document_id: int) -> bytes:
    """The document's PDF, exactly as it was made."""
    with vault.reading() as session:
        row = _document_row(session, document_id)
        blob = session.get(AttachmentTable, row.pdf_attachment_id)
        blob_name = blob.blob_name if blob else ""
    return vault.attachments.get(blob_name)


def document_docx(vault: Vault, document_id: int) -> bytes:
    """The document as DOCX, from the same structure and letterhead as its PDF."""
    with vault.reading() as session:
        row = _document_row(session, document_id)
        structure = model.from_json(row.structure)
        made_with = json.loads(row.letterhead)
        logo = session.get(AttachmentTable, row.logo_attachment_id or 0)
        logo_blob = logo.blob_name if logo is not None else None
    letterhead = model.Letterhead(
        practice_name=made_with["practice_name"],
        coach_name=made_with["coach_name"],
        logo=vault.attachments.get(logo_blob) if logo_blob else None,
    )
    return write_docx(structure, letterhead, made_with["paper"])


def regenerate(vault: Vault, document_id: int) -> DocumentInfo:
    """Make the document again from today's record and template (the old one stays)."""
    with vault.reading() as session:
        row = _document_row(session, document_id)
        client_id, key, options = row.client_id, row.doc_type, json.loads(row.options)
    known = {option.key for option in doc_type(key).options}
    given = {k: v for k, v in options.items() if k in known}
    return create_document(vault, client_id, key, given)


def delete_document(vault: Vault, document_id: int) -> None:
    """Delete a document and its PDF."""
    with vault.writing() as session:
        row = _document_row(session, document_id)
        blob = session.get(AttachmentTable, row.pdf_attachment_id)
        logo_id = row.logo_attachment_id
        logos = {logo_id} if logo_id is not None else set()
        session.delete(row)
        session.flush()  # the document row goes before the attachments it points at
        gone = store.release_logos(session, logos)
        if blob is not None:
            gone.append(blob.blob_name)
            session.delete(blob)
        audit.append(session, vault.actor, "document", document_id, "delete")
    for blob_name in gone:
        vault.attachments.delete(blob_name)


# Hand-off: files and e-mail -----------------------------------------------------------


def export_document(vault: Vault, document_id: int, fmt: str, path: Path) -> Path:
    """Save the document as PDF or DOCX where the coach chose.

    Raises:
        ValidationError: an unknown format.
        KnownError: the file could not be written (the message says what to do).
    """
    if fmt not in FORMATS:
        raise ValidationError({"format": "Choose pdf or docx."})
    data = document_pdf(vault, document_id) if fmt == "pdf" else document_docx(vault, document_id)
    files.write_file(path, data)
    with vault.writing() as session:
        audit.append(session, vault.actor, "document", document_id, "export", [fmt])
    return path


@dataclass(frozen=True, slots=True)
class EmailDraft:
    """An .eml draft ready for the mail client."""

    file_name: str
    data: bytes
    to: str
    subject: str


def _email_text(
    vault: Vault,
    source: str,
    record: Record,
    key: str,
    options: Mapping[str, str],
    title: str,
) -> engine.EmailText:
    kind = doc_type(key)
    context = build(kind, practice.get_profile(vault), record, options, _today(), title)
    return engine.render_email(source, context)


def preview_email(vault: Vault, source: str, client_id: int | None, key: str) -> engine.EmailText:
    """The e-mail template `source` filled in as it would go with a document of type `key`
    for a client (or the sample client); the document's title is made up."""
    if client_id is None:
        record = engine.sample_record(_today())
    else:
        with vault.reading() as session:
            record = _record(session, client_id)
    options = doc_type(key).resolve_options({}, _today())
    return _email_text(vault, source, record, key, options, "")


def email_draft(vault: Vault, document_id: int) -> EmailDraft:
    """An unsent e-mail to the client with the document's PDF attached."""
    info = document_info(vault, document_id)
    pdf = document_pdf(vault, document_id)
    with vault.reading() as session:
        record = _record(session, info.client_id)
    source = template_in_use(vault, EMAIL_TEMPLATE).source
    text = _email_text(vault, source, record, info.doc_type, dict(info.options), info.title)
    client = record.client
    address = client.emails[0] if client.emails else ""
    data = eml.draft(
        client.display_name, address, text.subject, text.body, file_name(info.title, "pdf"), pdf
    )
    with vault.writing() as session:
        audit.append(session, vault.actor, "document", document_id, "email")
    return EmailDraft(file_name(info.title, "eml"), data, address, text.subject)


# Batches ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch made, and what it could not."""

    made: tuple[DocumentInfo, ...]
    failed: tuple[tuple[int, str], ...]  # (client id, why)
    cancelled: bool
    folder: Path | None
    template_problem: str = ""  # the template failed: the batch stopped here
    folder_problem: str = ""  # a copy could not be saved in the folder: stopped here


def create_batch(
    vault: Vault,
    key: str,
    client_ids: Iterable[int],
    options: Mapping[str, str] | None = None,
    folder: Path | None = None,
    fmt: str = "pdf",
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BatchResult:
    """Make one document per client; optionally also save each into `folder`.

    Each document is complete on its own, so cancelling keeps the ones already
    made and says how many.  A client whose document fails is reported, and the
    batch goes on; a broken template or a folder that refuses a file stops it
    (the documents made so far are kept, and the result says why it stopped).
    """
    ids = list(dict.fromkeys(client_ids))
    setup = _Setup.load(vault, key)
    if fmt not in FORMATS:
        raise ValidationError({"format": "Choose pdf or docx."})
    if folder is not None and not folder.is_dir():
        raise ValidationError({"folder": f"The folder {folder} does not exist."})
    made: list[DocumentInfo] = []
    failed: list[tuple[int, str]] = []
    stopped = False
    template_problem = folder_problem = ""
    for done, client_id in enumerate(ids):
        if cancelled is not None and cancelled():
            stopped = True
            break
        if progress is not None:
            progress(done, len(ids))
        try:
            info = _create(vault, setup, client_id, options or {})
        except RunawayTemplateError as exc:
            template_problem = exc.message
            break
        except BrokenTemplateError as exc:
            if not made and not failed:
                template_problem = exc.message  # broken for the first client: likely for all
                break
            failed.append((client_id, f"The template failed for this client: {exc.message}"))
            continue
        except KnownError as exc:
            failed.append((client_id, exc.message))
            continue
        made.append(info)
        if folder is not None:
            name = file_name(f"{info.title} ({info.id})", fmt)
            try:
                export_document(vault, info.id, fmt, folder / name)
            except KnownError as exc:
                folder_problem = exc.message
                break
    finished = not (stopped or template_problem or folder_problem)
    if progress is not None and finished:
        progress(len(ids), len(ids))
    return BatchResult(
        tuple(made), tuple(failed), stopped, folder, template_problem, folder_problem
    )
