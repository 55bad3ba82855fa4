"""Offers & billing: the offer catalogue, invoices and payments, what is overdue, and revenue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QImage
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.billing import (
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
    format_money,
    parse_money,
)
from coachdesk.domain.errors import KnownError, ValidationError
from coachdesk.domain.scheduling import Offer
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.cohort_dialog import CohortDialog
from coachdesk.ui.dialogs.invoice_editor import InvoiceEditor
from coachdesk.ui.dialogs.offer_editor import OfferEditor, money_text
from coachdesk.ui.dialogs.record_editor import date_edit, py_date
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import RecordTable, day_text
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.pdf_view import PdfPreviewDialog
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    OK_COLOR,
    EmptyState,
    dialog_buttons,
    error_label,
    heading,
    list_table,
    muted,
    save_folder,
    set_banner,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.invoices import RevenueMonth
    from coachdesk.store.billing import Invoice, InvoiceRow, Payment
    from coachdesk.store.vault import Vault

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
T = TypeVar("T")

GREY = "#757575"
STATUS_COLORS = {
    InvoiceStatus.OVERDUE: ERROR_COLOR,
    InvoiceStatus.PAID: OK_COLOR,
    InvoiceStatus.DRAFT: GREY,
    InvoiceStatus.VOID: GREY,
}
UNPAID = (InvoiceStatus.SENT, InvoiceStatus.PARTLY_PAID, InvoiceStatus.OVERDUE)
FILTERS: dict[str, Callable[[InvoiceStatus], bool]] = {
    "All": lambda _status: True,
    "Drafts": lambda status: status is InvoiceStatus.DRAFT,
    "Unpaid": lambda status: status in UNPAID,
    "Overdue": lambda status: status is InvoiceStatus.OVERDUE,
    "Paid": lambda status: status is InvoiceStatus.PAID,
}
METHODS = {
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.CARD: "Card",
    PaymentMethod.CASH: "Cash",
    PaymentMethod.PAYPAL: "PayPal",
    PaymentMethod.OTHER: "Other",
}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class BillingData:
    """Everything the view shows, read in one go."""

    offers: list[Offer]
    invoices: list[InvoiceRow]
    revenue: list[RevenueMonth]
    year: int
    currency: str


@dataclass(frozen=True, slots=True)
class HandedOff:
    """An e-mail draft written for the mail client to open."""

    path: Path
    to: str
    subject: str


def load_billing(vault: Vault, year: int | None) -> BillingData:
    """Db lane: offers, invoices and a year's revenue."""
    from coachdesk.services import invoices, offers, practice

    profile = practice.get_profile(vault)
    revenue = invoices.revenue_by_month(vault, year)
    shown_year = year or date.today().year
    return BillingData(
        offers.list_offers(vault),
        invoices.list_invoices(vault),
        revenue,
        shown_year,
        profile.currency or "EUR",
    )


def archive_offer(vault: Vault, offer_id: int) -> Offer:
    """Db lane: stop selling an offer (enrolments keep it)."""
    from coachdesk.services import offers

    return offers.archive_offer(vault, offer_id)


def get_invoice(vault: Vault, invoice_id: int) -> Invoice:
    """Db lane: one invoice with its lines and payments."""
    from coachdesk.services import invoices

    return invoices.get_invoice(vault, invoice_id)


def issue_invoice(vault: Vault, invoice_id: int) -> Invoice:
    """Db lane: number, date and send a draft."""
    from coachdesk.services import invoices

    return invoices.issue(vault, invoice_id)


def record_payment(
    vault: Vault, invoice_id: int, amount: int, paid_on: date, method: PaymentMethod, note: str
) -> Payment:
    """Db lane: record money received."""
    from coachdesk.services import invoices

    return invoices.record_payment(vault, invoice_id, amount, paid_on, method, note)


def credit_invoice(vault: Vault, invoice_id: int, reason: str) -> Invoice:
    """Db lane: a credit note for all that is left on an invoice."""
    from coachdesk.services import invoices

    return invoices.credit_note(vault, invoice_id, reason=reason)


def void_invoice(vault: Vault, invoice_id: int, reason: str) -> Invoice:
    """Db lane: void an unpaid invoice."""
    from coachdesk.services import invoices

    return invoices.void(vault, invoice_id, reason)


def delete_draft(vault: Vault, invoice_id: int) -> None:
    """Db lane: delete a draft (it has no number, so no gap)."""
    from coachdesk.services import invoices

    invoices.delete_draft(vault, invoice_id)


def invoice_pages(vault: Vault, invoice_id: int, width: int) -> list[QImage]:
    """Db lane: an invoice's pages as images `width` pixels wide."""
    from coachdesk.services import invoices
    from coachdesk.ui.pdf_view import render_pages

    return render_pages(invoices.invoice_pdf(vault, invoice_id), width)


def save_invoice_pdf(vault: Vault, invoice_id: int, path: Path) -> Path:
    """Db lane: write the invoice's PDF where the coach chose (whole or not at all)."""
    from coachdesk.services import files, invoices

    return files.write_file(path, invoices.invoice_pdf(vault, invoice_id))


