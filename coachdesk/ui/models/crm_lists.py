"""Models for the relationship lists: notes, goals with milestones, follow-ups, renewal risks.

Each is a thin adapter over frozen records from the services. Goals and
follow-ups are two-level trees: a goal holds its milestones, and follow-ups
are grouped under section rows ("Overdue", "Next 7 days").
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from coachdesk.domain.crm import FollowUp, Goal, GoalStatus, Milestone, Note, Recurrence
from coachdesk.domain.risk import Risk

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ITEM_ROLE = Qt.ItemDataRole.UserRole + 2
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3

WARNING_COLOR = QColor("#c62828")
DONE_COLOR = QColor("#757575")
GOAL_STATUS_COLORS = {
    GoalStatus.NOT_STARTED: QColor("#616161"),
    GoalStatus.ON_TRACK: QColor("#2e7d32"),
    GoalStatus.AT_RISK: QColor("#ef6c00"),
    GoalStatus.ACHIEVED: QColor("#1565c0"),
    GoalStatus.DROPPED: DONE_COLOR,
}
LEVEL_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}
LEVEL_COLORS = {"high": QColor("#c62828"), "medium": QColor("#ef6c00"), "low": QColor("#2e7d32")}

_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FONT = Qt.ItemDataRole.FontRole
_CHECK = Qt.ItemDataRole.CheckStateRole


# Times ------------------------------------------------------------------------------------


def utc_now() -> datetime:
    """Now, as the vault stores times (naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    """A stored (naive UTC) time in this computer's zone."""
    return value.replace(tzinfo=UTC).astimezone()


def to_utc(local: datetime) -> datetime:
    """A naive time the coach entered in this computer's zone, as the vault stores it."""
    return local.astimezone().astimezone(UTC).replace(tzinfo=None)


def days_ago(when: datetime, now: datetime | None = None) -> str:
    """ "today", "yesterday", "12 days ago" (local calendar days)."""
    days = (to_local(now or utc_now()).date() - to_local(when).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def day_text(day: date) -> str:
    """ "3 Nov 2026"."""
    return f"{day.day} {day:%b %Y}"


def due_text(due: datetime, now: datetime | None = None) -> str:
    """A stored due time in local words: "Today 14:00", "Tomorrow 09:00", "Mon 10 Nov, 09:00"."""
    local = to_local(due)
    today = to_local(now or utc_now()).date()
    days = (local.date() - today).days
    clock = f"{local:%H:%M}"
    if days == 0:
        return f"Today {clock}"
    if days == 1:
        return f"Tomorrow {clock}"
    if days == -1:
        return f"Yesterday {clock}"
    if local.year == today.year:
        return f"{local:%a} {local.day} {local:%b}, {clock}"
    return f"{local.day} {local:%b %Y}, {clock}"


def _span(delta: timedelta) -> str:
    seconds = abs(delta.total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "1 minute"


def late_text(due: datetime, now: datetime | None = None) -> str:
    """How late an overdue follow-up is: "2 days late"."""
    return f"{_span((now or utc_now()) - due)} late"


def follow_up_state(item: FollowUp, now: datetime) -> str:
    """ "Overdue · 2 days late", "Due in 3 hours", "Done 3 Nov 2026"."""
    if item.done_at is not None:
        return f"Done {day_text(to_local(item.done_at).date())}"
    if item.is_overdue(now):
        return f"Overdue · {late_text(item.due_at, now)}"
    return f"Due in {_span(item.due_at - now)}"


def recurrence_text(recurrence: Recurrence) -> str:
    """ "Weekly", or "" for a one-off (an empty cell reads better than "Does not repeat")."""
    return recurrence.label if recurrence is not Recurrence.NONE else ""


def _bold(font: QFont | None = None) -> QFont:
    bold = QFont(font) if font is not None else QFont()
    bold.setWeight(QFont.Weight.DemiBold)
    return bold


# Two-level trees --------------------------------------------------------------------------


class _TwoLevelModel(QAbstractItemModel):
    """Top rows with child rows, one level deep.

    A top row's index has internal id 0; a child's holds its top row + 1.
    """

    HEADERS: tuple[str, ...] = ()

    def _top_count(self) -> int:
        raise NotImplementedError

    def _child_count(self, top: int) -> int:
        raise NotImplementedError

    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        """The index of a top row, or of a child under `parent`."""
        if not 0 <= column < len(self.HEADERS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < self._top_count() else QModelIndex()
        if parent.internalId() != 0 or parent.column() != 0:
            return QModelIndex()
        top = parent.row()
        if row >= self._child_count(top):
            return QModelIndex()
        return self.createIndex(row, column, top + 1)

    def parent(self, child: Index = _ROOT) -> QModelIndex:  # type: ignore[override]
        """A child's top row; none for top rows."""
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = _ROOT) -> int:
        """Top rows, or a top row's children."""
        if not parent.isValid():
            return self._top_count()
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return self._child_count(parent.row())

    def columnCount(self, parent: Index = _ROOT) -> int:
        """The same columns on both levels."""
        return len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    @staticmethod
    def _split(index: Index) -> tuple[int, int | None]:
        """(top row, child row or None)."""
        if index.internalId() == 0:
            return index.row(), None
        return index.internalId() - 1, index.row()


class FollowUpColumn(enum.IntEnum):
    """The follow-up list's columns (Client only where several clients show)."""

    CLIENT = 0
    TITLE = 1
    DUE = 2
    REPEATS = 3
    STATE = 4


class FollowUpModel(_TwoLevelModel):
    """Follow-ups under section rows, with the overdue ones in the warning colour.

    Args:
        show_client: include the Client column (the Due list; not a client's own page).
        parent: the owning QObject.
    """

    def __init__(self, show_client: bool = True, parent: Any = None) -> None:
        super().__init__(parent)
        self._columns = [c for c in FollowUpColumn if show_client or c is not FollowUpColumn.CLIENT]
        self.HEADERS = tuple(
            {
                FollowUpColumn.CLIENT: "Client",
                FollowUpColumn.TITLE: "Follow-up",
                FollowUpColumn.DUE: "Due",
                FollowUpColumn.REPEATS: "Repeats",
                FollowUpColumn.STATE: "Status",
            }[c]
            for c in self._columns
        )
        self._sections: list[tuple[str, tuple[FollowUp, ...]]] = []
        self._now = utc_now()

    def _top_count(self) -> int:
        return len(self._sections)

    def _child_count(self, top: int) -> int:
        return len(self._sections[top][1]) if 0 <= top < len(self._sections) else 0

    def column(self, column: FollowUpColumn) -> int:
        """Where a column is shown (-1 when it is not)."""
        return self._columns.index(column) if column in self._columns else -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Texts, the warning colour for overdue rows, the follow-up for ITEM_ROLE."""
        if not index.isValid():
            return None
        top, child = self._split(index)
        if not 0 <= top < len(self._sections):
            return None
        title, items = self._sections[top]
        if child is None:
            if index.column() != 0:
                return None
            if role == _DISPLAY:
                return f"{title}  ·  {len(items)}"
            if role == _FONT:
                return _bold()
            if role == _FOREGROUND and title == "Overdue":
                return WARNING_COLOR
            return None
        if not 0 <= child < len(items):
            return None
        item = items[child]
        column = self._columns[index.column()]
        if role == _DISPLAY:
            return self._text(item, column)
        if role == _FOREGROUND:
            if item.done_at is not None:
                return DONE_COLOR
            if item.is_overdue(self._now):
                return WARNING_COLOR
            return None
        if role == _FONT and column is FollowUpColumn.STATE and item.is_overdue(self._now):
            return _bold()
        if role == _TOOLTIP:
            if column is FollowUpColumn.DUE:
                return f"{to_local(item.due_at):%A %d %B %Y, %H:%M} (your time)"
            if column is FollowUpColumn.TITLE:
                return item.title
            return None
        if role == ID_ROLE:
            return item.id
        if role == ITEM_ROLE:
            return item
        return None

    def _text(self, item: FollowUp, column: FollowUpColumn) -> str:
        if column is FollowUpColumn.CLIENT:
            return item.client_name
        if column is FollowUpColumn.TITLE:
            return item.title
        if column is FollowUpColumn.DUE:
            return due_text(item.due_at, self._now)
        if column is FollowUpColumn.REPEATS:
            return recurrence_text(item.recurrence)
        return follow_up_state(item, self._now)

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Follow-ups are selectable; section rows are not."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() == 0:
            return Qt.ItemFlag.ItemIsEnabled
        flag = Qt.ItemFlag
        return flag.ItemIsEnabled | flag.ItemIsSelectable | flag.ItemNeverHasChildren

    # Our API ------------------------------------------------------------------

    def set_sections(
        self, sections: Sequence[tuple[str, Sequence[FollowUp]]], now: datetime | None = None
    ) -> None:
        """Show these sections (empty ones are left out); `now` decides what is overdue."""
        self.beginResetModel()
        self._now = now or utc_now()
        self._sections = [(title, tuple(items)) for title, items in sections if items]
        self.endResetModel()

    def clear(self) -> None:
        """Forget every follow-up (the vault is locking)."""
        self.set_sections([])

    @property
    def now(self) -> datetime:
        """The time the rows were judged against."""
        return self._now

    def section_titles(self) -> list[str]:
        """The titles of the sections shown, in order."""
        return [title for title, _items in self._sections]

    def follow_ups(self) -> list[FollowUp]:
        """Every follow-up shown, in order."""
        return [item for _title, items in self._sections for item in items]

    def follow_up_at(self, index: Index) -> FollowUp | None:
        """The follow-up of a row (None for a section row)."""
        item = self.data(index, ITEM_ROLE) if index.isValid() else None
        return item if isinstance(item, FollowUp) else None

    def index_of(self, follow_up_id: int, column: int = 0) -> QModelIndex:
        """Where a follow-up is shown (invalid when it is not)."""
        for top, (_title, items) in enumerate(self._sections):
            for row, item in enumerate(items):
                if item.id == follow_up_id:
                    return self.index(row, column, self.index(top, 0))
        return QModelIndex()


def client_sections(items: Sequence[FollowUp], now: datetime) -> list[tuple[str, list[FollowUp]]]:
    """A client's follow-ups grouped for their page: overdue, coming up, done (newest first)."""
    overdue = [f for f in items if f.is_overdue(now)]
    coming = [f for f in items if f.done_at is None and not f.is_overdue(now)]
    done = sorted((f for f in items if f.done_at is not None), key=lambda f: f.done_at or now)
    return [("Overdue", overdue), ("Coming up", coming), ("Done", done[::-1])]


class GoalColumn(enum.IntEnum):
    """The goal list's columns."""

    GOAL = 0
    PROGRESS = 1
    STATUS = 2
    TARGET = 3


class GoalModel(_TwoLevelModel):
    """Goals with their milestones under them; a milestone's box ticks it done.

    Ticking shows at once and emits `milestone_toggled`; the view saves it and
    the next load brings the stored state.

    Args:
        parent: the owning QObject.

    Signals:
        milestone_toggled: (goal id, milestone id, done) when the coach ticks a box.
    """

    HEADERS = ("Goal", "Progress", "Status", "Target date")

    milestone_toggled = Signal(int, int, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._goals: list[Goal] = []
        self._ticked: dict[int, bool] = {}
        self._today = datetime.now().date()

    def _top_count(self) -> int:
        return len(self._goals)

    def _child_count(self, top: int) -> int:
        return len(self._goals[top].milestones) if 0 <= top < len(self._goals) else 0

    def is_done(self, milestone: Milestone) -> bool:
        """Whether a milestone shows as done (a tick not yet saved counts)."""
        return self._ticked.get(milestone.id, milestone.done_at is not None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Texts, progress for PROGRESS_ROLE, check boxes on milestones."""
        if not index.isValid():
            return None
        top, child = self._split(index)
        if not 0 <= top < len(self._goals):
            return None
        goal = self._goals[top]
        column = GoalColumn(index.column())
        if child is None:
            return self._goal_data(goal, column, role)
        if not 0 <= child < len(goal.milestones):
            return None
        return self._milestone_data(goal.milestones[child], column, role)

    def _goal_data(self, goal: Goal, column: GoalColumn, role: int) -> Any:
        late = goal.status.is_open and goal.target_on is not None and goal.target_on < self._today
        if role == _DISPLAY:
            if column is GoalColumn.GOAL:
                return goal.objective
            if column is GoalColumn.PROGRESS:
                return f"{goal.progress}%"
            if column is GoalColumn.STATUS:
                return goal.status.label
            if goal.target_on is None:
                return ""
            return day_text(goal.target_on) + ("  (passed)" if late else "")
        if role == PROGRESS_ROLE and column is GoalColumn.PROGRESS:
            return goal.progress
        if role == _FOREGROUND:
            if column is GoalColumn.STATUS:
                return GOAL_STATUS_COLORS[goal.status]
            if column is GoalColumn.TARGET and late:
                return WARNING_COLOR
            if not goal.status.is_open:
                return DONE_COLOR
            return None
        if role == _FONT and column is GoalColumn.GOAL:
            return _bold()
        if role == _TOOLTIP and column is GoalColumn.GOAL:
            return f"{goal.objective}\nMeasured by: {goal.measure}" if goal.measure else None
        if role == ID_ROLE:
            return goal.id
        if role == ITEM_ROLE:
            return goal
        return None

    def _milestone_data(self, milestone: Milestone, column: GoalColumn, role: int) -> Any:
        done = self.is_done(milestone)
        if role == _DISPLAY:
            if column is GoalColumn.GOAL:
                return milestone.title
            if column is GoalColumn.STATUS:
                return "Done" if done else ""
            if column is GoalColumn.TARGET and milestone.due_on is not None:
                return day_text(milestone.due_on)
            return None
        if role == _CHECK and column is GoalColumn.GOAL:
            return Qt.CheckState.Checked if done else Qt.CheckState.Unchecked
        if role == _FOREGROUND and done:
            return DONE_COLOR
        if role == _TOOLTIP and column is GoalColumn.GOAL:
            return "Tick when this step is done"
        if role == ID_ROLE:
            return milestone.id
        if role == ITEM_ROLE:
            return milestone
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Ticking a milestone's box."""
        if role != _CHECK or not index.isValid() or index.column() != GoalColumn.GOAL:
            return False
        top, child = self._split(index)
        if child is None or not 0 <= top < len(self._goals):
            return False
        goal = self._goals[top]
        if not 0 <= child < len(goal.milestones):
            return False
        milestone = goal.milestones[child]
        done = Qt.CheckState(value) == Qt.CheckState.Checked
        if done == self.is_done(milestone):
            return True
        self._ticked[milestone.id] = done
        parent = self.index(top, 0)
        last = len(self.HEADERS) - 1
        self.dataChanged.emit(self.index(child, 0, parent), self.index(child, last, parent))
        self.milestone_toggled.emit(goal.id, milestone.id, done)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Goals and milestones are selectable; a milestone's first cell is checkable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flag = Qt.ItemFlag
        flags = flag.ItemIsEnabled | flag.ItemIsSelectable
        if index.internalId() != 0:
            flags |= flag.ItemNeverHasChildren
            if index.column() == GoalColumn.GOAL:
                flags |= flag.ItemIsUserCheckable
        return flags

    # Our API ------------------------------------------------------------------

    def set_goals(self, goals: Sequence[Goal], today: date | None = None) -> None:
        """Show these goals (ticks not yet saved are forgotten: the rows are fresh)."""
        self.beginResetModel()
        self._goals = list(goals)
        self._ticked = {}
        self._today = today or datetime.now().date()
        self.endResetModel()

    def clear(self) -> None:
        """Forget every goal (the vault is locking)."""
        self.set_goals([])

    def goals(self) -> list[Goal]:
        """The goals shown, in order."""
        return list(self._goals)

    def goal_at(self, index: Index) -> Goal | None:
        """The goal of a row, or of a milestone's row."""
        if not index.isValid():
            return None
        top, _child = self._split(index)
        return self._goals[top] if 0 <= top < len(self._goals) else None

    def index_of_goal(self, goal_id: int, column: int = 0) -> QModelIndex:
        """Where a goal is shown (invalid when it is not)."""
        for row, goal in enumerate(self._goals):
            if goal.id == goal_id:
                return self.index(row, column)
        return QModelIndex()

    def index_of_milestone(self, milestone_id: int) -> QModelIndex:
        """Where a milestone is shown (invalid when it is not)."""
        for top, goal in enumerate(self._goals):
            for row, milestone in enumerate(goal.milestones):
                if milestone.id == milestone_id:
                    return self.index(row, 0, self.index(top, 0))
        return QModelIndex()


# Flat tables ------------------------------------------------------------------------------


class RecordTable(QAbstractTableModel):
    """A flat table over records that have an `id`."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def rowCount(self, parent: Index = _ROOT) -> int:
        """Rows shown."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        """The columns."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Selectable, never editable in place."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flag = Qt.ItemFlag
        return flag.ItemIsEnabled | flag.ItemIsSelectable | flag.ItemNeverHasChildren

    def _row(self, index: Index) -> Any:
        return self.row_at(index.row()) if index.isValid() else None

    def row_at(self, row: int) -> Any:
        """The record shown in `row`, or None."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Show these records."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def clear(self) -> None:
        """Forget every row (the vault is locking)."""
        self.set_rows([])

    def row_of(self, record_id: int) -> int:
        """Where a record is shown (-1 when it is not)."""
        for row, record in enumerate(self._rows):
            if record.id == record_id:
                return row
        return -1


def first_line(text: str, limit: int = 120) -> str:
    """The first non-empty line, cut to `limit` characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class NoteModel(RecordTable):
    """A client's notes, newest first, as the services return them."""

    HEADERS = ("Date", "Type", "Note", "Themes", "Blockers")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Texts; the full text as the Note column's tooltip."""
        note = self._row(index)
        if not isinstance(note, Note):
            return None
        column = index.column()
        if role == _DISPLAY:
            return (
                day_text(note.occurred_on),
                note.kind.label,
                first_line(note.text),
                ", ".join(note.themes),
                ", ".join(note.blockers),
            )[column]
        if role == _TOOLTIP and column == 2:
            return note.text[:1000]
        if role == _FOREGROUND and column == 4 and note.blockers:
            return GOAL_STATUS_COLORS[GoalStatus.AT_RISK]
        if role == ID_ROLE:
            return note.id
        if role == ITEM_ROLE:
            return note
        return None

    def set_notes(self, notes: Sequence[Note]) -> None:
        """Show these notes."""
        self.set_rows(notes)

    def note_at(self, row: int) -> Note:
        """The note shown in a row."""
        note: Note = self._rows[row]
        return note

    def notes(self) -> list[Note]:
        """The notes shown, in order."""
        return list(self._rows)


class RiskModel(RecordTable):
    """Active clients with their renewal-risk score, level and reasons, riskiest first."""

    HEADERS = ("Client", "Score", "Risk", "Why at risk")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Texts, the level's colour, the reasons one per line as a tooltip."""
        risk = self._row(index)
        if not isinstance(risk, Risk):
            return None
        column = index.column()
        if role == _DISPLAY:
            return (risk.client_name, str(risk.score), LEVEL_LABELS[risk.level], risk.why)[column]
        if role == _FOREGROUND and column in (1, 2):
            return LEVEL_COLORS[risk.level]
        if role == _FONT and column in (1, 2):
            return _bold()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == _TOOLTIP and column == 3:
            reasons = [f"• {f.reason} (+{f.points})" for f in risk.factors]
            return "\n".join(reasons) or risk.why
        if role == ID_ROLE:
            return risk.client_id
        if role == ITEM_ROLE:
            return risk
        return None

    def set_risks(self, risks: Sequence[Risk]) -> None:
        """Show these risks, in the order given (the service sorts them)."""
        self.set_rows(risks)

    def risk_at(self, row: int) -> Risk:
        """The risk shown in a row."""
        risk: Risk = self._rows[row]
        return risk

    def risks(self) -> list[Risk]:
        """The risks shown, in order."""
        return list(self._rows)

    def row_of(self, record_id: int) -> int:
        """Where a client is shown (-1 when they are not)."""
        for row, risk in enumerate(self._rows):
            if risk.client_id == record_id:
                return row
        return -1
