"""Invoices, credit notes and payments: drafting, issuing with numbers without gaps,
correcting, getting paid, and the invoice and receipt PDFs.

A draft has no number, so deleting one leaves no gap.  Issuing takes the write lock
(the vault begins writes IMMEDIATE) and gives the next number of the issue year, so
two windows or scripts issuing at once still get consecutive numbers.  A sent
invoice is never edited or deleted: a credit note, numbered from the same sequence,
corrects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coachdesk.domain.billing import (
    InvoiceKind,
    InvoiceStatus,
    LineDraft,
    PaymentMethod,
    format_money,
    invoice_number,
    totals,
)
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.services import documents, practice, vault_settings
from coachdesk.settings import INVOICE_DUE_DAYS, INVOICE_PREFIX
from coachdesk.store import audit
from coachdesk.store import billing as store
from coachdesk.store import clients as client_store
from coachdesk.store.billing import Invoice, InvoiceRow, Payment
from coachdesk.store.tables import ClientTable, EnrolmentTable, InvoiceTable, PaymentTable
from coachdesk.store.vault import Vault

__all__ = [
    "Invoice",
    "InvoiceRow",
    "Payment",
    "RevenueMonth",
    "create_invoice",
    "credit_note",
    "delete_draft",
    "get_invoice",
    "invoice_from_enrolment",
    "invoice_from_sessions",
    "invoice_pdf",
    "issue",
    "list_invoices",
    "overdue",
    "receipt_pdf",
    "record_payment",
    "revenue_by_month",
    "update_draft",
    "void",
]

SENT_IS_FINAL = "Sent invoices are corrected with a credit note."


class RevenueMonth(NamedTuple):
    """One month of one currency: what was invoiced (less credit notes) and paid."""

    month: int
    invoiced_minor: int
    paid_minor: int
    currency: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _today(vault: Vault) -> date:
    """Today where the coach is (their invoices are dated in their zone)."""
    zone = practice.get_profile(vault).time_zone or "UTC"
    return _now().replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


def _clean_lines(lines: Sequence[LineDraft]) -> tuple[LineDraft, ...]:
    if not lines:
        raise ValidationError({"lines": "An invoice needs at least one line."})
    if len(lines) > 500:
        raise ValidationError({"lines": "Keep an invoice under 500 lines."})
    return tuple(line.validated() for line in lines)


def _currency(vault: Vault, given: str | None) -> str:
    code = (given or practice.get_profile(vault).currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError(
            {"currency": "Set your currency in the practice profile (such as EUR, GBP or USD)."}
        )
    return code


def _draft_row(session: Session, invoice_id: int) -> InvoiceTable:
    row = store.load(session, invoice_id)
    if row.status != InvoiceStatus.DRAFT.value:
        raise KnownError(SENT_IS_FINAL)
    return row


def _insert(
    session: Session,
    vault: Vault,
    client_id: int,
    lines: tuple[LineDraft, ...],
    currency: str,
    note: str,
) -> InvoiceTable:
    store.live_client(session, client_id)
    now = _now()
    row = InvoiceTable(
        client_id=client_id,
        kind=InvoiceKind.INVOICE.value,
        currency=currency,
        status=InvoiceStatus.DRAFT.value,
        note=note.strip(),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    store.replace_lines(session, row.id, lines)
    audit.append(session, vault.actor, "invoice", row.id, "create", ["lines", "note"])
    return row


# Drafts ---------------------------------------------------------------------------------


def create_invoice(
    vault: Vault,
    client_id: int,
    lines: Sequence[LineDraft],
    currency: str | None = None,
    note: str = "",
) -> Invoice:
    """A draft invoice (no number yet) in `currency`, or the practice's."""
    clean = _clean_lines(lines)
    code = _currency(vault, currency)
    today = _today(vault)
    with vault.writing() as session:
        row = _insert(session, vault, client_id, clean, code, note)
        return store.to_invoice(session, row, today)


