"""Restoring a backup from the start screen: wrong passphrase, damaged file, a good restore."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.paths import default_vault_dir
from coachdesk.services import backups, clients, vaults
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.restore_backup import RestoreBackupDialog
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS


@pytest.fixture
def backup(vault: Vault, tmp_path: Path) -> Path:
    """A backup of a vault holding one client."""
    clients.create_client(
        vault, ClientDraft(first_name="Cleo", last_name="Martin", status=ClientStatus.ACTIVE)
    )
    folder = tmp_path / "backups"
    folder.mkdir()
    return backups.create_backup(vault, folder).path


def restore_dialog(
    qtbot: QtBot, backup: Path, passphrase: str, target: Path
) -> RestoreBackupDialog:
    dialog = RestoreBackupDialog(target=target)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.file_edit, str(backup))
    qtbot.keyClicks(dialog.passphrase, passphrase)
    return dialog


def click_and_wait(qtbot: QtBot, dialog: RestoreBackupDialog, button: str) -> None:
    widget = dialog.restore_button if button == "restore" else dialog.check_button
    assert widget.isEnabled()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)


def test_the_vault_goes_to_the_default_folder_unless_told(qtbot: QtBot) -> None:
    dialog = RestoreBackupDialog()
    qtbot.addWidget(dialog)
    assert dialog.target == default_vault_dir()
    assert not dialog.restore_button.isEnabled()
    assert not dialog.check_button.isEnabled()


def test_a_wrong_passphrase_is_said_and_makes_no_vault(
    qtbot: QtBot, backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "restored"
    dialog = restore_dialog(qtbot, backup, "not the passphrase", target)
    restored: list[Path] = []
    dialog.restored.connect(restored.append)

    click_and_wait(qtbot, dialog, "restore")

    assert dialog.message.startswith(f"That passphrase does not open “{backup.name}”.")
    assert not target.exists()
    assert restored == []
    assert dialog.isVisible()
    assert dialog.passphrase.hasFocus() or dialog.passphrase.selectedText()


def test_a_cut_short_backup_is_refused(qtbot: QtBot, backup: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.cdbackup"
    data = backup.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    dialog = restore_dialog(qtbot, cut, PASSPHRASE, tmp_path / "restored")

    click_and_wait(qtbot, dialog, "check")

    assert "cut short" in dialog.message
    assert dialog.check is None
    assert not dialog.check_result.isVisible()


def test_the_right_passphrase_checks_and_restores_a_vault_that_opens(
    qtbot: QtBot, backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "restored"
    dialog = restore_dialog(qtbot, backup, PASSPHRASE, target)

    click_and_wait(qtbot, dialog, "check")
    assert dialog.message == ""
    assert dialog.check_result.isVisible()
    assert dialog.check_result.text().startswith("This backup is sound.")
    assert "1 client," in dialog.check_result.text()
    assert not target.exists()  # checking restores nothing

    with qtbot.waitSignal(dialog.restored, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert signal.args == [target]
    assert not dialog.isVisible()
    opened = vaults.unlock(target, PASSPHRASE, "test")
    try:
        assert [row.name for row in clients.list_clients(opened)] == ["Cleo Martin"]
    finally:
        opened.close()


def test_replacing_a_vault_keeps_the_old_one_aside(
    qtbot: QtBot, backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "restored"
    first = restore_dialog(qtbot, backup, PASSPHRASE, target)
    with qtbot.waitSignal(first.restored, timeout=WAIT_MS):
        qtbot.mouseClick(first.restore_button, Qt.MouseButton.LeftButton)

    dialog = restore_dialog(qtbot, backup, PASSPHRASE, target)
    qtbot.waitUntil(lambda: dialog.vault_exists, timeout=WAIT_MS)
    assert dialog.replace.isVisible()
    assert "kept aside" in dialog.replace_note.text()
    assert not dialog.restore_button.isEnabled()
    dialog.replace.setChecked(True)
    with qtbot.waitSignal(dialog.restored, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)

    assert (target / "vault.key").exists()
    kept = [p.name for p in tmp_path.iterdir() if p.name.startswith("restored.before-restore-")]
    assert len(kept) == 1
