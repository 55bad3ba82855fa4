"""Notes (with versions), goals and milestones, follow-ups; functions take the caller's Session."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from coachdesk.domain.clients import display_name
from coachdesk.domain.crm import (
    FollowUp,
    FollowUpDraft,
    Goal,
    GoalDraft,
    GoalStatus,
    Milestone,
    MilestoneDraft,
    Note,
    NoteDraft,
    NoteKind,
    NoteVersion,
    Recurrence,
)
from coachdesk.store import search
from coachdesk.store.tables import (
    ClientTable,
    FollowUpTable,
    GoalTable,
    MilestoneTable,
    NoteTable,
    NoteVersionTable,
)


def _tuple(value: str) -> tuple[str, ...]:
    return tuple(json.loads(value))


def _json(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


# Notes ----------------------------------------------------------------------------------


def to_note(row: NoteTable) -> Note:
    """The plain record for a note row."""
    return Note(
        id=row.id,
        client_id=row.client_id,
        kind=NoteKind(row.kind),
        occurred_on=row.occurred_on,
        text=row.text,
        themes=_tuple(row.themes),
        blockers=_tuple(row.blockers),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def notes(session: Session, client_id: int) -> list[Note]:
    """A client's notes, newest first."""
    query = (
        select(NoteTable)
        .where(NoteTable.client_id == client_id)
        .order_by(NoteTable.occurred_on.desc(), NoteTable.id.desc())
    )
    return [to_note(r) for r in session.scalars(query)]


