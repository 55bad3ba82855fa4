"""The calendar around sessions: ICS out and in, availability, proposing times, reminders.

Nothing here writes a file on its own: the ICS and .eml bytes go to the caller,
which saves them where the coach chose (or hands a draft to the mail client).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from coachdesk.documents import eml
from coachdesk.domain.calendar_files import (
    BusyEvent,
    EventText,
    calendar_bytes,
    calendar_name,
    read_busy,
    session_event,
)
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.scheduling import (
    Busy,
    Session,
    SessionStatus,
    WorkingHours,
    free_slots,
    in_zone,
)
from coachdesk.services import practice, vault_settings
from coachdesk.settings import REMINDER_HOURS
from coachdesk.store import audit
from coachdesk.store import clients as client_store
from coachdesk.store import scheduling as store
from coachdesk.store.tables import (
    BlockedDateTable,
    BusyTimeTable,
    SessionTable,
    WorkingHoursTable,
)
from coachdesk.store.vault import Vault

IMPORT_DAYS_BACK = 7
IMPORT_DAYS_AHEAD = 180
MAX_SOURCE = 120


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _coach_zone(vault: Vault) -> str:
    return practice.get_profile(vault).time_zone or "UTC"


def _title(session: Session, coach_name: str, for_client: bool) -> str:
    if for_client:
        return f"Coaching session with {coach_name}" if coach_name else "Coaching session"
    if session.client_name:
        return f"Session: {session.client_name}"
    return "Group session" if session.cohort_id is not None else "Cancelled session"


def _load(vault: Vault, session_id: int) -> Session:
    with vault.reading() as session:
        row = session.get(SessionTable, session_id)
        if row is None:
            raise NotFoundError(f"There is no session #{session_id}.")
        found = store.sessions_between(
            session, row.starts_at, row.starts_at + timedelta(seconds=1), row.client_id
        )
    match = next((s for s in found if s.id == session_id), None)
    if match is None:  # its client is in the Trash
        raise NotFoundError(f"Session #{session_id} belongs to a client in the Trash.")
    return match


# ICS out ------------------------------------------------------------------------------------


def export_calendar(vault: Vault, start: datetime | None = None) -> bytes:
    """Every session from `start` (default: a year back) as one ICS file, for the coach.

    Cancelled and moved sessions are included as cancelled, so a calendar that
    imported an earlier export updates them instead of keeping stale events.
    """
    begin = start or _now() - timedelta(days=365)
    with vault.reading() as session:
        sessions = store.sessions_between(
            session, begin, datetime(9999, 1, 1), trashed_as_cancelled=True
        )
    stamp = _now()
    profile = practice.get_profile(vault)
    events = (
        session_event(s, EventText(_title(s, profile.coach_name, False)), stamp) for s in sessions
    )
    return calendar_bytes(events, name=f"{profile.business_name or 'CoachDesk'} sessions")


def session_invite(vault: Vault, session_id: int) -> bytes:
    """An invite for one session, to attach to an e-mail to the client (no private notes)."""
    found = _load(vault, session_id)
    profile = practice.get_profile(vault)
    when = in_zone(found.starts_at, found.client_zone)
    description = f"{when:%A %-d %B %Y, %H:%M} ({found.client_zone}), {found.minutes} minutes."
    event = session_event(
        found, EventText(_title(found, profile.coach_name, True), description), _now()
    )
    # PUBLISH: the client's calendar adds (or, for a later SEQUENCE, updates) the event;
    # REQUEST would need an organiser address, which the practice profile does not hold.
    return calendar_bytes([event], method="PUBLISH")


# ICS in -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BusyImport:
    """What importing another calendar did."""

    source: str
    busy: int
    replaced: int


def import_busy(vault: Vault, data: bytes, source: str) -> BusyImport:
    """Replace the busy times from `source` with those in an ICS file (one transaction).

    Importing the same calendar again updates it; only start and end are kept.

    Raises:
        CalendarFileError: the file is not a calendar.
    """
    # The calendar's own name tells two exports both called "calendar.ics" apart.
    source = " ".join((calendar_name(data) or source).split())[:MAX_SOURCE] or "Imported calendar"
    now = _now()
    events: list[BusyEvent] = read_busy(
        data,
        _coach_zone(vault),
        now - timedelta(days=IMPORT_DAYS_BACK),
        now + timedelta(days=IMPORT_DAYS_AHEAD),
    )
    unique = {(e.uid, e.starts_at): e for e in events}
    with vault.writing() as session:
        replaced = session.execute(delete(BusyTimeTable).where(BusyTimeTable.source == source))
        session.add_all(
            BusyTimeTable(source=source, uid=e.uid[:255], starts_at=e.starts_at, ends_at=e.ends_at)
            for e in unique.values()
        )
        audit.append(session, vault.actor, "busy_times", source, "import", ["busy"])
    return BusyImport(source, len(unique), int(getattr(replaced, "rowcount", 0) or 0))


def import_busy_file(vault: Vault, path: Path, source: str = "") -> BusyImport:
    """Busy times from another calendar's .ics file (named `source`, else after the file,
    unless the calendar names itself).

    Raises:
        KnownError: the file cannot be read; CalendarFileError: it is not a calendar.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnownError(f"Could not read {path.name}: {exc.strerror or exc}.") from None
    return import_busy(vault, data, source or path.stem)


