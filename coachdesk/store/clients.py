"""Client table access; functions take the caller's Session and return plain dataclasses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, selectinload

from coachdesk.domain.clients import (
    Client,
    ClientDraft,
    ClientRow,
    ClientStatus,
    ClientType,
    Objective,
    display_name,
)
from coachdesk.domain.errors import KnownError
from coachdesk.store import documents, search
from coachdesk.store.crm import next_due, overdue_counts
from coachdesk.store.tables import (
    AttachmentTable,
    ClientEmailTable,
    ClientPhoneTable,
    ClientTable,
    ClientTagTable,
    InvoiceTable,
    StageTable,
    TagTable,
)


def _with_children() -> Select[ClientTable]:
    return select(ClientTable).options(
        selectinload(ClientTable.emails),
        selectinload(ClientTable.phones),
        selectinload(ClientTable.tags),
    )


def _to_client(row: ClientTable, stage_name: str = "") -> Client:
    return Client(
        id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        preferred_name=row.preferred_name,
        emails=tuple(e.address for e in row.emails),
        phones=tuple(p.number for p in row.phones),
        company=row.company,
        role=row.role,
        time_zone=row.time_zone,
        locale=row.locale,
        lead_source=row.lead_source,
        status=ClientStatus(row.status),
        tags=tuple(sorted(t.name for t in row.tags)),
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        client_type=ClientType(row.client_type),
        objective=Objective(row.objective),
        birthday=row.birthday,
        stage_id=row.stage_id,
        stage_name=stage_name,
        stage_since=row.stage_since,
        lost_reason=row.lost_reason,
        last_contact_at=row.last_contact_at,
        photo_attachment_id=row.photo_attachment_id,
    )


def _stage_name(session: Session, stage_id: int | None) -> str:
    stage = session.get(StageTable, stage_id) if stage_id is not None else None
    return stage.name if stage else ""


def load(session: Session, client_id: int) -> ClientTable | None:
    """The ORM row with its emails, phones and tags loaded (for services to change)."""
    return session.scalars(_with_children().where(ClientTable.id == client_id)).one_or_none()


def get(session: Session, client_id: int) -> Client | None:
    """One client as a plain record, or None."""
    row = load(session, client_id)
    return _to_client(row, _stage_name(session, row.stage_id)) if row else None


def to_record(
    session: Session, row: ClientTable, stage_names: dict[int, str] | None = None
) -> Client:
    """The plain record for a loaded ORM row (`stage_names` saves a lookup per row)."""
    if stage_names is not None:
        return _to_client(row, stage_names.get(row.stage_id or 0, ""))
    return _to_client(row, _stage_name(session, row.stage_id))


def load_many(session: Session, client_ids: list[int]) -> list[ClientTable]:
    """ORM rows with their children, in three queries however many there are."""
    return list(session.scalars(_with_children().where(ClientTable.id.in_(client_ids))))


def _tags_by_name(session: Session, names: tuple[str, ...]) -> list[TagTable]:
    if not names:
        return []
    existing = {
        t.name: t for t in session.scalars(select(TagTable).where(TagTable.name.in_(names)))
    }
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = TagTable(name=name)
            session.add(tag)
            existing[name] = tag
        tags.append(tag)
    return tags


def apply_draft(session: Session, row: ClientTable, draft: ClientDraft, now: datetime) -> None:
    """Copy a validated draft onto an ORM row (new or loaded with its children)."""
    for name in (
        "first_name",
        "last_name",
        "preferred_name",
        "company",
        "role",
        "time_zone",
        "locale",
        "lead_source",
        "notes",
        "birthday",
    ):
        setattr(row, name, getattr(draft, name))
    row.status = draft.status.value
    row.client_type = draft.client_type.value
    row.objective = draft.objective.value
    if row.id is not None:
        # Old children go first, or re-adding an unchanged address would break its unique key.
        row.emails, row.phones = [], []
        session.flush()
    row.emails = [ClientEmailTable(address=a, position=i) for i, a in enumerate(draft.emails)]
    row.phones = [ClientPhoneTable(number=n, position=i) for i, n in enumerate(draft.phones)]
    row.tags = _tags_by_name(session, draft.tags)
    row.updated_at = now
    if row.id is not None:
        session.flush()
        search.index_client(session, row.id)


def insert(session: Session, draft: ClientDraft, now: datetime) -> ClientTable:
    """Add a client row and index it; the caller commits."""
    row = ClientTable(created_at=now, deleted_at=None)
    row.emails, row.phones, row.tags = [], [], []
    apply_draft(session, row, draft, now)
    session.add(row)
    session.flush()
    search.index_client_draft(session, row.id, draft)
    return row


def _primary(session: Session, owner: Any, value: Any, position: Any, ids: Any) -> dict[int, str]:
    """Client id → the value at position 0 (the primary e-mail or phone) for clients in `ids`."""
    query = select(owner, value).where(position == 0, owner.in_(ids))
    return {cid: text for cid, text in session.execute(query)}


def list_rows(
    session: Session, trashed: bool = False, now: datetime | None = None
) -> list[ClientRow]:
    """Every client (or every trashed one) as flat rows, in one round trip per table.

    Built with Core queries rather than ORM objects: the list must load ten
    thousand clients in well under a second.
    """
    deleted = ClientTable.deleted_at.is_not(None) if trashed else ClientTable.deleted_at.is_(None)
    live = select(ClientTable.id).where(deleted).scalar_subquery()
    emails = _primary(
        session,
        ClientEmailTable.client_id,
        ClientEmailTable.address,
        ClientEmailTable.position,
        live,
    )
    phones = _primary(
        session,
        ClientPhoneTable.client_id,
        ClientPhoneTable.number,
        ClientPhoneTable.position,
        live,
    )
    tags: dict[int, list[str]] = {}
    for cid, name in session.execute(
        select(ClientTagTable.client_id, TagTable.name)
        .join(TagTable, TagTable.id == ClientTagTable.tag_id)
        .where(ClientTagTable.client_id.in_(live))
        .order_by(TagTable.name)
    ):
        tags.setdefault(cid, []).append(name)
    stage_names: dict[int, str] = {
        i: n for i, n in session.execute(select(StageTable.id, StageTable.name))
    }
    overdue = overdue_counts(session, now) if now is not None else {}
    upcoming = next_due(session)
    rows = []
    for r in session.execute(
        select(
            ClientTable.id,
            ClientTable.first_name,
            ClientTable.last_name,
            ClientTable.preferred_name,
            ClientTable.company,
            ClientTable.status,
            ClientTable.updated_at,
            ClientTable.client_type,
            ClientTable.objective,
            ClientTable.lead_source,
            ClientTable.stage_id,
            ClientTable.stage_since,
            ClientTable.last_contact_at,
        ).where(deleted)
    ):
        name = display_name(r.first_name, r.last_name, r.preferred_name)
        email, phone, tag_list = (
            emails.get(r.id, ""),
            phones.get(r.id, ""),
            tuple(tags.get(r.id, ())),
        )
        stage = stage_names.get(r.stage_id, "") if r.stage_id is not None else ""
        search_text = " ".join(
            (name, r.first_name, email, phone, r.company, r.status, stage, *tag_list)
        ).lower()
        rows.append(
            ClientRow(
                id=r.id,
                name=name,
                email=email,
                phone=phone,
                company=r.company,
                status=ClientStatus(r.status),
                tags=tag_list,
                updated_at=r.updated_at,
                search_text=search_text,
                client_type=ClientType(r.client_type),
                objective=Objective(r.objective),
                lead_source=r.lead_source,
                stage_id=r.stage_id,
                stage_name=stage,
                stage_since=r.stage_since,
                last_contact_at=r.last_contact_at,
                overdue_follow_ups=overdue.get(r.id, 0),
                next_follow_up=upcoming.get(r.id),
            )
        )
    return rows


def purge(session: Session, client_ids: list[int]) -> list[str]:
    """Delete rows for good (children go by ON DELETE CASCADE); unused tags are dropped.

    Returns the blob names of the clients' photos and documents (and of old logos only
    their documents used), whose rows go too: the caller deletes the files after the commit.
    """
    _keep_issued_invoices(session, client_ids)
    search.drop_clients(session, client_ids)
    photos = select(AttachmentTable.id, AttachmentTable.blob_name).join(
        ClientTable, ClientTable.photo_attachment_id == AttachmentTable.id
    )
    blobs = [(i, b) for i, b in session.execute(photos.where(ClientTable.id.in_(client_ids)))]
    blobs += documents.client_blobs(session, client_ids)
    logos = documents.client_logos(session, client_ids)
    session.execute(delete(ClientTable).where(ClientTable.id.in_(client_ids)))
    session.execute(delete(AttachmentTable).where(AttachmentTable.id.in_([i for i, _ in blobs])))
    drop_unused_tags(session)
    return [blob for _, blob in blobs] + documents.release_logos(session, logos)


def _keep_issued_invoices(session: Session, client_ids: list[int]) -> None:
    """Refuse to purge clients who were sent invoices (legal records); drop their drafts."""
    issued = list(
        session.execute(
            select(ClientTable.first_name, ClientTable.last_name, ClientTable.preferred_name)
            .join(InvoiceTable, InvoiceTable.client_id == ClientTable.id)
            .where(ClientTable.id.in_(client_ids), InvoiceTable.number.is_not(None))
            .distinct()
        )
    )
    if issued:
        names = ", ".join(sorted(display_name(*row) for row in issued))
        raise KnownError(
            f"{names} {'has' if len(issued) == 1 else 'have'} been sent invoices, which must be "
            "kept for your accounts. Restore them from the Trash, or leave them there."
        )
    session.execute(delete(InvoiceTable).where(InvoiceTable.client_id.in_(client_ids)))


def drop_unused_tags(session: Session) -> None:
    """Delete tags no client carries any more."""
    used = select(ClientTagTable.tag_id)
    session.execute(delete(TagTable).where(TagTable.id.not_in(used)))


def trashed_ids(session: Session) -> list[int]:
    """The ids of every client in the Trash."""
    return list(session.scalars(select(ClientTable.id).where(ClientTable.deleted_at.is_not(None))))
