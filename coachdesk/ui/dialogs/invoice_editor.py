"""The invoice form: a client, the lines (or one of their enrolments), and the sums as you type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.billing import LineDraft, format_money, parse_money, totals
from coachdesk.domain.clients import ClientRow
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.scheduling import Enrolment
from coachdesk.ui.dialogs.offer_editor import BillingEditor, money_text, parse_percent, percent_text
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import muted, set_message

if TYPE_CHECKING:
    from coachdesk.store.billing import Invoice
    from coachdesk.store.vault import Vault

COLUMNS = ("Description", "Qty", "Unit price", "Tax %")


@dataclass(frozen=True, slots=True)
class Choices:
    """What the form offers to pick from: clients and the practice's currency."""

    clients: list[ClientRow]
    currency: str


def load_choices(vault: Vault) -> Choices:
    """Db lane: the clients to invoice and the practice's currency."""
    from coachdesk.services import clients, practice

    return Choices(clients.list_clients(vault), practice.get_profile(vault).currency or "EUR")


def client_enrolments(vault: Vault, client_id: int) -> list[Enrolment]:
    """Db lane: a client's enrolments, to bill one."""
    from coachdesk.services import offers

    return offers.list_enrolments(vault, client_id)


def save_invoice(
    vault: Vault,
    invoice_id: int | None,
    client_id: int,
    lines: Sequence[LineDraft],
    note: str,
    enrolment_id: int | None,
) -> Invoice:
    """Db lane: a new draft (from lines or an enrolment), or a draft's new lines."""
    from coachdesk.services import invoices

    if invoice_id is not None:
        return invoices.update_draft(vault, invoice_id, lines, note)
    if enrolment_id is not None:
        invoice = invoices.invoice_from_enrolment(vault, enrolment_id, client_id)
        if note.strip():
            invoice = invoices.update_draft(vault, invoice.id, invoice.lines, note)
        return invoice
    return invoices.create_invoice(vault, client_id, lines, note=note)