def invoice_title(invoice: Invoice | InvoiceRow) -> str:
    """ "Invoice INV-2026-0001", "Credit note …" or "Draft invoice"."""
    kind = "Credit note" if invoice.kind is InvoiceKind.CREDIT_NOTE else "Invoice"
    return f"{kind} {invoice.number}" if invoice.number else f"Draft {kind.lower()}"


def hand_off_invoice(vault: Vault, invoice_id: int) -> HandedOff:
    """Db lane: an e-mail draft to the client with the invoice PDF attached."""
    from coachdesk.documents import eml
    from coachdesk.services import clients, handoff, invoices, practice

    invoice = invoices.get_invoice(vault, invoice_id)
    if invoice.number is None:
        raise KnownError("Issue the invoice first: a draft has no number to send.")
    if invoice.client_id is None:
        raise KnownError("This invoice's client was erased; it is kept only for your tax records.")
    client = clients.get_client(vault, invoice.client_id)
    profile = practice.get_profile(vault)
    sender = profile.business_name or profile.coach_name
    address = client.emails[0] if client.emails else ""
    title = invoice_title(invoice)
    due = (
        f" It is due by {day_text(invoice.due_on)}."
        if invoice.due_on and invoice.kind is InvoiceKind.INVOICE
        else ""
    )
    body = (
        f"Dear {client.display_name},\n\n"
        f"Please find attached {title.lower().replace('invoice', 'invoice', 1)} "
        f"for {format_money(invoice.totals.gross_minor, invoice.currency)}.{due}\n\n"
        f"Kind regards,\n{profile.coach_name or sender}\n"
    )
    subject = f"{title} from {sender}" if sender else title
    pdf = invoices.invoice_pdf(vault, invoice_id)
    data = eml.draft(client.display_name, address, subject, body, f"{invoice.number}.pdf", pdf)
    path = handoff.write(f"{invoice.number}.eml", data)
    return HandedOff(path, address, subject)


# Models -------------------------------------------------------------------------------


class _Table(RecordTable):
    """A read-only table of frozen rows."""

    HEADERS: tuple[str, ...] = ()
    RIGHT: frozenset[int] = frozenset()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The text of a cell, aligned."""
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.styled(row, index.column(), role)

    def text(self, row: Any, column: int) -> str:
        """A cell's text (subclasses)."""
        raise NotImplementedError

    def styled(self, row: Any, column: int, role: int) -> Any:
        """Other roles (subclasses)."""
        return None


class OfferModel(_Table):
    """The offer catalogue."""

    HEADERS = ("Offer", "Tier", "Sessions", "Price", "Payment", "Notice", "Version")
    RIGHT = frozenset({3})

    def text(self, row: Offer, column: int) -> str:
        """Name, tier, sessions and minutes, price, terms, notice policy, version."""
        terms = row.terms
        if column == 0:
            return terms.name
        if column == 1:
            return terms.tier.label
        if column == 2:
            return f"{terms.session_count} × {terms.session_minutes} min"  # noqa: RUF001
        if column == 3:
            return format_money(terms.price_minor, terms.currency)
        if column == 4:
            if terms.instalments > 1:
                return f"{terms.payment_terms.label} ({terms.instalments})"
            return terms.payment_terms.label
        if column == 5:
            return notice_text(row)
        return f"v{row.version}"

    def styled(self, row: Offer, column: int, role: int) -> Any:
        """The outcome and what is included, as a tooltip."""
        if role == Qt.ItemDataRole.ToolTipRole:
            terms = row.terms
            parts = [terms.name]
            if terms.outcome:
                parts.append(f"Outcome: {terms.outcome}")
            parts += [f"✓ {item}" for item in terms.included]
            parts += [f"✗ {item}" for item in terms.excluded]
            return "\n".join(parts)
        return None


def notice_text(offer: Offer) -> str:
    """ "24 h notice; late cancels and no-shows count"."""
    terms = offer.terms
    counted = [
        name
        for name, counts in (
            ("late cancels", terms.late_cancel_counts),
            ("no-shows", terms.no_show_counts),
        )
        if counts
    ]
    rule = f"; {' and '.join(counted)} count" if counted else ""
    return f"{terms.notice_hours} h notice{rule}"


class InvoiceModel(_Table):
    """Invoices and credit notes, newest first."""

    HEADERS = ("Number", "Client", "Issued", "Due", "Total", "Still due", "Status", "Days late")
    RIGHT = frozenset({4, 5, 7})
    CLIENT_COLUMN = 1

    def text(self, row: InvoiceRow, column: int) -> str:
        """The invoice's number (or Draft), client, dates, sums and status."""
        if column == 0:
            if row.number is None:
                return "Draft"
            return f"{row.number} (credit)" if row.kind is InvoiceKind.CREDIT_NOTE else row.number
        if column == 1:
            return row.client_name
        if column == 2:
            return day_text(row.issued_on) if row.issued_on else "—"
        if column == 3:
            return day_text(row.due_on) if row.due_on else "—"
        if column == 4:
            return format_money(row.gross_minor, row.currency)
        if column == 5:
            due = row.due_minor if row.status in UNPAID else 0
            return format_money(due, row.currency) if due else "—"
        if column == 6:
            return row.status.label
        return str(row.days_overdue) if row.days_overdue > 0 else ""

    def styled(self, row: InvoiceRow, column: int, role: int) -> Any:
        """The status in its colour; drafts and void invoices greyed."""
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = STATUS_COLORS.get(row.status)
            if colour and (column == 6 or row.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)):
                return QBrush(QColor(colour))
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return "Double-click to open the client"
        return None


