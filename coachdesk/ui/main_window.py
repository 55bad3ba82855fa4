"""The main window: sidebar of areas, the area shown, and a status bar with the lock state."""

from __future__ import annotations

from collections.abc import Callable

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
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk import APP_NAME, __version__
from coachdesk.store.keychain import SecretStore
from coachdesk.store.keys import KdfParams
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.views.audit import AuditView
from coachdesk.ui.views.clients import ClientsView
from coachdesk.ui.views.settings import SettingsView
from coachdesk.ui.views.trash import TrashView
from coachdesk.ui.widgets import muted

NOTICE_MS = 12_000
BUSY_DELAY_MS = 400

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
"""


class MainWindow(QMainWindow):
    """Sidebar, areas and status bar; knows nothing of the database.

    Args:
        ops: the vault operations.
        secrets: the keychain (for Settings).
        window_settings: where the window geometry is kept.
        kdf: key-derivation cost for a new passphrase (None: the default).

    Signals:
        lock_requested: the coach asked to lock (Ctrl+L or the menu).
    """

    lock_requested = Signal()

    AREAS = ("Clients", "Trash", "Audit trail", "Settings")

    def __init__(
        self,
        ops: VaultOps,
        secrets: SecretStore,
        window_settings: QSettings,
        kdf: KdfParams | None = None,
    ) -> None:
        super().__init__()
        self._ops = ops
        self._window_settings = window_settings
        self._undo: Callable[[], None] | None = None
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(QSize(880, 560))

        self.clients = ClientsView(ops)
        self.trash = TrashView(ops)
        self.audit = AuditView(ops)
        self.settings = SettingsView(ops, secrets, kdf)
        self.views: dict[str, QWidget] = {
            "Clients": self.clients,
            "Trash": self.trash,
            "Audit trail": self.audit,
            "Settings": self.settings,
        }

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("areas")
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.stack = QStackedWidget()
        for name in self.AREAS:
            QListWidgetItem(name, self.sidebar)
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(24, 18, 24, 12)
            page_layout.addWidget(self.views[name])
            self.stack.addWidget(page)
        self.sidebar.currentRowChanged.connect(self._on_area_changed)

        panel = QFrame()
        panel.setObjectName("sidebar")
        panel.setFixedWidth(190)
        panel.setStyleSheet(SIDEBAR_STYLE)
        app_name = QLabel(APP_NAME)
        app_name.setObjectName("appName")
        font = app_name.font()
        font.setPointSizeF(font.pointSizeF() + 3)
        app_name.setFont(font)
        lock_button = QPushButton("Lock  (Ctrl+L)")
        lock_button.setToolTip("Lock the vault now (Ctrl+L)")
        lock_button.clicked.connect(self.lock_requested)
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 12)
        panel_layout.addWidget(app_name)
        panel_layout.addWidget(self.sidebar, 1)
        lock_row = QHBoxLayout()
        lock_row.setContentsMargins(16, 0, 16, 0)
        lock_row.addWidget(lock_button)
        panel_layout.addLayout(lock_row)

        central = QWidget()
        central_layout = QHBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(panel)
        central_layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()

        for view in (self.clients, self.trash, self.settings):
            view.notice.connect(self.show_notice)
        ops.lane.busy_changed.connect(self._on_lane_busy)
        ops.opened.connect(self._on_vault_opened)
        ops.closed.connect(self._on_vault_closed)

        self.sidebar.setCurrentRow(0)
        self._restore_geometry()

    # Building ----------------------------------------------------------------

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
        clients_menu.addAction(self.new_client_action)
        clients_menu.addAction(self.find_action)
        clients_menu.addSeparator()
        self.trash_menu_action = QAction("Move selected to Trash\tDel", self)
        self.trash_menu_action.triggered.connect(self._on_trash_menu)
        clients_menu.addAction(self.trash_menu_action)

        go_menu = menu.addMenu("&Go")
        for i, name in enumerate(self.AREAS, start=1):
            go_to = self._action(name, f"Ctrl+{i}", lambda _c=False, n=name: self.show_area(n))
            go_menu.addAction(go_to)

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

    def show_area(self, name: str) -> None:
        """Switch to an area by its sidebar name."""
        self.sidebar.setCurrentRow(self.AREAS.index(name))

    @property
    def current_area(self) -> str:
        """The area shown."""
        return self.AREAS[self.sidebar.currentRow()]

    def prepare_lock(self) -> None:
        """Save what is pending before the vault closes."""
        self.settings.flush()

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
        """Remember the geometry; the app shuts the lanes down after the window closes."""
        self.prepare_lock()
        self.save_geometry()
        super().closeEvent(event)

    # Slots -------------------------------------------------------------------

    @Slot(int)
    def _on_area_changed(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)

    @Slot()
    def _on_new_client(self) -> None:
        self.show_area("Clients")
        self.clients.new_client()

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
        self.lock_action.setEnabled(True)

    @Slot()
    def _on_vault_closed(self) -> None:
        self.clear_notice()
        self.lock_state.setText("Locked")
        self.unlock_mode.clear()
        self.lock_action.setEnabled(False)

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME} {__version__}</b><br>Your coaching practice, encrypted on this "
            "computer. Nothing is sent anywhere.",
        )
