"""Locking: Ctrl+L and auto-lock close the vault and wipe client data; unlocking restores it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from coachdesk.settings import AUTO_LOCK_MINUTES
from coachdesk.ui.app import AppController
from coachdesk.ui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, activate
from tests.ui.test_clients_view import add_client, names, open_editor


def unlock_again(qtbot: QtBot, app: AppController, passphrase: str = PASSPHRASE) -> None:
    dialog = app.unlock_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, passphrase)
    with qtbot.waitSignal(app.window_ready, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def assert_locked(app: AppController, window: MainWindow) -> None:
    assert not app.ops.is_open
    assert app.unlock_dialog is not None and app.unlock_dialog.isVisible()
    assert not window.isVisible()
    assert window.clients.model.rowCount() == 0
    assert window.clients.model.total_count == 0
    assert window.clients.filter.text() == ""
    assert window.clients.page.client is None
    assert window.clients.page.name.text() == ""
    assert window.trash.model.rowCount() == 0
    assert window.audit.model.rowCount() == 0
    assert window.settings.profile.coach_name.text() == ""
    assert window.lock_state.text() == "Locked"


def test_ctrl_l_wipes_client_data_and_unlocking_restores_it(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    add_client(qtbot, window, "Grace", "Hopper")
    window.clients.filter.setText("ada")
    window.clients.open_client(window.clients.model.id_at(0))
    qtbot.waitUntil(lambda: window.clients.page.client is not None, timeout=WAIT_MS)

    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert_locked(app, window)

    unlock_again(qtbot, app)
    qtbot.waitUntil(lambda: window.clients.model.total_count == 2, timeout=WAIT_MS)
    assert window.isVisible()
    assert names(window) == ["Ada Lovelace", "Grace Hopper"]
    assert window.lock_state.text() == "Unlocked"
    assert window.unlock_mode.text() == "with the passphrase"


def test_a_wrong_passphrase_after_a_lock_keeps_it_locked(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    app.lock()
    dialog = app.unlock_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, "guessing guessing guessing")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message != "", timeout=WAIT_MS)
    assert_locked(app, window)


def test_locking_closes_an_open_editor_without_saving(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    editor = open_editor(qtbot, window)
    qtbot.keyClicks(editor.first_name, "Unsaved")
    app.lock()
    assert window.clients.editor is None
    assert not editor.isVisible()
    unlock_again(qtbot, app)
    qtbot.waitUntil(lambda: window.clients.is_loaded, timeout=WAIT_MS)
    assert names(window) == []


def test_auto_lock_after_idle_time(qtbot: QtBot, app: AppController, window: MainWindow) -> None:
    assert app.idle.timeout_ms == AUTO_LOCK_MINUTES.default * 60_000
    app.idle.set_timeout_ms(150)
    qtbot.waitUntil(lambda: app.unlock_dialog is not None, timeout=WAIT_MS)
    assert_locked(app, window)
    assert not app.idle.armed


def test_input_postpones_auto_lock(qtbot: QtBot, app: AppController, window: MainWindow) -> None:
    app.idle.set_timeout_ms(400)
    for _ in range(6):
        qtbot.wait(100)
        qtbot.mouseMove(window.clients.table.viewport())
        qtbot.keyClick(window.clients.filter, Qt.Key.Key_Shift)
    assert app.ops.is_open
    qtbot.waitUntil(lambda: not app.ops.is_open, timeout=WAIT_MS)


def test_auto_lock_minutes_are_a_setting(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    window.show_area("Settings")
    qtbot.waitUntil(lambda: window.settings.profile.coach_name.text() != "", timeout=WAIT_MS)
    window.settings.auto_lock.setValue(3)
    qtbot.waitUntil(lambda: app.idle.timeout_ms == 3 * 60_000, timeout=WAIT_MS)

    app.lock()
    unlock_again(qtbot, app)
    assert app.idle.timeout_ms == 3 * 60_000
    qtbot.waitUntil(lambda: window.settings.auto_lock.value() == 3, timeout=WAIT_MS)

    window.settings.auto_lock.setValue(0)
    qtbot.waitUntil(lambda: app.idle.timeout_ms == 0, timeout=WAIT_MS)
    assert not app.idle.armed


def test_locking_deletes_email_drafts_handed_to_the_mail_client(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    from coachdesk.paths import handoff_dir
    from coachdesk.services import handoff

    draft = handoff.write("Progress report.eml", b"To: someone\r\n\r\nprivate")
    assert draft.exists()
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert_locked(app, window)
    qtbot.waitUntil(lambda: not draft.exists(), timeout=WAIT_MS)
    assert list(handoff_dir().rglob("*")) == []
