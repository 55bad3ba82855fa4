"""The Calendar: week, day and agenda views of sessions in the coach's zone; drag to move."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QInputDialog,
    QMenu,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.scheduling import (
    Busy,
    NoticeRequiredError,
    Session,
    SessionStatus,
    WorkingHours,
    from_wall_clock,
    in_zone,
)
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import EmptyState, heading, muted

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

RELOAD_ON = frozenset({"sessions", "clients", "client", "billing", "practice", "setting"})
AGENDA_DAYS = 14
SNAP_MINUTES = 15
DASH = "\u2013"
FIRST_HOUR = 7
LAST_HOUR = 21
MIN_HOUR_HEIGHT = 44
GUTTER = 56
DRAG_DISTANCE = 6
# The service says this when a move needs the coach's reason.
REFRESH_MS = 60_000

CLIENT_HUES = ("#3b6fb6", "#d9822b", "#3f8f4f", "#9b5fa8", "#c2474a", "#2f8f8a", "#8a6a4f")
GROUP_HUE = "#5b6b7f"
TEXT_COLOR = QColor("#1f2933")
MUTED_TEXT = QColor("#6b7280")
PROBLEM_COLOR = QColor("#b3261e")


class Mode(enum.StrEnum):
    """What the Calendar shows."""

    WEEK = "week"
    DAY = "day"
    AGENDA = "agenda"


@dataclass(frozen=True, slots=True)
class CalendarData:
    """Sessions and availability for a run of days in the coach's zone.

    Args:
        zone: the coach's IANA zone.
        first_day: the first day shown (coach's zone).
        days: how many days.
        today: today in the coach's zone.
        sessions: sessions starting in those days, soonest first.
        hours: the coach's working hours.
        busy: imported busy times overlapping those days.
    """

    zone: str
    first_day: date
    days: int
    today: date
    sessions: tuple[Session, ...] = ()
    hours: tuple[WorkingHours, ...] = ()
    busy: tuple[Busy, ...] = ()


# Db lane ----------------------------------------------------------------------------------------


def _coach_zone(vault: Vault) -> str:
    from coachdesk.services import practice

    return practice.get_profile(vault).time_zone or "UTC"


def _today(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


def load_days(vault: Vault, first_day: date | None, days: int) -> CalendarData:
    """Db lane: sessions, working hours and busy times for `days` days from `first_day`.

    With no `first_day`, the week (or the day) that holds today in the coach's zone.
    """
    from coachdesk.services import calendar, sessions

    zone = _coach_zone(vault)
    today = _today(zone)
    if first_day is None:
        first_day = today - timedelta(days=today.weekday()) if days == 7 else today
    start = from_wall_clock(first_day, time(0), zone)
    end = from_wall_clock(first_day + timedelta(days=days), time(0), zone)
    booked = sessions.list_sessions(vault, start, end)
    hours = calendar.working_hours(vault)
    busy = calendar.busy_times(vault, start, end)
    return CalendarData(zone, first_day, days, today, tuple(booked), tuple(hours), tuple(busy))


def load_agenda(vault: Vault, days: int = AGENDA_DAYS) -> CalendarData:
    """Db lane: every session from the start of today through the next `days` days."""
    from coachdesk.services import sessions

    zone = _coach_zone(vault)
    today = _today(zone)
    start = from_wall_clock(today, time(0), zone)
    end = from_wall_clock(today + timedelta(days=days), time(0), zone)
    return CalendarData(zone, today, days, today, tuple(sessions.list_sessions(vault, start, end)))


def move_session(vault: Vault, session_id: int, new_start: datetime, reason: str = "") -> Session:
    """Db lane: move a session to `new_start` (naive UTC)."""
    from coachdesk.services import sessions

    return sessions.move(vault, session_id, new_start, reason)


def mark_session(vault: Vault, session_id: int, status: SessionStatus) -> Session:
    """Db lane: record how a session went."""
    from coachdesk.services import sessions

    return sessions.mark(vault, session_id, status)


def cancel_session(vault: Vault, session_id: int) -> Session:
    """Db lane: cancel a session (a late cancel inside the notice period)."""
    from coachdesk.services import sessions

    return sessions.cancel(vault, session_id)


# Text ---------------------------------------------------------------------------------------------


def who(session: Session) -> str:
    """The name a session shows: its client's, or "Group"."""
    if session.client_id is None:
        return "Group"
    return session.client_name or f"Client #{session.client_id}"


def city(zone: str) -> str:
    """The place part of an IANA zone: "America/New_York" → "New York"."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def client_time_line(session: Session, coach_zone: str) -> str:
    """ "10:00 for Ada (New York)" when the client's clock differs from the coach's, else ""."""
    if session.client_id is None or not session.client_zone:
        return ""
    theirs = in_zone(session.starts_at, session.client_zone)
    if theirs.utcoffset() == in_zone(session.starts_at, coach_zone).utcoffset():
        return ""
    first = who(session).split()[0]
    day = ""
    if theirs.date() != in_zone(session.starts_at, coach_zone).date():
        day = f" {theirs:%a}"
    return f"{theirs:%H:%M}{day} for {first} ({city(session.client_zone)})"


def period_title(first: date, last: date) -> str:
    """The title of a run of days: "23 - 29 November 2026" (with an en dash)."""
    if first == last:
        return f"{first:%A} {first.day} {first:%B %Y}"
    if first.year != last.year:
        return f"{first.day} {first:%B %Y} {DASH} {last.day} {last:%B %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%B} {DASH} {last.day} {last:%B %Y}"
    return f"{first.day} {DASH} {last.day} {last:%B %Y}"


def status_tag(status: SessionStatus) -> str:
    """The tag a block shows for a status other than scheduled."""
    return "" if status is SessionStatus.SCHEDULED else status.label


# Time grid ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Drag:
    session: Session
    press: QPointF
    grab_minutes: int
    active: bool = False
    target: tuple[int, int] | None = None  # (day index, minute)


class TimeGrid(QWidget):
    """Days side by side, hour rows down, each session a painted block.

    Args:
        days: 7 for a week, 1 for a day.
        parent: the owning widget.

    Signals:
        move_requested: (session id, new naive-UTC start) after a drop on another slot.
        open_requested: a session id, double-clicked.
        menu_requested: (session id, global position) for the right-click menu.
    """

    move_requested = Signal(int, object)
    open_requested = Signal(int)
    menu_requested = Signal(int, QPoint)

    def __init__(self, days: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days = days
        self.data = CalendarData("UTC", date.today(), days, date.today())
        self.hour_height = float(MIN_HOUR_HEIGHT)
        self.now: datetime = datetime.now(UTC).replace(tzinfo=None)
        self._blocks: dict[int, QRectF] = {}
        self._by_id: dict[int, Session] = {}
        self._pending: dict[int, tuple[int, int]] = {}
        self._drag: _Drag | None = None
        self.setMinimumHeight(int(24 * self.hour_height))
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    # Geometry

    def column_width(self) -> float:
        """The width of one day."""
        return max(1.0, (self.width() - GUTTER) / self.days)

    def column_rect(self, index: int) -> QRectF:
        """Day `index`'s column, the whole day tall."""
        width = self.column_width()
        return QRectF(GUTTER + index * width, 0, width, 24 * self.hour_height)

    def y_for(self, minute: float) -> float:
        """Where a minute after midnight sits."""
        return minute * self.hour_height / 60

    def set_hour_height(self, height: float) -> None:
        """Make an hour this tall (the whole day is 24 of them)."""
        self.hour_height = max(float(MIN_HOUR_HEIGHT), height)
        self.setFixedHeight(int(24 * self.hour_height) + 1)
        self._layout_blocks()

    def slot_at(self, pos: QPointF, grab_minutes: int = 0) -> tuple[int, int] | None:
        """(day index, minute snapped to 15) under `pos`, or None outside the days."""
        if pos.x() < GUTTER:
            return None
        index = int((pos.x() - GUTTER) // self.column_width())
        if not 0 <= index < self.days:
            return None
        minute = pos.y() * 60 / self.hour_height - grab_minutes
        snapped = round(minute / SNAP_MINUTES) * SNAP_MINUTES
        return index, max(0, min(24 * 60 - SNAP_MINUTES, snapped))

    def start_for(self, index: int, minute: int) -> datetime:
        """Naive UTC of a day index and minute in the coach's zone."""
        day = self.data.first_day + timedelta(days=index)
        return from_wall_clock(day, time(minute // 60, minute % 60), self.data.zone)

    def place(self, session: Session) -> tuple[int, int] | None:
        """(day index, minute) where a session starts in the coach's zone, None if not shown."""
        local = in_zone(session.starts_at, self.data.zone)
        index = (local.date() - self.data.first_day).days
        if not 0 <= index < self.days:
            return None
        return index, local.hour * 60 + local.minute

    # Data

    def set_data(self, data: CalendarData) -> None:
        """Show these days and sessions."""
        self.data = data
        self._by_id = {s.id: s for s in data.sessions}
        self._pending.clear()
        self._drag = None
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self._layout_blocks()

    def clear(self) -> None:
        """Forget every session shown."""
        self.set_data(CalendarData(self.data.zone, self.data.first_day, self.days, self.data.today))

    def sessions(self) -> list[Session]:
        """The sessions shown, soonest first."""
        return list(self.data.sessions)

    def block_rect(self, session_id: int) -> QRect | None:
        """Where a session's block is painted (None when it is not shown)."""
        rect = self._blocks.get(session_id)
        return None if rect is None else rect.toAlignedRect()

    def block_lines(self, session_id: int) -> list[str]:
        """The lines of text a session's block shows."""
        session = self._by_id.get(session_id)
        return [] if session is None else self.lines_for(session)

    def lines_for(self, session: Session) -> list[str]:
        """The lines of text a block shows for `session`."""
        coach = in_zone(session.starts_at, self.data.zone)
        end = in_zone(session.ends_at, self.data.zone)
        lines = [who(session), f"{coach:%H:%M}{DASH}{end:%H:%M}"]
        tag = status_tag(session.status)
        if tag:
            lines[1] += f" · {tag}"
        extra = client_time_line(session, self.data.zone)
        if extra:
            lines.append(extra)
        return lines

    def session_at(self, pos: QPointF) -> Session | None:
        """The session whose block is under `pos` (the top one)."""
        for session_id, rect in reversed(list(self._blocks.items())):
            if rect.contains(pos):
                return self._by_id[session_id]
        return None

    def hold(self, session_id: int, target: tuple[int, int]) -> None:
        """Keep a dropped block where it was dropped until the move is saved or refused."""
        self._pending[session_id] = target
        self._layout_blocks()

    def release(self, session_id: int) -> None:
        """Put a held block back where its session is."""
        self._pending.pop(session_id, None)
        self._layout_blocks()

    def _layout_blocks(self) -> None:
        """Lay blocks out in lanes where sessions overlap."""
        self._blocks.clear()
        per_day: dict[int, list[tuple[int, int, Session]]] = {}
        for session in self.data.sessions:
            spot = self._pending.get(session.id) or self.place(session)
            if spot is None:
                continue
            index, minute = spot
            per_day.setdefault(index, []).append((minute, minute + session.minutes, session))
        for index, items in per_day.items():
            items.sort(key=lambda item: (item[0], -item[1]))
            groups: list[list[tuple[int, int, Session, int]]] = []
            group_end = -1
            lane_ends: list[int] = []
            for start, end, session in items:
                if start >= group_end:
                    groups.append([])
                    lane_ends = []
                lane = next((i for i, e in enumerate(lane_ends) if e <= start), len(lane_ends))
                if lane == len(lane_ends):
                    lane_ends.append(end)
                else:
                    lane_ends[lane] = end
                groups[-1].append((start, end, session, lane))
                group_end = max(group_end, end) if groups[-1][:-1] else end
            column = self.column_rect(index)
            for group in groups:
                lanes = max(item[3] for item in group) + 1
                width = (column.width() - 6) / lanes
                for start, end, session, lane in group:
                    top = self.y_for(start) + 1
                    bottom = self.y_for(min(end, 24 * 60)) - 1
                    self._blocks[session.id] = QRectF(
                        column.left() + 2 + lane * width, top, width - 2, max(14.0, bottom - top)
                    )
        self.update()

    # Events

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Blocks follow the column width."""
        super().resizeEvent(event)
        self._layout_blocks()

    def sizeHint(self) -> QSize:
        """As wide as there is room for; a whole day tall."""
        return QSize(GUTTER + 120 * self.days, int(24 * self.hour_height))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Pick up a scheduled session's block."""
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        pos = event.position()
        session = self.session_at(pos)
        if session is None or session.status is not SessionStatus.SCHEDULED:
            self._drag = None
            return
        rect = self._blocks[session.id]
        grab = int((pos.y() - rect.top()) * 60 / self.hour_height)
        self._drag = _Drag(session, pos, grab)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """The block follows the mouse, snapped to a quarter hour."""
        drag = self._drag
        if drag is None:
            return
        pos = event.position()
        if not drag.active and (pos - drag.press).manhattanLength() < DRAG_DISTANCE:
            return
        drag.active = True
        self.setCursor(Qt.CursorShape.ClosedHandCursor)
        drag.target = self.slot_at(pos, drag.grab_minutes)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Drop: ask to move the session when it landed somewhere new."""
        drag, self._drag = self._drag, None
        self.unsetCursor()
        if drag is None or not drag.active:
            return
        self.update()
        target = self.slot_at(event.position(), drag.grab_minutes)
        if target is None or target == self.place(drag.session):
            return
        self.hold(drag.session.id, target)
        self.move_requested.emit(drag.session.id, self.start_for(*target))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Open the session's client."""
        self._drag = None
        session = self.session_at(event.position())
        if session is not None:
            self.open_requested.emit(session.id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Ask for the session's menu."""
        session = self.session_at(QPointF(event.pos()))
        if session is not None:
            self.menu_requested.emit(session.id, event.globalPos())

    # Painting

    def paintEvent(self, event: QPaintEvent) -> None:
        """Hours, working time, busy times, sessions, now, and a dragged block."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        clip = QRectF(event.rect())
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        painter.fillRect(self.rect(), base)
        off_hours = QColor("#f1f3f6")
        self._paint_hours(painter, off_hours)
        self._paint_busy(painter)
        self._paint_lines(painter, palette)
        for session_id, rect in self._blocks.items():
            if rect.intersects(clip):
                faded = self._drag is not None and self._drag.active
                dragged = faded and self._drag is not None and self._drag.session.id == session_id
                self._paint_block(painter, self._by_id[session_id], rect, 0.35 if dragged else 1.0)
        self._paint_now(painter)
        self._paint_drag(painter)
        painter.end()

    def _paint_hours(self, painter: QPainter, off_hours: QColor) -> None:
        by_day: dict[int, list[WorkingHours]] = {}
        for stretch in self.data.hours:
            by_day.setdefault(stretch.weekday, []).append(stretch)
        for index in range(self.days):
            day = self.data.first_day + timedelta(days=index)
            column = self.column_rect(index)
            if by_day:
                painter.fillRect(column, off_hours)
                for stretch in by_day.get(day.weekday(), []):
                    top, bottom = self.y_for(stretch.start_minute), self.y_for(stretch.end_minute)
                    painter.fillRect(
                        QRectF(column.left(), top, column.width(), bottom - top),
                        self.palette().color(QPalette.ColorRole.Base),
                    )
            if day == self.data.today and self.days > 1:
                painter.fillRect(column, QColor(59, 111, 182, 14))

    def _paint_busy(self, painter: QPainter) -> None:
        if not self.data.busy:
            return
        brush = QBrush(QColor("#b8bec8"), Qt.BrushStyle.BDiagPattern)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() - 1.5)
        painter.setFont(font)
        for busy in self.data.busy:
            start = in_zone(busy.starts_at, self.data.zone)
            end = in_zone(busy.ends_at, self.data.zone)
            for index in range(self.days):
                day = self.data.first_day + timedelta(days=index)
                if not start.date() <= day <= end.date():
                    continue
                top = 0 if start.date() < day else start.hour * 60 + start.minute
                bottom = 24 * 60 if end.date() > day else end.hour * 60 + end.minute
                if bottom <= top:
                    continue
                column = self.column_rect(index)
                rect = QRectF(
                    column.left(), self.y_for(top), column.width(), self.y_for(bottom - top)
                )
                painter.fillRect(rect, QColor("#eceef2"))
                painter.fillRect(rect, brush)
                painter.setPen(MUTED_TEXT)
                painter.drawText(
                    rect.adjusted(4, 2, -4, 0),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                    "Busy",
                )

    def _paint_lines(self, painter: QPainter, palette: QPalette) -> None:
        line = palette.color(QPalette.ColorRole.Mid)
        line.setAlpha(90)
        half = QColor(line)
        half.setAlpha(35)
        painter.setFont(self.font())
        metrics = QFontMetrics(self.font())
        right = float(self.width())
        for hour in range(24):
            y = self.y_for(hour * 60)
            painter.setPen(QPen(line, 1))
            painter.drawLine(QPointF(GUTTER - 6, y), QPointF(right, y))
            painter.setPen(QPen(half, 1, Qt.PenStyle.DotLine))
            painter.drawLine(
                QPointF(GUTTER, y + self.hour_height / 2), QPointF(right, y + self.hour_height / 2)
            )
            if hour:
                painter.setPen(MUTED_TEXT)
                painter.drawText(
                    QRectF(0, y - metrics.height() / 2, GUTTER - 10, metrics.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    f"{hour:02d}:00",
                )
        painter.setPen(QPen(line, 1))
        for index in range(self.days + 1):
            x = GUTTER + index * self.column_width()
            painter.drawLine(QPointF(x, 0), QPointF(x, 24 * self.hour_height))

    def _paint_block(
        self, painter: QPainter, session: Session, rect: QRectF, opacity: float
    ) -> None:
        status = session.status
        hue = QColor(
            GROUP_HUE
            if session.client_id is None
            else CLIENT_HUES[session.client_id % len(CLIENT_HUES)]
        )
        fill = QColor(hue)
        fill.setAlpha(48)
        text = TEXT_COLOR
        if status is SessionStatus.DONE:
            hue, fill, text = QColor("#a3aab5"), QColor("#eef0f3"), MUTED_TEXT
        elif status in (SessionStatus.CANCELLED, SessionStatus.RESCHEDULED):
            opacity *= 0.45
            hue, fill, text = QColor("#a3aab5"), QColor("#f4f5f7"), MUTED_TEXT
        painter.save()
        painter.setOpacity(opacity)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 4, 4)
        painter.setBrush(hue)
        painter.drawRoundedRect(QRectF(rect.left(), rect.top(), 4, rect.height()), 2, 2)
        self._paint_text(painter, session, rect.adjusted(8, 2, -4, -2), text)
        painter.restore()

    def _paint_text(self, painter: QPainter, session: Session, rect: QRectF, color: QColor) -> None:
        lines = self.lines_for(session)
        struck = session.status in (
            SessionStatus.NO_SHOW,
            SessionStatus.LATE_CANCEL,
            SessionStatus.CANCELLED,
        )
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        bold.setStrikeOut(struck)
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() - 1.5)
        fonts = [bold, self.font(), small]
        y = rect.top()
        if rect.height() < QFontMetrics(bold).height() * 2:
            lines = [f"{lines[0]} · {lines[1]}"]
        for number, line in enumerate(lines):
            font = fonts[min(number, 2)]
            metrics = QFontMetrics(font)
            if y + metrics.height() > rect.bottom() + 2 and number:
                break
            painter.setFont(font)
            tagged = number == 1 and session.status in (
                SessionStatus.NO_SHOW,
                SessionStatus.LATE_CANCEL,
            )
            painter.setPen(PROBLEM_COLOR if tagged else color if number < 2 else MUTED_TEXT)
            painter.drawText(
                QRectF(rect.left(), y, rect.width(), metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(line, Qt.TextElideMode.ElideRight, int(rect.width())),
            )
            y += metrics.height()

    def _paint_now(self, painter: QPainter) -> None:
        local = in_zone(self.now, self.data.zone)
        index = (local.date() - self.data.first_day).days
        if not 0 <= index < self.days:
            return
        column = self.column_rect(index)
        y = self.y_for(local.hour * 60 + local.minute)
        painter.setPen(QPen(PROBLEM_COLOR, 2))
        painter.drawLine(QPointF(column.left(), y), QPointF(column.right(), y))
        painter.setBrush(PROBLEM_COLOR)
        painter.drawEllipse(QPointF(column.left(), y), 4, 4)

    def _paint_drag(self, painter: QPainter) -> None:
        drag = self._drag
        if drag is None or not drag.active or drag.target is None:
            return
        index, minute = drag.target
        column = self.column_rect(index)
        rect = QRectF(
            column.left() + 2,
            self.y_for(minute) + 1,
            column.width() - 6,
            max(14.0, self.y_for(drag.session.minutes) - 2),
        )
        moved = replace(drag.session, starts_at=self.start_for(index, minute))
        self._paint_block(painter, moved, rect, 1.0)
        painter.setPen(QPen(QColor("#3b6fb6"), 2, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 4, 4)


class DayHeader(QWidget):
    """The day names over a TimeGrid's columns.

    Args:
        grid: the grid whose columns it names.
        parent: the owning widget.
    """

    def __init__(self, grid: TimeGrid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.setFixedHeight(QFontMetrics(self.font()).height() * 2 + 12)

    def labels(self) -> list[str]:
        """What each column says, e.g. "Mon 23"."""
        first = self.grid.data.first_day
        days = [first + timedelta(days=i) for i in range(self.grid.days)]
        if self.grid.days == 1:
            return [f"{first:%A} {first.day}"]
        return [f"{day:%a} {day.day}" for day in days]

    def paintEvent(self, event: QPaintEvent) -> None:
        """Day names; today's in the accent colour."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        bold.setPointSizeF(bold.pointSizeF() + 1)
        line = self.palette().color(QPalette.ColorRole.Mid)
        for index, label in enumerate(self.labels()):
            column = self.grid.column_rect(index)
            rect = QRectF(column.left(), 0, column.width(), self.height())
            day = self.grid.data.first_day + timedelta(days=index)
            if day == self.grid.data.today:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(59, 111, 182, 30))
                painter.drawRoundedRect(rect.adjusted(3, 4, -3, -4), 6, 6)
                painter.setPen(QColor("#2c5597"))
            else:
                painter.setPen(TEXT_COLOR)
            painter.setFont(bold)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(line)
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        painter.end()


class CalendarPane(QWidget):
    """A TimeGrid in a scroll area under its day header.

    Args:
        days: 7 for a week, 1 for a day.
        parent: the owning widget.
    """

    def __init__(self, days: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = TimeGrid(days)
        self.header = DayHeader(self.grid)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroller.setWidget(self.grid)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, self.scroller.verticalScrollBar().sizeHint().width(), 0)
        head.addWidget(self.header)
        layout.addLayout(head)
        layout.addWidget(self.scroller, 1)
        self._scrolled = False

    def set_data(self, data: CalendarData) -> None:
        """Show these days; the first time, scroll to the working morning."""
        self.grid.set_data(data)
        self.header.update()
        if not self._scrolled:
            self.scroll_to_hour(FIRST_HOUR)

    def scroll_to_hour(self, hour: int) -> None:
        """Put `hour` at the top of the visible part."""
        self._scrolled = True
        # A little above the hour, so its label is not cut in half.
        margin = QFontMetrics(self.grid.font()).height()
        self.scroller.verticalScrollBar().setValue(int(self.grid.y_for(hour * 60)) - margin)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fit the working day (07:00 to 21:00) in the height when there is room."""
        super().resizeEvent(event)
        visible = self.height() - self.header.height()
        top = self.scroller.verticalScrollBar().value() / max(1.0, self.grid.hour_height)
        self.grid.set_hour_height(visible / (LAST_HOUR - FIRST_HOUR))
        self.scroller.verticalScrollBar().setValue(int(top * self.grid.hour_height))
        self.header.update()


# The view -----------------------------------------------------------------------------------------


class CalendarView(LazyView):
    """Sessions by week, by day, or as a two-week agenda, in the coach's time zone.

    Drag a block to move its session (15-minute steps); inside the offer's notice
    period the coach is asked for a reason. Double-click opens the client; the
    right-click menu marks a session done, no-show or cancelled.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        open_client_requested: a client's id, to show their page.
        loaded: the number of sessions shown, after each load.
    """

    notice = Signal(str, object)
    open_client_requested = Signal(int)
    loaded = Signal(int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.mode = Mode.WEEK
        self._day: date | None = None
        self._zone = "UTC"
        self.reason_dialog: QInputDialog | None = None
        self.menu: QMenu | None = None

        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Go back to this week")
        self.today_button.clicked.connect(self._on_today)
        self.back_button = QToolButton()
        self.back_button.setText("\u2039")
        self.back_button.setToolTip("Earlier")
        self.back_button.clicked.connect(lambda: self._on_step(-1))
        self.forward_button = QToolButton()
        self.forward_button.setText("\u203a")
        self.forward_button.setToolTip("Later")
        self.forward_button.clicked.connect(lambda: self._on_step(1))
        for arrow in (self.back_button, self.forward_button):
            font = arrow.font()
            font.setPointSizeF(font.pointSizeF() + 4)
            arrow.setFont(font)
            arrow.setAutoRaise(True)
        self.title = heading("", 4)
        self.title.setObjectName("calendarTitle")
        self.zone_label = muted(wrap=False)

        self.mode_buttons: dict[Mode, QPushButton] = {}
        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        for mode, text in ((Mode.WEEK, "Week"), (Mode.DAY, "Day"), (Mode.AGENDA, "Agenda")):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setChecked(mode is self.mode)
            button.clicked.connect(lambda _checked=False, m=mode: self.set_mode(m))
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button

        self.week_pane = CalendarPane(7)
        self.day_pane = CalendarPane(1)
        self.week = self.week_pane.grid
        self.day = self.day_pane.grid
        for grid in (self.week, self.day):
            grid.move_requested.connect(self._on_move_requested)
            grid.open_requested.connect(self._on_open_requested)
            grid.menu_requested.connect(self._on_menu_requested)

        self.agenda = QTreeWidget()
        self.agenda.setObjectName("agendaTree")
        self.agenda.setHeaderLabels(["Your time", "Client's time", "Client", "Status"])
        self.agenda.setRootIsDecorated(False)
        self.agenda.setUniformRowHeights(True)
        self.agenda.itemDoubleClicked.connect(self._on_agenda_activated)
        self.agenda.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.agenda.customContextMenuRequested.connect(self._on_agenda_menu)
        char = self.agenda.fontMetrics().averageCharWidth()
        for column, chars in enumerate((22, 40, 30, 14)):
            self.agenda.setColumnWidth(column, chars * char)
        self.agenda_empty = EmptyState(
            "Nothing booked in the next two weeks",
            "Book sessions from a client's page; they appear here and in the week view.",
        )
        self.agenda_stack = QStackedWidget()
        self.agenda_stack.addWidget(self.agenda)
        self.agenda_stack.addWidget(self.agenda_empty)

        self.content = QStackedWidget()
        self.content.addWidget(self.week_pane)
        self.content.addWidget(self.day_pane)
        self.content.addWidget(self.agenda_stack)

        top = QHBoxLayout()
        top.addWidget(self.today_button)
        top.addWidget(self.back_button)
        top.addWidget(self.forward_button)
        top.addSpacing(8)
        top.addWidget(self.title)
        top.addSpacing(8)
        top.addWidget(self.zone_label, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        toggle = QHBoxLayout()
        toggle.setSpacing(0)
        for button in self.mode_buttons.values():
            toggle.addWidget(button)
        top.addLayout(toggle)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.content, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._on_tick)
        self.timer.start()
        ops.opened.connect(self.mark_stale)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)

    # Public API

    def current_grid(self) -> TimeGrid | None:
        """The week or day grid on screen (None in the agenda)."""
        return {Mode.WEEK: self.week, Mode.DAY: self.day}.get(self.mode)

    def set_mode(self, mode: Mode) -> None:
        """Show the week, the day or the agenda."""
        mode = Mode(mode)
        self.mode_buttons[mode].setChecked(True)
        if mode is self.mode:
            return
        if mode is Mode.DAY and self._day is not None and self.mode is Mode.WEEK:
            today = self.week.data.today
            first = self.week.data.first_day
            self._day = today if first <= today < first + timedelta(days=7) else first
        self.mode = mode
        self.content.setCurrentIndex(list(Mode).index(mode))
        self.back_button.setEnabled(mode is not Mode.AGENDA)
        self.forward_button.setEnabled(mode is not Mode.AGENDA)
        self.mark_stale()

    def go_to(self, day: date) -> None:
        """Show the week (or the day) that holds `day`."""
        self._day = day
        self.mark_stale()

    def first_day(self) -> date | None:
        """The first day shown in the week or day view (None before the first load)."""
        if self._day is None:
            return None
        if self.mode is Mode.WEEK:
            return self._day - timedelta(days=self._day.weekday())
        return self._day

    @Slot()
    def reload(self) -> None:
        """Read what the current view shows on the db lane."""
        self._stale = False
        if self.mode is Mode.AGENDA:
            self._ops.run(
                load_agenda,
                on_done=self._on_agenda_loaded,
                owner=self,
                context="loading the agenda",
            )
            return
        first, days = self.first_day(), 7 if self.mode is Mode.WEEK else 1
        self._ops.run(
            lambda vault: load_days(vault, first, days),
            on_done=self._on_days_loaded,
            owner=self,
            context="loading the calendar",
        )

    @Slot()
    def clear(self) -> None:
        """Forget every session shown (the vault is locking)."""
        self.week.clear()
        self.day.clear()
        self.agenda.clear()
        self._stale = True

    def agenda_rows(self) -> list[tuple[str, ...]]:
        """The agenda as text: day headings as 1-tuples, sessions as their four columns."""
        rows: list[tuple[str, ...]] = []
        for group in self._agenda_groups():
            rows.append((group.text(0),))
            for child in self._children(group):
                rows.append(tuple(child.text(c) for c in range(4)))
        return rows

    def context_menu(self, session_id: int) -> QMenu:
        """The right-click menu of a session (built, not shown)."""
        session = self._session(session_id)
        menu = QMenu(self)
        if session is None:
            return menu
        scheduled = session.status is SessionStatus.SCHEDULED
        actions: Sequence[tuple[str, Callable[[], None], bool]] = (
            (
                "Mark done",
                lambda: self._mark(session, SessionStatus.DONE),
                session.status is not SessionStatus.DONE,
            ),
            (
                "No-show",
                lambda: self._mark(session, SessionStatus.NO_SHOW),
                session.status is not SessionStatus.NO_SHOW,
            ),
            ("Cancel", lambda: self._cancel(session), scheduled),
            (
                "Back to scheduled",
                lambda: self._mark(session, SessionStatus.SCHEDULED),
                not scheduled,
            ),
        )
        for text, handler, enabled in actions:
            if text == "Back to scheduled" and not enabled:
                continue
            action = menu.addAction(text)
            action.setEnabled(enabled)
            action.triggered.connect(handler)
        menu.addSeparator()
        open_action = menu.addAction("Open client")
        open_action.setEnabled(session.client_id is not None)
        open_action.triggered.connect(lambda: self._on_open_requested(session.id))
        return menu

    # Helpers

    def _agenda_groups(self) -> list[QTreeWidgetItem]:
        count = self.agenda.topLevelItemCount()
        return [g for g in (self.agenda.topLevelItem(i) for i in range(count)) if g is not None]

    @staticmethod
    def _children(group: QTreeWidgetItem) -> list[QTreeWidgetItem]:
        return [c for c in (group.child(j) for j in range(group.childCount())) if c is not None]

    def _session(self, session_id: int) -> Session | None:
        for grid in (self.week, self.day):
            for session in grid.data.sessions:
                if session.id == session_id:
                    return session
        for group in self._agenda_groups():
            for child in self._children(group):
                found = child.data(0, Qt.ItemDataRole.UserRole)
                if isinstance(found, Session) and found.id == session_id:
                    return found
        return None

    def _update_title(self) -> None:
        if self.mode is Mode.AGENDA:
            self.title.setText("Next 14 days")
            self.today_button.setEnabled(False)
            return
        self.today_button.setEnabled(True)
        first = self.first_day()
        if first is None:
            self.title.clear()
            return
        last = first + timedelta(days=6 if self.mode is Mode.WEEK else 0)
        self.title.setText(period_title(first, last))

    def _move(self, session: Session, new_start: datetime, reason: str = "") -> None:
        grid = self.current_grid()
        self._ops.run(
            lambda vault: move_session(vault, session.id, new_start, reason),
            on_done=lambda moved: self._on_moved(moved, session, reason),
            on_error=lambda failure: self._on_move_failed(failure, session, new_start, grid),
            changes="sessions",
            owner=self,
            context="moving a session",
        )

    def _undo_move(self, moved: Session, previous: Session) -> None:
        self._ops.run(
            lambda vault: move_session(vault, moved.id, previous.starts_at, "Undo"),
            on_done=lambda _back: self.notice.emit(f"Moved {who(previous)}'s session back.", None),
            on_error=self._on_failed,
            changes="sessions",
            owner=self,
            context="moving a session back",
        )

    def ask_reason(self, message: str, on_answer: Callable[[str], None]) -> QInputDialog:
        """Ask why the session moves inside the notice period; `on_answer` gets the reason."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Move inside the notice period")
        dialog.setLabelText(
            f"{message}\n\nMove it anyway? Give a reason (it is kept in the history):"
        )
        dialog.setOkButtonText("Move anyway")
        dialog.setCancelButtonText("Don't move")
        dialog.setTextValue("")
        dialog.resize(460, dialog.sizeHint().height())

        def finished(result: int) -> None:
            self.reason_dialog = None
            on_answer(dialog.textValue().strip() if result else "")

        dialog.finished.connect(finished)
        self.reason_dialog = dialog
        dialog.open()
        return dialog

    def _mark(self, session: Session, status: SessionStatus) -> None:
        previous = session.status
        self._ops.run(
            lambda vault: mark_session(vault, session.id, status),
            on_done=lambda marked: self._on_marked(marked, previous),
            on_error=self._on_failed,
            changes="sessions",
            owner=self,
            context="marking a session",
        )

    def _cancel(self, session: Session) -> None:
        self._ops.run(
            lambda vault: cancel_session(vault, session.id),
            on_done=lambda marked: self._on_marked(marked, session.status),
            on_error=self._on_failed,
            changes="sessions",
            owner=self,
            context="cancelling a session",
        )

    def _when(self, session: Session) -> str:
        local = in_zone(session.starts_at, self._zone)
        return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"

    # Slots

    @Slot(object)
    def _on_days_loaded(self, data: CalendarData) -> None:
        self._zone = data.zone
        if self._day is None:
            self._day = data.today if data.days == 1 else data.first_day
            if data.days == 7 and data.first_day <= data.today:
                self._day = data.today
        pane = self.week_pane if data.days == 7 else self.day_pane
        pane.set_data(data)
        self.zone_label.setText(f"Times in {city(data.zone)}")
        self._update_title()
        self.loaded.emit(len(data.sessions))

    @Slot(object)
    def _on_agenda_loaded(self, data: CalendarData) -> None:
        self._zone = data.zone
        self.agenda.clear()
        groups: dict[date, QTreeWidgetItem] = {}
        bold = QFont(self.agenda.font())
        bold.setWeight(QFont.Weight.DemiBold)
        for session in data.sessions:
            coach = in_zone(session.starts_at, data.zone)
            day = coach.date()
            group = groups.get(day)
            if group is None:
                label = (
                    "Today"
                    if day == data.today
                    else "Tomorrow"
                    if day == data.today + timedelta(days=1)
                    else ""
                )
                text = f"{day:%A} {day.day} {day:%B}"
                group = QTreeWidgetItem([f"{label} · {text}" if label else text])
                group.setFirstColumnSpanned(True)
                group.setFont(0, bold)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.agenda.addTopLevelItem(group)
                group.setFirstColumnSpanned(True)
                groups[day] = group
            end = in_zone(session.ends_at, data.zone)
            theirs = client_time_line(session, data.zone)
            child = QTreeWidgetItem(
                [
                    f"{coach:%H:%M}{DASH}{end:%H:%M}",
                    theirs or "same as yours",
                    who(session),
                    session.status.label,
                ]
            )
            child.setData(0, Qt.ItemDataRole.UserRole, session)
            if session.status is not SessionStatus.SCHEDULED:
                for column in range(4):
                    child.setForeground(column, MUTED_TEXT)
            group.addChild(child)
        self.agenda.expandAll()
        self.agenda_stack.setCurrentWidget(self.agenda if data.sessions else self.agenda_empty)
        self.zone_label.setText(f"Times in {city(data.zone)}")
        self._update_title()
        self.loaded.emit(len(data.sessions))

    @Slot()
    def _on_today(self) -> None:
        self._day = None
        self.mark_stale()

    def _on_step(self, direction: int) -> None:
        if self._day is None or self.mode is Mode.AGENDA:
            return
        self._day += timedelta(days=direction * (7 if self.mode is Mode.WEEK else 1))
        self.mark_stale()

    @Slot(int, object)
    def _on_move_requested(self, session_id: int, new_start: datetime) -> None:
        session = self._session(session_id)
        if session is not None:
            self._move(session, new_start)

    def _on_moved(self, moved: Session, previous: Session, reason: str) -> None:
        why = f" (reason: {reason})" if reason else ""
        self.notice.emit(
            f"Moved {who(moved)}'s session to {self._when(moved)}{why}.",
            lambda: self._undo_move(moved, previous),
        )

    def _on_move_failed(
        self, failure: Failure, session: Session, new_start: datetime, grid: TimeGrid | None
    ) -> None:
        notice = isinstance(failure.error, NoticeRequiredError)
        if notice and self.reason_dialog is None:

            def answered(reason: str) -> None:
                if reason:
                    self._move(session, new_start, reason)
                    return
                if grid is not None:
                    grid.release(session.id)
                self.notice.emit(f"{who(session)}'s session stays where it was.", None)

            self.ask_reason(failure.message, answered)
            return
        if grid is not None:
            grid.release(session.id)
        self._on_failed(failure)

    def _on_failed(self, failure: Failure) -> None:
        self.notice.emit(failure.inline_text, None)
        self.mark_stale()

    def _on_marked(self, marked: Session, previous: SessionStatus) -> None:
        label = marked.status.label.lower()
        self.notice.emit(
            f"{who(marked)}'s session on {self._when(marked)}: {label}.",
            lambda: self._mark(marked, previous),
        )

    @Slot(int)
    def _on_open_requested(self, session_id: int) -> None:
        session = self._session(session_id)
        if session is None:
            return
        if session.client_id is None:
            self.notice.emit("A group session has no single client to open.", None)
            return
        self.open_client_requested.emit(session.client_id)

    @Slot(int, QPoint)
    def _on_menu_requested(self, session_id: int, where: QPoint) -> None:
        self.menu = self.context_menu(session_id)
        self.menu.popup(where)

    @Slot(QTreeWidgetItem, int)
    def _on_agenda_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        session = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(session, Session):
            self._on_open_requested(session.id)

    @Slot(QPoint)
    def _on_agenda_menu(self, pos: QPoint) -> None:
        item = self.agenda.itemAt(pos)
        session = None if item is None else item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(session, Session):
            self._on_menu_requested(session.id, self.agenda.viewport().mapToGlobal(pos))

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in RELOAD_ON:
            self.mark_stale()

    @Slot()
    def _on_tick(self) -> None:
        if self.isVisible() and self._ops.is_open and self._drag_idle():
            grid = self.current_grid()
            if grid is not None:
                grid.now = datetime.now(UTC).replace(tzinfo=None)
                grid.update()

    def _drag_idle(self) -> bool:
        return self.reason_dialog is None
