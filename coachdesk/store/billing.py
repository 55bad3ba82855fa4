"""Invoices, their lines and payments: queries and the plain records the services hand out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coachdesk.domain.billing import (
    InvoiceKind,
    InvoiceStatus,
    LineDraft,
    PaymentMethod,
    Totals,
    status_of,
    totals,
)
from coachdesk.domain.clients import display_name
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.store.tables import (
    ClientTable,
    EnrolmentTable,
    InvoiceLineTable,
    InvoiceTable,
    OfferVersionTable,
    PaymentTable,
    SessionTable,
)


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received against an invoice."""

    id: int
    invoice_id: int
    paid_on: date
    amount_minor: int
    method: PaymentMethod
    note: str


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice or credit note with its lines, payments, sums and the status to show.

    `totals.paid_minor` counts payments and credit notes against it, so
    `totals.due_minor` is what the client still owes.
    """

    id: int
    client_id: int | None  # None once the client was erased (kept for tax)
    client_name: str
    kind: InvoiceKind
    number: str | None
    currency: str
    issued_on: date | None
    due_on: date | None
    status: InvoiceStatus
    note: str
    lines: tuple[LineDraft, ...]
    payments: tuple[Payment, ...]
    totals: Totals
    payments_minor: int
    credited_minor: int
    credits_invoice_id: int | None
    credits_number: str | None

    @property
    def is_draft(self) -> bool:
        """Whether it can still be edited."""
        return self.status is InvoiceStatus.DRAFT


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """One invoice in a list."""

    id: int
    client_id: int | None  # None once the client was erased (kept for tax)
    client_name: str
    kind: InvoiceKind
    number: str | None
    issued_on: date | None
    due_on: date | None
    currency: str
    gross_minor: int
    due_minor: int
    status: InvoiceStatus
    days_overdue: int


def load(session: Session, invoice_id: int) -> InvoiceTable:
    """The invoice row, or NotFoundError."""
    row = session.get(InvoiceTable, invoice_id)
    if row is None:
        raise NotFoundError(f"There is no invoice #{invoice_id}.")
    return row


def live_client(session: Session, client_id: int) -> ClientTable:
    """The client row unless it is missing or in the Trash."""
    row = session.get(ClientTable, client_id)
    if row is None or row.deleted_at is not None:
        raise NotFoundError(f"There is no client #{client_id}.")
    return row


def client_name(row: ClientTable) -> str:
    """The name invoices show."""
    return display_name(row.first_name, row.last_name, row.preferred_name)


def line_rows(session: Session, invoice_id: int) -> list[InvoiceLineTable]:
    """An invoice's lines in order."""
    return list(
        session.scalars(
            select(InvoiceLineTable)
            .where(InvoiceLineTable.invoice_id == invoice_id)
            .order_by(InvoiceLineTable.position)
        )
    )


def to_line(row: InvoiceLineTable) -> LineDraft:
    """A stored line as the domain sees it."""
    return LineDraft(
        row.description,
        row.quantity,
        row.unit_minor,
        row.tax_rate_bp,
        row.enrolment_id,
        row.session_id,
    )


def replace_lines(session: Session, invoice_id: int, lines: Sequence[LineDraft]) -> None:
    """Make `lines` the invoice's lines."""
    for old in line_rows(session, invoice_id):
        session.delete(old)
    session.flush()
    for position, line in enumerate(lines, start=1):
        session.add(
            InvoiceLineTable(
                invoice_id=invoice_id,
                position=position,
                description=line.description[:300],
                quantity=line.quantity,
                unit_minor=line.unit_minor,
                tax_rate_bp=line.tax_rate_bp,
                enrolment_id=line.enrolment_id,
                session_id=line.session_id,
            )
        )
    session.flush()


def payment_rows(session: Session, invoice_id: int) -> list[PaymentTable]:
    """Payments against an invoice, oldest first."""
    return list(
        session.scalars(
            select(PaymentTable)
            .where(PaymentTable.invoice_id == invoice_id)
            .order_by(PaymentTable.paid_on, PaymentTable.id)
        )
    )


def to_payment(row: PaymentTable) -> Payment:
    """A stored payment as a record."""
    return Payment(
        row.id, row.invoice_id, row.paid_on, row.amount_minor, PaymentMethod(row.method), row.note
    )


def credit_notes_of(session: Session, invoice_id: int) -> list[InvoiceTable]:
    """The credit notes (not void) issued against an invoice."""
    return list(
        session.scalars(
            select(InvoiceTable).where(
                InvoiceTable.credits_invoice_id == invoice_id,
                InvoiceTable.status != InvoiceStatus.VOID.value,
            )
        )
    )


def gross_of(session: Session, invoice_id: int) -> int:
    """Net plus tax of an invoice's lines."""
    return totals(tuple(to_line(r) for r in line_rows(session, invoice_id))).gross_minor


