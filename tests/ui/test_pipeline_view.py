"""The Pipeline area on a real vault: cards in columns, drag and drop, Lost reasons, Undo, stalled
clients, the funnel, and editing stages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from coachdesk.domain.clients import ClientDraft, ClientRow, ClientStatus
from coachdesk.domain.pipeline import Stage
from coachdesk.services import clients, pipeline
from coachdesk.store.vault import Vault
from coachdesk.ui.lanes import Lane
from coachdesk.ui.models.board import (
    CARD_MIME,
    TEXT_ROLE,
    CardText,
    StageColumnModel,
    StalledListModel,
    decode_ids,
    encode_ids,
)
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.views.pipeline import LostReasonDialog, PipelineView, StageColumn
from tests.ui.conftest import WAIT_MS, activate

T = TypeVar("T")
CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton
NAMES = ["Inquiry", "Discovery call", "Proposal sent", "Active", "Completed", "Alumni", "Lost"]


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    """Vault operations on an open vault, with their own db lane."""
    lane = Lane("db")
    made = VaultOps(lane)
    made.open(vault, UnlockMode.PASSPHRASE)
    yield made
    qtbot.waitUntil(lambda: not lane.busy, timeout=WAIT_MS)
    lane.shutdown(wait=True)


@pytest.fixture
def stage_ids(vault: Vault) -> dict[str, int]:
    """Built-in stage ids by key."""
    return {s.key: s.id for s in pipeline.list_stages(vault)}


@pytest.fixture
def people(vault: Vault) -> dict[str, int]:
    """Two leads (in Inquiry) and an active client, by first name."""
    made = {}
    for first, last, company, status in (
        ("Ada", "Lovelace", "Analytical Engines", ClientStatus.LEAD),
        ("Grace", "Hopper", "Navy", ClientStatus.LEAD),
        ("Alan", "Turing", "Bletchley", ClientStatus.ACTIVE),
    ):
        draft = ClientDraft(first_name=first, last_name=last, company=company, status=status)
        made[first] = clients.create_client(vault, draft).id
    return made


@pytest.fixture
def view(qtbot: QtBot, ops: VaultOps, people: dict[str, int]) -> PipelineView:
    """The view alone, shown, with its board loaded."""
    made = PipelineView(ops)
    qtbot.addWidget(made)
    made.resize(1300, 760)
    with qtbot.waitSignal(made.loaded, timeout=WAIT_MS):
        made.show()
    return made


def on_lane(qtbot: QtBot, ops: VaultOps, fn: Callable[[Vault], T], changes: str | None = None) -> T:
    """Run a service call on the db lane, as the app does, and wait for its result."""
    result: list[T] = []
    ops.run(fn, on_done=result.append, changes=changes)
    qtbot.waitUntil(lambda: bool(result), timeout=WAIT_MS)
    return result[0]


def stored_stage(qtbot: QtBot, ops: VaultOps, client_id: int) -> int | None:
    return on_lane(qtbot, ops, lambda v: clients.get_client(v, client_id)).stage_id


def column(view: PipelineView, stage_id: int) -> StageColumn:
    found = view.column_for(stage_id)
    assert found is not None
    return found


def names_in(view: PipelineView, stage_id: int) -> list[str]:
    return sorted(card.client.name for card in column(view, stage_id).model.visible_cards())


def card_point(source: StageColumn, client_id: int) -> QPoint:
    row = source.model.row_of(client_id)
    assert row >= 0
    return source.cards.visualRect(source.model.index(row, 0)).center()


def drop_cards(source: StageColumn, client_ids: list[int], target: StageColumn) -> QDropEvent:
    """Drag cards as Qt does: the model's mime data for their indexes, entered and dropped on
    the target column's viewport (QDrag itself cannot run headless)."""
    indexes = [source.model.index(source.model.row_of(i), 0) for i in client_ids]
    mime = source.model.mimeData(indexes)
    assert decode_ids(mime) == client_ids
    viewport = target.cards.viewport()
    where = viewport.rect().center()
    actions = Qt.DropAction.MoveAction
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where, actions, mime, LEFT, none)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    lit_while_over = target.highlighted
    assert lit_while_over
    move = QDragMoveEvent(where, actions, mime, LEFT, none)
    QApplication.sendEvent(viewport, move)
    assert move.isAccepted()
    drop = QDropEvent(QPointF(where), actions, mime, LEFT, none)
    QApplication.sendEvent(viewport, drop)
    assert not target.highlighted
    return drop


