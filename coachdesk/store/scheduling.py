"""Sessions, offers, enrolments and availability: queries shared by the services."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coachdesk.domain.billing import InvoiceStatus
from coachdesk.domain.clients import display_name
from coachdesk.domain.scheduling import (
    Busy,
    OfferTerms,
    PaymentTerms,
    Policy,
    SessionStatus,
    Tier,
    WorkingHours,
    uses_allowance,
)
from coachdesk.domain.scheduling import Session as BookedSession
from coachdesk.store import billing
from coachdesk.store.tables import (
    BlockedDateTable,
    BusyTimeTable,
    ClientTable,
    EnrolmentTable,
    InvoiceTable,
    OfferVersionTable,
    SessionTable,
    WorkingHoursTable,
)


def to_terms(row: OfferVersionTable) -> OfferTerms:
    """The plain terms of a stored offer version."""
    return OfferTerms(
        name=row.name,
        tier=Tier(row.tier),
        outcome=row.outcome,
        included=tuple(json.loads(row.included)),
        excluded=tuple(json.loads(row.excluded)),
        timeline=row.timeline,
        session_count=row.session_count,
        session_minutes=row.session_minutes,
        price_minor=row.price_minor,
        currency=row.currency,
        tax_rate_bp=row.tax_rate_bp,
        payment_terms=PaymentTerms(row.payment_terms),
        instalments=row.instalments,
        notice_hours=row.notice_hours,
        late_cancel_counts=row.late_cancel_counts,
        no_show_counts=row.no_show_counts,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


def terms_columns(terms: OfferTerms) -> dict[str, object]:
    """The columns of an offer version holding `terms`."""
    return {
        "name": terms.name,
        "tier": str(terms.tier),
        "outcome": terms.outcome,
        "included": json.dumps(list(terms.included), ensure_ascii=False),
        "excluded": json.dumps(list(terms.excluded), ensure_ascii=False),
        "timeline": terms.timeline,
        "session_count": terms.session_count,
        "session_minutes": terms.session_minutes,
        "price_minor": terms.price_minor,
        "currency": terms.currency,
        "tax_rate_bp": terms.tax_rate_bp,
        "payment_terms": str(terms.payment_terms),
        "instalments": terms.instalments,
        "notice_hours": terms.notice_hours,
        "late_cancel_counts": terms.late_cancel_counts,
        "no_show_counts": terms.no_show_counts,
        "valid_from": terms.valid_from,
        "valid_until": terms.valid_until,
    }


def to_session(row: SessionTable, client_name: str = "") -> BookedSession:
    """The plain form of a stored session."""
    return BookedSession(
        id=row.id,
        uid=row.uid,
        client_id=row.client_id,
        client_name=client_name,
        cohort_id=row.cohort_id,
        enrolment_id=row.enrolment_id,
        starts_at=row.starts_at,
        minutes=row.minutes,
        coach_zone=row.coach_zone,
        client_zone=row.client_zone,
        status=SessionStatus(row.status),
        location=row.location,
        sequence=row.sequence,
        series_id=row.series_id,
        override_reason=row.override_reason,
    )


def sessions_between(
    session: Session,
    start: datetime,
    end: datetime,
    client_id: int | None = None,
    statuses: tuple[SessionStatus, ...] = (),
    trashed_as_cancelled: bool = False,
) -> list[BookedSession]:
    """Sessions starting in [start, end) (naive UTC), soonest first, with client names.

    Sessions of clients in the Trash are left out, or (for calendar exports, which must
    take them off other calendars) included as cancelled and without a name.
    """
    query = (
        select(
            SessionTable,
            ClientTable.first_name,
            ClientTable.last_name,
            ClientTable.preferred_name,
            ClientTable.deleted_at,
        )
        .outerjoin(ClientTable, ClientTable.id == SessionTable.client_id)
        .where(SessionTable.starts_at >= start, SessionTable.starts_at < end)
        .order_by(SessionTable.starts_at, SessionTable.id)
    )
    if client_id is not None:
        # A client's own sessions and those of the group programmes they are enrolled in.
        cohorts = select(EnrolmentTable.cohort_id).where(
            EnrolmentTable.client_id == client_id, EnrolmentTable.cohort_id.is_not(None)
        )
        query = query.where(
            or_(SessionTable.client_id == client_id, SessionTable.cohort_id.in_(cohorts))
        )
    if statuses:
        query = query.where(SessionTable.status.in_([str(s) for s in statuses]))
    found = []
    for row, first, last, preferred, deleted in session.execute(query):
        if row.client_id is not None and deleted is not None:
            if trashed_as_cancelled:
                found.append(replace(to_session(row), status=SessionStatus.CANCELLED))
            continue
        name = display_name(first, last, preferred) if row.client_id is not None else ""
        found.append(to_session(row, name))
    return found


def working_hours(session: Session) -> list[WorkingHours]:
    """The coach's weekly hours, by day and start."""
    rows = session.scalars(
        select(WorkingHoursTable).order_by(
            WorkingHoursTable.weekday, WorkingHoursTable.start_minute
        )
    )
    return [WorkingHours(r.weekday, r.start_minute, r.end_minute) for r in rows]


