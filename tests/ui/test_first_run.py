"""First run: create the vault through the dialogs, then the practice profile, then the window."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import practice, vaults
from coachdesk.settings import LAST_VAULT, MachineSettings
from coachdesk.store.keychain import MemoryStore
from coachdesk.store.vault import VaultPaths
from coachdesk.ui.app import AppController
from coachdesk.ui.dialogs.create_vault import CreateVaultDialog
from coachdesk.ui.dialogs.profile import ProfileDialog
from tests.ui.conftest import WAIT_MS, MakeController

NEW_PASSPHRASE = "maple river lantern orbit"


def create_dialog(qtbot: QtBot, controller: AppController) -> CreateVaultDialog:
    controller.start()
    qtbot.waitUntil(lambda: controller.create_dialog is not None, timeout=WAIT_MS)
    dialog = controller.create_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def create_vault(qtbot: QtBot, controller: AppController, remember: bool = False) -> ProfileDialog:
    dialog = create_dialog(qtbot, controller)
    qtbot.keyClicks(dialog.fields.passphrase, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.fields.repeat, NEW_PASSPHRASE)
    if remember:
        qtbot.mouseClick(dialog.remember, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.profile_dialog is not None, timeout=WAIT_MS)
    profile = controller.profile_dialog
    assert profile is not None
    return profile


def test_create_vault_then_profile_then_main_window(
    qtbot: QtBot, make_controller: MakeController, vault_dir: Path
) -> None:
    controller = make_controller()
    profile = create_vault(qtbot, controller)
    assert VaultPaths(vault_dir).exists()
    assert controller.ops.is_open

    form = profile.form
    qtbot.keyClicks(form.coach_name, "Sam Rivera")
    qtbot.keyClicks(form.business_name, "Rivera Career Coaching")
    form.time_zone.line_edit.clear()
    qtbot.keyClicks(form.time_zone.line_edit, "Europe/Berlin")
    form.currency.setEditText("")
    qtbot.keyClicks(form.currency, "eur")
    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        qtbot.mouseClick(profile.ok_button, Qt.MouseButton.LeftButton)

    window = controller.main_window
    assert window is not None and window.isVisible()
    qtbot.waitUntil(lambda: window.clients.is_loaded, timeout=WAIT_MS)
    assert window.clients.empty.isVisible()
    assert window.lock_state.text() == "Unlocked"
    assert "passphrase" in window.unlock_mode.text()
    assert str(vault_dir) in window.vault_path.toolTip()
    assert MachineSettings().get(LAST_VAULT) == str(vault_dir)

    controller.shutdown()
    vault = vaults.unlock(vault_dir, NEW_PASSPHRASE, "coach@test")
    try:
        stored = practice.get_profile(vault)
    finally:
        vault.close()
    assert (stored.coach_name, stored.time_zone, stored.currency) == (
        "Sam Rivera",
        "Europe/Berlin",
        "EUR",
    )


def test_weak_or_mismatched_passphrases_cannot_create(
    qtbot: QtBot, make_controller: MakeController, vault_dir: Path
) -> None:
    controller = make_controller()
    dialog = create_dialog(qtbot, controller)
    assert not dialog.ok_button.isEnabled()

    qtbot.keyClicks(dialog.fields.passphrase, "short")
    assert dialog.fields.hint.text().startswith("Too short.")
    qtbot.keyClicks(dialog.fields.repeat, "short")
    assert not dialog.ok_button.isEnabled()

    dialog.fields.clear()
    qtbot.keyClicks(dialog.fields.passphrase, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.fields.repeat, "maple river lantern oak")
    assert dialog.fields.mismatch.text() == "The two passphrases differ."
    assert not dialog.ok_button.isEnabled()

    dialog.fields.repeat.clear()
    qtbot.keyClicks(dialog.fields.repeat, NEW_PASSPHRASE)
    assert dialog.fields.mismatch.isHidden()
    assert dialog.ok_button.isEnabled()
    assert not VaultPaths(vault_dir).exists()


def test_remember_is_disabled_with_the_reason_when_there_is_no_keychain(
    qtbot: QtBot, make_controller: MakeController
) -> None:
    controller = make_controller(secrets=MemoryStore(available=False))
    dialog = create_dialog(qtbot, controller)
    assert not dialog.remember.isEnabled()
    assert dialog.remember_note.text() == "No secure keychain on this computer."


def test_remembered_key_unlocks_the_next_start_by_itself(
    qtbot: QtBot, make_controller: MakeController, vault_dir: Path
) -> None:
    keychain = MemoryStore(available=True)
    first = make_controller(secrets=keychain)
    dialog = create_dialog(qtbot, first)
    assert dialog.remember.isEnabled()
    qtbot.keyClicks(dialog.fields.passphrase, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.fields.repeat, NEW_PASSPHRASE)
    dialog.remember.setChecked(True)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.profile_dialog is not None, timeout=WAIT_MS)
    assert len(keychain.secrets) == 1
    first.shutdown()

    second = make_controller(secrets=keychain)
    second.start()
    # The profile is still empty, so the profile dialog comes back: no passphrase asked.
    qtbot.waitUntil(lambda: second.profile_dialog is not None, timeout=WAIT_MS)
    assert second.unlock_dialog is None
    assert second.ops.mode is not None and second.ops.mode.value == "keychain"


def test_creation_runs_on_the_db_lane_and_shows_a_busy_state(
    qtbot: QtBot, make_controller: MakeController, monkeypatch
) -> None:
    threads: list[int] = []
    real_create = vaults.create_vault

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real_create(*args, **kwargs)

    monkeypatch.setattr(vaults, "create_vault", spy)
    controller = make_controller()
    dialog = create_dialog(qtbot, controller)
    qtbot.keyClicks(dialog.fields.passphrase, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.fields.repeat, NEW_PASSPHRASE)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.ok_button.text() == "Creating…"
    assert not dialog.fields.passphrase.isEnabled()
    assert dialog.progress.isVisibleTo(dialog)
    qtbot.waitUntil(lambda: controller.profile_dialog is not None, timeout=WAIT_MS)
    assert threads and threads[0] != threading.get_ident()


def test_profile_errors_show_under_their_fields_and_nothing_is_saved(
    qtbot: QtBot, make_controller: MakeController
) -> None:
    controller = make_controller()
    profile = create_vault(qtbot, controller)
    form = profile.form
    form.time_zone.set_zone("Atlantis/Capital")
    form.currency.setEditText("")
    with qtbot.assertNotEmitted(controller.window_ready):
        qtbot.mouseClick(profile.ok_button, Qt.MouseButton.LeftButton)

    assert form.errors.message("coach_name") == "Enter your name as clients should see it."
    assert "time zone" in form.errors.message("time_zone")
    assert "three-letter" in form.errors.message("currency")
    assert profile.isVisible()
    # The app has not moved on: the profile dialog still holds the window behind it.
    assert controller.main_window is not None
    assert profile.parentWidget() is controller.main_window
    assert profile.windowModality() == Qt.WindowModality.WindowModal


def test_skipping_the_profile_still_opens_the_app(
    qtbot: QtBot, make_controller: MakeController
) -> None:
    controller = make_controller()
    profile = create_vault(qtbot, controller)
    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        qtbot.mouseClick(profile.skip_button, Qt.MouseButton.LeftButton)


def test_quitting_the_first_run_creates_nothing(
    qtbot: QtBot, make_controller: MakeController, vault_dir: Path
) -> None:
    controller = make_controller()
    dialog = create_dialog(qtbot, controller)
    with qtbot.waitSignal(controller.quit_requested, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [0]
    assert not VaultPaths(vault_dir).exists()


def test_restore_from_a_backup_on_the_first_run_then_unlock_with_its_passphrase(
    qtbot: QtBot, make_controller: MakeController, vault_dir: Path, tmp_path: Path
) -> None:
    from coachdesk.services import backups, clients
    from coachdesk.store.keys import FAST_KDF_FOR_TESTS
    from coachdesk.ui.dialogs.restore_backup import RestoreBackupDialog
    from tests.store.util import sample_draft

    elsewhere = vaults.create_vault(
        tmp_path / "old laptop", NEW_PASSPHRASE, "coach@test", kdf=FAST_KDF_FOR_TESTS
    )
    try:
        practice.save_profile(
            elsewhere,
            PracticeProfile("Sam Rivera", "Rivera", "Europe/London", "GBP"),
        )
        clients.create_client(elsewhere, sample_draft(1, first_name="Restored"))
        (tmp_path / "usb").mkdir()
        backup = backups.create_backup(elsewhere, tmp_path / "usb").path
    finally:
        elsewhere.close()

    controller = make_controller()
    dialog = create_dialog(qtbot, controller)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(isinstance(w, RestoreBackupDialog) for w in dialog.findChildren(QDialog)),
        timeout=WAIT_MS,
    )
    restore = next(w for w in dialog.findChildren(RestoreBackupDialog))
    assert restore.target == vault_dir
    restore.file_edit.setText(str(backup))
    qtbot.keyClicks(restore.passphrase, NEW_PASSPHRASE)
    qtbot.waitUntil(restore.restore_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(restore.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.unlock_dialog is not None, timeout=WAIT_MS)
    assert controller.create_dialog is None
    unlock = controller.unlock_dialog
    assert unlock is not None
    qtbot.keyClicks(unlock.passphrase, NEW_PASSPHRASE)
    with qtbot.waitSignal(controller.window_ready, timeout=WAIT_MS):
        qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    window = controller.main_window
    assert window is not None
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 1, timeout=WAIT_MS)
