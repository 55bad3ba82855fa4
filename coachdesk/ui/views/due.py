"""The Due list: every client's overdue follow-ups first, then what falls due in the next week."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QHideEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.crm import FollowUp
from coachdesk.domain.segments import Segment
from coachdesk.ui.models.crm_lists import FollowUpModel, utc_now
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.client_page import (
    FollowUpActions,
    configure_tree,
    select_index,
    selected_follow_ups,
    span_sections,
)
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.views.segment_picker import Scoped, SegmentPicker, load_scoped
from coachdesk.ui.widgets import EmptyState, heading, muted

if TYPE_CHECKING:
    from coachdesk.services.crm import DueList
    from coachdesk.store.vault import Vault

# "2 hours late" must not go stale while the list is on screen.
REFRESH_MS = 60_000
RELOAD_ON = frozenset({"crm", "client", "clients"})
EMPTY = ("Nothing due", "Follow-ups you add on a client's page appear here.")


def due_follow_ups(vault: Vault) -> DueList:
    """Db lane: open follow-ups that are overdue or due within a week."""
    from coachdesk.services import crm

    return crm.due_follow_ups(vault)


class DueView(LazyView):
    """Overdue follow-ups (in the warning colour, with how late) and the next 7 days.

    Done and Snooze act on the selected rows; double-click opens the client.
    A segment chosen in the picker narrows the list to its clients' follow-ups.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        open_client_requested: a client's id, to show their page.
        loaded: the number of follow-ups listed, after each load.
    """

    notice = Signal(str, object)
    open_client_requested = Signal(int)
    loaded = Signal(int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.model = FollowUpModel(show_client=True, parent=self)
        self.count = muted(wrap=False)
        self.count.setObjectName("dueCount")
        self.segment_picker = SegmentPicker(ops)
        self.segment_picker.segment_changed.connect(self._on_segment_changed)

        self.tree = QTreeView()
        self.tree.setObjectName("dueTree")
        configure_tree(self.tree, self.model)
        char = self.tree.fontMetrics().averageCharWidth()
        for column, chars in enumerate((24, 40, 22, 14)):
            self.tree.setColumnWidth(column, chars * char)
        self.tree.doubleClicked.connect(self._on_row_activated)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection_changed)
        open_action = QAction("Open client", self.tree)
        open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_action.triggered.connect(lambda: self._on_row_activated(self.tree.currentIndex()))
        self.tree.addAction(open_action)

        self.follow_up_actions = FollowUpActions(ops, self.selected, self)
        self.follow_up_actions.notice.connect(self.notice)
        self.open_button = QPushButton("Open client")
        self.open_button.setToolTip("Show the selected follow-up's client (Enter)")
        self.open_button.clicked.connect(lambda: self._on_row_activated(self.tree.currentIndex()))

        self.empty = EmptyState(*EMPTY)
        self.content = QStackedWidget()
        self.content.addWidget(self.tree)
        self.content.addWidget(self.empty)

        top = QHBoxLayout()
        top.addWidget(heading("Due"))
        top.addSpacing(12)
        top.addWidget(self.segment_picker)
        top.addSpacing(8)
        top.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.follow_up_actions.done_button)
        top.addWidget(self.follow_up_actions.snooze_button)
        top.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(
            muted(
                "Follow-ups for all your clients that are overdue or due in the next 7 days, "
                "in your time zone. Marking a repeating follow-up done schedules the next one."
            )
        )
        layout.addWidget(self.content, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._on_tick)
        self.timer.start()
        ops.opened.connect(self.mark_stale)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._on_selection_changed()

    def selected(self) -> list[FollowUp]:
        """The follow-ups selected, in display order."""
        return selected_follow_ups(self.tree, self.model)

    @Slot()
    def reload(self) -> None:
        """Read what is due on the db lane."""
        self._stale = False
        segment = self.segment_picker.current()
        self._ops.run(
            lambda vault: load_scoped(vault, due_follow_ups, segment),
            on_done=self._on_loaded,
            owner=self,
            context="loading the follow-ups that are due",
        )

    @Slot()
    def clear(self) -> None:
        """Forget every follow-up shown (the vault is locking)."""
        self.model.clear()
        self.count.clear()
        self.empty.set_text(*EMPTY)
        self.content.setCurrentWidget(self.tree)
        self._stale = True

    @Slot(object)
    def _on_loaded(self, loaded: Scoped[DueList]) -> None:
        keep = [f.id for f in selected_follow_ups(self.tree, self.model)]
        current = self.model.follow_up_at(self.tree.currentIndex())
        overdue = [f for f in loaded.data.overdue if loaded.shows(f.client_id)]
        upcoming = [f for f in loaded.data.upcoming if loaded.shows(f.client_id)]
        self.model.set_sections([("Overdue", overdue), ("Next 7 days", upcoming)], utc_now())
        span_sections(self.tree, self.model)
        total = len(overdue) + len(upcoming)
        segment = loaded.segment
        if segment is None:
            self.empty.set_text(*EMPTY)
        else:
            self.empty.set_text(
                f"No one in “{segment.name}” is due",
                "None of their follow-ups is overdue or due in the next 7 days. "
                "Choose All clients above to see everyone's.",
            )
        self.content.setCurrentWidget(self.tree if total else self.empty)
        parts = []
        if overdue:
            parts.append(f"{len(overdue)} overdue")
        if upcoming:
            parts.append(f"{len(upcoming)} in the next 7 days")
        self.count.setText(" · ".join(parts))
        if current is not None:
            select_index(self.tree, self.model.index_of(current.id))
        selection = self.tree.selectionModel()
        for follow_up_id in keep:
            index = self.model.index_of(follow_up_id)
            if index.isValid():
                selection.select(
                    index,
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
        self._on_selection_changed()
        self.loaded.emit(total)

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in RELOAD_ON:
            self.mark_stale()

    @Slot(object)
    def _on_segment_changed(self, _segment: Segment | None) -> None:
        self.mark_stale()

    @Slot()
    def _on_tick(self) -> None:
        if self.isVisible() and self._ops.is_open:
            self.reload()

    def hideEvent(self, event: QHideEvent) -> None:
        """What is due depends on the time: look again when shown next."""
        super().hideEvent(event)
        self._stale = True

    @Slot()
    def _on_selection_changed(self, *_args: object) -> None:
        self.follow_up_actions.update_buttons()
        self.open_button.setEnabled(self.model.follow_up_at(self.tree.currentIndex()) is not None)

    @Slot(QModelIndex)
    def _on_row_activated(self, index: QModelIndex) -> None:
        item = self.model.follow_up_at(index)
        if item is not None:
            self.open_client_requested.emit(item.client_id)