def blocked_dates(session: Session, start: date, end: date) -> list[date]:
    """Blocked days in [start, end]."""
    return list(
        session.scalars(
            select(BlockedDateTable.day)
            .where(BlockedDateTable.day >= start, BlockedDateTable.day <= end)
            .order_by(BlockedDateTable.day)
        )
    )


def busy_between(session: Session, start: datetime, end: datetime) -> list[Busy]:
    """Imported busy times overlapping [start, end)."""
    rows = session.scalars(
        select(BusyTimeTable).where(BusyTimeTable.starts_at < end, BusyTimeTable.ends_at > start)
    )
    return [Busy(r.starts_at, r.ends_at) for r in rows]


def policy_of(row: OfferVersionTable) -> Policy:
    """The cancellation and notice rules of an offer version."""
    return Policy(row.notice_hours, row.late_cancel_counts, row.no_show_counts)


def sessions_counted(session: Session, enrolment: EnrolmentTable, policy: Policy) -> int:
    """Sessions that use up `enrolment`'s allowance under `policy`.

    A client's own sessions booked on the enrolment count, and so does every session
    of the cohort the enrolment belongs to.
    """
    mine = SessionTable.enrolment_id == enrolment.id
    query = select(SessionTable.status).where(
        or_(mine, SessionTable.cohort_id == enrolment.cohort_id)
        if enrolment.cohort_id is not None
        else mine
    )
    return sum(
        1 for status in session.scalars(query) if uses_allowance(SessionStatus(status), policy)
    )


class OverdueInvoice(NamedTuple):
    """An invoice past its due date with money still owed."""

    number: str
    due_minor: int
    currency: str
    due_on: date


def overdue_invoices(session: Session, client_id: int, today: date) -> list[OverdueInvoice]:
    """A client's sent or partly paid invoices due before `today` and not fully paid."""
    rows = session.scalars(
        select(InvoiceTable)
        .where(
            InvoiceTable.client_id == client_id,
            InvoiceTable.kind == "invoice",
            InvoiceTable.status.in_(["sent", "partly_paid"]),
            InvoiceTable.due_on < today,
        )
        .order_by(InvoiceTable.due_on, InvoiceTable.id)
    ).all()
    found = []
    for row in rows:
        # The billing store works the amount due out with payments and credit notes.
        invoice = billing.to_invoice(session, row, today)
        if invoice.status is InvoiceStatus.OVERDUE and row.due_on is not None:
            found.append(
                OverdueInvoice(
                    row.number or f"#{row.id}", invoice.totals.due_minor, row.currency, row.due_on
                )
            )
    return found


def current_offer(session: Session, client_id: int) -> OfferTerms | None:
    """The terms of the client's latest enrolment, if they have one."""
    row = session.scalars(
        select(OfferVersionTable)
        .join(EnrolmentTable, EnrolmentTable.offer_version_id == OfferVersionTable.id)
        .where(EnrolmentTable.client_id == client_id)
        .order_by(EnrolmentTable.start_on.desc(), EnrolmentTable.id.desc())
        .limit(1)
    ).first()
    return to_terms(row) if row is not None else None