# Small dialogs --------------------------------------------------------------------------


class _ActionDialog(QDialog):
    """A short form that runs one action on the db lane and shows its errors inside.

    Args:
        ops: the vault operations.
        title: the window title and heading.
        primary: the button that runs the action.
        parent: the owning widget.

    Signals:
        done_with: the action's result.
    """

    done_with = Signal(object)

    def __init__(self, ops: VaultOps, title: str, primary: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(8)
        self.error = error_label()
        self.buttons, self.ok_button, self.cancel_button = dialog_buttons(primary, "Cancel")
        self.ok_button.clicked.connect(self._on_ok_clicked)
        self.buttons.rejected.connect(self.reject)
        self.intro = muted()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading(title, 4))
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        ops.closed.connect(self.reject)

    def action(self) -> Callable[[Vault], object]:
        """The db-lane action (subclasses); ValidationError when the form is wrong."""
        raise NotImplementedError

    @Slot()
    def _on_ok_clicked(self) -> None:
        set_message(self.error, None)
        try:
            action = self.action()
        except ValidationError as exc:
            set_message(self.error, " ".join(exc.errors.values()))
            return
        self.ok_button.setEnabled(False)
        job = self._ops.run(
            action,
            on_done=self._on_done,
            on_error=self._on_failed,
            changes="billing",
            owner=self,
            context=self.windowTitle().lower(),
        )
        if job is None:
            self.ok_button.setEnabled(True)

    def _on_done(self, result: object) -> None:
        self.done_with.emit(result)
        self.accept()

    def _on_failed(self, failure: Failure) -> None:
        self.ok_button.setEnabled(True)
        if failure.known:
            set_message(self.error, failure.inline_text)
        else:
            show_failure(self, failure)


class PaymentDialog(_ActionDialog):
    """Record a payment: how much (what is due, at first), when, and how.

    Args:
        ops: the vault operations.
        row: the invoice paid.
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, row: InvoiceRow, parent: QWidget | None = None) -> None:
        super().__init__(ops, f"Record a payment for {row.number}", "Record payment", parent)
        self.row = row
        self.intro.setText(
            f"{row.client_name} still owes {format_money(row.due_minor, row.currency)}."
        )
        self.amount = QLineEdit(money_text(max(row.due_minor, 0)))
        self.amount.selectAll()
        self.paid_on = date_edit(date.today())
        self.paid_on.setMaximumDate(self.paid_on.date())
        self.method = QComboBox()
        for method, label in METHODS.items():
            self.method.addItem(label, method.value)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Optional, e.g. the bank reference")
        amount_row = QWidget()
        amount_layout = QHBoxLayout(amount_row)
        amount_layout.setContentsMargins(0, 0, 0, 0)
        amount_layout.addWidget(self.amount)
        amount_layout.addWidget(QLabel(row.currency))
        amount_layout.addStretch(1)
        self.form.addRow("&Amount:", amount_row)
        self.form.addRow("&Paid on:", self.paid_on)
        self.form.addRow("&Method:", self.method)
        self.form.addRow("&Note:", self.note)
        self.amount.setFocus()

    def action(self) -> Callable[[Vault], object]:
        """Record the payment as typed."""
        amount = parse_money(self.amount.text())
        day = py_date(self.paid_on.date())
        method = PaymentMethod(self.method.currentData())
        note, invoice_id = self.note.text(), self.row.id
        return lambda vault: record_payment(vault, invoice_id, amount, day, method, note)


class ReasonDialog(_ActionDialog):
    """Ask why, then run an action that needs a reason (credit note, void).

    Args:
        ops: the vault operations.
        title: what is done.
        intro: what it means, in a sentence or two.
        primary: the button.
        run: the db-lane action, given the reason.
        parent: the owning widget.
    """

    def __init__(
        self,
        ops: VaultOps,
        title: str,
        intro: str,
        primary: str,
        run: Callable[[Vault, str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ops, title, primary, parent)
        self._run = run
        self.intro.setText(intro)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. The client cancelled before the programme began")
        self.form.addRow("&Reason:", self.reason)
        self.reason.setFocus()

    def action(self) -> Callable[[Vault], object]:
        """Run with the reason typed."""
        reason = self.reason.text().strip()
        if not reason:
            raise ValidationError({"reason": "Say why, in a few words: it is kept on record."})
        run = self._run
        return lambda vault: run(vault, reason)


class InvoicePreview(PdfPreviewDialog):
    """An invoice's PDF at reading size, rendered on the db lane.

    Args:
        ops: the vault operations.
        row: the invoice shown.
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, row: InvoiceRow, parent: QWidget | None = None) -> None:
        invoice_id = row.id
        super().__init__(
            ops,
            f"{invoice_title(row)} · {row.client_name}",
            "",
            lambda vault, width: invoice_pages(vault, invoice_id, width),
            "invoice",
            parent,
        )
        self.row = row


# Revenue --------------------------------------------------------------------------------


