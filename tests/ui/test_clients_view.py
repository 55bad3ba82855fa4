"""The Clients area as a coach uses it: add through the form, find by typing, trash and restore."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientRow
from coachdesk.services import clients
from coachdesk.ui.app import AppController
from coachdesk.ui.dialogs.client_editor import ClientEditor
from coachdesk.ui.main_window import MainWindow
from tests.ui.conftest import WAIT_MS, activate

CTRL = Qt.KeyboardModifier.ControlModifier


def names(window: MainWindow) -> list[str]:
    return [row.name for row in window.clients.model.visible_rows()]


def stored_clients(qtbot: QtBot, app: AppController, trashed: bool = False) -> list[ClientRow]:
    """What the vault holds, read through the db lane like the app does."""
    result: list[list[ClientRow]] = []
    app.ops.run(lambda vault: clients.list_clients(vault, trashed), on_done=result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=WAIT_MS)
    return result[0]


def open_editor(qtbot: QtBot, window: MainWindow) -> ClientEditor:
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: window.clients.editor is not None, timeout=WAIT_MS)
    editor = window.clients.editor
    assert editor is not None
    activate(qtbot, editor)
    return editor


def add_client(
    qtbot: QtBot, window: MainWindow, first: str, last: str, email: str = "", **more: str
) -> None:
    editor = open_editor(qtbot, window)
    qtbot.keyClicks(editor.first_name, first)
    qtbot.keyClicks(editor.last_name, last)
    if email:
        qtbot.keyClicks(editor.emails, email)
    for field, text in more.items():
        qtbot.keyClicks(getattr(editor, field), text)
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.clients.editor is None, timeout=WAIT_MS)


def test_add_a_client_through_the_form_and_find_it_by_typing(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    assert window.clients.empty.isVisible()
    add_client(qtbot, window, "Ada", "Lovelace", "ada@example.com", company="Analytical Engines")
    add_client(qtbot, window, "Grace", "Hopper", "grace@example.com", company="Navy")
    add_client(qtbot, window, "Alan", "Turing", "alan@example.org", company="Bletchley")
    assert names(window) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert window.clients.count.text() == "3 clients"

    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    assert window.clients.filter.hasFocus()
    qtbot.keyClicks(window.clients.filter, "ADA")
    assert names(window) == ["Ada Lovelace"]
    assert window.clients.count.text() == "Showing 1 of 3 clients"
    assert window.clients.table.isVisible()

    window.clients.filter.clear()
    qtbot.keyClicks(window.clients.filter, "example.com navy")
    assert names(window) == ["Grace Hopper"]

    qtbot.keyClicks(window.clients.filter, " nobody")
    assert names(window) == []
    assert window.clients.empty.isVisible()
    assert "No client matches" in window.clients.empty.text.text()

    stored = stored_clients(qtbot, app)
    assert sorted(c.name for c in stored) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]


def test_a_bad_email_shows_under_the_field_and_nothing_is_saved(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    editor = open_editor(qtbot, window)
    qtbot.keyClicks(editor.first_name, "Ada")
    qtbot.keyClicks(editor.emails, "ada@example.com")
    qtbot.keyClick(editor.emails, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.emails, "not-an-email")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    assert editor.errors.message("emails") == "Not an e-mail address: not-an-email"
    assert editor.errors.label("emails").isVisible()
    assert QApplication.focusWidget() is editor.emails
    assert editor.isVisible()
    qtbot.wait(50)
    assert stored_clients(qtbot, app) == []
    assert window.clients.model.total_count == 0


def test_nameless_client_is_refused_with_focus_on_the_first_name(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    editor = open_editor(qtbot, window)
    qtbot.keyClicks(editor.company, "Nameless Ltd")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert "at least a first, last or preferred name" in editor.errors.message("first_name")
    assert QApplication.focusWidget() is editor.first_name


def test_time_zone_and_email_are_checked_when_leaving_the_field(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = open_editor(qtbot, window)
    editor.time_zone.line_edit.setFocus()
    editor.time_zone.line_edit.clear()
    qtbot.keyClicks(editor.time_zone.line_edit, "Mars/Olympus")
    editor.locale_edit.setFocus()
    qtbot.waitUntil(lambda: editor.errors.message("time_zone") != "", timeout=WAIT_MS)
    assert "Unknown time zone “Mars/Olympus”" in editor.errors.message("time_zone")

    editor.emails.setFocus()
    qtbot.keyClicks(editor.emails, "nobody-at-example")
    editor.phones.setFocus()
    qtbot.waitUntil(lambda: editor.errors.message("emails") != "", timeout=WAIT_MS)

    editor.emails.clear()
    editor.emails.setFocus()
    editor.phones.setFocus()
    qtbot.waitUntil(lambda: editor.errors.message("emails") == "", timeout=WAIT_MS)


def test_delete_moves_to_trash_and_restore_brings_back(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    add_client(qtbot, window, "Grace", "Hopper")
    table = window.clients.table
    table.selectRow(window.clients.model.row_of(stored_id(qtbot, app, "Grace Hopper")))
    activate(qtbot, table)
    table.setFocus()
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        qtbot.keyClick(table, Qt.Key.Key_Delete)

    assert names(window) == ["Ada Lovelace"]
    assert window.notice.text() == "Moved 1 client to the Trash."
    assert window.undo_button.isVisible()

    window.show_area("Trash")
    qtbot.waitUntil(lambda: window.trash.model.rowCount() == 1, timeout=WAIT_MS)
    assert window.trash.model.row_at(0).name == "Grace Hopper"
    window.trash.table.selectRow(0)
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(window.trash.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.trash.model.rowCount() == 0, timeout=WAIT_MS)
    assert window.trash.empty.isVisible()
    assert names(window) == ["Ada Lovelace", "Grace Hopper"]
    assert [c.name for c in stored_clients(qtbot, app, trashed=True)] == []


def stored_id(qtbot: QtBot, app: AppController, name: str) -> int:
    return next(c.id for c in stored_clients(qtbot, app) if c.name == name)


def test_undo_in_the_status_bar_restores(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    window.clients.table.selectRow(0)
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        window.clients.trash_selected()
    assert names(window) == []
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert names(window) == ["Ada Lovelace"]


def test_empty_trash_asks_first_then_deletes_for_good(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    window.clients.table.selectRow(0)
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        window.clients.trash_selected()
    window.show_area("Trash")
    qtbot.waitUntil(lambda: window.trash.model.rowCount() == 1, timeout=WAIT_MS)

    qtbot.mouseClick(window.trash.empty_button, Qt.MouseButton.LeftButton)
    box = window.trash.confirm_box
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(20)
    assert window.trash.model.rowCount() == 1

    qtbot.mouseClick(window.trash.empty_button, Qt.MouseButton.LeftButton)
    box = window.trash.confirm_box
    assert box is not None
    window.trash.confirm_delete.click()
    qtbot.waitUntil(lambda: window.trash.model.rowCount() == 0, timeout=WAIT_MS)
    assert window.notice.text() == "Deleted 1 client for good."
    assert stored_clients(qtbot, app, trashed=True) == []


def test_enter_opens_the_client_page_and_edit_saves(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace", "ada@example.com", company="Engines")
    table = window.clients.table
    table.selectRow(0)
    activate(qtbot, table)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    page = window.clients.page
    qtbot.waitUntil(lambda: page.isVisible() and page.client is not None, timeout=WAIT_MS)
    assert page.name.text() == "Ada Lovelace"
    assert "ada@example.com" in page.values["emails"].text()
    assert page.values["company"].text() == "Engines"

    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.clients.editor is not None, timeout=WAIT_MS)
    editor = window.clients.editor
    assert editor is not None and editor.first_name.text() == "Ada"
    editor.company.clear()
    qtbot.keyClicks(editor.company, "Analytical Engines")
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.values["company"].text() == "Analytical Engines", timeout=WAIT_MS)
    assert window.clients.model.row_at(0).company == "Analytical Engines"

    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert window.clients.table.isVisible()


def test_cancel_with_changes_asks_before_discarding(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_editor(qtbot, window)
    qtbot.keyClicks(editor.first_name, "Ada")
    qtbot.mouseClick(editor.cancel_button, Qt.MouseButton.LeftButton)
    assert editor.isVisible()
    box = editor._discard_box
    assert box.isVisible()
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: window.clients.editor is None, timeout=WAIT_MS)


def test_filter_keys_enter_opens_the_only_match_and_escape_clears(
    qtbot: QtBot, window: MainWindow
) -> None:
    add_client(qtbot, window, "Ada", "Lovelace")
    add_client(qtbot, window, "Grace", "Hopper")
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(window.clients.filter, "hopp")
    qtbot.keyClick(window.clients.filter, Qt.Key.Key_Return)
    page = window.clients.page
    qtbot.waitUntil(lambda: page.client is not None and page.isVisible(), timeout=WAIT_MS)
    assert page.name.text() == "Grace Hopper"

    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    assert window.clients.table.isVisible()
    assert window.clients.filter.selectedText() == "hopp"
    qtbot.keyClick(window.clients.filter, Qt.Key.Key_Escape)
    assert window.clients.filter.text() == ""
    assert names(window) == ["Ada Lovelace", "Grace Hopper"]
