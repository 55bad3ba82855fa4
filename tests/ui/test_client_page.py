"""A client's page as a coach uses it: notes with history, goals with milestones, follow-ups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QDate, QModelIndex, QPoint, Qt, QTime
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
    QStyle,
    QStyleOptionViewItem,
    QTreeView,
)
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.crm import (
    FollowUpDraft,
    Goal,
    GoalDraft,
    GoalStatus,
    Milestone,
    MilestoneDraft,
    Note,
    NoteDraft,
    NoteKind,
    Recurrence,
)
from coachdesk.services import clients, crm
from coachdesk.store.vault import Vault
from coachdesk.ui.app import AppController
from coachdesk.ui.dialogs.follow_up_editor import FollowUpEditor
from coachdesk.ui.dialogs.goal_editor import GoalEditor
from coachdesk.ui.dialogs.note_editor import NoteEditor, NoteHistoryDialog
from coachdesk.ui.lanes import Lane
from coachdesk.ui.models.crm_lists import (
    PROGRESS_ROLE,
    WARNING_COLOR,
    FollowUpColumn,
    GoalModel,
    NoteModel,
)
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.views.client_page import ClientPage
from tests.ui.conftest import WAIT_MS, on_lane

T = TypeVar("T")


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    """Vault operations over a real vault on its own db lane, as the app has them."""
    lane = Lane("db")
    made = VaultOps(lane)
    made.open(vault, UnlockMode.PASSPHRASE)
    yield made
    lane.shutdown(wait=True)


def add_client(
    qtbot: QtBot, ops: VaultOps, first: str, last: str, status: ClientStatus = ClientStatus.ACTIVE
) -> Client:
    draft = ClientDraft(first_name=first, last_name=last, status=status)
    return on_lane(qtbot, ops, lambda vault: clients.create_client(vault, draft))


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def show_page(qtbot: QtBot, ops: VaultOps, client: Client, tab: str = "overview") -> ClientPage:
    page = ClientPage(ops)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "overview"):
        page.set_client(client)
    if tab != "overview":
        with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == tab):
            page.show_tab(tab)
    return page


def click(qtbot: QtBot, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def save_and_wait(qtbot: QtBot, page: ClientPage, editor: Any, tab: str) -> None:
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == tab, timeout=WAIT_MS):
        click(qtbot, editor.save_button)
    qtbot.waitUntil(lambda: page.editor is None, timeout=WAIT_MS)


def click_row(qtbot: QtBot, view: Any, index: QModelIndex) -> None:
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def double_click_row(qtbot: QtBot, view: Any, index: QModelIndex) -> None:
    """Press, release, then the double click, as a mouse sends them."""
    click_row(qtbot, view, index)
    rect = view.visualRect(index)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# Overview -------------------------------------------------------------------------------


def test_overview_shows_stage_contact_and_history_and_logs_contact(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace", ClientStatus.LEAD)
    page = show_page(qtbot, ops, client)
    assert page.name.text() == "Ada Lovelace"
    assert page.values["stage"].text() == "Inquiry · since today"
    assert page.values["last_contact"].text() == "No contact recorded yet"
    assert page.values["client_type"].text() == "Individual"
    assert page.stage_history.text().startswith("Added to Inquiry, ")

    notices: list[str] = []
    page.notice.connect(lambda message, _undo: notices.append(message))
    click(qtbot, page.log_contact_button)
    qtbot.waitUntil(lambda: page.values["last_contact"].text().startswith("Today"), timeout=WAIT_MS)
    assert notices == ["Logged contact with Ada Lovelace today."]
    stored = on_lane(qtbot, ops, lambda vault: clients.get_client(vault, client.id))
    assert stored.last_contact_at is not None


# Notes ----------------------------------------------------------------------------------


def test_add_a_note_then_edit_it_and_history_shows_the_old_text(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    page = show_page(qtbot, ops, client, "notes")
    assert page.notes_empty.isVisible()
    assert page.tabs.tabText(1) == "Notes"

    click(qtbot, page.new_note_button)
    editor = page.editor
    assert isinstance(editor, NoteEditor)
    assert editor.kind.currentText() == "Session"
    click(qtbot, editor.save_button)
    assert editor.errors.message("text") == "A note needs some text."
    assert editor.isVisible()

    qtbot.keyClicks(editor.text, "Wants to move into product management.")
    qtbot.keyClicks(editor.themes, "career change, confidence")
    qtbot.keyClicks(editor.blockers, "no portfolio")
    save_and_wait(qtbot, page, editor, "notes")

    assert page.notes_table.isVisible()
    assert page.tabs.tabText(1) == "Notes (1)"
    model = page.note_model
    cells = [model.data(model.index(0, column)) for column in range(model.columnCount())]
    assert cells[1:] == [
        "Session",
        "Wants to move into product management.",
        "career change, confidence",
        "no portfolio",
    ]
    assert "Wants to move into product management." in page.note_preview.toPlainText()
    assert not page.note_history_button.isEnabled()

    click(qtbot, page.open_note_button)
    editor = page.editor
    assert isinstance(editor, NoteEditor)
    assert editor.text.toPlainText() == "Wants to move into product management."
    editor.text.clear()
    qtbot.keyClicks(editor.text, "Decided on UX research instead.")
    save_and_wait(qtbot, page, editor, "notes")

    note = model.note_at(0)
    assert (note.text, note.version) == ("Decided on UX research instead.", 2)
    assert page.note_history_button.isEnabled()
    click(qtbot, page.note_history_button)
    history = page.history_dialog
    assert isinstance(history, NoteHistoryDialog)
    qtbot.waitUntil(lambda: history.list.count() == 2, timeout=WAIT_MS)
    current, earlier = history.version_texts()
    assert current.startswith("Current (version 2)\nSaved ")
    assert earlier.startswith("Version 1\nSaved ")
    assert "Decided on UX research instead." in history.reader.toPlainText()
    click_row(qtbot, history.list, history.list.model().index(1, 0))
    assert "Wants to move into product management." in history.reader.toPlainText()
    assert history.reader.isReadOnly()


def test_cancel_a_changed_note_asks_and_delete_asks_first(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    note = NoteDraft(NoteKind.DISCOVERY, date(2026, 3, 4), "First call.", ("money",))
    on_lane(qtbot, ops, lambda vault: crm.add_note(vault, client.id, note))
    page = show_page(qtbot, ops, client, "notes")

    click(qtbot, page.new_note_button)
    editor = page.editor
    assert isinstance(editor, NoteEditor)
    qtbot.keyClicks(editor.text, "Half a thought")
    click(qtbot, editor.cancel_button)
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox) and box.text().startswith("You have changes")
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: page.editor is None, timeout=WAIT_MS)

    click(qtbot, page.delete_note_button)
    assert page.confirm_box is not None
    assert page.confirm_box.text() == "Delete this discovery call note from 4 Mar 2026?"
    assert page.confirm_yes is not None
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "notes"):
        page.confirm_yes.click()
    assert page.notes_empty.isVisible()
    assert on_lane(qtbot, ops, lambda vault: crm.list_notes(vault, client.id)) == []


def test_open_note_selects_it_for_search_hits(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")

    def write(vault: Vault) -> list[Note]:
        return [
            crm.add_note(
                vault, client.id, NoteDraft(NoteKind.SESSION, date(2026, 1, d), f"Day {d}")
            )
            for d in (1, 2, 3)
        ]

    made = on_lane(qtbot, ops, write)
    page = show_page(qtbot, ops, client)
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "notes"):
        page.open_note(made[0].id)
    assert page.current_tab == "notes"
    assert page.notes_table.currentIndex().row() == 2
    assert page.note_preview.toPlainText().endswith("Day 1")


# Goals ----------------------------------------------------------------------------------


def check_indicator(view: QTreeView, index: QModelIndex) -> QPoint:
    """Where a row's check box is drawn."""
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = view.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    rect = view.style().subElementRect(
        QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view
    )
    return rect.center()