def test_cards_appear_in_the_columns_of_their_stages(
    view: PipelineView, people: dict[str, int], stage_ids: dict[str, int]
) -> None:
    assert view.column_titles() == NAMES
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace", "Grace Hopper"]
    assert names_in(view, stage_ids["active"]) == ["Alan Turing"]
    assert names_in(view, stage_ids["lost"]) == []
    assert column(view, stage_ids["inquiry"]).count.text() == "2 clients"
    assert column(view, stage_ids["proposal"]).count.text() == "0 clients"
    assert view.summary.text() == "3 clients"
    inquiry = column(view, stage_ids["inquiry"]).model
    text = inquiry.data(inquiry.index(inquiry.row_of(people["Ada"]), 0), TEXT_ROLE)
    assert isinstance(text, CardText)
    assert (text.name, text.company, text.days, text.stalled) == (
        "Ada Lovelace",
        "Analytical Engines",
        "In stage since today",
        False,
    )


def test_dragging_a_card_to_another_column_moves_the_client_and_undo_moves_it_back(
    qtbot: QtBot,
    ops: VaultOps,
    view: PipelineView,
    people: dict[str, int],
    stage_ids: dict[str, int],
) -> None:
    inquiry, discovery = column(view, stage_ids["inquiry"]), column(view, stage_ids["discovery"])
    notices: list[tuple[str, Any]] = []
    view.notice.connect(lambda message, undo: notices.append((message, undo)))

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        drop_cards(inquiry, [people["Ada"]], discovery)

    assert names_in(view, stage_ids["discovery"]) == ["Ada Lovelace"]
    assert names_in(view, stage_ids["inquiry"]) == ["Grace Hopper"]
    assert discovery.count.text() == "1 client"
    assert discovery.cards.selected_ids() == [people["Ada"]]
    assert stored_stage(qtbot, ops, people["Ada"]) == stage_ids["discovery"]
    message, undo = notices[-1]
    assert message == "Moved Ada Lovelace to Discovery call."
    assert callable(undo)

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        undo()
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace", "Grace Hopper"]
    assert names_in(view, stage_ids["discovery"]) == []
    assert notices[-1] == ("Moved Ada Lovelace back to Inquiry.", None)
    assert stored_stage(qtbot, ops, people["Ada"]) == stage_ids["inquiry"]
    history = on_lane(qtbot, ops, lambda v: pipeline.history(v, people["Ada"]))
    assert [c.to_stage_id for c in history] == [
        stage_ids["inquiry"],
        stage_ids["discovery"],
        stage_ids["inquiry"],
    ]


def test_several_selected_cards_move_together(
    qtbot: QtBot,
    ops: VaultOps,
    view: PipelineView,
    people: dict[str, int],
    stage_ids: dict[str, int],
) -> None:
    inquiry, proposal = column(view, stage_ids["inquiry"]), column(view, stage_ids["proposal"])
    viewport = inquiry.cards.viewport()
    qtbot.mouseClick(viewport, LEFT, pos=card_point(inquiry, people["Ada"]))
    qtbot.mouseClick(viewport, LEFT, CTRL, card_point(inquiry, people["Grace"]))
    selected = inquiry.cards.selected_ids()
    assert sorted(selected) == sorted([people["Ada"], people["Grace"]])

    with qtbot.waitSignal(view.notice, timeout=WAIT_MS) as notice:
        drop_cards(inquiry, selected, proposal)
    assert notice.args is not None and notice.args[0] == "Moved 2 clients to Proposal sent."
    qtbot.waitUntil(
        lambda: names_in(view, stage_ids["proposal"]) == ["Ada Lovelace", "Grace Hopper"],
        timeout=WAIT_MS,
    )
    assert names_in(view, stage_ids["inquiry"]) == []
    for first in ("Ada", "Grace"):
        assert stored_stage(qtbot, ops, people[first]) == stage_ids["proposal"]


