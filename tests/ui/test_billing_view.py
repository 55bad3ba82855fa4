"""Offers & billing as a coach uses it: offers and their versions, invoices from draft to
paid, PDFs and e-mails, credit notes, what is overdue, and revenue by month."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from coachdesk.domain.billing import LineDraft
from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.scheduling import OfferTerms
from coachdesk.paths import handoff_dir
from coachdesk.services import clients, invoices, offers
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.invoice_editor import InvoiceEditor
from coachdesk.ui.dialogs.offer_editor import OfferEditor
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.billing import (
    BillingView,
    InvoiceModel,
    OfferModel,
    PaymentDialog,
    ReasonDialog,
)
from tests.ui.conftest import WAIT_MS, on_lane

T = TypeVar("T")


def add_client(qtbot: QtBot, ops: VaultOps, first: str = "Cleo", last: str = "Martin") -> Client:
    draft = ClientDraft(
        first_name=first,
        last_name=last,
        emails=(f"{first.lower()}@example.com",),
        status=ClientStatus.ACTIVE,
    )
    return on_lane(qtbot, ops, lambda vault: clients.create_client(vault, draft))


@pytest.fixture
def view(qtbot: QtBot, ops: VaultOps) -> BillingView:
    """The billing view, shown, its data read."""
    made = BillingView(ops)
    qtbot.addWidget(made)
    made.resize(1280, 800)
    made.show()
    qtbot.waitUntil(lambda: made.is_loaded, timeout=WAIT_MS)
    return made


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def cell(model: Any, row: int, column: int) -> str:
    return str(model.data(model.index(row, column)))


def revenue(view: BillingView, row: int, column: int) -> str:
    item = view.revenue_table.item(row, column)
    return item.text() if item is not None else ""


def retype(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(widget, text)


def reloaded(qtbot: QtBot, view: BillingView, check: Callable[[], bool]) -> None:
    qtbot.waitUntil(check, timeout=WAIT_MS)


# Models ----------------------------------------------------------------------------------------


def test_models_pass_the_model_tester(qtbot: QtBot, ops: VaultOps, qtmodeltester: Any) -> None:
    client = add_client(qtbot, ops)
    offer = on_lane(qtbot, ops, lambda vault: offers.create_offer(vault, OfferTerms("Sprint")))
    draft = on_lane(
        qtbot,
        ops,
        lambda vault: invoices.create_invoice(vault, client.id, [LineDraft("Session", 1, 9000)]),
    )
    rows = on_lane(qtbot, ops, invoices.list_invoices)
    offer_model = OfferModel()
    offer_model.set_rows([offer])
    qtmodeltester.check(offer_model)
    invoice_model = InvoiceModel()
    invoice_model.set_rows(rows)
    qtmodeltester.check(invoice_model)
    assert cell(invoice_model, 0, 0) == "Draft"
    assert invoice_model.row_of(draft.id) == 0


# Offers ----------------------------------------------------------------------------------------


def test_an_offer_is_created_and_edited_into_a_new_version(qtbot: QtBot, view: BillingView) -> None:
    assert view.offer_stack.currentWidget() is view.offer_empty
    click(qtbot, view.new_offer_button)
    editor = view.dialog
    assert isinstance(editor, OfferEditor)
    qtbot.keyClicks(editor.name_edit, "Career Change Intensive")
    retype(qtbot, editor.sessions, "8")
    qtbot.keyClicks(editor.price_edit, "1,250.x")
    retype(qtbot, editor.tax_edit, "20")
    click(qtbot, editor.save_button)
    assert editor.errors.message("price") == "'1,250.x' is not an amount, such as 1250.00."
    assert editor.isVisible()

    retype(qtbot, editor.price_edit, "1,250")
    qtbot.keyClicks(editor.included_edit, "Eight sessions")
    qtbot.keyClick(editor.included_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.included_edit, "A CV review")
    click(qtbot, editor.save_button)
    reloaded(qtbot, view, lambda: view.offer_model.rowCount() == 1)
    model = view.offer_model
    assert cell(model, 0, 0) == "Career Change Intensive"
    assert cell(model, 0, 2) == "8 × 60 min"  # noqa: RUF001
    assert cell(model, 0, 3) == "1,250.00 GBP"
    assert cell(model, 0, 5) == "24 h notice; late cancels and no-shows count"
    assert cell(model, 0, 6) == "v1"
    assert "✓ A CV review" in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)

    view.offer_table.selectRow(0)
    click(qtbot, view.edit_offer_button)
    editor = view.dialog
    assert isinstance(editor, OfferEditor)
    assert editor.price_edit.text() == "1250.00"
    assert editor.tax_edit.text() == "20"
    retype(qtbot, editor.price_edit, "1400")
    click(qtbot, editor.save_button)
    reloaded(qtbot, view, lambda: cell(view.offer_model, 0, 6) == "v2")
    assert cell(view.offer_model, 0, 3) == "1,400.00 GBP"
    assert view.message.text() == (
        "Saved as version 2; enrolments keep the terms they were sold under."
    )

    click(qtbot, view.archive_button)
    reloaded(qtbot, view, lambda: view.offer_model.rowCount() == 0)


# Invoices --------------------------------------------------------------------------------------


def test_an_invoice_from_draft_to_paid_pdf_email_credit_and_revenue(
    qtbot: QtBot,
    ops: VaultOps,
    view: BillingView,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = add_client(qtbot, ops)
    view.mark_stale()
    view.show_tab("invoices")
    pane = view.invoices
    click(qtbot, pane.new_button)
    editor = view.dialog
    assert isinstance(editor, InvoiceEditor)
    qtbot.waitUntil(lambda: editor.is_loaded, timeout=WAIT_MS)
    assert editor.choose_client(client.id)
    editor.set_cell(0, 0, "Coaching session")
    editor.set_cell(0, 2, "150")
    editor.set_cell(0, 3, "20")
    click(qtbot, editor.add_line_button)
    editor.set_cell(1, 0, "Workbook")
    editor.set_cell(1, 1, "2")
    editor.set_cell(1, 2, "25.50")
    assert editor.totals_label.text() == (
        "Net 201.00 GBP   ·   Tax 30.00 GBP   ·   Total 231.00 GBP"
    )
    editor.set_cell(1, 1, "two")
    assert editor.totals_label.text() == "Line 2: the quantity 'two' is not a whole number."
    editor.set_cell(1, 1, "2")
    click(qtbot, editor.save_button)
    reloaded(qtbot, view, lambda: pane.model.rowCount() == 1)
    assert cell(pane.model, 0, 0) == "Draft"
    assert cell(pane.model, 0, 4) == "231.00 GBP"
    assert cell(pane.model, 0, 6) == "Draft"
    assert pane.current() is not None

    click(qtbot, pane.issue_button)
    year = date.today().year
    number = f"INV-{year}-0001"
    reloaded(qtbot, view, lambda: cell(pane.model, 0, 0) == number)
    assert cell(pane.model, 0, 6) == "Sent"
    assert view.message.text().startswith(f"Issued {number} to Cleo Martin, due ")

    pane.select(pane.model.row_at(0).id)
    click(qtbot, pane.pay_button)
    dialog = view.dialog
    assert isinstance(dialog, PaymentDialog)
    assert dialog.amount.text() == "231.00"
    retype(qtbot, dialog.amount, "100")
    click(qtbot, dialog.ok_button)
    reloaded(qtbot, view, lambda: cell(pane.model, 0, 6) == "Partly paid")
    assert cell(pane.model, 0, 5) == "131.00 GBP"

    view.show_tab("revenue")
    month = date.today().month
    assert revenue(view, month - 1, 1) == "231.00 GBP"
    assert revenue(view, month - 1, 2) == "100.00 GBP"
    assert revenue(view, 12, 0) == "Total"
    assert revenue(view, 12, 2) == "100.00 GBP"
    view.show_tab("invoices")

    # Save as PDF
    target = tmp_path / "invoice"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: (str(target), "")))
    notices: list[str] = []
    view.notice.connect(lambda message, _undo: notices.append(message))
    pane.select(pane.model.row_at(0).id)
    click(qtbot, pane.pdf_button)
    qtbot.waitUntil(lambda: bool(notices), timeout=WAIT_MS)
    assert notices[-1] == f"Saved “invoice.pdf” in {tmp_path}."
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "invoice.pdf").pages)
    assert number in text
    assert "Cleo Martin" in text

    # Email to client
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    click(qtbot, pane.email_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    path = Path(opened[0].toLocalFile())
    assert path.is_relative_to(handoff_dir())
    assert path.name == f"{number}.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "Cleo Martin <cleo@example.com>"
    assert number in message["Subject"]
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"{number}.pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")
    assert notices[-1] == "Opened a draft in your mail client."

    # Credit note
    click(qtbot, pane.credit_button)
    dialog = view.dialog
    assert isinstance(dialog, ReasonDialog)
    click(qtbot, dialog.ok_button)
    assert dialog.error.text() == "Say why, in a few words: it is kept on record."
    qtbot.keyClicks(dialog.reason, "The programme was cancelled")
    click(qtbot, dialog.ok_button)
    credit = f"INV-{year}-0002"
    reloaded(qtbot, view, lambda: pane.model.rowCount() == 2)
    assert view.message.text() == f"Issued credit note {credit} against {number}."
    assert cell(pane.model, 0, 0) == f"{credit} (credit)"


def test_an_invoice_bills_an_enrolment(qtbot: QtBot, ops: VaultOps, view: BillingView) -> None:
    client = add_client(qtbot, ops)
    terms = OfferTerms("Interview Sprint", price_minor=60000, currency="GBP", session_count=4)

    def enrol(vault: Vault) -> None:
        offer = offers.create_offer(vault, terms)
        offers.enrol(vault, client.id, offer.id)

    on_lane(qtbot, ops, enrol)
    view.show_tab("invoices")
    editor = view.new_invoice(client.id)
    qtbot.waitUntil(lambda: editor.client_id() == client.id, timeout=WAIT_MS)
    editor.enrolment_radio.setChecked(True)
    qtbot.waitUntil(lambda: editor.current_enrolment() is not None, timeout=WAIT_MS)
    assert editor.enrolment_combo.currentText().startswith("Interview Sprint (v1)")
    assert editor.totals_label.text().startswith("Total 600.00 GBP")
    click(qtbot, editor.save_button)
    reloaded(qtbot, view, lambda: view.invoices.model.rowCount() == 1)
    assert cell(view.invoices.model, 0, 4) == "600.00 GBP"


def test_overdue_invoices_are_counted_filtered_and_lead_to_the_client(
    qtbot: QtBot, ops: VaultOps, view: BillingView
) -> None:
    client = add_client(qtbot, ops, "Ben", "Walsh")
    issued_on = date.today() - timedelta(days=60)

    def late(vault: Vault) -> int:
        draft = invoices.create_invoice(vault, client.id, [LineDraft("Sessions", 2, 30000)])
        return invoices.issue(vault, draft.id, issued_on=issued_on).id

    on_lane(qtbot, ops, late)
    view.mark_stale()
    reloaded(qtbot, view, lambda: view.tabs.tabText(2) == "Overdue (1)")
    view.show_tab("overdue")
    pane = view.overdue
    assert pane.model.rowCount() == 1
    assert cell(pane.model, 0, 6) == "Overdue"
    assert cell(pane.model, 0, 5) == "600.00 GBP"
    row = pane.model.row_at(0)
    assert row.due_on is not None
    assert cell(pane.model, 0, 7) == str((date.today() - row.due_on).days)
    colour = pane.model.data(pane.model.index(0, 6), Qt.ItemDataRole.ForegroundRole)
    assert colour.color().name() == "#c62828"
    assert pane.count.text() == "1 overdue · 600.00 GBP"

    view.show_tab("invoices")
    view.invoices.set_filter("Paid")
    assert view.invoices.stack.currentWidget() is view.invoices.empty
    view.invoices.set_filter("Overdue")
    assert view.invoices.model.rowCount() == 1

    wanted: list[int] = []
    view.open_client_requested.connect(wanted.append)
    index: QModelIndex = view.invoices.model.index(0, InvoiceModel.CLIENT_COLUMN)
    view.invoices.table.doubleClicked.emit(index)
    assert wanted == [client.id]
