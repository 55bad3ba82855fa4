"""Restoring a vault from an encrypted backup, from the start screen (no vault is open yet)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from coachdesk import APP_NAME
from coachdesk.paths import default_vault_dir
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure, Lane
from coachdesk.ui.models.crm_lists import to_local
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    OK_COLOR,
    busy_bar,
    fit_height,
    heading,
    muted,
    save_folder,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.backups import BackupCheck

BACKUP_FILTER = "CoachDesk backups (*.cdbackup);;All files (*)"
# What a check reports from a backup's row counts, in the coach's words: (one, many).
COUNTED = (
    ("clients", "client", "clients"),
    ("notes", "note", "notes"),
    ("sessions", "session", "sessions"),
    ("invoices", "invoice", "invoices"),
    ("generated_documents", "document", "documents"),
)


# Run on the restore worker. The services (and the database stack) are imported there.


def check_backup(path: Path, passphrase: str) -> BackupCheck:
    """Worker: check a backup in full with its passphrase."""
    from coachdesk.services import backups

    return backups.verify_backup(path, passphrase)


def restore(path: Path, passphrase: str, target: Path, replace: bool) -> Path:
    """Worker: restore a backup as the vault at `target`."""
    from coachdesk.services import backups

    return backups.restore_backup(path, passphrase, target, replace=replace)


def vault_at(target: Path) -> bool:
    """Worker: whether a vault already lives in `target`."""
    from coachdesk.store.vault import VaultPaths

    return VaultPaths(target.expanduser()).exists()


# Words ------------------------------------------------------------------------------------


def check_text(check: BackupCheck) -> str:
    """What a full check found, for the coach."""
    local = to_local(check.taken_at)
    taken = f"{local.day} {local:%b %Y} at {local:%H:%M}"
    counts = check.counts or {}
    parts = []
    for table, one, many in COUNTED:
        count = counts.get(table, 0)
        parts.append(f"{count:,} {one if count == 1 else many}")
    held = ", ".join(parts[:-1]) + f" and {parts[-1]}"
    entries = check.audit_entries
    return (
        f"This backup is sound. It was taken on {taken} and holds {held}. Its audit trail "
        f"of {entries:,} {'entry' if entries == 1 else 'entries'} checks out."
    )


class RestoreBackupDialog(QDialog):
    """Choose a backup, type its passphrase and a folder, check it, restore it.

    Everything runs on the dialog's own worker lane (no vault is open, so there is
    no VaultOps). A problem with the backup or the passphrase is shown as the
    service words it, and nothing else happens. While a check or a restore runs,
    the dialog cannot be closed.

    Args:
        parent: the owning widget (the start screen).
        target: where the restored vault goes (default: the default vault folder).

    Signals:
        restored: the restored vault's folder, ready to be opened.
    """

    restored = Signal(Path)

    def __init__(self, parent: QWidget | None = None, target: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Restore {APP_NAME} from a backup")
        self.setMinimumWidth(560)
        # Not a child of the dialog: a lane parented to it crashed PySide6 6.11 when a job
        # was deleted soon after it ended (seen in tests/ui/test_restore_backup.py).
        self._lane = Lane("restore")
        self._lane_open = True
        self._busy = False
        self._token = 0
        self._exists_token = 0
        self.vault_exists = False
        self.check: BackupCheck | None = None
        self.restored_to: Path | None = None

        title = heading("Restore from a backup")
        intro = muted(
            "Bring back your practice from a CoachDesk backup file (.cdbackup), for example "
            "on a new laptop. You need the passphrase your vault had when the backup was "
            "taken."
        )
        intro.setForegroundRole(self.foregroundRole())

        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("backupFile")
        self.file_edit.setAccessibleName("Backup file")
        self.file_edit.setPlaceholderText("Choose the backup file")
        self.file_button = QPushButton("Choose…")
        self.file_button.setAutoDefault(False)
        self.file_button.clicked.connect(self._on_choose_file)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("backupPassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.target_edit = QLineEdit(str(target or default_vault_dir()))
        self.target_edit.setObjectName("restoreTarget")
        self.target_edit.setAccessibleName("Restore into")
        self.target_button = QPushButton("Choose…")
        self.target_button.setAutoDefault(False)
        self.target_button.clicked.connect(self._on_choose_target)
        self.replace = QCheckBox("Replace the vault that is there")
        self.replace.setObjectName("replaceVault")
        self.replace.setVisible(False)
        self.replace.toggled.connect(self._update_buttons)
        self.replace_note = muted()
        self.replace_note.setVisible(False)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.addRow("Backup file:", self._with_button(self.file_edit, self.file_button))
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Restore into:", self._with_button(self.target_edit, self.target_button))

        self.check_result = QLabel()
        self.check_result.setObjectName("checkResult")
        self.check_result.setWordWrap(True)
        self.check_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_result.setStyleSheet(f"color: {OK_COLOR};")
        self.check_result.setVisible(False)
        self.error = QLabel()
        self.error.setObjectName("restoreError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.setVisible(False)
        self.status = muted()
        self.status.setVisible(False)
        self.progress = busy_bar()
        self.progress.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.restore_button = self.buttons.addButton(
            "Restore", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setDefault(True)
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("checkButton")
        self.check_button.setAutoDefault(False)
        self.check_button.setToolTip("Check the backup opens and is complete, without restoring")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAutoDefault(False)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.check_button.clicked.connect(self._on_check_clicked)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.replace_note)
        layout.addWidget(self.replace)
        layout.addWidget(self.check_result)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addSpacing(6)
        bottom = QHBoxLayout()
        bottom.addWidget(self.check_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        for edit in (self.file_edit, self.passphrase, self.target_edit):
            edit.textChanged.connect(self._on_fields_changed)
        self.target_edit.editingFinished.connect(self._look_for_vault)
        self._on_fields_changed()
        self._look_for_vault()

    @staticmethod
    def _with_button(edit: QLineEdit, button: QPushButton) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(edit, 1)
        row.addWidget(button)
        return box

    # Public API --------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a check or a restore is running."""
        return self._busy

    @property
    def message(self) -> str:
        """The problem shown ("" when none)."""
        return self.error.text() if not self.error.isHidden() else ""

    @property
    def backup_path(self) -> Path | None:
        """The backup file typed or chosen."""
        text = self.file_edit.text().strip()
        return Path(text).expanduser() if text else None

    @property
    def target(self) -> Path | None:
        """The folder the vault is restored into."""
        text = self.target_edit.text().strip()
        return Path(text).expanduser() if text else None

    def reject(self) -> None:
        """Close, unless a check or a restore is running."""
        if not self._busy:
            super().reject()

    def done(self, result: int) -> None:
        """Close, and stop the worker (it is idle: closing waits for work to end)."""
        if self._busy:
            return
        super().done(result)
        self._lane_open = False
        self._lane.shutdown(wait=False)

    def closeEvent(self, event: QCloseEvent) -> None:
        """The window's close button does nothing while work runs."""
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        """Fit the height to the wrapped text once the width is known."""
        super().showEvent(event)
        fit_height(self)
        if not self.file_edit.text():
            self.file_button.setFocus()

    # Slots -------------------------------------------------------------------------------

    def _ready(self) -> bool:
        return bool(self.backup_path and self.passphrase.text() and self.target)

    def _update_buttons(self) -> None:
        ready = self._ready() and not self._busy
        self.check_button.setEnabled(ready)
        self.restore_button.setEnabled(
            ready and (not self.vault_exists or self.replace.isChecked())
        )

    @Slot()
    def _on_fields_changed(self) -> None:
        self.check = None
        set_message(self.check_result, None)
        self._update_buttons()

    def _set_busy(self, busy: bool, status: str | None = None) -> None:
        self._busy = busy
        for widget in (
            self.file_edit,
            self.file_button,
            self.passphrase,
            self.target_edit,
            self.target_button,
            self.replace,
            self.cancel_button,
        ):
            widget.setEnabled(not busy)
        self._update_buttons()
        self.progress.setVisible(busy)
        set_message(self.status, status)
        if busy:
            set_message(self.error, None)
        fit_height(self)

    def _show_error(self, text: str | None) -> None:
        set_message(self.error, text)
        fit_height(self)

    @Slot()
    def _on_choose_file(self) -> None:
        start = self.backup_path.parent if self.backup_path else save_folder("")
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose a backup", str(start), BACKUP_FILTER
        )
        if chosen:
            self.file_edit.setText(chosen)
            self.passphrase.setFocus()

    @Slot()
    def _on_choose_target(self) -> None:
        start = self.target.parent if self.target else Path.home()
        chosen = QFileDialog.getExistingDirectory(self, "Restore into which folder?", str(start))
        if chosen:
            self.target_edit.setText(chosen)
            self._look_for_vault()

    @Slot()
    def _look_for_vault(self) -> None:
        target = self.target
        self._exists_token += 1
        token = self._exists_token
        if not self._lane_open:
            return
        if target is None:
            self._on_vault_looked(token, False)
            return
        self._lane.run(
            lambda _job: vault_at(target),
            on_done=lambda found: self._on_vault_looked(token, found),
            on_error=lambda _failure: self._on_vault_looked(token, False),
            owner=self,
            context="looking for a vault in the restore folder",
        )

    def _on_vault_looked(self, token: int, found: bool) -> None:
        if token != self._exists_token:
            return
        self.vault_exists = found
        if not found:
            self.replace.setChecked(False)
        self.replace.setVisible(found)
        target = self.target
        self.replace_note.setText(
            f"There is already a vault in “{target}”. To restore there, replace it: the "
            f"current vault is not deleted but kept aside, in a folder named "
            f"“{target.name if target else 'vault'}.before-restore-…” beside it. Or choose "
            "another folder."
            if found
            else ""
        )
        self.replace_note.setVisible(found)
        self._update_buttons()
        fit_height(self)

    @Slot()
    def _on_check_clicked(self) -> None:
        path, passphrase = self.backup_path, self.passphrase.text()
        if path is None or not passphrase or self._busy:
            return
        self._token += 1
        token = self._token
        self._set_busy(True, "Checking the backup: opening it and reading every part…")
        self._lane.run(
            lambda _job: check_backup(path, passphrase),
            on_done=lambda check: self._on_checked(token, check),
            on_error=self._on_failed,
            owner=self,
            context="checking a backup",
        )

    def _on_checked(self, token: int, check: BackupCheck) -> None:
        self._set_busy(False)
        if token != self._token:
            return
        self.check = check
        set_message(self.check_result, check_text(check))
        fit_height(self)

    @Slot()
    def _on_restore_clicked(self) -> None:
        path, passphrase, target = self.backup_path, self.passphrase.text(), self.target
        if path is None or not passphrase or target is None or self._busy:
            return
        replace = self.vault_exists and self.replace.isChecked()
        self._token += 1
        self._set_busy(True, "Restoring: checking the backup in full, then putting it in place…")
        self._lane.run(
            lambda _job: restore(path, passphrase, target, replace),
            on_done=self._on_restored,
            on_error=self._on_failed,
            owner=self,
            context="restoring a backup",
        )

    @Slot(object)
    def _on_restored(self, folder: Path) -> None:
        self._set_busy(False)
        self.restored_to = folder
        # Out of the worker's signal: whoever hears `restored` may open the vault, spin an
        # event loop or delete this dialog.
        QTimer.singleShot(0, self, self._finish_restore)

    @Slot()
    def _finish_restore(self) -> None:
        if self.restored_to is not None:
            self.restored.emit(self.restored_to)
        self.accept()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self._set_busy(False)
        if failure.known:
            self._show_error(failure.message)
            if "passphrase" in failure.message.lower():
                self.passphrase.selectAll()
                self.passphrase.setFocus()
        else:
            self._show_error("The backup could not be restored. Nothing was changed.")
            show_failure(self, failure)


def open_restore(parent: QWidget | None = None, target: Path | None = None) -> RestoreBackupDialog:
    """Open the dialog window-modal over `parent`; it is deleted soon after it closes."""
    dialog = RestoreBackupDialog(parent, target)
    if parent is not None:
        dialog.finished.connect(lambda _result: delete_soon(dialog, parent))
    dialog.open()
    return dialog
