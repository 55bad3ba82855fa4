"""The Clients area: the list with filters, segments and bulk actions, and each client's page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client, ClientRow, normalise_tag
from coachdesk.domain.pipeline import Stage
from coachdesk.domain.segments import ClientFilter, Segment
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.client_editor import ClientEditor
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.client_table import (
    ClientTableModel,
    Column,
)
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.client_filters import (
    ClientFilterBar,
    PromptDialog,
    run_in_prompt,
)
from coachdesk.ui.views.client_page import ClientPage
from coachdesk.ui.widgets import EmptyState, heading, list_table, muted

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault
    from coachdesk.ui.assistant_ops import AiOps

SELECT_ROW = (
    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
)
NO_CLIENTS = "Add the people you coach, or your leads, to keep everything about them in one place."
EXPORT_FILTERS = {"csv": "CSV spreadsheet (*.csv)", "vcf": "vCard contacts (*.vcf)"}
# Kinds of change that alter what the list shows.
RELOAD_NOW = frozenset({"clients"})
RELOAD_WHEN_SHOWN = frozenset({"crm", "pipeline"})
HIDDEN_AT_FIRST = (Column.PHONE, Column.UPDATED)


# Run on the db lane. The services (and with them the database stack) are imported
# there, on first use, so that building the window does not wait for them.


def list_clients(vault: Vault, trashed: bool = False) -> list[ClientRow]:
    """Db lane: the client list, or the Trash's."""
    from coachdesk.services import clients

    return clients.list_clients(vault, trashed=trashed)


def get_client(vault: Vault, client_id: int) -> Client:
    """Db lane: one client's whole record."""
    from coachdesk.services import clients

    return clients.get_client(vault, client_id)


def trash_clients(vault: Vault, ids: list[int]) -> list[int]:
    """Db lane: move clients to the Trash; the ids actually moved."""
    from coachdesk.services import clients

    return clients.trash_clients(vault, ids)


def restore_clients(vault: Vault, ids: list[int]) -> list[int]:
    """Db lane: bring clients back from the Trash; the ids actually restored."""
    from coachdesk.services import clients

    return clients.restore_clients(vault, ids)


def tag_clients(
    vault: Vault, client_ids: list[int], add: Iterable[str] = (), remove: Iterable[str] = ()
) -> int:
    """Db lane: add and remove tags on many clients; how many changed."""
    from coachdesk.services import segments

    return segments.tag_clients(vault, client_ids, add=add, remove=remove)


def untag_groups(vault: Vault, groups: dict[str, list[int]], add: bool) -> int:
    """Db lane: undo a bulk tag change, tag by tag, on the clients it changed."""
    changed = 0
    for tag, ids in groups.items():
        if ids:
            changed += tag_clients(vault, ids, **{"add" if add else "remove": [tag]})
    return changed


def move_clients(vault: Vault, client_ids: list[int], stage_id: int, reason: str = "") -> list[int]:
    """Db lane: move clients to a pipeline stage; the ids that moved."""
    from coachdesk.services import pipeline

    return pipeline.move_clients(vault, client_ids, stage_id, reason)


def write_export(vault: Vault, client_ids: list[int], fmt: str, path: Path) -> int:
    """Db lane: export clients to `path`, written whole or not at all; how many were written."""
    from coachdesk.services import transfer

    return transfer.export_to_file(vault, client_ids, fmt, path)