def test_a_card_dropped_on_its_own_column_is_refused(
    view: PipelineView, people: dict[str, int], stage_ids: dict[str, int]
) -> None:
    inquiry = column(view, stage_ids["inquiry"])
    mime = inquiry.model.mimeData([inquiry.model.index(0, 0)])
    viewport = inquiry.cards.viewport()
    enter = QDragEnterEvent(
        viewport.rect().center(),
        Qt.DropAction.MoveAction,
        mime,
        LEFT,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, enter)
    assert not inquiry.highlighted
    move = QDragMoveEvent(
        viewport.rect().center(),
        Qt.DropAction.MoveAction,
        mime,
        LEFT,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, move)
    assert not move.isAccepted()
    assert not inquiry.highlighted


def reason_dialog(view: PipelineView) -> LostReasonDialog | None:
    return view.reason_dialog


def test_moving_to_lost_asks_for_a_reason_and_cancel_leaves_the_card(
    qtbot: QtBot,
    ops: VaultOps,
    view: PipelineView,
    people: dict[str, int],
    stage_ids: dict[str, int],
) -> None:
    inquiry, lost = column(view, stage_ids["inquiry"]), column(view, stage_ids["lost"])
    drop_cards(inquiry, [people["Grace"]], lost)
    dialog = reason_dialog(view)
    assert dialog is not None and dialog.isVisible()
    assert dialog.question.text() == "Why is Grace Hopper moving to Lost?"
    assert not dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, LEFT)
    assert reason_dialog(view) is None
    qtbot.wait(50)
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace", "Grace Hopper"]
    assert names_in(view, stage_ids["lost"]) == []
    assert stored_stage(qtbot, ops, people["Grace"]) == stage_ids["inquiry"]

    drop_cards(inquiry, [people["Grace"]], lost)
    dialog = reason_dialog(view)
    assert dialog is not None
    activate(qtbot, dialog)
    qtbot.keyClicks(dialog.reason, "  ")
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "Chose a coach nearer home")
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert names_in(view, stage_ids["lost"]) == ["Grace Hopper"]
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace"]
    grace = on_lane(qtbot, ops, lambda v: clients.get_client(v, people["Grace"]))
    assert grace.stage_id == stage_ids["lost"]
    assert grace.lost_reason == "Chose a coach nearer home"
    assert grace.status is ClientStatus.LOST


def test_undo_of_a_move_out_of_lost_keeps_the_old_reason(
    qtbot: QtBot,
    ops: VaultOps,
    view: PipelineView,
    people: dict[str, int],
    stage_ids: dict[str, int],
) -> None:
    on_lane(
        qtbot,
        ops,
        lambda v: pipeline.move_clients(v, [people["Alan"]], stage_ids["lost"], "Moved"),
        changes="clients",
    )
    qtbot.waitUntil(lambda: names_in(view, stage_ids["lost"]) == ["Alan Turing"], timeout=WAIT_MS)
    with qtbot.waitSignal(view.notice, timeout=WAIT_MS) as notice:
        drop_cards(
            column(view, stage_ids["lost"]), [people["Alan"]], column(view, stage_ids["active"])
        )
    assert notice.args is not None
    undo = notice.args[1]
    qtbot.waitUntil(lambda: names_in(view, stage_ids["active"]) == ["Alan Turing"], timeout=WAIT_MS)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        undo()
    qtbot.waitUntil(lambda: names_in(view, stage_ids["lost"]) == ["Alan Turing"], timeout=WAIT_MS)
    alan = on_lane(qtbot, ops, lambda v: clients.get_client(v, people["Alan"]))
    assert (alan.stage_id, alan.lost_reason) == (stage_ids["lost"], "Moved")


