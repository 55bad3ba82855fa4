"""The Pipeline area: the board of stages, the funnel over a date range, and stalled clients."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QDate,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.pipeline import MAX_REASON, FunnelStep, Stage
from coachdesk.domain.segments import Segment
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.board import (
    CardDelegate,
    StageColumnModel,
    StalledListModel,
    plural,
)
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.views.segment_picker import Scoped, SegmentPicker, load_scoped
from coachdesk.ui.widgets import EmptyState, dialog_buttons, heading, muted

if TYPE_CHECKING:
    from coachdesk.services.pipeline import Board, Card
    from coachdesk.store.vault import Vault
    from coachdesk.ui.dialogs.stages import StagesDialog

# Kinds of change that alter what the board shows: stage moves and client edits, stage
# definitions, and contacts or follow-ups (stalled flags, overdue counts).
BOARD_CHANGES = frozenset({"client", "clients", "pipeline", "crm"})
FUNNEL_CHANGES = frozenset({"client", "clients", "pipeline"})

BOARD_EMPTY = (
    "No clients on the board yet",
    "Add clients in the Clients area: new leads start in the first stage, and you "
    "move them along here as they progress.",
)
STALLED_EMPTY = (
    "Nobody is stalled",
    "A client is flagged when they sit in a stage longer than it allows with no "
    "contact. Set the days for each stage with Edit stages… on the board.",
)

COLUMN_WIDTH = 272
UNPLACED = -1


# Run on the db lane. The services (and with them the database stack) are imported
# there, on first use, so that building the window does not wait for them.


def load_board(vault: Vault) -> Board:
    """Db lane: every stage with its cards."""
    from coachdesk.services import pipeline

    return pipeline.board(vault)


def move_clients(vault: Vault, client_ids: list[int], stage_id: int, reason: str = "") -> list[int]:
    """Db lane: move clients to a stage; the ids that moved."""
    from coachdesk.services import pipeline

    return pipeline.move_clients(vault, client_ids, stage_id, reason)


def move_back(vault: Vault, previous: dict[int, int]) -> list[int]:
    """Db lane: put clients back in the stages they came from (Undo); the ids that moved.

    A client going back to a lost stage gets the reason they were lost for last time.
    """
    from coachdesk.services import pipeline

    stages = {s.id: s for s in pipeline.list_stages(vault)}
    groups: dict[int, list[int]] = {}
    for client_id, stage_id in previous.items():
        if stage_id in stages:
            groups.setdefault(stage_id, []).append(client_id)
    moved: list[int] = []
    for stage_id, ids in groups.items():
        if not stages[stage_id].is_lost:
            moved += pipeline.move_clients(vault, ids, stage_id)
            continue
        for client_id in ids:
            reasons = [
                c.reason
                for c in pipeline.history(vault, client_id)
                if c.to_stage_id == stage_id and c.reason
            ]
            reason = reasons[-1] if reasons else "Moved back with Undo."
            moved += pipeline.move_clients(vault, [client_id], stage_id, reason)
    return moved


def funnel_report(vault: Vault, start: date | None, end: date | None) -> list[FunnelStep]:
    """Db lane: funnel figures for clients who entered stages in [start, end]."""
    from coachdesk.services import pipeline

    return pipeline.funnel_report(vault, start, end)


def percent(value: float | None) -> str:
    """ "42 %", or a dash when nobody entered."""
    return "—" if value is None else f"{round(value * 100)} %"


def days_text(value: float | None) -> str:
    """Median days in a stage as the coach reads it: "4.5", "under 1", "—"."""
    if value is None:
        return "—"
    if value < 1:
        return "under 1"
    rounded = round(value, 1)
    return f"{rounded:g}"


def median_phrase(value: float | None) -> str:
    """ "median 4.5 days", "median under a day", "median —"."""
    if value is None:
        return "median —"
    if value < 1:
        return "median under a day"
    text = days_text(value)
    return f"median {text} day" if text == "1" else f"median {text} days"


# The Lost reason ------------------------------------------------------------------------------


class LostReasonDialog(QDialog):
    """Asks why clients are moving to a lost stage; the reason is required.

    Args:
        names: the names of the clients moving.
        stage_name: the lost stage's name.
        parent: the owning widget.
    """

    def __init__(
        self, names: Sequence[str], stage_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Move to {stage_name}")
        if len(names) == 1:
            question = f"Why is {names[0]} moving to {stage_name}?"
        else:
            question = f"Why are {plural(len(names), 'client')} moving to {stage_name}?"
        self.question = QLabel(question)
        self.question.setWordWrap(True)
        font = self.question.font()
        font.setWeight(QFont.Weight.DemiBold)
        self.question.setFont(font)
        self.reason = QLineEdit()
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText("e.g. Chose another coach, budget, timing")
        self.reason.setAccessibleName("Reason")
        self.reason.textChanged.connect(self._on_text_changed)
        buttons, self.ok_button, self.cancel_button = dialog_buttons(
            f"Move to {stage_name}", "Cancel"
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.question)
        layout.addWidget(self.reason)
        layout.addWidget(
            muted(
                "The reason is kept with the client's record."
                if len(names) == 1
                else "The same reason is kept with each client's record."
            )
        )
        layout.addSpacing(6)
        layout.addWidget(buttons)
        self.resize(440, self.sizeHint().height())
        self._on_text_changed("")

    @property
    def reason_text(self) -> str:
        """The reason as typed, trimmed."""
        return self.reason.text().strip()

    def accept(self) -> None:
        """Only with a reason."""
        if self.reason_text:
            super().accept()

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        self.ok_button.setEnabled(bool(text.strip()))


# Board columns -------------------------------------------------------------------------------


class CardList(QListView):
    """One stage's cards: painted, draggable, a drop target for cards from other stages.

    Args:
        model: the column's model.
        parent: the owning widget.

    Signals:
        open_requested: a client's id (double-click or Enter on their card).
        drop_hover: True while a card drag is over the list, False when it leaves or drops.
    """

    open_requested = Signal(int)
    drop_hover = Signal(bool)

    def __init__(self, model: StageColumnModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column_model = model
        self.setModel(model)
        self.setItemDelegate(CardDelegate(self))
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setTabKeyNavigation(False)
        self.viewport().setAutoFillBackground(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalScrollBar().setSingleStep(24)
        self.doubleClicked.connect(self._on_double_clicked)
        open_action = QAction("Open", self)
        open_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_action.triggered.connect(self._on_open_current)
        self.addAction(open_action)
        self.empty_text = "Drop clients here"

    def selected_ids(self) -> list[int]:
        """The client ids of the selected cards, in column order."""
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.column_model.id_at(r) for r in rows]

    def select_ids(self, client_ids: Sequence[int]) -> bool:
        """Select these clients' cards (those shown here); False when none is."""
        rows = [r for r in (self.column_model.row_of(i) for i in client_ids) if r >= 0]
        if not rows:
            return False
        selection = QItemSelection()
        for row in rows:
            index = self.column_model.index(row, 0)
            selection.select(index, index)
        model = self.selectionModel()
        model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        first = self.column_model.index(rows[0], 0)
        model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.scrollTo(first)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Light up when a card from another stage comes in."""
        super().dragEnterEvent(event)
        self.drop_hover.emit(
            event.isAccepted()
            and self.column_model.canDropMimeData(
                event.mimeData(), event.dropAction(), -1, -1, QModelIndex()
            )
        )

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        """Anywhere in the column is the same target."""
        super().dragMoveEvent(event)
        self.drop_hover.emit(event.isAccepted())

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        """Stop lighting up."""
        super().dragLeaveEvent(event)
        self.drop_hover.emit(False)

    def dropEvent(self, event: QDropEvent) -> None:
        """The model asks for the move; the board reloads once it is stored."""
        super().dropEvent(event)
        self.drop_hover.emit(False)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Cards, or what to do when there are none."""
        super().paintEvent(event)
        if self.column_model.rowCount() or not self.empty_text:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        area = self.viewport().rect().adjusted(12, 16, -12, -12)
        painter.drawText(
            area,
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            self.empty_text,
        )
        painter.end()

    @Slot(QModelIndex)
    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(self.column_model.id_at(index.row()))

    @Slot()
    def _on_open_current(self) -> None:
        self._on_double_clicked(self.currentIndex())


