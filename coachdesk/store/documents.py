"""Template versions and generated documents."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coachdesk.domain.documents import TemplateOrigin, TemplateVersion
from coachdesk.store.tables import (
    AttachmentTable,
    GeneratedDocumentTable,
    PracticeTable,
    TemplateVersionTable,
)


def source_sha(source: str) -> str:
    """The fingerprint of a built-in template's text."""
    return hashlib.sha256(source.encode()).hexdigest()


def to_version(row: TemplateVersionTable) -> TemplateVersion:
    """The plain form of a stored version."""
    return TemplateVersion(
        id=row.id,
        key=row.doc_type,
        number=row.number,
        source=row.source,
        origin=TemplateOrigin(row.origin),
        note=row.note,
        created_at=row.created_at,
    )


def latest(session: Session, key: str) -> TemplateVersionTable | None:
    """The version in use (the highest number), if any was saved."""
    return session.scalars(
        select(TemplateVersionTable)
        .where(TemplateVersionTable.doc_type == key)
        .order_by(TemplateVersionTable.number.desc())
        .limit(1)
    ).first()


def versions(session: Session, key: str) -> list[TemplateVersionTable]:
    """Every version of a template, newest first."""
    return list(
        session.scalars(
            select(TemplateVersionTable)
            .where(TemplateVersionTable.doc_type == key)
            .order_by(TemplateVersionTable.number.desc())
        )
    )


def add_version(
    session: Session,
    key: str,
    source: str,
    origin: TemplateOrigin,
    now: datetime,
    note: str = "",
) -> TemplateVersionTable:
    """Save a new version after the latest; flushed, so it has an id."""
    number = (
        session.scalar(
            select(func.max(TemplateVersionTable.number)).where(
                TemplateVersionTable.doc_type == key
            )
        )
        or 0
    ) + 1
    row = TemplateVersionTable(
        doc_type=key,
        number=number,
        source=source,
        origin=str(origin),
        builtin_sha=source_sha(source) if origin is TemplateOrigin.BUILT_IN else "",
        note=note,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def needs_builtin(row: TemplateVersionTable, builtin: str) -> bool:
    """Whether a never-edited template is behind the built-in text CoachDesk ships now."""
    return row.origin == TemplateOrigin.BUILT_IN and row.builtin_sha != source_sha(builtin)


def in_use(session: Session, key: str, builtin: str, now: datetime) -> TemplateVersionTable:
    """The version to render with, recording the built-in one first when needed.

    A template the coach never edited follows the built-in one: when CoachDesk
    ships a new built-in text, it becomes a new version, so documents made
    earlier still point at the text they were made from.
    """
    row = latest(session, key)
    if row is None or needs_builtin(row, builtin):
        note = "" if row is None else "Updated with CoachDesk"
        row = add_version(session, key, builtin, TemplateOrigin.BUILT_IN, now, note)
    return row


def documents_of(session: Session, client_id: int) -> list[GeneratedDocumentTable]:
    """A client's documents, newest first."""
    return list(
        session.scalars(
            select(GeneratedDocumentTable)
            .where(GeneratedDocumentTable.client_id == client_id)
            .order_by(GeneratedDocumentTable.created_at.desc(), GeneratedDocumentTable.id.desc())
        )
    )


def client_blobs(session: Session, client_ids: list[int]) -> list[tuple[int, str]]:
    """The attachment ids and blob names of the clients' documents' PDFs."""
    query = (
        select(AttachmentTable.id, AttachmentTable.blob_name)
        .join(
            GeneratedDocumentTable, GeneratedDocumentTable.pdf_attachment_id == AttachmentTable.id
        )
        .where(GeneratedDocumentTable.client_id.in_(client_ids))
    )
    return [(i, b) for i, b in session.execute(query)]


def logo_in_use(session: Session, attachment_id: int) -> bool:
    """Whether a made document still prints this logo (so it must be kept)."""
    return (
        session.scalar(
            select(GeneratedDocumentTable.id)
            .where(GeneratedDocumentTable.logo_attachment_id == attachment_id)
            .limit(1)
        )
        is not None
    )


def client_logos(session: Session, client_ids: list[int]) -> set[int]:
    """The logos the clients' documents were made with."""
    return {
        logo
        for logo in session.scalars(
            select(GeneratedDocumentTable.logo_attachment_id).where(
                GeneratedDocumentTable.client_id.in_(client_ids)
            )
        )
        if logo is not None
    }


def release_logos(session: Session, candidates: set[int]) -> list[str]:
    """Delete old logos no document and not the practice uses any more; their blob names.

    Call after the documents that used them are gone (the caller deletes the files
    after the commit).
    """
    current = session.scalar(select(PracticeTable.logo_attachment_id))
    released = []
    for attachment_id in sorted(candidates - {current}):
        row = session.get(AttachmentTable, attachment_id)
        if row is not None and not logo_in_use(session, attachment_id):
            released.append(row.blob_name)
            session.delete(row)
    session.flush()
    return released
