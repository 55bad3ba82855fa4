"""The audit trail: what changed and when, and a check that nobody rewrote the record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.audit import AuditEvent
from coachdesk.ui.models.audit_table import AuditTableModel
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import ERROR_COLOR, OK_COLOR, heading, list_table, muted

if TYPE_CHECKING:
    from coachdesk.services.audit_trail import Verification
    from coachdesk.store.vault import Vault

RECENT_LIMIT = 500


def recent_events(vault: Vault) -> list[AuditEvent]:
    """Db lane: the newest events, newest first."""
    from coachdesk.services import audit_trail

    return audit_trail.recent_events(vault, RECENT_LIMIT)


def verify_trail(vault: Vault) -> Verification:
    """Db lane: walk the whole chain and name the first bad entry, if any."""
    from coachdesk.services import audit_trail

    return audit_trail.verify(vault)


class AuditView(LazyView):
    """The newest audit events and the Verify button.

    Args:
        ops: the vault operations.
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._fitted = False
        self.model = AuditTableModel(self)

        self.verify_button = QPushButton("Verify the trail")
        self.verify_button.setToolTip("Check every entry against the one before it")
        self.verify_button.clicked.connect(self.verify)
        self.result = QLabel()
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        self.result.setVisible(False)

        self.table = QTableView()
        self.table.setModel(self.model)
        list_table(self.table, (7, 24, 24, 30, 26), multi=True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        top = QHBoxLayout()
        top.addWidget(heading("Audit trail"))
        top.addStretch(1)
        top.addWidget(self.verify_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(
            muted(
                "Every change is recorded here: what happened, to which record and when, "
                "never the content itself. Each entry is sealed with the one before it, so "
                "an entry edited or removed outside CoachDesk shows up when you verify."
            )
        )
        layout.addWidget(self.result)
        layout.addWidget(self.table, 1)

        ops.opened.connect(self._on_vault_opened)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)

    @Slot()
    def reload(self) -> None:
        """Load the newest events on the db lane."""
        self._stale = False
        self._ops.run(
            recent_events,
            on_done=self._on_events_loaded,
            owner=self,
            context="loading the audit trail",
        )

    @Slot()
    def verify(self) -> None:
        """Walk the whole chain on the db lane and say whether it is intact."""
        self.verify_button.setEnabled(False)
        self.verify_button.setText("Verifying…")
        job = self._ops.run(
            verify_trail,
            on_done=self._on_verified,
            owner=self,
            context="verifying the audit trail",
        )
        if job is not None:
            job.finished.connect(self._on_verify_finished)
        else:
            self._on_verify_finished()

    @Slot()
    def clear(self) -> None:
        """Forget the events shown (the vault is locking)."""
        self.model.clear()
        self.result.setVisible(False)
        self._stale = True

    @Slot()
    def _on_vault_opened(self) -> None:
        self.mark_stale()

    @Slot(str)
    def _on_data_changed(self, _kind: str) -> None:
        self.mark_stale()

    @Slot(object)
    def _on_events_loaded(self, events: list[AuditEvent]) -> None:
        self.model.set_events(events)
        if events and not self._fitted:
            self._fit_columns()
            self._fitted = True

    def _fit_columns(self, sample: int = 200) -> None:
        metrics = self.table.fontMetrics()
        rows = min(self.model.rowCount(), sample)
        for column in range(self.model.columnCount() - 1):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            width = metrics.horizontalAdvance(title)
            for row in range(rows):
                text = str(self.model.data(self.model.index(row, column)) or "")
                width = max(width, metrics.horizontalAdvance(text))
            self.table.setColumnWidth(column, min(width + 24, 320))

    @Slot(object)
    def _on_verified(self, verification: Verification) -> None:
        if verification.problem is None:
            self.result.setText(
                f"✓  The trail is intact: all {verification.events:,} entries check out."
            )
            self.result.setStyleSheet(f"color: {OK_COLOR}; font-weight: 600;")
        else:
            self.result.setText(
                f"✗  The trail was tampered with: {verification.problem.reason} "
                f"(first bad entry: #{verification.problem.seq}). Restore the vault from a "
                "backup taken before that date, or keep this copy as evidence."
            )
            self.result.setStyleSheet(f"color: {ERROR_COLOR}; font-weight: 600;")
        self.result.setVisible(True)

    @Slot()
    def _on_verify_finished(self) -> None:
        self.verify_button.setEnabled(True)
        self.verify_button.setText("Verify the trail")