def invoice_from_enrolment(
    vault: Vault, enrolment_id: int, client_id: int | None = None
) -> Invoice:
    """A draft billing what is still unbilled of an enrolment (the whole price, or its
    next instalment);
    `client_id`, when given, must be the enrolment's client."""
    today = _today(vault)
    with vault.writing() as session:
        owner = session.get(EnrolmentTable, enrolment_id)
        if client_id is not None and owner is not None and owner.client_id != client_id:
            raise ValidationError(
                {"enrolment": f"Enrolment #{enrolment_id} is not client #{client_id}'s."}
            )
        enrolment, line = store.enrolment_line(session, enrolment_id)
        row = _insert(
            session, vault, enrolment.client_id, (line.validated(),), enrolment.currency, ""
        )
        return store.to_invoice(session, row, today)


def invoice_from_sessions(
    vault: Vault, client_id: int, session_ids: Sequence[int], unit_minor: int | None = None
) -> Invoice:
    """A draft with one line per session, priced from its enrolment (price / sessions)
    unless `unit_minor` is given."""
    if unit_minor is not None and unit_minor < 0:
        raise ValidationError({"price": "A price cannot be negative."})
    fallback = _currency(vault, None)
    today = _today(vault)
    with vault.writing() as session:
        store.live_client(session, client_id)
        currency, lines = store.session_lines(session, client_id, list(session_ids), unit_minor)
        row = _insert(session, vault, client_id, _clean_lines(lines), currency or fallback, "")
        return store.to_invoice(session, row, today)


def update_draft(
    vault: Vault, invoice_id: int, lines: Sequence[LineDraft], note: str | None = None
) -> Invoice:
    """Replace a draft's lines (and note, when given).

    Raises:
        KnownError: the invoice was already sent.
    """
    clean = _clean_lines(lines)
    today = _today(vault)
    with vault.writing() as session:
        row = _draft_row(session, invoice_id)
        store.replace_lines(session, row.id, clean)
        changed = ["lines"]
        if note is not None and note.strip() != row.note:
            row.note = note.strip()
            changed.append("note")
        row.updated_at = _now()
        audit.append(session, vault.actor, "invoice", row.id, "update", changed)
        return store.to_invoice(session, row, today)


def delete_draft(vault: Vault, invoice_id: int) -> None:
    """Delete a draft; sent invoices are never deleted (they have a number)."""
    with vault.writing() as session:
        row = store.load(session, invoice_id)
        if row.status != InvoiceStatus.DRAFT.value:
            raise KnownError(
                f"Invoice {row.number} was sent, so it stays: void it or credit it instead."
            )
        session.delete(row)
        audit.append(session, vault.actor, "invoice", invoice_id, "delete")


# Issuing and correcting -----------------------------------------------------------------


def _number(session: Session, row: InvoiceTable, prefix: str, issued_on: date) -> None:
    # Numbers follow dates: an invoice cannot be dated before the one numbered before it.
    latest = session.scalar(
        select(func.max(InvoiceTable.issued_on)).where(InvoiceTable.number_year == issued_on.year)
    )
    if latest is not None and issued_on < latest:
        raise ValidationError(
            {
                "issued_on": f"The last invoice of {issued_on.year} is dated {latest:%-d %b %Y}; "
                "date this one on or after it, so numbers follow dates."
            }
        )
    seq = store.next_sequence(session, issued_on.year)
    row.number_year, row.number_seq = issued_on.year, seq
    row.number = invoice_number(prefix, issued_on.year, seq)
    row.issued_on = issued_on


def issue(vault: Vault, invoice_id: int, issued_on: date | None = None) -> Invoice:
    """Give a draft the next number of its year, date it and mark it sent."""
    prefix = str(vault_settings.get(vault, INVOICE_PREFIX))
    due_days = int(vault_settings.get(vault, INVOICE_DUE_DAYS))
    today = _today(vault)
    day = issued_on or today
    with vault.writing() as session:
        row = store.load(session, invoice_id)
        if row.status != InvoiceStatus.DRAFT.value:
            raise KnownError(f"Invoice {row.number} was already issued.")
        if not store.line_rows(session, row.id):
            raise ValidationError({"lines": "An invoice needs at least one line."})
        _number(session, row, prefix, day)
        row.due_on = day + timedelta(days=due_days)
        row.status = InvoiceStatus.SENT.value
        row.updated_at = _now()
        audit.append(
            session, vault.actor, "invoice", row.id, "issue", ["number", "issued_on", "due_on"]
        )
        return store.to_invoice(session, row, today)


