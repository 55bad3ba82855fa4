"""Application start-up: the main window at once, then first run or unlock, locking, quitting."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from coachdesk import APP_ID, APP_NAME, __version__
from coachdesk.domain.errors import (
    KnownError,
    PassphraseNeededError,
    VaultDamagedError,
    WrongPassphraseError,
)
from coachdesk.paths import config_dir
from coachdesk.settings import LAST_VAULT, MachineSettings
from coachdesk.ui import T_IMPORT
from coachdesk.ui.compat import broken_pyside, delete_soon
from coachdesk.ui.idle import IdleWatcher
from coachdesk.ui.lanes import Failure, Job, Lane
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.reminders import ReminderWatcher

if TYPE_CHECKING:
    from coachdesk.cli.args import GuiOptions
    from coachdesk.domain.clients import ClientRow
    from coachdesk.store.keychain import KeychainStatus, SecretStore
    from coachdesk.store.keys import KdfParams
    from coachdesk.store.vault import Vault
    from coachdesk.ui.dialogs.create_vault import CreateVaultDialog
    from coachdesk.ui.dialogs.profile import ProfileDialog
    from coachdesk.ui.dialogs.unlock import UnlockDialog
    from coachdesk.ui.main_window import MainWindow

T = TypeVar("T")

ACTOR = "coach@app"
BENCH_ENV = "COACHDESK_BENCH_STARTUP"
T0_ENV = "COACHDESK_T0"

log = logging.getLogger(__name__)
HANDOFF_SWEEP_MS = 60_000
HOUSEKEEPING_MS = 60 * 60_000


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


def _prepare(vault: Vault, mode: UnlockMode, job: Job[Any]) -> Opened:
    """Worker side, right after unlocking: start-up facts and the client list, in one trip.

    A job cancelled meanwhile (the app is quitting) closes the vault instead of handing it over.
    """
    from coachdesk.services import app_state, clients

    try:
        facts = app_state.start_facts(vault)
        rows = clients.list_clients(vault)
        MachineSettings().set(LAST_VAULT, str(vault.paths.root))
        job.raise_if_cancelled()
    except BaseException:
        vault.close()
        raise
    return Opened(vault, mode, facts.profile_complete, facts.auto_lock_minutes, rows)


def open_at_start(
    root: Path, passphrase: str | None, secrets: SecretStore, job: Job[Any]
) -> Opened | NoVault:
    """Worker side: no vault → NoVault; else a given passphrase, then the keychain.

    The given passphrase's key is derived on a helper thread (Argon2 releases
    the GIL) while this one imports the database stack. Raises
    PassphraseNeededError when nothing opens the vault (the Unlock dialog then
    asks), or the passphrase's own error when one was given and the keychain
    cannot help either.
    """
    from concurrent.futures import ThreadPoolExecutor

    from coachdesk.services import unlocking

    early_key: bytes | None = None
    early_error: KnownError | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2") as helper:
        # The helper only computes: what it needs is imported above, so it never
        # imports a module at the same time as this thread.
        key = None if passphrase is None else helper.submit(unlocking.derive_key, root, passphrase)
        from coachdesk.services import vaults
        from coachdesk.store.vault import VaultPaths

        if key is not None:
            try:
                early_key = key.result()
            except (KnownError, OSError) as exc:  # missing, damaged or wrong: sorted out below
                early_error = exc if isinstance(exc, KnownError) else None
    if not VaultPaths(root).exists():
        return NoVault(root, secrets.status())
    if early_key is not None:
        vault = unlocking.open_with_key(root, early_key, ACTOR)
        return _prepare(vault, UnlockMode.PASSPHRASE, job)
    try:
        vault = vaults.unlock(root, None, ACTOR, secrets)
    except PassphraseNeededError:
        if early_error is not None:
            raise early_error from None
        if passphrase is None:
            raise
        return unlock_with(root, passphrase, job)
    return _prepare(vault, UnlockMode.KEYCHAIN, job)


def unlock_with(root: Path, passphrase: str, job: Job[Any]) -> Opened:
    """Worker side: open the vault with a typed passphrase."""
    from coachdesk.services import vaults

    return _prepare(vaults.unlock(root, passphrase, ACTOR, None), UnlockMode.PASSPHRASE, job)


def housekeeping(vault: Vault) -> str:
    """Db lane: the daily retention run and the scheduled backup, when due; what was done."""
    from coachdesk.services import backups, compliance

    done = []
    result = compliance.run_retention_if_due(vault)
    if result is not None and result.total:
        done.append(f"Removed {result.total} expired item(s) under your retention rules.")
    info = backups.run_scheduled_backup(vault)
    if info is not None:
        done.append(f"Backed up to “{info.path.name}”.")
    return " ".join(done)


def sweep_handoff(expired_only: bool = False) -> int:
    """Lane job: delete e-mail drafts handed to the mail client (see services/handoff).

    `expired_only` keeps the drafts the mail client may not have read yet.
    """
    from coachdesk.services import handoff

    return handoff.sweep(handoff.KEEP_FOR if expired_only else None)


def create_at(
    root: Path,
    passphrase: str,
    remember: bool,
    secrets: SecretStore,
    kdf: KdfParams | None,
    job: Job[Any],
) -> Opened:
    """Worker side: create a vault (remembering its key if asked) and open it."""
    from coachdesk.services import vaults

    vault = vaults.create_vault(root, passphrase, ACTOR, secrets, remember=remember, kdf=kdf)
    return _prepare(vault, UnlockMode.PASSPHRASE, job)


# What the main window says while no vault is open in it: (title, text, busy).
OPENING = (
    "Opening your vault…",
    "Unlocking and reading your clients. This takes a moment.",
    True,
)
WAITING = ("Your vault is locked", "Enter your passphrase to open it.", False)
FIRST_RUN = (f"Welcome to {APP_NAME}", "Create your vault to get started.", False)


def window_settings() -> QSettings:
    """Window geometry only, in the config folder (COACHDESK_HOME-aware)."""
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


class AppController(QObject):
    """Runs the app's states: opening, first run, unlock, main window, locked, quitting.

    The main window appears at once, in its opening state; the dialogs that
    collect a passphrase or the practice profile come up over it when needed.
    Every step that touches the vault runs on the db lane; the dialogs only
    collect input and show the outcome.

    Args:
        app: the QApplication (its input drives auto-lock).
        options: vault folder, passphrase and keychain from the command line.
        kdf: key-derivation cost for new passphrases (tests pass a cheap one).
        settings: where window geometry is kept (default: the config folder).

    Signals:
        quit_requested: the exit code, when the app should end.
        window_shown: the main window appeared at start-up, in its opening state.
        window_ready: the vault is open in the main window and its areas can be used
            (after start-up, the first-run profile, or an unlock after a lock).
    """

    quit_requested = Signal(int)
    window_shown = Signal()
    window_ready = Signal()

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
        self._opening: Job[Any] | None = None
        self._shut_down = False
        self._ready = False
        self._clients_loaded = False
        self._bench_reported = False
        # Drafts handed to the mail client are deleted once it has had time to read them.
        self.handoff_timer = QTimer(self)
        self.handoff_timer.setInterval(HANDOFF_SWEEP_MS)
        self.handoff_timer.timeout.connect(self._on_handoff_sweep)
        self.reminders = ReminderWatcher(self.ops, self)
        self.reminders.reminded.connect(self._on_reminded)
        # Retention and scheduled backups: at unlock, then hourly while the vault is open.
        self.housekeeping_timer = QTimer(self)
        self.housekeeping_timer.setInterval(HOUSEKEEPING_MS)
        self.housekeeping_timer.timeout.connect(self._on_housekeeping)

    @property
    def root(self) -> Path:
        """The vault folder this run works on."""
        return self.options.vault_dir

    # Start -------------------------------------------------------------------

    def start(self) -> None:
        """Show the main window, opening; once it is painted, open the vault on the db lane."""
        window = self._ensure_main_window()
        window.show_status(*OPENING)
        self.lane.run(lambda _job: sweep_handoff(), context="deleting old e-mail drafts")
        self.handoff_timer.start()
        window.show()
        window.raise_()
        window.activateWindow()
        self.window_shown.emit()
        # Runs once the window has been laid out and painted.
        QTimer.singleShot(0, self._on_window_painted)

    def _run_opening(
        self,
        fn: Callable[[Job[T]], T],
        on_done: Callable[[T], None],
        on_error: Callable[[Failure], None],
        context: str,
    ) -> None:
        # Quitting meanwhile cancels the job that opens a vault, so the vault it
        # opened is closed on the lane rather than left open.
        job = self.lane.run(fn, on_done=on_done, on_error=on_error, context=context)
        job.finished.connect(lambda: self._forget_opening(job))
        self._opening = job

    def _forget_opening(self, job: Job[Any]) -> None:
        if self._opening is job:
            self._opening = None

    def _ensure_main_window(self) -> MainWindow:
        from coachdesk.ui.main_window import MainWindow

        if self.main_window is None:
            window = MainWindow(self.ops, self.options.secrets, self._settings, self._kdf)
            window.lock_requested.connect(self.lock)
            window.auto_lock_changed.connect(self.idle.set_minutes)
            window.clients_loaded.connect(self._on_clients_loaded)
            self.main_window = window
        return self.main_window

    @Slot()
    def _on_window_painted(self) -> None:
        if self._shut_down:
            return
        if os.environ.get(BENCH_ENV) == "1":
            print(f"window_ms={_ms_since_start():.0f}", flush=True)
        # Only now: the lane's imports would have competed with the first paint for the GIL.
        root, passphrase, secrets = self.root, self.options.passphrase, self.options.secrets
        self._run_opening(
            lambda job: open_at_start(root, passphrase, secrets, job),
            on_done=self._on_start_result,
            on_error=self._on_start_failed,
            context="opening the vault",
        )
        # Behind the status page, while the lane opens the vault.
        if self.main_window is not None:
            self.main_window.build_areas()

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

    def _dialog_parent(self) -> MainWindow | None:
        """The main window when it is on screen: dialogs then sit over it, window-modal."""
        window = self.main_window
        return window if window is not None and window.isVisible() else None

    def _show_dialog(self, dialog: QDialog) -> None:
        if dialog.parent() is not None:
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    # First run ---------------------------------------------------------------

    def _show_create_dialog(self, keychain: KeychainStatus) -> None:
        from coachdesk.ui.dialogs.create_vault import CreateVaultDialog

        parent = self._dialog_parent()
        if parent is not None:
            parent.show_status(*FIRST_RUN)
        dialog = CreateVaultDialog(self.root, keychain, parent)
        dialog.submitted.connect(self._on_create_submitted)
        dialog.restore_requested.connect(self._on_restore_requested)
        dialog.rejected.connect(self._on_dialog_quit)
        self.create_dialog = dialog
        self._show_dialog(dialog)

    @Slot(str, bool)
    def _on_create_submitted(self, passphrase: str, remember: bool) -> None:
        assert self.create_dialog is not None
        self.create_dialog.set_busy(True)
        root, secrets, kdf = self.root, self.options.secrets, self._kdf
        self._run_opening(
            lambda job: create_at(root, passphrase, remember, secrets, kdf, job),
            on_done=self._on_created,
            on_error=self._on_create_failed,
            context="creating the vault",
        )

    @Slot()
    def _on_restore_requested(self) -> None:
        """From the first-run screen, or the Unlock dialog of a damaged vault."""
        from coachdesk.ui.dialogs.restore_backup import open_restore

        dialog = open_restore(self.create_dialog or self.unlock_dialog, target=self.root)
        dialog.restored.connect(self._on_restored)

    @Slot(Path)
    def _on_restored(self, _folder: Path) -> None:
        # The vault is now where the app looks: unlock it with the backup's passphrase.
        dialog, self.create_dialog = self.create_dialog, None
        if dialog is not None:
            self._dismiss(dialog)
        self._show_unlock_dialog(locked=False).show_restored()

    @Slot(object)
    def _on_created(self, opened: Opened) -> None:
        dialog, self.create_dialog = self.create_dialog, None
        self._dismiss(dialog)
        self._on_opened(opened)

    def _dismiss(self, dialog: QDialog | None) -> None:
        """Close the dialog that asked, without its Quit meaning quitting the app."""
        if dialog is not None:
            dialog.rejected.disconnect(self._on_dialog_quit)
            dialog.accept()
            delete_soon(dialog, self)

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

        # After a lock it stands on its own (the window is hidden), so the locked app
        # keeps its own entry in the taskbar.
        parent = None if locked else self._dialog_parent()
        if parent is not None:
            parent.show_status(*WAITING)
        dialog = UnlockDialog(self.root, locked, parent)
        dialog.submitted.connect(self._on_unlock_submitted)
        dialog.restore_requested.connect(self._on_restore_requested)
        dialog.rejected.connect(self._on_dialog_quit)
        self.unlock_dialog = dialog
        self._show_dialog(dialog)
        return dialog

    @Slot(str)
    def _on_unlock_submitted(self, passphrase: str) -> None:
        assert self.unlock_dialog is not None
        self.unlock_dialog.set_busy(True)
        root = self.root
        self._run_opening(
            lambda job: unlock_with(root, passphrase, job),
            on_done=self._on_unlocked,
            on_error=self._on_unlock_failed,
            context="unlocking the vault",
        )

    @Slot(object)
    def _on_unlocked(self, opened: Opened) -> None:
        dialog, self.unlock_dialog = self.unlock_dialog, None
        self._dismiss(dialog)
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

            dialog = ProfileDialog(self.ops, self._dialog_parent())
            dialog.finished.connect(self._on_profile_finished)
            self.profile_dialog = dialog
            self._show_dialog(dialog)
            return
        self._show_ready(window)

    @Slot(int)
    def _on_profile_finished(self, _result: int) -> None:
        dialog, self.profile_dialog = self.profile_dialog, None
        if dialog is not None:
            delete_soon(dialog, self)
        if self.ops.is_open and self.main_window is not None:
            self._show_ready(self.main_window)

    def _show_ready(self, window: MainWindow) -> None:
        window.show()
        window.raise_()
        window.activateWindow()
        self._ready = True
        self.window_ready.emit()
        self._check_bench()
        self._on_housekeeping()
        self.housekeeping_timer.start()

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
        self.housekeeping_timer.stop()
        self.ops.close()
        # Anything still open (a message, the profile dialog) goes too: nothing stays on screen.
        for widget in self._app.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.done(QDialog.DialogCode.Rejected)
        self._ready = False
        self.lane.run(lambda _job: sweep_handoff(), context="deleting e-mail drafts")
        self._show_unlock_dialog(locked=True)
        if window is not None:
            window.save_geometry()
            window.hide()

    @Slot(str)
    def _on_reminded(self, text: str) -> None:
        if self.main_window is not None:
            self.main_window.show_notice(text)

    @Slot()
    def _on_housekeeping(self) -> None:
        self.ops.run(
            housekeeping,
            on_done=self._on_housekept,
            on_error=self._on_housekeeping_failed,
            changes="compliance",
            owner=self,
            context="retention and scheduled backup",
        )

    def _on_housekept(self, message: str) -> None:
        if message and self.main_window is not None:
            self.main_window.show_notice(message)

    def _on_housekeeping_failed(self, failure: Failure) -> None:
        log.warning("housekeeping: %s", failure.message)
        if self.main_window is not None:
            self.main_window.show_notice(f"The scheduled backup did not run: {failure.message}")

    @Slot()
    def _on_handoff_sweep(self) -> None:
        self.lane.run(
            lambda _job: sweep_handoff(True),
            on_error=lambda failure: log.warning("sweeping e-mail drafts: %s", failure.message),
            context="deleting old e-mail drafts",
        )

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
        if self._opening is not None:
            self._opening.cancel()
        self.idle.dispose()
        self.handoff_timer.stop()
        if self.main_window is not None:
            self.main_window.ai.shutdown()
        self.ops.close()
        self.lane.shutdown(wait=True)
        try:
            sweep_handoff()
        except OSError:
            log.warning("could not delete every e-mail draft handed to the mail client")

    # Failures and the benchmark hook ---------------------------------------------

    def _show_failure(self, parent: QWidget | None, failure: Failure) -> None:
        from coachdesk.ui.errors import show_failure

        self.last_failure_box = show_failure(parent, failure)

    @Slot(object)
    def _on_unhandled_failure(self, failure: Failure) -> None:
        self._show_failure(self._dialog_parent(), failure)

    @Slot(int)
    def _on_clients_loaded(self, _count: int) -> None:
        self._clients_loaded = True
        self._check_bench()

    def _check_bench(self) -> None:
        if os.environ.get(BENCH_ENV) != "1" or self._bench_reported:
            return
        if not self._ready or not self._clients_loaded:
            return
        self._bench_reported = True

        def report() -> None:
            print(f"startup_ms={_ms_since_start():.0f}", flush=True)
            self.quit_requested.emit(0)

        # Let the loaded rows paint before the clock stops.
        QTimer.singleShot(0, report)


def _ms_since_start() -> float:
    """Milliseconds since the benchmark launched the process (or since `coachdesk.ui` loaded)."""
    start = float(os.environ.get(T0_ENV) or T_IMPORT)
    return (time.time() - start) * 1000


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """Bugs in GUI-thread code: logged with their traceback and shown, never silently lost."""
    if not issubclass(kind, Exception):
        sys.__excepthook__(kind, error, tb)
        return
    from coachdesk.logs import setup_logging
    from coachdesk.ui.errors import show_failure

    path = setup_logging()
    log.error("Unexpected failure in the GUI thread", exc_info=(kind, error, tb))
    if QApplication.instance() is not None:
        show_failure(None, Failure(error, False, "the last action", path))


def _start_logging() -> None:
    from coachdesk.logs import setup_logging  # logging.handlers costs the window ~10 ms

    setup_logging()


def run_gui(options: GuiOptions) -> int:
    """Open the app; returns the exit code."""
    problem = broken_pyside()
    if problem is not None:
        _start_logging()
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
    # After the first paint; failures before it set logging up themselves.
    QTimer.singleShot(0, _start_logging)
    code = app.exec()
    controller.shutdown()
    return code
