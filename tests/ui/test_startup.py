"""Start-up: the window first, in an honest opening state; the vault and its dialogs after."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from coachdesk.services import app_state
from coachdesk.store.vault import Vault
from coachdesk.ui.app import AppController
from coachdesk.ui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, MakeController
from tests.ui.test_unlock import try_passphrase

ROOT = Path(__file__).resolve().parents[2]

# What the GUI thread may not load to show the window: the database stack is the db lane's.
HEAVY = ("sqlalchemy", "alembic", "cryptography", "sqlcipher3", "coachdesk.services")
HEAVY_STORE = ("coachdesk.store.vault", "coachdesk.store.engine", "coachdesk.store.tables")
WINDOW_MODULES = (
    "coachdesk.ui.app",
    "coachdesk.ui.main_window",
    "coachdesk.ui.dialogs.unlock",
    "coachdesk.ui.dialogs.create_vault",
    "coachdesk.ui.dialogs.profile",
)


@pytest.fixture
def held_lane(make_controller: MakeController) -> Iterator[tuple[AppController, threading.Event]]:
    """A controller whose db lane is busy until the event is set (set at the end in any case)."""
    controller = make_controller(passphrase=PASSPHRASE)
    release = threading.Event()
    controller.lane.run(lambda _job: release.wait(WAIT_MS / 1000), context="holding the lane")
    yield controller, release
    release.set()


def window_of(controller: AppController) -> MainWindow:
    window = controller.main_window
    assert window is not None
    return window


def assert_areas_disabled(window: MainWindow) -> None:
    assert not window.areas_enabled
    assert window.status_page.isVisible()
    assert not window.stack.isVisible()
    assert not window.sidebar.isEnabled()
    assert not window.lock_button.isEnabled()
    for action in (window.lock_action, window.new_client_action, window.find_action):
        assert not action.isEnabled()


def test_the_window_shows_at_once_while_the_vault_opens(
    qtbot: QtBot,
    existing_vault: Path,
    held_lane: tuple[AppController, threading.Event],
) -> None:
    controller, release = held_lane
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT_MS):
        controller.start()
    window = window_of(controller)

    assert window.isVisible()
    qtbot.wait(50)  # the lane is still held: nothing opens meanwhile
    assert controller.lane.busy and not controller.ops.is_open
    assert window.status_page.title.text() == "Opening your vault…"
    assert window.status_page.progress.isVisible()
    assert_areas_disabled(window)
    assert window.clients.model.total_count == 0

    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        release.set()
    assert controller.ops.is_open
    assert window.areas_enabled and window.stack.isVisible()
    assert not window.status_page.isVisible()
    assert window.lock_action.isEnabled() and window.new_client_action.isEnabled()


def test_the_unlock_dialog_comes_up_over_the_shown_window(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    controller = make_controller()  # no passphrase given, no keychain
    with qtbot.waitSignal(controller.window_shown, timeout=WAIT_MS):
        controller.start()
    window = window_of(controller)
    qtbot.waitUntil(lambda: controller.unlock_dialog is not None, timeout=WAIT_MS)
    dialog = controller.unlock_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)

    assert window.isVisible()
    assert dialog.parentWidget() is window
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    assert window.status_page.title.text() == "Your vault is locked"
    assert not window.status_page.progress.isVisible()  # waiting for the coach, not busy
    assert_areas_disabled(window)

    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        try_passphrase(qtbot, dialog, PASSPHRASE)
    assert window.areas_enabled
    qtbot.waitUntil(lambda: window.clients.is_loaded, timeout=WAIT_MS)


def test_areas_do_nothing_until_the_vault_is_open(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    controller = make_controller()
    controller.start()
    qtbot.waitUntil(lambda: controller.unlock_dialog is not None, timeout=WAIT_MS)
    window = window_of(controller)

    window.new_client_action.trigger()
    trash = window.sidebar.visualItemRect(window.sidebar.item(1)).center()
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=trash)
    assert window.clients.editor is None
    assert window.current_area == "Clients"
    assert controller.unlock_dialog is not None and controller.unlock_dialog.isVisible()
    assert_areas_disabled(window)


def test_first_run_asks_for_the_new_vault_over_the_window(
    qtbot: QtBot, make_controller: MakeController, vault_dir: Path
) -> None:
    controller = make_controller()
    controller.start()
    qtbot.waitUntil(lambda: controller.create_dialog is not None, timeout=WAIT_MS)
    dialog = controller.create_dialog
    assert dialog is not None
    window = window_of(controller)
    assert dialog.parentWidget() is window
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    assert window.status_page.title.text() == "Welcome to CoachDesk"
    assert_areas_disabled(window)


def test_quitting_while_the_vault_opens_closes_it(
    qtbot: QtBot,
    make_controller: MakeController,
    existing_vault: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[Vault] = []
    reached, go_on = threading.Event(), threading.Event()
    real_start_facts = app_state.start_facts

    def slow_start_facts(vault: Vault) -> app_state.StartFacts:
        opened.append(vault)
        reached.set()
        go_on.wait(WAIT_MS / 1000)
        return real_start_facts(vault)

    monkeypatch.setattr(app_state, "start_facts", slow_start_facts)
    controller = make_controller(passphrase=PASSPHRASE)
    controller.start()
    qtbot.waitUntil(reached.is_set, timeout=WAIT_MS)

    threading.Timer(0.1, go_on.set).start()
    controller.shutdown()  # the window was closed: the lane finishes the job, then stops

    assert len(opened) == 1
    assert opened[0].data_key == b""  # closed on the lane, not handed over
    assert not controller.ops.is_open


def test_the_window_modules_do_not_load_the_database_stack() -> None:
    code = (
        "import sys\n"
        f"for name in {WINDOW_MODULES!r}:\n"
        "    __import__(name)\n"
        "heavy = sorted(m for m in sys.modules\n"
        f"    if m.startswith({HEAVY!r}) or m in {HEAVY_STORE!r})\n"
        "print(','.join(heavy))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == ""
