"""The At risk list: active clients by renewal-risk score, each with the reasons in words."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.risk import Risk
from coachdesk.domain.segments import Segment
from coachdesk.ui.models.crm_lists import LEVEL_COLORS, LEVEL_LABELS, RiskModel
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.views.segment_picker import Scoped, SegmentPicker, load_scoped
from coachdesk.ui.widgets import EmptyState, heading, list_table, muted

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

RELOAD_ON = frozenset({"crm", "client", "clients", "pipeline"})
FACTORS = (
    "days since you were last in touch, overdue follow-ups, goals behind schedule "
    "(or no open goal), and time stalled in a pipeline stage"
)
EMPTY = (
    "No active clients",
    "Clients whose status is Active appear here, riskiest first, with a score "
    f"from {FACTORS}. Each reason is spelled out, so you know whom to call.",
)


def renewal_risks(vault: Vault) -> list[Risk]:
    """Db lane: every active client's risk, highest first."""
    from coachdesk.services import risk

    return risk.renewal_risks(vault)


class AtRiskView(LazyView):
    """Active clients sorted by risk score, with level (High/Medium/Low) and "why at risk".

    A segment chosen in the picker narrows the list to its clients.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        open_client_requested: a client's id, to show their page.
        loaded: the number of clients listed, after each load.
    """

    open_client_requested = Signal(int)
    loaded = Signal(int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.model = RiskModel(self)
        self.count = muted(wrap=False)
        self.count.setObjectName("riskCount")
        self.segment_picker = SegmentPicker(ops)
        self.segment_picker.segment_changed.connect(self._on_segment_changed)

        table = self.table = QTableView()
        table.setObjectName("riskTable")
        table.setModel(self.model)
        list_table(table, (26, 8, 12))
        header = table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        table.doubleClicked.connect(self._on_row_activated)
        table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        open_action = QAction("Open client", table)
        open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_action.triggered.connect(lambda: self._on_row_activated(table.currentIndex()))
        table.addAction(open_action)

        self.open_button = QPushButton("Open client")
        self.open_button.setToolTip("Show the selected client's page (Enter)")
        self.open_button.clicked.connect(lambda: self._on_row_activated(table.currentIndex()))
        self.reasons = QLabel()
        self.reasons.setObjectName("riskReasons")
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.RichText)
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(8)
        content_layout.addWidget(table, 1)
        content_layout.addWidget(self.reasons)

        self.empty = EmptyState(*EMPTY)
        self.content = QStackedWidget()
        self.content.addWidget(content)
        self.content.addWidget(self.empty)

        top = QHBoxLayout()
        top.addWidget(heading("At risk"))
        top.addSpacing(12)
        top.addWidget(self.segment_picker)
        top.addSpacing(8)
        top.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(
            muted(
                "Active clients who may not renew, riskiest first. The score, from 0 to 100, "
                f"adds up {FACTORS}."
            )
        )
        layout.addWidget(self.content, 1)

        ops.opened.connect(self.mark_stale)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._on_current_changed()

    @Slot()
    def reload(self) -> None:
        """Score the active clients on the db lane."""
        self._stale = False
        segment = self.segment_picker.current()
        self._ops.run(
            lambda vault: load_scoped(vault, renewal_risks, segment),
            on_done=self._on_loaded,
            owner=self,
            context="scoring renewal risk",
        )

    @Slot()
    def clear(self) -> None:
        """Forget every client shown (the vault is locking)."""
        self.model.clear()
        self.count.clear()
        self.reasons.clear()
        self.empty.set_text(*EMPTY)
        self.content.setCurrentIndex(0)
        self._stale = True

    def reasons_text(self) -> str:
        """The reasons shown for the selected client, as plain text."""
        index = self.table.currentIndex()
        if not index.isValid():
            return ""
        return self.model.risk_at(index.row()).why

    @Slot(object)
    def _on_loaded(self, loaded: Scoped[list[Risk]]) -> None:
        index = self.table.currentIndex()
        current = self.model.risk_at(index.row()).client_id if index.isValid() else None
        risks = [r for r in loaded.data if loaded.shows(r.client_id)]
        self.model.set_risks(risks)
        segment = loaded.segment
        if segment is None:
            self.empty.set_text(*EMPTY)
        else:
            self.empty.set_text(
                f"No one in “{segment.name}” is an active client",
                "Only clients whose status is Active are scored for renewal risk. "
                "Choose All clients above to see everyone's.",
            )
        self.content.setCurrentIndex(0 if risks else 1)
        levels = [r.level for r in risks]
        parts = [
            f"{levels.count(level)} {LEVEL_LABELS[level].lower()}"
            for level in ("high", "medium", "low")
            if level in levels
        ]
        self.count.setText(" · ".join(parts))
        row = self.model.row_of(current) if current is not None else -1
        if row < 0 and risks:
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        self._on_current_changed()
        self.loaded.emit(len(risks))

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in RELOAD_ON:
            self.mark_stale()

    @Slot(object)
    def _on_segment_changed(self, _segment: Segment | None) -> None:
        self.mark_stale()

    @Slot()
    def _on_current_changed(self, *_args: object) -> None:
        index = self.table.currentIndex()
        self.open_button.setEnabled(index.isValid())
        if not index.isValid():
            self.reasons.clear()
            return
        risk = self.model.risk_at(index.row())
        color = LEVEL_COLORS[risk.level].name()
        title = (
            f"<b>{escape(risk.client_name)}</b> · "
            f"<span style='color: {color}; font-weight: 600'>"
            f"{LEVEL_LABELS[risk.level]} risk, {risk.score} of 100</span>"
        )
        if risk.factors:
            items = "".join(
                f"<li>{escape(f.reason)} <span style='color: gray'>(+{f.points})</span></li>"
                for f in risk.factors
            )
            self.reasons.setText(f"{title}<ul style='margin-top: 4px'>{items}</ul>")
        else:
            self.reasons.setText(f"{title}<br>Nothing stands out: keep doing what you do.")

    @Slot(QModelIndex)
    def _on_row_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_client_requested.emit(self.model.risk_at(index.row()).client_id)
