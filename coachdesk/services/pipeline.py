"""Pipeline use cases: the board, moving clients, editing stages, funnel figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from coachdesk.domain.clients import ClientRow, ClientStatus
from coachdesk.domain.errors import NotFoundError, ValidationError
from coachdesk.domain.pipeline import (
    MAX_REASON,
    FunnelStep,
    Stage,
    StageChange,
    check_stage_name,
    check_stall_days,
    funnel,
    is_stalled,
)
from coachdesk.store import audit, pipeline
from coachdesk.store import clients as client_repo
from coachdesk.store.vault import Vault

ENTITY = "stage"
# Moving onto a built-in stage keeps the client's status in step with it.
STAGE_STATUS = {
    "inquiry": ClientStatus.LEAD,
    "discovery": ClientStatus.LEAD,
    "proposal": ClientStatus.LEAD,
    "active": ClientStatus.ACTIVE,
    "completed": ClientStatus.ALUMNI,
    "alumni": ClientStatus.ALUMNI,
    "lost": ClientStatus.LOST,
}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Card:
    """A client on the board."""

    client: ClientRow
    stalled: bool
    days_in_stage: int


@dataclass(frozen=True, slots=True)
class Board:
    """Every stage with its cards, in board order."""

    stages: tuple[Stage, ...]
    cards: dict[int, tuple[Card, ...]]
    unplaced: tuple[Card, ...] = ()

    def cards_in(self, stage_id: int) -> tuple[Card, ...]:
        """The cards in one stage (oldest in stage first)."""
        return self.cards.get(stage_id, ())

    @property
    def stalled(self) -> list[Card]:
        """Every stalled card, longest in stage first."""
        found = [c for cards in self.cards.values() for c in cards if c.stalled]
        return sorted(found, key=lambda c: -c.days_in_stage)


def list_stages(vault: Vault) -> list[Stage]:
    """The stages in board order."""
    with vault.reading() as session:
        return pipeline.stages(session)


def build_board(rows: Iterable[ClientRow], stages: list[Stage], now: datetime) -> Board:
    """Sort client rows into stage columns and flag the stalled ones."""
    by_id = {s.id: s for s in stages}
    columns: dict[int, list[Card]] = {s.id: [] for s in stages}
    unplaced = []
    for row in rows:
        stage = by_id.get(row.stage_id) if row.stage_id is not None else None
        days = (now - row.stage_since).days if row.stage_since else 0
        if stage is None:
            unplaced.append(Card(row, False, 0))
            continue
        columns[stage.id].append(
            Card(row, is_stalled(stage, row.stage_since, row.last_contact_at, now), days)
        )
    return Board(
        stages=tuple(stages),
        cards={
            sid: tuple(sorted(cards, key=lambda c: -c.days_in_stage))
            for sid, cards in columns.items()
        },
        unplaced=tuple(unplaced),
    )


def board(vault: Vault) -> Board:
    """The whole board for live clients."""
    now = _now()
    with vault.reading() as session:
        rows = client_repo.list_rows(session, now=now)
        stages = pipeline.stages(session)
    return build_board(rows, stages, now)


def move_clients(
    vault: Vault, client_ids: Iterable[int], stage_id: int, reason: str = ""
) -> list[int]:
    """Move clients to a stage; returns the ids that moved.

    Moving to a lost stage needs a reason.  Moving to a built-in stage also sets the
    client's status to match (Active → active, Lost → lost …).
    """
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON} characters."})
    now = _now()
    moved = []
    with vault.writing() as session:
        stage = pipeline.load_stage(session, stage_id)
        if stage is None:
            raise NotFoundError(f"There is no stage #{stage_id}.")
        if stage.is_lost and not reason:
            raise ValidationError({"reason": f"Say why the client moved to {stage.name}."})
        for client_id in sorted(set(client_ids)):
            row = client_repo.load(session, client_id)
            if row is None or row.deleted_at is not None:
                raise NotFoundError(f"There is no client #{client_id}.")
            if pipeline.record_move(session, row, stage.id, now, reason) is None:
                continue
            fields = ["stage"]
            if stage.is_lost:
                row.lost_reason = reason
                fields.append("lost_reason")
            status = STAGE_STATUS.get(stage.key)
            if status is not None and row.status != status.value:
                row.status = status.value
                fields.append("status")
            row.updated_at = now
            audit.append(session, vault.actor, "client", client_id, "move", fields)
            moved.append(client_id)
    return moved


def move_client(vault: Vault, client_id: int, stage_id: int, reason: str = "") -> bool:
    """Move one client; False when they were already in that stage."""
    return bool(move_clients(vault, [client_id], stage_id, reason))


def history(vault: Vault, client_id: int) -> list[StageChange]:
    """One client's stage changes, oldest first."""
    with vault.reading() as session:
        return pipeline.changes(session, client_id)