# Availability ---------------------------------------------------------------------------------


def set_working_hours(vault: Vault, hours: Sequence[WorkingHours]) -> list[WorkingHours]:
    """Replace the coach's weekly hours (in the coach's zone)."""
    checked = sorted((h.validated() for h in hours), key=lambda h: (h.weekday, h.start_minute))
    for before, after in itertools.pairwise(checked):
        if before.weekday == after.weekday and after.start_minute < before.end_minute:
            raise ValidationError({"hours": "Two stretches of the same day overlap."})
    with vault.writing() as session:
        session.execute(delete(WorkingHoursTable))
        session.add_all(
            WorkingHoursTable(
                weekday=h.weekday, start_minute=h.start_minute, end_minute=h.end_minute
            )
            for h in checked
        )
        audit.append(session, vault.actor, "working_hours", 1, "update", ["hours"])
    return checked


def working_hours(vault: Vault) -> list[WorkingHours]:
    """The coach's weekly hours."""
    with vault.reading() as session:
        return store.working_hours(session)


def block_dates(vault: Vault, days: Sequence[date], note: str = "") -> None:
    """Days the coach takes no sessions (holidays, training)."""
    with vault.writing() as session:
        for day in days:
            if session.get(BlockedDateTable, day) is None:
                session.add(BlockedDateTable(day=day, note=note.strip()[:200]))
        audit.append(session, vault.actor, "blocked_dates", len(days), "create")


def blocked_dates(vault: Vault) -> list[date]:
    """Every day off, in order."""
    with vault.reading() as session:
        return store.blocked_dates(session, date.min, date.max)


def unblock_dates(vault: Vault, days: Sequence[date]) -> None:
    """Make blocked days available again."""
    with vault.writing() as session:
        session.execute(delete(BlockedDateTable).where(BlockedDateTable.day.in_(list(days))))
        audit.append(session, vault.actor, "blocked_dates", len(days), "delete")


def free_times(
    vault: Vault, days: int = 14, minutes: int = 60, start: date | None = None
) -> list[datetime]:
    """Free slots (naive UTC) in the coach's hours, clear of sessions and busy times."""
    zone = _coach_zone(vault)
    now = _now()
    first = start or in_zone(now, zone).date()
    window_start = datetime.combine(first, datetime.min.time()) - timedelta(days=1)
    window_end = window_start + timedelta(days=days + 2)
    live = (SessionStatus.SCHEDULED, SessionStatus.DONE)
    with vault.reading() as session:
        hours = store.working_hours(session)
        blocked = store.blocked_dates(session, first, first + timedelta(days=days))
        busy = store.busy_between(session, window_start, window_end)
        booked = store.sessions_between(session, window_start, window_end, statuses=live)
    busy += [Busy(s.starts_at, s.ends_at) for s in booked]
    return list(
        free_slots(
            hours, blocked, busy, zone, first, days, minutes, not_before=now + timedelta(hours=2)
        )
    )


@dataclass(frozen=True, slots=True)
class Proposal:
    """A message offering free times, in the client's time zone."""

    to: str
    subject: str
    body: str
    slots: tuple[datetime, ...]


