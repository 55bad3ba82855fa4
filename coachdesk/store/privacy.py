"""Removing rows for good: erasure of one client and the deletes of a retention run.

Every function runs in the caller's write transaction and returns the blob names
(or backup files) to delete once that transaction has committed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from coachdesk.domain.clients import display_name
from coachdesk.domain.errors import NotFoundError
from coachdesk.store import clients, documents, search
from coachdesk.store.tables import (
    AttachmentTable,
    BackupTable,
    ClientEmailTable,
    ClientTable,
    ErasureTable,
    GeneratedDocumentTable,
    InvoiceTable,
    NoteTable,
)


def delete_notes(session: Session, ids: Sequence[int]) -> None:
    """Notes and their versions (by cascade), out of the search index too."""
    search.drop_many(session, "note", ids)
    session.execute(delete(NoteTable).where(NoteTable.id.in_(ids)))


def delete_documents(session: Session, ids: Sequence[int]) -> list[str]:
    """Generated documents with their PDFs (and logos nothing else uses)."""
    rows = list(
        session.execute(
            select(
                GeneratedDocumentTable.pdf_attachment_id, GeneratedDocumentTable.logo_attachment_id
            ).where(GeneratedDocumentTable.id.in_(ids))
        )
    )
    pdfs = [pdf for pdf, _ in rows]
    logos = {logo for _, logo in rows if logo is not None}
    names = list(
        session.scalars(select(AttachmentTable.blob_name).where(AttachmentTable.id.in_(pdfs)))
    )
    session.execute(delete(GeneratedDocumentTable).where(GeneratedDocumentTable.id.in_(ids)))
    session.execute(delete(AttachmentTable).where(AttachmentTable.id.in_(pdfs)))
    return names + documents.release_logos(session, logos)


def delete_invoices(session: Session, ids: Sequence[int]) -> None:
    """Invoices with their lines and payments; credit notes before what they credit."""
    session.execute(
        delete(InvoiceTable).where(
            InvoiceTable.id.in_(ids), InvoiceTable.credits_invoice_id.is_not(None)
        )
    )
    session.execute(delete(InvoiceTable).where(InvoiceTable.id.in_(ids)))


def keep_invoices_without(session: Session, client: ClientTable) -> int:
    """Detach the client's issued invoices, keeping whom they were made out to.

    Issued invoices are tax records: they stay for the invoice retention period with
    the name, e-mail and company printed on them, and no link to the erased client.
    Returns how many were kept.
    """
    email = session.scalars(
        select(ClientEmailTable.address)
        .where(ClientEmailTable.client_id == client.id)
        .order_by(ClientEmailTable.position)
        .limit(1)
    ).first()
    name = display_name(client.first_name, client.last_name, client.preferred_name)
    billed_to = json.dumps(
        {
            "name": name,
            "full_name": f"{client.first_name} {client.last_name}".strip() or name,
            "email": email or "",
            "company": client.company,
        }
    )
    result = session.execute(
        update(InvoiceTable)
        .where(InvoiceTable.client_id == client.id, InvoiceTable.number.is_not(None))
        .values(client_id=None, billed_to=billed_to)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def erase(session: Session, client_id: int, now: datetime) -> list[str]:
    """Erase one client: every row about them goes, a tombstone without identity stays.

    Issued invoices are kept detached (see keep_invoices_without). Returns the blob
    names to delete after the commit.
    """
    client = session.get(ClientTable, client_id)
    if client is None:
        raise NotFoundError(f"There is no client #{client_id}.")
    since = client.created_at
    keep_invoices_without(session, client)
    blobs = clients.purge(session, [client_id])
    session.add(ErasureTable(client_id=client_id, client_since=since, erased_at=now))
    return blobs


def forget_backups(session: Session, ids: Sequence[int]) -> list[tuple[str, str]]:
    """Drop backup records; returns (path, sha256) of each file to delete if it is ours."""
    rows = [
        (p, d)
        for p, d in session.execute(
            select(BackupTable.path, BackupTable.sha256).where(BackupTable.id.in_(ids))
        )
    ]
    session.execute(delete(BackupTable).where(BackupTable.id.in_(ids)))
    return rows
