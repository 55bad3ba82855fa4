"""The Due list: overdue follow-ups first and how late, the next week after; Done and Snooze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.crm import FollowUp, FollowUpDraft, Recurrence
from coachdesk.services import crm
from coachdesk.ui.models.crm_lists import WARNING_COLOR, FollowUpColumn, FollowUpModel
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.due import DueView
from tests.ui.conftest import WAIT_MS
from tests.ui.test_client_page import (
    add_client,
    click_row,
    double_click_row,
    on_lane,
    ops,
    utc_now,
)

__all__ = ["ops"]


def show_due(qtbot: QtBot, ops: VaultOps) -> DueView:
    view = DueView(ops)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.show()
    return view


def add_follow_up(
    qtbot: QtBot,
    ops: VaultOps,
    client_id: int,
    title: str,
    due: datetime,
    recurrence: Recurrence = Recurrence.NONE,
) -> FollowUp:
    draft = FollowUpDraft(title, due.replace(second=0, microsecond=0), recurrence)
    return on_lane(qtbot, ops, lambda vault: crm.add_follow_up(vault, client_id, draft))


def cell(view: DueView, follow_up_id: int, column: FollowUpColumn, role: Any = None) -> Any:
    index = view.model.index_of(follow_up_id, view.model.column(column))
    return view.model.data(index, role or Qt.ItemDataRole.DisplayRole)


def test_empty_due_list_says_where_follow_ups_come_from(qtbot: QtBot, ops: VaultOps) -> None:
    view = show_due(qtbot, ops)
    assert view.empty.isVisible()
    assert view.empty.title.text() == "Nothing due"
    assert view.empty.text.text() == "Follow-ups you add on a client's page appear here."
    assert not view.follow_up_actions.done_button.isEnabled()


def test_overdue_first_with_how_late_then_the_next_seven_days(qtbot: QtBot, ops: VaultOps) -> None:
    ada = add_client(qtbot, ops, "Ada", "Lovelace")
    grace = add_client(qtbot, ops, "Grace", "Hopper")
    now = utc_now()
    late = add_follow_up(
        qtbot, ops, ada.id, "Send the CV template", now - timedelta(days=2, hours=1)
    )
    soon = add_follow_up(
        qtbot, ops, grace.id, "Weekly check-in", now + timedelta(days=2), Recurrence.WEEKLY
    )
    add_follow_up(qtbot, ops, grace.id, "Far away", now + timedelta(days=30))

    view = show_due(qtbot, ops)
    assert view.model.section_titles() == ["Overdue", "Next 7 days"]
    assert [f.id for f in view.model.follow_ups()] == [late.id, soon.id]
    assert cell(view, late.id, FollowUpColumn.CLIENT) == "Ada Lovelace"
    assert cell(view, late.id, FollowUpColumn.TITLE) == "Send the CV template"
    assert cell(view, late.id, FollowUpColumn.STATE) == "Overdue · 2 days late"
    foreground = Qt.ItemDataRole.ForegroundRole
    assert cell(view, late.id, FollowUpColumn.TITLE, foreground) == WARNING_COLOR
    assert cell(view, soon.id, FollowUpColumn.TITLE, foreground) is None
    assert cell(view, soon.id, FollowUpColumn.REPEATS) == "Weekly"
    clock = soon.due_at.replace(tzinfo=UTC).astimezone().strftime("%H:%M")
    assert cell(view, soon.id, FollowUpColumn.DUE).endswith(clock)
    assert view.count.text() == "1 overdue · 1 in the next 7 days"

    opened: list[int] = []
    view.open_client_requested.connect(opened.append)
    index = view.model.index_of(late.id, 1)
    double_click_row(qtbot, view.tree, index)
    assert opened == [ada.id]


def test_snooze_moves_a_follow_up_out_of_overdue(qtbot: QtBot, ops: VaultOps) -> None:
    ada = add_client(qtbot, ops, "Ada", "Lovelace")
    late = add_follow_up(qtbot, ops, ada.id, "Call back", utc_now() - timedelta(hours=5))
    view = show_due(qtbot, ops)
    notices: list[tuple[str, Any]] = []
    view.notice.connect(lambda message, undo: notices.append((message, undo)))
    assert view.model.section_titles() == ["Overdue"]

    click_row(qtbot, view.tree, view.model.index_of(late.id, 1))
    assert view.follow_up_actions.snooze_button.isEnabled()
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.follow_up_actions.snooze_menu.actions()[1].trigger()
    assert view.model.section_titles() == ["Next 7 days"]
    assert cell(view, late.id, FollowUpColumn.STATE).startswith("Due in ")
    assert cell(view, late.id, FollowUpColumn.DUE).startswith("Tomorrow")
    message, undo = notices[-1]
    assert message.startswith("Snoozed “Call back” to Tomorrow")

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        undo()
    assert view.model.section_titles() == ["Overdue"]


def test_done_on_several_and_a_weekly_one_comes_back_next_week(qtbot: QtBot, ops: VaultOps) -> None:
    ada = add_client(qtbot, ops, "Ada", "Lovelace")
    now = utc_now()
    weekly = add_follow_up(
        qtbot, ops, ada.id, "Weekly check-in", now - timedelta(days=1), Recurrence.WEEKLY
    )
    once = add_follow_up(qtbot, ops, ada.id, "Send the invoice", now - timedelta(hours=2))
    view = show_due(qtbot, ops)

    view.tree.selectAll()
    assert [f.id for f in view.selected()] == [weekly.id, once.id]
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(view.follow_up_actions.done_button, Qt.MouseButton.LeftButton)

    assert view.model.section_titles() == ["Next 7 days"]
    (following,) = view.model.follow_ups()
    assert following.title == "Weekly check-in"
    assert following.due_at == weekly.due_at + timedelta(weeks=1)
    stored = on_lane(qtbot, ops, lambda vault: crm.list_follow_ups(vault, ada.id))
    assert sorted(f.id for f in stored if f.done_at is not None) == [weekly.id, once.id]


def test_a_change_elsewhere_reloads_the_list(qtbot: QtBot, ops: VaultOps) -> None:
    ada = add_client(qtbot, ops, "Ada", "Lovelace")
    view = show_due(qtbot, ops)
    draft = FollowUpDraft("Book the next session", utc_now() + timedelta(days=1))
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        ops.run(lambda vault: crm.add_follow_up(vault, ada.id, draft), changes="crm")
    assert [f.title for f in view.model.follow_ups()] == ["Book the next session"]
    assert view.tree.isVisible()


NOW = datetime(2026, 11, 3, 12, 0)


def test_follow_up_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    def item(ident: int, due: datetime, done: datetime | None = None) -> FollowUp:
        return FollowUp(ident, 1, "Ada", f"Task {ident}", due, Recurrence.NONE, done, 0, NOW)

    model = FollowUpModel(show_client=True)
    model.set_sections(
        [
            ("Overdue", [item(1, NOW - timedelta(days=1)), item(2, NOW - timedelta(minutes=5))]),
            ("Next 7 days", [item(3, NOW + timedelta(hours=3))]),
            ("Done", [item(4, NOW - timedelta(days=9), NOW)]),
            ("Empty", []),
        ],
        NOW,
    )
    qtmodeltester.check(model)
    assert model.section_titles() == ["Overdue", "Next 7 days", "Done"]
    assert model.data(model.index(0, 0)) == "Overdue  ·  2"
    assert model.data(model.index_of(2, 4)) == "Overdue · 5 minutes late"
    assert model.data(model.index_of(3, 4)) == "Due in 3 hours"
    assert model.follow_up_at(model.index(0, 0)) is None
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable

    page_model = FollowUpModel(show_client=False)
    page_model.set_sections([("Coming up", [item(5, NOW + timedelta(days=2))])], NOW)
    qtmodeltester.check(page_model)
    assert page_model.columnCount() == 4
    assert page_model.column(FollowUpColumn.CLIENT) == -1