def backdate_stage(vault: Vault, client_id: int, days: int) -> None:
    """Db lane: pretend the client entered their stage `days` ago."""
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    with vault.writing() as session:
        session.execute(
            text("UPDATE clients SET stage_since = :since WHERE id = :id"),
            {"since": since, "id": client_id},
        )


def test_a_client_quiet_for_too_long_is_flagged_stalled(
    qtbot: QtBot,
    ops: VaultOps,
    view: PipelineView,
    people: dict[str, int],
    stage_ids: dict[str, int],
) -> None:
    assert view.tabs.tabText(view.STALLED) == "Stalled"
    assert view.stalled_model.rowCount() == 0
    assert view.stalled_empty.isHidden() is False
    on_lane(qtbot, ops, lambda v: backdate_stage(v, people["Ada"], 12))
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        ops.changed.emit("clients")

    inquiry = column(view, stage_ids["inquiry"])
    text = inquiry.model.data(
        inquiry.model.index(inquiry.model.row_of(people["Ada"]), 0), TEXT_ROLE
    )
    assert isinstance(text, CardText)
    assert text.stalled and text.days == "12 days in stage"
    assert "stalled" in text.spoken
    assert inquiry.count.text() == "2 clients · 1 stalled"
    assert view.summary.text() == "3 clients · 1 stalled"
    assert view.tabs.tabText(view.STALLED) == "Stalled (1)"
    assert view.stalled_model.rowCount() == 1
    assert view.stalled_model.text_at(0) == (
        "Ada Lovelace · Analytical Engines\nIn Inquiry for 12 days, no contact yet"
    )

    qtbot.mouseClick(view.stalled_only, LEFT)
    assert view.stalled_only.isChecked()
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace"]
    assert names_in(view, stage_ids["active"]) == []
    assert inquiry.count.text() == "1 of 2 clients · 1 stalled"

    opened: list[int] = []
    view.open_client_requested.connect(opened.append)
    view.tabs.setCurrentIndex(view.STALLED)
    view.stalled_list.setCurrentIndex(view.stalled_model.index(0, 0))
    activate(qtbot, view.stalled_list)
    view.stalled_list.setFocus()
    qtbot.keyClick(view.stalled_list, Qt.Key.Key_Return)
    assert opened == [people["Ada"]]


def test_clients_with_no_stage_wait_in_their_own_column_until_moved(
    qtbot: QtBot,
    ops: VaultOps,
    view: PipelineView,
    people: dict[str, int],
    stage_ids: dict[str, int],
) -> None:
    def unplace(vault: Vault) -> None:
        with vault.writing() as session:
            session.execute(
                text("UPDATE clients SET stage_id = NULL, stage_since = NULL WHERE id = :id"),
                {"id": people["Grace"]},
            )

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        on_lane(qtbot, ops, unplace, changes="clients")
    assert view.column_titles() == ["No stage yet", *NAMES]
    waiting = view.columns[0]
    assert waiting.stage is None
    assert [c.client.name for c in waiting.model.visible_cards()] == ["Grace Hopper"]
    assert view.stage_of(people["Grace"]) is None

    # Nothing can be dropped on it; its cards move with the card menu (or a drag).
    assert not waiting.model.canDropMimeData(
        encode_ids([people["Ada"]]), Qt.DropAction.MoveAction, -1, -1, waiting.model.index(-1, 0)
    )
    waiting.cards.customContextMenuRequested.emit(card_point(waiting, people["Grace"]))
    menu = view.card_menu
    assert menu is not None and menu.isVisible()
    move_to = next(a.menu() for a in menu.actions() if a.text() == "Move to")
    assert isinstance(move_to, QMenu)
    assert [a.text() for a in move_to.actions()] == [*NAMES[:-1], "Lost…"]
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        next(a for a in move_to.actions() if a.text() == "Active").trigger()
    menu.close()
    qtbot.waitUntil(lambda: view.column_titles() == NAMES, timeout=WAIT_MS)
    assert names_in(view, stage_ids["active"]) == ["Alan Turing", "Grace Hopper"]
    assert stored_stage(qtbot, ops, people["Grace"]) == stage_ids["active"]