def credit_note(
    vault: Vault,
    invoice_id: int,
    lines: Sequence[LineDraft] | None = None,
    reason: str = "",
) -> Invoice:
    """Issue a credit note against a sent invoice: all of it, or just `lines`."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the invoice is credited; the client sees it."})
    prefix = str(vault_settings.get(vault, INVOICE_PREFIX))
    today = _today(vault)
    given = _clean_lines(lines) if lines is not None else None
    with vault.writing() as session:
        original = store.load(session, invoice_id)
        if original.kind != InvoiceKind.INVOICE.value:
            raise KnownError("A credit note cannot itself be credited.")
        if original.status == InvoiceStatus.DRAFT.value:
            raise KnownError("This invoice is still a draft: edit or delete it instead.")
        if original.status == InvoiceStatus.VOID.value:
            raise KnownError(f"Invoice {original.number} is void; there is nothing to credit.")
        current = store.to_invoice(session, original, today)
        open_minor = current.totals.gross_minor - current.credited_minor
        if given is None:
            credited = tuple(store.to_line(r) for r in store.line_rows(session, original.id))
            if current.credited_minor:
                raise KnownError(
                    f"Invoice {original.number} was already partly credited; "
                    "name the lines to credit."
                )
        else:
            credited = given
        amount = totals(credited).gross_minor
        if amount > open_minor:
            raise ValidationError(
                {
                    "lines": f"The credit ({format_money(amount, original.currency)}) is more "
                    f"than is left on invoice {original.number} "
                    f"({format_money(open_minor, original.currency)})."
                }
            )
        now = _now()
        row = InvoiceTable(
            client_id=original.client_id,
            kind=InvoiceKind.CREDIT_NOTE.value,
            credits_invoice_id=original.id,
            currency=original.currency,
            status=InvoiceStatus.SENT.value,
            note=reason.strip(),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        store.replace_lines(session, row.id, credited)
        _number(session, row, prefix, today)
        audit.append(session, vault.actor, "invoice", row.id, "credit", ["lines", "number", "note"])
        return store.to_invoice(session, row, today)


def void(vault: Vault, invoice_id: int, reason: str) -> Invoice:
    """Void an issued invoice nobody has paid (its number stays, marked void)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the invoice is void."})
    today = _today(vault)
    with vault.writing() as session:
        row = store.load(session, invoice_id)
        if row.status == InvoiceStatus.DRAFT.value:
            raise KnownError("This invoice is still a draft: delete it instead.")
        if row.status == InvoiceStatus.VOID.value:
            raise KnownError(f"{row.number} is already void.")
        if row.kind != InvoiceKind.INVOICE.value:
            raise KnownError("A credit note cannot be voided.")
        if store.payment_rows(session, row.id) or store.credit_notes_of(session, row.id):
            raise KnownError(
                f"Invoice {row.number} has payments or credits against it: credit it instead."
            )
        row.status = InvoiceStatus.VOID.value
        row.note = f"{row.note}\nVoid: {reason.strip()}".strip()
        row.updated_at = _now()
        audit.append(session, vault.actor, "invoice", row.id, "void", ["status", "note"])
        return store.to_invoice(session, row, today)


# Payments -------------------------------------------------------------------------------