def rename_stage(vault: Vault, stage_id: int, name: str) -> Stage:
    """Give a stage a new name (unique, ignoring case)."""
    with vault.writing() as session:
        row = pipeline.load_stage(session, stage_id)
        if row is None:
            raise NotFoundError(f"There is no stage #{stage_id}.")
        others = [s.name for s in pipeline.stages(session) if s.id != stage_id]
        row.name = check_stage_name(name, others)
        audit.append(session, vault.actor, ENTITY, stage_id, "update", ["name"])
        session.flush()
        return next(s for s in pipeline.stages(session) if s.id == stage_id)


def set_stall_days(vault: Vault, stage_id: int, days: int | None) -> None:
    """How many quiet days make a client in this stage stalled (None: never)."""
    with vault.writing() as session:
        row = pipeline.load_stage(session, stage_id)
        if row is None:
            raise NotFoundError(f"There is no stage #{stage_id}.")
        row.stall_days = check_stall_days(days)
        audit.append(session, vault.actor, ENTITY, stage_id, "update", ["stall_days"])


def reorder_stages(vault: Vault, stage_ids: list[int]) -> list[Stage]:
    """Put the stages in a new board order; every stage must be listed once."""
    with vault.writing() as session:
        current = {s.id for s in pipeline.stages(session)}
        if sorted(stage_ids) != sorted(current):
            raise ValidationError({"order": "List every stage exactly once."})
        pipeline.reorder(session, stage_ids)
        audit.append(session, vault.actor, ENTITY, "all", "reorder", ["position"])
        session.flush()
        return pipeline.stages(session)


def add_stage(vault: Vault, name: str, stall_days: int | None = 14) -> Stage:
    """A new stage, placed after the last open stage."""
    with vault.writing() as session:
        clean = check_stage_name(name, [s.name for s in pipeline.stages(session)])
        row = pipeline.add_stage(session, clean, check_stall_days(stall_days))
        audit.append(session, vault.actor, ENTITY, row.id, "create")
        return next(s for s in pipeline.stages(session) if s.id == row.id)


def delete_stage(vault: Vault, stage_id: int) -> None:
    """Remove a stage no client is in or has ever passed through."""
    with vault.writing() as session:
        row = pipeline.load_stage(session, stage_id)
        if row is None:
            raise NotFoundError(f"There is no stage #{stage_id}.")
        if row.key:
            raise ValidationError({"stage": f"“{row.name}” is built in; rename it instead."})
        if pipeline.is_used(session, stage_id):
            raise ValidationError(
                {"stage": f"“{row.name}” has clients or history; rename it instead."}
            )
        session.delete(row)
        audit.append(session, vault.actor, ENTITY, stage_id, "delete")


def funnel_report(
    vault: Vault, start: date | None = None, end: date | None = None
) -> list[FunnelStep]:
    """Conversion, drop-off and median days per stage for clients who entered in [start, end]."""
    now = _now()
    with vault.reading() as session:
        stages = pipeline.stages(session)
        changes = pipeline.changes(session)
    return funnel(stages, changes, start, end, now)
