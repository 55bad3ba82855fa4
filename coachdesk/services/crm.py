"""Notes, goals and follow-ups: one function per thing the coach does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from coachdesk.domain.crm import (
    FollowUp,
    FollowUpDraft,
    Goal,
    GoalDraft,
    MilestoneDraft,
    Note,
    NoteDraft,
    NoteVersion,
    Recurrence,
)
from coachdesk.domain.errors import NotFoundError, ValidationError
from coachdesk.store import audit, crm, search
from coachdesk.store.tables import ClientTable, FollowUpTable, GoalTable, NoteTable
from coachdesk.store.vault import Vault


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _live_client(session: Session, client_id: int) -> ClientTable:
    row = session.get(ClientTable, client_id)
    if row is None or row.deleted_at is not None:
        raise NotFoundError(f"There is no client #{client_id}.")
    return row


def _known_client(session: Session, client_id: int) -> None:
    if session.get(ClientTable, client_id) is None:
        raise NotFoundError(f"There is no client #{client_id}.")


def _touch_contact(client: ClientTable, when: datetime) -> None:
    """Contact moves forward only: an old note typed up today is not today's contact."""
    if client.last_contact_at is None or when > client.last_contact_at:
        client.last_contact_at = when


# Notes ----------------------------------------------------------------------------------


def list_notes(vault: Vault, client_id: int) -> list[Note]:
    """A client's notes, newest first."""
    with vault.reading() as session:
        _known_client(session, client_id)
        return crm.notes(session, client_id)


def add_note(vault: Vault, client_id: int, draft: NoteDraft) -> Note:
    """Write a note; a discovery-call or session note counts as contact on its date."""
    clean = draft.validated()
    now = _now()
    with vault.writing() as session:
        client = _live_client(session, client_id)
        row = crm.add_note(session, client_id, clean, now)
        if clean.occurred_on <= now.date():
            _touch_contact(client, datetime.combine(clean.occurred_on, time(12)))
        audit.append(session, vault.actor, "note", row.id, "create")
        return crm.to_note(row)


def edit_note(vault: Vault, note_id: int, draft: NoteDraft) -> Note:
    """Save an edit; the previous text is kept as a version."""
    clean = draft.validated()
    with vault.writing() as session:
        row = session.get(NoteTable, note_id)
        if row is None:
            raise NotFoundError(f"There is no note #{note_id}.")
        if crm.edit_note(session, row, clean, _now()):
            audit.append(session, vault.actor, "note", note_id, "update", ["text"])
        return crm.to_note(row)


def note_history(vault: Vault, note_id: int) -> list[NoteVersion]:
    """Earlier versions of a note, newest first."""
    with vault.reading() as session:
        return crm.note_history(session, note_id)


def delete_note(vault: Vault, note_id: int) -> None:
    """Remove a note and its versions."""
    with vault.writing() as session:
        row = session.get(NoteTable, note_id)
        if row is None:
            raise NotFoundError(f"There is no note #{note_id}.")
        search.drop(session, "note", note_id)
        session.delete(row)
        audit.append(session, vault.actor, "note", note_id, "delete")


# Goals ----------------------------------------------------------------------------------


def list_goals(vault: Vault, client_id: int) -> list[Goal]:
    """A client's goals, open ones first."""
    with vault.reading() as session:
        _known_client(session, client_id)
        return crm.goals(session, client_id)


def _check_milestones(items: tuple[MilestoneDraft, ...]) -> tuple[MilestoneDraft, ...]:
    clean = tuple(
        MilestoneDraft(" ".join(m.title.split()), m.due_on, m.done)
        for m in items
        if m.title.strip()
    )
    if any(len(m.title) > 200 for m in clean):
        raise ValidationError({"milestones": "Keep each milestone under 200 characters."})
    return clean


def add_goal(
    vault: Vault, client_id: int, draft: GoalDraft, milestones: tuple[MilestoneDraft, ...] = ()
) -> Goal:
    """Set a goal with its milestones."""
    clean = draft.validated()
    steps = _check_milestones(milestones)
    now = _now()
    with vault.writing() as session:
        _live_client(session, client_id)
        row = GoalTable(client_id=client_id, created_at=now)
        row.milestones = []
        session.add(row)
        crm.apply_goal(session, row, clean, steps, now)
        audit.append(session, vault.actor, "goal", row.id, "create")
        return crm.to_goal(row)


def update_goal(
    vault: Vault,
    goal_id: int,
    draft: GoalDraft,
    milestones: tuple[MilestoneDraft, ...] | None = None,
) -> Goal:
    """Change a goal (and its milestones, when given)."""
    clean = draft.validated()
    steps = _check_milestones(milestones) if milestones is not None else None
    with vault.writing() as session:
        row = crm.load_goal(session, goal_id)
        if row is None:
            raise NotFoundError(f"There is no goal #{goal_id}.")
        before = crm.to_goal(row)
        crm.apply_goal(session, row, clean, steps, _now())
        after = crm.to_goal(row)
        changed = [
            name
            for name in GoalDraft.__dataclass_fields__
            if getattr(before, name) != getattr(after, name)
        ]
        if before.milestones != after.milestones:
            changed.append("milestones")
        if changed:
            audit.append(session, vault.actor, "goal", goal_id, "update", changed)
        return after


