"""The Privacy tab of a client's page: consent per purpose, a copy of their data, erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client
from coachdesk.domain.compliance import Consent, ConsentMethod, ConsentState, Notice, Purpose
from coachdesk.domain.documents import DocumentInfo, file_name
from coachdesk.domain.errors import NotFoundError
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.erase_client import KINDS, EraseClientDialog, counted
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure, Job
from coachdesk.ui.models.crm_lists import day_text
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.client_documents import DocumentPreviewDialog
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    OK_COLOR,
    busy_bar,
    dialog_buttons,
    error_label,
    fit_height,
    heading,
    muted,
    save_folder,
    scrolling,
    separator,
    set_banner,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.privacy import ExportSummary
    from coachdesk.store.vault import Vault

CONSENT_FORM = "consent_form"
WITHDRAWN_COLOR = "#9a5b00"
LOCKED = "Your vault is locked. Unlock it, then try again."


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class Consents:
    """Where every purpose stands for a client, and the wording in force for each."""

    states: tuple[ConsentState, ...]
    notices: dict[Purpose, Notice]


def load_consents(vault: Vault, client_id: int) -> Consents:
    """Db lane: the client's consent per purpose and the notices in force."""
    from coachdesk.services import compliance

    states = tuple(compliance.consent_states(vault, client_id))
    return Consents(states, {n.purpose: n for n in compliance.notices(vault)})


def give_consent(
    vault: Vault, client_id: int, purpose: Purpose, method: ConsentMethod, on: date
) -> Consent:
    """Db lane: record consent against the notice in force."""
    from coachdesk.services import compliance

    return compliance.give_consent(vault, client_id, purpose, method, on)


def withdraw_consent(
    vault: Vault, client_id: int, purpose: Purpose, method: ConsentMethod, on: date
) -> Consent:
    """Db lane: record that the client withdrew consent."""
    from coachdesk.services import compliance

    return compliance.withdraw_consent(vault, client_id, purpose, method, on)


def make_consent_form(vault: Vault, client_id: int) -> DocumentInfo:
    """Db lane: make the consent form document for the client."""
    from coachdesk.services import documents

    return documents.create_document(vault, client_id, CONSENT_FORM, {})


def export_everything(
    vault: Vault, job: Job[ExportSummary], client_id: int, out: Path
) -> ExportSummary:
    """Db lane: write the client's complete record as a zip, with progress and cancel."""
    from coachdesk.services import privacy

    def progress(done: int, total: int, _what: str) -> bool:
        job.report_progress(done, total)
        return not job.is_cancelled

    return privacy.export_client(vault, client_id, out, progress)


# Words ------------------------------------------------------------------------------------


def history_line(consent: Consent) -> str:
    """ "Given 3 Mar 2026 (signed form, notice v1); withdrawn 5 Apr 2026 (by e-mail)"."""
    given = (
        f"Given {day_text(consent.given_on)} ({consent.method.label.lower()}, "
        f"notice v{consent.notice_version})"
    )
    if consent.withdrawn_on is None:
        return f"{given}; still stands"
    how = f" ({consent.withdrawn_method.label.lower()})" if consent.withdrawn_method else ""
    return f"{given}; withdrawn {day_text(consent.withdrawn_on)}{how}"


def outdated(state: ConsentState, notice: Notice | None) -> bool:
    """Whether consent stands against wording that has changed since."""
    return (
        state.given
        and state.latest is not None
        and notice is not None
        and state.latest.notice_version < notice.version
    )


def export_text(summary: ExportSummary) -> str:
    """What went into an export, in words."""
    parts = [counted(t, n) for t, n in summary.rows.items() if n and t in KINDS and t != "clients"]
    parts += [
        f"{t.replace('_', ' ')}: {n:,}" for t, n in summary.rows.items() if n and t not in KINDS
    ]
    parts.append(f"{summary.files:,} {'file' if summary.files == 1 else 'files'}")
    parts.append(
        f"{summary.audit_entries:,} audit {'entry' if summary.audit_entries == 1 else 'entries'}"
    )
    listed = ", ".join(parts[:-1]) + f" and {parts[-1]}"
    return (
        f"Exported the record with {listed} ({summary.total_rows:,} records in all) to "
        f"“{summary.path.name}” in {summary.path.parent}."
    )


# The consent dialog -------------------------------------------------------------------------


