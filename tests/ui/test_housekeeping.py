"""At unlock the app takes the scheduled backup when due and runs retention, off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from coachdesk.services import backups, compliance, vault_settings, vaults
from coachdesk.settings import BACKUP_FOLDER
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, MakeController, open_app


def test_a_due_backup_is_taken_at_unlock_and_said_in_the_status_bar(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        vault_settings.put(vault, BACKUP_FOLDER, str(folder))
    finally:
        vault.close()
    window = open_app(qtbot, make_controller(passphrase=PASSPHRASE))
    qtbot.waitUntil(lambda: any(folder.glob("*.cdbackup")), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Backed up to" in window.notice.text(), timeout=WAIT_MS)
    [made] = list(folder.glob("*.cdbackup"))
    assert backups.verify_backup(made, PASSPHRASE).deep
    # The daily retention run happened too (removing nothing: no rule was seen at work yet).
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        last = compliance.last_retention_run(vault)
        assert last is not None and last.total == 0
        assert not backups.backup_due(vault)
    finally:
        vault.close()