def test_double_click_or_enter_on_a_card_opens_the_client(
    qtbot: QtBot, view: PipelineView, people: dict[str, int], stage_ids: dict[str, int]
) -> None:
    active = column(view, stage_ids["active"])
    opened: list[int] = []
    view.open_client_requested.connect(opened.append)
    where = card_point(active, people["Alan"])
    qtbot.mouseClick(active.cards.viewport(), LEFT, pos=where)  # a double-click starts with one
    assert opened == []
    qtbot.mouseDClick(active.cards.viewport(), LEFT, pos=where)
    assert opened == [people["Alan"]]

    inquiry = column(view, stage_ids["inquiry"])
    activate(qtbot, inquiry.cards)
    inquiry.cards.setFocus()
    inquiry.cards.setCurrentIndex(inquiry.model.index(inquiry.model.row_of(people["Grace"]), 0))
    qtbot.keyClick(inquiry.cards, Qt.Key.Key_Return)
    assert opened == [people["Alan"], people["Grace"]]


def report_rows(steps: list[Any]) -> list[tuple[str, ...]]:
    from coachdesk.ui.views.pipeline import days_text, percent

    return [
        (
            s.stage.name,
            f"{s.entered:,}",
            f"{s.moved_on:,}",
            percent(s.conversion),
            f"{s.lost_here:,}",
            percent(s.drop_off),
            days_text(s.median_days),
        )
        for s in steps
    ]


def counts(steps: list[Any]) -> list[tuple[Any, ...]]:
    """The figures of a report that do not depend on the minute it was made."""
    return [(s.stage, s.entered, s.moved_on, s.lost_here) for s in steps]


def shown_rows(view: PipelineView) -> list[tuple[str, ...]]:
    table = view.funnel.table
    return [
        tuple(view.funnel.cell(r, c) for c in range(table.columnCount()))
        for r in range(table.rowCount())
    ]


def test_the_funnel_shows_the_service_figures_for_the_period(
    qtbot: QtBot,
    ops: VaultOps,
    view: PipelineView,
    people: dict[str, int],
    stage_ids: dict[str, int],
) -> None:
    def moves(vault: Vault) -> None:
        pipeline.move_clients(vault, [people["Ada"], people["Grace"]], stage_ids["discovery"])
        pipeline.move_clients(vault, [people["Ada"]], stage_ids["proposal"])
        pipeline.move_clients(vault, [people["Grace"]], stage_ids["lost"], "Budget")

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        ops.run(moves, changes="clients")
    view.tabs.setCurrentIndex(view.FUNNEL)
    qtbot.waitUntil(lambda: view.funnel.table.rowCount() > 0, timeout=WAIT_MS)

    today = date.today()
    expected = on_lane(
        qtbot, ops, lambda v: pipeline.funnel_report(v, today - timedelta(days=89), today)
    )
    assert view.funnel.period.currentText() == "Last 90 days"
    assert shown_rows(view) == report_rows(expected)
    assert counts(view.funnel.chart.steps) == counts(expected)
    assert [s.stage.name for s in expected] == NAMES[:-1]
    discovery = next(s for s in expected if s.stage.key == "discovery")
    assert (discovery.entered, discovery.moved_on, discovery.lost_here) == (2, 1, 1)
    assert view.funnel.cell(1, 3) == "50 %" and view.funnel.cell(1, 5) == "50 %"
    assert view.funnel.chart.figures(discovery).startswith("50 % moved on · 50 % lost · median")

    all_time = on_lane(qtbot, ops, lambda v: pipeline.funnel_report(v, None, None))
    view.funnel.period.setCurrentText("All time")
    qtbot.waitUntil(lambda: counts(view.funnel.chart.steps) == counts(all_time), timeout=WAIT_MS)
    assert shown_rows(view) == report_rows(all_time)

    view.funnel.period.setCurrentText("Custom range")
    assert view.funnel.custom.isVisible()
    view.funnel.start.setDate(view.funnel.start.date().addYears(-3))
    view.funnel.end.setDate(view.funnel.end.date().addYears(-2))
    qtbot.waitUntil(lambda: view.funnel.empty.isVisible(), timeout=WAIT_MS)
    assert all(s.entered == 0 for s in view.funnel.chart.steps)


