"""Unlocking the vault with its passphrase (at start-up and after a lock)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from coachdesk import APP_NAME
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    busy_bar,
    dialog_buttons,
    fit_height,
    heading,
    muted,
    set_message,
)


class UnlockDialog(QDialog):
    """Asks for the passphrase; the app tries it on the db lane and reports back.

    A wrong passphrase and a damaged vault get different messages
    (`show_wrong_passphrase`, `show_damaged`); the dialog stays open either way.

    Args:
        root: the vault folder being opened.
        locked: True after a lock (the wording says so), False at start-up.
        parent: the owning widget.

    Signals:
        submitted: the passphrase, when the coach clicks Unlock.
        restore_requested: the vault is damaged and the coach wants to restore a backup.
    """

    submitted = Signal(str)
    restore_requested = Signal()

    def __init__(self, root: Path, locked: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} is locked" if locked else f"Open {APP_NAME}")
        self.setMinimumWidth(460)

        title = heading(f"{APP_NAME} is locked" if locked else "Unlock your vault")
        intro = muted(
            "Your vault was locked to keep your clients' data private. "
            "Enter your passphrase to continue."
            if locked
            else "Enter the passphrase you chose when you created the vault."
        )
        intro.setForegroundRole(self.foregroundRole())
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.location = muted(f"Vault folder: {root}")
        self.location.setObjectName("location")

        self.problem_title = QLabel()
        self.problem_title.setObjectName("problemTitle")
        self.problem_title.setStyleSheet(f"color: {ERROR_COLOR}; font-weight: 600;")
        self.problem_title.setVisible(False)
        self.error = QLabel()
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.setVisible(False)

        self.progress = busy_bar()
        self.progress.setVisible(False)

        self.buttons, self.ok_button, self.quit_button = dialog_buttons("Unlock", "Quit")
        self.buttons.rejected.connect(self.reject)
        self.ok_button.clicked.connect(self._on_unlock_clicked)
        self.passphrase.textChanged.connect(self._on_text_changed)
        self.restore_button = self.buttons.addButton(
            "Restore from a backup…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.restore_button.setVisible(False)  # offered once the vault proves damaged
        self.restore_button.clicked.connect(self.restore_requested)

        form = QFormLayout()
        form.addRow("Passphrase:", self.passphrase)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.problem_title)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.location)
        layout.addSpacing(6)
        layout.addWidget(self.buttons)
        self._on_text_changed("")
        self.passphrase.setFocus()

    @property
    def message(self) -> str:
        """The error currently shown ("" when none)."""
        return self.error.text() if not self.error.isHidden() else ""

    def set_busy(self, busy: bool) -> None:
        """Disable the form while the passphrase is checked."""
        self.passphrase.setEnabled(not busy)
        self.ok_button.setEnabled(not busy and bool(self.passphrase.text()))
        self.ok_button.setText("Unlocking…" if busy else "Unlock")
        self.quit_button.setEnabled(not busy)
        if not busy:
            self.ok_button.setDefault(True)
        self.progress.setVisible(busy)
        if busy:
            self._show_problem(None, None)

    def _show_problem(self, title: str | None, message: str | None) -> None:
        set_message(self.problem_title, title)
        set_message(self.error, message)
        fit_height(self)

    def showEvent(self, event: QShowEvent) -> None:
        """Fit the height to the wrapped text once the width is known."""
        super().showEvent(event)
        fit_height(self)

    def show_wrong_passphrase(self, message: str) -> None:
        """The passphrase did not fit: say so and let the coach retype it."""
        self.set_busy(False)
        advice = "Check Caps Lock and the keyboard layout, then try again."
        self._show_problem(None, f"{message} {advice}")
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def show_damaged(self, message: str) -> None:
        """The vault files are damaged: a different problem from a wrong passphrase."""
        self.set_busy(False)
        self._show_problem("The vault is damaged", message)
        self.restore_button.setVisible(True)

    def show_restored(self) -> None:
        """A backup replaced the damaged vault: ask for the passphrase it had."""
        self.restore_button.setVisible(False)
        self._show_problem(
            "Restored from the backup",
            "Unlock it with the passphrase the vault had when the backup was taken.",
        )
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def show_error(self, message: str) -> None:
        """Any other reason the vault did not open."""
        self.set_busy(False)
        self._show_problem(None, message)

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        self.ok_button.setEnabled(bool(text) and self.passphrase.isEnabled())

    @Slot()
    def _on_unlock_clicked(self) -> None:
        if self.passphrase.text():
            self.submitted.emit(self.passphrase.text())
