"""The client list's filter bar, segments and bulk actions, driven as a coach would."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft, ClientStatus, ClientType, Objective
from coachdesk.domain.crm import FollowUpDraft
from coachdesk.domain.segments import Segment
from coachdesk.services import clients, crm, segments, vaults
from coachdesk.ui.app import AppController
from coachdesk.ui.main_window import MainWindow
from coachdesk.ui.models.client_table import OVERDUE_COLOR, Column
from coachdesk.ui.views.client_filters import ChoiceButton
from coachdesk.ui.views.clients import ClientsView
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, MakeController, open_app
from tests.ui.test_clients_view import names, stored_clients

S, T, G = ClientStatus, ClientType, Objective
PEOPLE = (
    ("Ada", "Lovelace", S.ACTIVE, T.INDIVIDUAL, G.LEADERSHIP, "Referral"),
    ("Alan", "Turing", S.ACTIVE, T.SPONSORED, G.CAREER_CHANGE, ""),
    ("Dorothy", "Vaughan", S.LEAD, T.INDIVIDUAL, G.EXAM_PREP, "LinkedIn"),
    ("Grace", "Hopper", S.ACTIVE, T.INDIVIDUAL, G.LEADERSHIP, "referral"),
    ("Katherine", "Johnson", S.LEAD, T.GROUP, G.NONE, "Talk"),
    ("Margaret", "Hamilton", S.PAUSED, T.INDIVIDUAL, G.PORTFOLIO, ""),
)
EVERYONE = sorted(f"{first} {last}" for first, last, *_ in PEOPLE)


@dataclass(frozen=True)
class Seeded:
    ids: dict[str, int]


@pytest.fixture
def seeded(existing_vault: Path) -> Seeded:
    """Six clients of different kinds; Grace has a follow-up that is overdue."""
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        ids = {}
        for first, last, status, kind, objective, source in PEOPLE:
            draft = ClientDraft(
                first_name=first,
                last_name=last,
                status=status,
                client_type=kind,
                objective=objective,
                lead_source=source,
                tags=("vip",) if first in ("Ada", "Katherine") else (),
            )
            ids[first] = clients.create_client(vault, draft).id
        due = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=2)
        crm.add_follow_up(vault, ids["Grace"], FollowUpDraft("Send the workbook", due))
    finally:
        vault.close()
    return Seeded(ids)


@pytest.fixture
def app(make_controller: MakeController, seeded: Seeded, qtbot: QtBot) -> AppController:
    """The app unlocked on the seeded vault, stages and segments loaded."""
    controller = make_controller(passphrase=PASSPHRASE)
    window = open_app(qtbot, controller)
    qtbot.waitUntil(lambda: bool(window.clients.filters.stages), timeout=WAIT_MS)
    return controller


def pick(button: ChoiceButton, value: Hashable) -> None:
    """Tick one value in a drop-down, as clicking it in the open menu does."""
    action = button.action_for(value)
    assert action is not None, f"{value!r} is not offered by {button.title}"
    action.trigger()


def menu_texts(actions: list[QAction]) -> list[str]:
    return [a.text() for a in actions if not a.isSeparator()]


def stored_segments(qtbot: QtBot, app: AppController) -> list[Segment]:
    result: list[list[Segment]] = []
    app.ops.run(segments.list_segments, on_done=result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=WAIT_MS)
    return result[0]


def click_row(qtbot: QtBot, view: ClientsView, row: int, modifier: Qt.KeyboardModifier) -> None:
    rect = view.table.visualRect(view.model.index(row, Column.NAME))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def select_rows(qtbot: QtBot, view: ClientsView, first: int, last: int) -> None:
    """Click the first row, shift-click the last."""
    click_row(qtbot, view, first, Qt.KeyboardModifier.NoModifier)
    click_row(qtbot, view, last, Qt.KeyboardModifier.ShiftModifier)


def test_choices_come_from_the_clients(window: MainWindow) -> None:
    bar = window.clients.filters
    tags = menu_texts(bar.tag_button.menu_.actions())
    assert tags == ["Any tags", "vip\t2"]
    sources = menu_texts(bar.source_button.menu_.actions())
    assert sources == [
        "Any lead source",
        "LinkedIn\t1",
        "Referral\t2",
        "Talk\t1",
        "Not recorded\t2",
    ]
    stages = menu_texts(bar.stage_button.menu_.actions())[1:]
    assert [s.split("\t")[0] for s in stages] == [s.name for s in bar.stages]
    assert "Inquiry\t2" in stages and "Active\t4" in stages
    assert bar.overdue_button.text() == "Overdue follow-ups (1)"


def test_ticking_in_the_menu_keeps_it_open_for_more(qtbot: QtBot, window: MainWindow) -> None:
    bar = window.clients.filters
    menu = bar.status_button.menu_
    menu.popup(bar.status_button.mapToGlobal(bar.status_button.rect().bottomLeft()))
    qtbot.waitUntil(menu.isVisible, timeout=WAIT_MS)
    for status in (ClientStatus.LEAD, ClientStatus.PAUSED):
        action = bar.status_button.action_for(status)
        assert action is not None
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        assert menu.isVisible()
        assert action.isChecked()
    assert names(window) == ["Dorothy Vaughan", "Katherine Johnson", "Margaret Hamilton"]
    assert bar.status_button.text() == "Status (2)"
    menu.close()


def test_filters_combine_and_clear(qtbot: QtBot, window: MainWindow) -> None:
    view, bar = window.clients, window.clients.filters
    pick(bar.type_button, ClientType.INDIVIDUAL)
    assert names(window) == ["Ada Lovelace", "Dorothy Vaughan", "Grace Hopper", "Margaret Hamilton"]
    assert bar.type_button.text() == "Type: Individual"
    pick(bar.source_button, "referral")
    assert names(window) == ["Ada Lovelace", "Grace Hopper"]
    pick(bar.tag_button, "vip")
    assert names(window) == ["Ada Lovelace"]
    assert view.count.text() == "Showing 1 of 6 clients"

    qtbot.keyClicks(view.filter, "grace")
    assert names(window) == []
    assert view.empty.isVisible()
    assert "No client matches “grace” with these filters" in view.empty.text.text()
    assert view.empty.button is not None and view.empty.button.text() == "Clear filters"
    qtbot.mouseClick(view.empty.button, Qt.MouseButton.LeftButton)
    assert names(window) == EVERYONE
    assert view.filter.text() == ""
    assert view.count.text() == "6 clients"
    assert bar.type_button.text() == "Type"

    bar.overdue_button.click()
    assert names(window) == ["Grace Hopper"]
    cell = view.model.index(0, Column.NEXT_FOLLOW_UP)
    assert cell.data() == "Overdue (1)"
    assert cell.data(Qt.ItemDataRole.ForegroundRole) == OVERDUE_COLOR
    qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)
    assert len(names(window)) == 6


def test_save_a_segment_see_it_listed_and_apply_it_again(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    view, bar = window.clients, window.clients.filters
    assert menu_texts(bar.segments_menu.actions())[0].startswith("No segments yet")
    assert not bar.save_action.isEnabled()

    pick(bar.status_button, ClientStatus.ACTIVE)
    pick(bar.objective_button, Objective.LEADERSHIP)
    assert names(window) == ["Ada Lovelace", "Grace Hopper"]
    bar.save_action.trigger()
    prompt = bar.prompt
    assert prompt is not None and prompt.isVisible()
    qtbot.keyClicks(prompt.edit, "Spring cohort")
    qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.prompt is None, timeout=WAIT_MS)

    assert "Spring cohort" in menu_texts(bar.segments_menu.actions())
    assert bar.segments_button.text() == "Segment: Spring cohort"
    assert view.count.text() == "Showing 2 of 6 clients · segment: Spring cohort"
    assert window.notice.text() == "Saved the segment “Spring cohort”."
    [stored] = stored_segments(qtbot, app)
    assert stored.name == "Spring cohort"
    assert stored.filter == bar.current_filter()

    # The same name again is refused, in the dialog, with the reason.
    pick(bar.type_button, ClientType.INDIVIDUAL)
    bar.save_action.trigger()
    prompt = bar.prompt
    assert prompt is not None
    qtbot.keyClicks(prompt.edit, "spring COHORT")
    qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: prompt.error.isVisible(), timeout=WAIT_MS)
    assert prompt.error.text() == "There is already a segment called “spring COHORT”."
    qtbot.mouseClick(prompt.cancel_button, Qt.MouseButton.LeftButton)

    qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)
    assert names(window) == EVERYONE
    assert bar.active_segment is None
    assert view.count.text() == "6 clients"

    bar.segment_actions[stored.id].trigger()
    assert names(window) == ["Ada Lovelace", "Grace Hopper"]
    assert bar.status_button.text() == "Status: Active"
    assert view.count.text() == "Showing 2 of 6 clients · segment: Spring cohort"
    assert view.export_shown_action.text() == "Export segment “Spring cohort”…"
    assert view.apply_segment("no such segment") is False

    # Words typed on top narrow the segment; exporting then says what it really exports.
    qtbot.keyClicks(view.filter, "ada")
    assert view.count.text() == "Showing 1 of 6 clients · segment: Spring cohort"
    assert view.export_shown_action.text() == "Export the 1 client shown…"
    view.filter.clear()

    # Changing a condition leaves the segment, and offers to save the change into it.
    pick(bar.type_button, ClientType.INDIVIDUAL)
    assert bar.active_segment is None
    assert view.count.text() == "Showing 2 of 6 clients"
    assert bar.update_action in bar.segments_menu.actions()
    assert bar.update_action.text() == "Save changes to “Spring cohort”"
    bar.update_action.trigger()
    qtbot.waitUntil(lambda: bar.active_segment is not None, timeout=WAIT_MS)
    [stored] = stored_segments(qtbot, app)
    assert stored.filter.types == {ClientType.INDIVIDUAL}
    assert window.notice.text() == "Saved the changes to “Spring cohort”."

    bar.clear_filter()
    assert view.apply_segment("SPRING cohort")
    assert names(window) == ["Ada Lovelace", "Grace Hopper"]


def test_rename_and_delete_a_segment(qtbot: QtBot, app: AppController, window: MainWindow) -> None:
    bar = window.clients.filters
    pick(bar.tag_button, "vip")
    bar.save_action.trigger()
    assert bar.prompt is not None
    qtbot.keyClicks(bar.prompt.edit, "VIPs")
    qtbot.mouseClick(bar.prompt.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.prompt is None, timeout=WAIT_MS)

    [rename] = bar.rename_menu.actions()
    rename.trigger()
    prompt = bar.prompt
    assert prompt is not None and prompt.edit.text() == "VIPs"
    prompt.edit.clear()
    qtbot.keyClicks(prompt.edit, "Top clients")
    qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.clients.count.text().endswith("segment: Top clients"), timeout=WAIT_MS
    )
    assert [s.name for s in stored_segments(qtbot, app)] == ["Top clients"]

    [delete] = bar.delete_menu.actions()
    delete.trigger()
    assert bar.confirm_box is not None
    bar.confirm_delete.click()
    qtbot.waitUntil(lambda: not bar.segments, timeout=WAIT_MS)
    assert stored_segments(qtbot, app) == []
    assert bar.active_segment is None
    assert window.notice.text() == "Deleted the segment “Top clients”. Its clients are unchanged."
    assert names(window) == ["Ada Lovelace", "Katherine Johnson"]  # the filter itself stays


def test_bulk_tag_three_selected_clients_then_undo(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    view = window.clients
    assert not view.selection_bar.isVisible()
    select_rows(qtbot, view, 0, 2)
    assert view.selected_client_ids() == [view.model.id_at(r) for r in range(3)]
    assert view.selection_bar.isVisible()
    assert view.selection_label.text() == "3 selected"

    qtbot.mouseClick(view.add_tag_button, Qt.MouseButton.LeftButton)
    prompt = view.prompt
    assert prompt is not None and "3 clients" in prompt.question.text()
    qtbot.keyClicks(prompt.edit, "Spring Cohort, vip")
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.prompt is None, timeout=WAIT_MS)

    tagged = ["Ada Lovelace", "Alan Turing", "Dorothy Vaughan"]
    for row in range(6):
        cell = view.model.index(row, Column.TAGS).data()
        name = view.model.row_at(row).name
        assert ("spring cohort" in cell) == (name in tagged)
    assert window.notice.text() == "Tagged 3 clients “spring cohort”, “vip”."
    assert view.selected_client_ids() == [view.model.id_at(r) for r in range(3)]
    stored = {c.name: c.tags for c in stored_clients(qtbot, app)}
    assert stored["Ada Lovelace"] == ("spring cohort", "vip")
    assert stored["Alan Turing"] == ("spring cohort", "vip")
    assert stored["Grace Hopper"] == ()

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.notice.text() == "Undone.", timeout=WAIT_MS)
    stored = {c.name: c.tags for c in stored_clients(qtbot, app)}
    assert stored["Ada Lovelace"] == ("vip",)  # she had it before
    assert stored["Alan Turing"] == ()


def test_remove_a_tag_from_the_selection(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    view = window.clients
    view.table.selectAll()
    assert menu_texts(view.remove_tag_menu.actions()) == ["vip\t2"]
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.remove_tag_menu.actions()[0].trigger()
    assert window.notice.text() == "Removed “vip” from 2 clients."
    assert all(not c.tags for c in stored_clients(qtbot, app))


def test_bulk_move_to_a_stage_and_to_lost_with_a_reason(
    qtbot: QtBot, app: AppController, window: MainWindow
) -> None:
    view = window.clients
    select_rows(qtbot, view, 1, 3)
    moving = view.selected_client_ids()
    assert len(moving) == 3
    view.move_menu.aboutToShow.emit()
    stages = {a.text(): a for a in view.move_menu.actions()}
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        stages["Proposal sent"].trigger()
    assert window.notice.text() == "Moved 3 clients to Proposal sent."
    shown = {row.id: row.stage_name for row in view.model.visible_rows()}
    assert [shown[i] for i in moving] == ["Proposal sent"] * 3
    assert view.model.index(view.model.row_of(moving[0]), Column.STAGE).data() == "Proposal sent"
    stored = {c.id: c.stage_name for c in stored_clients(qtbot, app)}
    assert [stored[i] for i in moving] == ["Proposal sent"] * 3

    view.move_menu.aboutToShow.emit()
    stages = {a.text(): a for a in view.move_menu.actions()}
    assert stages["Proposal sent"].isChecked()
    stages["Lost…"].trigger()
    prompt = view.prompt
    assert prompt is not None
    qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    assert prompt.error.text() == "Say why, in a few words."
    qtbot.keyClicks(prompt.edit, "Chose another coach")
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(prompt.ok_button, Qt.MouseButton.LeftButton)
    stored_rows = {c.id: c for c in stored_clients(qtbot, app)}
    assert {stored_rows[i].stage_name for i in moving} == {"Lost"}
    assert {stored_rows[i].status for i in moving} == {ClientStatus.LOST}


def test_context_menu_offers_the_bulk_actions(qtbot: QtBot, window: MainWindow) -> None:
    view = window.clients
    select_rows(qtbot, view, 0, 1)
    view.table.customContextMenuRequested.emit(QPoint(10, 10))
    menus = [w for w in view.findChildren(type(view.move_menu)) if w.isVisible()]
    assert menus, "the context menu did not open"
    texts = menu_texts(menus[0].actions())
    for wanted in ("Add tag…", "Remove tag", "Move to stage", "Export the 2 selected…"):
        assert wanted in texts
    menus[0].close()


@pytest.mark.parametrize(("suffix", "marker"), [("csv", "First name"), ("vcf", "BEGIN:VCARD")])
def test_export_selected_and_the_segment(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, suffix: str, marker: str
) -> None:
    pytest.importorskip(
        "coachdesk.services.transfer", reason="the transfer service is not here yet"
    )
    view = window.clients
    select_rows(qtbot, view, 0, 1)
    view.export_selected_action.trigger()
    dialog = view.export_dialog
    assert dialog is not None
    target = tmp_path / f"two.{suffix}"
    dialog.selectFile(str(target))
    dialog.accept()
    kind = "vCard" if suffix == "vcf" else "CSV"
    done = f"Exported 2 clients to the {kind} file “two.{suffix}”."
    qtbot.waitUntil(lambda: window.notice.text() == done, timeout=WAIT_MS)
    text = target.read_bytes().decode("utf-8-sig")
    assert marker in text
    assert "Lovelace" in text and "Turing" in text and "Vaughan" not in text
    assert not list(tmp_path.glob(".*.part"))

    pick(view.filters.status_button, ClientStatus.LEAD)
    assert view.export_shown_action.text() == "Export the 2 clients shown…"
    view.export_shown_action.trigger()
    dialog = view.export_dialog
    assert dialog is not None
    target = tmp_path / f"leads.{suffix}"
    dialog.selectFile(str(target))
    dialog.accept()
    qtbot.waitUntil(lambda: window.notice.text().endswith(f"“leads.{suffix}”."), timeout=WAIT_MS)
    text = target.read_bytes().decode("utf-8-sig")
    assert "Vaughan" in text and "Johnson" in text and "Lovelace" not in text
