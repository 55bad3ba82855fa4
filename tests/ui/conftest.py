"""UI fixtures: offscreen Qt, a cheap KDF, an in-memory keychain, and an app ready to drive."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from coachdesk.cli.args import GuiOptions
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import practice, vaults
from coachdesk.store.keychain import MemoryStore, SecretStore
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.ui.app import AppController
from coachdesk.ui.compat import broken_pyside
from coachdesk.ui.lanes import Failure, Lane
from coachdesk.ui.main_window import MainWindow
from coachdesk.ui.ops import UnlockMode, VaultOps
from tests.conftest import PASSPHRASE

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

WAIT_MS = 10_000
T = TypeVar("T")

MakeController = Callable[..., AppController]


@pytest.fixture(scope="session", autouse=True)
def sound_pyside() -> None:
    """Stop at once, with the reason, on a PySide6 build that would crash mid-run."""
    problem = broken_pyside()
    if problem is not None:
        pytest.exit(problem, returncode=3)


@pytest.fixture
def no_keychain() -> MemoryStore:
    """A computer without a secure keychain (like this headless one)."""
    return MemoryStore(available=False)


@pytest.fixture
def make_controller(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, vault_dir: Path
) -> Iterator[MakeController]:
    """Build AppControllers on `vault_dir`; every one is shut down and its windows closed."""
    made: list[AppController] = []

    def make(
        secrets: SecretStore | None = None, passphrase: str | None = None, root: Path | None = None
    ) -> AppController:
        options = GuiOptions(
            root or vault_dir, passphrase, secrets or MemoryStore(available=False), True
        )
        settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
        controller = AppController(qapp, options, kdf=FAST_KDF_FOR_TESTS, settings=settings)
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.shutdown()
    for widget in qapp.topLevelWidgets():
        widget.close()
    # Windows only: the dialogs over them go with them.
    for widget in qapp.topLevelWidgets():
        if widget.parentWidget() is None:
            widget.deleteLater()
    qtbot.wait(1)


@pytest.fixture
def existing_vault(vault_dir: Path) -> Path:
    """A closed vault on disk with a complete practice profile."""
    vault = vaults.create_vault(vault_dir, PASSPHRASE, "coach@test", kdf=FAST_KDF_FOR_TESTS)
    try:
        practice.save_profile(
            vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
        )
    finally:
        vault.close()
    return vault_dir


def activate(qtbot: QtBot, widget: QWidget) -> None:
    """Make `widget`'s window the active one (offscreen has no window manager to do it)."""
    window = widget.window()
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)


def open_app(qtbot: QtBot, controller: AppController) -> MainWindow:
    """Start the app and wait for the main window with its client list loaded."""
    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        controller.start()
    window = controller.main_window
    assert window is not None
    qtbot.waitUntil(lambda: window.clients.is_loaded, timeout=WAIT_MS)
    return window


@pytest.fixture
def app(make_controller: MakeController, existing_vault: Path, qtbot: QtBot) -> AppController:
    """The app unlocked on `existing_vault` with the passphrase, main window shown."""
    controller = make_controller(passphrase=PASSPHRASE)
    open_app(qtbot, controller)
    return controller


@pytest.fixture
def window(app: AppController) -> MainWindow:
    """The main window of `app`."""
    assert app.main_window is not None
    return app.main_window


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    """Vault operations over a real vault (with a practice profile) on its own db lane."""
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
    )
    lane = Lane("db")
    made = VaultOps(lane)
    made.open(vault, UnlockMode.PASSPHRASE)
    yield made
    lane.shutdown(wait=True)


def on_lane(qtbot: QtBot, ops: VaultOps, fn: Callable[[Vault], T]) -> T:
    """Run a service call on the db lane, like the app does, and wait for its result."""
    results: list[Any] = []
    failures: list[Failure] = []
    ops.run(fn, on_done=results.append, on_error=failures.append)
    qtbot.waitUntil(lambda: bool(results or failures), timeout=WAIT_MS)
    if failures:
        raise failures[0].error
    result: T = results[0]
    return result
