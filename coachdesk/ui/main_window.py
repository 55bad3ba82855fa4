"""The main window: sidebar of areas, the area shown, and a status bar with the lock state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk import APP_NAME, __version__
from coachdesk.settings import MachineSettings
from coachdesk.ui.assistant_ops import AiOps
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.widgets import heading, muted

if TYPE_CHECKING:
    from coachdesk.store.keychain import SecretStore
    from coachdesk.store.keys import KdfParams
    from coachdesk.ui.dialogs.search_palette import SearchPalette
    from coachdesk.ui.views.at_risk import AtRiskView
    from coachdesk.ui.views.audit import AuditView
    from coachdesk.ui.views.billing import BillingView
    from coachdesk.ui.views.calendar import CalendarView
    from coachdesk.ui.views.clients import ClientsView
    from coachdesk.ui.views.compliance import ComplianceView
    from coachdesk.ui.views.drafts import DraftsView
    from coachdesk.ui.views.due import DueView
    from coachdesk.ui.views.pipeline import PipelineView
    from coachdesk.ui.views.settings import SettingsView
    from coachdesk.ui.views.templates import TemplatesView
    from coachdesk.ui.views.trash import TrashView

NOTICE_MS = 12_000
BUSY_DELAY_MS = 400
LOCKED = (f"{APP_NAME} is locked", "Your clients' data is hidden until you unlock.")

SIDEBAR_STYLE = """
QFrame#sidebar {
    background: palette(base); border: none; border-right: 1px solid palette(midlight);
}
QLabel#appName { font-weight: 600; padding: 18px 18px 12px 18px; }
QListWidget#areas { background: transparent; border: none; outline: 0; padding: 0 8px; }
QListWidget#areas::item { padding: 8px 10px; border-radius: 6px; margin: 1px 0; }
QListWidget#areas::item:selected {
    background: palette(highlight); color: palette(highlighted-text);
}
QListWidget#areas::item:hover:!selected { background: palette(alternate-base); }
QListWidget#areas:disabled { color: palette(mid); }
QListWidget#areas::item:selected:disabled {
    background: palette(alternate-base); color: palette(mid);
}
"""


@dataclass(frozen=True, slots=True)
class Areas:
    """The areas of the window, in sidebar order."""

    clients: ClientsView
    pipeline: PipelineView
    due: DueView
    at_risk: AtRiskView
    calendar: CalendarView
    billing: BillingView
    documents: TemplatesView
    drafts: DraftsView
    trash: TrashView
    compliance: ComplianceView
    audit: AuditView  # a tab of the Compliance area
    settings: SettingsView


class StatusPage(QWidget):
    """What the content area shows while no vault is open: a title, a sentence, maybe a busy bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = heading("", 3)
        self.title.setObjectName("statusTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = muted()
        self.text.setObjectName("statusText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setFixedSize(QSize(220, 6))
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addSpacing(12)
        layout.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)

    def set_status(self, title: str, text: str, busy: bool) -> None:
        """Change what the page says, and whether it shows the busy bar."""
        self.title.setText(title)
        self.title.setAccessibleName(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        self.progress.setVisible(busy)


class MainWindow(QMainWindow):
    """Sidebar, areas and status bar; knows nothing of the database.

    Until a vault is open the areas are disabled and a status page covers
    them ("Opening your vault…", or why nothing is open yet); the vault's
    `opened` signal uncovers them and `closed` covers them again. The areas
    themselves are built by `build_areas`, after the window is first on
    screen (or by whatever asks for one first), and must exist before a
    vault is opened in the window.

    Args:
        ops: the vault operations.
        secrets: the keychain (for Settings).
        window_settings: where the window geometry is kept.
        kdf: key-derivation cost for a new passphrase (None: the default).

    Signals:
        lock_requested: the coach asked to lock (Ctrl+L or the menu).
        clients_loaded: the number of rows, after each load of the client list.
        auto_lock_changed: the new idle time in minutes (0: never), once stored.
    """

    lock_requested = Signal()
    clients_loaded = Signal(int)
    auto_lock_changed = Signal(int)

    AREAS = (
        "Clients",
        "Pipeline",
        "Due",
        "At risk",
        "Calendar",
        "Offers & billing",
        "Documents",
        "Assistant",
        "Trash",
        "Compliance",
        "Settings",
    )
    # Trash is reached from the sidebar and the File menu; the number keys go to the rest.
    SHORTCUTS = {
        "Clients": "Ctrl+1",
        "Pipeline": "Ctrl+2",
        "Due": "Ctrl+3",
        "At risk": "Ctrl+4",
        "Calendar": "Ctrl+5",
        "Offers & billing": "Ctrl+6",
        "Documents": "Ctrl+7",
        "Assistant": "Ctrl+8",
        "Compliance": "Ctrl+9",
        "Settings": "Ctrl+,",
    }

    def __init__(
        self,
        ops: VaultOps,
        secrets: SecretStore,
        window_settings: QSettings,
        kdf: KdfParams | None = None,
    ) -> None:
        super().__init__()
        self._ops = ops
        self._secrets = secrets
        self._kdf = kdf
        self._window_settings = window_settings
        self.ai = AiOps(ops, MachineSettings(), self)
        self._undo: Callable[[], None] | None = None
        self._areas: Areas | None = None
        self._palette: SearchPalette | None = None
        self._closing = False
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(QSize(880, 560))

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("areas")
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for name in self.AREAS:
            QListWidgetItem(name, self.sidebar)
        self.stack = QStackedWidget()
        self.sidebar.currentRowChanged.connect(self._on_area_changed)
        self.status_page = StatusPage()
        self.body = QStackedWidget()
        self.body.addWidget(self.stack)
        self.body.addWidget(self.status_page)

        panel = QFrame()
        panel.setObjectName("sidebar")
        panel.setFixedWidth(190)
        panel.setStyleSheet(SIDEBAR_STYLE)
        app_name = QLabel(APP_NAME)
        app_name.setObjectName("appName")
        font = app_name.font()
        font.setPointSizeF(font.pointSizeF() + 3)
        app_name.setFont(font)
        self.lock_button = QPushButton("Lock  (Ctrl+L)")
        self.lock_button.setToolTip("Lock the vault now (Ctrl+L)")
        self.lock_button.clicked.connect(self.lock_requested)
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 12)
        panel_layout.addWidget(app_name)
        panel_layout.addWidget(self.sidebar, 1)
        lock_row = QHBoxLayout()
        lock_row.setContentsMargins(16, 0, 16, 0)
        lock_row.addWidget(self.lock_button)
        panel_layout.addLayout(lock_row)

        central = QWidget()
        central_layout = QHBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(panel)
        central_layout.addWidget(self.body, 1)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()

        ops.lane.busy_changed.connect(self._on_lane_busy)
        ops.opened.connect(self._on_vault_opened)
        ops.closed.connect(self._on_vault_closed)

        self.sidebar.setCurrentRow(0)
        self.show_status(*LOCKED)
        self._restore_geometry()

    # Building ----------------------------------------------------------------

    def build_areas(self) -> Areas:
        """Build the four areas (once) and return them.

        They are most of the window's cost, and not needed for its first
        paint: until a vault is open the status page covers them.
        """
        if self._areas is not None:
            return self._areas
        from coachdesk.ui.views.at_risk import AtRiskView
        from coachdesk.ui.views.audit import AuditView
        from coachdesk.ui.views.billing import BillingView
        from coachdesk.ui.views.calendar import CalendarView
        from coachdesk.ui.views.clients import ClientsView
        from coachdesk.ui.views.compliance import ComplianceView
        from coachdesk.ui.views.drafts import DraftsView
        from coachdesk.ui.views.due import DueView
        from coachdesk.ui.views.pipeline import PipelineView
        from coachdesk.ui.views.settings import SettingsView
        from coachdesk.ui.views.templates import TemplatesView
        from coachdesk.ui.views.trash import TrashView

        ops = self._ops
        areas = Areas(
            ClientsView(ops, self.ai),
            PipelineView(ops),
            DueView(ops),
            AtRiskView(ops),
            CalendarView(ops),
            BillingView(ops),
            TemplatesView(ops),
            DraftsView(ops),
            TrashView(ops),
            ComplianceView(ops),
            AuditView(ops),
            SettingsView(ops, self._secrets, self._kdf, ai=self.ai),
        )
        areas.compliance.tabs.addTab(areas.audit, "Audit trail")
        self._areas = areas
        for view in (
            areas.clients,
            areas.pipeline,
            areas.due,
            areas.at_risk,
            areas.calendar,
            areas.billing,
            areas.documents,
            areas.drafts,
            areas.trash,
            areas.compliance,
            areas.settings,
        ):
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(24, 18, 24, 12)
            page_layout.addWidget(view)
            self.stack.addWidget(page)
        self.stack.setCurrentIndex(max(0, self.sidebar.currentRow()))
        for view in (
            areas.clients,
            areas.pipeline,
            areas.due,
            areas.calendar,
            areas.billing,
            areas.documents,
            areas.drafts,
            areas.trash,
            areas.compliance,
            areas.settings,
        ):
            view.notice.connect(self.show_notice)
        areas.clients.batch_documents_requested.connect(self.make_documents)
        for view in (areas.pipeline, areas.due, areas.at_risk, areas.billing):
            view.open_client_requested.connect(self.open_client)
        areas.calendar.open_client_requested.connect(self._on_session_client)
        areas.drafts.client_requested.connect(self.open_client)
        areas.clients.page.draft_requested.connect(self.review_draft)
        areas.clients.page.sessions.settings_requested.connect(lambda: self.show_area("Settings"))
        areas.clients.loaded.connect(self.clients_loaded)
        areas.settings.auto_lock_changed.connect(self.auto_lock_changed)
        return areas

    @property
    def clients(self) -> ClientsView:
        """The Clients area."""
        return self.build_areas().clients

    @property
    def pipeline(self) -> PipelineView:
        """The Pipeline area."""
        return self.build_areas().pipeline

    @property
    def due(self) -> DueView:
        """The Due area."""
        return self.build_areas().due

    @property
    def at_risk(self) -> AtRiskView:
        """The At risk area."""
        return self.build_areas().at_risk

    @property
    def calendar(self) -> CalendarView:
        """The Calendar area."""
        return self.build_areas().calendar

    @property
    def billing(self) -> BillingView:
        """The Offers & billing area."""
        return self.build_areas().billing

    @property
    def documents(self) -> TemplatesView:
        """The Documents area (templates)."""
        return self.build_areas().documents

    @property
    def trash(self) -> TrashView:
        """The Trash area."""
        return self.build_areas().trash

    @property
    def drafts(self) -> DraftsView:
        """The Assistant area: the review queue and the impact report."""
        return self.build_areas().drafts

    def review_draft(self, draft_id: int) -> None:
        """Show a draft in the review queue."""
        self.show_area("Assistant")
        self.drafts.show_draft(draft_id)

    @property
    def compliance(self) -> ComplianceView:
        """The Compliance area: notices, AI policy, retention, backups, records, audit trail."""
        return self.build_areas().compliance

    @property
    def audit(self) -> AuditView:
        """The audit trail (a tab of the Compliance area)."""
        return self.build_areas().audit

    def show_audit_trail(self) -> None:
        """Go to the Compliance area's audit trail tab."""
        self.show_area("Compliance")
        self.compliance.tabs.setCurrentWidget(self.audit)

    @property
    def settings(self) -> SettingsView:
        """The Settings area."""
        return self.build_areas().settings

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(True)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("undo")
        self.undo_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.undo_button.setStyleSheet(
            "QPushButton#undo { color: palette(link); border: none; padding: 0 8px;"
            " text-decoration: underline; }"
        )
        self.undo_button.setVisible(False)
        self.undo_button.clicked.connect(self._on_undo_clicked)
        bar.addWidget(self.notice)
        bar.addWidget(self.undo_button)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.clear_notice)

        self.busy = muted("Working…", wrap=False)
        self.busy.setVisible(False)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.busy.setVisible(True))
        self.lock_state = QLabel()
        self.lock_state.setObjectName("lockState")
        self.unlock_mode = muted(wrap=False)
        self.unlock_mode.setObjectName("unlockMode")
        self.vault_path = muted(wrap=False)
        self.vault_path.setObjectName("vaultPath")
        for widget in (self.busy, self.lock_state, self.unlock_mode, self.vault_path):
            bar.addPermanentWidget(widget)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.lock_action = self._action("&Lock now", "Ctrl+L", self.lock_requested.emit)
        file_menu.addAction(self.lock_action)
        file_menu.addSeparator()
        quit_action = self._action("&Quit", QKeySequence.StandardKey.Quit, self.close)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu.addAction(quit_action)

        clients_menu = menu.addMenu("&Clients")
        self.new_client_action = self._action("&New client…", "Ctrl+N", self._on_new_client)
        self.find_action = self._action("&Find client", "Ctrl+F", self._on_find)
        self.search_action = self._action("&Search everything…", "Ctrl+K", self.search)
        self.import_action = self._action("&Import clients…", "Ctrl+Shift+I", self._on_import)
        self.export_action = QAction("&Export the clients shown…", self)
        self.export_action.triggered.connect(self._on_export)
        clients_menu.addAction(self.new_client_action)
        clients_menu.addAction(self.find_action)
        clients_menu.addAction(self.search_action)
        clients_menu.addSeparator()
        clients_menu.addAction(self.import_action)
        clients_menu.addAction(self.export_action)
        clients_menu.addSeparator()
        self.trash_menu_action = QAction("Move selected to Trash\tDel", self)
        self.trash_menu_action.triggered.connect(self._on_trash_menu)
        clients_menu.addAction(self.trash_menu_action)

        documents_menu = menu.addMenu("&Documents")
        self.batch_action = QAction("Make documents for &several clients…", self)
        self.batch_action.triggered.connect(self._on_make_documents)
        documents_menu.addAction(self.batch_action)
        templates_action = QAction("Edit &templates", self)
        templates_action.triggered.connect(lambda: self.show_area("Documents"))
        documents_menu.addAction(templates_action)

        go_menu = menu.addMenu("&Go")
        self._vault_actions = [
            self.lock_action,
            self.new_client_action,
            self.find_action,
            self.search_action,
            self.import_action,
            self.export_action,
            self.trash_menu_action,
        ]
        for name in self.AREAS:
            go = lambda _c=False, n=name: self.show_area(n)  # noqa: E731
            go_to = self._action(name, self.SHORTCUTS.get(name, ""), go)
            go_menu.addAction(go_to)
            self._vault_actions.append(go_to)

        help_menu = menu.addMenu("&Help")
        about = QAction(f"&About {APP_NAME}", self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self._on_about)
        help_menu.addAction(about)

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey, slot: Callable[..., object]
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # API ---------------------------------------------------------------------

    @Slot()
    def search(self) -> SearchPalette:
        """Ctrl+K: the search palette over everything in the vault."""
        from coachdesk.ui.dialogs.search_palette import SearchPalette

        if self._palette is None:
            self._palette = SearchPalette(self._ops, self)
            self._palette.open_requested.connect(self._on_search_hit)
        self._palette.popup()
        return self._palette

    @Slot(int)
    def open_client(self, client_id: int) -> None:
        """Show a client's page in the Clients area."""
        self.show_area("Clients")
        self.clients.open_client(client_id)

    @Slot(int)
    def _on_session_client(self, client_id: int) -> None:
        # A session opens its client on the Notes tab, ready to write up or read back.
        self.open_client(client_id)
        self.clients.page.open_on("notes")

    def show_area(self, name: str) -> None:
        """Switch to an area by its sidebar name."""
        self.sidebar.setCurrentRow(self.AREAS.index(name))

    @property
    def current_area(self) -> str:
        """The area shown."""
        return self.AREAS[self.sidebar.currentRow()]

    @property
    def areas_enabled(self) -> bool:
        """Whether the areas are shown and usable (a vault is open in the window)."""
        return self.body.currentWidget() is self.stack and self.sidebar.isEnabled()

    def show_status(self, title: str, text: str = "", busy: bool = False) -> None:
        """Cover the areas with a message and disable them (no vault is open)."""
        self.status_page.set_status(title, text, busy)
        self.body.setCurrentWidget(self.status_page)
        self._enable_areas(False)

    def _enable_areas(self, enabled: bool) -> None:
        self.sidebar.setEnabled(enabled)
        self.lock_button.setEnabled(enabled)
        for action in self._vault_actions:
            action.setEnabled(enabled)

    def prepare_lock(self) -> None:
        """Save what is pending before the vault closes."""
        if self._areas is not None:
            self._areas.settings.flush()

    @Slot(str, object)
    def show_notice(self, message: str, undo: Callable[[], None] | None = None) -> None:
        """A message in the status bar, with an Undo button when `undo` is given."""
        self._undo = undo
        self.notice.setText(message)
        self.undo_button.setVisible(undo is not None)
        self._notice_timer.start(NOTICE_MS)

    @Slot()
    def clear_notice(self) -> None:
        """Remove the status-bar message and its Undo button."""
        self._undo = None
        self.notice.clear()
        self.undo_button.setVisible(False)

    def save_geometry(self) -> None:
        """Keep size and position for next time (QSettings: geometry only)."""
        self._window_settings.setValue("main_window/geometry", self.saveGeometry())
        self._window_settings.sync()

    def _restore_geometry(self) -> None:
        geometry = self._window_settings.value("main_window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 740)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the geometry; the app shuts the lanes down after the window closes.

        An unsaved template is shown, and the coach is asked before it is lost.
        """
        documents = self._areas.documents if self._areas is not None else None
        if documents is not None and documents.has_unsaved_changes and not self._closing:
            event.ignore()
            self.show_area("Documents")

            def close_anyway() -> None:
                self._closing = True
                self.close()

            documents.maybe_leave(close_anyway)
            return
        self.prepare_lock()
        self.save_geometry()
        super().closeEvent(event)

    # Slots -------------------------------------------------------------------

    @Slot(int)
    def _on_area_changed(self, row: int) -> None:
        if row < 0:
            return
        leaving = self.stack.currentIndex()
        documents = self.AREAS.index("Documents")
        if leaving == documents and row != documents and self._areas is not None:
            # Unsaved template edits: ask first, and stay if the coach keeps editing.
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(leaving)
            self.sidebar.blockSignals(False)

            def leave() -> None:
                self.sidebar.blockSignals(True)
                self.sidebar.setCurrentRow(row)
                self.sidebar.blockSignals(False)
                self.stack.setCurrentIndex(row)

            self._areas.documents.maybe_leave(leave)
            return
        self.stack.setCurrentIndex(row)

    def make_documents(self, client_ids: Sequence[int] = ()) -> None:
        """Documents for several clients at once (the selected ones, or a segment)."""
        from coachdesk.ui.dialogs.batch_documents import open_batch_documents

        dialog = open_batch_documents(self._ops, client_ids, self)
        dialog.notice.connect(self.show_notice)

    @Slot()
    def _on_make_documents(self) -> None:
        selected = self.clients.selected_client_ids() if self.current_area == "Clients" else []
        self.make_documents(selected)

    @Slot()
    def _on_new_client(self) -> None:
        self.show_area("Clients")
        self.clients.new_client()

    @Slot(str, int, int)
    def _on_search_hit(self, kind: str, client_id: int, ref_id: int) -> None:
        self.open_client(client_id)
        page = self.clients.page
        if kind == "note":
            page.open_note(ref_id)
        elif kind == "goal":
            page.open_goal(ref_id)
        elif kind == "follow_up":
            page.open_follow_up(ref_id)

    @Slot()
    def _on_import(self) -> None:
        from coachdesk.ui.dialogs.import_clients import choose_and_import

        dialog = choose_and_import(self._ops, self)
        if dialog is not None:
            dialog.notice.connect(self.show_notice)

    @Slot()
    def _on_export(self) -> None:
        self.show_area("Clients")
        self.clients.export_shown()

    @Slot()
    def _on_trash_menu(self) -> None:
        # Only the list the coach is looking at: never trash a selection out of sight.
        if self.current_area == "Clients":
            self.clients.trash_selected()

    @Slot()
    def _on_find(self) -> None:
        self.show_area("Clients")
        self.clients.focus_filter()

    @Slot()
    def _on_undo_clicked(self) -> None:
        undo = self._undo
        self.clear_notice()
        if undo is not None:
            undo()

    @Slot(bool)
    def _on_lane_busy(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.setVisible(False)

    @Slot()
    def _on_vault_opened(self) -> None:
        mode = self._ops.mode
        self.lock_state.setText("Unlocked")
        self.unlock_mode.setText(
            "with the keychain" if mode == UnlockMode.KEYCHAIN else "with the passphrase"
        )
        path = str(self._ops.root or "")
        elided = self.vault_path.fontMetrics().elidedText(path, Qt.TextElideMode.ElideMiddle, 360)
        self.vault_path.setText(f"·  {elided}")
        self.vault_path.setToolTip(path)
        self.body.setCurrentWidget(self.stack)
        self._enable_areas(True)

    @Slot()
    def _on_vault_closed(self) -> None:
        self.clear_notice()
        self.lock_state.setText("Locked")
        self.unlock_mode.clear()
        self.show_status(*LOCKED)

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME} {__version__}</b><br>Your coaching practice, encrypted on this "
            "computer. Nothing is sent anywhere.",
        )
