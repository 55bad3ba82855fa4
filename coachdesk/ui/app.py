"""Application start-up: first run, unlock, the main window, locking and quitting."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from coachdesk import APP_ID, APP_NAME, __version__
from coachdesk.domain.errors import (
    KnownError,
    PassphraseNeededError,
    VaultDamagedError,
    WrongPassphraseError,
)
from coachdesk.logs import setup_logging
from coachdesk.paths import config_dir
from coachdesk.services import unlocking
from coachdesk.settings import LAST_VAULT, MachineSettings
from coachdesk.store.keychain import KeychainStatus, SecretStore
from coachdesk.store.keys import KdfParams
from coachdesk.ui import T_IMPORT
from coachdesk.ui.compat import broken_pyside
from coachdesk.ui.errors import show_failure
from coachdesk.ui.idle import IdleWatcher
from coachdesk.ui.lanes import Failure, Lane
from coachdesk.ui.ops import UnlockMode, VaultOps

if TYPE_CHECKING:
    from coachdesk.cli.args import GuiOptions
    from coachdesk.domain.clients import ClientRow
    from coachdesk.store.vault import Vault
    from coachdesk.ui.dialogs.create_vault import CreateVaultDialog
    from coachdesk.ui.dialogs.profile import ProfileDialog
    from coachdesk.ui.dialogs.unlock import UnlockDialog
    from coachdesk.ui.main_window import MainWindow

ACTOR = "coach@app"
BENCH_ENV = "COACHDESK_BENCH_STARTUP"
T0_ENV = "COACHDESK_T0"
READY_TIMEOUT_S = 60

log = logging.getLogger(__name__)


def import_the_rest() -> None:
    """Import the database stack and every window, on the GUI thread.

    Kept out of this module's imports so that the key derivation (Argon2,
    which releases the GIL) runs on the db lane while these load; the lane
    waits for them before it touches the database, so no module is ever
    imported by two threads at once.
    """
    import coachdesk.services.app_state
    import coachdesk.services.clients
    import coachdesk.services.vaults
    import coachdesk.store.vault
    import coachdesk.ui.dialogs.create_vault
    import coachdesk.ui.dialogs.profile
    import coachdesk.ui.dialogs.unlock
    import coachdesk.ui.main_window  # noqa: F401
    from coachdesk.domain.clients import known_time_zones

    known_time_zones()  # zoneinfo imports modules of its own the first time


@dataclass(frozen=True, slots=True)
class Opened:
    """A vault unlocked on the db lane, with what the GUI needs to know about it."""

    vault: Vault
    mode: UnlockMode
    profile_complete: bool
    auto_lock_minutes: int
    clients: list[ClientRow]


@dataclass(frozen=True, slots=True)
class NoVault:
    """There is no vault at the folder yet: first run (and what the keychain offers)."""

    root: Path
    keychain: KeychainStatus


def _prepare(vault: Vault, mode: UnlockMode) -> Opened:
    """Worker side, right after unlocking: start-up facts and the client list, in one trip."""
    from coachdesk.domain.clients import known_time_zones
    from coachdesk.services import app_state, clients

    try:
        known_time_zones()  # scans tzdata once; the editors' zone lists then cost nothing
        facts = app_state.start_facts(vault)
        rows = clients.list_clients(vault)
        MachineSettings().set(LAST_VAULT, str(vault.paths.root))
    except BaseException:
        vault.close()
        raise
    return Opened(vault, mode, facts.profile_complete, facts.auto_lock_minutes, rows)


def open_at_start(
    root: Path, passphrase: str | None, secrets: SecretStore, ready: threading.Event
) -> Opened | NoVault:
    """Worker side: no vault → NoVault; else a given passphrase, then the keychain.

    The passphrase is tried first because deriving its key needs no database
    code and can overlap the GUI's start-up. Raises PassphraseNeededError when
    nothing opens the vault (the Unlock dialog then asks), or the passphrase's
    own error when one was given and the keychain cannot help either.
    """
    early_key: bytes | None = None
    early_error: KnownError | None = None
    if passphrase is not None:
        try:
            early_key = unlocking.derive_key(root, passphrase)
        except (KnownError, OSError) as exc:  # missing, damaged or wrong: sorted out below
            early_error = exc if isinstance(exc, KnownError) else None
    if not ready.wait(READY_TIMEOUT_S):
        raise RuntimeError("the window did not finish loading")
    from coachdesk.services import vaults
    from coachdesk.store.vault import VaultPaths

    if not VaultPaths(root).exists():
        return NoVault(root, secrets.status())
    if early_key is not None:
        return _prepare(unlocking.open_with_key(root, early_key, ACTOR), UnlockMode.PASSPHRASE)
    try:
        vault = vaults.unlock(root, None, ACTOR, secrets)
    except PassphraseNeededError:
        if early_error is not None:
            raise early_error from None
        if passphrase is None:
            raise
        return unlock_with(root, passphrase)
    return _prepare(vault, UnlockMode.KEYCHAIN)


def unlock_with(root: Path, passphrase: str) -> Opened:
    """Worker side: open the vault with a typed passphrase."""
    from coachdesk.services import vaults

    return _prepare(vaults.unlock(root, passphrase, ACTOR, None), UnlockMode.PASSPHRASE)


def create_at(
    root: Path, passphrase: str, remember: bool, secrets: SecretStore, kdf: KdfParams | None
) -> Opened:
    """Worker side: create a vault (remembering its key if asked) and open it."""
    from coachdesk.services import vaults

    vault = vaults.create_vault(root, passphrase, ACTOR, secrets, remember=remember, kdf=kdf)
    return _prepare(vault, UnlockMode.PASSPHRASE)


def window_settings() -> QSettings:
    """Window geometry only, in the config folder (COACHDESK_HOME-aware)."""
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


class AppController(QObject):
    """Runs the app's states: first run, unlock, main window, locked, quitting.

    Every step that touches the vault runs on the db lane; the dialogs only
    collect input and show the outcome.

    Args:
        app: the QApplication (its input drives auto-lock).
        options: vault folder, passphrase and keychain from the command line.
        kdf: key-derivation cost for new passphrases (tests pass a cheap one).
        settings: where window geometry is kept (default: the config folder).

    Signals:
        quit_requested: the exit code, when the app should end.
        main_window_shown: the main window appeared after an unlock.
    """

    quit_requested = Signal(int)
    main_window_shown = Signal()

    def __init__(
        self,
        app: QApplication,
        options: GuiOptions,
        kdf: KdfParams | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self._app = app
        self.options = options
        self._kdf = kdf
        self.lane = Lane("db", self)
        self.ops = VaultOps(self.lane, self)
        self.idle = IdleWatcher(app, self)
        self.idle.idle.connect(self._on_idle)
        self.lane.unhandled_failure.connect(self._on_unhandled_failure)
        self._settings = settings or window_settings()
        self.main_window: MainWindow | None = None
        self.create_dialog: CreateVaultDialog | None = None
        self.unlock_dialog: UnlockDialog | None = None
        self.profile_dialog: ProfileDialog | None = None
        self.last_failure_box: QWidget | None = None
        self._shut_down = False
        self._clients_loaded = False
        self._bench_reported = False

    @property
    def root(self) -> Path:
        """The vault folder this run works on."""
        return self.options.vault_dir

    # Start -------------------------------------------------------------------

    def start(self) -> None:
        """Look for the vault and try to open it without asking; build the window meanwhile."""
        root, passphrase, secrets = self.root, self.options.passphrase, self.options.secrets
        ready = threading.Event()
        self.lane.run(
            lambda _job: open_at_start(root, passphrase, secrets, ready),
            on_done=self._on_start_result,
            on_error=self._on_start_failed,
            context="opening the vault",
        )
        try:
            import_the_rest()
        finally:
            ready.set()
        # The lane opens the vault and reads the client list while the window is built.
        self._ensure_main_window()

    def _ensure_main_window(self) -> MainWindow:
        from coachdesk.ui.main_window import MainWindow

        if self.main_window is None:
            window = MainWindow(self.ops, self.options.secrets, self._settings, self._kdf)
            window.lock_requested.connect(self.lock)
            window.settings.auto_lock_changed.connect(self.idle.set_minutes)
            window.clients.loaded.connect(self._on_clients_loaded)
            self.main_window = window
        return self.main_window

    @Slot(object)
    def _on_start_result(self, result: Opened | NoVault) -> None:
        if isinstance(result, NoVault):
            self._show_create_dialog(result.keychain)
        else:
            self._on_opened(result)

    @Slot(object)
    def _on_start_failed(self, failure: Failure) -> None:
        dialog = self._show_unlock_dialog(locked=False)
        if isinstance(failure.error, PassphraseNeededError):
            return
        self._report_unlock_failure(dialog, failure)

    # First run ---------------------------------------------------------------

    def _show_create_dialog(self, keychain: KeychainStatus) -> None:
        from coachdesk.ui.dialogs.create_vault import CreateVaultDialog

        dialog = CreateVaultDialog(self.root, keychain)
        dialog.submitted.connect(self._on_create_submitted)
        dialog.rejected.connect(self._on_dialog_quit)
        self.create_dialog = dialog
        dialog.show()

    @Slot(str, bool)
    def _on_create_submitted(self, passphrase: str, remember: bool) -> None:
        assert self.create_dialog is not None
        self.create_dialog.set_busy(True)
        root, secrets, kdf = self.root, self.options.secrets, self._kdf
        self.lane.run(
            lambda _job: create_at(root, passphrase, remember, secrets, kdf),
            on_done=self._on_created,
            on_error=self._on_create_failed,
            context="creating the vault",
        )

    @Slot(object)
    def _on_created(self, opened: Opened) -> None:
        dialog, self.create_dialog = self.create_dialog, None
        if dialog is not None:
            dialog.rejected.disconnect(self._on_dialog_quit)
            dialog.accept()
            dialog.deleteLater()
        self._on_opened(opened)

    @Slot(object)
    def _on_create_failed(self, failure: Failure) -> None:
        dialog = self.create_dialog
        if dialog is None:
            return
        if failure.known:
            dialog.show_error(failure.message)
        else:
            dialog.show_error("The vault could not be created.")
            self._show_failure(dialog, failure)

    # Unlock ------------------------------------------------------------------

    def _show_unlock_dialog(self, locked: bool) -> UnlockDialog:
        if self.unlock_dialog is not None:
            return self.unlock_dialog
        from coachdesk.ui.dialogs.unlock import UnlockDialog

        dialog = UnlockDialog(self.root, locked)
        dialog.submitted.connect(self._on_unlock_submitted)
        dialog.rejected.connect(self._on_dialog_quit)
        self.unlock_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    @Slot(str)
    def _on_unlock_submitted(self, passphrase: str) -> None:
        assert self.unlock_dialog is not None
        self.unlock_dialog.set_busy(True)
        root = self.root
        self.lane.run(
            lambda _job: unlock_with(root, passphrase),
            on_done=self._on_unlocked,
            on_error=self._on_unlock_failed,
            context="unlocking the vault",
        )

    @Slot(object)
    def _on_unlocked(self, opened: Opened) -> None:
        dialog, self.unlock_dialog = self.unlock_dialog, None
        if dialog is not None:
            dialog.rejected.disconnect(self._on_dialog_quit)
            dialog.accept()
            dialog.deleteLater()
        self._on_opened(opened)

    @Slot(object)
    def _on_unlock_failed(self, failure: Failure) -> None:
        if self.unlock_dialog is not None:
            self._report_unlock_failure(self.unlock_dialog, failure)

    def _report_unlock_failure(self, dialog: UnlockDialog, failure: Failure) -> None:
        if isinstance(failure.error, WrongPassphraseError):
            dialog.show_wrong_passphrase(failure.message)
        elif isinstance(failure.error, VaultDamagedError):
            dialog.show_damaged(failure.message)
        elif failure.known:
            dialog.show_error(failure.message)
        else:
            dialog.show_error("The vault could not be opened because of an unexpected error.")
            self._show_failure(dialog, failure)

    # Open, lock, quit ----------------------------------------------------------

    def _on_opened(self, opened: Opened) -> None:
        window = self._ensure_main_window()
        window.clients.preload(opened.clients)
        self.ops.open(opened.vault, opened.mode)
        self.idle.set_minutes(opened.auto_lock_minutes)
        if not opened.profile_complete:
            from coachdesk.ui.dialogs.profile import ProfileDialog

            dialog = ProfileDialog(self.ops)
            dialog.finished.connect(self._on_profile_finished)
            self.profile_dialog = dialog
            dialog.show()
            return
        self._show_main_window(window)

    @Slot(int)
    def _on_profile_finished(self, _result: int) -> None:
        dialog, self.profile_dialog = self.profile_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        if self.ops.is_open and self.main_window is not None:
            self._show_main_window(self.main_window)

    def _show_main_window(self, window: MainWindow) -> None:
        window.show()
        window.raise_()
        window.activateWindow()
        self.main_window_shown.emit()
        self._check_bench()

    @Slot()
    def lock(self) -> None:
        """Close the vault, wipe client data from every screen, and ask for the passphrase."""
        if not self.ops.is_open:
            return
        window = self.main_window
        if window is not None:
            window.prepare_lock()
        self._clients_loaded = False
        self.idle.stop()
        self.ops.close()
        # Anything still open (a message, the profile dialog) goes too: nothing stays on screen.
        for widget in self._app.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.done(QDialog.DialogCode.Rejected)
        self._show_unlock_dialog(locked=True)
        if window is not None:
            window.save_geometry()
            window.hide()

    @Slot()
    def _on_idle(self) -> None:
        log.info("auto-lock after %d ms without input", self.idle.timeout_ms)
        self.lock()

    @Slot()
    def _on_dialog_quit(self) -> None:
        self.quit_requested.emit(0)

    def shutdown(self) -> None:
        """Close the vault and stop the lane (waits for the job in progress)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.idle.dispose()
        self.ops.close()
        self.lane.shutdown(wait=True)

    # Failures and the benchmark hook ---------------------------------------------

    def _show_failure(self, parent: QWidget | None, failure: Failure) -> None:
        self.last_failure_box = show_failure(parent, failure)

    @Slot(object)
    def _on_unhandled_failure(self, failure: Failure) -> None:
        parent = self.main_window if self.main_window and self.main_window.isVisible() else None
        self._show_failure(parent, failure)

    @Slot(int)
    def _on_clients_loaded(self, _count: int) -> None:
        self._clients_loaded = True
        self._check_bench()

    def _check_bench(self) -> None:
        if os.environ.get(BENCH_ENV) != "1" or self._bench_reported:
            return
        if self.main_window is None or not self.main_window.isVisible() or not self._clients_loaded:
            return
        self._bench_reported = True
        start = float(os.environ.get(T0_ENV) or T_IMPORT)

        def report() -> None:
            print(f"startup_ms={(time.time() - start) * 1000:.0f}", flush=True)
            self.quit_requested.emit(0)

        # Let the loaded rows paint before the clock stops.
        QTimer.singleShot(0, report)


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """Bugs in GUI-thread code: logged with their traceback and shown, never silently lost."""
    if not issubclass(kind, Exception):
        sys.__excepthook__(kind, error, tb)
        return
    path = setup_logging()
    log.error("Unexpected failure in the GUI thread", exc_info=(kind, error, tb))
    if QApplication.instance() is not None:
        show_failure(None, Failure(error, False, "the last action", path))


def run_gui(options: GuiOptions) -> int:
    """Open the app; returns the exit code."""
    setup_logging()
    problem = broken_pyside()
    if problem is not None:
        log.error("%s", problem)
        print(f"coachdesk: {problem}", file=sys.stderr)
        return 1
    QApplication.setApplicationName(APP_NAME)
    QApplication.setApplicationVersion(__version__)
    QApplication.setDesktopFileName(APP_ID)
    app = QApplication(sys.argv[:1])
    sys.excepthook = _excepthook
    controller = AppController(app, options)
    controller.quit_requested.connect(app.exit)
    app.aboutToQuit.connect(controller.shutdown)
    controller.start()
    code = app.exec()
    controller.shutdown()
    return code
