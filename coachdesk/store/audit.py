"""The audit trail's table access: append within the caller's transaction, read for checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from coachdesk.domain.audit import GENESIS_HASH, AuditEvent, ChainProblem, chain_hash, find_break
from coachdesk.store.tables import AuditEventTable, AuditHeadTable

_HEAD = "coachdesk.audit_head"


def append(
    session: Session,
    actor: str,
    entity: str,
    entity_id: object,
    action: str,
    fields: Iterable[str] = (),
    flush: bool = True,
) -> AuditEvent:
    """Add one event at the end of the chain and move the head with it.

    Bulk writers (imports) pass `flush=False` and let the commit flush them all:
    the head row stays in the session, so the chain still advances one by one.

    Runs in the caller's write transaction (BEGIN IMMEDIATE), so the change
    and its audit event commit together or not at all, and no other writer
    can take the same sequence number.
    """
    # Held in session.info: a clean ORM row is only weakly referenced by the session,
    # so without this every append in a long transaction would SELECT the head again.
    head = session.info.get(_HEAD) or session.get(AuditHeadTable, 1)
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS_HASH)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    field_list = ",".join(sorted(fields))
    digest = chain_hash(seq, at, actor, entity, str(entity_id), action, field_list, prev)
    session.add(
        AuditEventTable(
            seq=seq,
            at=at,
            actor=actor,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            fields=field_list,
            prev_hash=prev,
            hash=digest,
        )
    )
    if head is None:
        head = AuditHeadTable(id=1, seq=seq, hash=digest)
        session.add(head)
    else:
        head.seq, head.hash = seq, digest
    session.info[_HEAD] = head
    if flush:
        session.flush()
    return AuditEvent(seq, at, actor, entity, str(entity_id), action, field_list, prev, digest)


def _to_event(row: AuditEventTable) -> AuditEvent:
    return AuditEvent(
        row.seq,
        row.at,
        row.actor,
        row.entity,
        row.entity_id,
        row.action,
        row.fields,
        row.prev_hash,
        row.hash,
    )


def all_events(session: Session) -> list[AuditEvent]:
    """Every event in stored (rowid) order, which is what verification must check."""
    rows = session.scalars(select(AuditEventTable).order_by(AuditEventTable.seq)).all()
    return [_to_event(row) for row in rows]


def recent(session: Session, limit: int = 200, entity: str | None = None) -> list[AuditEvent]:
    """The newest events first."""
    query = select(AuditEventTable).order_by(AuditEventTable.seq.desc()).limit(limit)
    if entity:
        query = query.where(AuditEventTable.entity == entity)
    return [_to_event(row) for row in session.scalars(query)]


def head(session: Session) -> tuple[int, str]:
    """The anchor (last seq, last hash); (0, genesis) for an empty trail."""
    row = session.get(AuditHeadTable, 1)
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


def check(session: Session) -> tuple[int, ChainProblem | None]:
    """How many entries the kept trail holds, and the first problem in it (None if intact)."""
    events = all_events(session)
    row = session.get(AuditHeadTable, 1)
    if row is None:
        return len(events), find_break(events, 0, GENESIS_HASH)
    return len(events), find_break(events, row.seq, row.hash, row.base_seq, row.base_hash)


def prune_through(session: Session, last_seq: int) -> int:
    """Remove the entries up to and including `last_seq`; returns how many went.

    The kept trail's start moves to that entry first, so the chain still verifies and
    the database's trigger allows exactly these deletes and no others.
    """
    row = session.get(AuditHeadTable, 1)
    found = session.get(AuditEventTable, last_seq)
    if row is None or found is None:
        return 0
    count = session.scalar(
        select(func.count()).select_from(AuditEventTable).where(AuditEventTable.seq <= last_seq)
    )
    row.base_seq, row.base_hash = found.seq, found.hash
    session.flush()
    session.execute(delete(AuditEventTable).where(AuditEventTable.seq <= last_seq))
    return int(count or 0)
