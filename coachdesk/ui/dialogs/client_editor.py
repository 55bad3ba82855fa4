"""The client form: add a client or edit one, with field-level validation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.errors import ValidationError
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.client_table import STATUS_LABELS
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    FieldErrors,
    ListEdit,
    TimeZoneCombo,
    ask_discard,
    dialog_buttons,
    error_label,
    heading,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

# Checked as soon as the coach leaves them, not only on save.
CHECK_ON_LEAVE = ("emails", "phones", "time_zone", "locale")


def save_client(vault: Vault, client_id: int | None, draft: ClientDraft) -> Client:
    """Db lane: add the client (no id) or save the edits to it."""
    from coachdesk.services import clients

    if client_id is None:
        return clients.create_client(vault, draft)
    return clients.update_client(vault, client_id, draft)


class ClientEditor(QDialog):
    """Every field of a client; validates on leaving a field and on save.

    On save, problems are shown under their fields and focus goes to the first
    one; nothing is stored until every field is acceptable.

    Args:
        ops: the vault operations (the save runs on the db lane).
        client: the client to edit, or None for a new one.
        parent: the owning widget.

    Signals:
        saved: the stored Client.
    """

    saved = Signal(object)

    def __init__(
        self, ops: VaultOps, client: Client | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._client = client
        self._saving = False
        self.setWindowTitle("New client" if client is None else f"Edit {client.display_name}")
        self.setMinimumWidth(760)

        self.first_name = QLineEdit()
        self.last_name = QLineEdit()
        self.preferred_name = QLineEdit()
        self.preferred_name.setPlaceholderText("What they like to be called")
        self.emails = ListEdit("name@example.com — one per line")
        self.phones = ListEdit("+44 7700 900123 — one per line")
        self.time_zone = TimeZoneCombo()
        self.locale_edit = QLineEdit()
        self.locale_edit.setPlaceholderText("e.g. en-GB")
        self.company = QLineEdit()
        self.role = QLineEdit()
        self.status = QComboBox()
        for status in ClientStatus:
            self.status.addItem(STATUS_LABELS[status], status.value)
        self.lead_source = QLineEdit()
        self.lead_source.setPlaceholderText("e.g. Referral, LinkedIn, Website")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("Comma-separated, e.g. exam prep, vip")
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText("Background, goals, anything worth remembering")
        self.notes.setMinimumHeight(110)

        self.errors = FieldErrors()
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        person = (
            ("&First name:", "first_name", self.first_name),
            ("&Last name:", "last_name", self.last_name),
            ("&Preferred name:", "preferred_name", self.preferred_name),
            ("&E-mails:", "emails", self.emails),
            ("P&hones:", "phones", self.phones),
            ("&Time zone:", "time_zone", self.time_zone),
        )
        work = (
            ("&Company:", "company", self.company),
            ("&Role:", "role", self.role),
            ("&Status:", "status", self.status),
            ("Lead &source:", "lead_source", self.lead_source),
            ("T&ags:", "tags", self.tags),
            ("L&ocale:", "locale", self.locale_edit),
        )
        # Registration order is focus order: down the left column, then the right.
        for column, rows in ((0, person), (2, work)):
            for row, (label, name, widget) in enumerate(rows):
                self._place(grid, row, column, label, name, widget)
        self._place(grid, len(person), 0, "&Notes:", "notes", self.notes, span=3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setRowStretch(len(person), 1)

        self.error = error_label()
        self.error.setObjectName("dialogError")
        self.buttons, self.save_button, self.cancel_button = dialog_buttons(
            "Add client" if client is None else "Save", "Cancel"
        )
        self.save_button.clicked.connect(self._on_save_clicked)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(heading("New client" if client is None else client.display_name, 4))
        layout.addLayout(grid, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.emails.editing_finished.connect(lambda: self._on_field_left("emails"))
        self.phones.editing_finished.connect(lambda: self._on_field_left("phones"))
        self.time_zone.line_edit.editingFinished.connect(lambda: self._on_field_left("time_zone"))
        self.locale_edit.editingFinished.connect(lambda: self._on_field_left("locale"))
        self._ops.closed.connect(self._on_vault_closed)

        if client is not None:
            self.set_draft(client.draft())
        self._initial = self.draft().cleaned()
        self.first_name.setFocus()

    def _place(
        self,
        grid: QGridLayout,
        row: int,
        column: int,
        text: str,
        name: str,
        widget: QWidget,
        span: int = 1,
    ) -> None:
        label = QLabel(text)
        label.setBuddy(widget)
        # Right-aligned, centred on a one-line field's height: level with the first line.
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        label.setMinimumHeight(self.first_name.sizeHint().height())
        if column > 0:
            label.setContentsMargins(18, 0, 0, 0)
        grid.addWidget(label, row, column, Qt.AlignmentFlag.AlignTop)
        block = self.errors.add(name, widget)
        if span == 1:
            grid.addWidget(block, row, column + 1, Qt.AlignmentFlag.AlignTop)
        else:
            grid.addWidget(block, row, column + 1, 1, span)

    # The draft ---------------------------------------------------------------

    def set_draft(self, draft: ClientDraft) -> None:
        """Fill every field from a draft."""
        self.first_name.setText(draft.first_name)
        self.last_name.setText(draft.last_name)
        self.preferred_name.setText(draft.preferred_name)
        self.emails.set_values(draft.emails)
        self.phones.set_values(draft.phones)
        self.company.setText(draft.company)
        self.role.setText(draft.role)
        self.time_zone.set_zone(draft.time_zone)
        self.locale_edit.setText(draft.locale)
        self.lead_source.setText(draft.lead_source)
        self.status.setCurrentIndex(max(0, self.status.findData(ClientStatus(draft.status).value)))
        self.tags.setText(", ".join(draft.tags))
        self.notes.setPlainText(draft.notes)

    def draft(self) -> ClientDraft:
        """What the form holds, as typed."""
        return ClientDraft(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            preferred_name=self.preferred_name.text(),
            emails=self.emails.values(),
            phones=self.phones.values(),
            company=self.company.text(),
            role=self.role.text(),
            time_zone=self.time_zone.zone,
            locale=self.locale_edit.text(),
            lead_source=self.lead_source.text(),
            status=ClientStatus(self.status.currentData()),
            tags=tuple(t.strip() for t in self.tags.text().split(",") if t.strip()),
            notes=self.notes.toPlainText(),
        )

    @property
    def is_dirty(self) -> bool:
        """Whether the coach changed anything."""
        return self.draft().cleaned() != self._initial

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving)
        idle_text = "Add client" if self._client is None else "Save"
        self.save_button.setText("Saving…" if saving else idle_text)

    # Slots -------------------------------------------------------------------

    def _on_field_left(self, name: str) -> None:
        if self._saving or not self.isVisible():
            return
        self.errors.set(name, self.draft().cleaned().problems().get(name))

    @Slot()
    def _on_save_clicked(self) -> None:
        if self._saving:
            return
        set_message(self.error, None)
        draft = self.draft()
        problems = draft.cleaned().problems()
        if problems:
            self.errors.show(problems)
            return
        self.errors.clear()
        client_id = self._client.id if self._client is not None else None
        self._set_saving(True)
        job = self._ops.run(
            lambda vault: save_client(vault, client_id, draft),
            on_done=self._on_saved,
            on_error=self._on_save_failed,
            changes="clients",
            owner=self,
            context="adding a client" if client_id is None else "saving a client",
        )
        if job is None:
            self._set_saving(False)

    @Slot(object)
    def _on_saved(self, client: Client) -> None:
        self._set_saving(False)
        self._initial = self.draft().cleaned()
        self.saved.emit(client)
        self.accept()

    @Slot(object)
    def _on_save_failed(self, failure: Failure) -> None:
        self._set_saving(False)
        if isinstance(failure.error, ValidationError):
            rest = self.errors.show(failure.error.errors)
            if rest:
                set_message(self.error, " ".join(rest.values()))
        elif failure.known:
            set_message(self.error, failure.message)
        else:
            show_failure(self, failure)

    @Slot()
    def _on_vault_closed(self) -> None:
        # Locking hides client data at once; unsaved edits go with it.
        self._initial = self.draft().cleaned()
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
        if answer == QMessageBox.StandardButton.Discard.value:
            self._initial = self.draft().cleaned()
            super().reject()