def record_payment(
    vault: Vault,
    invoice_id: int,
    amount_minor: int,
    paid_on: date | None = None,
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
    note: str = "",
) -> Payment:
    """Record money received; more than is due is refused."""
    today = _today(vault)
    day = paid_on or today
    if amount_minor <= 0:
        raise ValidationError({"amount": "A payment must be more than zero."})
    if day > today:
        raise ValidationError({"paid_on": "A payment cannot be dated in the future."})
    with vault.writing() as session:
        row = store.load(session, invoice_id)
        if row.kind != InvoiceKind.INVOICE.value:
            raise KnownError("Payments are recorded against invoices, not credit notes.")
        if row.status == InvoiceStatus.DRAFT.value:
            raise KnownError("Issue the invoice before recording a payment against it.")
        if row.status == InvoiceStatus.VOID.value:
            raise KnownError(f"Invoice {row.number} is void.")
        due = store.to_invoice(session, row, today).totals.due_minor
        if amount_minor > due:
            raise ValidationError(
                {
                    "amount": f"Only {format_money(max(due, 0), row.currency)} is due on "
                    f"invoice {row.number}; record at most that."
                }
            )
        payment = store.add_payment(
            session, row.id, amount_minor, day, PaymentMethod(method), note.strip(), _now()
        )
        row.updated_at = _now()
        audit.append(
            session, vault.actor, "payment", payment.id, "create", ["amount", "paid_on", "method"]
        )
        return store.to_payment(payment)


# Reading --------------------------------------------------------------------------------


def get_invoice(vault: Vault, invoice_id: int) -> Invoice:
    """One invoice with its lines, payments, sums and status."""
    today = _today(vault)
    with vault.reading() as session:
        return store.to_invoice(session, store.load(session, invoice_id), today)


def list_invoices(
    vault: Vault, client_id: int | None = None, status: InvoiceStatus | str | None = None
) -> list[InvoiceRow]:
    """Invoices and credit notes, newest first, optionally one client's or one status."""
    wanted = InvoiceStatus(status) if status is not None else None
    today = _today(vault)
    with vault.reading() as session:
        if client_id is not None and session.get(ClientTable, client_id) is None:
            raise NotFoundError(f"There is no client #{client_id}.")
        rows = [
            store.to_row(store.to_invoice(session, row, today), today)
            for row in store.invoice_rows(session, client_id)
        ]
    return [r for r in rows if wanted is None or r.status is wanted]


def overdue(vault: Vault) -> list[InvoiceRow]:
    """Invoices past their due date and not fully paid, the oldest due first."""
    rows = list_invoices(vault, status=InvoiceStatus.OVERDUE)
    return sorted(rows, key=lambda r: (r.due_on or date.min, r.id))


def revenue_by_month(vault: Vault, year: int | None = None) -> list[RevenueMonth]:
    """Per currency, the twelve months of `year`: invoiced (credit notes subtracted,
    void left out) by issue date, and paid by payment date."""
    today = _today(vault)
    year = year or today.year
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    invoiced: dict[tuple[str, int], int] = {}
    paid: dict[tuple[str, int], int] = {}
    with vault.reading() as session:
        for row in store.issued_between(session, start, end):
            assert row.issued_on is not None
            sign = -1 if row.kind == InvoiceKind.CREDIT_NOTE.value else 1
            key = (row.currency, row.issued_on.month)
            invoiced[key] = invoiced.get(key, 0) + sign * store.gross_of(session, row.id)
        for payment, currency in store.payments_between(session, start, end):
            key = (currency, payment.paid_on.month)
            paid[key] = paid.get(key, 0) + payment.amount_minor
    currencies = sorted({c for c, _ in invoiced} | {c for c, _ in paid})
    if not currencies:
        currencies = [practice.get_profile(vault).currency or "EUR"]
    return [
        RevenueMonth(month, invoiced.get((c, month), 0), paid.get((c, month), 0), c)
        for c in currencies
        for month in range(1, 13)
    ]


# PDFs -----------------------------------------------------------------------------------


def _practice_context(vault: Vault) -> dict[str, Any]:
    profile = practice.get_profile(vault)
    return {
        "name": profile.business_name or profile.coach_name,
        "coach_name": profile.coach_name,
        "business_name": profile.business_name,
    }


