"""The practice profile form (first run and Settings) and its first-run dialog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QRegularExpression, QSize, Qt, Signal, Slot
from PySide6.QtGui import QPixmap, QRegularExpressionValidator, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.errors import ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    FieldErrors,
    TimeZoneCombo,
    dialog_buttons,
    error_label,
    fit_height,
    heading,
    muted,
    set_message,
    system_time_zone,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

CURRENCIES = (
    "EUR",
    "GBP",
    "USD",
    "CHF",
    "CAD",
    "AUD",
    "NZD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "JPY",
    "SGD",
    "INR",
    "ZAR",
    "BRL",
    "MXN",
)
LOGO_BOX = QSize(160, 72)


def save_profile(vault: Vault, profile: PracticeProfile, logo: bytes | None) -> PracticeProfile:
    """Db lane: store the practice profile (and a new logo); the stored profile."""
    from coachdesk.services import practice

    return practice.save_profile(vault, profile, logo)


def _system_currency() -> str:
    code = QLocale.system().currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode)
    return code if len(code) == 3 and code.isalpha() else ""


class ProfileForm(QWidget):
    """Coach name, business name, time zone, currency and logo, with field errors.

    Args:
        ops: the vault operations (saving, and reading a chosen logo file, run on the db lane).
        parent: the owning widget.

    Signals:
        saved: the stored PracticeProfile after a successful save.
        save_failed: a Failure that is not about one field (shown by the owner).
        busy_changed: True while saving or reading the logo file.
    """

    saved = Signal(object)
    save_failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._logo_attachment_id: int | None = None
        self._new_logo: bytes | None = None

        self.coach_name = QLineEdit()
        self.coach_name.setPlaceholderText("Your name as clients see it")
        self.business_name = QLineEdit()
        self.business_name.setPlaceholderText("Optional, e.g. Rivera Career Coaching")
        self.time_zone = TimeZoneCombo()
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.currency.addItems(CURRENCIES)
        currency_edit = self.currency.lineEdit()
        assert currency_edit is not None
        currency_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression("[A-Za-z]{0,3}"), self.currency)
        )
        self.currency.setMaximumWidth(120)

        self.logo_preview = QLabel("No logo")
        self.logo_preview.setObjectName("logoPreview")
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setFixedSize(LOGO_BOX)
        self.logo_preview.setFrameShape(QFrame.Shape.StyledPanel)
        self.logo_button = QPushButton("Choose image…")
        self.logo_button.clicked.connect(self._on_choose_logo)
        logo_row = QWidget()
        logo_layout = QHBoxLayout(logo_row)
        logo_layout.setContentsMargins(0, 0, 0, 0)
        logo_layout.addWidget(self.logo_preview)
        logo_layout.addWidget(self.logo_button, 0, Qt.AlignmentFlag.AlignBottom)
        logo_layout.addStretch(1)

        self.errors = FieldErrors()
        form = QFormLayout(self)
        self.form_layout = form
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Your name:", self.errors.add("coach_name", self.coach_name))
        form.addRow("&Business name:", self.errors.add("business_name", self.business_name))
        form.addRow("&Time zone:", self.errors.add("time_zone", self.time_zone))
        form.addRow("&Currency:", self.errors.add("currency", self.currency))
        form.addRow(
            "Logo:",
            self.errors.add("logo", logo_row, "PNG or JPEG up to 2 MB, shown on your documents."),
        )
        for row, widget in enumerate(
            (self.coach_name, self.business_name, self.time_zone, self.currency)
        ):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                label.setBuddy(widget)

        self.time_zone.line_edit.editingFinished.connect(self._on_time_zone_left)
        self.set_profile(PracticeProfile(time_zone=system_time_zone(), currency=_system_currency()))

    def set_profile(self, profile: PracticeProfile, logo: bytes | None = None) -> None:
        """Fill the form from a stored profile (and its logo's bytes)."""
        self.coach_name.setText(profile.coach_name)
        self.business_name.setText(profile.business_name)
        self.time_zone.set_zone(profile.time_zone)
        self.currency.setCurrentIndex(self.currency.findText(profile.currency))
        self.currency.setEditText(profile.currency)
        self._logo_attachment_id = profile.logo_attachment_id
        self._new_logo = None
        self._show_logo(logo)
        self.errors.clear()

    def profile(self) -> PracticeProfile:
        """The profile as typed (not validated)."""
        return PracticeProfile(
            coach_name=self.coach_name.text(),
            business_name=self.business_name.text(),
            time_zone=self.time_zone.zone,
            currency=self.currency.currentText(),
            logo_attachment_id=self._logo_attachment_id,
        )

    @property
    def new_logo(self) -> bytes | None:
        """The bytes of a newly chosen logo, or None to keep the stored one."""
        return self._new_logo

    def validate(self) -> bool:
        """Show field errors for what is wrong; True when the profile can be saved."""
        try:
            self.profile().validated()
        except ValidationError as exc:
            self.errors.show(exc.errors)
            return False
        self.errors.set("coach_name", None)
        self.errors.set("time_zone", None)
        self.errors.set("currency", None)
        return True

    def save(self) -> bool:
        """Validate, then save on the db lane; `saved` or field errors follow. False if invalid."""
        if not self.validate():
            return False
        profile, logo = self.profile(), self._new_logo
        self.busy_changed.emit(True)
        job = self._ops.run(
            lambda vault: save_profile(vault, profile, logo),
            on_done=self._on_saved,
            on_error=self._on_save_failed,
            changes="practice",
            owner=self,
            context="saving the practice profile",
        )
        if job is None:
            self.busy_changed.emit(False)
        return job is not None

    def clear(self) -> None:
        """Forget everything shown (the vault is locking)."""
        self.set_profile(PracticeProfile())

    def _show_logo(self, data: bytes | None) -> None:
        pixmap = QPixmap()
        if data and pixmap.loadFromData(data):
            scaled = pixmap.scaled(
                LOGO_BOX - QSize(12, 12),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.logo_preview.setPixmap(scaled)
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")

    @Slot()
    def _on_time_zone_left(self) -> None:
        zone = self.time_zone.zone
        try:
            PracticeProfile(coach_name="-", time_zone=zone, currency="EUR").validated()
        except ValidationError as exc:
            self.errors.set("time_zone", exc.errors.get("time_zone") if zone else None)
        else:
            self.errors.set("time_zone", None)

    @Slot()
    def _on_choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose your logo", "", "Images (*.png *.jpg *.jpeg)"
        )
        if not path:
            return
        self.busy_changed.emit(True)
        self._ops.lane.run(
            lambda _job: Path(path).read_bytes(),
            on_done=self._on_logo_read,
            on_error=self._on_logo_unreadable,
            owner=self,
            context="reading the logo file",
        )

    @Slot(object)
    def _on_logo_read(self, data: bytes) -> None:
        from coachdesk.services import practice  # loaded already: the vault is open

        self.busy_changed.emit(False)
        if len(data) > practice.MAX_LOGO_BYTES:
            self.errors.set("logo", "The logo file is larger than 2 MB; use a smaller image.")
            return
        is_image = any(data.startswith(magic) for magic in practice.LOGO_TYPES)
        if not is_image or not QPixmap().loadFromData(data):
            self.errors.set("logo", "The logo must be a PNG or JPEG image.")
            return
        self.errors.set("logo", None)
        self._new_logo = data
        self._show_logo(data)

    @Slot(object)
    def _on_logo_unreadable(self, failure: Failure) -> None:
        self.busy_changed.emit(False)
        self.errors.set("logo", f"That file could not be read ({failure.error}).")

    @Slot(object)
    def _on_saved(self, profile: PracticeProfile) -> None:
        self.busy_changed.emit(False)
        self._logo_attachment_id = profile.logo_attachment_id
        self._new_logo = None
        self.saved.emit(profile)

    @Slot(object)
    def _on_save_failed(self, failure: Failure) -> None:
        self.busy_changed.emit(False)
        if isinstance(failure.error, ValidationError):
            rest = self.errors.show(failure.error.errors)
            if not rest:
                return
        self.save_failed.emit(failure)


class ProfileDialog(QDialog):
    """First-run step two: who the coach is, as documents will show it.

    Args:
        ops: the vault operations.
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up your practice")
        self.setMinimumWidth(540)
        self.form = ProfileForm(ops)
        self.error = error_label()
        self.error.setObjectName("dialogError")

        self.buttons, self.ok_button, self.skip_button = dialog_buttons(
            "Save and continue", "Skip for now"
        )
        self.ok_button.clicked.connect(self._on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        self.form.saved.connect(self._on_saved)
        self.form.save_failed.connect(self._on_save_failed)
        self.form.busy_changed.connect(self._on_busy_changed)

        intro = muted(
            "This is how your documents and invoices will present you. "
            "You can change it any time in Settings."
        )
        intro.setForegroundRole(self.foregroundRole())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading("Your practice"))
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self.form.coach_name.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        """Fit the height to the wrapped text once the width is known."""
        super().showEvent(event)
        fit_height(self)

    @Slot()
    def _on_save_clicked(self) -> None:
        set_message(self.error, None)
        self.form.save()

    @Slot(object)
    def _on_saved(self, _profile: PracticeProfile) -> None:
        self.accept()

    @Slot(object)
    def _on_save_failed(self, failure: Failure) -> None:
        if failure.known:
            set_message(self.error, failure.message)
        else:
            show_failure(self, failure)

    @Slot(bool)
    def _on_busy_changed(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)
        self.skip_button.setEnabled(not busy)
