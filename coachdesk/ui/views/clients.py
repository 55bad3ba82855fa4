"""The Clients area: the list with filter-as-you-type, and each client's page."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client, ClientRow
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.client_editor import ClientEditor
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.client_table import (
    STATUS_COLORS,
    STATUS_LABELS,
    ClientTableModel,
    Column,
    long_time,
)
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import EmptyState, heading, muted, separator

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

SELECT_ROW = (
    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
)
NO_CLIENTS = "Add the people you coach, or your leads, to keep everything about them in one place."


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


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 client", "3 clients"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def configure_table(table: QTableView, model: ClientTableModel) -> None:
    """The look shared by the client list and the Trash."""
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setSortingEnabled(True)
    table.setTabKeyNavigation(False)
    table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
    vertical = table.verticalHeader()
    vertical.setVisible(False)
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(table.fontMetrics().height() + 12)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    char = table.fontMetrics().averageCharWidth()
    widths = {
        Column.NAME: 24,
        Column.EMAIL: 32,
        Column.PHONE: 18,
        Column.COMPANY: 22,
        Column.STATUS: 10,
        Column.TAGS: 24,
        Column.UPDATED: 14,
    }
    for column, chars in widths.items():
        table.setColumnWidth(column, chars * char)
    header.setSectionResizeMode(Column.TAGS, QHeaderView.ResizeMode.Stretch)


# Widest a column gets when sized to its content, and narrowest when space is short.
COLUMN_CAPS = {
    Column.NAME: 260,
    Column.EMAIL: 320,
    Column.PHONE: 180,
    Column.COMPANY: 220,
    Column.STATUS: 110,
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
        title = str(model.headerData(column, Qt.Orientation.Horizontal))
        width = metrics.horizontalAdvance(title)
        for row in range(rows):
            text = str(model.data(model.index(row, column)) or "")
            width = max(width, metrics.horizontalAdvance(text))
        widths[column] = min(width + padding, cap)
    excess = sum(widths.values()) + TAGS_MINIMUM - table.viewport().width()
    spare = {c: max(0, widths[c] - low) for c, low in COLUMN_MINIMUMS.items()}
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


class ClientPage(QWidget):
    """One client's record, read-only, with Edit and Move to Trash.

    Signals:
        back_requested: return to the list.
        edit_requested: the shown client's id.
        trash_requested: the shown client's id.
    """

    back_requested = Signal()
    edit_requested = Signal(int)
    trash_requested = Signal(int)

    FIELDS = (
        ("emails", "E-mail"),
        ("phones", "Phone"),
        ("company", "Company"),
        ("role", "Role"),
        ("time_zone", "Time zone"),
        ("locale", "Locale"),
        ("lead_source", "Lead source"),
        ("tags", "Tags"),
        ("created", "Added"),
        ("updated", "Last changed"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client: Client | None = None

        self.back_button = QPushButton("\u2039  All clients")
        self.back_button.setFlat(True)
        self.back_button.setToolTip("Back to the list (Esc)")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Edit this client (Ctrl+E)")
        self.trash_button = QPushButton("Move to Trash")
        self.back_button.clicked.connect(self.back_requested)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.trash_button.clicked.connect(self._on_trash_clicked)
        for key, slot in (
            (QKeySequence(Qt.Key.Key_Escape), self.back_requested.emit),
            (QKeySequence(QKeySequence.StandardKey.Back), self.back_requested.emit),
            (QKeySequence("Ctrl+E"), self._on_edit_clicked),
        ):
            action = QAction(self)
            action.setShortcut(key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

        bar = QHBoxLayout()
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.trash_button)

        self.name = heading("", 8)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("statusChip")
        self.subtitle = muted()
        title_row = QHBoxLayout()
        title_row.addWidget(self.name)
        title_row.addSpacing(8)
        title_row.addWidget(self.status, 0, Qt.AlignmentFlag.AlignVCenter)
        title_row.addStretch(1)

        self.values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(8)
        for row, (name, label) in enumerate(self.FIELDS):
            caption = muted(label, wrap=False)
            value = QLabel()
            value.setObjectName(f"value_{name}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            value.setOpenExternalLinks(True)
            grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1, Qt.AlignmentFlag.AlignTop)
            self.values[name] = value
        grid.setColumnStretch(1, 1)

        self.notes = QLabel()
        self.notes.setObjectName("notes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(4, 4, 16, 16)
        body_layout.setSpacing(10)
        body_layout.addLayout(title_row)
        body_layout.addWidget(self.subtitle)
        body_layout.addSpacing(6)
        body_layout.addWidget(separator())
        body_layout.addSpacing(6)
        body_layout.addLayout(grid)
        body_layout.addSpacing(10)
        body_layout.addWidget(heading("Notes", 2))
        body_layout.addWidget(self.notes)
        body_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)

    def set_client(self, client: Client) -> None:
        """Show a client's record."""
        self.client = client
        self.name.setText(client.display_name)
        color = STATUS_COLORS[client.status].name()
        self.status.setText(STATUS_LABELS[client.status])
        self.status.setStyleSheet(
            f"color: {color}; border: 1px solid {color}; border-radius: 9px; padding: 1px 8px;"
        )
        full = " ".join(p for p in (client.first_name, client.last_name) if p)
        parts = []
        if client.preferred_name and full and full != client.display_name:
            parts.append(full)
        work = " at ".join(p for p in (client.role, client.company) if p)
        if work:
            parts.append(work)
        self.subtitle.setText(" · ".join(parts))
        self.subtitle.setVisible(bool(parts))
        none = "<span style='color: gray'>—</span>"
        emails = "<br>".join(f"<a href='mailto:{e}'>{e}</a>" for e in client.emails)
        values = {
            "emails": emails or none,
            "phones": "<br>".join(_escape(p) for p in client.phones) or none,
            "company": _escape(client.company) or none,
            "role": _escape(client.role) or none,
            "time_zone": _zone_text(client.time_zone) or none,
            "locale": _escape(client.locale) or none,
            "lead_source": _escape(client.lead_source) or none,
            "tags": _escape(", ".join(client.tags)) or none,
            "created": long_time(client.created_at),
            "updated": long_time(client.updated_at),
        }
        for name, text in values.items():
            self.values[name].setTextFormat(Qt.TextFormat.RichText)
            self.values[name].setText(text)
        self.notes.setText(client.notes or "No notes yet.")
        self.notes.setEnabled(bool(client.notes))

    def clear(self) -> None:
        """Forget the client shown (the vault is locking)."""
        self.client = None
        self.name.clear()
        self.status.clear()
        self.subtitle.clear()
        for value in self.values.values():
            value.clear()
        self.notes.clear()

    @Slot()
    def _on_edit_clicked(self) -> None:
        if self.client is not None:
            self.edit_requested.emit(self.client.id)

    @Slot()
    def _on_trash_clicked(self) -> None:
        if self.client is not None:
            self.trash_requested.emit(self.client.id)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _zone_text(zone: str) -> str:
    if not zone:
        return ""
    try:
        there = datetime.now(ZoneInfo(zone))
    except (ValueError, KeyError):
        return _escape(zone)
    return f"{_escape(zone)} <span style='color: gray'>· {there:%H:%M} there now</span>"