def add_note(session: Session, client_id: int, draft: NoteDraft, now: datetime) -> NoteTable:
    """Store a new note and index it."""
    row = NoteTable(
        client_id=client_id,
        kind=draft.kind.value,
        occurred_on=draft.occurred_on,
        text=draft.text,
        themes=_json(draft.themes),
        blockers=_json(draft.blockers),
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    search.index_note(session, row)
    return row


def edit_note(session: Session, row: NoteTable, draft: NoteDraft, now: datetime) -> bool:
    """Keep the current text as a version, then apply the edit; False when nothing changed."""
    if to_note(row).draft() == draft:
        return False
    session.add(
        NoteVersionTable(
            note_id=row.id,
            version=row.version,
            kind=row.kind,
            occurred_on=row.occurred_on,
            text=row.text,
            themes=row.themes,
            blockers=row.blockers,
            saved_at=row.updated_at,
        )
    )
    row.kind = draft.kind.value
    row.occurred_on = draft.occurred_on
    row.text = draft.text
    row.themes = _json(draft.themes)
    row.blockers = _json(draft.blockers)
    row.version += 1
    row.updated_at = now
    session.flush()
    search.index_note(session, row)
    return True


def note_history(session: Session, note_id: int) -> list[NoteVersion]:
    """Earlier versions of a note, newest first."""
    query = (
        select(NoteVersionTable)
        .where(NoteVersionTable.note_id == note_id)
        .order_by(NoteVersionTable.version.desc())
    )
    return [
        NoteVersion(
            note_id=r.note_id,
            version=r.version,
            kind=NoteKind(r.kind),
            occurred_on=r.occurred_on,
            text=r.text,
            themes=_tuple(r.themes),
            blockers=_tuple(r.blockers),
            saved_at=r.saved_at,
        )
        for r in session.scalars(query)
    ]


# Goals ----------------------------------------------------------------------------------


def _to_milestone(row: MilestoneTable) -> Milestone:
    return Milestone(row.id, row.goal_id, row.title, row.due_on, row.done_at, row.position)


def to_goal(row: GoalTable) -> Goal:
    """The plain record for a goal row loaded with its milestones."""
    return Goal(
        id=row.id,
        client_id=row.client_id,
        objective=row.objective,
        measure=row.measure,
        target_on=row.target_on,
        status=GoalStatus(row.status),
        progress=row.progress,
        created_at=row.created_at,
        updated_at=row.updated_at,
        milestones=tuple(_to_milestone(m) for m in row.milestones),
    )


def load_goal(session: Session, goal_id: int) -> GoalTable | None:
    """A goal row with its milestones loaded."""
    query = (
        select(GoalTable).options(selectinload(GoalTable.milestones)).where(GoalTable.id == goal_id)
    )
    return session.scalars(query).one_or_none()


def goals(session: Session, client_id: int | None = None) -> list[Goal]:
    """Goals (one client's, or every live client's), open first then by target date."""
    query = select(GoalTable).options(selectinload(GoalTable.milestones))
    if client_id is not None:
        query = query.where(GoalTable.client_id == client_id)
    else:
        query = query.join(ClientTable, ClientTable.id == GoalTable.client_id).where(
            ClientTable.deleted_at.is_(None)
        )
    records = [to_goal(r) for r in session.scalars(query)]
    records.sort(key=lambda g: (not g.status.is_open, g.target_on is None, g.target_on, g.id))
    return records


def open_goals(session: Session) -> list[Goal]:
    """Every live client's open goals, without milestones, as plain rows (for risk scoring)."""
    query = (
        select(
            GoalTable.id,
            GoalTable.client_id,
            GoalTable.objective,
            GoalTable.measure,
            GoalTable.target_on,
            GoalTable.status,
            GoalTable.progress,
            GoalTable.created_at,
            GoalTable.updated_at,
        )
        .join(ClientTable, ClientTable.id == GoalTable.client_id)
        .where(
            ClientTable.deleted_at.is_(None),
            GoalTable.status.not_in([GoalStatus.ACHIEVED.value, GoalStatus.DROPPED.value]),
        )
    )
    return [
        Goal(
            r.id,
            r.client_id,
            r.objective,
            r.measure,
            r.target_on,
            GoalStatus(r.status),
            r.progress,
            r.created_at,
            r.updated_at,
        )
        for r in session.execute(query)
    ]


def apply_goal(
    session: Session,
    row: GoalTable,
    draft: GoalDraft,
    milestones: tuple[MilestoneDraft, ...] | None,
    now: datetime,
) -> None:
    """Copy a validated draft (and, when given, the milestone list) onto a goal row."""
    row.objective = draft.objective
    row.measure = draft.measure
    row.target_on = draft.target_on
    row.status = draft.status.value
    row.progress = draft.progress
    row.updated_at = now
    if milestones is not None:
        # Milestones are matched by title and due date, in order, so two identical ones
        # stay two and each keeps its own done date.
        old: dict[tuple[str, object], list[MilestoneTable]] = {}
        for existing in row.milestones:
            old.setdefault((existing.title, existing.due_on), []).append(existing)
        fresh = []
        for position, item in enumerate(milestones):
            same = old.get((item.title, item.due_on))
            kept = same.pop(0) if same else None
            milestone = kept or MilestoneTable(title=item.title, due_on=item.due_on)
            milestone.position = position
            if item.done and milestone.done_at is None:
                milestone.done_at = now
            elif not item.done:
                milestone.done_at = None
            fresh.append(milestone)
        row.milestones = fresh
    session.flush()
    search.index_goal(session, row, list(row.milestones))


# Follow-ups -----------------------------------------------------------------------------


def _to_follow_up(row: FollowUpTable, client_name: str) -> FollowUp:
    return FollowUp(
        id=row.id,
        client_id=row.client_id,
        client_name=client_name,
        title=row.title,
        due_at=row.due_at,
        recurrence=Recurrence(row.recurrence),
        done_at=row.done_at,
        snoozed=row.snoozed,
        created_at=row.created_at,
    )


def follow_ups(
    session: Session,
    client_id: int | None = None,
    open_only: bool = False,
    due_before: datetime | None = None,
) -> list[FollowUp]:
    """Follow-ups with their client's name, soonest first (done ones last)."""
    query = (
        select(
            FollowUpTable, ClientTable.first_name, ClientTable.last_name, ClientTable.preferred_name
        )
        .join(ClientTable, ClientTable.id == FollowUpTable.client_id)
        .where(ClientTable.deleted_at.is_(None))
        .order_by(FollowUpTable.done_at.is_not(None), FollowUpTable.due_at, FollowUpTable.id)
    )
    if client_id is not None:
        query = query.where(FollowUpTable.client_id == client_id)
    if open_only:
        query = query.where(FollowUpTable.done_at.is_(None))
    if due_before is not None:
        query = query.where(FollowUpTable.due_at < due_before)
    return [
        _to_follow_up(row, display_name(first, last, preferred))
        for row, first, last, preferred in session.execute(query)
    ]


def follow_up_record(session: Session, row: FollowUpTable) -> FollowUp:
    """The plain record for one follow-up row."""
    client = session.get(ClientTable, row.client_id)
    name = (
        display_name(client.first_name, client.last_name, client.preferred_name) if client else ""
    )
    return _to_follow_up(row, name)


def add_follow_up(
    session: Session, client_id: int, draft: FollowUpDraft, now: datetime
) -> FollowUpTable:
    """Store and index a follow-up."""
    row = FollowUpTable(
        client_id=client_id,
        title=draft.title,
        due_at=draft.due_at,
        recurrence=draft.recurrence.value,
        done_at=None,
        snoozed=0,
        created_at=now,
    )
    session.add(row)
    session.flush()
    search.index_follow_up(session, row)
    return row


def overdue_counts(session: Session, now: datetime) -> dict[int, int]:
    """Client id → how many open follow-ups are past due."""
    query = (
        select(FollowUpTable.client_id, func.count())
        .where(FollowUpTable.done_at.is_(None), FollowUpTable.due_at < now)
        .group_by(FollowUpTable.client_id)
    )
    return {cid: n for cid, n in session.execute(query)}


def next_due(session: Session) -> dict[int, datetime]:
    """Client id → the due time of their soonest open follow-up."""
    query = (
        select(FollowUpTable.client_id, func.min(FollowUpTable.due_at))
        .where(FollowUpTable.done_at.is_(None))
        .group_by(FollowUpTable.client_id)
    )
    return {cid: due for cid, due in session.execute(query)}