def open_stages_dialog(qtbot: QtBot, view: PipelineView) -> Any:
    qtbot.mouseClick(view.edit_stages_button, LEFT)
    dialog = view.stages_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == len(NAMES), timeout=WAIT_MS)
    activate(qtbot, dialog)
    return dialog


def stored_stages(qtbot: QtBot, ops: VaultOps) -> list[Stage]:
    return on_lane(qtbot, ops, pipeline.list_stages)


def test_the_stages_dialog_renames_and_reorders_and_the_board_follows(
    qtbot: QtBot, ops: VaultOps, view: PipelineView
) -> None:
    dialog = open_stages_dialog(qtbot, view)
    assert [dialog.table.item(r, 0).text() for r in range(len(NAMES))] == NAMES

    dialog.select_row(1)
    qtbot.mouseClick(dialog.rename_button, LEFT)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "First chat")
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.column_titles()[1] == "First chat", timeout=WAIT_MS)
    assert [s.name for s in stored_stages(qtbot, ops)][1] == "First chat"

    dialog.select_row(2)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.up_button, LEFT)
    expected = ["Inquiry", "Proposal sent", "First chat", *NAMES[3:]]
    qtbot.waitUntil(lambda: view.column_titles() == expected, timeout=WAIT_MS)
    assert [s.name for s in stored_stages(qtbot, ops)] == expected
    assert dialog.table.currentRow() == 1

    dialog.select_row(1)
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    expected = ["Proposal sent", "Inquiry", "First chat", *NAMES[3:]]
    qtbot.waitUntil(lambda: view.column_titles() == expected, timeout=WAIT_MS)

    dialog.select_row(2)
    qtbot.mouseClick(dialog.rename_button, LEFT)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "inquiry")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=WAIT_MS)
    assert dialog.error.text() == "There is already a stage called “inquiry”."
    assert dialog.table.item(2, 0).text() == "First chat"

    qtbot.mouseClick(dialog.close_button, LEFT)
    assert not dialog.isVisible()


def test_the_stages_dialog_adds_deletes_and_sets_stall_days(
    qtbot: QtBot, ops: VaultOps, view: PipelineView
) -> None:
    dialog = open_stages_dialog(qtbot, view)
    assert not dialog.add_button.isEnabled()
    qtbot.keyClicks(dialog.new_name, "Contract signed")
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.keyClick(dialog.new_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == len(NAMES) + 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Contract signed" in view.column_titles(), timeout=WAIT_MS)
    assert view.column_titles().index("Contract signed") == NAMES.index("Alumni") + 1
    row = [s.name for s in dialog.stages].index("Contract signed")
    assert dialog.table.currentRow() == row
    assert dialog.new_name.text() == ""

    dialog.select_row(0)
    qtbot.mouseClick(dialog.delete_button, LEFT)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=WAIT_MS)
    assert dialog.error.text() == "“Inquiry” is built in; rename it instead."

    dialog.select_row(row)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.delete_button, LEFT)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == len(NAMES), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.column_titles() == NAMES, timeout=WAIT_MS)
    assert not dialog.error.isVisible()

    spin = dialog.stall_spin(0)
    assert spin.text() == "3 days"
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "1")
    assert spin.value() == 1
    with qtbot.waitSignal(ops.changed, timeout=WAIT_MS):
        qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert spin.text() == "1 day"
    inquiry = next(s for s in stored_stages(qtbot, ops) if s.key == "inquiry")
    assert inquiry.stall_days == 1

    spin.stepDown()
    assert spin.text() == "Never"
    with qtbot.waitSignal(ops.changed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.close_button, LEFT)
    inquiry = next(s for s in stored_stages(qtbot, ops) if s.key == "inquiry")
    assert inquiry.stall_days is None


