"""The main window: sidebar areas, status bar, audit trail and its verification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.services import crm, vaults
from coachdesk.ui.app import AppController
from coachdesk.ui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, MakeController, activate, open_app
from tests.ui.test_client_page import on_lane
from tests.ui.test_clients_view import add_client

CTRL = Qt.KeyboardModifier.ControlModifier


def test_sidebar_lists_only_the_areas_that_exist(window: MainWindow) -> None:
    items = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert items == [
        "Clients",
        "Pipeline",
        "Due",
        "At risk",
        "Calendar",
        "Offers & billing",
        "Documents",
        "Assistant",
        "Trash",
        "Compliance",
        "Settings",
    ]
    assert window.current_area == "Clients"


def test_status_bar_shows_lock_state_path_and_mode(
    window: MainWindow, existing_vault: Path
) -> None:
    assert window.lock_state.text() == "Unlocked"
    assert window.unlock_mode.text() == "with the passphrase"
    assert window.vault_path.toolTip() == str(existing_vault)


def test_keyboard_moves_between_areas(qtbot: QtBot, window: MainWindow) -> None:
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_2, CTRL)
    assert window.current_area == "Pipeline"
    qtbot.keyClick(window, Qt.Key.Key_3, CTRL)
    assert window.current_area == "Due"
    qtbot.keyClick(window, Qt.Key.Key_5, CTRL)
    assert window.current_area == "Calendar"
    qtbot.keyClick(window, Qt.Key.Key_7, CTRL)
    assert window.current_area == "Documents"
    qtbot.keyClick(window, Qt.Key.Key_8, CTRL)
    assert window.current_area == "Assistant"
    qtbot.keyClick(window, Qt.Key.Key_9, CTRL)
    assert window.current_area == "Compliance"
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    assert window.current_area == "Clients"
    assert window.clients.filter.hasFocus()


def test_audit_trail_lists_changes_and_verifies(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    window.show_audit_trail()
    audit = window.audit
    qtbot.waitUntil(lambda: audit.model.rowCount() >= 3, timeout=WAIT_MS)
    newest = audit.model.event_at(0)
    assert (newest.entity, newest.action) == ("client", "create")
    assert audit.model.data(audit.model.index(0, 3)) == "Created"
    assert audit.model.data(audit.model.index(0, 2)) == "You, in the app"

    qtbot.mouseClick(audit.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: audit.result.isVisible(), timeout=WAIT_MS)
    assert audit.result.text().startswith("✓  The trail is intact")


def test_verify_names_the_first_tampered_entry(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        with vault.writing() as session:
            # Someone holding the key, working outside CoachDesk, removes the guard first.
            session.execute(text("DROP TRIGGER audit_events_no_update"))
            session.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1"))
    finally:
        vault.close()

    app = make_controller(passphrase=PASSPHRASE)
    window = open_app(qtbot, app)
    window.show_audit_trail()
    qtbot.mouseClick(window.audit.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.audit.result.isVisible(), timeout=WAIT_MS)
    assert "tampered" in window.audit.result.text()
    assert "#1" in window.audit.result.text()


def test_window_geometry_is_remembered(
    qtbot: QtBot, make_controller: MakeController, existing_vault: Path
) -> None:
    first = make_controller(passphrase=PASSPHRASE)
    window = open_app(qtbot, first)
    window.resize(880, 590)  # fits the 800 x 600 offscreen screen as far as the minimum allows
    window.close()
    first.shutdown()

    second = make_controller(passphrase=PASSPHRASE)
    again = open_app(qtbot, second)
    assert (again.width(), again.height()) == (880, 590)


def test_ctrl_k_finds_a_note_and_opens_it_on_the_clients_page(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Margaret", "Okonkwo")
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 1, timeout=WAIT_MS)
    client_id = window.clients.model.row_at(0).id
    note = on_lane(
        qtbot,
        app.ops,
        lambda vault: crm.add_note(
            vault,
            client_id,
            NoteDraft(NoteKind.SESSION, date(2026, 3, 2), "Rehearsed the salary talk"),
        ),
    )
    window.show_area("Due")
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_K, CTRL)
    palette = window.search()
    qtbot.waitUntil(palette.isVisible, timeout=WAIT_MS)
    qtbot.keyClicks(palette.edit, "salary")
    qtbot.waitUntil(lambda: palette.results.count() == 1, timeout=WAIT_MS)
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)

    page = window.clients.page
    qtbot.waitUntil(lambda: window.current_area == "Clients", timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: page.client is not None and page.current_tab == "notes", timeout=WAIT_MS
    )
    assert page.client is not None and page.client.id == client_id
    qtbot.waitUntil(
        lambda: page.notes_table.currentIndex().row() == page.note_model.row_of(note.id) >= 0,
        timeout=WAIT_MS,
    )


def test_pipeline_and_due_open_a_client(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 1, timeout=WAIT_MS)
    client_id = window.clients.model.row_at(0).id
    window.show_area("Pipeline")
    window.pipeline.open_client_requested.emit(client_id)
    qtbot.waitUntil(lambda: window.current_area == "Clients", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.clients.page.client is not None, timeout=WAIT_MS)
    assert window.clients.page.client is not None
    assert window.clients.page.client.id == client_id


def test_leaving_documents_with_an_unsaved_template_asks_first(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coachdesk.ui.views import templates

    answers: list[int] = []

    def ask(_parent: QWidget, on_answer: Callable[[int], None]) -> None:
        on_answer(answers.pop(0))

    monkeypatch.setattr(templates, "ask_discard", ask)
    view = window.documents
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        window.show_area("Documents")
    view.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(view.editor, "<p>Draft</p>")
    assert view.has_unsaved_changes

    answers.append(QMessageBox.StandardButton.Cancel.value)
    window.show_area("Clients")
    assert window.current_area == "Documents"
    assert window.stack.currentIndex() == window.AREAS.index("Documents")

    answers.append(QMessageBox.StandardButton.Discard.value)
    window.show_area("Clients")
    assert window.current_area == "Clients"
    assert window.stack.currentIndex() == 0
    assert not view.has_unsaved_changes


def test_make_documents_for_the_selected_clients(qtbot: QtBot, window: MainWindow) -> None:
    from coachdesk.ui.dialogs.batch_documents import BatchDocumentsDialog

    add_client(qtbot, window, "Ada", "Lovelace")
    add_client(qtbot, window, "Grace", "Hopper")
    window.clients.show_list()
    qtbot.waitUntil(lambda: window.clients.model.rowCount() == 2, timeout=WAIT_MS)
    window.clients.table.selectAll()
    assert window.clients.documents_button.isVisible()
    qtbot.mouseClick(window.clients.documents_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(BatchDocumentsDialog)
    assert dialog is not None and dialog.isVisible()
    assert sorted(dialog.client_ids) == sorted(window.clients.selected_client_ids())
    dialog.reject()


def test_closing_with_an_unsaved_template_asks_first(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coachdesk.ui.views import templates

    questions: list[Callable[[int], None]] = []
    monkeypatch.setattr(templates, "ask_discard", lambda _parent, answer: questions.append(answer))
    view = window.documents
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        window.show_area("Documents")
    qtbot.keyClicks(view.editor, "x")
    window.show_area("Clients")
    questions.pop()(QMessageBox.StandardButton.Cancel.value)

    window.close()
    assert window.isVisible() and window.current_area == "Documents"
    questions.pop()(QMessageBox.StandardButton.Cancel.value)
    assert window.isVisible() and view.has_unsaved_changes

    window.close()
    questions.pop()(QMessageBox.StandardButton.Discard.value)
    assert not window.isVisible()


def test_calendar_and_billing_open_a_client(qtbot: QtBot, window: MainWindow) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    client_id = window.clients.model.id_at(0)
    for area, view, tab in (
        ("Calendar", window.calendar, "notes"),  # a session opens on its client's notes
        ("Offers & billing", window.billing, "notes"),  # the same client: the tab stays
    ):
        window.show_area(area)
        view.open_client_requested.emit(client_id)
        assert window.current_area == "Clients"
        qtbot.waitUntil(lambda: window.clients.page.client is not None, timeout=WAIT_MS)
        assert window.clients.page.client.id == client_id
        assert window.clients.page.current_tab == tab
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Comma, CTRL)
    assert window.current_area == "Settings"