def _client_context(session: Session, invoice: Invoice) -> dict[str, Any]:
    if invoice.client_id is None:  # erased: the invoice keeps whom it was made out to
        kept = store.billed_to(store.load(session, invoice.id))
        return {key: kept.get(key, "") for key in ("name", "full_name", "email", "company")}
    client_id = invoice.client_id
    client = client_store.get(session, client_id)
    if client is None:
        raise NotFoundError(f"There is no client #{client_id}.")
    return {
        "name": client.display_name,
        "full_name": f"{client.first_name} {client.last_name}".strip() or client.display_name,
        "email": client.emails[0] if client.emails else "",
        "company": client.company,
    }


def _rate(bp: int) -> str:
    return f"{bp / 100:g} %"


def _invoice_context(invoice: Invoice) -> dict[str, Any]:
    cur = invoice.currency

    def money(minor: int) -> str:
        return format_money(minor, cur)

    tax_rates: dict[int, int] = {}
    for line in invoice.lines:
        tax_rates[line.tax_rate_bp] = tax_rates.get(line.tax_rate_bp, 0) + line.tax_minor
    return {
        "number": invoice.number or "Draft",
        "is_credit_note": invoice.kind is InvoiceKind.CREDIT_NOTE,
        "title": "Credit note" if invoice.kind is InvoiceKind.CREDIT_NOTE else "Invoice",
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else "",
        "due_on": invoice.due_on.isoformat() if invoice.due_on else "",
        "currency": cur,
        "note": invoice.note,
        "status": invoice.status.value,
        "status_label": invoice.status.label,
        "credits_number": invoice.credits_number or "",
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit": money(line.unit_minor),
                "tax_rate": _rate(line.tax_rate_bp),
                "tax": money(line.tax_minor),
                "net": money(line.net_minor),
            }
            for line in invoice.lines
        ],
        "taxes": [
            {"rate": _rate(bp), "amount": money(amount)}
            for bp, amount in sorted(tax_rates.items())
            if bp
        ],
        "net": money(invoice.totals.net_minor),
        "tax": money(invoice.totals.tax_minor),
        "gross": money(invoice.totals.gross_minor),
        "paid": money(invoice.payments_minor),
        "credited": money(invoice.credited_minor),
        "due": money(max(invoice.totals.due_minor, 0)),
        "has_payments": bool(invoice.payments),
        "has_credits": invoice.credited_minor > 0,
    }


def _payment_context(payment: Payment, currency: str) -> dict[str, Any]:
    return {
        "id": payment.id,
        "paid_on": payment.paid_on.isoformat(),
        "amount": format_money(payment.amount_minor, currency),
        "method": payment.method.value.replace("_", " ").capitalize(),
        "note": payment.note,
    }


def invoice_pdf(vault: Vault, invoice_id: int) -> bytes:
    """The invoice (or credit note) as a PDF, as the client receives it."""
    invoice = get_invoice(vault, invoice_id)
    with vault.reading() as session:
        client = _client_context(session, invoice)
    context = {
        "practice": _practice_context(vault),
        "client": client,
        "invoice": _invoice_context(invoice),
        "payments": [_payment_context(p, invoice.currency) for p in invoice.payments],
    }
    return documents.practice_pdf(vault, "invoice.html.j2", context, client["name"])


def receipt_pdf(vault: Vault, payment_id: int) -> bytes:
    """A receipt for one payment."""
    with vault.reading() as session:
        row = session.get(PaymentTable, payment_id)
        if row is None:
            raise NotFoundError(f"There is no payment #{payment_id}.")
        payment = store.to_payment(row)
    invoice = get_invoice(vault, payment.invoice_id)
    with vault.reading() as session:
        client = _client_context(session, invoice)
    context = {
        "practice": _practice_context(vault),
        "client": client,
        "invoice": _invoice_context(invoice),
        "payment": _payment_context(payment, invoice.currency),
    }
    return documents.practice_pdf(vault, "receipt.html.j2", context, client["name"])
