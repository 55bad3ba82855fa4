"""Opening an existing vault: keychain, given passphrase, the Unlock dialog and its two failures."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from coachdesk.services import vaults
from coachdesk.store.keychain import MemoryStore
from coachdesk.store.keys import KEY_FILE
from coachdesk.ui.app import AppController
from coachdesk.ui.dialogs.unlock import UnlockDialog
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, MakeController, open_app


def unlock_dialog(qtbot: QtBot, controller: AppController) -> UnlockDialog:
    controller.start()
    qtbot.waitUntil(lambda: controller.unlock_dialog is not None, timeout=WAIT_MS)
    dialog = controller.unlock_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def try_passphrase(qtbot: QtBot, dialog: UnlockDialog, passphrase: str) -> None:
    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_wrong_passphrase_says_so_and_opens_nothing(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    controller = make_controller()
    dialog = unlock_dialog(qtbot, controller)

    try_passphrase(qtbot, dialog, "not the passphrase at all")
    qtbot.waitUntil(lambda: dialog.message != "", timeout=WAIT_MS)

    assert dialog.message.startswith("That passphrase does not unlock this vault.")
    assert dialog.problem_title.isHidden()
    assert dialog.isVisible()
    assert not controller.ops.is_open
    window = controller.main_window
    assert window is not None and not window.areas_enabled
    assert window.status_page.isVisible() and not window.stack.isVisible()
    assert window.clients.model.total_count == 0
    assert dialog.passphrase.isEnabled() and dialog.passphrase.selectedText()

    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        try_passphrase(qtbot, dialog, PASSPHRASE)
    assert controller.ops.is_open
    assert controller.unlock_dialog is None


def test_enter_after_a_wrong_passphrase_tries_again_not_quit(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    controller = make_controller()
    dialog = unlock_dialog(qtbot, controller)
    qtbot.keyClicks(dialog.passphrase, "not the passphrase at all")
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.message != "", timeout=WAIT_MS)
    assert dialog.ok_button.isDefault()

    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    assert controller.ops.is_open


def test_a_damaged_vault_gets_a_different_message(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    key_file = existing_vault / KEY_FILE
    content = json.loads(key_file.read_text(encoding="utf-8"))
    content["nonce"] = "AAAA" + content["nonce"][4:]
    key_file.write_text(json.dumps(content), encoding="utf-8")

    controller = make_controller(passphrase=PASSPHRASE)
    dialog = unlock_dialog(qtbot, controller)
    qtbot.waitUntil(lambda: dialog.message != "", timeout=WAIT_MS)

    assert dialog.problem_title.text() == "The vault is damaged"
    assert "damaged" in dialog.message
    assert "does not unlock" not in dialog.message
    assert not controller.ops.is_open


def test_given_passphrase_opens_without_asking(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    controller = make_controller(passphrase=PASSPHRASE)
    window = open_app(qtbot, controller)
    assert controller.unlock_dialog is None
    assert window.unlock_mode.text() == "with the passphrase"


def test_a_wrong_given_passphrase_falls_back_to_the_dialog(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    controller = make_controller(passphrase="wrong wrong wrong wrong")
    dialog = unlock_dialog(qtbot, controller)
    qtbot.waitUntil(lambda: dialog.message != "", timeout=WAIT_MS)
    assert "does not unlock" in dialog.message


def test_keychain_opens_silently(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    keychain = MemoryStore(available=True)
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    vaults.remember(vault, keychain)
    vault.close()

    controller = make_controller(secrets=keychain)
    window = open_app(qtbot, controller)
    assert controller.unlock_dialog is None
    assert window.unlock_mode.text() == "with the keychain"


def test_unlocking_runs_on_the_db_lane_with_a_busy_state(
    qtbot: QtBot,
    make_controller: MakeController,
    existing_vault: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[int] = []
    real_unlock = vaults.unlock

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real_unlock(*args, **kwargs)

    monkeypatch.setattr(vaults, "unlock", spy)
    controller = make_controller()
    dialog = unlock_dialog(qtbot, controller)
    try_passphrase(qtbot, dialog, PASSPHRASE)
    assert dialog.ok_button.text() == "Unlocking…"
    assert not dialog.passphrase.isEnabled()
    assert dialog.progress.isVisibleTo(dialog)
    qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS).wait()
    assert threads and all(t != threading.get_ident() for t in threads)


def test_quit_from_the_unlock_dialog(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    controller = make_controller()
    dialog = unlock_dialog(qtbot, controller)
    with qtbot.waitSignal(controller.quit_requested, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)


def test_the_startup_benchmark_hook_reports_and_quits(
    qtbot: QtBot,
    make_controller: MakeController,
    existing_vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COACHDESK_BENCH_STARTUP", "1")
    controller = make_controller(passphrase=PASSPHRASE)
    with qtbot.waitSignal(controller.quit_requested, timeout=WAIT_MS) as blocker:
        controller.start()
    assert blocker.args == [0]
    lines = capsys.readouterr().out.split()
    assert [line.split("=")[0] for line in lines] == ["window_ms", "startup_ms"]
    window_ms, startup_ms = (int(line.split("=")[1]) for line in lines)
    assert 0 <= window_ms <= startup_ms


def test_a_broken_pyside_build_is_refused_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], vault_dir: Path
) -> None:
    from coachdesk.cli.args import GuiOptions
    from coachdesk.ui import app

    monkeypatch.setattr(app, "broken_pyside", lambda: "PySide6 9.9 is broken here.")
    options = GuiOptions(vault_dir, None, MemoryStore(available=False), True)
    assert app.run_gui(options) == 1
    assert "PySide6 9.9 is broken here." in capsys.readouterr().err


def test_a_damaged_vault_can_be_replaced_from_a_backup_and_unlocked(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path, tmp_path: Path
) -> None:
    from coachdesk.services import backups, clients
    from coachdesk.ui.dialogs.restore_backup import RestoreBackupDialog
    from tests.store.util import flip_byte, sample_draft

    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        clients.create_client(vault, sample_draft(1, first_name="Survivor"))
        (tmp_path / "usb").mkdir()
        backup = backups.create_backup(vault, tmp_path / "usb").path
    finally:
        vault.close()
    flip_byte(existing_vault / "coachdesk.db", 40)  # page 1: the vault no longer opens

    controller = make_controller()
    dialog = unlock_dialog(qtbot, controller)
    assert not dialog.restore_button.isVisible()
    try_passphrase(qtbot, dialog, PASSPHRASE)
    qtbot.waitUntil(lambda: dialog.problem_title.text() == "The vault is damaged", timeout=WAIT_MS)
    assert dialog.restore_button.isVisible()
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.findChildren(RestoreBackupDialog)), timeout=WAIT_MS)
    restore = dialog.findChildren(RestoreBackupDialog)[0]
    restore.file_edit.setText(str(backup))
    qtbot.keyClicks(restore.passphrase, PASSPHRASE)
    qtbot.waitUntil(restore.replace.isVisible, timeout=WAIT_MS)  # a vault is there
    restore.replace.setChecked(True)
    qtbot.waitUntil(restore.restore_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(restore.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.problem_title.text() == "Restored from the backup", timeout=WAIT_MS
    )
    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        try_passphrase(qtbot, dialog, PASSPHRASE)
    window = controller.main_window
    assert window is not None
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 1, timeout=WAIT_MS)
    assert any(".before-restore-" in p.name for p in existing_vault.parent.iterdir())
