"""The shared form behind the note, goal and follow-up editors: errors under fields, a busy
bar while saving on the db lane, and a question before unsaved changes are dropped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.errors import ValidationError
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import to_local
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    FieldErrors,
    ask_discard,
    busy_bar,
    dialog_buttons,
    error_label,
    heading,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

DATE_FORMAT = "d MMM yyyy"


def qdate(day: date) -> QDate:
    """A Python date for a date field."""
    return QDate(day.year, day.month, day.day)


def py_date(day: QDate) -> date:
    """A date field's date for Python."""
    return date(day.year(), day.month(), day.day())


def date_edit(day: date | None = None) -> QDateEdit:
    """A date field with a calendar popup."""
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setDate(qdate(day or date.today()))
    return edit


def saved_text(value: Any) -> str:
    """ "3 Nov 2026, 14:05" in this computer's zone."""
    local = to_local(value)
    return f"{local.day} {local:%b %Y, %H:%M}"


class RecordEditor(QDialog):
    """What the note, goal and follow-up forms share, after the client editor.

    Field errors show under their fields (first bad field focused), Save runs
    on the db lane with a busy bar, closing with unsaved changes asks first,
    and locking the vault closes the form.

    Subclasses add their fields with `add_field`, call `finish_setup()` at the
    end of `__init__`, and implement `snapshot()` (what the form holds, to
    tell whether it changed) and `prepare()` (the db-lane save, or
    ValidationError for what is wrong before anything is sent).

    Args:
        ops: the vault operations (the save runs on the db lane).
        title: the window title and heading.
        primary: the Save button's text.
        context: what saving does, in words, for error dialogs.
        parent: the owning widget.

    Signals:
        saved: the stored record.
    """

    saved = Signal(object)

    def __init__(
        self, ops: VaultOps, title: str, primary: str, context: str, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._saving = False
        self._primary = primary
        self._context = context
        self._initial: object = None
        self._discard_box: QMessageBox | None = None
        self.setWindowTitle(title)
        self.setMinimumWidth(600)

        self.errors = FieldErrors()
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(8)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.error = error_label()
        self.error.setObjectName("dialogError")
        self.busy = busy_bar()
        self.busy.setVisible(False)
        self.buttons, self.save_button, self.cancel_button = dialog_buttons(primary, "Cancel")
        self.save_button.clicked.connect(self._on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        self.title = heading(title, 4)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addLayout(self.form, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self._line_height = QLineEdit().sizeHint().height()
        ops.closed.connect(self._on_vault_closed)

    def add_field(self, text: str, name: str, widget: QWidget, hint: str | None = None) -> None:
        """A labelled row whose errors show under the field."""
        label = QLabel(text)
        label.setBuddy(widget)
        # Centred on a one-line field's height: level with the field's first line.
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        label.setMinimumHeight(self._line_height)
        self.form.addRow(label, self.errors.add(name, widget, hint))

    def finish_setup(self) -> None:
        """Remember what the form holds now, to tell later whether it was changed."""
        self._initial = self.snapshot()

    # For subclasses ---------------------------------------------------------

    def snapshot(self) -> object:
        """What the form holds, comparable with ==."""
        raise NotImplementedError

    def prepare(self) -> Callable[[Vault], object]:
        """The db-lane save of what the form holds; ValidationError when something is wrong."""
        raise NotImplementedError

    # State -------------------------------------------------------------------

    @property
    def is_dirty(self) -> bool:
        """Whether the coach changed anything."""
        return self.snapshot() != self._initial

    @property
    def is_saving(self) -> bool:
        """Whether a save is on its way."""
        return self._saving

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving)
        self.save_button.setText("Saving…" if saving else self._primary)
        self.busy.setVisible(saving)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field; the rest under the form."""
        rest = self.errors.show(errors)
        set_message(self.error, " ".join(rest.values()) if rest else None)

    # Slots -------------------------------------------------------------------

    @Slot()
    def _on_save_clicked(self) -> None:
        if self._saving:
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
            changes="crm",
            owner=self,
            context=self._context,
        )
        if job is None:
            self._set_saving(False)

    @Slot(object)
    def _on_saved(self, record: object) -> None:
        self._set_saving(False)
        self._initial = self.snapshot()
        self.saved.emit(record)
        self.accept()

    @Slot(object)
    def _on_save_failed(self, failure: Failure) -> None:
        self._set_saving(False)
        if isinstance(failure.error, ValidationError):
            self.show_errors(failure.error.errors)
        elif failure.known:
            set_message(self.error, failure.message)
        else:
            show_failure(self, failure)

    @Slot()
    def _on_vault_closed(self) -> None:
        # Locking hides client data at once; unsaved edits go with it.
        self._initial = self.snapshot()
        self.done(QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        """Cancel; asks first when there are unsaved changes."""
        if self._saving:
            return
        if not self.is_dirty:
            super().reject()
            return
        self._discard_box = ask_discard(self, self._on_discard_answered)

    @Slot(int)
    def _on_discard_answered(self, answer: int) -> None:
        self._discard_box = None
        if answer == QMessageBox.StandardButton.Discard.value:
            self._initial = self.snapshot()
            super().reject()