def propose_times(
    vault: Vault, client_id: int, days: int = 14, count: int = 6, minutes: int = 60
) -> Proposal:
    """A ready-to-send message listing free times in the client's zone."""
    with vault.reading() as session:
        client = client_store.get(session, client_id)
    if client is None or client.deleted_at is not None:
        raise NotFoundError(f"There is no client #{client_id}.")
    profile = practice.get_profile(vault)
    zone = client.time_zone or profile.time_zone or "UTC"
    slots = tuple(_spread(free_times(vault, days, minutes), count))
    if not slots:
        raise ValidationError(
            {"hours": "No free times in the next weeks: set your working hours first."}
        )
    name = client.preferred_name or client.first_name or client.display_name
    lines = [
        f"Hi {name},",
        "",
        f"Here are some times for our next session ({minutes} minutes):",
        "",
    ]
    lines += [f"  • {in_zone(s, zone):%A %-d %B, %H:%M}" for s in slots]
    lines += ["", f"Times are in your time zone ({zone}). Reply with the one that suits you best."]
    lines += ["", "Best wishes,", profile.coach_name]
    subject = f"Times for our next session — {profile.business_name or profile.coach_name}"
    to = client.emails[0] if client.emails else ""
    return Proposal(to, subject, "\n".join(lines) + "\n", slots)


def _spread(slots: list[datetime], count: int) -> list[datetime]:
    """At most `count` slots, no two on the same day while other days have some."""
    chosen: list[datetime] = []
    days: set[date] = set()
    for slot in slots:
        if slot.date() not in days:
            chosen.append(slot)
            days.add(slot.date())
        if len(chosen) == count:
            return chosen
    for slot in slots:
        if slot not in chosen:
            chosen.append(slot)
        if len(chosen) == count:
            break
    return sorted(chosen)


def proposal_eml(proposal: Proposal, client_name: str) -> bytes:
    """The proposal as an unsent .eml draft (no attachment)."""
    return eml.draft(client_name, proposal.to, proposal.subject, proposal.body)


# Reminders ------------------------------------------------------------------------------------


def due_reminders(vault: Vault, now: datetime | None = None) -> list[Session]:
    """Scheduled sessions starting within the reminder window from now."""
    moment = now or _now()
    hours = int(vault_settings.get(vault, REMINDER_HOURS))
    with vault.reading() as session:
        return store.sessions_between(
            session,
            moment,
            moment + timedelta(hours=hours),
            statuses=(SessionStatus.SCHEDULED,),
        )


def reminder_email(vault: Vault, session_id: int) -> tuple[str, bytes]:
    """A reminder e-mail draft for the client with the invite attached; (file name, bytes).

    It says when and where, in the client's zone, and nothing from any note.
    """
    found = _load(vault, session_id)
    if found.client_id is None:
        raise ValidationError({"session": "Reminders go to one client; this is a group session."})
    with vault.reading() as session:
        client = client_store.get(session, found.client_id)
    assert client is not None
    profile = practice.get_profile(vault)
    when = in_zone(found.starts_at, found.client_zone)
    name = client.preferred_name or client.first_name or client.display_name
    body = (
        f"Hi {name},\n\nA reminder of our session on {when:%A %-d %B at %H:%M} "
        f"({found.client_zone}), {found.minutes} minutes."
        + (f"\nWhere: {found.location}" if found.location else "")
        + f"\n\nSee you then,\n{profile.coach_name}\n"
    )
    subject = f"Reminder: our session on {when:%-d %B, %H:%M}"
    to = client.emails[0] if client.emails else ""
    data = eml.draft(
        client.display_name,
        to,
        subject,
        body,
        "session.ics",
        session_invite(vault, session_id),
        "text/calendar",
    )
    return f"Session reminder {when:%Y-%m-%d %H%M}.eml", data


def busy_times(vault: Vault, start: datetime, end: datetime) -> list[Busy]:
    """Imported busy times overlapping [start, end) (naive UTC)."""
    with vault.reading() as session:
        return store.busy_between(session, start, end)


def delete_busy_source(vault: Vault, source: str) -> int:
    """Forget a calendar imported earlier; how many busy times went."""
    with vault.writing() as session:
        count = len(
            list(session.scalars(select(BusyTimeTable.id).where(BusyTimeTable.source == source)))
        )
        session.execute(delete(BusyTimeTable).where(BusyTimeTable.source == source))
        audit.append(session, vault.actor, "busy_times", source, "delete")
    return count