def delete_goal(vault: Vault, goal_id: int) -> None:
    """Remove a goal and its milestones."""
    with vault.writing() as session:
        row = session.get(GoalTable, goal_id)
        if row is None:
            raise NotFoundError(f"There is no goal #{goal_id}.")
        search.drop(session, "goal", goal_id)
        session.delete(row)
        audit.append(session, vault.actor, "goal", goal_id, "delete")


# Follow-ups -----------------------------------------------------------------------------


def list_follow_ups(vault: Vault, client_id: int) -> list[FollowUp]:
    """A client's follow-ups, open ones first, soonest first."""
    with vault.reading() as session:
        _known_client(session, client_id)
        return crm.follow_ups(session, client_id)


@dataclass(frozen=True, slots=True)
class DueList:
    """Open follow-ups due by the end of the horizon; overdue ones separate."""

    overdue: tuple[FollowUp, ...]
    upcoming: tuple[FollowUp, ...]


def due_follow_ups(vault: Vault, within: timedelta = timedelta(days=7)) -> DueList:
    """What the coach must do: overdue first, then what falls due soon."""
    now = _now()
    with vault.reading() as session:
        items = crm.follow_ups(session, open_only=True, due_before=now + within)
    return DueList(
        overdue=tuple(f for f in items if f.due_at < now),
        upcoming=tuple(f for f in items if f.due_at >= now),
    )


def add_follow_up(vault: Vault, client_id: int, draft: FollowUpDraft) -> FollowUp:
    """Schedule a follow-up for a client."""
    clean = draft.validated()
    with vault.writing() as session:
        _live_client(session, client_id)
        row = crm.add_follow_up(session, client_id, clean, _now())
        audit.append(session, vault.actor, "follow_up", row.id, "create")
        return crm.follow_up_record(session, row)


def _load_follow_up(session: Session, follow_up_id: int) -> FollowUpTable:
    row = session.get(FollowUpTable, follow_up_id)
    if row is None:
        raise NotFoundError(f"There is no follow-up #{follow_up_id}.")
    return row


def update_follow_up(vault: Vault, follow_up_id: int, draft: FollowUpDraft) -> FollowUp:
    """Change a follow-up's title, due time or recurrence."""
    clean = draft.validated()
    with vault.writing() as session:
        row = _load_follow_up(session, follow_up_id)
        row.title, row.due_at, row.recurrence = clean.title, clean.due_at, clean.recurrence.value
        search.index_follow_up(session, row)
        audit.append(session, vault.actor, "follow_up", follow_up_id, "update")
        return crm.follow_up_record(session, row)


def snooze_follow_up(vault: Vault, follow_up_id: int, by: timedelta) -> FollowUp:
    """Push a follow-up back: from now if it is overdue, else from its due time."""
    if by <= timedelta(0):
        raise ValidationError({"by": "Snooze by a positive amount of time."})
    now = _now()
    with vault.writing() as session:
        row = _load_follow_up(session, follow_up_id)
        if row.done_at is not None:
            raise ValidationError({"follow_up": "This follow-up is already done."})
        row.due_at = max(row.due_at, now) + by
        row.snoozed += 1
        audit.append(session, vault.actor, "follow_up", follow_up_id, "snooze", ["due_at"])
        return crm.follow_up_record(session, row)


def complete_follow_up(vault: Vault, follow_up_id: int) -> FollowUp | None:
    """Mark a follow-up done (it counts as contact); returns the next one if it repeats."""
    now = _now()
    with vault.writing() as session:
        row = _load_follow_up(session, follow_up_id)
        if row.done_at is not None:
            return None
        row.done_at = now
        _touch_contact(_live_client(session, row.client_id), now)
        audit.append(session, vault.actor, "follow_up", follow_up_id, "done")
        following = Recurrence(row.recurrence).next_after(row.due_at)
        if following is None:
            return None
        while following < now:
            following = Recurrence(row.recurrence).next_after(following) or now
        draft = FollowUpDraft(row.title, following, Recurrence(row.recurrence))
        fresh = crm.add_follow_up(session, row.client_id, draft, now)
        audit.append(session, vault.actor, "follow_up", fresh.id, "create")
        return crm.follow_up_record(session, fresh)


def reopen_follow_up(vault: Vault, follow_up_id: int) -> FollowUp:
    """Undo "done"."""
    with vault.writing() as session:
        row = _load_follow_up(session, follow_up_id)
        row.done_at = None
        audit.append(session, vault.actor, "follow_up", follow_up_id, "reopen")
        return crm.follow_up_record(session, row)


def delete_follow_up(vault: Vault, follow_up_id: int) -> None:
    """Remove a follow-up."""
    with vault.writing() as session:
        row = _load_follow_up(session, follow_up_id)
        search.drop(session, "follow_up", follow_up_id)
        session.delete(row)
        audit.append(session, vault.actor, "follow_up", follow_up_id, "delete")


def log_contact(vault: Vault, client_id: int, when: datetime | None = None) -> None:
    """Record that the coach was in touch (a call, a message) without writing a note."""
    with vault.writing() as session:
        client = _live_client(session, client_id)
        _touch_contact(client, when or _now())
        audit.append(session, vault.actor, "client", client_id, "contact", ["last_contact_at"])