class InvoiceEditor(BillingEditor):
    """A draft invoice: whom it is for and its lines, with live totals.

    Args:
        ops: the vault operations.
        invoice: the draft to edit, or None for a new one.
        client_id: the client chosen at first, for a new invoice.
        parent: the owning widget.

    Signals:
        saved: the stored Invoice (a draft).
    """

    def __init__(
        self,
        ops: VaultOps,
        invoice: Invoice | None = None,
        client_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = "New invoice" if invoice is None else "Edit draft invoice"
        primary = "Save draft"
        context = "saving an invoice"
        super().__init__(ops, title, primary, context, parent)
        self.invoice = invoice
        self.currency = invoice.currency if invoice is not None else ""
        self._wanted_client = invoice.client_id if invoice is not None else client_id
        self._enrolments: list[Enrolment] = []
        self._loaded = False
        self.setMinimumWidth(720)

        self.client_combo = QComboBox()
        self.client_combo.setEditable(True)
        self.client_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.client_combo.setPlaceholderText("Loading clients…")
        self.client_combo.setMinimumWidth(320)
        self.client_combo.currentIndexChanged.connect(self._on_client_changed)
        if invoice is not None:
            self.client_combo.setEnabled(False)

        self.lines_radio = QRadioButton("Write the lines")
        self.enrolment_radio = QRadioButton("From an enrolment…")
        self.lines_radio.setChecked(True)
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.lines_radio)
        self.mode.addButton(self.enrolment_radio)
        self.mode.buttonToggled.connect(self._on_mode_changed)
        mode_row = QWidget()
        mode_layout = QHBoxLayout(mode_row)
        mode_layout.setContentsMargins(0, 0, 0, 0)
        mode_layout.addWidget(self.lines_radio)
        mode_layout.addWidget(self.enrolment_radio)
        mode_layout.addStretch(1)
        mode_row.setFocusProxy(self.lines_radio)
        mode_row.setVisible(invoice is None)

        self.enrolment_combo = QComboBox()
        self.enrolment_combo.setPlaceholderText("Choose a client first")
        self.enrolment_hint = muted()
        enrolment_box = self.enrolment_box = QWidget()
        enrolment_layout = QVBoxLayout(enrolment_box)
        enrolment_layout.setContentsMargins(0, 0, 0, 0)
        enrolment_layout.addWidget(self.enrolment_combo)
        enrolment_layout.addWidget(self.enrolment_hint)
        enrolment_box.setFocusProxy(self.enrolment_combo)

        table = self.lines_table = QTableWidget(0, len(COLUMNS))
        table.setObjectName("invoiceLines")
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        char = table.fontMetrics().averageCharWidth()
        for column, chars in ((1, 7), (2, 14), (3, 8)):
            table.setColumnWidth(column, chars * char)
        table.setMinimumHeight(170)
        table.itemChanged.connect(self._on_lines_edited)
        self.add_line_button = QPushButton("Add line")
        self.add_line_button.clicked.connect(lambda: self.add_line())
        self.remove_line_button = QPushButton("Remove line")
        self.remove_line_button.clicked.connect(self._on_remove_line)
        lines_box = self.lines_box = QWidget()
        lines_layout = QVBoxLayout(lines_box)
        lines_layout.setContentsMargins(0, 0, 0, 0)
        lines_layout.setSpacing(6)
        lines_layout.addWidget(table)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_line_button)
        buttons.addWidget(self.remove_line_button)
        buttons.addStretch(1)
        lines_layout.addLayout(buttons)
        lines_box.setFocusProxy(table)

        self.totals_label = QLabel()
        font = self.totals_label.font()
        font.setBold(True)
        self.totals_label.setFont(font)
        self.totals_label.setObjectName("invoiceTotals")
        self.totals_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Shown on the invoice, e.g. Thank you for your trust")

        self.add_field("&Client:", "client", self.client_combo)
        self.add_field("", "mode", mode_row)
        self.add_field("&Enrolment:", "enrolment", enrolment_box)
        self.add_field("&Lines:", "lines", lines_box)
        self.form.addRow("", self.totals_label)
        self.add_field("&Note:", "note", self.note_edit)

        if invoice is not None:
            for line in invoice.lines:
                self.add_line(line)
            self.note_edit.setText(invoice.note)
        else:
            self.add_line()
        self._on_mode_changed()
        self.update_totals()
        self.finish_setup()
        ops.run(
            load_choices,
            on_done=self._on_choices,
            on_error=self._on_load_failed,
            owner=self,
            context="listing clients to invoice",
        )

    # Lines -------------------------------------------------------------------

    def add_line(self, line: LineDraft | None = None) -> int:
        """Add a line (empty, or filled from `line`); returns its row."""
        table = self.lines_table
        row = table.rowCount()
        table.blockSignals(True)
        table.insertRow(row)
        values = (
            (line.description, str(line.quantity), money_text(line.unit_minor))
            if line is not None
            else ("", "1", "")
        )
        tax = percent_text(line.tax_rate_bp) if line is not None else "0"
        for column, text in enumerate((*values, tax)):
            item = QTableWidgetItem(text)
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, column, item)
        table.blockSignals(False)
        self.update_totals()
        if line is None:
            table.setCurrentCell(row, 0)
        return row

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Type `text` into a cell (as the coach would)."""
        item = self.lines_table.item(row, column)
        if item is None:
            self.lines_table.setItem(row, column, QTableWidgetItem(text))
        else:
            item.setText(text)

    def _cell(self, row: int, column: int) -> str:
        item = self.lines_table.item(row, column)
        return item.text().strip() if item is not None else ""

    def lines(self) -> list[LineDraft]:
        """The lines as typed (blank rows left out).

        Raises:
            ValidationError: a quantity, price or tax is not a number (under "lines").
        """
        lines: list[LineDraft] = []
        for row in range(self.lines_table.rowCount()):
            texts = [self._cell(row, column) for column in range(len(COLUMNS))]
            description, quantity, price, tax = texts
            if not description and not price and quantity in ("", "1"):
                continue
            where = f"Line {row + 1}: "
            try:
                count = int(quantity or "1")
            except ValueError:
                raise ValidationError(
                    {"lines": f"{where}the quantity '{quantity}' is not a whole number."}
                ) from None
            try:
                unit = parse_money(price or "0")
                rate = parse_percent(tax)
            except ValidationError as exc:
                raise ValidationError({"lines": where + next(iter(exc.errors.values()))}) from None
            line = LineDraft(description, count, unit, rate)
            try:
                line.validated()
            except ValidationError as exc:
                raise ValidationError({"lines": where + next(iter(exc.errors.values()))}) from None
            lines.append(line)
        return lines

    def update_totals(self) -> None:
        """Show the sums of the lines as typed (or what is wrong with them)."""
        if self.enrolment_radio.isChecked():
            enrolment = self.current_enrolment()
            self.totals_label.setText(
                f"Total {format_money(enrolment.price_minor, enrolment.currency)} (see the "
                "offer's payment terms)"
                if enrolment is not None
                else ""
            )
            return
        try:
            lines = self.lines()
        except ValidationError as exc:
            self.totals_label.setText(next(iter(exc.errors.values())))
            return
        sums = totals(tuple(lines))
        code = self.currency or ""
        self.totals_label.setText(
            f"Net {format_money(sums.net_minor, code)}   ·   "
            f"Tax {format_money(sums.tax_minor, code)}   ·   "
            f"Total {format_money(sums.gross_minor, code)}"
        )

    @Slot()
    def _on_lines_edited(self, *_args: object) -> None:
        self.update_totals()

    @Slot()
    def _on_remove_line(self) -> None:
        row = self.lines_table.currentRow()
        if row >= 0:
            self.lines_table.removeRow(row)
            self.update_totals()

    # Client and enrolment -------------------------------------------------------

    def client_id(self) -> int | None:
        """The chosen client."""
        value = self.client_combo.currentData()
        return int(value) if value is not None else None

    def choose_client(self, client_id: int) -> bool:
        """Pick a client in the list (now, or once the list has loaded)."""
        index = self.client_combo.findData(client_id)
        if index < 0:
            self._wanted_client = client_id
            return False
        self.client_combo.setCurrentIndex(index)
        return True

    def current_enrolment(self) -> Enrolment | None:
        """The enrolment chosen to bill."""
        index = self.enrolment_combo.currentIndex()
        return self._enrolments[index] if 0 <= index < len(self._enrolments) else None

    @property
    def is_loaded(self) -> bool:
        """Whether the client list has arrived."""
        return self._loaded

    @Slot(object)
    def _on_choices(self, choices: Choices) -> None:
        if not self.currency:
            self.currency = choices.currency
        combo = self.client_combo
        combo.blockSignals(True)
        combo.clear()
        for row in sorted(choices.clients, key=lambda r: r.name.casefold()):
            combo.addItem(row.name, row.id)
        combo.setCurrentIndex(-1)
        combo.setPlaceholderText("Choose a client" if choices.clients else "Add a client first")
        combo.blockSignals(False)
        self._loaded = True
        if self._wanted_client is not None:
            self.choose_client(self._wanted_client)
        self.update_totals()
        self.finish_setup()

    @Slot(object)
    def _on_load_failed(self, failure: Failure) -> None:
        set_message(self.error, failure.message if failure.known else "Clients could not be read.")

    @Slot()
    def _on_client_changed(self, *_args: object) -> None:
        self._enrolments = []
        self.enrolment_combo.clear()
        client_id = self.client_id()
        if client_id is None or self.invoice is not None:
            return
        self.enrolment_combo.setPlaceholderText("Loading enrolments…")
        self._ops.run(
            lambda vault: client_enrolments(vault, client_id),
            on_done=lambda rows: self._on_enrolments(client_id, rows),
            on_error=self._on_load_failed,
            owner=self,
            context="listing a client's enrolments",
        )

    def _on_enrolments(self, client_id: int, enrolments: list[Enrolment]) -> None:
        if client_id != self.client_id():
            return
        self._enrolments = list(enrolments)
        self.enrolment_combo.clear()
        for each in enrolments:
            state = "active" if each.active else "ended"
            self.enrolment_combo.addItem(
                f"{each.offer_name} (v{each.offer_version}) · from {each.start_on:%d %b %Y} · "
                f"{format_money(each.price_minor, each.currency)} · {state}"
            )
        self.enrolment_combo.setPlaceholderText(
            "" if enrolments else "This client has no enrolments: enrol them in an offer first"
        )
        self.enrolment_combo.setCurrentIndex(0 if enrolments else -1)
        self.update_totals()

    @Slot()
    def _on_mode_changed(self, *_args: object) -> None:
        from_enrolment = self.enrolment_radio.isChecked()
        self.enrolment_box.setVisible(from_enrolment)
        self.lines_box.setVisible(not from_enrolment)
        for name, shown in (("enrolment", from_enrolment), ("lines", not from_enrolment)):
            block = self.errors.label(name).parentWidget()
            if block is not None:
                self.form.setRowVisible(block, shown)
        self.enrolment_hint.setText(
            "The draft bills the enrolment at the price it was sold for (the first instalment "
            "for instalment terms). You can check it before you issue it."
            if from_enrolment
            else ""
        )
        self.update_totals()
        QTimer.singleShot(0, self, self.adjustSize)

    # RecordEditor ---------------------------------------------------------------

    def snapshot(self) -> object:
        """The client, mode, cells and note."""
        cells = tuple(
            self._cell(row, column)
            for row in range(self.lines_table.rowCount())
            for column in range(len(COLUMNS))
        )
        return (self.client_id(), self.enrolment_radio.isChecked(), cells, self.note_edit.text())

    def prepare(self) -> Callable[[Vault], object]:
        """Check the form here, then save the draft on the lane."""
        client_id = self.client_id()
        if client_id is None:
            raise ValidationError({"client": "Choose whom the invoice is for."})
        note = self.note_edit.text()
        invoice_id = self.invoice.id if self.invoice is not None else None
        if self.enrolment_radio.isChecked():
            enrolment = self.current_enrolment()
            if enrolment is None:
                raise ValidationError({"enrolment": "Choose the enrolment to bill."})
            enrolment_id = enrolment.id
            return lambda vault: save_invoice(vault, None, client_id, [], note, enrolment_id)
        lines = self.lines()
        if not lines:
            raise ValidationError({"lines": "Add at least one line: what is the invoice for?"})
        return lambda vault: save_invoice(vault, invoice_id, client_id, lines, note, None)