class ConsentDialog(QDialog):
    """Record or withdraw one purpose's consent: how, and on which day (today by default).

    Args:
        ops: the vault operations.
        client: the client.
        state: where the purpose stands now.
        notice: the wording in force for the purpose.
        withdraw: True to record a withdrawal, False to record consent.
        parent: the owning widget.

    Signals:
        saved: the Consent as stored.
    """

    saved = Signal(object)

    def __init__(
        self,
        ops: VaultOps,
        client: Client,
        state: ConsentState,
        notice: Notice | None,
        withdraw: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._client_id = client.id
        self.purpose = state.purpose
        self.withdraw = withdraw
        name = client.display_name
        label = state.purpose.label
        self.setWindowTitle("Withdraw consent" if withdraw else "Record consent")
        self.setMinimumWidth(460)

        title = heading(f"{label}: {'withdraw' if withdraw else 'record'} consent", 3)
        title.setWordWrap(True)
        if withdraw:
            intro = muted(
                f"From this day on, CoachDesk treats {name} as not consenting to this. "
                "The history keeps when consent was given and when it was withdrawn."
            )
        else:
            version = notice.version if notice else 1
            intro = muted(f"{name} agrees to this wording (notice v{version}):")
        self.method = QComboBox()
        self.method.setAccessibleName("How")
        for method in ConsentMethod:
            self.method.addItem(method.label, method)
        self.day = QDateEdit(QDate.currentDate())
        self.day.setAccessibleName("On")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("d MMM yyyy")
        self.day.setMaximumDate(QDate.currentDate())
        if withdraw and state.latest is not None:
            given = state.latest.given_on
            self.day.setMinimumDate(QDate(given.year, given.month, given.day))
        self.error = error_label()
        self.error.setObjectName("consentError")
        self.progress = busy_bar()
        self.progress.setVisible(False)
        self.buttons, self.ok_button, self.cancel_button = dialog_buttons(
            "Record withdrawal" if withdraw else "Record consent", "Cancel"
        )
        self.buttons.accepted.connect(self._on_ok_clicked)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.addRow("Withdrawn how:" if withdraw else "Given how:", self.method)
        form.addRow("On:", self.day)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        if not withdraw and notice is not None:
            wording = QLabel(f"“{notice.text}”")
            wording.setObjectName("noticeText")
            wording.setWordWrap(True)
            wording.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            wording.setStyleSheet("padding: 2px 0 2px 10px; border-left: 3px solid #c5cae9;")
            layout.addWidget(wording)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

    def showEvent(self, event: QShowEvent) -> None:
        """Fit the height to the wrapped text once the width is known."""
        super().showEvent(event)
        fit_height(self)

    @property
    def chosen_method(self) -> ConsentMethod:
        """The method chosen in the list."""
        return ConsentMethod(self.method.currentData())

    @property
    def chosen_day(self) -> date:
        """The day chosen."""
        picked = self.day.date()
        return date(picked.year(), picked.month(), picked.day())

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.method, self.day, self.ok_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)

    @Slot()
    def _on_ok_clicked(self) -> None:
        set_message(self.error, None)
        client_id, purpose = self._client_id, self.purpose
        method, day = self.chosen_method, self.chosen_day
        fn = withdraw_consent if self.withdraw else give_consent
        self._set_busy(True)
        job = self._ops.run(
            lambda vault: fn(vault, client_id, purpose, method, day),
            on_done=self._on_saved,
            on_error=self._on_failed,
            changes="crm",
            owner=self,
            context="withdrawing consent" if self.withdraw else "recording consent",
        )
        if job is None:
            self._set_busy(False)
            set_message(self.error, LOCKED)

    @Slot(object)
    def _on_saved(self, consent: Consent) -> None:
        self._set_busy(False)
        self.saved.emit(consent)
        self.accept()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self._set_busy(False)
        if failure.known:
            set_message(self.error, failure.inline_text)
        else:
            show_failure(self, failure)


# One purpose's row --------------------------------------------------------------------------