class StageColumn(QFrame):
    """One stage on the board: its name, how many cards, and the cards.

    Args:
        stage: the stage (None: clients not on the board yet).
        parent: the owning widget.
    """

    def __init__(self, stage: Stage | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._highlight = False
        self._in_stage: int | None = None
        self.model = StageColumnModel(stage, self)
        self.cards = CardList(self.model)
        self.cards.drop_hover.connect(self.set_highlight)
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() + 1)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.count = muted(wrap=False)
        self.setFixedWidth(COLUMN_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 10, 8, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.count)
        layout.addSpacing(6)
        layout.addWidget(self.cards, 1)
        self.model.counts_changed.connect(self._on_counts_changed)
        self.set_stage(stage)

    @property
    def stage(self) -> Stage | None:
        """The stage shown."""
        return self.model.stage

    @property
    def key(self) -> int:
        """The stage id, or UNPLACED for clients with no stage."""
        stage = self.model.stage
        return stage.id if stage is not None else UNPLACED

    def set_stage(self, stage: Stage | None) -> None:
        """Show a stage's (new) name and settings."""
        self.model.set_stage(stage)
        name = stage.name if stage is not None else "No stage yet"
        self.title.setText(name)
        self.setAccessibleName(f"{name} column")
        self.cards.setAccessibleName(name)
        if stage is None:
            self.cards.empty_text = ""
            self.setToolTip("Clients who are not on the board yet: drag them to a stage.")
        elif stage.is_lost:
            self.cards.empty_text = "Drop clients here when they do not go ahead"
            self.setToolTip("")
        else:
            self.cards.empty_text = "Drop clients here"
            self.setToolTip("")
        self._on_counts_changed(self.model.rowCount(), self.model.total_count)

    def set_cards(self, cards: Sequence[Card], in_stage: int | None = None) -> None:
        """Show these cards; `in_stage` is how many clients the stage holds when a segment
        hides some of them (None: the cards are all of them)."""
        self._in_stage = in_stage
        self.model.set_cards(cards)

    @Slot(bool)
    def set_highlight(self, on: bool) -> None:
        """Show that a drop here would move the dragged cards."""
        if on != self._highlight:
            self._highlight = on
            self.update()

    @property
    def highlighted(self) -> bool:
        """Whether a card drag is over the column."""
        return self._highlight

    def paintEvent(self, event: QPaintEvent) -> None:
        """A soft lane behind the cards; outlined while a drop is possible."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        lane = QColor(palette.color(QPalette.ColorRole.Window)).darker(106)
        painter.setBrush(lane)
        if self._highlight:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 8, 8)
        painter.end()

    @Slot(int, int)
    def _on_counts_changed(self, shown: int, total: int) -> None:
        stalled = self.model.stalled_count
        if self._in_stage is not None:
            total = self._in_stage
        if shown != total or (self._in_stage is not None and total):
            text = f"{shown:,} of {plural(total, 'client')}"
        else:
            text = plural(total, "client")
        if stalled:
            text += f" · {stalled:,} stalled"
        self.count.setText(text)
        self.cards.viewport().update()


# The funnel ----------------------------------------------------------------------------------


class FunnelChart(QWidget):
    """Horizontal bars per open stage, sized by how many entered, with the figures beside them."""

    ROW = 46
    LABEL_WIDTH = 150

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list[FunnelStep] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Funnel chart")
        self.setMinimumHeight(self.ROW)

    def set_steps(self, steps: Sequence[FunnelStep]) -> None:
        """Show these figures."""
        self.steps = list(steps)
        self.setAccessibleDescription(
            "; ".join(f"{s.stage.name}: {s.entered} entered" for s in self.steps)
        )
        self.setMinimumHeight(max(1, len(self.steps)) * self.ROW + 8)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        """As tall as its rows."""
        return QSize(640, max(1, len(self.steps)) * self.ROW + 8)

    @staticmethod
    def figures(step: FunnelStep) -> str:
        """What is written beside a bar."""
        return (
            f"{percent(step.conversion)} moved on · {percent(step.drop_off)} lost · "
            f"{median_phrase(step.median_days)}"
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the bars."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_color = palette.color(QPalette.ColorRole.Text)
        muted_color = palette.color(QPalette.ColorRole.PlaceholderText)
        bar_color = QColor(palette.color(QPalette.ColorRole.Highlight))
        track = QColor(palette.color(QPalette.ColorRole.Mid))
        track.setAlpha(45)
        metrics = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        bold_metrics = QFontMetrics(bold)
        widest = max((metrics.horizontalAdvance(self.figures(s)) for s in self.steps), default=0)
        bar_left = self.LABEL_WIDTH + 12
        bar_room = max(80, self.width() - bar_left - widest - 24)
        top_count = max((s.entered for s in self.steps), default=0)
        for i, step in enumerate(self.steps):
            y = i * self.ROW + 4
            height = self.ROW - 12
            painter.setFont(bold)
            painter.setPen(text_color)
            painter.drawText(
                QRect(0, y, self.LABEL_WIDTH, height),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                bold_metrics.elidedText(
                    step.stage.name, Qt.TextElideMode.ElideRight, self.LABEL_WIDTH
                ),
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(QRectF(bar_left, y, bar_room, height), 4, 4)
            width = bar_room * step.entered / top_count if top_count else 0
            if step.entered:
                width = max(width, 4)
                painter.setBrush(bar_color)
                painter.drawRoundedRect(QRectF(bar_left, y, width, height), 4, 4)
            count = f"{step.entered:,} entered"
            count_width = bold_metrics.horizontalAdvance(count) + 16
            painter.setFont(bold)
            if width >= count_width:
                painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
                count_rect = QRect(bar_left + 8, y, int(width) - 8, height)
            else:
                painter.setPen(text_color)
                count_rect = QRect(bar_left + int(width) + 8, y, bar_room, height)
            painter.drawText(count_rect, Qt.AlignmentFlag.AlignVCenter, count)
            painter.setFont(self.font())
            painter.setPen(muted_color if not step.entered else text_color)
            painter.drawText(
                QRect(bar_left + bar_room + 12, y, widest + 8, height),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.figures(step),
            )
        painter.end()


FUNNEL_HEADERS = (
    "Stage",
    "Entered",
    "Moved on",
    "Conversion",
    "Lost from here",
    "Drop-off",
    "Median days in stage",
)
PRESETS = ("Last 30 days", "Last 90 days", "This year", "All time", "Custom range")
CUSTOM = len(PRESETS) - 1


def preset_range(preset: int, today: date) -> tuple[date | None, date | None]:
    """The dates a preset stands for (None: open-ended)."""
    if preset == 0:
        return today - timedelta(days=29), today
    if preset == 1:
        return today - timedelta(days=89), today
    if preset == 2:
        return date(today.year, 1, 1), today
    return None, None


class FunnelPanel(QWidget):
    """The date range, the funnel chart and the same figures as a table.

    Signals:
        range_changed: the coach picked another period.
    """

    range_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.period = QComboBox()
        self.period.addItems(PRESETS)
        self.period.setCurrentIndex(1)
        self.period.setAccessibleName("Period")
        self.period.currentIndexChanged.connect(self._on_period_changed)
        today = QDate.currentDate()
        self.start = QDateEdit(today.addDays(-89))
        self.end = QDateEdit(today)
        for edit, name in ((self.start, "From"), (self.end, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setAccessibleName(name)
            edit.dateChanged.connect(self._on_dates_changed)
        self.custom = QWidget()
        custom_layout = QHBoxLayout(self.custom)
        custom_layout.setContentsMargins(0, 0, 0, 0)
        custom_layout.addWidget(QLabel("from"))
        custom_layout.addWidget(self.start)
        custom_layout.addWidget(QLabel("to"))
        custom_layout.addWidget(self.end)
        self.custom.setVisible(False)
        self.range_label = muted(wrap=False)

        top = QHBoxLayout()
        period_label = QLabel("Clients who entered a stage in")
        period_label.setBuddy(self.period)
        top.addWidget(period_label)
        top.addWidget(self.period)
        top.addWidget(self.custom)
        top.addSpacing(8)
        top.addWidget(self.range_label)
        top.addStretch(1)

        self.chart = FunnelChart()
        self.table = QTableWidget(0, len(FUNNEL_HEADERS))
        self.table.setHorizontalHeaderLabels(list(FUNNEL_HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setAccessibleName("Funnel figures")
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.table.setColumnWidth(0, 200)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)

        self.empty = EmptyState(
            "Nothing moved in this period",
            "No client entered a stage in these dates. Pick a longer period, or All time.",
        )
        figures = QWidget()
        figures_layout = QVBoxLayout(figures)
        figures_layout.setContentsMargins(0, 0, 0, 0)
        figures_layout.setSpacing(10)
        figures_layout.addWidget(self.chart)
        figures_layout.addWidget(
            muted(
                "Moved on: went on to a later stage. Lost: went to Lost from that stage. "
                "Median days: the typical time clients spent in the stage."
            )
        )
        figures_layout.addWidget(self.table, 1)
        self.content = QStackedWidget()
        self.content.addWidget(figures)
        self.content.addWidget(self.empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.content, 1)
        self._show_range()

    def date_range(self) -> tuple[date | None, date | None]:
        """The period picked: (first day, last day), None for open-ended."""
        preset = self.period.currentIndex()
        if preset == CUSTOM:
            start, end = self.start.date().toPython(), self.end.date().toPython()
            assert isinstance(start, date) and isinstance(end, date)
            return (start, end) if start <= end else (end, start)
        return preset_range(preset, date.today())

    def set_steps(self, steps: Sequence[FunnelStep]) -> None:
        """Show a funnel report."""
        self.chart.set_steps(steps)
        self.table.setRowCount(len(steps))
        for row, step in enumerate(steps):
            cells = (
                step.stage.name,
                f"{step.entered:,}",
                f"{step.moved_on:,}",
                percent(step.conversion),
                f"{step.lost_here:,}",
                percent(step.drop_off),
                days_text(step.median_days),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        anyone = any(s.entered for s in steps)
        self.content.setCurrentIndex(0 if anyone else 1)

    def cell(self, row: int, column: int) -> str:
        """The text of one table cell."""
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def clear(self) -> None:
        """Forget the figures (the vault is locking)."""
        self.chart.set_steps([])
        self.table.setRowCount(0)

    def _show_range(self) -> None:
        start, end = self.date_range()
        if self.period.currentIndex() == CUSTOM:
            self.range_label.setText("")
        elif start is None or end is None:
            self.range_label.setText("since the first client was placed")
        else:
            self.range_label.setText(f"{start.day} {start:%b %Y} to {end.day} {end:%b %Y}")

    @Slot(int)
    def _on_period_changed(self, index: int) -> None:
        self.custom.setVisible(index == CUSTOM)
        self._show_range()
        self.range_changed.emit()

    @Slot()
    def _on_dates_changed(self) -> None:
        if self.period.currentIndex() == CUSTOM:
            self.range_changed.emit()


# The view ------------------------------------------------------------------------------------


class PipelineView(LazyView):
    """The pipeline: a board of stages to drag clients across, the funnel, and stalled clients.

    The board loads when the view is shown and whenever clients, stages,
    contacts or follow-ups change while it is shown; hidden, it only
    remembers that it is out of date. A segment chosen in the picker narrows
    the Board and Stalled tabs to its clients (the funnel always counts everyone).

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        open_client_requested: a client's id (double-click or Enter on a card or a stalled row).
        loaded: the number of clients shown on the board, after each load.
    """

    notice = Signal(str, object)
    open_client_requested = Signal(int)
    loaded = Signal(int)

    BOARD, FUNNEL, STALLED = 0, 1, 2

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.board: Board | None = None
        self.columns: list[StageColumn] = []
        self.reason_dialog: LostReasonDialog | None = None
        self.stages_dialog: StagesDialog | None = None
        self.card_menu: QMenu | None = None
        self._stage_of: dict[int, int | None] = {}
        self._names: dict[int, str] = {}
        self._loading = False
        self._load_again = False
        self._funnel_stale = True
        self._select_after: tuple[int, list[int]] | None = None
        self._segment: Segment | None = None
        self._members: frozenset[int] | None = None
        self._shown = 0

        self.summary = muted(wrap=False)
        self.summary.setObjectName("pipelineSummary")
        self.segment_picker = SegmentPicker(ops)
        self.segment_picker.segment_changed.connect(self._on_segment_changed)

        # Board tab.
        self.stalled_only = QCheckBox("Stalled only")
        self.stalled_only.setToolTip(
            "Show only clients with no stage change or contact for a while"
        )
        self.stalled_only.toggled.connect(self._on_stalled_only_toggled)
        self.edit_stages_button = QPushButton("Edit stages…")
        self.edit_stages_button.setToolTip("Rename, reorder, add or remove stages")
        self.edit_stages_button.clicked.connect(self.edit_stages)
        board_bar = QHBoxLayout()
        board_bar.addWidget(self.stalled_only)
        board_bar.addSpacing(12)
        board_bar.addWidget(
            muted("Drag a card to another stage; right-click a card to move it.", wrap=False)
        )
        board_bar.addStretch(1)
        board_bar.addWidget(self.edit_stages_button)

        self.columns_host = QWidget()
        self.columns_layout = QHBoxLayout(self.columns_host)
        self.columns_layout.setContentsMargins(0, 0, 0, 0)
        self.columns_layout.setSpacing(10)
        # The scroll area must not squeeze the fixed-width columns onto each other.
        self.columns_layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.columns_layout.addStretch(1)
        self.board_scroll = QScrollArea()
        self.board_scroll.setObjectName("boardScroll")
        self.board_scroll.setWidgetResizable(True)
        self.board_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.board_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.board_scroll.setWidget(self.columns_host)
        self.board_empty = EmptyState(*BOARD_EMPTY)
        self.board_content = QStackedWidget()
        self.board_content.addWidget(self.board_scroll)
        self.board_content.addWidget(self.board_empty)
        board_page = QWidget()
        board_layout = QVBoxLayout(board_page)
        board_layout.setContentsMargins(0, 8, 0, 0)
        board_layout.setSpacing(8)
        board_layout.addLayout(board_bar)
        board_layout.addWidget(self.board_content, 1)

        # Funnel tab.
        self.funnel = FunnelPanel()
        self.funnel.range_changed.connect(self._on_range_changed)

        # Stalled tab.
        self.stalled_model = StalledListModel(self)
        self.stalled_list = QListView()
        self.stalled_list.setObjectName("stalledList")
        self.stalled_list.setModel(self.stalled_model)
        self.stalled_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stalled_list.setAlternatingRowColors(True)
        self.stalled_list.setSpacing(3)
        self.stalled_list.setAccessibleName("Stalled clients")
        self.stalled_list.doubleClicked.connect(self._on_stalled_activated)
        open_stalled = QAction("Open", self.stalled_list)
        open_stalled.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        open_stalled.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        open_stalled.triggered.connect(
            lambda: self._on_stalled_activated(self.stalled_list.currentIndex())
        )
        self.stalled_list.addAction(open_stalled)
        self.stalled_empty = EmptyState(*STALLED_EMPTY)
        self.stalled_content = QStackedWidget()
        self.stalled_content.addWidget(self.stalled_list)
        self.stalled_content.addWidget(self.stalled_empty)
        stalled_page = QWidget()
        stalled_layout = QVBoxLayout(stalled_page)
        stalled_layout.setContentsMargins(0, 8, 0, 0)
        stalled_layout.addWidget(
            muted("Longest first. Double-click a client, or press Enter, to open their record.")
        )
        stalled_layout.addWidget(self.stalled_content, 1)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(board_page, "Board")
        self.tabs.addTab(self.funnel, "Funnel")
        self.tabs.addTab(stalled_page, "Stalled")
        self.tabs.currentChanged.connect(self._on_tab_changed)

        top = QHBoxLayout()
        top.addWidget(heading("Pipeline"))
        top.addSpacing(12)
        top.addWidget(self.segment_picker)
        top.addSpacing(8)
        top.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

        ops.opened.connect(self._on_vault_opened)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._show_board_state()

    # Loading -----------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Load the board on the db lane (and the funnel, when it is in view)."""
        self._stale = False
        if self.tabs.currentIndex() == self.FUNNEL:
            self._reload_funnel()
        if self._loading:
            self._load_again = True
            return
        segment = self.segment_picker.current()
        job = self._ops.run(
            lambda vault: load_scoped(vault, load_board, segment),
            on_done=self._on_board_loaded,
            on_error=self._on_load_failed,
            owner=self,
            context="loading the pipeline board",
        )
        self._loading = job is not None

    def set_board(
        self,
        board: Board,
        segment: Segment | None = None,
        members: frozenset[int] | None = None,
    ) -> None:
        """Show a board: columns in stage order, each with its cards; the stalled list.

        With a segment, only the cards of its `members` (client ids) are shown.
        """
        self.board = board
        self._segment = segment if members is not None else None
        self._members = members if segment is not None else None
        self._stage_of = {}
        self._names = {}
        for stage_id, cards in board.cards.items():
            for card in cards:
                self._stage_of[card.client.id] = stage_id
                self._names[card.client.id] = card.client.name
        for card in board.unplaced:
            self._stage_of[card.client.id] = None
            self._names[card.client.id] = card.client.name
        wanted: list[tuple[Stage | None, Sequence[Card], int]] = [
            (s, self._shown_of(board.cards_in(s.id)), len(board.cards_in(s.id)))
            for s in board.stages
        ]
        unplaced = self._shown_of(board.unplaced)
        if unplaced:
            wanted.insert(0, (None, unplaced, len(board.unplaced)))
        self._arrange_columns([s for s, _, _ in wanted])
        stalled_only = self.stalled_only.isChecked()
        narrowed = self._members is not None
        for column, (_stage, shown, in_stage) in zip(self.columns, wanted, strict=True):
            bar = column.cards.verticalScrollBar()
            position = bar.value()
            column.model.set_stalled_only(stalled_only)
            column.set_cards(shown, in_stage if narrowed else None)
            bar.setValue(position)
        stalled = self._shown_of(board.stalled)
        self.stalled_model.set_cards(stalled)
        self.stalled_content.setCurrentIndex(0 if stalled else 1)
        self.tabs.setTabText(self.STALLED, f"Stalled ({len(stalled)})" if stalled else "Stalled")
        total = len(self._stage_of)
        self._shown = sum(len(shown) for _, shown, _ in wanted)
        clients = (
            f"{self._shown:,} of {plural(total, 'client')}" if narrowed else plural(total, "client")
        )
        self.summary.setText(
            clients + (f" · {len(stalled):,} stalled" if stalled else "") if total else ""
        )
        self._word_empty_states()
        if self._select_after is not None:
            stage_id, ids = self._select_after
            self._select_after = None
            target = self.column_for(stage_id)
            if target is not None:
                target.cards.select_ids(ids)
        self._show_board_state()

    def column_for(self, stage_id: int | None) -> StageColumn | None:
        """The column of a stage (None for clients not on the board: UNPLACED)."""
        key = UNPLACED if stage_id is None else stage_id
        return next((c for c in self.columns if c.key == key), None)

    def column_titles(self) -> list[str]:
        """The column titles, left to right."""
        return [c.title.text() for c in self.columns]

    def stage_of(self, client_id: int) -> int | None:
        """The stage a client's card is in on the board shown (None: no stage / not shown)."""
        return self._stage_of.get(client_id)

    @property
    def segment(self) -> Segment | None:
        """The segment the board shown is narrowed to (None: every client)."""
        return self._segment

    def _shown_of(self, cards: Sequence[Card]) -> list[Card]:
        members = self._members
        if members is None:
            return list(cards)
        return [c for c in cards if c.client.id in members]

    def _word_empty_states(self) -> None:
        segment = self._segment
        if segment is None:
            self.board_empty.set_text(*BOARD_EMPTY)
            self.stalled_empty.set_text(*STALLED_EMPTY)
            return
        also = "Choose All clients above to see everyone"
        self.board_empty.set_text(
            f"No one in “{segment.name}” is on the board",
            f"{also}, or change the segment's conditions with the filter bar in Clients.",
        )
        self.stalled_empty.set_text(
            f"No one in “{segment.name}” is stalled",
            f"{also} who is stalled. A client is flagged when they sit in a stage longer "
            "than it allows with no contact.",
        )

    @Slot()
    def clear(self) -> None:
        """Remove every trace of client data from the screen (the vault is locking)."""
        self._loading = self._load_again = False
        self._stale = self._funnel_stale = True
        self._select_after = None
        for dialog in (self.reason_dialog, self.stages_dialog):
            if dialog is not None:
                dialog.done(QDialog.DialogCode.Rejected)
        self.reason_dialog = None
        self.stages_dialog = None
        self.board = None
        self._stage_of, self._names = {}, {}
        self._segment, self._members, self._shown = None, None, 0
        for column in self.columns:
            column.set_cards([])
        self.stalled_model.clear()
        self._word_empty_states()
        self.funnel.clear()
        self.summary.setText("")
        self.tabs.setTabText(self.STALLED, "Stalled")
        self._show_board_state()

    def _arrange_columns(self, stages: list[Stage | None]) -> None:
        keys = [UNPLACED if s is None else s.id for s in stages]
        existing = {c.key: c for c in self.columns}
        if keys == [c.key for c in self.columns]:
            for column, stage in zip(self.columns, stages, strict=True):
                column.set_stage(stage)
            return
        for column in self.columns:
            self.columns_layout.removeWidget(column)
        kept: list[StageColumn] = []
        for key, stage in zip(keys, stages, strict=True):
            found = existing.pop(key, None)
            if found is None:
                found = StageColumn(stage)
                found.model.cards_dropped.connect(self.move_clients)
                found.cards.open_requested.connect(self.open_client_requested)
                found.cards.customContextMenuRequested.connect(
                    lambda position, cards=found.cards: self._show_card_menu(cards, position)
                )
            else:
                found.set_stage(stage)
            kept.append(found)
        for column in existing.values():
            column.hide()
            delete_soon(column, self)
        for position, column in enumerate(kept):
            self.columns_layout.insertWidget(position, column)
        self.columns = kept

    def _show_board_state(self) -> None:
        has_cards = bool(self._shown)
        self.board_content.setCurrentIndex(0 if has_cards or self.board is None else 1)
        self.stalled_only.setEnabled(has_cards)

    def _reload_funnel(self) -> None:
        self._funnel_stale = False
        start, end = self.funnel.date_range()
        self._ops.run(
            lambda vault: funnel_report(vault, start, end),
            on_done=self._on_funnel_loaded,
            owner=self,
            context="working out the funnel",
        )

    # Actions -----------------------------------------------------------------

    @Slot(list, int)
    def move_clients(self, client_ids: list[int], stage_id: int) -> None:
        """Move clients to a stage, as a drop does: a lost stage asks for the reason first."""
        stage = (
            next((s for s in self.board.stages if s.id == stage_id), None) if self.board else None
        )
        ids = [i for i in client_ids if i in self._stage_of and self._stage_of[i] != stage_id]
        if stage is None or not ids:
            return
        if stage.is_lost:
            self._ask_reason(ids, stage)
            return
        self._move(ids, stage, "")

    @Slot()
    def edit_stages(self) -> None:
        """Open the Edit stages dialog."""
        if self.stages_dialog is not None:
            self.stages_dialog.raise_()
            self.stages_dialog.activateWindow()
            return
        from coachdesk.ui.dialogs.stages import StagesDialog

        dialog = StagesDialog(self._ops, self)
        dialog.finished.connect(self._on_stages_dialog_finished)
        self.stages_dialog = dialog
        dialog.open()

    def _ask_reason(self, ids: list[int], stage: Stage) -> None:
        if self.reason_dialog is not None:
            return
        dialog = LostReasonDialog([self._names.get(i, "") for i in ids], stage.name, self)
        dialog.finished.connect(lambda result: self._on_reason_finished(dialog, result, ids, stage))
        self.reason_dialog = dialog
        dialog.open()

    def _move(self, ids: list[int], stage: Stage, reason: str) -> None:
        previous = {i: self._stage_of.get(i) for i in ids}
        names = {i: self._names.get(i, "") for i in ids}
        self._ops.run(
            lambda vault: move_clients(vault, ids, stage.id, reason),
            on_done=lambda moved: self._on_moved(moved, stage, previous, names),
            on_error=self._on_move_failed,
            changes="clients",
            owner=self,
            context="moving clients on the board",
        )

    def _undo_move(self, previous: dict[int, int], names: dict[int, str]) -> None:
        self._ops.run(
            lambda vault: move_back(vault, previous),
            on_done=lambda moved: self._on_moved_back(moved, previous, names),
            on_error=self._on_move_failed,
            changes="clients",
            owner=self,
            context="undoing a move on the board",
        )

    def _stage_name(self, stage_id: int | None) -> str:
        if self.board is None or stage_id is None:
            return "a stage"
        return next((s.name for s in self.board.stages if s.id == stage_id), "a stage")

    # Slots -------------------------------------------------------------------

    @Slot()
    def _on_vault_opened(self) -> None:
        self._funnel_stale = True
        self.mark_stale()

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in FUNNEL_CHANGES:
            self._funnel_stale = True
        if kind in BOARD_CHANGES:
            self.mark_stale()

    @Slot(object)
    def _on_board_loaded(self, loaded: Scoped[Board]) -> None:
        self._loading = False
        if self._load_again:
            self._load_again = False
            self.reload()
        self.set_board(loaded.data, loaded.segment, loaded.members)
        self.loaded.emit(self._shown)

    @Slot(object)
    def _on_segment_changed(self, _segment: Segment | None) -> None:
        self.mark_stale()

    @Slot(object)
    def _on_load_failed(self, failure: Failure) -> None:
        self._loading = False
        self._ops.lane.unhandled_failure.emit(failure)

    @Slot(object)
    def _on_funnel_loaded(self, steps: list[FunnelStep]) -> None:
        self.funnel.set_steps(steps)

    @Slot()
    def _on_range_changed(self) -> None:
        if self._ops.is_open:
            self._reload_funnel()

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        self.segment_picker.set_unavailable(
            "The funnel always counts every client." if index == self.FUNNEL else None
        )
        if index == self.FUNNEL and self._funnel_stale and self._ops.is_open:
            self._reload_funnel()

    @Slot(bool)
    def _on_stalled_only_toggled(self, on: bool) -> None:
        for column in self.columns:
            column.model.set_stalled_only(on)

    def _on_reason_finished(
        self, dialog: LostReasonDialog, result: int, ids: list[int], stage: Stage
    ) -> None:
        self.reason_dialog = None
        reason = dialog.reason_text
        delete_soon(dialog, self)
        if result == QDialog.DialogCode.Accepted and reason:
            self._move(ids, stage, reason)

    def _on_moved(
        self,
        moved: list[int],
        stage: Stage,
        previous: dict[int, int | None],
        names: dict[int, str],
    ) -> None:
        if not moved:
            return
        self._select_after = (stage.id, moved)
        who = names[moved[0]] if len(moved) == 1 else plural(len(moved), "client")
        back = {i: s for i in moved if (s := previous.get(i)) is not None}
        undo: Callable[[], None] | None = (lambda: self._undo_move(back, names)) if back else None
        self.notice.emit(f"Moved {who} to {stage.name}.", undo)

    def _on_moved_back(
        self, moved: list[int], previous: dict[int, int], names: dict[int, str]
    ) -> None:
        if not moved:
            return
        if len(moved) == 1:
            name = names.get(moved[0], "the client")
            text = f"Moved {name} back to {self._stage_name(previous[moved[0]])}."
        else:
            text = f"Moved {plural(len(moved), 'client')} back."
        first = previous[moved[0]]
        self._select_after = (first, [i for i in moved if previous[i] == first])
        self.notice.emit(text, None)

    @Slot(object)
    def _on_move_failed(self, failure: Failure) -> None:
        self.mark_stale()
        show_failure(self, failure)

    @Slot(int)
    def _on_stages_dialog_finished(self, _result: int) -> None:
        if self.stages_dialog is not None:
            delete_soon(self.stages_dialog, self)
        self.stages_dialog = None

    @Slot(QModelIndex)
    def _on_stalled_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_client_requested.emit(self.stalled_model.id_at(index.row()))

    def _on_card_menu_hidden(self, menu: QMenu) -> None:
        if self.card_menu is menu:
            self.card_menu = None
        delete_soon(menu, self)

    def _show_card_menu(self, cards: CardList, position: QPoint) -> None:
        if self.board is None:
            return
        index = cards.indexAt(position)
        if not index.isValid():
            # The menu key: open the menu on the current card.
            index = cards.currentIndex()
            if not index.isValid():
                return
            position = cards.visualRect(index).center()
        if not cards.selectionModel().isSelected(index):
            cards.select_ids([cards.column_model.id_at(index.row())])
        ids = cards.selected_ids()
        menu = QMenu(self)
        open_action = menu.addAction("Open client")
        open_action.setEnabled(len(ids) == 1)
        open_action.triggered.connect(lambda: self.open_client_requested.emit(ids[0]))
        move_menu = menu.addMenu("Move to")
        current = cards.column_model.stage
        for stage in self.board.stages:
            label = f"{stage.name}…" if stage.is_lost else stage.name
            action = move_menu.addAction(label)
            action.setEnabled(current is None or stage.id != current.id)
            action.triggered.connect(
                lambda _checked=False, stage_id=stage.id: self.move_clients(ids, stage_id)
            )
        menu.aboutToHide.connect(lambda: self._on_card_menu_hidden(menu))
        self.card_menu = menu
        menu.popup(cards.viewport().mapToGlobal(position))
