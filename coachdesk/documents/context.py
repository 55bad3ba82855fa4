"""What a template can read: the practice and the client's record, as plain data.

Templates get dicts, lists, strings, numbers and dates only (no objects with
methods), built fresh for each document from the services' frozen rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from coachdesk.documents.types import DocType
from coachdesk.domain.clients import Client, ClientStatus, ClientType, Objective
from coachdesk.domain.compliance import DEFAULT_NOTICES, ConsentLine, Purpose
from coachdesk.domain.crm import FollowUp, Goal, GoalStatus, Note, NoteKind
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import OfferTerms


@dataclass(frozen=True, slots=True)
class Record:
    """A client's record as the document engine needs it."""

    client: Client
    goals: tuple[Goal, ...] = ()
    notes: tuple[Note, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    offer: OfferTerms | None = None  # what the client's latest enrolment was sold under
    consents: tuple[ConsentLine, ...] = ()  # each purpose's wording and the client's answer


def _offer(terms: OfferTerms | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    return {
        "name": terms.name,
        "tier": terms.tier.label,
        "outcome": terms.outcome,
        "included": list(terms.included),
        "excluded": list(terms.excluded),
        "timeline": terms.timeline,
        "sessions": terms.session_count,
        "session_minutes": terms.session_minutes,
        "price": f"{terms.price_minor / 100:.2f}",
        "currency": terms.currency,
    }


def _practice(profile: PracticeProfile) -> dict[str, Any]:
    return {
        "coach_name": profile.coach_name,
        "business_name": profile.business_name,
        "name": profile.business_name or profile.coach_name,
        "currency": profile.currency,
        "time_zone": profile.time_zone,
    }


def _client(client: Client) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.display_name,
        "full_name": f"{client.first_name} {client.last_name}".strip() or client.display_name,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "preferred_name": client.preferred_name,
        "greeting_name": client.preferred_name or client.first_name or client.display_name,
        "email": client.emails[0] if client.emails else "",
        "emails": list(client.emails),
        "phone": client.phones[0] if client.phones else "",
        "phones": list(client.phones),
        "company": client.company,
        "role": client.role,
        "time_zone": client.time_zone,
        "stage": client.stage_name,
        "status": str(client.status),
        "client_type": ClientType(client.client_type).label,
        "objective": Objective(client.objective).label if client.objective else "",
        "birthday": client.birthday,
        "tags": list(client.tags),
        "lead_source": client.lead_source,
        "client_since": client.created_at.date(),
    }


def _blank_client() -> dict[str, Any]:
    fields = _client(
        Client(
            id=0,
            first_name="",
            last_name="",
            preferred_name="",
            emails=(),
            phones=(),
            company="",
            role="",
            time_zone="",
            locale="",
            lead_source="",
            status=ClientStatus.LEAD,
            tags=(),
            notes="",
            created_at=datetime.now(UTC).replace(tzinfo=None),
            updated_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )
    fields |= {"name": "", "full_name": "", "greeting_name": "", "client_type": "", "stage": ""}
    return fields


def _goal(goal: Goal) -> dict[str, Any]:
    done = sum(1 for m in goal.milestones if m.done_at is not None)
    return {
        "objective": goal.objective,
        "measure": goal.measure,
        "target_on": goal.target_on,
        "status": str(goal.status),
        "status_label": GoalStatus(goal.status).label,
        "progress": goal.progress,
        "achieved": goal.status is GoalStatus.ACHIEVED,
        "milestones": [
            {"title": m.title, "due_on": m.due_on, "done": m.done_at is not None}
            for m in goal.milestones
        ],
        "milestones_done": done,
        "milestones_total": len(goal.milestones),
    }


def _note(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "kind": str(note.kind),
        "kind_label": NoteKind(note.kind).label,
        "occurred_on": note.occurred_on,
        "text": note.text,
        "themes": list(note.themes),
        "blockers": list(note.blockers),
    }


def _follow_up(item: FollowUp) -> dict[str, Any]:
    return {
        "title": item.title,
        "due_on": item.due_at.replace(tzinfo=UTC).astimezone().date(),
        "done": item.done_at is not None,
    }


def _consents(lines: Sequence[ConsentLine], prefill: bool) -> list[dict[str, Any]]:
    if not lines:  # a blank form: the built-in wording, nothing ticked
        return [
            {
                "purpose": p.value,
                "label": p.label,
                "notice": DEFAULT_NOTICES[p],
                "version": 1,
                "given": False,
                "given_on": None,
                "method": "",
            }
            for p in Purpose
        ]
    result = []
    for line in lines:
        latest = line.state.latest if line.state.given else None
        given = prefill and latest is not None and latest.notice_version == line.notice.version
        result.append(
            {
                "purpose": line.notice.purpose.value,
                "label": line.notice.purpose.label,
                "notice": line.notice.text,
                "version": line.notice.version,
                "given": given,
                "given_on": latest.given_on if given and latest else None,
                "method": latest.method.label if given and latest else "",
            }
        )
    return result


def chosen_note(notes: Sequence[Note], note_id: str) -> Note | None:
    """The session note a summary is about: the one asked for, else the latest."""
    sessions = [n for n in notes if n.kind is NoteKind.SESSION]
    if note_id:
        return next((n for n in notes if n.id == int(note_id)), None)
    return max(sessions, key=lambda n: (n.occurred_on, n.id), default=None)


def build(
    kind: DocType,
    profile: PracticeProfile,
    record: Record | None,
    options: Mapping[str, str],
    today: date,
    title: str = "",
) -> dict[str, Any]:
    """The context for one document of `kind` (a blank form when `record` is None).

    `title` is the made document's title, which the e-mail template may quote; before
    the document exists it is made up from the type and the client's name.
    """
    if record is None or (kind.key == "intake_form" and options.get("prefill") == "no"):
        client, goals, notes, follow_ups, note = _blank_client(), [], [], [], None
        consents = _consents((), False)
    else:
        client = _client(record.client)
        goals = [_goal(g) for g in record.goals if g.status is not GoalStatus.DROPPED]
        ordered = sorted(record.notes, key=lambda n: (n.occurred_on, n.id), reverse=True)
        since = options.get("since")
        if since:
            ordered = [n for n in ordered if n.occurred_on >= date.fromisoformat(since)]
        notes = [_note(n) for n in ordered]
        open_items = sorted(
            (f for f in record.follow_ups if f.done_at is None), key=lambda f: f.due_at
        )
        follow_ups = [_follow_up(f) for f in open_items]
        picked = chosen_note(record.notes, options.get("note", ""))
        note = _note(picked) if picked else None
        consents = _consents(record.consents, options.get("prefill") != "no")
    return {
        "practice": _practice(profile),
        "client": client,
        "goals": goals,
        "notes": notes,
        "follow_ups": follow_ups,
        "note": note,
        "offer": _offer(record.offer) if record is not None and client["name"] else None,
        "consents": consents,
        "options": dict(options),
        "today": today,
        "document": {
            "type": kind.key,
            "name": kind.name,
            "title": title or ": ".join(filter(None, (kind.name, client["name"]))),
        },
    }
