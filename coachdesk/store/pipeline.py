"""Pipeline stages and stage history; functions take the caller's Session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coachdesk.domain.pipeline import Stage, StageChange
from coachdesk.store.tables import ClientTable, StageChangeTable, StageTable


def _to_stage(row: StageTable) -> Stage:
    return Stage(
        id=row.id,
        name=row.name,
        position=row.position,
        stall_days=row.stall_days,
        is_lost=row.is_lost,
        key=row.key,
    )


def stages(session: Session) -> list[Stage]:
    """Every stage in board order."""
    return [_to_stage(r) for r in session.scalars(select(StageTable).order_by(StageTable.position))]


def load_stage(session: Session, stage_id: int) -> StageTable | None:
    """One stage's ORM row."""
    return session.get(StageTable, stage_id)


def stage_by_key(session: Session, key: str) -> StageTable | None:
    """A built-in stage by its key (inquiry, active, lost …), whatever it is called now."""
    return session.scalars(select(StageTable).where(StageTable.key == key)).first()


def add_stage(session: Session, name: str, stall_days: int | None) -> StageTable:
    """A new stage placed just before the lost stage(s)."""
    rows = list(session.scalars(select(StageTable).order_by(StageTable.position)))
    open_rows = [r for r in rows if not r.is_lost]
    position = open_rows[-1].position + 1 if open_rows else 0
    for row in rows:
        if row.position >= position:
            row.position += 1
    stage = StageTable(key="", name=name, position=position, stall_days=stall_days, is_lost=False)
    session.add(stage)
    session.flush()
    return stage


def reorder(session: Session, stage_ids: list[int]) -> None:
    """Set board order to `stage_ids` (every stage, each once)."""
    rows = {r.id: r for r in session.scalars(select(StageTable))}
    for position, stage_id in enumerate(stage_ids):
        rows[stage_id].position = position


def is_used(session: Session, stage_id: int) -> bool:
    """Whether any client is in the stage or ever passed through it."""
    in_stage = session.scalar(select(func.count()).where(ClientTable.stage_id == stage_id))
    in_history = session.scalar(
        select(func.count()).where(
            (StageChangeTable.to_stage_id == stage_id)
            | (StageChangeTable.from_stage_id == stage_id)
        )
    )
    return bool(in_stage or in_history)


def record_move(
    session: Session, client: ClientTable, to_stage: int, now: datetime, reason: str = ""
) -> StageChange | None:
    """Move a client and write the history row; None when they are already there."""
    if client.stage_id == to_stage:
        return None
    change = StageChangeTable(
        client_id=client.id,
        from_stage_id=client.stage_id,
        to_stage_id=to_stage,
        at=now,
        reason=reason,
    )
    session.add(change)
    client.stage_id = to_stage
    client.stage_since = now
    return StageChange(client.id, change.from_stage_id, to_stage, now, reason)


def changes(
    session: Session, client_id: int | None = None, since: datetime | None = None
) -> list[StageChange]:
    """Stage history, oldest first, for one client or all live clients."""
    query = (
        select(
            StageChangeTable.client_id,
            StageChangeTable.from_stage_id,
            StageChangeTable.to_stage_id,
            StageChangeTable.at,
            StageChangeTable.reason,
        )
        .join(ClientTable, ClientTable.id == StageChangeTable.client_id)
        .where(ClientTable.deleted_at.is_(None))
        .order_by(StageChangeTable.at, StageChangeTable.id)
    )
    if client_id is not None:
        query = query.where(StageChangeTable.client_id == client_id)
    if since is not None:
        query = query.where(StageChangeTable.at >= since)
    # Plain rows rather than ORM objects: the funnel reads every change in the vault.
    return [StageChange(*row) for row in session.execute(query)]
