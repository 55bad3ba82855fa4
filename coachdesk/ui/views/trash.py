"""The Trash: clients moved out of the list, waiting to be restored or deleted for good."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import ClientRow
from coachdesk.ui.models.client_table import ClientTableModel, Column
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.clients import (
    configure_table,
    fit_columns,
    list_clients,
    plural,
    restore_clients,
    selected_ids,
)
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import EmptyState, heading, muted

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault


def empty_trash(vault: Vault) -> int:
    """Db lane: delete every trashed client for good; how many went."""
    from coachdesk.services import clients

    return clients.empty_trash(vault)


class TrashView(LazyView):
    """Trashed clients, with Restore and Empty Trash.

    The list loads when the view is shown and whenever clients change while
    it is shown; hidden, it only remembers that it is out of date.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
    """

    notice = Signal(str, object)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.model = ClientTableModel(self, updated_header="Moved to Trash")
        self.confirm_box: QMessageBox | None = None

        self.count = muted(wrap=False)
        self.restore_button = QPushButton("Restore")
        self.restore_button.setToolTip("Put the selected clients back in the list")
        self.empty_button = QPushButton("Empty Trash…")
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button.clicked.connect(self.ask_empty)

        self.table = QTableView()
        self.table.setObjectName("trashTable")
        configure_table(self.table, self.model)
        self.table.doubleClicked.connect(lambda _index: self.restore_selected())
        restore = QAction("Restore", self.table)
        restore.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        restore.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        restore.triggered.connect(self.restore_selected)
        self.table.addAction(restore)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.empty = EmptyState(
            "The Trash is empty",
            "Clients you delete wait here until you empty the Trash, so a slip of the "
            "Delete key is never final.",
        )
        self.content = QStackedWidget()
        self.content.addWidget(self.table)
        self.content.addWidget(self.empty)

        top = QHBoxLayout()
        top.addWidget(heading("Trash"))
        top.addSpacing(8)
        top.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.restore_button)
        top.addWidget(self.empty_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(
            muted(
                "Restoring a client brings back their whole record, notes included. "
                "Emptying the Trash deletes these records for good."
            )
        )
        layout.addWidget(self.content, 1)

        ops.opened.connect(self._on_vault_opened)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._show_counts(0)

    @Slot()
    def reload(self) -> None:
        """Load the trashed clients on the db lane."""
        self._stale = False
        self._ops.run(
            lambda vault: list_clients(vault, trashed=True),
            on_done=self._on_rows_loaded,
            owner=self,
            context="loading the Trash",
        )

    @Slot()
    def clear(self) -> None:
        """Forget every row (the vault is locking)."""
        if self.confirm_box is not None:
            self.confirm_box.done(QMessageBox.StandardButton.Cancel)
        self.model.clear()
        self._stale = True
        self._show_counts(0)

    @Slot()
    def restore_selected(self) -> None:
        """Bring the selected clients back to the list."""
        ids = selected_ids(self.table, self.model)
        if not ids:
            return
        self._ops.run(
            lambda vault: restore_clients(vault, ids),
            on_done=lambda back: self.notice.emit(
                f"Restored {plural(len(back), 'client')} to the list.", None
            ),
            changes="clients",
            owner=self,
            context="restoring clients",
        )

    @Slot()
    def ask_empty(self) -> None:
        """Confirm, then delete every trashed client for good."""
        count = self.model.total_count
        if count == 0:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Empty the Trash?",
            f"Delete {plural(count, 'client')} for good?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText("Their records, notes included, cannot be restored afterwards.")
        self.confirm_delete = box.addButton(
            "Delete for good", QMessageBox.ButtonRole.DestructiveRole
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(self._on_confirm_clicked)
        box.finished.connect(self._on_confirm_finished)
        self.confirm_box = box
        box.open()

    # Slots -------------------------------------------------------------------

    @Slot()
    def _on_vault_opened(self) -> None:
        self.mark_stale()

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind == "clients":
            self.mark_stale()

    @Slot(object)
    def _on_rows_loaded(self, rows: list[ClientRow]) -> None:
        self.model.set_rows(rows)
        if rows:
            fit_columns(self.table, self.model)
        self.model.sort(Column.UPDATED, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSortIndicator(Column.UPDATED, Qt.SortOrder.DescendingOrder)
        self._show_counts(len(rows))

    @Slot(object)
    def _on_confirm_clicked(self, button: QPushButton) -> None:
        if button is not self.confirm_delete:
            return
        self._ops.run(
            empty_trash,
            on_done=lambda count: self.notice.emit(
                f"Deleted {plural(count, 'client')} for good.", None
            ),
            changes="clients",
            owner=self,
            context="emptying the Trash",
        )

    @Slot(int)
    def _on_confirm_finished(self, _result: int) -> None:
        self.confirm_box = None

    @Slot()
    def _on_selection_changed(self) -> None:
        self.restore_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def _show_counts(self, total: int) -> None:
        self.count.setText(plural(total, "client") if total else "")
        self.content.setCurrentWidget(self.table if total else self.empty)
        self.empty_button.setEnabled(total > 0)
        self._on_selection_changed()