def export_format(path: str, name_filter: str) -> str:
    """ "vcf" or "csv": from the file's extension, else from the file type chosen."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in EXPORT_FILTERS:
        return suffix
    return "vcf" if name_filter == EXPORT_FILTERS["vcf"] else "csv"


def file_name(text: str) -> str:
    """`text` made safe as a file name on every system ("Spring/Summer" → "Spring-Summer")."""
    safe = "".join("-" if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in text)
    return safe.strip(" .") or "clients"


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 client", "3 clients"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def configure_table(
    table: QTableView, model: ClientTableModel, hidden: Iterable[Column] = (Column.NEXT_FOLLOW_UP,)
) -> None:
    """The look shared by the client list and the Trash; `hidden` columns start hidden.

    Follow-ups are hidden unless asked for: they mean nothing for trashed clients.
    """
    table.setModel(model)
    list_table(table, multi=True)
    table.setSortingEnabled(True)
    table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    char = table.fontMetrics().averageCharWidth()
    widths = {
        Column.NAME: 24,
        Column.EMAIL: 32,
        Column.PHONE: 18,
        Column.COMPANY: 22,
        Column.STATUS: 10,
        Column.STAGE: 16,
        Column.TAGS: 24,
        Column.NEXT_FOLLOW_UP: 16,
        Column.UPDATED: 14,
    }
    for column, chars in widths.items():
        table.setColumnWidth(column, chars * char)
    header.setSectionResizeMode(Column.TAGS, QHeaderView.ResizeMode.Stretch)
    for column in hidden:
        table.setColumnHidden(column, True)


# Widest a column gets when sized to its content, and narrowest when space is short.
COLUMN_CAPS = {
    Column.NAME: 260,
    Column.EMAIL: 320,
    Column.PHONE: 180,
    Column.COMPANY: 220,
    Column.STATUS: 110,
    Column.STAGE: 170,
    Column.NEXT_FOLLOW_UP: 170,
    Column.UPDATED: 170,
}
COLUMN_MINIMUMS = {Column.NAME: 150, Column.EMAIL: 170, Column.COMPANY: 120}
TAGS_MINIMUM = 160


def fit_columns(table: QTableView, model: ClientTableModel, sample: int = 300) -> None:
    """Size columns to their content (a sample of rows, capped) and leave Tags room to show.

    When the content is wider than the table, Name, E-mail and Company give
    up width in proportion to what they can spare; Tags stretches into the rest.
    """
    metrics = table.fontMetrics()
    padding = 28  # cell margins plus the header's sort arrow
    rows = min(model.rowCount(), sample)
    widths: dict[Column, int] = {}
    for column, cap in COLUMN_CAPS.items():
        if table.isColumnHidden(column):
            continue
        title = str(model.headerData(column, Qt.Orientation.Horizontal))
        width = metrics.horizontalAdvance(title)
        for row in range(rows):
            text = str(model.data(model.index(row, column)) or "")
            width = max(width, metrics.horizontalAdvance(text))
        widths[column] = min(width + padding, cap)
    excess = sum(widths.values()) + TAGS_MINIMUM - table.viewport().width()
    spare = {c: max(0, widths[c] - low) for c, low in COLUMN_MINIMUMS.items() if c in widths}
    total_spare = sum(spare.values())
    if excess > 0 and total_spare > 0:
        for column, can_give in spare.items():
            widths[column] -= min(can_give, round(excess * can_give / total_spare))
    for column, width in widths.items():
        table.setColumnWidth(column, width)


def selected_ids(table: QTableView, model: ClientTableModel) -> list[int]:
    """The ids of the selected rows, in display order."""
    rows = sorted(index.row() for index in table.selectionModel().selectedRows())
    return [model.id_at(row) for row in rows]


def select_id(table: QTableView, model: ClientTableModel, client_id: int | None) -> bool:
    """Make a client the current, selected row (False when it is not shown)."""
    row = model.row_of(client_id) if client_id is not None else -1
    if row < 0:
        return False
    index = model.index(row, 0)
    table.selectionModel().setCurrentIndex(index, SELECT_ROW)
    table.scrollTo(index)
    return True


class ClientsView(QWidget):
    """The client list (filter bar, segments, sort, bulk actions, keyboard) and the client page.

    Args:
        ops: the vault operations.
        ai: the assistant's operations, for the client page (None: the page makes its own).
        parent: the owning widget.

    Signals:
        loaded: the number of rows after each load of the list.
        notice: (message, undo callable or None) for the status bar.
        batch_documents_requested: (client ids) the coach asked for documents for these.
    """

    loaded = Signal(int)
    notice = Signal(str, object)
    batch_documents_requested = Signal(list)

    LIST, PAGE = 0, 1

    def __init__(
        self, ops: VaultOps, ai: AiOps | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._loaded_once = False
        self._reload_pending = False
        self._stale = False
        self._pending_select: int | None = None
        self._preloaded: list[ClientRow] | None = None
        self._fitted = False
        self._selected: list[int] = []
        self.model = ClientTableModel(self)
        self.editor: ClientEditor | None = None
        self.prompt: PromptDialog | None = None
        self.export_dialog: QFileDialog | None = None

        self.count = muted(wrap=False)
        self.count.setObjectName("clientCount")
        self.new_button = QPushButton("New client")
        self.new_button.setToolTip("Add a client (Ctrl+N)")
        self.new_button.clicked.connect(self.new_client)
        self.filter = QLineEdit()
        self.filter.setObjectName("clientFilter")
        self.filter.setPlaceholderText(
            "Filter by name, e-mail, phone, company, status, stage or tag   (Ctrl+F)"
        )
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter_changed)
        self.filter.returnPressed.connect(self._on_filter_return)
        for key, slot in (
            (Qt.Key.Key_Down, self._on_filter_down),
            (Qt.Key.Key_Escape, self.filter.clear),
        ):
            action = QAction(self.filter)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.filter.addAction(action)

        self.filters = ClientFilterBar(ops)
        self.filters.setObjectName("clientFilters")
        self.filters.filter_changed.connect(self._on_client_filter_changed)
        self.filters.segment_changed.connect(self._on_segment_changed)
        self.filters.stages_loaded.connect(self._on_stages_loaded)
        self.filters.notice.connect(self.notice)

        self.table = QTableView()
        self.table.setObjectName("clientTable")
        # Room for stage and follow-ups; the header's menu brings the others back.
        configure_table(self.table, self.model, hidden=HIDDEN_AT_FIRST)
        self.table.doubleClicked.connect(self._on_row_activated)
        self.trash_action = QAction("Move to Trash", self.table)
        self.trash_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)]
        )
        self.trash_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.trash_action.triggered.connect(self.trash_selected)
        self.table.addAction(self.trash_action)
        self.open_action = QAction("Open", self.table)
        self.open_action.setShortcuts(
            [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        )
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.open_action.triggered.connect(self._on_open_current)
        self.table.addAction(self.open_action)
        self._build_bulk_actions()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_menu)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.empty = EmptyState("No clients yet", NO_CLIENTS, "Add your first client")
        assert self.empty.button is not None
        self.empty.button.clicked.connect(self._on_empty_button)
        self.content = QStackedWidget()
        self.content.addWidget(self.table)
        self.content.addWidget(self.empty)

        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save clients as a CSV spreadsheet or vCard contacts")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        export_menu.addAction(self.export_shown_action)
        export_menu.addAction(self.export_selected_action)
        self.export_button.setMenu(export_menu)

        top = QHBoxLayout()
        top.addWidget(heading("Clients"))
        top.addSpacing(8)
        top.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.export_button)
        top.addWidget(self.new_button)

        list_page = QWidget()
        list_layout = QVBoxLayout(list_page)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(10)
        list_layout.addLayout(top)
        list_layout.addWidget(self.filter)
        list_layout.addWidget(self.filters)
        list_layout.addWidget(self.selection_bar)
        list_layout.addWidget(self.content, 1)

        self.page = ClientPage(self._ops, ai)
        self.page.back_requested.connect(self.show_list)
        self.page.erased.connect(lambda _client_id: self.show_list())
        self.page.edit_requested.connect(self.edit_client)
        self.page.trash_requested.connect(lambda client_id: self._trash([client_id]))
        self.page.notice.connect(self.notice)

        self.stack = QStackedWidget()
        self.stack.addWidget(list_page)
        self.stack.addWidget(self.page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.model.counts_changed.connect(self._on_counts_changed)
        ops.opened.connect(self.reload)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._on_counts_changed(0, 0)
        self._on_selection_changed()
        self.count.setText("")

    def _build_bulk_actions(self) -> None:
        self.add_tag_action = QAction("Add tag…", self)
        self.add_tag_action.setToolTip("Add a tag to the selected clients")
        self.add_tag_action.triggered.connect(self.ask_add_tag)
        self.remove_tag_menu = QMenu("Remove tag", self)
        self.move_menu = QMenu("Move to stage", self)
        self.move_menu.aboutToShow.connect(self._fill_move_menu)
        self.documents_action = QAction("Make documents…", self)
        self.documents_action.setToolTip("A certificate, report or other document for each")
        self.documents_action.triggered.connect(self._on_make_documents)
        self.export_selected_action = QAction("Export selected…", self)
        self.export_selected_action.triggered.connect(self.export_selected)
        self.export_shown_action = QAction("Export all clients…", self)
        self.export_shown_action.triggered.connect(self.export_shown)
        self.edit_action = QAction("Edit…", self)
        self.edit_action.triggered.connect(self._on_edit_current)

        self.selection_label = QLabel()
        self.selection_label.setObjectName("selectionCount")
        self.add_tag_button = QPushButton("Add tag…")
        self.add_tag_button.clicked.connect(self.ask_add_tag)
        self.remove_tag_button = QToolButton()
        self.remove_tag_button.setText("Remove tag")
        self.remove_tag_button.setMenu(self.remove_tag_menu)
        self.remove_tag_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.move_button = QToolButton()
        self.move_button.setText("Move to stage")
        self.move_button.setMenu(self.move_menu)
        self.move_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.documents_button = QPushButton("Make documents…")
        self.documents_button.setToolTip(self.documents_action.toolTip())
        self.documents_button.clicked.connect(self._on_make_documents)
        self.export_selected_button = QPushButton("Export selected…")
        self.export_selected_button.clicked.connect(self.export_selected)
        self.selection_bar = QFrame()
        self.selection_bar.setObjectName("selectionBar")
        self.selection_bar.setStyleSheet(
            "QFrame#selectionBar { background: palette(alternate-base);"
            " border: 1px solid palette(midlight); border-radius: 6px; }"
        )
        bar = QHBoxLayout(self.selection_bar)
        bar.setContentsMargins(10, 4, 6, 4)
        bar.addWidget(self.selection_label)
        bar.addSpacing(8)
        for widget in (
            self.add_tag_button,
            self.remove_tag_button,
            self.move_button,
            self.documents_button,
            self.export_selected_button,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)

    @property
    def is_loaded(self) -> bool:
        """Whether the list holds the vault's clients (not before the first load, not locked)."""
        return self._loaded_once

    def current_filter(self) -> ClientFilter:
        """What the list is filtered by: the filter bar's conditions and the typed words."""
        return self.filters.current_filter()

    def set_client_filter(self, client_filter: ClientFilter) -> None:
        """Filter the list (the drop-downs and the typed words follow)."""
        self.show_list()
        self.filters.set_filter(client_filter)

    def apply_segment(self, name: str) -> bool:
        """Show a saved segment by name (ignoring case); False when there is none by that name."""
        self.show_list()
        return self.filters.apply_segment(name)

    def selected_client_ids(self) -> list[int]:
        """The ids of the selected clients, in list order."""
        return list(self._selected)

    # Loading -----------------------------------------------------------------

    def preload(self, rows: list[ClientRow]) -> None:
        """Rows read on the db lane while unlocking: the next `reload` shows them at once."""
        self._preloaded = rows

    @Slot()
    def reload(self) -> None:
        """Load the list on the db lane (the model keeps its filter and sort)."""
        self._stale = False
        if self._preloaded is not None and self._ops.is_open:
            rows, self._preloaded = self._preloaded, None
            self._on_rows_loaded(rows)
            return
        if self._reload_pending:
            return
        self._reload_pending = True
        if not self._loaded_once:
            self.count.setText("Loading…")
        job = self._ops.run(
            list_clients,
            on_done=self._on_rows_loaded,
            on_error=self._on_load_failed,
            owner=self,
            context="loading the client list",
        )
        if job is None:
            self._reload_pending = False

    @Slot(object)
    def _on_rows_loaded(self, rows: list[ClientRow]) -> None:
        self._reload_pending = False
        self._loaded_once = True
        target = self._pending_select or self._current_id()
        selected = self._selected
        self.filters.set_rows(rows)
        self.model.set_rows(rows)
        pending = self._pending_select
        hidden = pending is not None and self.model.row_of(pending) < 0
        # A client just added must be findable at once: drop filters that hide them.
        if hidden and any(row.id == pending for row in rows):
            self.filters.clear_filter()
        self._fit_columns_once()
        if self._reselect(selected, target):
            self._pending_select = None
        self.loaded.emit(len(rows))

    def _fit_columns_once(self) -> None:
        # Column widths depend on the table's real width: wait until it is on screen.
        if not self._fitted and self.model.rowCount() and self.table.isVisible():
            fit_columns(self.table, self.model)
            self._fitted = True

    def showEvent(self, event: QShowEvent) -> None:
        """Size the columns once the table has its real width; catch up on changes missed."""
        super().showEvent(event)
        QTimer.singleShot(0, self._fit_columns_once)
        if self._stale and self._ops.is_open:
            self.reload()

    @Slot(object)
    def _on_load_failed(self, failure: Failure) -> None:
        self._reload_pending = False
        self._ops.lane.unhandled_failure.emit(failure)

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in RELOAD_NOW:
            self.reload()
        elif kind in RELOAD_WHEN_SHOWN:
            if self.isVisible():
                self.reload()
            else:
                self._stale = True

    @Slot()
    def clear(self) -> None:
        """Remove every trace of client data from the screen (the vault is locking)."""
        self._reload_pending = False
        self._loaded_once = False
        self._stale = False
        self._pending_select = None
        self._preloaded = None
        self._selected = []
        if self.editor is not None:
            self.editor.done(QDialog.DialogCode.Rejected)
            self.editor = None
        for dialog in (self.prompt, self.export_dialog):
            if dialog is not None:
                dialog.done(QDialog.DialogCode.Rejected)
        self.prompt = self.export_dialog = None
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.filters.clear()
        self.model.clear()
        self.remove_tag_menu.clear()
        self.move_menu.clear()
        self.page.clear()
        self.stack.setCurrentIndex(self.LIST)
        self.count.setText("")
        self._on_selection_changed()

    # Actions -----------------------------------------------------------------

    @Slot()
    def focus_filter(self) -> None:
        """Ctrl+F: back to the list, filter box focused and selected."""
        self.show_list()
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    @Slot()
    def show_list(self) -> None:
        """Return from a client's page to the list."""
        self.stack.setCurrentIndex(self.LIST)
        self.table.setFocus()

    @Slot()
    def new_client(self) -> None:
        """Open the form for a new client."""
        self._open_editor(None)

    @Slot(int)
    def edit_client(self, client_id: int) -> None:
        """Load a client and open the form on it."""
        self._ops.run(
            lambda vault: get_client(vault, client_id),
            on_done=self._open_editor,
            owner=self,
            context="opening a client",
        )

    def open_client(self, client_id: int) -> None:
        """Load a client and show their page."""
        self._ops.run(
            lambda vault: get_client(vault, client_id),
            on_done=self._on_client_loaded,
            owner=self,
            context="opening a client",
        )

    @Slot()
    def trash_selected(self) -> None:
        """Delete key: move the selected clients to the Trash."""
        ids = selected_ids(self.table, self.model)
        if ids:
            self._trash(ids)

    @Slot()
    def ask_add_tag(self) -> None:
        """Ask for a tag (or several, with commas) and add it to the selected clients."""
        ids = self.selected_client_ids()
        if not ids:
            return
        known = sorted({tag for row in self.model.all_rows() for tag in row.tags})
        who = self._who(ids)
        prompt = self._prompt(
            "Add tag",
            f"Add a tag to {who}. Separate several tags with commas.",
            "Add tag",
            placeholder="e.g. spring cohort",
            completions=known,
            required="Type the tag to add.",
        )
        prompt.submitted.connect(lambda text: self._add_tags(prompt, ids, text))
        prompt.open()

    def remove_tag(self, tag: str) -> None:
        """Remove a tag from the selected clients that have it."""
        having = [row.id for row in self._selected_rows() if tag in row.tags]
        if not having:
            return
        self._ops.run(
            lambda vault: tag_clients(vault, having, remove=[tag]),
            on_done=lambda changed: self.notice.emit(
                f"Removed “{tag}” from {plural(changed, 'client')}.",
                lambda: self._undo_tags({tag: having}, add=True),
            ),
            changes="clients",
            owner=self,
            context="removing a tag",
        )

    def move_selected(self, stage: Stage) -> None:
        """Move the selected clients to a stage (a lost stage asks for the reason first)."""
        ids = self.selected_client_ids()
        if not ids:
            return
        if not stage.is_lost:
            self._ops.run(
                lambda vault: move_clients(vault, ids, stage.id),
                on_done=lambda moved: self._on_moved(stage, ids, moved),
                on_error=self._on_bulk_failed,
                changes="clients",
                owner=self,
                context="moving clients to a stage",
            )
            return
        prompt = self._prompt(
            f"Move to {stage.name}",
            f"Why did {self._who(ids)} move to {stage.name}? The reason stays in the "
            "client's history, to help you spot patterns later.",
            f"Move to {stage.name}",
            placeholder="e.g. chose another coach, budget, timing",
            required="Say why, in a few words.",
        )
        prompt.submitted.connect(lambda reason: self._move_with_reason(prompt, ids, stage, reason))
        prompt.open()

    @Slot()
    def export_selected(self) -> None:
        """Save the selected clients as CSV or vCard (a file dialog asks where)."""
        ids = self.selected_client_ids()
        if ids:
            self._ask_export(ids, "clients")

    @Slot()
    def export_shown(self) -> None:
        """Save every client the list shows (the segment, or the filtered list) as CSV or vCard."""
        ids = [row.id for row in self.model.visible_rows()]
        if not ids:
            self.notice.emit("No clients to export: clear the filters to show some.", None)
            return
        segment = self.filters.exact_segment
        self._ask_export(ids, segment.name if segment is not None else "clients")

    def _trash(self, ids: list[int]) -> None:
        self._ops.run(
            lambda vault: trash_clients(vault, ids),
            on_done=self._on_trashed,
            changes="clients",
            owner=self,
            context="moving clients to the Trash",
        )

    def _restore(self, ids: list[int]) -> None:
        self._ops.run(
            lambda vault: restore_clients(vault, ids),
            on_done=lambda back: self.notice.emit(f"Restored {plural(len(back), 'client')}.", None),
            changes="clients",
            owner=self,
            context="restoring clients",
        )

    def _open_editor(self, client: Client | None) -> None:
        if self.editor is not None:
            self.editor.raise_()
            self.editor.activateWindow()
            return
        editor = ClientEditor(self._ops, client, self)
        editor.saved.connect(self._on_client_saved)
        editor.finished.connect(self._on_editor_finished)
        self.editor = editor
        editor.open()

    def _who(self, ids: list[int]) -> str:
        if len(ids) == 1:
            row = self.model.row_of(ids[0])
            if row >= 0:
                return self.model.row_at(row).name
        return plural(len(ids), "client")

    def _selected_rows(self) -> list[ClientRow]:
        positions = self.model.positions(self._selected)
        return [self.model.row_at(positions[i]) for i in self._selected if i in positions]

    def _prompt(self, title: str, question: str, primary: str, **more: Any) -> PromptDialog:
        if self.prompt is not None:
            self.prompt.done(QDialog.DialogCode.Rejected)
        prompt = PromptDialog(title, question, primary, parent=self, **more)
        prompt.finished.connect(lambda _r: self._forget_prompt(prompt))
        self.prompt = prompt
        return prompt

    def _forget_prompt(self, prompt: PromptDialog) -> None:
        if self.prompt is prompt:
            self.prompt = None
        delete_soon(prompt, self)

    def _run_in_prompt(
        self,
        prompt: PromptDialog,
        fn: Callable[[Vault], object],
        then: Callable[[object], None],
        context: str,
    ) -> None:
        run_in_prompt(self._ops, prompt, fn, then, context, "clients")

    def _add_tags(self, prompt: PromptDialog, ids: list[int], text: str) -> None:
        tags = [t for t in dict.fromkeys(normalise_tag(p) for p in text.split(",")) if t]
        if not tags:
            prompt.show_error("Type the tag to add.")
            return
        wanted = set(ids)
        rows = {row.id: row for row in self.model.all_rows() if row.id in wanted}
        lacking = {t: [i for i in ids if i in rows and t not in rows[i].tags] for t in tags}
        names = ", ".join(f"“{t}”" for t in tags)

        def tagged(changed: object) -> None:
            count = changed if isinstance(changed, int) else 0
            undo = (lambda: self._undo_tags(lacking, add=False)) if count else None
            if count:
                message = f"Tagged {plural(count, 'client')} {names}."
            else:
                message = f"Every selected client already had {names}."
            self.notice.emit(message, undo)

        self._run_in_prompt(
            prompt, lambda vault: tag_clients(vault, ids, add=tags), tagged, "tagging clients"
        )

    def _undo_tags(self, groups: dict[str, list[int]], add: bool) -> None:
        self._ops.run(
            lambda vault: untag_groups(vault, groups, add),
            on_done=lambda _n: self.notice.emit("Undone.", None),
            changes="clients",
            owner=self,
            context="undoing a tag change",
        )

    def _move_with_reason(
        self, prompt: PromptDialog, ids: list[int], stage: Stage, reason: str
    ) -> None:
        self._run_in_prompt(
            prompt,
            lambda vault: move_clients(vault, ids, stage.id, reason),
            lambda moved: self._on_moved(stage, ids, moved),
            "moving clients to a stage",
        )

    def _ask_export(self, ids: list[int], name: str) -> None:
        if self.export_dialog is not None:
            self.export_dialog.done(QDialog.DialogCode.Rejected)
        dialog = QFileDialog(self, f"Export {plural(len(ids), 'client')}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilters(list(EXPORT_FILTERS.values()))
        dialog.setDefaultSuffix("csv")
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        if folder:
            dialog.setDirectory(folder)
        dialog.selectFile(f"{file_name(name)}.csv")
        dialog.filterSelected.connect(lambda chosen: self._on_export_type(dialog, chosen))
        dialog.fileSelected.connect(
            lambda path: self._export_to(ids, Path(path), dialog.selectedNameFilter())
        )
        dialog.finished.connect(lambda _r: self._forget_export_dialog(dialog))
        self.export_dialog = dialog
        dialog.open()

    def _forget_export_dialog(self, dialog: QFileDialog) -> None:
        if self.export_dialog is dialog:
            self.export_dialog = None
        delete_soon(dialog, self)

    def _on_export_type(self, dialog: QFileDialog, name_filter: str) -> None:
        fmt = "vcf" if name_filter == EXPORT_FILTERS["vcf"] else "csv"
        dialog.setDefaultSuffix(fmt)

    def _export_to(self, ids: list[int], path: Path, name_filter: str) -> None:
        fmt = export_format(str(path), name_filter)
        kind = "vCard file" if fmt == "vcf" else "CSV file"
        self._ops.run(
            lambda vault: write_export(vault, ids, fmt, path),
            on_done=lambda count: self.notice.emit(
                f"Exported {plural(count, 'client')} to the {kind} “{path.name}”.", None
            ),
            on_error=self._on_bulk_failed,
            owner=self,
            context="exporting clients",
        )

    def _reselect(self, ids: list[int], current: int | None) -> bool:
        """Select these clients again where still shown, `current` as the current row."""
        if len(ids) <= 1:
            return select_id(self.table, self.model, current)
        positions = self.model.positions([*ids, current] if current is not None else ids)
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for client_id in ids:
            row = positions.get(client_id)
            if row is not None:
                selection.select(self.model.index(row, 0), self.model.index(row, last))
        model = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag
        if current is not None and current in positions:
            model.setCurrentIndex(self.model.index(positions[current], 0), flags.NoUpdate)
        model.select(selection, flags.ClearAndSelect | flags.Rows)
        return current is not None and current in positions

    # Slots -------------------------------------------------------------------

    @Slot(object)
    def _on_client_loaded(self, client: Client) -> None:
        self.page.set_client(client)
        self.stack.setCurrentIndex(self.PAGE)
        self.page.edit_button.setFocus()

    @Slot(object)
    def _on_client_saved(self, client: Client) -> None:
        is_new = self.page.client is None or self.page.client.id != client.id
        if self.stack.currentIndex() == self.PAGE and not is_new:
            self.page.set_client(client)
        self.notice.emit(f"Saved {client.display_name}.", None)
        if is_new:
            # A new client must be findable at once: clear a filter that would hide them.
            if self.model.filter_text:
                self.filter.clear()
            self._pending_select = client.id

    @Slot(int)
    def _on_editor_finished(self, _result: int) -> None:
        if self.editor is not None:
            delete_soon(self.editor, self)
        self.editor = None

    @Slot(object)
    def _on_trashed(self, moved: list[int]) -> None:
        if self.stack.currentIndex() == self.PAGE:
            self.page.clear()
            self.show_list()
        if not moved:
            return
        self.notice.emit(
            f"Moved {plural(len(moved), 'client')} to the Trash.",
            lambda: self._restore(moved),
        )

    def _on_moved(self, stage: Stage, ids: list[int], moved: object) -> None:
        count = len(moved) if isinstance(moved, list) else 0
        if count == len(ids):
            self.notice.emit(f"Moved {plural(count, 'client')} to {stage.name}.", None)
        elif count:
            self.notice.emit(
                f"Moved {plural(count, 'client')} to {stage.name}; "
                f"{len(ids) - count:,} were there already.",
                None,
            )
        else:
            self.notice.emit(f"Already in {stage.name}: nothing to move.", None)

    @Slot(object)
    def _on_bulk_failed(self, failure: Failure) -> None:
        show_failure(self, failure)

    @Slot(QModelIndex)
    def _on_row_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_client(self.model.id_at(index.row()))

    @Slot()
    def _on_open_current(self) -> None:
        self._on_row_activated(self.table.currentIndex())

    @Slot()
    def _on_edit_current(self) -> None:
        client_id = self._current_id()
        if client_id is not None:
            self.edit_client(client_id)

    @Slot(str)
    def _on_filter_changed(self, text: str) -> None:
        ids, current = self._selected, self._current_id()
        self.filters.set_text(text)
        self.model.set_filter(text)
        self._after_filtering(ids, current)

    @Slot(object)
    def _on_client_filter_changed(self, client_filter: ClientFilter) -> None:
        ids, current = self._selected, self._current_id()
        if self.filter.text() != client_filter.text:
            self.filter.setText(client_filter.text)
        self.model.set_client_filter(client_filter)
        self._after_filtering(ids, current)

    def _after_filtering(self, ids: list[int], current: int | None) -> None:
        if not self._reselect(ids, current) and self.model.rowCount() > 0:
            self.table.selectionModel().setCurrentIndex(self.model.index(0, 0), SELECT_ROW)
        self._on_selection_changed()

    @Slot(object)
    def _on_segment_changed(self, _segment: Segment | None) -> None:
        self._on_counts_changed(self.model.rowCount(), self.model.total_count)

    @Slot(object)
    def _on_stages_loaded(self, stages: list[Stage]) -> None:
        self.model.set_stage_order({stage.id: stage.position for stage in stages})
        self._fill_move_menu()

    @Slot()
    def _on_filter_return(self) -> None:
        if self.model.rowCount() == 1:
            self.open_client(self.model.id_at(0))
        elif self.model.rowCount() > 1:
            self.table.setFocus()

    @Slot()
    def _on_filter_down(self) -> None:
        if self.model.rowCount() > 0:
            self.table.setFocus()

    @Slot()
    def _on_empty_button(self) -> None:
        if self.model.total_count == 0:
            self.new_client()
        else:
            self.filters.clear_filter()

    @Slot()
    def _on_selection_changed(self) -> None:
        self._selected = selected_ids(self.table, self.model)
        count = len(self._selected)
        self.selection_bar.setVisible(count > 1)
        self.selection_label.setText(f"{count:,} selected")
        for action in (self.add_tag_action, self.documents_action, self.export_selected_action):
            action.setEnabled(count > 0)
        self.export_selected_action.setText(
            f"Export the {count:,} selected…" if count > 1 else "Export selected…"
        )
        self._fill_remove_tag_menu()
        self.move_menu.setEnabled(count > 0)
        self.move_button.setEnabled(count > 0 and bool(self.filters.stages))

    def _fill_remove_tag_menu(self) -> None:
        menu = self.remove_tag_menu
        menu.clear()
        tags = Counter(tag for row in self._selected_rows() for tag in row.tags)
        for tag, having in sorted(tags.items()):
            action = menu.addAction(f"{tag}\t{having:,}")
            action.triggered.connect(lambda _c=False, t=tag: self.remove_tag(t))
        if not tags:
            none = menu.addAction("The selected clients have no tags")
            none.setEnabled(False)
        self.remove_tag_button.setEnabled(bool(tags))

    @Slot()
    def _fill_move_menu(self) -> None:
        menu = self.move_menu
        menu.clear()
        rows = self._selected_rows()
        here = {row.stage_id for row in rows}
        for stage in self.filters.stages:
            action = menu.addAction(f"{stage.name}…" if stage.is_lost else stage.name)
            action.setCheckable(True)
            action.setChecked(here == {stage.id})
            action.triggered.connect(lambda _c=False, s=stage: self.move_selected(s))
        if not self.filters.stages:
            none = menu.addAction("The stages are loading…")
            none.setEnabled(False)

    @Slot()
    def _on_make_documents(self) -> None:
        if self._selected:
            self.batch_documents_requested.emit(list(self._selected))

    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        if not self._selected:
            return
        menu = QMenu(self)
        single = len(self._selected) == 1
        if single:
            menu.addAction(self.open_action)
            menu.addAction(self.edit_action)
            menu.addSeparator()
        menu.addAction(self.add_tag_action)
        menu.addMenu(self.remove_tag_menu).setEnabled(self.remove_tag_button.isEnabled())
        self._fill_move_menu()
        menu.addMenu(self.move_menu)
        menu.addSeparator()
        menu.addAction(self.documents_action)
        menu.addAction(self.export_selected_action)
        menu.addAction(self.export_shown_action)
        menu.addSeparator()
        menu.addAction(self.trash_action)
        menu.aboutToHide.connect(lambda: delete_soon(menu, self))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    @Slot(QPoint)
    def _on_header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for column in Column:
            if column is Column.NAME:
                continue
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.toggled.connect(lambda on, c=column: self.table.setColumnHidden(c, not on))
        menu.aboutToHide.connect(lambda: delete_soon(menu, self))
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

    @Slot(int, int)
    def _on_counts_changed(self, shown: int, total: int) -> None:
        segment = self.filters.active_segment
        narrowed = shown != total or not self.current_filter().is_empty
        if not self._loaded_once:
            self.count.setText("")
        elif not narrowed:
            self.count.setText(plural(total, "client"))
        else:
            text = f"Showing {shown:,} of {plural(total, 'client')}"
            if segment is not None:
                text += f" · segment: {segment.name}"
            self.count.setText(text)
        exact = self.filters.exact_segment
        if exact is not None:
            self.export_shown_action.setText(f"Export segment “{exact.name}”…")
        elif narrowed:
            self.export_shown_action.setText(f"Export the {plural(shown, 'client')} shown…")
        else:
            self.export_shown_action.setText("Export all clients…")
        self.export_shown_action.setEnabled(shown > 0)
        if total == 0:
            self.empty.set_text("No clients yet", NO_CLIENTS)
        else:
            self.empty.set_text("No matches", self._no_match_text())
        if self.empty.button is not None:
            self.empty.button.setText("Add your first client" if total == 0 else "Clear filters")
            self.empty.button.setVisible(total == 0 or not self.current_filter().is_empty)
        show_empty = self._loaded_once and shown == 0
        self.content.setCurrentWidget(self.empty if show_empty else self.table)

    def _no_match_text(self) -> str:
        words = self.model.filter_text.strip()
        conditions = not self.current_filter().with_(text="").is_empty
        segment = self.filters.active_segment
        if segment is not None and not words:
            return (
                f"No client is in the segment “{segment.name}” at the moment. "
                "Choose another segment, or clear the filters."
            )
        if words and conditions:
            return (
                f"No client matches “{words}” with these filters. "
                "Try fewer letters, or clear the filters."
            )
        if conditions:
            return "No client matches these filters. Untick some, or clear the filters."
        return f"No client matches “{words}”. Try fewer letters, or clear the filter."

    def _current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None
