"""The offer form: what a package promises, what it costs, and its cancellation policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from coachdesk.domain.billing import parse_money
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.scheduling import Offer, OfferTerms, PaymentTerms, Tier
from coachdesk.ui.dialogs.record_editor import RecordEditor, date_edit, py_date, qdate
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import set_message

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

# Errors of fields that share a row with another field show under that row.
ROW_OF = {
    "session_minutes": "session_count",
    "currency": "price",
    "tax_rate": "price",
    "instalments": "payment_terms",
    "valid_from": "valid_until",
}


def save_offer(vault: Vault, offer_id: int | None, terms: OfferTerms) -> Offer:
    """Db lane: create an offer, or save its terms as a new version."""
    from coachdesk.services import offers

    if offer_id is None:
        return offers.create_offer(vault, terms)
    return offers.update_offer(vault, offer_id, terms)


def parse_percent(text: str, field: str = "tax_rate") -> int:
    """Basis points from a percentage the coach typed ("20", "7.5", "" is 0).

    Raises:
        ValidationError: not a percentage.
    """
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    if not cleaned:
        return 0
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError({field: f"'{text}' is not a percentage, such as 20."}) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: "Use at most two decimals, such as 7.5."})
    return int(value * 100)


def percent_text(bp: int) -> str:
    """20 or 7.5, for a rate in basis points."""
    text = f"{Decimal(bp) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_text(minor: int) -> str:
    """1250.00, as the coach would type it."""
    return f"{minor // 100}.{minor % 100:02d}"


class BillingEditor(RecordEditor):
    """A RecordEditor whose save changes billing data (offers, invoices)."""

    CHANGES = "billing"

    @Slot()
    def _on_save_clicked(self) -> None:
        if self.is_saving:
            return
        set_message(self.error, None)
        try:
            save = self.prepare()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        self.errors.clear()
        self._set_saving(True)
        job = self._ops.run(
            save,
            on_done=self._on_saved,
            on_error=self._on_save_failed,
            changes=self.CHANGES,
            owner=self,
            context=self._context,
        )
        if job is None:
            self._set_saving(False)


def _row(*widgets: QWidget | str) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6)
    for widget in widgets:
        layout.addWidget(QLabel(widget) if isinstance(widget, str) else widget)
    layout.addStretch(1)
    first = next(w for w in widgets if isinstance(w, QWidget))
    box.setFocusProxy(first)
    return box


def _spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    return spin


class OfferEditor(BillingEditor):
    """An offer's terms; saving an existing offer makes a new version of it.

    Enrolments keep the version they were sold under, so editing never changes
    what a client already bought.

    Args:
        ops: the vault operations.
        offer: the offer to edit, or None for a new one.
        currency: the practice's currency, for a new offer.
        parent: the owning widget.

    Signals:
        saved: the stored Offer.
    """

    def __init__(
        self,
        ops: VaultOps,
        offer: Offer | None = None,
        currency: str = "EUR",
        parent: QWidget | None = None,
    ) -> None:
        title = "New offer" if offer is None else f"Edit “{offer.terms.name}”"
        primary = "Create offer" if offer is None else "Save as new version"
        context = "creating an offer" if offer is None else "saving an offer"
        super().__init__(ops, title, primary, context, parent)
        self.offer = offer
        self.setMinimumWidth(680)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Career Change Intensive")
        self.tier = QComboBox()
        for tier in Tier:
            self.tier.addItem(tier.label, tier.value)
        self.outcome_edit = QLineEdit()
        self.outcome_edit.setPlaceholderText("e.g. A signed offer in a new field within 6 months")
        self.included_edit = QPlainTextEdit()
        self.included_edit.setPlaceholderText("One per line, e.g. Six 60-minute sessions")
        self.excluded_edit = QPlainTextEdit()
        self.excluded_edit.setPlaceholderText("One per line, e.g. CV writing")
        for edit in (self.included_edit, self.excluded_edit):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 3 + 14)
        self.timeline_edit = QLineEdit()
        self.timeline_edit.setPlaceholderText("e.g. 3 months, fortnightly")
        self.sessions = _spin(0, 500, 6)
        self.minutes = _spin(15, 480, 60, " min")
        self.minutes.setSingleStep(15)
        self.price_edit = QLineEdit()
        self.price_edit.setPlaceholderText("1250.00")
        self.price_edit.setMaximumWidth(140)
        self.currency_edit = QLineEdit(currency)
        self.currency_edit.setMaxLength(3)
        self.currency_edit.setMaximumWidth(60)
        self.tax_edit = QLineEdit("0")
        self.tax_edit.setMaximumWidth(60)
        self.payment_terms = QComboBox()
        for terms in PaymentTerms:
            self.payment_terms.addItem(terms.label, terms.value)
        self.instalments = _spin(1, 36, 1)
        self.instalments_label = QLabel("in")
        self.instalments_suffix = QLabel("instalments")
        self.notice = _spin(0, 24 * 14, 24, " hours")
        self.late_counts = QCheckBox("A late cancellation uses up a session")
        self.late_counts.setChecked(True)
        self.no_show_counts = QCheckBox("A no-show uses up a session")
        self.no_show_counts.setChecked(True)
        self.from_check = QCheckBox("From")
        self.from_date = date_edit()
        self.until_check = QCheckBox("until")
        self.until_date = date_edit()
        self.price_hint = QLabel()
        self.price_hint.setObjectName("priceHint")

        self.add_field("&Name:", "name", self.name_edit)
        self.add_field("&Tier:", "tier", _row(self.tier))
        self.add_field("&Outcome:", "outcome", self.outcome_edit)
        self.add_field("&Included:", "included", self.included_edit)
        self.add_field("E&xcluded:", "excluded", self.excluded_edit)
        self.add_field("Ti&meline:", "timeline", self.timeline_edit)
        self.add_field(
            "&Sessions:", "session_count", _row(self.sessions, "sessions of", self.minutes)
        )
        self.add_field(
            "&Price:",
            "price",
            _row(self.price_edit, self.currency_edit, "plus tax", self.tax_edit, "%"),
        )
        self.add_field(
            "Pa&yment:",
            "payment_terms",
            _row(
                self.payment_terms,
                self.instalments_label,
                self.instalments,
                self.instalments_suffix,
            ),
        )
        self.add_field(
            "N&otice:",
            "notice_hours",
            _row(self.notice, "to cancel or move a session without losing it"),
        )
        self.form.addRow("", self.late_counts)
        self.form.addRow("", self.no_show_counts)
        self.add_field(
            "On &sale:",
            "valid_until",
            _row(self.from_check, self.from_date, self.until_check, self.until_date),
            "Leave both unticked to sell it with no end date.",
        )

        if offer is not None:
            self.set_terms(offer.terms)
        self.payment_terms.currentIndexChanged.connect(self._on_terms_changed)
        self.from_check.toggled.connect(self.from_date.setEnabled)
        self.until_check.toggled.connect(self.until_date.setEnabled)
        self.from_date.setEnabled(self.from_check.isChecked())
        self.until_date.setEnabled(self.until_check.isChecked())
        self._on_terms_changed()
        self.finish_setup()
        self.name_edit.setFocus()

    def set_terms(self, terms: OfferTerms) -> None:
        """Fill the form from an offer's terms."""
        self.name_edit.setText(terms.name)
        self.tier.setCurrentIndex(max(0, self.tier.findData(terms.tier.value)))
        self.outcome_edit.setText(terms.outcome)
        self.included_edit.setPlainText("\n".join(terms.included))
        self.excluded_edit.setPlainText("\n".join(terms.excluded))
        self.timeline_edit.setText(terms.timeline)
        self.sessions.setValue(terms.session_count)
        self.minutes.setValue(terms.session_minutes)
        self.price_edit.setText(money_text(terms.price_minor))
        self.currency_edit.setText(terms.currency)
        self.tax_edit.setText(percent_text(terms.tax_rate_bp))
        index = self.payment_terms.findData(terms.payment_terms.value)
        self.payment_terms.setCurrentIndex(max(0, index))
        self.instalments.setValue(terms.instalments)
        self.notice.setValue(terms.notice_hours)
        self.late_counts.setChecked(terms.late_cancel_counts)
        self.no_show_counts.setChecked(terms.no_show_counts)
        self._set_day(self.from_check, self.from_date, terms.valid_from)
        self._set_day(self.until_check, self.until_date, terms.valid_until)

    @staticmethod
    def _set_day(check: QCheckBox, edit: QDateEdit, day: date | None) -> None:
        check.setChecked(day is not None)
        if day is not None:
            edit.setDate(qdate(day))

    def terms(self) -> OfferTerms:
        """The terms as typed.

        Raises:
            ValidationError: the price or tax is not a number.
        """
        errors: dict[str, str] = {}
        price = 0
        try:
            price = parse_money(self.price_edit.text() or "0")
        except ValidationError as exc:
            errors["price"] = next(iter(exc.errors.values()))
        tax = 0
        try:
            tax = parse_percent(self.tax_edit.text())
        except ValidationError as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        return OfferTerms(
            name=self.name_edit.text(),
            tier=Tier(self.tier.currentData()),
            outcome=self.outcome_edit.text(),
            included=tuple(self.included_edit.toPlainText().splitlines()),
            excluded=tuple(self.excluded_edit.toPlainText().splitlines()),
            timeline=self.timeline_edit.text(),
            session_count=self.sessions.value(),
            session_minutes=self.minutes.value(),
            price_minor=price,
            currency=self.currency_edit.text(),
            tax_rate_bp=tax,
            payment_terms=PaymentTerms(self.payment_terms.currentData()),
            instalments=self.instalments.value(),
            notice_hours=self.notice.value(),
            late_cancel_counts=self.late_counts.isChecked(),
            no_show_counts=self.no_show_counts.isChecked(),
            valid_from=py_date(self.from_date.date()) if self.from_check.isChecked() else None,
            valid_until=py_date(self.until_date.date()) if self.until_check.isChecked() else None,
        )

    def snapshot(self) -> object:
        """Every field's text, comparable with ==."""
        try:
            return self.terms()
        except ValidationError:
            return (self.price_edit.text(), self.tax_edit.text())

    def prepare(self) -> Callable[[Vault], object]:
        """Check the terms here, then save them on the lane."""
        terms = self.terms().validated()
        offer_id = self.offer.id if self.offer is not None else None
        return lambda vault: save_offer(vault, offer_id, terms)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Errors of fields sharing a row show under that row."""
        merged: dict[str, str] = {}
        for name, message in errors.items():
            row = ROW_OF.get(name, name)
            merged[row] = f"{merged[row]} {message}" if row in merged else message
        super().show_errors(merged)

    @Slot()
    def _on_terms_changed(self) -> None:
        instalments = self.payment_terms.currentData() == PaymentTerms.INSTALMENTS.value
        self.instalments.setVisible(instalments)
        self.instalments_label.setVisible(instalments)
        self.instalments_suffix.setVisible(instalments)
