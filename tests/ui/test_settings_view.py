"""Settings: practice profile, passphrase change, the keychain switch."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.errors import WrongPassphraseError
from coachdesk.services import clients, documents, practice, vault_settings, vaults
from coachdesk.settings import PAPER_SIZE
from coachdesk.store.keychain import MemoryStore
from coachdesk.ui.app import AppController
from coachdesk.ui.main_window import MainWindow
from coachdesk.ui.views.settings import SettingsView
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, MakeController, open_app

NEW_PASSPHRASE = "copper kettle winter harbour"


def settings(qtbot: QtBot, window: MainWindow) -> SettingsView:
    window.show_area("Settings")
    view = window.settings
    qtbot.waitUntil(lambda: view.profile.coach_name.text() == "Sam Rivera", timeout=WAIT_MS)
    return view


def test_profile_edits_are_saved(
    qtbot: QtBot, app: AppController, window: MainWindow, existing_vault: Path
) -> None:
    view = settings(qtbot, window)
    assert view.profile.time_zone.zone == "Europe/London"
    view.profile.business_name.clear()
    qtbot.keyClicks(view.profile.business_name, "Rivera Coaching & Mentoring")
    qtbot.mouseClick(view.profile_save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.profile_status.text() == "Saved.", timeout=WAIT_MS)

    app.shutdown()
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        assert practice.get_profile(vault).business_name == "Rivera Coaching & Mentoring"
    finally:
        vault.close()


def test_profile_field_errors_in_settings(qtbot: QtBot, window: MainWindow) -> None:
    view = settings(qtbot, window)
    view.profile.coach_name.clear()
    qtbot.mouseClick(view.profile_save, Qt.MouseButton.LeftButton)
    assert view.profile.errors.message("coach_name") == "Enter your name as clients should see it."
    assert view.profile_status.text() == ""


def test_change_passphrase(
    qtbot: QtBot, app: AppController, window: MainWindow, existing_vault: Path
) -> None:
    view = settings(qtbot, window)
    assert not view.change_button.isEnabled()
    qtbot.keyClicks(view.old_passphrase, PASSPHRASE)
    qtbot.keyClicks(view.new_passphrase.passphrase, NEW_PASSPHRASE)
    qtbot.keyClicks(view.new_passphrase.repeat, NEW_PASSPHRASE)
    assert view.change_button.isEnabled()
    qtbot.mouseClick(view.change_button, Qt.MouseButton.LeftButton)
    assert view.change_button.text() == "Changing…"
    qtbot.waitUntil(
        lambda: view.change_status.text().startswith("Passphrase changed"), timeout=WAIT_MS
    )
    assert view.old_passphrase.text() == ""
    assert view.new_passphrase.value == ""

    app.shutdown()
    with pytest.raises(WrongPassphraseError):
        vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    vaults.unlock(existing_vault, NEW_PASSPHRASE, "coach@test").close()


def test_change_passphrase_with_a_wrong_current_one(
    qtbot: QtBot, app: AppController, window: MainWindow, existing_vault: Path
) -> None:
    view = settings(qtbot, window)
    qtbot.keyClicks(view.old_passphrase, "not my passphrase")
    qtbot.keyClicks(view.new_passphrase.passphrase, NEW_PASSPHRASE)
    qtbot.keyClicks(view.new_passphrase.repeat, NEW_PASSPHRASE)
    qtbot.mouseClick(view.change_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.change_status.text() != "", timeout=WAIT_MS)
    assert view.change_status.text() == "The current passphrase is not right."
    assert view.change_button.text() == "Change passphrase"

    app.shutdown()
    vaults.unlock(existing_vault, PASSPHRASE, "coach@test").close()


def test_keychain_switch_is_disabled_with_the_reason_when_there_is_none(
    qtbot: QtBot, window: MainWindow
) -> None:
    view = settings(qtbot, window)
    assert not view.remember.isEnabled()
    assert view.remember_note.text() == "No secure keychain on this computer."


def test_remember_and_forget_on_this_computer(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    keychain = MemoryStore(available=True)
    app = make_controller(secrets=keychain, passphrase=PASSPHRASE)
    window = open_app(qtbot, app)
    view = settings(qtbot, window)
    assert view.remember.isEnabled() and not view.remember.isChecked()

    view.remember.click()
    qtbot.waitUntil(lambda: len(keychain.secrets) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "without the passphrase" in window.notice.text(), timeout=WAIT_MS)

    view.remember.click()
    qtbot.waitUntil(lambda: keychain.secrets == {}, timeout=WAIT_MS)


def test_paper_size_for_documents_is_stored_and_used(
    qtbot: QtBot, app: AppController, window: MainWindow, existing_vault: Path
) -> None:
    view = settings(qtbot, window)
    qtbot.waitUntil(view.paper_size.isEnabled, timeout=WAIT_MS)
    assert view.paper_size.currentText() == "A4 (most of the world)"
    view.paper_size.setFocus()
    with qtbot.waitSignal(app.ops.changed, check_params_cb=lambda kind: kind == "setting"):
        qtbot.keyClick(view.paper_size, Qt.Key.Key_Down)
    assert view.paper_size.currentText() == "Letter (US and Canada)"

    app.shutdown()
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        assert vault_settings.get(vault, PAPER_SIZE) == "Letter"
        client = clients.create_client(vault, ClientDraft(first_name="Ada", last_name="Lovelace"))
        info = documents.create_document(vault, client.id, "progress_report")
        page = pypdf.PdfReader(io.BytesIO(documents.document_pdf(vault, info.id))).pages[0]
        assert round(float(page.mediabox.width)) == 612
    finally:
        vault.close()