def to_invoice(session: Session, row: InvoiceTable, today: date) -> Invoice:
    """The whole invoice, its status worked out for `today`."""
    lines = tuple(to_line(r) for r in line_rows(session, row.id))
    payments = tuple(to_payment(p) for p in payment_rows(session, row.id))
    paid = sum(p.amount_minor for p in payments)
    credited = 0
    kind = InvoiceKind(row.kind)
    if kind is InvoiceKind.INVOICE:
        credited = sum(gross_of(session, c.id) for c in credit_notes_of(session, row.id))
    sums = totals(lines, paid + credited)
    stored = InvoiceStatus(row.status)
    if kind is InvoiceKind.CREDIT_NOTE:
        status = stored  # a credit note is issued or void; it is never "due"
    else:
        status = status_of(stored, sums, row.due_on, today)
    credited_row = (
        session.get(InvoiceTable, row.credits_invoice_id) if row.credits_invoice_id else None
    )
    client = session.get(ClientTable, row.client_id) if row.client_id is not None else None
    return Invoice(
        id=row.id,
        client_id=row.client_id,
        client_name=client_name(client) if client else billed_to(row).get("name", ""),
        kind=kind,
        number=row.number,
        currency=row.currency,
        issued_on=row.issued_on,
        due_on=row.due_on,
        status=status,
        note=row.note,
        lines=lines,
        payments=payments,
        totals=sums,
        payments_minor=paid,
        credited_minor=credited,
        credits_invoice_id=row.credits_invoice_id,
        credits_number=credited_row.number if credited_row else None,
    )


def billed_to(row: InvoiceTable) -> dict[str, str]:
    """Who an invoice was made out to, as kept when its client was erased ({} before)."""
    return dict(json.loads(row.billed_to)) if row.billed_to else {}


def to_row(invoice: Invoice, today: date) -> InvoiceRow:
    """The list form of an invoice."""
    overdue = (
        (today - invoice.due_on).days
        if invoice.status is InvoiceStatus.OVERDUE and invoice.due_on
        else 0
    )
    return InvoiceRow(
        id=invoice.id,
        client_id=invoice.client_id,
        client_name=invoice.client_name,
        kind=invoice.kind,
        number=invoice.number,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        currency=invoice.currency,
        gross_minor=invoice.totals.gross_minor,
        due_minor=max(invoice.totals.due_minor, 0)
        if invoice.kind is InvoiceKind.INVOICE and invoice.status is not InvoiceStatus.VOID
        else 0,
        status=invoice.status,
        days_overdue=overdue,
    )


def invoice_rows(session: Session, client_id: int | None = None) -> list[InvoiceTable]:
    """Invoices (optionally one client's), newest first; drafts, which have no date, on top."""
    query = select(InvoiceTable)
    if client_id is not None:
        query = query.where(InvoiceTable.client_id == client_id)
    query = query.order_by(
        InvoiceTable.issued_on.is_(None).desc(),
        InvoiceTable.issued_on.desc(),
        InvoiceTable.number_seq.desc(),
        InvoiceTable.id.desc(),
    )
    return list(session.scalars(query))


def next_sequence(session: Session, year: int) -> int:
    """The next number in `year`: one more than the highest given (call it while writing)."""
    highest = session.scalar(
        select(func.max(InvoiceTable.number_seq)).where(InvoiceTable.number_year == year)
    )
    return (highest or 0) + 1


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _version_of(session: Session, enrolment: EnrolmentTable) -> OfferVersionTable:
    version = session.get(OfferVersionTable, enrolment.offer_version_id)
    if version is None:  # the foreign key makes this a bug, not a user mistake
        raise KnownError(f"Enrolment #{enrolment.id} has lost its offer.")
    return version


def enrolment_line(session: Session, enrolment_id: int) -> tuple[EnrolmentTable, LineDraft]:
    """The enrolment and the line that bills what is still unbilled of it: the whole price,
    or the next instalment.  Refused once every part is on an invoice that is not void."""
    enrolment = session.get(EnrolmentTable, enrolment_id)
    if enrolment is None:
        raise NotFoundError(f"There is no enrolment #{enrolment_id}.")
    version = _version_of(session, enrolment)
    if version.payment_terms == "per_session":
        raise ValidationError(
            {"enrolment": f"“{version.name}” is paid per session: invoice its sessions instead."}
        )
    count = version.instalments if version.payment_terms == "instalments" else 1
    billed = (
        session.scalar(
            select(func.count(InvoiceLineTable.id))
            .join(InvoiceTable, InvoiceTable.id == InvoiceLineTable.invoice_id)
            .where(
                InvoiceLineTable.enrolment_id == enrolment.id,
                InvoiceTable.status != InvoiceStatus.VOID.value,
                InvoiceTable.kind == InvoiceKind.INVOICE.value,
            )
        )
        or 0
    )
    if billed >= count:
        raise ValidationError(
            {"enrolment": f"“{version.name}” is already fully invoiced for this client."}
        )
    price = enrolment.price_minor
    description = version.name
    if count > 1:
        # The cents that do not divide evenly go on the first instalment.
        share = enrolment.price_minor // count
        price = share + (enrolment.price_minor - count * share if billed == 0 else 0)
        description = f"{version.name}, instalment {billed + 1} of {count}"
    return enrolment, LineDraft(
        description, 1, price, version.tax_rate_bp, enrolment_id=enrolment.id
    )


