"""Booking, series, rescheduling and status of sessions, with the payment gate.

Moving a session keeps its row and its UID: the start changes in place, the ICS
SEQUENCE goes up by one and the audit trail records that `starts_at` changed, so a
re-exported calendar (or a resent invite) updates the same event instead of adding
another. The `rescheduled` status and `rescheduled_from_id` are therefore not used
by `reschedule`.

Payment gate: `gate(vault, client_id)` says what stands in the way of booking. With
the BOOKING_GATE setting on `block`, `book` and `book_series` raise `BookingBlockedError`
listing the reasons; on `warn` they book anyway, and a front end shows the warning by
calling `gate()` first (before it confirms the booking); on `off` nothing is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from coachdesk.domain.billing import GateMode, format_money
from coachdesk.domain.clients import display_name
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.scheduling import (
    NoticeRequiredError,
    Policy,
    Repeat,
    SessionDraft,
    SessionStatus,
    cancel_status,
    check_zone,
    in_zone,
    series_starts,
    within_notice,
)
from coachdesk.domain.scheduling import Session as BookedSession
from coachdesk.services import practice, vault_settings
from coachdesk.settings import BOOKING_GATE
from coachdesk.store import audit
from coachdesk.store import scheduling as store
from coachdesk.store.tables import (
    ClientTable,
    CohortTable,
    EnrolmentTable,
    OfferVersionTable,
    SessionTable,
)
from coachdesk.store.vault import Vault

MARKABLE = (
    SessionStatus.SCHEDULED,
    SessionStatus.DONE,
    SessionStatus.NO_SHOW,
    SessionStatus.LATE_CANCEL,
    SessionStatus.CANCELLED,
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_uid() -> str:
    """A session's calendar UID: unique, and kept for the session's whole life."""
    return f"{uuid4().hex}@coachdesk"


@dataclass(frozen=True, slots=True)
class GateResult:
    """What the payment gate says about booking for a client.

    Args:
        mode: the BOOKING_GATE setting.
        reasons: plain sentences, empty when nothing stands in the way.
    """

    mode: GateMode
    reasons: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        """Whether booking is refused."""
        return self.mode is GateMode.BLOCK and bool(self.reasons)

    @property
    def warns(self) -> bool:
        """Whether the coach should be warned before booking."""
        return self.mode is GateMode.WARN and bool(self.reasons)


class BookingBlockedError(KnownError):
    """The payment gate refuses a booking.

    Args:
        reasons: why, as plain sentences.
    """

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__("Booking is blocked: " + " ".join(reasons) + " (Settings → booking gate.)")
        self.reasons = reasons


def _long_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _mode(vault: Vault) -> GateMode:
    return GateMode(str(vault_settings.get(vault, BOOKING_GATE)))


def _coach_zone(vault: Vault) -> str:
    return practice.get_profile(vault).time_zone or "UTC"


def _live_client(session: Session, client_id: int) -> ClientTable:
    row = session.get(ClientTable, client_id)
    if row is None:
        raise NotFoundError(f"There is no client #{client_id}.")
    if row.deleted_at is not None:
        raise KnownError(f"Client #{client_id} is in the Trash; restore them first.")
    return row


def _version(session: Session, enrolment: EnrolmentTable) -> OfferVersionTable:
    version = session.get(OfferVersionTable, enrolment.offer_version_id)
    assert version is not None
    return version


def _left(session: Session, enrolment: EnrolmentTable) -> int:
    used = store.sessions_counted(session, enrolment, store.policy_of(_version(session, enrolment)))
    return max(0, enrolment.sessions_allowed - used)


def _active_enrolments(session: Session, client_id: int, today: date) -> list[EnrolmentTable]:
    rows = session.scalars(
        select(EnrolmentTable)
        .where(EnrolmentTable.client_id == client_id, EnrolmentTable.active.is_(True))
        .order_by(EnrolmentTable.start_on, EnrolmentTable.id)
    )
    return [r for r in rows if r.end_on is None or r.end_on >= today]


def _pick_enrolment(
    session: Session, client_id: int, enrolment_id: int | None, today: date
) -> EnrolmentTable | None:
    """The enrolment given, else the oldest active one with sessions left, else the newest.

    Booking past the allowance (gate on warn or off) still counts on the newest
    enrolment, so its sessions used show the overrun.
    """
    if enrolment_id is not None:
        row = session.get(EnrolmentTable, enrolment_id)
        if row is None or row.client_id != client_id:
            raise NotFoundError(f"Client #{client_id} has no enrolment #{enrolment_id}.")
        if not row.active:
            raise KnownError(f"Enrolment #{enrolment_id} has ended; book on a current one.")
        return row
    active = _active_enrolments(session, client_id, today)
    for row in active:
        if _left(session, row) > 0:
            return row
    return active[-1] if active else None


def _reasons(
    session: Session,
    client_id: int,
    today: date,
    needed: int,
    enrolment: EnrolmentTable | None,
) -> tuple[str, ...]:
    reasons = [
        f"An invoice is overdue ({o.number}, {format_money(o.due_minor, o.currency)}, "
        f"due {_long_date(o.due_on)})."
        for o in store.overdue_invoices(session, client_id, today)
    ]
    if enrolment is not None:
        left = _left(session, enrolment)
        name = _version(session, enrolment).name
        if left == 0:
            reasons.append(f"No sessions left on {name}.")
        elif left < needed:
            reasons.append(f"Only {left} sessions left on {name}; this books {needed}.")
    return tuple(reasons)


MAX_CLASHES_SHOWN = 3


def clashes(
    vault: Vault, starts: Sequence[datetime], minutes: int, ignore_id: int | None = None
) -> tuple[str, ...]:
    """Plain sentences for the times in `starts` (naive UTC) that overlap a scheduled
    session or an imported busy time; empty when the diary is clear."""
    if not starts:
        return ()
    zone = _coach_zone(vault)
    length = timedelta(minutes=minutes)
    first, last = min(starts), max(starts) + length
    with vault.reading() as session:
        booked = [
            s
            for s in store.sessions_between(
                session, first - timedelta(hours=8), last, statuses=(SessionStatus.SCHEDULED,)
            )
            if s.id != ignore_id
        ]
        busy = store.busy_between(session, first, last)
    found: list[str] = []
    for start in sorted(starts):
        end = start + length
        when = in_zone(start, zone)
        label = f"{when:%a} {when.day} {when:%b %H:%M}"
        other = next((s for s in booked if s.overlaps(start, end)), None)
        if other is not None:
            at = in_zone(other.starts_at, zone)
            who = other.client_name or "a group"
            found.append(f"{label} overlaps your session with {who} at {at:%H:%M}.")
        elif any(b.starts_at < end and start < b.ends_at for b in busy):
            found.append(f"{label} overlaps a busy time in your other calendar.")
    if len(found) > MAX_CLASHES_SHOWN:
        more = len(found) - MAX_CLASHES_SHOWN
        found = [*found[:MAX_CLASHES_SHOWN], f"And {more} more."]
    return tuple(found)


def _today(vault: Vault) -> date:
    """Today where the coach is: invoices fall due, and enrolments end, on local dates."""
    return in_zone(_now(), _coach_zone(vault)).date()


def gate(
    vault: Vault, client_id: int, needed: int = 1, enrolment_id: int | None = None
) -> GateResult:
    """What the payment gate says about booking `needed` sessions for a client.

    Overdue invoices always count; "no sessions left" applies when the client has an
    active enrolment (a client with none, say for a discovery call, is not held up).
    """
    mode = _mode(vault)
    today = _today(vault)
    with vault.reading() as session:
        _live_client(session, client_id)
        enrolment = _pick_enrolment(session, client_id, enrolment_id, today)
        return GateResult(mode, _reasons(session, client_id, today, needed, enrolment))


def _check_gate(
    mode: GateMode,
    session: Session,
    client_id: int,
    today: date,
    needed: int,
    enrolment: EnrolmentTable | None,
) -> None:
    if mode is GateMode.OFF:
        return
    result = GateResult(mode, _reasons(session, client_id, today, needed, enrolment))
    if result.blocks:
        raise BookingBlockedError(result.reasons)


def _insert(
    session: Session,
    draft: SessionDraft,
    now: datetime,
    series_id: str = "",
    override_reason: str = "",
) -> SessionTable:
    row = SessionTable(
        uid=new_uid(),
        client_id=draft.client_id,
        cohort_id=draft.cohort_id,
        enrolment_id=draft.enrolment_id,
        series_id=series_id,
        starts_at=draft.starts_at,
        minutes=draft.minutes,
        coach_zone=draft.coach_zone,
        client_zone=draft.client_zone,
        status=str(SessionStatus.SCHEDULED),
        location=draft.location,
        sequence=0,
        override_reason=override_reason,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _client_zone(client: ClientTable | None, given: str, coach_zone: str) -> str:
    if given:
        return given
    if client is not None and client.time_zone:
        return client.time_zone
    return coach_zone


def book(vault: Vault, draft: SessionDraft, override_reason: str = "") -> BookedSession:
    """Book one session for a client or a cohort.

    The coach's zone comes from the practice profile; the client's defaults to their
    record's time zone, else the coach's. With no enrolment given, the client's active
    enrolment with sessions left is used.

    A non-empty `override_reason` books past a blocking gate; it is stored on the
    session and audited.

    Raises:
        BookingBlockedError: the payment gate is on `block` and something is owed.
    """
    reason = " ".join(override_reason.split())
    mode = GateMode.OFF if reason else _mode(vault)
    coach_zone = _coach_zone(vault)
    now = _now()
    today = _today(vault)
    with vault.writing() as session:
        client = None if draft.client_id is None else _live_client(session, draft.client_id)
        if draft.cohort_id is not None and session.get(CohortTable, draft.cohort_id) is None:
            raise NotFoundError(f"There is no cohort #{draft.cohort_id}.")
        enrolment = None
        if client is not None:
            enrolment = _pick_enrolment(session, client.id, draft.enrolment_id, today)
            _check_gate(mode, session, client.id, today, 1, enrolment)
        clean = replace(
            draft,
            coach_zone=coach_zone,
            client_zone=_client_zone(client, draft.client_zone, coach_zone),
            enrolment_id=enrolment.id if enrolment is not None else None,
        ).validated()
        row = _insert(session, clean, now, override_reason=reason)
        audit.append(
            session, vault.actor, "session", row.id, "create", ["override_reason"] if reason else []
        )
        return store.to_session(row, _name(client))


def _name(client: ClientTable | None) -> str:
    if client is None:
        return ""
    return display_name(client.first_name, client.last_name, client.preferred_name)


def book_series(
    vault: Vault,
    client_id: int,
    first_day: date,
    at: time,
    zone: str,
    repeat: Repeat,
    count: int,
    minutes: int,
    enrolment_id: int | None = None,
    location: str = "",
    override_reason: str = "",
) -> list[BookedSession]:
    """Book `count` sessions at the same wall-clock time in `zone`, all or none.

    The UTC times move across daylight-saving changes so the time in `zone` stays put.

    A non-empty `override_reason` books past a blocking gate (stored and audited).

    Raises:
        BookingBlockedError: the gate is on `block` and an invoice is overdue, or the
            enrolment has fewer sessions left than the series needs.
    """
    zone = check_zone(zone, "zone")
    starts = series_starts(first_day, at, zone, repeat, count)
    reason = " ".join(override_reason.split())
    mode = GateMode.OFF if reason else _mode(vault)
    coach_zone = _coach_zone(vault)
    now = _now()
    today = _today(vault)
    series_id = uuid4().hex
    with vault.writing() as session:
        client = _live_client(session, client_id)
        enrolment = _pick_enrolment(session, client_id, enrolment_id, today)
        _check_gate(mode, session, client_id, today, count, enrolment)
        client_zone = _client_zone(client, "", coach_zone)
        booked = []
        for start in starts:
            draft = SessionDraft(
                client_id,
                start,
                minutes,
                coach_zone,
                client_zone,
                enrolment.id if enrolment is not None else None,
                None,
                location,
            ).validated()
            row = _insert(session, draft, now, series_id, reason)
            fields = ["series_id", "override_reason"] if reason else ["series_id"]
            audit.append(session, vault.actor, "session", row.id, "create", fields)
            booked.append(store.to_session(row, _name(client)))
        return booked


def _session_row(session: Session, session_id: int) -> SessionTable:
    row = session.get(SessionTable, session_id)
    if row is None:
        raise NotFoundError(f"There is no session #{session_id}.")
    return row


def _policy(session: Session, row: SessionTable) -> Policy:
    """The rules of the offer the session was sold under (defaults with no enrolment)."""
    if row.enrolment_id is not None:
        enrolment = session.get(EnrolmentTable, row.enrolment_id)
        if enrolment is not None:
            return store.policy_of(_version(session, enrolment))
    if row.cohort_id is not None:
        cohort = session.get(CohortTable, row.cohort_id)
        if cohort is not None:
            version = session.get(OfferVersionTable, cohort.offer_version_id)
            if version is not None:
                return store.policy_of(version)
    return Policy()


def _hours(delta: timedelta) -> str:
    hours = max(0, int(delta.total_seconds() // 3600))
    return "1 hour" if hours == 1 else f"{hours} hours"


def reschedule(
    vault: Vault, session_id: int, new_start: datetime, override_reason: str = ""
) -> BookedSession:
    """Move a scheduled session to `new_start` (naive UTC), keeping its UID.

    Inside the offer's notice window this is refused unless the coach gives a reason,
    which is stored on the session and audited.
    """
    if new_start.tzinfo is not None:
        raise ValueError("new_start must be naive UTC")
    reason = " ".join(override_reason.split())
    now = _now()
    with vault.writing() as session:
        row = _session_row(session, session_id)
        if SessionStatus(row.status) is not SessionStatus.SCHEDULED:
            label = SessionStatus(row.status).label.lower()
            raise KnownError(f"Session #{session_id} is {label}; only a scheduled one can move.")
        if new_start < now:
            raise ValidationError({"starts_at": "Choose a time in the future."})
        policy = _policy(session, row)
        fields = ["starts_at", "sequence"]
        late_move = within_notice(row.starts_at, now, policy)
        late_slot = within_notice(new_start, now, policy)
        if late_move or late_slot:
            if not reason:
                when = row.starts_at if late_move else new_start
                what = "the session starts" if late_move else "the new time is"
                raise NoticeRequiredError(
                    f"This offer needs {policy.notice_hours} hours' notice to reschedule; "
                    f"{what} in {_hours(when - now)}. Give a reason to override."
                )
            # Each override is added, never overwritten: the session keeps why it moved.
            entry = f"{now:%Y-%m-%d %H:%M} UTC: {reason}"
            row.override_reason = "\n".join(filter(None, (row.override_reason, entry)))
            fields.append("override_reason")
        row.starts_at = new_start.replace(second=0, microsecond=0)
        row.sequence += 1
        row.updated_at = now
        audit.append(session, vault.actor, "session", row.id, "reschedule", fields)
        return store.to_session(row, _row_client_name(session, row))


def move(
    vault: Vault, session_id: int, new_start: datetime, override_reason: str = ""
) -> BookedSession:
    """Drag a session in the week view: a reschedule with the same rules."""
    return reschedule(vault, session_id, new_start, override_reason)


def _row_client_name(session: Session, row: SessionTable) -> str:
    if row.client_id is None:
        return ""
    return _name(session.get(ClientTable, row.client_id))


def mark(vault: Vault, session_id: int, status: SessionStatus) -> BookedSession:
    """Record how a session went: done, no-show, late cancel or cancelled."""
    status = SessionStatus(status)
    if status not in MARKABLE:
        raise ValidationError(
            {"status": "Mark a session done, no_show, late_cancel, cancelled or scheduled."}
        )
    with vault.writing() as session:
        row = _session_row(session, session_id)
        if status is SessionStatus.CANCELLED:
            # Inside the notice window a cancellation is late, whoever records it.
            status = cancel_status(row.starts_at, _now(), _policy(session, row))
        if row.status != str(status):
            row.status = str(status)
            row.updated_at = _now()
            row.sequence += 1
            audit.append(session, vault.actor, "session", row.id, "mark", ["status", "sequence"])
        return store.to_session(row, _row_client_name(session, row))


def cancel(vault: Vault, session_id: int) -> BookedSession:
    """Cancel a session: a late cancel inside the offer's notice window."""
    return mark(vault, session_id, SessionStatus.CANCELLED)


def get_session(vault: Vault, session_id: int) -> BookedSession:
    """One session."""
    with vault.reading() as session:
        row = _session_row(session, session_id)
        return store.to_session(row, _row_client_name(session, row))


def list_sessions(
    vault: Vault, start: datetime, end: datetime, client_id: int | None = None
) -> list[BookedSession]:
    """Sessions starting in [start, end) (naive UTC), soonest first."""
    with vault.reading() as session:
        return store.sessions_between(session, start, end, client_id)


def agenda(vault: Vault, days: int = 7) -> list[BookedSession]:
    """Scheduled sessions from now through the next `days` days."""
    now = _now()
    with vault.reading() as session:
        return store.sessions_between(
            session, now, now + timedelta(days=days), statuses=(SessionStatus.SCHEDULED,)
        )
