"""First run: choose the passphrase that locks the new vault."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from coachdesk import APP_NAME
from coachdesk.store.keychain import KeychainStatus
from coachdesk.ui.passphrase_fields import NewPassphraseFields
from coachdesk.ui.widgets import (
    busy_bar,
    dialog_buttons,
    error_label,
    fit_height,
    heading,
    muted,
    set_message,
)


class CreateVaultDialog(QDialog):
    """Asks for a new passphrase (twice) and whether to remember it on this computer.

    The dialog does not create anything itself: it emits `submitted` and the
    app runs the creation on the db lane, calling `set_busy` and `show_error`.

    Args:
        root: where the vault will be created.
        keychain: whether this computer has a secure keychain, and why not.
        parent: the owning widget.

    Signals:
        submitted: (passphrase, remember) when the coach clicks Create vault.
        restore_requested: the coach would rather restore a vault from a backup file.
    """

    submitted = Signal(str, bool)
    restore_requested = Signal()

    def __init__(self, root: Path, keychain: KeychainStatus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Welcome to {APP_NAME}")
        self.setMinimumWidth(520)

        intro = muted(
            f"{APP_NAME} keeps everything about your clients in one encrypted vault on this "
            "computer. Choose a passphrase to lock it. There is no way to recover the vault "
            "without it, so write it down and keep it somewhere safe."
        )
        intro.setForegroundRole(self.foregroundRole())
        self.fields = NewPassphraseFields("Passphrase")

        self._can_remember = keychain.available
        self.remember = QCheckBox("Remember on this computer")
        self.remember_note = muted()
        self.remember_note.setObjectName("rememberNote")
        if keychain.available:
            self.remember_note.setText(
                f"The key is kept in {keychain.description}, so {APP_NAME} opens without "
                "asking. Leave this off on a shared computer."
            )
        else:
            self.remember.setEnabled(False)
            self.remember.setToolTip(keychain.description)
            self.remember_note.setText(keychain.description)

        self.location = muted(f"Vault folder: {root}")
        self.location.setObjectName("location")
        self.error = error_label()
        self.error.setObjectName("dialogError")
        self.progress = busy_bar()
        self.progress.setVisible(False)

        self.buttons, self.ok_button, self.quit_button = dialog_buttons("Create vault", "Quit")
        self.buttons.rejected.connect(self.reject)
        self.ok_button.clicked.connect(self._on_create_clicked)
        self.restore_button = self.buttons.addButton(
            "Restore from a backup…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.restore_button.setToolTip(
            "Moving to a new computer, or starting again after a loss? Restore the vault "
            "from a CoachDesk backup file."
        )
        self.restore_button.clicked.connect(self.restore_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading("Create your vault"))
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.fields)
        layout.addSpacing(4)
        layout.addWidget(self.remember)
        layout.addWidget(self._indented(self.remember_note))
        layout.addSpacing(4)
        layout.addWidget(self.location)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)

        self.fields.changed.connect(self._on_fields_changed)
        self._on_fields_changed()
        self.fields.passphrase.setFocus()

    @staticmethod
    def _indented(label: QLabel) -> QWidget:
        box = QWidget()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(24, 0, 0, 0)
        inner.addWidget(label)
        return box

    def set_busy(self, busy: bool) -> None:
        """Lock the form while the vault is being created."""
        self.fields.set_enabled(not busy)
        self.remember.setEnabled(not busy and self._can_remember)
        self.ok_button.setEnabled(not busy and self.fields.ready)
        self.ok_button.setText("Creating…" if busy else "Create vault")
        self.quit_button.setEnabled(not busy)
        self.restore_button.setEnabled(not busy)
        if not busy:
            self.ok_button.setDefault(True)
        self.progress.setVisible(busy)
        if busy:
            set_message(self.error, None)

    def show_error(self, message: str) -> None:
        """Say why the vault could not be created; the form stays open."""
        self.set_busy(False)
        set_message(self.error, message)
        fit_height(self)

    def showEvent(self, event: QShowEvent) -> None:
        """Fit the height to the wrapped text once the width is known."""
        super().showEvent(event)
        fit_height(self)

    @Slot()
    def _on_fields_changed(self) -> None:
        self.ok_button.setEnabled(self.fields.ready)

    @Slot()
    def _on_create_clicked(self) -> None:
        if not self.fields.ready:
            return
        self.submitted.emit(self.fields.value, self.remember.isChecked())