class RevenueChart(QWidget):
    """Twelve pairs of bars: invoiced (blue) and paid (green) per month."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._months: list[tuple[int, int]] = []
        self.setMinimumHeight(180)

    def set_months(self, months: list[tuple[int, int]]) -> None:
        """(invoiced, paid) for each month."""
        self._months = months
        self.update()

    def paintEvent(self, event: object) -> None:
        """Bars scaled to the biggest month, with month initials under them."""
        from PySide6.QtGui import QPainter

        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        label_h = metrics.height() + 4
        height = self.height() - label_h - 8
        top = max((max(a, b) for a, b in self._months), default=0) or 1
        slot = self.width() / 12
        bar = max(4.0, slot * 0.3)
        for i, (invoiced, paid) in enumerate(self._months):
            x = i * slot + slot / 2
            for offset, value, colour in ((-bar, invoiced, "#5c8ddb"), (0.0, paid, "#4caf50")):
                h = height * max(value, 0) / top
                painter.fillRect(
                    int(x + offset), int(8 + height - h), int(bar), int(h), QColor(colour)
                )
            painter.setPen(self.palette().color(self.foregroundRole()))
            name = MONTHS[i][:3]
            painter.drawText(int(x - metrics.horizontalAdvance(name) / 2), self.height() - 4, name)
        painter.end()


# The view -------------------------------------------------------------------------------


def _fit_columns(table: QTableView, stretch: int) -> None:
    """Every column as wide as its contents, but `stretch`, which takes the rest."""
    table.setStyleSheet("QTableView::item { padding: 0 10px 0 4px; }")
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


class InvoicePane(QWidget):
    """A list of invoices with the buttons that act on the selected one.

    Args:
        overdue: show only overdue invoices, oldest due first, with days late.
        parent: the owning widget.
    """

    def __init__(self, overdue: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overdue = overdue
        self.filter: QComboBox | None = None
        self.new_button = QPushButton("New invoice…")
        self.issue_button = QPushButton("Issue")
        self.issue_button.setToolTip("Give the draft its number and date; it can no longer change")
        self.pay_button = QPushButton("Record payment…")
        self.credit_button = QPushButton("Credit note…")
        self.credit_button.setToolTip("Cancel what is left of a sent invoice with a credit note")
        self.void_button = QPushButton("Void…")
        self.void_button.setToolTip("Cancel a sent invoice nobody has paid (its number stays)")
        self.delete_button = QPushButton("Delete draft")
        self.pdf_button = QPushButton("Save as PDF…")
        self.email_button = QPushButton("Email to client")
        self.email_button.setToolTip("Open a draft e-mail in your mail app with the PDF attached")
        self.preview_button = QPushButton("Preview")
        self.count = muted(wrap=False)
        self.model = InvoiceModel(self)
        table = self.table = QTableView()
        table.setObjectName("overdueTable" if overdue else "invoiceTable")
        table.setModel(self.model)
        list_table(table)
        _fit_columns(table, stretch=1)
        table.setColumnHidden(7, not overdue)
        if overdue:
            self.empty = EmptyState(
                "Nothing is overdue",
                "Invoices show here once their due date passes without full payment.",
            )
        else:
            self.empty = EmptyState(
                "No invoices yet",
                "Make your first invoice with New invoice…, or bill an enrolment from it.",
            )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(table)

        top = QHBoxLayout()
        if not overdue:
            self.filter = QComboBox()
            self.filter.addItems(list(FILTERS))
            self.filter.setToolTip("Show only some invoices")
            top.addWidget(QLabel("Show:"))
            top.addWidget(self.filter)
            top.addWidget(self.new_button)
        top.addStretch(1)
        top.addWidget(self.count)
        actions = QHBoxLayout()
        shown = (
            [self.issue_button, self.pay_button, self.credit_button, self.void_button]
            + ([] if overdue else [self.delete_button])
            + [self.preview_button, self.pdf_button, self.email_button]
        )
        if overdue:
            shown = [self.pay_button, self.preview_button, self.pdf_button, self.email_button]
        for button in shown:
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addLayout(actions)
        self._all: list[InvoiceRow] = []
        self._wanted: int | None = None
        if self.filter is not None:
            self.filter.currentTextChanged.connect(lambda _text: self._apply())
        table.selectionModel().selectionChanged.connect(lambda *_args: self.update_buttons())
        self.update_buttons()

    def set_invoices(self, rows: Sequence[InvoiceRow]) -> None:
        """Show these invoices (filtered), keeping the selection."""
        self._all = list(rows)
        self._apply()

    def set_filter(self, name: str) -> None:
        """Show only invoices of one kind ("All", "Drafts", "Unpaid", "Overdue", "Paid")."""
        if self.filter is not None:
            self.filter.setCurrentText(name)

    def _apply(self) -> None:
        current = self.current()
        if self.overdue:
            rows = sorted(
                (r for r in self._all if r.status is InvoiceStatus.OVERDUE),
                key=lambda r: (r.due_on or date.min, r.id),
            )
        else:
            keep = FILTERS[self.filter.currentText() if self.filter else "All"]
            rows = [r for r in self._all if keep(r.status)]
        self.model.set_rows(rows)
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        if not rows and self._all and not self.overdue:
            self.empty.set_text("No invoices like that", "Choose All to see every invoice.")
        elif not self.overdue:
            self.empty.set_text(
                "No invoices yet",
                "Make your first invoice with New invoice…, or bill an enrolment from it.",
            )
        if self.overdue:
            total = sum(r.due_minor for r in rows)
            code = rows[0].currency if rows else ""
            self.count.setText(f"{len(rows)} overdue · {format_money(total, code)}" if rows else "")
        else:
            self.count.setText(f"{len(rows)} {'invoice' if len(rows) == 1 else 'invoices'}")
        asked = self._wanted
        target = asked if asked is not None else (current.id if current else None)
        if target is not None and not self.select(target) and asked is None:
            self._wanted = None
        self.update_buttons()

    def select(self, invoice_id: int) -> bool:
        """Select an invoice in the list (now, or once the list shows it)."""
        row = self.model.row_of(invoice_id)
        if row < 0:
            self._wanted = invoice_id
            return False
        self._wanted = None
        self.table.selectRow(row)
        return True

    def current(self) -> InvoiceRow | None:
        """The selected invoice."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def update_buttons(self) -> None:
        """Enable what makes sense for the selected invoice."""
        row = self.current()
        status = row.status if row else None
        invoice = row is not None and row.kind is InvoiceKind.INVOICE
        self.issue_button.setEnabled(status is InvoiceStatus.DRAFT)
        self.delete_button.setEnabled(status is InvoiceStatus.DRAFT)
        self.pay_button.setEnabled(invoice and status in UNPAID)
        self.credit_button.setEnabled(
            invoice and status not in (None, InvoiceStatus.DRAFT, InvoiceStatus.VOID)
        )
        self.void_button.setEnabled(
            invoice and status in (InvoiceStatus.SENT, InvoiceStatus.OVERDUE)
        )
        for button in (self.preview_button, self.pdf_button):
            button.setEnabled(row is not None)
        self.email_button.setEnabled(row is not None and status is not InvoiceStatus.DRAFT)


