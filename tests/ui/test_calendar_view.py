"""The Calendar: blocks at the coach's hours, the client's time across DST, drag to move, menus."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import Client, ClientDraft
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import (
    Session,
    SessionDraft,
    SessionStatus,
    from_wall_clock,
    in_zone,
)
from coachdesk.services import clients, practice, sessions
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.calendar import CalendarView, Mode, TimeGrid
from tests.ui.conftest import WAIT_MS
from tests.ui.test_client_page import on_lane, ops

__all__ = ["ops"]

LONDON = "Europe/London"
LEFT = Qt.MouseButton.LeftButton
NO_KEYS = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def coach(qtbot: QtBot, ops: VaultOps) -> VaultOps:
    """A practice in London."""
    profile = PracticeProfile("Sam Rivera", "Rivera Coaching", LONDON, "GBP")
    on_lane(qtbot, ops, lambda vault: practice.save_profile(vault, profile))
    return ops


def add_client(qtbot: QtBot, ops: VaultOps, first: str, zone: str = "") -> Client:
    draft = ClientDraft(first_name=first, last_name="Test", time_zone=zone)
    return on_lane(qtbot, ops, lambda vault: clients.create_client(vault, draft))


def book(qtbot: QtBot, ops: VaultOps, client: Client, day: date, at: time) -> Session:
    draft = SessionDraft(client.id, from_wall_clock(day, at, LONDON))
    return on_lane(qtbot, ops, lambda vault: sessions.book(vault, draft))


def stored(qtbot: QtBot, ops: VaultOps, session_id: int) -> Session:
    return on_lane(qtbot, ops, lambda vault: sessions.get_session(vault, session_id))


def show(
    qtbot: QtBot, ops: VaultOps, day: date | None = None, mode: Mode = Mode.WEEK
) -> CalendarView:
    view = CalendarView(ops)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    # The mode first: switching from a week to its day view goes to today when the week
    # holds today, which is not `day` for a session after midnight.
    view.set_mode(mode)
    if day is not None:
        view.go_to(day)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.show()
    return view


def next_monday() -> date:
    today = datetime.now(UTC).astimezone().date()
    return today + timedelta(days=7 - today.weekday())


def drag(qtbot: QtBot, grid: TimeGrid, session_id: int, index: int, minute: int) -> None:
    """Press a quarter hour into the block, move it to (day `index`, `minute`), drop."""
    rect = grid.block_rect(session_id)
    assert rect is not None
    offset = int(grid.hour_height / 4)
    start = QPoint(rect.center().x(), rect.top() + offset)
    column = grid.column_rect(index)
    end = QPoint(int(column.center().x()), int(grid.y_for(minute)) + offset + 1)
    QTest.mousePress(grid, LEFT, NO_KEYS, start)
    QTest.mouseMove(grid, QPoint(start.x() + 10, start.y() + 10))
    QTest.mouseMove(grid, end)
    QTest.mouseRelease(grid, LEFT, NO_KEYS, end)


def test_week_blocks_sit_at_the_coachs_hours_with_the_clients_time_across_dst(
    qtbot: QtBot, coach: VaultOps
) -> None:
    ada = add_client(qtbot, coach, "Ada", "America/New_York")
    # London left summer time on 25 October 2026; New York only on 1 November.
    first = book(qtbot, coach, ada, date(2026, 10, 27), time(15))
    second = book(qtbot, coach, ada, date(2026, 11, 3), time(15))
    view = show(qtbot, coach, date(2026, 10, 28))
    assert view.title.text() == "26 October \u2013 1 November 2026"
    rect = view.week.block_rect(first.id)
    assert rect is not None
    assert abs(rect.top() - view.week.y_for(15 * 60)) <= 2
    assert abs(rect.height() - view.week.hour_height) <= 3
    assert view.week.column_rect(1).contains(rect.center().toPointF())
    assert view.week.block_lines(first.id) == [
        "Ada Test",
        "15:00\u201316:00",
        "11:00 for Ada (New York)",
    ]
    assert view.week.block_rect(second.id) is None

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.forward_button.click()
    assert view.title.text() == "2 \u2013 8 November 2026"
    assert view.week.block_lines(second.id)[2] == "10:00 for Ada (New York)"


def test_drag_a_block_to_another_day_and_time_moves_the_session(
    qtbot: QtBot, coach: VaultOps
) -> None:
    grace = add_client(qtbot, coach, "Grace")
    monday = next_monday()
    session = book(qtbot, coach, grace, monday + timedelta(days=1), time(10))
    view = show(qtbot, coach, monday)
    notices: list[tuple[str, object]] = []
    view.notice.connect(lambda message, undo: notices.append((message, undo)))

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        drag(qtbot, view.week, session.id, 3, 14 * 60)
    moved = stored(qtbot, coach, session.id)
    assert moved.starts_at == from_wall_clock(monday + timedelta(days=3), time(14), LONDON)
    assert moved.sequence == session.sequence + 1
    rect = view.week.block_rect(session.id)
    assert rect is not None and view.week.column_rect(3).contains(rect.center().toPointF())
    message, undo = notices[-1]
    assert message.startswith("Moved Grace Test's session to ")
    assert callable(undo)

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        undo()
    assert stored(qtbot, coach, session.id).starts_at == session.starts_at


def test_a_drag_inside_the_notice_period_asks_for_a_reason_then_moves(
    qtbot: QtBot, coach: VaultOps
) -> None:
    grace = add_client(qtbot, coach, "Grace")
    now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    soon = now + timedelta(hours=3, minutes=15 - now.minute % 15)
    session = on_lane(
        qtbot, coach, lambda vault: sessions.book(vault, SessionDraft(grace.id, soon))
    )
    local = in_zone(soon, LONDON)
    view = show(qtbot, coach, local.date(), Mode.DAY)
    minute = local.hour * 60 + local.minute
    target = minute - 60 if minute >= 120 else minute + 60

    drag(qtbot, view.day, session.id, 0, target)
    qtbot.waitUntil(lambda: view.reason_dialog is not None, timeout=WAIT_MS)
    dialog = view.reason_dialog
    assert dialog is not None
    assert "Move it anyway? Give a reason" in dialog.labelText()
    assert "notice" in dialog.labelText()
    dialog.setTextValue("Client asked")
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        dialog.accept()
    moved = stored(qtbot, coach, session.id)
    assert moved.starts_at == soon + timedelta(minutes=target - minute)
    assert moved.override_reason.endswith(" UTC: Client asked")


def test_right_click_mark_done_and_double_click_opens_the_client(
    qtbot: QtBot, coach: VaultOps
) -> None:
    grace = add_client(qtbot, coach, "Grace")
    monday = next_monday()
    session = book(qtbot, coach, grace, monday + timedelta(days=2), time(9))
    view = show(qtbot, coach, monday)
    rect = view.week.block_rect(session.id)
    assert rect is not None

    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, rect.center(), view.week.mapToGlobal(rect.center())
    )
    QApplication.sendEvent(view.week, event)
    assert view.menu is not None
    texts = [a.text() for a in view.menu.actions() if a.text()]
    assert texts == ["Mark done", "No-show", "Cancel", "Open client"]
    done = next(a for a in view.menu.actions() if a.text() == "Mark done")
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        done.trigger()
    view.menu.close()
    assert stored(qtbot, coach, session.id).status is SessionStatus.DONE
    assert view.week.block_lines(session.id)[1].endswith("\u00b7 Done")

    with qtbot.waitSignal(view.open_client_requested, timeout=WAIT_MS) as blocker:
        QTest.mouseDClick(view.week, LEFT, NO_KEYS, rect.center())
    assert blocker.args == [grace.id]


def test_agenda_lists_the_next_two_weeks_by_day_in_order(qtbot: QtBot, coach: VaultOps) -> None:
    ada = add_client(qtbot, coach, "Ada", "America/New_York")
    grace = add_client(qtbot, coach, "Grace")
    monday = next_monday()
    book(qtbot, coach, grace, monday + timedelta(days=2), time(9))
    book(qtbot, coach, ada, monday, time(16))
    book(qtbot, coach, grace, monday, time(11))
    book(qtbot, coach, grace, monday + timedelta(days=20), time(11))
    view = show(qtbot, coach, None, Mode.AGENDA)
    assert view.title.text() == "Next 14 days"
    rows = view.agenda_rows()
    wed = monday + timedelta(days=2)
    ada_time = in_zone(from_wall_clock(monday, time(16), LONDON), "America/New_York")
    days = [r[0].split(" \u00b7 ")[-1] for r in rows if len(r) == 1]
    assert days == [f"{monday:%A} {monday.day} {monday:%B}", f"{wed:%A} {wed.day} {wed:%B}"]
    sessions_shown = [r for r in rows if len(r) == 4]
    assert sessions_shown == [
        ("11:00\u201312:00", "same as yours", "Grace Test", "Scheduled"),
        ("16:00\u201317:00", f"{ada_time:%H:%M} for Ada (New York)", "Ada Test", "Scheduled"),
        ("09:00\u201310:00", "same as yours", "Grace Test", "Scheduled"),
    ]