def test_add_a_goal_with_milestones_and_tick_one(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    page = show_page(qtbot, ops, client, "goals")
    assert page.goals_empty.isVisible()

    click(qtbot, page.new_goal_button)
    editor = page.editor
    assert isinstance(editor, GoalEditor)
    qtbot.keyClicks(editor.objective, "Land a UX research role")
    qtbot.keyClicks(editor.measure, "A signed offer")
    click(qtbot, editor.target.check)
    editor.target.edit.setDate(QDate(2027, 6, 30))
    editor.progress.selectAll()
    qtbot.keyClicks(editor.progress, "20")
    click(qtbot, editor.milestones.add_button)
    qtbot.keyClicks(editor.milestones.rows[0].title, "Portfolio of three studies")
    click(qtbot, editor.milestones.add_button)
    qtbot.keyClicks(editor.milestones.rows[1].title, "Five applications sent")
    save_and_wait(qtbot, page, editor, "goals")

    model = page.goal_model
    assert model.rowCount() == 1
    assert "Measured by: A signed offer" in page.goal_detail.text()
    goal_index = model.index(0, 0)
    assert model.data(goal_index) == "Land a UX research role"
    assert model.data(model.index(0, 1), PROGRESS_ROLE) == 20
    assert model.data(model.index(0, 3)) == "30 Jun 2027"
    assert model.rowCount(goal_index) == 2
    assert [model.data(model.index(r, 0, goal_index)) for r in range(2)] == [
        "Portfolio of three studies",
        "Five applications sent",
    ]
    assert page.tabs.tabText(2) == "Goals (1)"

    first = model.index(0, 0, goal_index)
    assert model.data(first, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "goals"):
        qtbot.mouseClick(
            page.goals_tree.viewport(),
            Qt.MouseButton.LeftButton,
            pos=check_indicator(page.goals_tree, first),
        )
    first = model.index(0, 0, model.index(0, 0))
    assert model.data(first, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.data(model.index(0, 2, model.index(0, 0))) == "Done"

    stored = on_lane(qtbot, ops, lambda vault: crm.list_goals(vault, client.id))
    assert [m.done_at is not None for m in stored[0].milestones] == [True, False]
    assert stored[0].measure == "A signed offer"

    click_row(qtbot, page.goals_tree, model.index(0, 1))
    assert "Measured by: A signed offer" in page.goal_detail.text()
    assert "1 of 2 milestones done." in page.goal_detail.text()


def test_goal_editor_keeps_ticks_when_editing(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    goal = on_lane(
        qtbot,
        ops,
        lambda vault: crm.add_goal(
            vault,
            client.id,
            GoalDraft("Pass the exam", status=GoalStatus.ON_TRACK),
            (MilestoneDraft("Mock one", done=True), MilestoneDraft("Mock two")),
        ),
    )
    page = show_page(qtbot, ops, client)
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "goals"):
        page.open_goal(goal.id)
    click(qtbot, page.edit_goal_button)
    editor = page.editor
    assert isinstance(editor, GoalEditor)
    assert [row.done.isChecked() for row in editor.milestones.rows] == [True, False]
    click(qtbot, editor.milestones.rows[1].remove)
    editor.objective.clear()
    click(qtbot, editor.save_button)
    assert editor.errors.message("objective") == "Say what the goal is."
    qtbot.keyClicks(editor.objective, "Pass the exam in June")
    save_and_wait(qtbot, page, editor, "goals")
    stored = on_lane(qtbot, ops, lambda vault: crm.list_goals(vault, client.id))
    assert stored[0].objective == "Pass the exam in June"
    assert [(m.title, m.done_at is not None) for m in stored[0].milestones] == [("Mock one", True)]


# Follow-ups -----------------------------------------------------------------------------


def test_an_overdue_follow_up_added_through_the_form_is_marked_overdue(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    page = show_page(qtbot, ops, client, "follow_ups")
    assert page.follow_ups_empty.isVisible()

    click(qtbot, page.new_follow_up_button)
    editor = page.editor
    assert isinstance(editor, FollowUpEditor)
    assert editor.windowTitle() == "New follow-up for Ada Lovelace"
    qtbot.keyClicks(editor.title_edit, "Send the CV template")
    late = datetime.now() - timedelta(days=2)
    editor.due_date.setDate(QDate(late.year, late.month, late.day))
    editor.due_time.setTime(QTime(late.hour, late.minute))
    assert editor.when_hint.text() == "This time has passed: the follow-up will show as overdue."
    save_and_wait(qtbot, page, editor, "follow_ups")

    model = page.follow_up_model
    assert model.section_titles() == ["Overdue"]
    selected = model.follow_up_at(page.follow_ups_tree.currentIndex())
    assert selected is not None and selected.title == "Send the CV template"
    row = model.index_of(model.follow_ups()[0].id, model.column(FollowUpColumn.STATE))
    assert model.data(row) == "Overdue · 2 days late"
    assert model.data(row, Qt.ItemDataRole.ForegroundRole) == WARNING_COLOR
    assert page.tabs.tabText(3) == "Follow-ups (1 overdue)"
    stored = on_lane(qtbot, ops, lambda vault: crm.list_follow_ups(vault, client.id))
    local = late.replace(second=0, microsecond=0).astimezone()
    assert stored[0].due_at == local.astimezone(UTC).replace(tzinfo=None)


def test_done_on_a_weekly_follow_up_schedules_the_next_and_undo_takes_it_back(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    due = (utc_now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    weekly = FollowUpDraft("Weekly check-in", due, Recurrence.WEEKLY)
    made = on_lane(qtbot, ops, lambda vault: crm.add_follow_up(vault, client.id, weekly))
    page = show_page(qtbot, ops, client, "follow_ups")
    notices: list[tuple[str, Any]] = []
    page.notice.connect(lambda message, undo: notices.append((message, undo)))

    model = page.follow_up_model
    click_row(qtbot, page.follow_ups_tree, model.index_of(made.id))
    assert page.follow_up_actions.done_button.isEnabled()
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "follow_ups"):
        click(qtbot, page.follow_up_actions.done_button)

    assert model.section_titles() == ["Coming up", "Done"]
    following = model.follow_ups()[0]
    assert following.due_at == due + timedelta(weeks=1)
    assert following.recurrence is Recurrence.WEEKLY
    assert model.follow_ups()[1].id == made.id
    message, undo = notices[-1]
    assert message.startswith("Marked “Weekly check-in” done. The next one is due ")

    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "follow_ups"):
        undo()
    assert model.section_titles() == ["Overdue"]
    assert [f.id for f in model.follow_ups()] == [made.id]


def test_snooze_and_delete_on_the_page(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    late = FollowUpDraft("Call back", utc_now() - timedelta(hours=1))
    made = on_lane(qtbot, ops, lambda vault: crm.add_follow_up(vault, client.id, late))
    page = show_page(qtbot, ops, client)
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "follow_ups"):
        page.open_follow_up(made.id)
    assert page.follow_up_model.section_titles() == ["Overdue"]
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "follow_ups"):
        page.follow_up_actions.snooze_menu.actions()[0].trigger()
    assert page.follow_up_model.section_titles() == ["Coming up"]

    click_row(qtbot, page.follow_ups_tree, page.follow_up_model.index_of(made.id))
    click(qtbot, page.delete_follow_up_button)
    assert page.confirm_yes is not None
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "follow_ups"):
        page.confirm_yes.click()
    assert page.follow_ups_empty.isVisible()


def test_clear_forgets_everything_shown(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    note = NoteDraft(NoteKind.SESSION, date(2026, 1, 5), "Private words")
    on_lane(qtbot, ops, lambda vault: crm.add_note(vault, client.id, note))
    page = show_page(qtbot, ops, client, "notes")
    assert page.note_model.rowCount() == 1
    page.clear()
    assert page.client is None
    assert page.name.text() == ""
    assert page.note_model.rowCount() == 0
    assert page.note_preview.toPlainText() == ""


# Models ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 3, 12, 0)


def test_note_and_goal_models_pass_the_model_tester(qtmodeltester: ModelTester) -> None:
    notes = NoteModel()
    notes.set_notes(
        [
            Note(
                1, 1, NoteKind.SESSION, date(2026, 11, 2), "Text\nmore", ("a",), ("b",), 1, NOW, NOW
            ),
            Note(2, 1, NoteKind.GENERAL, date(2026, 10, 2), "Other", (), (), 3, NOW, NOW),
        ]
    )
    qtmodeltester.check(notes)
    assert notes.data(notes.index(0, 2)) == "Text"

    goals = GoalModel()
    milestones = (
        Milestone(1, 1, "Step one", date(2026, 12, 1), NOW, 0),
        Milestone(2, 1, "Step two", None, None, 1),
    )
    goals.set_goals(
        [
            Goal(
                1,
                1,
                "Goal",
                "Measure",
                date(2027, 1, 1),
                GoalStatus.ON_TRACK,
                40,
                NOW,
                NOW,
                milestones,
            ),
            Goal(2, 1, "Empty goal", "", None, GoalStatus.NOT_STARTED, 0, NOW, NOW),
        ]
    )
    qtmodeltester.check(goals)
    toggled: list[tuple[int, int, bool]] = []
    goals.milestone_toggled.connect(lambda *args: toggled.append(args))
    second = goals.index(1, 0, goals.index(0, 0))
    assert goals.setData(second, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert toggled == [(1, 2, True)]
    assert goals.data(second, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked


def test_the_client_list_opens_the_tabbed_page(qtbot: QtBot, app: AppController) -> None:
    window = app.main_window
    assert window is not None
    draft = ClientDraft(first_name="Grace", last_name="Hopper", status=ClientStatus.ACTIVE)
    with qtbot.waitSignal(window.clients.loaded, timeout=WAIT_MS):
        grace = on_lane(qtbot, app.ops, lambda vault: clients.create_client(vault, draft))
        app.ops.changed.emit("clients")
    late = FollowUpDraft("Send the reading list", utc_now() - timedelta(days=1, hours=2))
    on_lane(qtbot, app.ops, lambda vault: crm.add_follow_up(vault, grace.id, late))

    page = window.clients.page
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "overview"):
        window.clients.open_client(grace.id)
    assert page.isVisible() and page.current_tab == "overview"
    assert page.name.text() == "Grace Hopper"
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "follow_ups"):
        page.show_tab("follow_ups")
    model = page.follow_up_model
    state = model.index_of(model.follow_ups()[0].id, model.column(FollowUpColumn.STATE))
    assert model.data(state) == "Overdue · 1 day late"
    click(qtbot, page.back_button)
    assert window.clients.table.isVisible()
