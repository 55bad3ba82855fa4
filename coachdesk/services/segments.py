"""Segments (saved filters) and bulk actions on the clients a filter selects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from coachdesk.domain.clients import ClientRow, normalise_tag
from coachdesk.domain.errors import NotFoundError, ValidationError
from coachdesk.domain.segments import ClientFilter, Segment, check_segment_name
from coachdesk.store import audit, search
from coachdesk.store import clients as client_repo
from coachdesk.store.tables import SegmentTable, TagTable
from coachdesk.store.vault import Vault

ENTITY = "segment"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _to_segment(row: SegmentTable) -> Segment:
    return Segment(row.id, row.name, ClientFilter.from_json(row.filter), row.created_at)


def list_segments(vault: Vault) -> list[Segment]:
    """Saved segments by name."""
    with vault.reading() as session:
        rows = session.scalars(select(SegmentTable).order_by(SegmentTable.name))
        return [_to_segment(r) for r in rows]


def find_segment(vault: Vault, name: str) -> Segment:
    """A segment by name (ignoring case), or NotFoundError listing the names there are."""
    segments = list_segments(vault)
    for segment in segments:
        if segment.name.casefold() == name.strip().casefold():
            return segment
    known = ", ".join(s.name for s in segments) or "none yet"
    raise NotFoundError(f"There is no segment called “{name}” (saved segments: {known}).")


def save_segment(vault: Vault, name: str, client_filter: ClientFilter) -> Segment:
    """Save a filter under a new name."""
    if client_filter.is_empty:
        raise ValidationError({"filter": "Choose at least one condition before saving."})
    with vault.writing() as session:
        others = list(session.scalars(select(SegmentTable.name)))
        row = SegmentTable(
            name=check_segment_name(name, others),
            filter=client_filter.to_json(),
            created_at=_now(),
        )
        session.add(row)
        session.flush()
        audit.append(session, vault.actor, ENTITY, row.id, "create")
        return _to_segment(row)


def update_segment(
    vault: Vault,
    segment_id: int,
    name: str | None = None,
    client_filter: ClientFilter | None = None,
) -> Segment:
    """Rename a segment or replace its filter."""
    with vault.writing() as session:
        row = session.get(SegmentTable, segment_id)
        if row is None:
            raise NotFoundError(f"There is no segment #{segment_id}.")
        changed = []
        if name is not None and name.strip() != row.name:
            others = [n for n in session.scalars(select(SegmentTable.name)) if n != row.name]
            row.name = check_segment_name(name, others)
            changed.append("name")
        if client_filter is not None and client_filter.to_json() != row.filter:
            row.filter = client_filter.to_json()
            changed.append("filter")
        if changed:
            audit.append(session, vault.actor, ENTITY, segment_id, "update", changed)
        return _to_segment(row)


def delete_segment(vault: Vault, segment_id: int) -> None:
    """Forget a saved segment (the clients are untouched)."""
    with vault.writing() as session:
        row = session.get(SegmentTable, segment_id)
        if row is None:
            raise NotFoundError(f"There is no segment #{segment_id}.")
        session.delete(row)
        audit.append(session, vault.actor, ENTITY, segment_id, "delete")


def apply(rows: Iterable[ClientRow], client_filter: ClientFilter) -> list[ClientRow]:
    """The rows a filter lets through, in their given order."""
    return [r for r in rows if client_filter.matches(r)]


def clients_in(vault: Vault, client_filter: ClientFilter) -> list[ClientRow]:
    """The live clients a filter selects."""
    with vault.reading() as session:
        rows = client_repo.list_rows(session, now=_now())
    return apply(rows, client_filter)


def tag_clients(
    vault: Vault, client_ids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()
) -> int:
    """Add and remove tags on many clients at once; returns how many clients changed."""
    adding = [t for t in dict.fromkeys(map(normalise_tag, add)) if t]
    removing = {t for t in map(normalise_tag, remove) if t}
    if any(len(t) > 40 or "," in t for t in adding):
        raise ValidationError({"tags": "A tag has at most 40 characters and no commas."})
    changed = 0
    now = _now()
    with vault.writing() as session:
        tags = {
            t.name: t for t in session.scalars(select(TagTable).where(TagTable.name.in_(adding)))
        }
        for name in adding:
            if name not in tags:
                tags[name] = TagTable(name=name)
                session.add(tags[name])
        for client_id in sorted(set(client_ids)):
            row = client_repo.load(session, client_id)
            if row is None:
                raise NotFoundError(f"There is no client #{client_id}.")
            before = {t.name for t in row.tags}
            kept = [t for t in row.tags if t.name not in removing]
            kept += [tags[n] for n in adding if n not in before]
            if {t.name for t in kept} == before:
                continue
            row.tags = kept
            row.updated_at = now
            session.flush()
            search.index_client(session, client_id)
            audit.append(session, vault.actor, "client", client_id, "update", ["tags"])
            changed += 1
        client_repo.drop_unused_tags(session)
    return changed