class BillingView(LazyView):
    """Offers & billing: the offer catalogue, invoices, what is overdue and revenue by month.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        open_client_requested: a client's id, to open their page.
    """

    notice = Signal(str, object)
    open_client_requested = Signal(int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._loaded = False
        self._year: int | None = None
        self._currency = "EUR"
        self._folder = ""
        self._offers: list[Offer] = []
        self.dialog: QDialog | None = None

        self.message = QLabel()
        self.message.setObjectName("billingMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        # Offers
        self.offer_model = OfferModel(self)
        table = self.offer_table = QTableView()
        table.setObjectName("offerTable")
        table.setModel(self.offer_model)
        list_table(table)
        _fit_columns(table, stretch=0)
        table.doubleClicked.connect(lambda _index: self.edit_offer())
        table.selectionModel().selectionChanged.connect(lambda *_a: self._update_offer_buttons())
        self.new_offer_button = QPushButton("New offer…")
        self.new_offer_button.clicked.connect(lambda: self.new_offer())
        self.edit_offer_button = QPushButton("Edit…")
        self.edit_offer_button.setToolTip(
            "Change the terms: a new version; enrolments keep the terms they were sold under"
        )
        self.edit_offer_button.clicked.connect(lambda: self.edit_offer())
        self.archive_button = QPushButton("Archive")
        self.archive_button.setToolTip("Stop selling this offer; clients enrolled keep it")
        self.archive_button.clicked.connect(self._on_archive_clicked)
        self.cohort_button = QPushButton("Start a group programme…")
        self.cohort_button.setToolTip("Enrol several clients together and book group sessions")
        self.cohort_button.clicked.connect(lambda: self.start_cohort())
        self.offer_empty = EmptyState(
            "No offers yet",
            "Describe what you sell — sessions, price and cancellation policy — with New offer…",
        )
        self.offer_stack = QStackedWidget()
        self.offer_stack.addWidget(self.offer_empty)
        self.offer_stack.addWidget(table)
        offers_page = QWidget()
        offers_layout = QVBoxLayout(offers_page)
        offers_layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        for button in (
            self.new_offer_button,
            self.edit_offer_button,
            self.archive_button,
            self.cohort_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        offers_layout.addLayout(bar)
        offers_layout.addWidget(self.offer_stack, 1)
        offers_layout.addWidget(
            muted("Hover over an offer to see its outcome and what is included.")
        )

        # Invoices and Overdue
        self.invoices = InvoicePane(False)
        self.overdue = InvoicePane(True)
        for pane in (self.invoices, self.overdue):
            self._wire(pane)

        # Revenue
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(date.today().year)
        self.year_spin.setObjectName("revenueYear")
        self.year_spin.valueChanged.connect(self._on_year_changed)
        self.revenue_table = QTableWidget(0, 3)
        self.revenue_table.setObjectName("revenueTable")
        self.revenue_table.setHorizontalHeaderLabels(["Month", "Invoiced", "Paid"])
        list_table(self.revenue_table, (16,))
        self.revenue_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.chart = RevenueChart()
        self.revenue_note = muted(
            "Invoiced counts invoices by the day they were issued, less credit notes; "
            "paid counts payments by the day they came in."
        )
        revenue_page = QWidget()
        revenue_layout = QVBoxLayout(revenue_page)
        revenue_layout.setContentsMargins(0, 8, 0, 0)
        year_row = QHBoxLayout()
        year_row.addWidget(QLabel("&Year:"))
        year_row.itemAt(0).widget().setBuddy(self.year_spin)  # type: ignore[union-attr]
        year_row.addWidget(self.year_spin)
        year_row.addStretch(1)
        revenue_layout.addLayout(year_row)
        body = QHBoxLayout()
        body.addWidget(self.revenue_table, 3)
        chart_box = QVBoxLayout()
        chart_box.addWidget(self.chart, 1)
        chart_box.addWidget(muted("Blue: invoiced · Green: paid"))
        body.addLayout(chart_box, 4)
        revenue_layout.addLayout(body, 1)
        revenue_layout.addWidget(self.revenue_note)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(offers_page, "Offers")
        self.tabs.addTab(self.invoices, "Invoices")
        self.tabs.addTab(self.overdue, "Overdue")
        self.tabs.addTab(revenue_page, "Revenue")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(heading("Offers & billing"))
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        ops.changed.connect(self._on_changed)
        ops.closed.connect(self.clear)
        self._update_offer_buttons()

    # Public API ---------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        """Whether the data has been read since the vault opened."""
        return self._loaded

    def reload(self) -> None:
        """Read offers, invoices and revenue again."""
        self._stale = False
        year = self._year
        self._ops.run(
            lambda vault: load_billing(vault, year),
            on_done=self._on_loaded,
            on_error=self._on_failed,
            owner=self,
            context="reading offers and invoices",
        )

    def clear(self) -> None:
        """Forget everything shown (the vault is locking)."""
        self._loaded = False
        self._stale = True
        if self.dialog is not None:
            self.dialog.done(QDialog.DialogCode.Rejected)
        self.dialog = None
        self._offers = []
        self.offer_model.set_rows([])
        self.invoices.set_invoices([])
        self.overdue.set_invoices([])
        self.revenue_table.setRowCount(0)
        self.chart.set_months([])
        self.show_message(None)

    def show_tab(self, name: str) -> None:
        """Show a tab: "offers", "invoices", "overdue" or "revenue"."""
        index = ("offers", "invoices", "overdue", "revenue").index(name)
        self.tabs.setCurrentIndex(index)

    def show_message(self, text: str | None, error: bool = False) -> None:
        """Say something above the tabs (an error in red), or nothing."""
        set_banner(self.message, text, error)

    def current_offer(self) -> Offer | None:
        """The selected offer."""
        rows = self.offer_table.selectionModel().selectedRows()
        offer: Offer | None = self.offer_model.row_at(rows[0].row()) if rows else None
        return offer

    def current_invoice(self) -> InvoiceRow | None:
        """The invoice selected in the tab shown (Invoices or Overdue)."""
        pane = self._pane()
        return pane.current() if pane is not None else None

    def new_offer(self) -> OfferEditor:
        """Open the New offer form."""
        editor = OfferEditor(self._ops, None, self._currency, self)
        editor.saved.connect(self._on_offer_created)
        return self._open(editor)

    def edit_offer(self) -> OfferEditor | None:
        """Open the selected offer's terms to change them (a new version)."""
        offer = self.current_offer()
        if offer is None:
            return None
        editor = OfferEditor(self._ops, offer, self._currency, self)
        editor.saved.connect(self._on_offer_saved)
        return self._open(editor)

    def start_cohort(self) -> CohortDialog | None:
        """Open the form that starts a group programme on the selected offer."""
        offer = self.current_offer()
        if offer is None:
            return None
        dialog = CohortDialog(self._ops, offer, self)
        dialog.created.connect(lambda _cohort_id: self._on_cohort_created(dialog.summary))
        return self._open(dialog)

    def new_invoice(self, client_id: int | None = None) -> InvoiceEditor:
        """Open the New invoice form (for a client, if given)."""
        editor = InvoiceEditor(self._ops, None, client_id, self)
        editor.saved.connect(self._on_invoice_saved)
        return self._open(editor)

    # Plumbing -----------------------------------------------------------------

    def _wire(self, pane: InvoicePane) -> None:
        pane.new_button.clicked.connect(lambda: self.new_invoice())
        pane.issue_button.clicked.connect(self._on_issue_clicked)
        pane.pay_button.clicked.connect(self._on_pay_clicked)
        pane.credit_button.clicked.connect(self._on_credit_clicked)
        pane.void_button.clicked.connect(self._on_void_clicked)
        pane.delete_button.clicked.connect(self._on_delete_clicked)
        pane.pdf_button.clicked.connect(self._on_pdf_clicked)
        pane.email_button.clicked.connect(self._on_email_clicked)
        pane.preview_button.clicked.connect(self._on_preview_clicked)
        pane.table.doubleClicked.connect(self._on_invoice_double_clicked)

    def _pane(self) -> InvoicePane | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, InvoicePane) else None

    def _open(self, dialog: T) -> T:
        assert isinstance(dialog, QDialog)
        if self.dialog is not None:
            self.dialog.done(QDialog.DialogCode.Rejected)
        self.show_message(None)
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._on_dialog_finished(dialog))
        dialog.open()
        return dialog

    def _on_dialog_finished(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        delete_soon(dialog, self)

    def _run(
        self,
        fn: Callable[[Vault], T],
        on_done: Callable[[T], None],
        context: str,
        changes: str | None = None,
    ) -> None:
        self.show_message(None)
        self._ops.run(
            fn,
            on_done=on_done,
            on_error=self._on_action_failed,
            changes=changes,
            owner=self,
            context=context,
        )

    def _update_offer_buttons(self) -> None:
        chosen = self.current_offer() is not None
        self.edit_offer_button.setEnabled(chosen)
        self.archive_button.setEnabled(chosen)
        self.cohort_button.setEnabled(chosen)

    # Slots --------------------------------------------------------------------

    @Slot(str)
    def _on_changed(self, kind: str) -> None:
        if kind in ("billing", "clients", "sessions"):
            self.mark_stale()

    @Slot(object)
    def _on_loaded(self, data: BillingData) -> None:
        self._loaded = True
        self._currency = data.currency
        current_offer = self.current_offer()
        self._offers = data.offers
        self.offer_model.set_rows(data.offers)
        self.offer_stack.setCurrentWidget(self.offer_table if data.offers else self.offer_empty)
        if current_offer is not None:
            row = self.offer_model.row_of(current_offer.id)
            if row >= 0:
                self.offer_table.selectRow(row)
        self._update_offer_buttons()
        self.invoices.set_invoices(data.invoices)
        self.overdue.set_invoices(data.invoices)
        late = sum(1 for r in data.invoices if r.status is InvoiceStatus.OVERDUE)
        self.tabs.setTabText(2, f"Overdue ({late})" if late else "Overdue")
        self._show_revenue(data)

    def _show_revenue(self, data: BillingData) -> None:
        currencies = list(dict.fromkeys(m.currency for m in data.revenue)) or [data.currency]
        self.year_spin.blockSignals(True)
        self.year_spin.setValue(data.year)
        self.year_spin.blockSignals(False)
        headers = ["Month"]
        for code in currencies:
            suffix = f" ({code})" if len(currencies) > 1 else ""
            headers += [f"Invoiced{suffix}", f"Paid{suffix}"]
        table = self.revenue_table
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(13)
        by_key = {(m.currency, m.month): m for m in data.revenue}
        sums = {code: [0, 0] for code in currencies}
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for month in range(1, 13):
            table.setItem(month - 1, 0, QTableWidgetItem(MONTHS[month - 1]))
            for i, code in enumerate(currencies):
                entry = by_key.get((code, month))
                invoiced = entry.invoiced_minor if entry else 0
                paid = entry.paid_minor if entry else 0
                sums[code][0] += invoiced
                sums[code][1] += paid
                for j, value in enumerate((invoiced, paid)):
                    item = QTableWidgetItem(format_money(value, code) if value else "—")
                    item.setTextAlignment(right)
                    table.setItem(month - 1, 1 + 2 * i + j, item)
        total = QTableWidgetItem("Total")
        font = total.font()
        font.setBold(True)
        total.setFont(font)
        table.setItem(12, 0, total)
        for i, code in enumerate(currencies):
            for j, value in enumerate(sums[code]):
                item = QTableWidgetItem(format_money(value, code))
                item.setTextAlignment(right)
                item.setFont(font)
                table.setItem(12, 1 + 2 * i + j, item)
        first = currencies[0]
        self.chart.set_months(
            [
                (
                    by_key[(first, m)].invoiced_minor if (first, m) in by_key else 0,
                    by_key[(first, m)].paid_minor if (first, m) in by_key else 0,
                )
                for m in range(1, 13)
            ]
        )

    @Slot(int)
    def _on_year_changed(self, year: int) -> None:
        self._year = year
        self.reload()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        if failure.known:
            self.show_message(failure.message, error=True)
        else:
            self.show_message("Offers and invoices could not be read.", error=True)
            show_failure(self, failure)

    @Slot(object)
    def _on_action_failed(self, failure: Failure) -> None:
        if failure.known:
            self.show_message(failure.inline_text, error=True)
        else:
            show_failure(self, failure)

    # Offers

    @Slot(object)
    def _on_offer_created(self, offer: Offer) -> None:
        self.notice.emit(f"Created the offer “{offer.terms.name}”.", None)

    @Slot(object)
    def _on_offer_saved(self, offer: Offer) -> None:
        text = f"Saved as version {offer.version}; enrolments keep the terms they were sold under."
        self.show_message(text)
        self.notice.emit(text, None)

    @Slot(str)
    def _on_cohort_created(self, summary: str) -> None:
        self.show_message(summary)
        self.notice.emit(summary, None)

    @Slot()
    def _on_archive_clicked(self) -> None:
        offer = self.current_offer()
        if offer is None:
            return
        offer_id = offer.id
        self._run(
            lambda vault: archive_offer(vault, offer_id),
            lambda done: self.notice.emit(
                f"Archived “{done.terms.name}”: it is no longer sold; enrolled clients keep it.",
                None,
            ),
            "archiving an offer",
            changes="billing",
        )

    # Invoices

    @Slot(object)
    def _on_invoice_saved(self, invoice: Invoice) -> None:
        self.invoices.set_filter("All")
        self.show_tab("invoices")
        self.invoices.select(invoice.id)
        self.notice.emit(
            f"Saved a draft invoice for {invoice.client_name} "
            f"({format_money(invoice.totals.gross_minor, invoice.currency)}). "
            "Issue it to give it a number.",
            None,
        )

    @Slot()
    def _on_issue_clicked(self) -> None:
        row = self.current_invoice()
        if row is None:
            return
        invoice_id = row.id
        self._run(
            lambda vault: issue_invoice(vault, invoice_id),
            self._on_issued,
            "issuing an invoice",
            changes="billing",
        )

    def _on_issued(self, invoice: Invoice) -> None:
        due = f", due {day_text(invoice.due_on)}" if invoice.due_on else ""
        text = f"Issued {invoice.number} to {invoice.client_name}{due}."
        self.show_message(text)
        self.notice.emit(text, None)

    @Slot()
    def _on_pay_clicked(self) -> None:
        row = self.current_invoice()
        if row is None:
            return
        dialog = PaymentDialog(self._ops, row, self)
        dialog.done_with.connect(
            lambda payment: self.notice.emit(
                f"Recorded {format_money(payment.amount_minor, row.currency)} "
                f"against {row.number}.",
                None,
            )
        )
        self._open(dialog)

    @Slot()
    def _on_credit_clicked(self) -> None:
        row = self.current_invoice()
        if row is None:
            return
        invoice_id = row.id
        dialog = ReasonDialog(
            self._ops,
            f"Credit note for {row.number}",
            f"A credit note, with its own number, cancels what is left of {row.number}. "
            "The client sees the reason on it.",
            "Issue credit note",
            lambda vault, reason: credit_invoice(vault, invoice_id, reason),
            self,
        )
        dialog.done_with.connect(self._on_credited)
        self._open(dialog)

    def _on_credited(self, note: Invoice) -> None:
        text = f"Issued credit note {note.number} against {note.credits_number}."
        self.show_message(text)
        self.notice.emit(text, None)

    @Slot()
    def _on_void_clicked(self) -> None:
        row = self.current_invoice()
        if row is None:
            return
        invoice_id = row.id
        dialog = ReasonDialog(
            self._ops,
            f"Void {row.number}",
            f"{row.number} keeps its number but is marked void and no longer owed. "
            "Use a credit note instead if it was partly paid.",
            "Void invoice",
            lambda vault, reason: void_invoice(vault, invoice_id, reason),
            self,
        )
        dialog.done_with.connect(
            lambda invoice: self.notice.emit(f"{invoice.number} is now void.", None)
        )
        self._open(dialog)

    @Slot()
    def _on_delete_clicked(self) -> None:
        row = self.current_invoice()
        if row is None or row.status is not InvoiceStatus.DRAFT:
            return
        invoice_id, name = row.id, row.client_name
        self._run(
            lambda vault: delete_draft(vault, invoice_id),
            lambda _none: self.notice.emit(f"Deleted the draft invoice for {name}.", None),
            "deleting a draft invoice",
            changes="billing",
        )

    @Slot()
    def _on_preview_clicked(self) -> None:
        row = self.current_invoice()
        if row is not None:
            self._open(InvoicePreview(self._ops, row, self))

    @Slot(QModelIndex)
    def _on_invoice_double_clicked(self, index: QModelIndex) -> None:
        pane = self._pane()
        row = pane.model.row_at(index.row()) if pane is not None else None
        if row is None:
            return
        if index.column() == InvoiceModel.CLIENT_COLUMN:
            self.open_client_requested.emit(row.client_id)
        elif row.status is InvoiceStatus.DRAFT:
            invoice_id = row.id
            self._run(
                lambda vault: get_invoice(vault, invoice_id),
                self._on_draft_loaded,
                "opening a draft invoice",
            )
        else:
            self._open(InvoicePreview(self._ops, row, self))

    def _on_draft_loaded(self, invoice: Invoice) -> None:
        editor = InvoiceEditor(self._ops, invoice, None, self)
        editor.saved.connect(self._on_invoice_saved)
        self._open(editor)

    # Save and e-mail

    @Slot()
    def _on_pdf_clicked(self) -> None:
        row = self.current_invoice()
        if row is None:
            return
        name = f"{row.number or 'Draft invoice'} {row.client_name}.pdf"
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save as PDF", str(save_folder(self._folder) / name), "PDF documents (*.pdf)"
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(f"{path.name}.pdf")
        self._folder = str(path.parent)
        invoice_id = row.id
        self._run(
            lambda vault: save_invoice_pdf(vault, invoice_id, path),
            lambda saved: self.notice.emit(f"Saved “{saved.name}” in {saved.parent}.", None),
            "saving an invoice as PDF",
        )

    @Slot()
    def _on_email_clicked(self) -> None:
        row = self.current_invoice()
        if row is None:
            return
        invoice_id, name = row.id, row.client_name
        self._run(
            lambda vault: hand_off_invoice(vault, invoice_id),
            lambda draft: self._on_email_ready(draft, name),
            "preparing an e-mail draft",
        )

    def _on_email_ready(self, draft: HandedOff, name: str) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(draft.path))):
            self.show_message(
                "Your computer has no mail app set up to open e-mail drafts (.eml files). "
                "Set a default mail app and try again, or use Save as PDF… and attach the "
                "file yourself.",
                error=True,
            )
            return
        if not draft.to:
            self.show_message(
                f"{name} has no e-mail address in CoachDesk, so the draft has no recipient: "
                "type the address in your mail app before sending."
            )
        self.notice.emit("Opened a draft in your mail client.", None)
