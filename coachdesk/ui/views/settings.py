"""Settings: the practice profile, the passphrase, the keychain, auto-lock and paper size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.errors import ValidationError, WrongPassphraseError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.settings import AUTO_LOCK_MINUTES, PAPER_SIZE
from coachdesk.ui.dialogs.profile import ProfileForm
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.passphrase_fields import NewPassphraseFields
from coachdesk.ui.views.ai_settings import AiSettings
from coachdesk.ui.views.schedule_settings import ScheduleSettingsSection
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    OK_COLOR,
    align_label_columns,
    error_label,
    heading,
    muted,
    separator,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.app_state import SettingsSnapshot
    from coachdesk.store.keychain import KeychainStatus, SecretStore
    from coachdesk.store.keys import KdfParams
    from coachdesk.store.vault import Vault
    from coachdesk.ui.assistant_ops import AiOps

AUTO_LOCK_SAVE_DELAY_MS = 600
PAPER_LABELS = {"A4": "A4 (most of the world)", "Letter": "Letter (US and Canada)"}


# Run on the db lane, where the services (and the database stack) are imported.


def _snapshot(vault: Vault, secrets: SecretStore) -> SettingsSnapshot:
    from coachdesk.services import app_state

    return app_state.settings_snapshot(vault, secrets)


def _change_passphrase(
    vault: Vault, old: str, new: str, repeat: str, kdf: KdfParams | None
) -> None:
    from coachdesk.services import vaults

    vaults.change_passphrase(vault, old, new, repeat, kdf)


def _remember(vault: Vault, secrets: SecretStore, remember: bool) -> None:
    from coachdesk.services import vaults

    if remember:
        vaults.remember(vault, secrets)
    else:
        vaults.forget(vault, secrets)


def _put_auto_lock(vault: Vault, minutes: int) -> int:
    from coachdesk.services import vault_settings

    return int(vault_settings.put(vault, AUTO_LOCK_MINUTES, minutes))


def _get_paper_size(vault: Vault) -> str:
    from coachdesk.services import vault_settings

    return str(vault_settings.get(vault, PAPER_SIZE))


def _put_paper_size(vault: Vault, paper: str) -> str:
    from coachdesk.services import vault_settings

    return str(vault_settings.put(vault, PAPER_SIZE, paper))


def _status(label: QLabel, text: str | None, ok: bool = True) -> None:
    label.setStyleSheet(f"color: {OK_COLOR if ok else ERROR_COLOR};")
    set_message(label, text)


class SettingsView(QWidget):
    """Practice profile, passphrase, keychain, auto-lock and paper size, saved on the db lane.

    Args:
        ops: the vault operations.
        secrets: the keychain (remember / forget the key).
        kdf: key-derivation cost for a new passphrase (None: the default).
        parent: the owning widget.
        ai: the assistant's operations; when given, the Assistant section is shown.

    Signals:
        auto_lock_changed: the new idle time in minutes (0: never), once stored.
        notice: (message, undo callable or None) for the status bar.
    """

    auto_lock_changed = Signal(int)
    notice = Signal(str, object)

    def __init__(
        self,
        ops: VaultOps,
        secrets: SecretStore,
        kdf: KdfParams | None = None,
        parent: QWidget | None = None,
        ai: AiOps | None = None,
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._secrets = secrets
        self._kdf = kdf
        self._loading = False

        # Practice profile
        self.profile = ProfileForm(ops)
        self.profile_save = QPushButton("Save profile")
        self.profile_status = error_label()
        self.profile_save.clicked.connect(self._on_profile_save_clicked)
        self.profile.saved.connect(self._on_profile_saved)
        self.profile.save_failed.connect(self._on_profile_save_failed)
        self.profile.busy_changed.connect(lambda busy: self.profile_save.setEnabled(not busy))

        # Passphrase
        self.old_passphrase = QLineEdit()
        self.old_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.old_passphrase.setAccessibleName("Current passphrase")
        self.new_passphrase = NewPassphraseFields("New passphrase")
        self.change_button = QPushButton("Change passphrase")
        self.change_status = error_label()
        self.change_status.setObjectName("changeStatus")
        self.change_button.clicked.connect(self._on_change_clicked)
        self.old_passphrase.textChanged.connect(self._on_passphrase_fields_changed)
        self.new_passphrase.changed.connect(self._on_passphrase_fields_changed)

        # Keychain: asking it can be slow (D-Bus), so its status comes with the snapshot.
        self._keychain_available = False
        self.remember = QCheckBox("Remember the key on this computer")
        self.remember.setEnabled(False)
        self.remember_note = muted()
        self.remember_note.setObjectName("rememberNote")
        self.remember.toggled.connect(self._on_remember_toggled)

        # Auto-lock
        self.auto_lock = QSpinBox()
        self.auto_lock.setRange(
            int(AUTO_LOCK_MINUTES.minimum or 0), int(AUTO_LOCK_MINUTES.maximum or 480)
        )
        self.auto_lock.setSpecialValueText("Never")
        self.auto_lock.setSuffix(" min")
        self.auto_lock.setValue(int(AUTO_LOCK_MINUTES.default))
        self.auto_lock.setAccessibleName("Auto-lock after idle minutes")
        self._auto_lock_timer = QTimer(self)
        self._auto_lock_timer.setSingleShot(True)
        self._auto_lock_timer.setInterval(AUTO_LOCK_SAVE_DELAY_MS)
        self._auto_lock_timer.timeout.connect(self._on_auto_lock_timer)
        self.auto_lock.valueChanged.connect(self._on_auto_lock_edited)

        # Documents
        self.paper_size = QComboBox()
        for paper in PAPER_SIZE.choices:
            self.paper_size.addItem(PAPER_LABELS.get(paper, paper), paper)
        self.paper_size.setAccessibleName("Paper size for documents")
        self.paper_size.setEnabled(False)  # until the stored size is read
        self.paper_size.currentIndexChanged.connect(self._on_paper_size_changed)

        # Vault
        self.vault_path = muted()
        self.vault_path.setObjectName("vaultPath")
        self.unlock_mode = muted()

        body = QWidget()
        body.setObjectName("settingsBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 24, 24)
        layout.setSpacing(10)
        layout.addWidget(heading("Settings"))
        layout.addSpacing(8)

        layout.addWidget(heading("Practice profile", 2))
        layout.addWidget(muted("How your documents and invoices present you."))
        layout.addWidget(self.profile)
        layout.addLayout(self._button_row(self.profile_save, self.profile_status))
        layout.addSpacing(8)
        layout.addWidget(separator())

        layout.addWidget(heading("Passphrase", 2))
        layout.addWidget(
            muted("Changing the passphrase keeps all your data; the old passphrase stops working.")
        )
        old_form = QFormLayout()
        old_form.addRow("Current passphrase:", self.old_passphrase)
        layout.addLayout(old_form)
        layout.addWidget(self.new_passphrase)
        layout.addLayout(self._button_row(self.change_button, self.change_status))
        layout.addSpacing(8)
        layout.addWidget(separator())

        layout.addWidget(heading("This computer", 2))
        layout.addWidget(self.remember)
        note_box = QHBoxLayout()
        note_box.setContentsMargins(24, 0, 0, 0)
        note_box.addWidget(self.remember_note)
        layout.addLayout(note_box)
        lock_row = QHBoxLayout()
        lock_row.addWidget(QLabel("Lock automatically after"))
        lock_row.addWidget(self.auto_lock)
        lock_row.addWidget(
            muted("without keyboard or mouse activity (Ctrl+L locks at once).", wrap=False)
        )
        lock_row.addStretch(1)
        layout.addSpacing(6)
        layout.addLayout(lock_row)
        layout.addSpacing(8)
        layout.addWidget(separator())

        layout.addWidget(heading("Documents", 2))
        paper_row = QHBoxLayout()
        paper_row.addWidget(QLabel("Paper size for documents:"))
        paper_row.addWidget(self.paper_size)
        paper_row.addStretch(1)
        layout.addLayout(paper_row)
        layout.addWidget(muted("Used for the documents you make from now on."))
        layout.addSpacing(8)
        layout.addWidget(separator())

        self.schedule = ScheduleSettingsSection(self._ops)
        layout.addWidget(self.schedule)
        layout.addSpacing(8)
        layout.addWidget(separator())

        self.assistant: AiSettings | None = None
        if ai is not None:
            self.assistant = AiSettings(ai)
            layout.addWidget(self.assistant)
            layout.addSpacing(8)
            layout.addWidget(separator())

        layout.addWidget(heading("Vault", 2))
        vault_form = QFormLayout()
        vault_form.addRow("Folder:", self.vault_path)
        vault_form.addRow("Unlocked with:", self.unlock_mode)
        layout.addLayout(vault_form)
        layout.addStretch(1)

        for form in (old_form, vault_form):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        align_label_columns(
            self.profile.form_layout, old_form, self.new_passphrase.form_layout, vault_form
        )
        body.setMaximumWidth(760)

        holder = QWidget()
        holder_layout = QHBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addWidget(body, 1)
        holder_layout.addStretch(0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(holder)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        ops.opened.connect(self.reload)
        ops.closed.connect(self.clear)
        self._on_passphrase_fields_changed()

    @staticmethod
    def _button_row(button: QPushButton, status: QLabel) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 4, 0, 0)
        row.addWidget(button, 0)
        row.addSpacing(10)
        row.addWidget(status, 0)
        row.addStretch(1)
        return row

    @Slot()
    def reload(self) -> None:
        """Read the stored settings on the db lane."""
        secrets = self._secrets
        self._ops.run(
            lambda vault: _snapshot(vault, secrets),
            on_done=self._on_loaded,
            owner=self,
            context="loading the settings",
        )
        self._ops.run(
            _get_paper_size,
            on_done=self._on_paper_size_loaded,
            owner=self,
            context="loading the paper size",
        )
        self.schedule.reload()
        self.vault_path.setText(str(self._ops.root or ""))
        keychain = self._ops.mode == UnlockMode.KEYCHAIN
        self.unlock_mode.setText("the keychain of this computer" if keychain else "the passphrase")

    @Slot()
    def clear(self) -> None:
        """Forget everything shown, typed passphrases included (the vault is locking)."""
        self._auto_lock_timer.stop()
        self._loading = True
        self.auto_lock.setValue(int(AUTO_LOCK_MINUTES.default))
        self.remember.setChecked(False)
        self._show_paper_size(str(PAPER_SIZE.default))
        self.paper_size.setEnabled(False)
        self._loading = False
        self.profile.clear()
        self.schedule.clear()
        self.old_passphrase.clear()
        self.new_passphrase.clear()
        for label in (self.profile_status, self.change_status):
            set_message(label, None)

    # Slots -------------------------------------------------------------------

    @Slot(object)
    def _on_loaded(self, snapshot: SettingsSnapshot) -> None:
        self._loading = True
        try:
            self.profile.set_profile(snapshot.profile, snapshot.logo)
            self.auto_lock.setValue(snapshot.auto_lock_minutes)
            self.remember.setChecked(snapshot.remembered)
            self._show_keychain(snapshot.keychain)
        finally:
            self._loading = False

    def _show_keychain(self, keychain: KeychainStatus) -> None:
        self._keychain_available = keychain.available
        self.remember.setEnabled(keychain.available)
        if keychain.available:
            self.remember_note.setText(
                f"Kept in {keychain.description}: CoachDesk opens without asking for the "
                "passphrase. After a lock, the passphrase is always needed."
            )
        else:
            self.remember_note.setText(keychain.description)

    @Slot()
    def _on_profile_save_clicked(self) -> None:
        set_message(self.profile_status, None)
        self.profile.save()

    @Slot(object)
    def _on_profile_saved(self, _profile: PracticeProfile) -> None:
        _status(self.profile_status, "Saved.")

    @Slot(object)
    def _on_profile_save_failed(self, failure: Failure) -> None:
        if failure.known:
            _status(self.profile_status, failure.message, ok=False)
        else:
            show_failure(self, failure)

    @Slot()
    def _on_passphrase_fields_changed(self) -> None:
        ready = bool(self.old_passphrase.text()) and self.new_passphrase.ready
        self.change_button.setEnabled(ready)

    @Slot()
    def _on_change_clicked(self) -> None:
        old, new, repeat = (
            self.old_passphrase.text(),
            self.new_passphrase.value,
            self.new_passphrase.repeat.text(),
        )
        kdf = self._kdf
        self.change_button.setEnabled(False)
        self.change_button.setText("Changing…")
        set_message(self.change_status, None)
        job = self._ops.run(
            lambda vault: _change_passphrase(vault, old, new, repeat, kdf),
            on_done=self._on_passphrase_changed,
            on_error=self._on_passphrase_change_failed,
            changes="vault",
            owner=self,
            context="changing the passphrase",
        )
        if job is not None:
            job.finished.connect(self._on_change_finished)

    @Slot(object)
    def _on_passphrase_changed(self, _none: object) -> None:
        self.old_passphrase.clear()
        self.new_passphrase.clear()
        _status(self.change_status, "Passphrase changed. Use the new one from now on.")

    @Slot(object)
    def _on_passphrase_change_failed(self, failure: Failure) -> None:
        if isinstance(failure.error, WrongPassphraseError):
            _status(self.change_status, "The current passphrase is not right.", ok=False)
            self.old_passphrase.selectAll()
            self.old_passphrase.setFocus()
        elif isinstance(failure.error, ValidationError):
            _status(self.change_status, " ".join(failure.error.errors.values()), ok=False)
        elif failure.known:
            _status(self.change_status, failure.message, ok=False)
        else:
            show_failure(self, failure)

    @Slot()
    def _on_change_finished(self) -> None:
        self.change_button.setText("Change passphrase")
        self._on_passphrase_fields_changed()

    @Slot(bool)
    def _on_remember_toggled(self, checked: bool) -> None:
        if self._loading or not self._keychain_available:
            return
        secrets = self._secrets
        self._ops.run(
            lambda vault: _remember(vault, secrets, checked),
            on_done=lambda _none: self.notice.emit(
                "This computer will open the vault without the passphrase."
                if checked
                else "Forgotten: CoachDesk will ask for the passphrase next time.",
                None,
            ),
            on_error=self._on_remember_failed,
            changes="vault",
            owner=self,
            context="updating the keychain",
        )

    @Slot(object)
    def _on_remember_failed(self, failure: Failure) -> None:
        self._loading = True
        self.remember.setChecked(not self.remember.isChecked())
        self._loading = False
        if failure.known:
            self.remember_note.setText(failure.message)
        else:
            show_failure(self, failure)

    @Slot(int)
    def _on_auto_lock_edited(self, _minutes: int) -> None:
        if not self._loading:
            self._auto_lock_timer.start()

    @Slot()
    def _on_auto_lock_timer(self) -> None:
        minutes = self.auto_lock.value()
        self._ops.run(
            lambda vault: _put_auto_lock(vault, minutes),
            on_done=lambda stored: self.auto_lock_changed.emit(int(stored)),
            changes="setting",
            owner=self,
            context="saving the auto-lock setting",
        )

    def _on_paper_size_loaded(self, paper: str) -> None:
        self._show_paper_size(paper)
        self.paper_size.setEnabled(True)

    def _show_paper_size(self, paper: str) -> None:
        loading, self._loading = self._loading, True
        self.paper_size.setCurrentIndex(max(self.paper_size.findData(paper), 0))
        self._loading = loading

    @Slot()
    def _on_paper_size_changed(self) -> None:
        if self._loading:
            return
        paper = str(self.paper_size.currentData())
        self._ops.run(
            lambda vault: _put_paper_size(vault, paper),
            changes="setting",
            owner=self,
            context="saving the paper size",
        )

    def flush(self) -> None:
        """Save a pending auto-lock (or assistant) change now (before locking or quitting)."""
        if self._auto_lock_timer.isActive():
            self._auto_lock_timer.stop()
            self._on_auto_lock_timer()
        if self.assistant is not None:
            self.assistant.flush()

    def hideEvent(self, event: object) -> None:
        """Leaving Settings saves what is pending."""
        self.flush()
        super().hideEvent(event)  # type: ignore[arg-type]