def test_locking_wipes_the_board(qtbot: QtBot, ops: VaultOps, view: PipelineView) -> None:
    with qtbot.waitSignal(ops.closed, timeout=WAIT_MS):
        ops.close()
    assert all(c.model.rowCount() == 0 for c in view.columns)
    assert view.stalled_model.rowCount() == 0
    assert view.summary.text() == ""


# The board model, without a window ---------------------------------------------------------


def row(client_id: int, name: str, stage: Stage, days: int, contact_days: int | None) -> ClientRow:
    now = datetime(2025, 11, 20, 12, 0)
    return ClientRow(
        id=client_id,
        name=name,
        email="",
        phone="",
        company="Acme" if client_id % 2 else "",
        status=ClientStatus.LEAD,
        tags=(),
        updated_at=now,
        stage_id=stage.id,
        stage_name=stage.name,
        stage_since=now - timedelta(days=days),
        last_contact_at=None if contact_days is None else now - timedelta(days=contact_days),
        overdue_follow_ups=client_id % 3,
    )


def test_the_column_model_passes_qt_model_tester_and_carries_ids_in_drags(
    qtmodeltester: Any,
) -> None:
    stage = Stage(id=3, name="Proposal sent", position=2, stall_days=10)
    rows = [row(i, f"Client {i}", stage, days=i * 2, contact_days=i) for i in range(1, 13)]
    board = pipeline.build_board(rows, [stage], datetime(2025, 11, 20, 12, 0))
    model = StageColumnModel(stage)
    model.set_cards(board.cards_in(stage.id))
    qtmodeltester.check(model)
    assert model.rowCount() == 12
    assert model.stalled_count == sum(1 for c in board.cards_in(stage.id) if c.stalled) > 0

    model.set_stalled_only(True)
    qtmodeltester.check(model)
    assert all(c.stalled for c in model.visible_cards())
    assert model.rowCount() == model.stalled_count

    mime = model.mimeData([model.index(1, 0), model.index(0, 0)])
    assert mime.hasFormat(CARD_MIME)
    assert decode_ids(mime) == [model.id_at(0), model.id_at(1)]
    move = Qt.DropAction.MoveAction
    assert not model.canDropMimeData(mime, move, -1, -1, model.index(-1, 0))
    elsewhere = encode_ids([99, model.id_at(0)])
    assert model.canDropMimeData(elsewhere, move, -1, -1, model.index(-1, 0))
    dropped: list[tuple[list[int], int]] = []
    model.cards_dropped.connect(lambda ids, stage_id: dropped.append((ids, stage_id)))
    assert model.dropMimeData(elsewhere, move, -1, -1, model.index(-1, 0))
    assert dropped == [([99], stage.id)]
    assert model.rowCount() == model.stalled_count  # a drop asks; it does not change the model

    unplaced = StageColumnModel(None)
    assert not unplaced.canDropMimeData(elsewhere, move, -1, -1, unplaced.index(-1, 0))
    assert decode_ids(None) == []

    stalled = StalledListModel()
    stalled.set_cards(board.stalled)
    qtmodeltester.check(stalled)
    assert stalled.rowCount() == model.stalled_count
