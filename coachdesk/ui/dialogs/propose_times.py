"""Propose times: a message listing free slots in the client's time zone, to paste or e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import busy_bar, heading, muted, set_message

if TYPE_CHECKING:
    from coachdesk.services.calendar import Proposal
    from coachdesk.store.vault import Vault

NO_HOURS = (
    "You have not set your working hours yet, so there are no free times to offer. "
    "Set them in Settings → Working hours, then come back here."
)


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class Proposed:
    """The proposal, or why there is none."""

    proposal: Proposal | None
    has_hours: bool
    problem: str = ""


def make_proposal(vault: Vault, client_id: int, days: int, count: int, minutes: int) -> Proposed:
    """Db lane: the message proposing free times, or that working hours are missing."""
    from coachdesk.domain.errors import ValidationError
    from coachdesk.services import calendar

    if not calendar.working_hours(vault):
        return Proposed(None, False)
    try:
        return Proposed(calendar.propose_times(vault, client_id, days, count, minutes), True)
    except ValidationError:
        return Proposed(
            None,
            True,
            f"No free times in the next {days} days. Look further ahead, "
            "or free some time in your calendar.",
        )


def hand_off_proposal(vault: Vault, proposal: Proposal, client_name: str) -> Path:
    """Db lane: write the proposal as an e-mail draft for the mail client to open."""
    from coachdesk.domain.documents import file_name
    from coachdesk.services import calendar, handoff

    data = calendar.proposal_eml(proposal, client_name)
    return handoff.write(file_name(f"Times for {client_name}", "eml"), data)


class ProposeTimesDialog(QDialog):
    """Free times for a client's next session, written as a message in their time zone.

    Args:
        ops: the vault operations.
        client: who the times are for.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        settings_requested: the coach wants to set working hours.
    """

    notice = Signal(str, object)
    settings_requested = Signal()

    def __init__(self, ops: VaultOps, client: Client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.client = client
        self.proposal: Proposal | None = None
        self._token = 0
        self.setWindowTitle(f"Propose times to {client.display_name}")
        self.setObjectName("proposeTimesDialog")
        self.setMinimumSize(600, 520)

        self.days = QSpinBox()
        self.days.setObjectName("proposeDays")
        self.days.setRange(1, 60)
        self.days.setValue(14)
        self.days.setSuffix(" days ahead")
        self.count = QSpinBox()
        self.count.setObjectName("proposeCount")
        self.count.setRange(1, 12)
        self.count.setValue(5)
        self.count.setSuffix(" options")
        self.minutes = QSpinBox()
        self.minutes.setObjectName("proposeMinutes")
        self.minutes.setRange(15, 480)
        self.minutes.setSingleStep(15)
        self.minutes.setValue(60)
        self.minutes.setSuffix(" minutes")
        for box in (self.days, self.count, self.minutes):
            box.valueChanged.connect(self._on_options_changed)
        options = QHBoxLayout()
        options.addWidget(self.days)
        options.addWidget(self.count)
        options.addWidget(self.minutes)
        options.addStretch(1)

        self.text = QPlainTextEdit()
        self.text.setObjectName("proposalText")
        self.text.setReadOnly(True)
        self.problem = QLabel()
        self.problem.setObjectName("proposalProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        self.settings_button = QPushButton("Open Settings")
        self.settings_button.setVisible(False)
        self.settings_button.clicked.connect(self._on_settings_clicked)
        self.busy = busy_bar()
        self.busy.setVisible(False)

        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyProposal")
        self.copy_button.setToolTip("Copy the message to paste into a chat or e-mail")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.email_button = QPushButton("Open as e-mail draft")
        self.email_button.setObjectName("emailProposal")
        self.email_button.setToolTip("Open the message as a draft in your mail app, ready to send")
        self.email_button.clicked.connect(self._on_email_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.email_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Look for", options)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(heading(f"Times for {client.display_name}", 3))
        layout.addWidget(
            muted("Free times in your working hours, written in the client's time zone.")
        )
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.settings_button)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self._update_buttons()
        ops.closed.connect(lambda: self.done(QDialog.DialogCode.Rejected))
        QTimer.singleShot(0, self, self._load)

    @Slot()
    def _on_options_changed(self, *_args: object) -> None:
        self._load()

    def _load(self) -> None:
        self._token += 1
        token = self._token
        client_id = self.client.id
        days, count, minutes = self.days.value(), self.count.value(), self.minutes.value()
        self.busy.setVisible(True)
        self._ops.run(
            lambda vault: make_proposal(vault, client_id, days, count, minutes),
            on_done=lambda result: self._on_proposed(token, result),
            on_error=self._on_failed,
            owner=self,
            context="proposing times",
        )

    def _on_proposed(self, token: int, result: Proposed) -> None:
        if token != self._token:
            return
        self.busy.setVisible(False)
        self.proposal = result.proposal
        self.settings_button.setVisible(not result.has_hours)
        if not result.has_hours:
            set_message(self.problem, NO_HOURS)
        else:
            set_message(self.problem, result.problem or None)
        self.text.setPlainText(result.proposal.body if result.proposal else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.copy_button.setEnabled(self.proposal is not None)
        self.email_button.setEnabled(self.proposal is not None)

    @Slot()
    def _on_copy_clicked(self) -> None:
        if self.proposal is None:
            return
        QGuiApplication.clipboard().setText(self.proposal.body)
        self.notice.emit("Copied the proposed times.", None)

    @Slot()
    def _on_email_clicked(self) -> None:
        proposal, name = self.proposal, self.client.display_name
        if proposal is None:
            return
        self.email_button.setEnabled(False)
        self._ops.run(
            lambda vault: hand_off_proposal(vault, proposal, name),
            on_done=self._on_handed_off,
            on_error=self._on_failed,
            owner=self,
            context="preparing an e-mail draft",
        )

    def _on_handed_off(self, path: Path) -> None:
        self._update_buttons()
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            to = self.proposal.to if self.proposal else ""
            self.notice.emit(f"Opened an e-mail draft to {to or self.client.display_name}.", None)
        else:
            set_message(
                self.problem,
                "No mail app opened the draft. Use Copy and paste the message instead.",
            )

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self.busy.setVisible(False)
        self._update_buttons()
        if failure.known:
            set_message(self.problem, failure.inline_text)
        else:
            from coachdesk.ui.errors import show_failure

            show_failure(self, failure)

    @Slot()
    def _on_settings_clicked(self) -> None:
        self.settings_requested.emit()
        self.accept()