def invoiced_session_ids(session: Session, session_ids: Sequence[int]) -> set[int]:
    """Which of these sessions are already on an invoice that is not void."""
    found = session.scalars(
        select(InvoiceLineTable.session_id)
        .join(InvoiceTable, InvoiceTable.id == InvoiceLineTable.invoice_id)
        .where(
            InvoiceLineTable.session_id.in_(session_ids),
            InvoiceTable.status != InvoiceStatus.VOID.value,
            InvoiceTable.kind == InvoiceKind.INVOICE.value,
        )
    )
    return {sid for sid in found if sid is not None}


def session_lines(
    session: Session, client_id: int, session_ids: Sequence[int], unit_minor: int | None
) -> tuple[str | None, list[LineDraft]]:
    """One line per session, and the currency the enrolments bill in (None if no enrolment).

    Raises:
        ValidationError: a session is someone else's, already invoiced, or has no price.
    """
    if not session_ids:
        raise ValidationError({"sessions": "Choose at least one session to invoice."})
    taken = invoiced_session_ids(session, session_ids)
    if taken:
        listed = ", ".join(f"#{sid}" for sid in sorted(taken))
        raise ValidationError({"sessions": f"Session {listed} is already on an invoice."})
    currencies: set[str] = set()
    lines: list[LineDraft] = []
    for sid in session_ids:
        booked = session.get(SessionTable, sid)
        if booked is None:
            raise NotFoundError(f"There is no session #{sid}.")
        if booked.client_id != client_id:
            raise ValidationError({"sessions": f"Session #{sid} is not this client's."})
        local = booked.starts_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(
            ZoneInfo(booked.coach_zone or "UTC")
        )
        when = f"{local.day} {local:%b %Y}"
        enrolment = (
            session.get(EnrolmentTable, booked.enrolment_id) if booked.enrolment_id else None
        )
        if enrolment is None:
            if unit_minor is None:
                raise ValidationError(
                    {"price": f"Session #{sid} belongs to no enrolment: give a price per session."}
                )
            lines.append(LineDraft(f"Coaching session, {when}", 1, unit_minor, session_id=sid))
            continue
        version = _version_of(session, enrolment)
        currencies.add(enrolment.currency)
        price = unit_minor
        if price is None:
            price = _half_up(Decimal(enrolment.price_minor) / max(version.session_count, 1))
        lines.append(
            LineDraft(
                f"{version.name}: session on {when}",
                1,
                price,
                version.tax_rate_bp,
                enrolment_id=enrolment.id,
                session_id=sid,
            )
        )
    if len(currencies) > 1:
        raise ValidationError(
            {"sessions": "These sessions are billed in different currencies; invoice them apart."}
        )
    return (currencies.pop() if currencies else None), lines


def issued_between(session: Session, start: date, end: date) -> list[InvoiceTable]:
    """Issued invoices and credit notes (not void) dated in [start, end)."""
    return list(
        session.scalars(
            select(InvoiceTable).where(
                InvoiceTable.issued_on >= start,
                InvoiceTable.issued_on < end,
                InvoiceTable.status != InvoiceStatus.VOID.value,
                InvoiceTable.status != InvoiceStatus.DRAFT.value,
            )
        )
    )


def payments_between(session: Session, start: date, end: date) -> list[tuple[PaymentTable, str]]:
    """Payments received in [start, end) with their invoice's currency."""
    rows = session.execute(
        select(PaymentTable, InvoiceTable.currency)
        .join(InvoiceTable, InvoiceTable.id == PaymentTable.invoice_id)
        .where(PaymentTable.paid_on >= start, PaymentTable.paid_on < end)
    )
    return [(payment, currency) for payment, currency in rows]


def add_payment(
    session: Session,
    invoice_id: int,
    amount_minor: int,
    paid_on: date,
    method: PaymentMethod,
    note: str,
    now: datetime,
) -> PaymentTable:
    """Store a payment."""
    row = PaymentTable(
        invoice_id=invoice_id,
        paid_on=paid_on,
        amount_minor=amount_minor,
        method=method.value,
        note=note[:200],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