class PurposeRow:
    """The widgets of one purpose in the consent grid: name, state, buttons and history.

    Args:
        purpose: the purpose shown.
        grid: the grid the widgets go in.
        row: the grid row of the purpose (its history goes in the row below).
    """

    def __init__(self, purpose: Purpose, grid: QGridLayout, row: int) -> None:
        self.purpose = purpose
        self.label = QLabel(purpose.label)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        self.state = QLabel()
        self.state.setObjectName(f"consentState_{purpose.value}")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton("Record consent…")
        self.action.setObjectName(f"consentAction_{purpose.value}")
        metrics = self.action.fontMetrics()
        widest = max(metrics.horizontalAdvance(t) for t in ("Record consent…", "Withdraw…"))
        self.action.setMinimumWidth(widest + 28)
        self.renew = QPushButton("Renew…")
        self.renew.setObjectName(f"consentRenew_{purpose.value}")
        self.renew.setToolTip("Record consent to the reworded notice")
        self.renew.setVisible(False)
        self.toggle = QToolButton()
        self.toggle.setObjectName(f"consentHistory_{purpose.value}")
        self.toggle.setText("History")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.toggled.connect(self._on_toggled)
        self.history = muted()
        self.history.setObjectName(f"consentHistoryText_{purpose.value}")
        self.history.setVisible(False)
        self.history.setContentsMargins(0, 0, 0, 6)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.action)
        buttons.addWidget(self.toggle)
        buttons.addWidget(self.renew)
        buttons.addStretch(1)
        top = Qt.AlignmentFlag.AlignTop
        grid.addWidget(self.label, row, 0, top)
        grid.addWidget(self.state, row, 1, top)
        grid.addLayout(buttons, row, 2, top)
        grid.addWidget(self.history, row + 1, 1, 1, 2)

    def show_state(self, state: ConsentState | None, notice: Notice | None) -> None:
        """Show where the purpose stands (None: nothing loaded)."""
        if state is None:
            self.state.setText("")
            self.state.setStyleSheet("")
            self.action.setText("Record consent…")
            self.action.setEnabled(False)
            self.renew.setVisible(False)
            self.toggle.setChecked(False)
            self.toggle.setEnabled(False)
            self.history.setText("")
            return
        text = state.describe()
        if outdated(state, notice):
            assert notice is not None
            text += (
                f". The notice was reworded since (now v{notice.version}): use Renew… when "
                "they agree to the new wording."
            )
        self.state.setText(text)
        if state.given:
            self.state.setStyleSheet(f"color: {OK_COLOR};")
        elif state.latest is not None:
            self.state.setStyleSheet(f"color: {WITHDRAWN_COLOR};")
        else:
            self.state.setStyleSheet("")
            self.state.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.action.setText("Withdraw…" if state.given else "Record consent…")
        self.action.setToolTip(
            f"Record that the client withdrew consent for {self.purpose.label.lower()}"
            if state.given
            else f"Record that the client consented to {self.purpose.label.lower()}"
        )
        self.action.setEnabled(True)
        self.renew.setVisible(outdated(state, notice))
        self.toggle.setEnabled(bool(state.history))
        if not state.history:
            self.toggle.setChecked(False)
        self.history.setText("\n".join(history_line(c) for c in state.history))

    @Slot(bool)
    def _on_toggled(self, shown: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.history.setVisible(shown)


# The tab ------------------------------------------------------------------------------------


class ClientPrivacy(LazyView):
    """A client's consent per purpose, the export of their record, and their erasure.

    Consent is read on the db lane when the tab is shown, and again after a change
    of kind "crm" or "clients" (at once when shown, else on the next show).

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        erased: the client's id, after they were erased (and the report was closed).
    """

    notice = Signal(str, object)
    erased = Signal(int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.client: Client | None = None
        self.consents: Consents | None = None
        self._token = 0
        self._folder = ""
        self._export_job: Job[ExportSummary] | None = None
        self.consent_dialog: ConsentDialog | None = None
        self.erase_dialog: EraseClientDialog | None = None
        self.preview_dialog: DocumentPreviewDialog | None = None

        self.message = QLabel()
        self.message.setObjectName("privacyMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 10, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.message)
        self._build_consent(layout)
        layout.addSpacing(10)
        layout.addWidget(separator())
        layout.addSpacing(6)
        self._build_data(layout)
        layout.addStretch(1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))

        ops.changed.connect(self._on_data_changed)
        ops.closed.connect(self.clear)
        self.clear()

    def _build_consent(self, layout: QVBoxLayout) -> None:
        title_row = QHBoxLayout()
        title_row.addWidget(heading("Consent", 3))
        title_row.addStretch(1)
        self.form_button = QPushButton("Make a consent form")
        self.form_button.setObjectName("consentFormButton")
        self.form_button.setToolTip(
            "Make a consent form from this client's record, to sign; it is kept in the "
            "Documents tab"
        )
        self.form_button.clicked.connect(self._on_form_clicked)
        title_row.addWidget(self.form_button)
        layout.addLayout(title_row)
        layout.addWidget(
            muted(
                "What this client agreed to, and the wording (notice version) they agreed to. "
                "Withdrawing is recorded the same way as giving."
            )
        )
        self.consent_busy = busy_bar()
        self.consent_busy.setVisible(False)
        layout.addWidget(self.consent_busy)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        self.rows: dict[Purpose, PurposeRow] = {}
        for index, purpose in enumerate(Purpose):
            row = PurposeRow(purpose, grid, index * 2)
            row.action.clicked.connect(lambda _=False, p=purpose: self._on_action_clicked(p))
            row.renew.clicked.connect(lambda _=False, p=purpose: self.open_consent(p, False))
            self.rows[purpose] = row
        width = max(row.label.sizeHint().width() for row in self.rows.values())
        grid.setColumnMinimumWidth(0, width)
        layout.addLayout(grid)

    def _build_data(self, layout: QVBoxLayout) -> None:
        layout.addWidget(heading("Their data", 3))
        self.export_intro = muted()
        layout.addWidget(self.export_intro)
        self.export_button = QPushButton("Export everything…")
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip(
            "Save one zip file with this client's complete record (JSON and CSV) and documents"
        )
        self.export_button.clicked.connect(self._on_export_clicked)
        self.export_progress = QProgressBar()
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setTextVisible(False)
        self.export_progress.setMaximumHeight(8)
        self.export_progress.setVisible(False)
        self.export_cancel = QPushButton("Cancel")
        self.export_cancel.setObjectName("exportCancel")
        self.export_cancel.setVisible(False)
        self.export_cancel.clicked.connect(self._on_export_cancel_clicked)
        export_row = QHBoxLayout()
        export_row.setSpacing(8)
        export_row.addWidget(self.export_button)
        export_row.addWidget(self.export_progress, 1)
        export_row.addWidget(self.export_cancel)
        export_row.addStretch(0)
        layout.addLayout(export_row)
        self.export_result = QLabel()
        self.export_result.setObjectName("exportResult")
        self.export_result.setWordWrap(True)
        self.export_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_result.setVisible(False)
        layout.addWidget(self.export_result)
        layout.addSpacing(12)
        self.erase_intro = muted()
        layout.addWidget(self.erase_intro)
        self.erase_button = QPushButton("Erase this client…")
        self.erase_button.setObjectName("eraseClientButton")
        self.erase_button.setStyleSheet(f"color: {ERROR_COLOR};")
        self.erase_button.setToolTip(
            "See exactly what erasing removes and keeps, then erase for good"
        )
        self.erase_button.clicked.connect(self._on_erase_clicked)
        erase_row = QHBoxLayout()
        erase_row.addWidget(self.erase_button)
        erase_row.addStretch(1)
        layout.addLayout(erase_row)

    # Public API ----------------------------------------------------------------

    def set_client(self, client: Client) -> None:
        """Show this client's privacy (consent is read when the tab is shown)."""
        if self.client is not None and self.client.id != client.id:
            self.clear()
        self.client = client
        name = client.display_name
        self.export_intro.setText(
            f"A copy of everything CoachDesk holds about {name}, to give them when they ask: "
            "one zip file with their record (JSON with its schema, and a spreadsheet per kind "
            "of record), their documents as PDF, and the audit entries about them."
        )
        self.erase_intro.setText(
            f"Erasing removes {name} from CoachDesk for good. You see exactly what goes, and "
            "what must be kept (issued invoices), before anything happens."
        )
        self._update_buttons()
        self.mark_stale()

    def clear(self) -> None:
        """Forget the client; close any window opened from here."""
        self.client = None
        self.consents = None
        self._token += 1
        self._stale = True
        if self._export_job is not None:
            self._export_job.cancel()
            self._export_job = None
        for dialog in (self.consent_dialog, self.erase_dialog, self.preview_dialog):
            if dialog is not None:
                dialog.done(QDialog.DialogCode.Rejected)
        self.consent_dialog = self.preview_dialog = None
        self.erase_dialog = None
        for row in self.rows.values():
            row.show_state(None, None)
        self.consent_busy.setVisible(False)
        self._show_exporting(False)
        set_message(self.export_result, None)
        self.export_intro.clear()
        self.erase_intro.clear()
        self.show_message(None)
        self._update_buttons()

    def reload(self) -> None:
        """Read the client's consent on the db lane."""
        self._stale = False
        client = self.client
        if client is None:
            return
        self._token += 1
        token, client_id = self._token, client.id
        self.consent_busy.setVisible(self.consents is None)
        job = self._ops.run(
            lambda vault: load_consents(vault, client_id),
            on_done=lambda consents: self._on_loaded(token, consents),
            on_error=lambda failure: self._on_load_failed(token, failure),
            owner=self,
            context="reading a client's consent",
        )
        if job is None:
            self.consent_busy.setVisible(False)

    def show_message(self, text: str | None, error: bool = False) -> None:
        """Say something at the top of the tab (an error in red), or nothing."""
        set_banner(self.message, text, error)

    def state_of(self, purpose: Purpose) -> ConsentState | None:
        """Where a purpose stands for the client (None until loaded)."""
        if self.consents is None:
            return None
        return next((s for s in self.consents.states if s.purpose is purpose), None)

    def open_consent(self, purpose: Purpose, withdraw: bool) -> ConsentDialog | None:
        """Open the dialog recording consent for a purpose, or its withdrawal."""
        client, state = self.client, self.state_of(purpose)
        if client is None or state is None or self.consents is None:
            return None
        if self.consent_dialog is not None:
            self.consent_dialog.done(QDialog.DialogCode.Rejected)
        self.show_message(None)
        notice = self.consents.notices.get(purpose)
        dialog = ConsentDialog(self._ops, client, state, notice, withdraw, self)
        dialog.saved.connect(lambda consent: self._on_consent_saved(consent, withdraw))
        dialog.finished.connect(lambda _result: self._on_consent_finished(dialog))
        self.consent_dialog = dialog
        dialog.open()
        return dialog

    def open_erase(self) -> EraseClientDialog | None:
        """Open the erase dialog for the client."""
        client = self.client
        if client is None:
            return None
        if self.erase_dialog is not None:
            self.erase_dialog.raise_()
            return self.erase_dialog
        dialog = EraseClientDialog(self._ops, client.id, client.display_name, self)
        dialog.erased.connect(self._on_erased)
        dialog.finished.connect(lambda _result: self._on_erase_finished(dialog))
        self.erase_dialog = dialog
        dialog.open()
        return dialog

    def export_to(self, path: Path) -> Job[ExportSummary] | None:
        """Export the client's record to `path` (a .zip), showing progress and Cancel."""
        client = self.client
        if client is None or self._export_job is not None:
            return None
        self.show_message(None)
        set_message(self.export_result, None)
        client_id = client.id
        job = self._ops.run_job(
            lambda vault, job: export_everything(vault, job, client_id, path),
            on_done=self._on_exported,
            on_error=self._on_export_failed,
            on_progress=self._on_export_progress,
            owner=self,
            context="exporting a client's record",
        )
        if job is None:
            self.show_message(LOCKED, error=True)
            return None
        job.cancelled.connect(self._on_export_cancelled)
        self._export_job = job
        self._show_exporting(True)
        return job

    # Loading ---------------------------------------------------------------------

    def _update_buttons(self) -> None:
        has_client = self.client is not None
        exporting = self._export_job is not None
        self.form_button.setEnabled(has_client)
        self.export_button.setEnabled(has_client and not exporting)
        self.erase_button.setEnabled(has_client and not exporting)

    def _on_loaded(self, token: int, consents: Consents) -> None:
        if token != self._token:
            return
        self.consents = consents
        self.consent_busy.setVisible(False)
        for state in consents.states:
            self.rows[state.purpose].show_state(state, consents.notices.get(state.purpose))

    def _on_load_failed(self, token: int, failure: Failure) -> None:
        if token != self._token:
            return
        self.consent_busy.setVisible(False)
        if isinstance(failure.error, NotFoundError):
            self.consents = None
            for row in self.rows.values():
                row.show_state(None, None)
            self.show_message("This client is no longer in CoachDesk.", error=True)
            for button in (self.form_button, self.export_button, self.erase_button):
                button.setEnabled(False)
        elif failure.known:
            self.show_message(failure.message, error=True)
        else:
            show_failure(self, failure)

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in ("crm", "clients") and self.client is not None:
            self.mark_stale()

    # Consent ---------------------------------------------------------------------

    def _on_action_clicked(self, purpose: Purpose) -> None:
        state = self.state_of(purpose)
        if state is not None:
            self.open_consent(purpose, withdraw=state.given)

    def _on_consent_saved(self, consent: Consent, withdraw: bool) -> None:
        name = self.client.display_name if self.client else "The client"
        what = consent.purpose.label.lower()
        if withdraw:
            self.notice.emit(f"Recorded that {name} withdrew consent for {what}.", None)
        else:
            self.notice.emit(f"Recorded {name}'s consent for {what}.", None)

    def _on_consent_finished(self, dialog: ConsentDialog) -> None:
        if self.consent_dialog is dialog:
            self.consent_dialog = None
        delete_soon(dialog, self)

    @Slot()
    def _on_form_clicked(self) -> None:
        client = self.client
        if client is None:
            return
        self.show_message(None)
        self.form_button.setEnabled(False)
        client_id = client.id
        job = self._ops.run(
            lambda vault: make_consent_form(vault, client_id),
            on_done=self._on_form_made,
            on_error=self._on_form_failed,
            changes="documents",
            owner=self,
            context="making a consent form",
        )
        if job is None:
            self._update_buttons()
            self.show_message(LOCKED, error=True)

    @Slot(object)
    def _on_form_made(self, info: DocumentInfo) -> None:
        self._update_buttons()
        self.notice.emit(f"Made “{info.title}”. It is kept in the Documents tab.", None)
        if self.preview_dialog is not None:
            self.preview_dialog.done(QDialog.DialogCode.Rejected)
        dialog = DocumentPreviewDialog(self._ops, info, self)
        dialog.finished.connect(lambda _result: self._on_preview_finished(dialog))
        self.preview_dialog = dialog
        dialog.open()

    @Slot(object)
    def _on_form_failed(self, failure: Failure) -> None:
        self._update_buttons()
        if failure.known:
            self.show_message(failure.inline_text, error=True)
        else:
            show_failure(self, failure)

    def _on_preview_finished(self, dialog: DocumentPreviewDialog) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None
        delete_soon(dialog, self)

    # Export ----------------------------------------------------------------------

    def _show_exporting(self, exporting: bool) -> None:
        self.export_progress.setVisible(exporting)
        self.export_cancel.setVisible(exporting)
        self.export_cancel.setEnabled(exporting)
        if exporting:
            self.export_progress.setRange(0, 0)
        self._update_buttons()

    def suggested_path(self, today: date | None = None) -> Path:
        """Where the Save dialog proposes to put the export."""
        name = self.client.display_name if self.client else "Client"
        day = (today or date.today()).isoformat()
        return save_folder(self._folder) / file_name(f"{name} – CoachDesk export {day}", "zip")  # noqa: RUF001

    @Slot()
    def _on_export_clicked(self) -> None:
        if self.client is None:
            return
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Export everything", str(self.suggested_path()), "Zip files (*.zip)"
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".zip":
            path = path.with_name(f"{path.name}.zip")
        self._folder = str(path.parent)
        self.export_to(path)

    def _on_export_progress(self, done: int, total: int) -> None:
        if self._export_job is None:
            return
        self.export_progress.setRange(0, max(total, 1))
        self.export_progress.setValue(done)

    @Slot()
    def _on_export_cancel_clicked(self) -> None:
        if self._export_job is not None:
            self._export_job.cancel()
            self.export_cancel.setEnabled(False)

    @Slot()
    def _on_export_cancelled(self) -> None:
        self._export_job = None
        self._show_exporting(False)
        set_banner(self.export_result, "Export cancelled; no file was written.")

    @Slot(object)
    def _on_exported(self, summary: ExportSummary) -> None:
        self._export_job = None
        self._show_exporting(False)
        set_banner(self.export_result, export_text(summary))
        self.notice.emit(f"Exported to “{summary.path.name}”.", None)

    @Slot(object)
    def _on_export_failed(self, failure: Failure) -> None:
        self._export_job = None
        self._show_exporting(False)
        if failure.known:
            set_banner(self.export_result, failure.message, error=True)
        else:
            set_banner(self.export_result, "The export failed; no file was written.", error=True)
            show_failure(self, failure)

    # Erase -----------------------------------------------------------------------

    @Slot()
    def _on_erase_clicked(self) -> None:
        self.open_erase()

    @Slot(int)
    def _on_erased(self, client_id: int) -> None:
        name = self.client.display_name if self.client else "The client"
        self.notice.emit(f"Erased {name}.", None)
        self.erased.emit(client_id)

    def _on_erase_finished(self, dialog: EraseClientDialog) -> None:
        if self.erase_dialog is dialog:
            self.erase_dialog = None
        delete_soon(dialog, self)