class ClientsView(QWidget):
    """The client list (filter, sort, keyboard) and the client page.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        loaded: the number of rows after each load of the list.
        notice: (message, undo callable or None) for the status bar.
    """

    loaded = Signal(int)
    notice = Signal(str, object)

    LIST, PAGE = 0, 1

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._loaded_once = False
        self._reload_pending = False
        self._pending_select: int | None = None
        self._preloaded: list[ClientRow] | None = None
        self._fitted = False
        self.model = ClientTableModel(self)
        self.editor: ClientEditor | None = None

        self.count = muted(wrap=False)
        self.count.setObjectName("clientCount")
        self.new_button = QPushButton("New client")
        self.new_button.setToolTip("Add a client (Ctrl+N)")
        self.new_button.clicked.connect(self.new_client)
        self.filter = QLineEdit()
        self.filter.setObjectName("clientFilter")
        self.filter.setPlaceholderText(
            "Filter by name, e-mail, phone, company, status or tag   (Ctrl+F)"
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

        self.table = QTableView()
        self.table.setObjectName("clientTable")
        configure_table(self.table, self.model)
        self.table.doubleClicked.connect(self._on_row_activated)
        self.trash_action = QAction("Move to Trash", self.table)
        self.trash_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)]
        )
        self.trash_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.trash_action.triggered.connect(self.trash_selected)
        self.table.addAction(self.trash_action)
        open_action = QAction("Open", self.table)
        open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_action.triggered.connect(self._on_open_current)
        self.table.addAction(open_action)

        self.empty = EmptyState("No clients yet", NO_CLIENTS, "Add your first client")
        assert self.empty.button is not None
        self.empty.button.clicked.connect(self.new_client)
        self.content = QStackedWidget()
        self.content.addWidget(self.table)
        self.content.addWidget(self.empty)

        top = QHBoxLayout()
        top.addWidget(heading("Clients"))
        top.addSpacing(8)
        top.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.new_button)

        list_page = QWidget()
        list_layout = QVBoxLayout(list_page)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(10)
        list_layout.addLayout(top)
        list_layout.addWidget(self.filter)
        list_layout.addWidget(self.content, 1)

        self.page = ClientPage()
        self.page.back_requested.connect(self.show_list)
        self.page.edit_requested.connect(self.edit_client)
        self.page.trash_requested.connect(lambda client_id: self._trash([client_id]))

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
        self.count.setText("")

    @property
    def is_loaded(self) -> bool:
        """Whether the list holds the vault's clients (not before the first load, not locked)."""
        return self._loaded_once

    # Loading -----------------------------------------------------------------

    def preload(self, rows: list[ClientRow]) -> None:
        """Rows read on the db lane while unlocking: the next `reload` shows them at once."""
        self._preloaded = rows

    @Slot()
    def reload(self) -> None:
        """Load the list on the db lane (the model keeps its filter and sort)."""
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
        self.model.set_rows(rows)
        self._fit_columns_once()
        if select_id(self.table, self.model, target):
            self._pending_select = None
        self.loaded.emit(len(rows))

    def _fit_columns_once(self) -> None:
        # Column widths depend on the table's real width: wait until it is on screen.
        if not self._fitted and self.model.rowCount() and self.table.isVisible():
            fit_columns(self.table, self.model)
            self._fitted = True

    def showEvent(self, event: QShowEvent) -> None:
        """Size the columns once the table has its real width."""
        super().showEvent(event)
        QTimer.singleShot(0, self._fit_columns_once)

    @Slot(object)
    def _on_load_failed(self, failure: Failure) -> None:
        self._reload_pending = False
        self._ops.lane.unhandled_failure.emit(failure)

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind == "client":
            self.reload()

    @Slot()
    def clear(self) -> None:
        """Remove every trace of client data from the screen (the vault is locking)."""
        self._reload_pending = False
        self._loaded_once = False
        self._pending_select = None
        self._preloaded = None
        if self.editor is not None:
            self.editor.done(QDialog.DialogCode.Rejected)
            self.editor = None
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.model.clear()
        self.page.clear()
        self.stack.setCurrentIndex(self.LIST)
        self.count.setText("")

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

    def _trash(self, ids: list[int]) -> None:
        self._ops.run(
            lambda vault: trash_clients(vault, ids),
            on_done=self._on_trashed,
            changes="client",
            owner=self,
            context="moving clients to the Trash",
        )

    def _restore(self, ids: list[int]) -> None:
        self._ops.run(
            lambda vault: restore_clients(vault, ids),
            on_done=lambda back: self.notice.emit(f"Restored {plural(len(back), 'client')}.", None),
            changes="client",
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

    @Slot(QModelIndex)
    def _on_row_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_client(self.model.id_at(index.row()))

    @Slot()
    def _on_open_current(self) -> None:
        self._on_row_activated(self.table.currentIndex())

    @Slot(str)
    def _on_filter_changed(self, text: str) -> None:
        current = self._current_id()
        self.model.set_filter(text)
        if not select_id(self.table, self.model, current) and self.model.rowCount() > 0:
            self.table.selectionModel().setCurrentIndex(self.model.index(0, 0), SELECT_ROW)

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

    @Slot(int, int)
    def _on_counts_changed(self, shown: int, total: int) -> None:
        if not self._loaded_once:
            self.count.setText("")
        elif shown == total:
            self.count.setText(plural(total, "client"))
        else:
            self.count.setText(f"{shown:,} of {plural(total, 'client')}")
        if total == 0:
            self.empty.set_text("No clients yet", NO_CLIENTS)
        else:
            self.empty.set_text(
                "No matches",
                f"No client matches “{self.model.filter_text.strip()}”. "
                "Try fewer letters, or clear the filter.",
            )
        if self.empty.button is not None:
            self.empty.button.setVisible(total == 0)
        show_empty = self._loaded_once and shown == 0
        self.content.setCurrentWidget(self.empty if show_empty else self.table)

    def _current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None
