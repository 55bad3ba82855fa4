"""The Documents area: edit a template with a live preview, save versions, see history, go back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pypdfium2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from coachdesk.documents.types import template_names
from coachdesk.domain.documents import TemplateOrigin
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import documents, practice
from coachdesk.ui.dialogs.template_history import ADDED_BACKGROUND, TemplateHistoryDialog
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views import templates
from coachdesk.ui.views.templates import VALUE_COLOR, CodeEditor, TemplatesView
from tests.ui.conftest import WAIT_MS, activate
from tests.ui.test_client_page import add_client, click, on_lane, ops

__all__ = ["ops"]

HEADING = "<h2>Quarterly check-in</h2>"


def show_view(qtbot: QtBot, ops: VaultOps) -> TemplatesView:
    view = TemplatesView(ops)
    qtbot.addWidget(view)
    view.resize(1100, 720)
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        view.show()
    return view


def choose(qtbot: QtBot, view: TemplatesView, title: str) -> None:
    """Click a template in the list, as the coach does."""
    items = view.template_list.findItems(title, Qt.MatchFlag.MatchStartsWith)
    assert items, title
    rect = view.template_list.visualItemRect(items[0])
    qtbot.mouseClick(view.template_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_template(qtbot: QtBot, view: TemplatesView, title: str) -> None:
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        choose(qtbot, view, title)
    assert view.title.text() == title


def previewed(qtbot: QtBot, view: TemplatesView) -> None:
    """Wait until the preview shows the text in the editor."""
    qtbot.waitUntil(lambda: view.previewed_source == view.source(), timeout=WAIT_MS)


def cursor_at_end_of_line(view: TemplatesView, line: int) -> None:
    block = view.editor.document().findBlockByNumber(line - 1)
    cursor = QTextCursor(block)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    view.editor.setTextCursor(cursor)
    view.editor.setFocus()


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def status_of(view: TemplatesView, title: str) -> str:
    item = view.template_list.findItems(title, Qt.MatchFlag.MatchStartsWith)[0]
    return str(item.data(templates.STATUS_ROLE))


def answer(box: QMessageBox | None, text: str) -> None:
    assert box is not None and box.isVisible()
    button = next(b for b in box.buttons() if b.text() == text)
    click_button(button)


def click_button(button: QWidget) -> None:
    button.click()  # type: ignore[attr-defined]


def test_typing_updates_the_preview_and_save_keeps_a_version_with_its_note(
    qtbot: QtBot, ops: VaultOps
) -> None:
    view = show_view(qtbot, ops)
    assert view.template_list.count() == len(template_names())  # every type and the e-mail
    open_template(qtbot, view, "Progress report")
    assert view.preview.page_count > 0
    assert "Filled in for the sample client" in view.preview_state.text()
    assert status_of(view, "Progress report") == "Built-in"
    assert not view.save_button.isEnabled()
    assert not view.restore_button.isEnabled()

    assert view.editor.document().findBlockByNumber(2).text() == "<h1>Progress report</h1>"
    cursor_at_end_of_line(view, 3)
    qtbot.keyClick(view.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(view.editor, HEADING)
    assert view.has_unsaved_changes
    assert view.title.text() == "Progress report •"
    assert view.template_list.currentItem().text() == "Progress report •"
    assert view.version_label.text() == "Built-in · unsaved changes"
    previewed(qtbot, view)
    assert view.preview.page_count > 0
    assert not view.problem_bar.isVisible()
    shown = on_lane(
        qtbot,
        ops,
        lambda vault: documents.preview_pdf(vault, "progress_report", view.previewed_source or ""),
    )
    assert "Quarterly check-in" in pdf_text(shown)

    qtbot.keyClicks(view.note_edit, "Added a check-in heading")
    activate(qtbot, view)
    with qtbot.waitSignal(view.dirty_changed, timeout=WAIT_MS) as saved:
        qtbot.keyClick(view.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.args == [False]
    assert view.title.text() == "Progress report"
    assert view.note_edit.text() == ""
    assert view.version_label.text() == "Version 2 · edited today"
    assert status_of(view, "Progress report") == "Version 2 · edited today"

    history = on_lane(
        qtbot, ops, lambda vault: documents.template_history(vault, "progress_report")
    )
    assert [v.number for v in history] == [2, 1]
    assert history[0].note == "Added a check-in heading"
    assert history[0].origin is TemplateOrigin.EDITED
    in_use = on_lane(qtbot, ops, lambda vault: documents.template_in_use(vault, "progress_report"))
    assert in_use.source == view.source()
    assert f"<h1>Progress report</h1>\n{HEADING}\n" in in_use.source


def test_a_misspelt_name_shows_its_line_and_save_refuses(qtbot: QtBot, ops: VaultOps) -> None:
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "Progress report")
    pages = view.preview.page_count
    assert view.editor.find("client.full_name")
    assert view.editor.textCursor().blockNumber() + 1 == 4
    qtbot.keyClicks(view.editor, "client.frist_name")

    qtbot.waitUntil(view.problem_bar.isVisible, timeout=WAIT_MS)
    assert view.problem_bar.text.startswith("Line 4: There is no field called 'frist_name' here.")
    assert view.editor.error_line == 4
    assert view.preview_state.text().startswith("Out of date")
    assert view.preview.page_count == pages  # the last good preview stays, greyed

    view.editor.moveCursor(QTextCursor.MoveOperation.End)
    click(qtbot, view.problem_bar.show_button)
    assert view.editor.textCursor().blockNumber() + 1 == 4
    view.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.mouseClick(view.problem_bar.message, Qt.MouseButton.LeftButton)
    assert view.editor.textCursor().blockNumber() + 1 == 4

    click(qtbot, view.save_button)
    qtbot.waitUntil(lambda: view.problem_bar.text.startswith("Not saved."), timeout=WAIT_MS)
    assert "Line 4: There is no field called 'frist_name'" in view.problem_bar.text
    assert view.has_unsaved_changes
    history = on_lane(
        qtbot, ops, lambda vault: documents.template_history(vault, "progress_report")
    )
    assert len(history) == 1

    view.editor.moveCursor(QTextCursor.MoveOperation.Start)
    assert view.editor.find("client.frist_name")
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        qtbot.keyClicks(view.editor, "client.full_name")
    assert not view.problem_bar.isVisible()
    assert view.preview_state.text().startswith("Filled in for the sample client")
    assert view.editor.error_line is None
    assert not view.has_unsaved_changes


def test_only_the_newest_text_is_previewed(qtbot: QtBot, ops: VaultOps) -> None:
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "Certificate of completion")
    updates: list[int] = []
    view.preview_updated.connect(updates.append)
    release = threading.Event()
    ops.lane.run(lambda _job: release.wait(WAIT_MS / 1000), context="holding the lane")
    try:
        view.editor.moveCursor(QTextCursor.MoveOperation.End)
        qtbot.keyClicks(view.editor, "<p>First</p>")
        qtbot.wait(templates.PREVIEW_DELAY_MS + 200)  # its preview waits behind the held lane
        qtbot.keyClicks(view.editor, "<p>Second</p>")
    finally:
        release.set()
    previewed(qtbot, view)
    assert view.previewed_source is not None
    assert view.previewed_source.endswith("<p>First</p><p>Second</p>")
    assert updates == [view.preview.page_count]


def test_typing_on_while_a_save_runs_is_kept_as_unsaved(qtbot: QtBot, ops: VaultOps) -> None:
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "Certificate of completion")
    view.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(view.editor, "<p>First</p>")
    saved_text = view.source()
    release = threading.Event()
    ops.lane.run(lambda _job: release.wait(WAIT_MS / 1000), context="holding the lane")
    try:
        click(qtbot, view.save_button)
        qtbot.keyClicks(view.editor, "<p>Second</p>")
    finally:
        release.set()
    qtbot.waitUntil(lambda: view.template_list.currentItem().text().endswith("•"), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: (
            on_lane(qtbot, ops, lambda v: documents.template_in_use(v, "certificate")).number == 2
        ),
        timeout=WAIT_MS,
    )
    assert view.source() == saved_text + "<p>Second</p>"
    assert view.has_unsaved_changes
    saved = on_lane(qtbot, ops, lambda v: documents.template_in_use(v, "certificate"))
    assert saved.source == saved_text


def test_history_shows_what_changed_and_reverts_to_version_one(qtbot: QtBot, ops: VaultOps) -> None:
    first = on_lane(qtbot, ops, lambda vault: documents.template_in_use(vault, "progress_report"))
    changed = first.source.replace(
        "<h1>Progress report</h1>\n", f"<h1>Progress report</h1>\n{HEADING}\n"
    )
    on_lane(
        qtbot,
        ops,
        lambda vault: documents.save_template(vault, "progress_report", changed, "Check-in"),
    )
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "Progress report")
    assert view.source() == changed

    click(qtbot, view.history_button)
    dialog = view.history_dialog
    assert isinstance(dialog, TemplateHistoryDialog)
    qtbot.waitUntil(lambda: len(dialog.versions) == 2, timeout=WAIT_MS)
    assert dialog.version_list.topLevelItem(0).text(0) == "2  (in use)"
    assert dialog.version_list.topLevelItem(0).text(3) == "Check-in"
    assert dialog.version_list.topLevelItem(1).text(2) == "Built-in template"
    selected = dialog.selected()
    assert selected is not None and selected.number == 1
    assert dialog.caption.text().startswith("What changed from version 1 to version 2")
    assert ("added", f"+{HEADING}") in dialog.diff_view.rows
    block = dialog.diff_view.document().begin()
    while block.isValid() and block.text() != f"+{HEADING}":
        block = block.next()
    assert block.isValid()
    assert block.blockFormat().background().color() == ADDED_BACKGROUND

    dialog.select_version(2)
    assert dialog.caption.text().startswith("Version 2 is the one in use")
    assert not dialog.revert_button.isEnabled()
    dialog.select_version(1)
    assert dialog.revert_button.isEnabled()
    click(qtbot, dialog.revert_button)
    with qtbot.waitSignal(dialog.reverted, timeout=WAIT_MS):
        answer(dialog.confirm_box, "Revert")
    qtbot.waitUntil(lambda: view.history_dialog is None, timeout=WAIT_MS)

    assert view.source() == first.source
    assert not view.has_unsaved_changes
    assert view.version_label.text() == "Version 3 · reverted today"
    history = on_lane(
        qtbot, ops, lambda vault: documents.template_history(vault, "progress_report")
    )
    assert [v.number for v in history] == [3, 2, 1]
    assert history[0].source == history[2].source == first.source
    assert history[0].origin is TemplateOrigin.REVERTED


def test_restore_built_in_template(qtbot: QtBot, ops: VaultOps) -> None:
    builtin = documents.builtin_source("coaching_plan")
    mine = builtin.replace("<h1>", "<h1>My ", 1)
    on_lane(qtbot, ops, lambda vault: documents.save_template(vault, "coaching_plan", mine))
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "Coaching plan")
    assert view.source() == mine
    assert view.restore_button.isEnabled()

    click(qtbot, view.restore_button)
    with qtbot.waitSignal(view.notice, timeout=WAIT_MS) as notice:
        answer(view.confirm_box, "Restore built-in")
    assert notice.args[0] == "“Coaching plan” is CoachDesk's built-in template again (version 3)."
    assert view.source() == builtin
    assert not view.restore_button.isEnabled()
    in_use = on_lane(qtbot, ops, lambda vault: documents.template_in_use(vault, "coaching_plan"))
    assert in_use.number == 3 and in_use.origin is TemplateOrigin.BUILT_IN


def test_switching_or_leaving_with_unsaved_changes_asks_first(
    qtbot: QtBot, ops: VaultOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[int] = []
    asked: list[bool] = []

    def ask(_parent: QWidget, on_answer: Callable[[int], None]) -> None:
        asked.append(True)
        on_answer(answers.pop(0))

    monkeypatch.setattr(templates, "ask_discard", ask)
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "Progress report")
    view.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(view.editor, "<p>Draft</p>")
    edited = view.source()

    answers.append(QMessageBox.StandardButton.Cancel.value)
    choose(qtbot, view, "Coaching plan")
    assert asked == [True]
    assert view.current_key == "progress_report"
    assert view.source() == edited
    assert view.template_list.currentItem().text() == "Progress report •"

    answers.append(QMessageBox.StandardButton.Discard.value)
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        choose(qtbot, view, "Coaching plan")
    assert view.current_key == "coaching_plan"
    assert view.source() == documents.builtin_source("coaching_plan")
    assert not view.has_unsaved_changes
    assert view.template_list.findItems("Progress report", Qt.MatchFlag.MatchExactly)

    left: list[bool] = []
    view.maybe_leave(lambda: left.append(True))
    assert left == [True] and len(asked) == 2  # nothing unsaved: no question
    qtbot.keyClicks(view.editor, "x")
    answers.append(QMessageBox.StandardButton.Cancel.value)
    view.maybe_leave(lambda: left.append(True))
    assert left == [True] and view.has_unsaved_changes
    answers.append(QMessageBox.StandardButton.Discard.value)
    view.maybe_leave(lambda: left.append(True))
    assert left == [True, True] and not view.has_unsaved_changes


def test_email_preview_shows_subject_and_body_for_a_real_client(
    qtbot: QtBot, ops: VaultOps
) -> None:
    profile = PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
    on_lane(qtbot, ops, lambda vault: practice.save_profile(vault, profile))
    add_client(qtbot, ops, "Ada", "Lovelace")
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "E-mail to client")
    assert view.email_view.isVisible() and not view.preview.isVisible()
    assert view.email_subject.text() == "Session summary from Rivera Coaching"
    assert view.email_body.toPlainText().startswith("Hi Al,")

    index = view.client_combo.findText("Ada Lovelace")
    assert index > 0
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        view.client_combo.setCurrentIndex(index)
    assert view.email_body.toPlainText().startswith("Hi Ada,")
    assert view.preview_state.text().startswith("Filled in for Ada Lovelace")

    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        view.email_kind_combo.setCurrentIndex(view.email_kind_combo.findData("certificate"))
    assert view.email_subject.text() == "Certificate of completion from Rivera Coaching"
    assert "Congratulations" in view.email_body.toPlainText()

    view.editor.moveCursor(QTextCursor.MoveOperation.Start)
    view.editor.moveCursor(QTextCursor.MoveOperation.EndOfBlock)
    qtbot.keyClicks(view.editor, " {{ client.nickname }}")
    qtbot.waitUntil(view.problem_bar.isVisible, timeout=WAIT_MS)
    assert view.problem_bar.text.startswith("Line 1: There is no field called 'nickname'")


def test_a_real_client_fills_in_the_document_preview(qtbot: QtBot, ops: VaultOps) -> None:
    add_client(qtbot, ops, "Grace", "Hopper")
    view = show_view(qtbot, ops)
    open_template(qtbot, view, "Session summary")
    with qtbot.waitSignal(view.preview_updated, timeout=WAIT_MS):
        view.client_combo.setCurrentIndex(view.client_combo.findText("Grace Hopper"))
    assert view.preview.page_count > 0
    assert view.preview_state.text().startswith("Filled in for Grace Hopper")


def test_code_editor_indents_with_two_spaces_and_colours_template_parts(qtbot: QtBot) -> None:
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClicks(editor, "<li>{{ goal.objective }}</li>")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "x")
    assert editor.toPlainText() == "  <li>{{ goal.objective }}</li>\n  x"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab)
    assert editor.toPlainText().endswith("\nx")

    block = editor.document().firstBlock()
    colours: dict[int, Any] = {}
    for part in block.layout().formats():
        colours[part.start] = part.format.foreground().color()
    start = block.text().index("{{")
    assert colours[start] == VALUE_COLOR
    assert editor.gutter_width() > editor.fontMetrics().horizontalAdvance("999")
