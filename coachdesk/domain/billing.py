"""Invoices, credit notes and payments: the arithmetic and the rules, no I/O.

Money is kept in minor units (cents) with its currency; tax rates in basis points
(2000 = 20 %).  Tax is worked out per line and rounded half up to the cent, so the
total printed is the sum of the lines printed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from coachdesk.domain.errors import ValidationError

MAX_MINOR = 10**11  # a billion in the currency's main unit


def format_money(minor: int, currency: str) -> str:
    """1,250.00 EUR."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100:,}.{abs(minor) % 100:02d} {currency}".rstrip()


def parse_money(text: str) -> int:
    """Minor units from what the coach typed ("1250", "1,250.50", "99.9").

    Raises:
        ValidationError: not an amount.
    """
    cleaned = text.strip().replace(",", "").replace(" ", "")
    try:
        amount = Decimal(cleaned)
        exact = amount.is_finite() and amount == amount.quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ValidationError({"amount": f"'{text}' is not an amount, such as 1250.00."}) from None
    if not exact:
        raise ValidationError({"amount": "Use at most two decimals, such as 1250.50."})
    minor = int(amount * 100)
    check_amount(minor, "amount")
    return minor


def check_amount(minor: int, field: str) -> None:
    """Refuse an amount no coaching practice bills (it would not fit the ledger either)."""
    if abs(minor) > MAX_MINOR:
        raise ValidationError({field: f"That is more than {format_money(MAX_MINOR, '')}."})


def tax_of(net_minor: int, rate_bp: int) -> int:
    """Tax on a net amount, rounded half up to the cent."""
    tax = Decimal(net_minor) * Decimal(rate_bp) / Decimal(10_000)
    return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class InvoiceKind(enum.StrEnum):
    """An invoice, or a credit note that corrects one after it was sent."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(enum.StrEnum):
    """Where an invoice stands (overdue is worked out from the due date)."""

    DRAFT = "draft"
    SENT = "sent"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "draft": "Draft",
            "sent": "Sent",
            "partly_paid": "Partly paid",
            "paid": "Paid",
            "overdue": "Overdue",
            "void": "Void",
        }[self]


@dataclass(frozen=True, slots=True)
class LineDraft:
    """One line of an invoice as the coach (or an enrolment) fills it in."""

    description: str
    quantity: int = 1
    unit_minor: int = 0
    tax_rate_bp: int = 0
    enrolment_id: int | None = None
    session_id: int | None = None

    def validated(self) -> LineDraft:
        """The checked line, or ValidationError."""
        if not self.description.strip():
            raise ValidationError({"description": "Describe what the line is for."})
        if not 1 <= self.quantity <= 10_000:
            raise ValidationError({"quantity": "The quantity must be between 1 and 10,000."})
        if self.unit_minor < 0:
            raise ValidationError({"price": "A price cannot be negative; use a credit note."})
        check_amount(self.quantity * self.unit_minor, "price")
        if not 0 <= self.tax_rate_bp <= 10_000:
            raise ValidationError({"tax_rate": "Tax must be between 0 and 100 %."})
        return LineDraft(
            self.description.strip(),
            self.quantity,
            self.unit_minor,
            self.tax_rate_bp,
            self.enrolment_id,
            self.session_id,
        )

    @property
    def net_minor(self) -> int:
        """Quantity times unit price."""
        return self.quantity * self.unit_minor

    @property
    def tax_minor(self) -> int:
        """The line's tax."""
        return tax_of(self.net_minor, self.tax_rate_bp)


@dataclass(frozen=True, slots=True)
class Totals:
    """An invoice's sums."""

    net_minor: int
    tax_minor: int
    paid_minor: int

    @property
    def gross_minor(self) -> int:
        """Net plus tax."""
        return self.net_minor + self.tax_minor

    @property
    def due_minor(self) -> int:
        """What is still to pay."""
        return self.gross_minor - self.paid_minor


def totals(lines: tuple[LineDraft, ...], paid_minor: int = 0) -> Totals:
    """The sums of `lines`, with what was paid."""
    return Totals(
        sum(line.net_minor for line in lines),
        sum(line.tax_minor for line in lines),
        paid_minor,
    )


def status_of(
    stored: InvoiceStatus, sums: Totals, due_on: date | None, today: date
) -> InvoiceStatus:
    """The status to show: payments and the due date decide between sent, partly paid,
    paid and overdue; drafts and void invoices stay as they are."""
    if stored in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return stored
    if sums.due_minor <= 0:
        return InvoiceStatus.PAID
    if due_on is not None and due_on < today:
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.PARTLY_PAID if sums.paid_minor > 0 else InvoiceStatus.SENT


def invoice_number(prefix: str, year: int, sequence: int) -> str:
    """The printed number: INV-2026-0007."""
    return f"{prefix}-{year}-{sequence:04d}"


class PaymentMethod(enum.StrEnum):
    """How a payment came in."""

    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    PAYPAL = "paypal"
    OTHER = "other"


class GateMode(enum.StrEnum):
    """What booking does for a client with an overdue invoice or no sessions left."""

    BLOCK = "block"
    WARN = "warn"
    OFF = "off"
