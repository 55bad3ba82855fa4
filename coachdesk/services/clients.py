"""Client use cases: list, show, add, edit, move to Trash, restore, empty the Trash."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from coachdesk.domain.clients import Client, ClientDraft, ClientRow, ClientStatus, changed_fields
from coachdesk.domain.errors import NotFoundError
from coachdesk.store import audit, pipeline
from coachdesk.store import clients as repo
from coachdesk.store.tables import ClientTable
from coachdesk.store.vault import Vault

ENTITY = "client"


# Where a new client starts on the board, by the status the coach gave them.
STATUS_STAGE = {
    ClientStatus.LEAD: "inquiry",
    ClientStatus.ACTIVE: "active",
    ClientStatus.PAUSED: "active",
    ClientStatus.ALUMNI: "alumni",
    ClientStatus.LOST: "lost",
}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def place_new(
    session: Session, row: ClientTable, now: datetime, stage_id: int | None = None
) -> None:
    """Put a new client on the board: in `stage_id`, or the stage matching their status."""
    if stage_id is None:
        stage = pipeline.stage_by_key(session, STATUS_STAGE[ClientStatus(row.status)])
        stage_id = stage.id if stage else None
    if stage_id is not None:
        pipeline.record_move(session, row, stage_id, now)


def list_clients(vault: Vault, trashed: bool = False) -> list[ClientRow]:
    """Every client (or every trashed client), as flat rows for lists."""
    with vault.reading() as session:
        return repo.list_rows(session, trashed=trashed, now=_now())


def get_client(vault: Vault, client_id: int) -> Client:
    """One client's full record."""
    with vault.reading() as session:
        client = repo.get(session, client_id)
    if client is None:
        raise NotFoundError(f"There is no client #{client_id}.")
    return client


def create_client(vault: Vault, draft: ClientDraft) -> Client:
    """Add a client (ValidationError names each bad field; nothing is stored then)."""
    clean = draft.validated()
    with vault.writing() as session:
        now = _now()
        row = repo.insert(session, clean, now)
        place_new(session, row, now)
        audit.append(session, vault.actor, ENTITY, row.id, "create")
        return repo.to_record(session, row)


def update_client(vault: Vault, client_id: int, draft: ClientDraft) -> Client:
    """Save the coach's edits; the audit event names the changed fields, not their values."""
    clean = draft.validated()
    with vault.writing() as session:
        row = repo.load(session, client_id)
        if row is None:
            raise NotFoundError(f"There is no client #{client_id}.")
        before = repo.to_record(session, row).draft()
        changed = changed_fields(before, clean)
        if not changed:
            return repo.to_record(session, row)
        repo.apply_draft(session, row, clean, _now())
        audit.append(session, vault.actor, ENTITY, client_id, "update", changed)
        session.flush()
        return repo.to_record(session, row)


def _set_trashed(vault: Vault, client_ids: Iterable[int], trashed: bool) -> list[int]:
    ids = sorted(set(client_ids))
    now = _now()
    changed = []
    with vault.writing() as session:
        for client_id in ids:
            row = repo.load(session, client_id)
            if row is None:
                raise NotFoundError(f"There is no client #{client_id}.")
            if (row.deleted_at is not None) == trashed:
                continue
            row.deleted_at = now if trashed else None
            row.updated_at = now
            audit.append(session, vault.actor, ENTITY, client_id, "trash" if trashed else "restore")
            changed.append(client_id)
    return changed


def trash_clients(vault: Vault, client_ids: Iterable[int]) -> list[int]:
    """Move clients to the Trash (restorable); returns the ids that moved."""
    return _set_trashed(vault, client_ids, True)


def restore_clients(vault: Vault, client_ids: Iterable[int]) -> list[int]:
    """Bring clients back from the Trash; returns the ids that came back."""
    return _set_trashed(vault, client_ids, False)


def empty_trash(vault: Vault) -> int:
    """Delete every trashed client for good; returns how many."""
    with vault.writing() as session:
        ids = repo.trashed_ids(session)
        if not ids:
            return 0
        blobs = repo.purge(session, ids)
        for client_id in ids:
            audit.append(session, vault.actor, ENTITY, client_id, "purge")
    # The files go once the rows are gone for good; a failed commit keeps both.
    for blob in blobs:
        vault.attachments.delete(blob)
    return len(ids)
