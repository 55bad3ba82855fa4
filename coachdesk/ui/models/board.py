"""The pipeline board's models: one list of cards per stage, the stalled list, and the card painter.

Each column is a thin `QAbstractListModel` over the frozen `Card`s of one
stage, painted by `CardDelegate` (no widget per card), so two thousand cards
load in a few milliseconds and only the cards on screen cost anything.
Dragging cards carries their client ids in `CARD_MIME`; a drop does not
change the model: the column asks (`cards_dropped`) and the board reloads
once the move is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from coachdesk.domain.pipeline import Stage
from coachdesk.ui.models.client_table import local_time

if TYPE_CHECKING:
    from coachdesk.services.pipeline import Card

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

CARD_MIME = "application/x-coachdesk-client-ids"

ID_ROLE = Qt.ItemDataRole.UserRole + 1
CARD_ROLE = Qt.ItemDataRole.UserRole + 2
TEXT_ROLE = Qt.ItemDataRole.UserRole + 3

STALLED_COLOR = QColor("#8a4b00")
STALLED_FILL = QColor("#fff1dc")
STALLED_EDGE = QColor("#d48a1f")
OVERDUE_COLOR = QColor("#c62828")

_DISPLAY = Qt.ItemDataRole.DisplayRole
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        ID_ROLE,
        CARD_ROLE,
        TEXT_ROLE,
    }
)


# Texts -------------------------------------------------------------------------------------


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 client", "3 clients"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def day_month(value: datetime) -> str:
    """ "3 Nov" this year, "3 Nov 2024" before (in local time)."""
    local = local_time(value)
    if local.year == datetime.now().astimezone().year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b %Y}"


def days_in_stage_text(days: int) -> str:
    """ "Since today", "1 day in stage", "12 days in stage"."""
    if days <= 0:
        return "In stage since today"
    return f"{plural(days, 'day')} in stage"


def overdue_text(count: int) -> str:
    """ "2 overdue" (empty when none)."""
    return f"{count} overdue" if count else ""


def contact_text(card: Card) -> str:
    """ "no contact since 3 Nov", or "no contact yet"."""
    last = card.client.last_contact_at
    return f"no contact since {day_month(last)}" if last else "no contact yet"


def stalled_text(card: Card) -> str:
    """ "in Proposal sent for 12 days, no contact since 3 Nov"."""
    days = plural(card.days_in_stage, "day")
    return f"in {card.client.stage_name} for {days}, {contact_text(card)}"


@dataclass(frozen=True, slots=True)
class CardText:
    """What one card says, worked out once per load (dates cost a time-zone lookup)."""

    name: str
    company: str
    days: str
    stalled: bool
    overdue: str
    tooltip: str
    spoken: str


def card_text(card: Card) -> CardText:
    """The texts of one card."""
    row = card.client
    days = days_in_stage_text(card.days_in_stage)
    overdue = overdue_text(row.overdue_follow_ups)
    tips = [row.name]
    if row.company:
        tips.append(row.company)
    if row.stage_since is not None:
        tips.append(f"In {row.stage_name or 'this stage'} since {day_month(row.stage_since)}")
    tips.append(
        f"Last contact {day_month(row.last_contact_at)}"
        if row.last_contact_at
        else "No contact yet"
    )
    if card.stalled:
        tips.append("Stalled: no stage change or contact for longer than this stage allows")
    if row.overdue_follow_ups:
        tips.append(plural(row.overdue_follow_ups, "overdue follow-up"))
    spoken = [row.name, row.company, days]
    if card.stalled:
        spoken.append("stalled")
    if row.overdue_follow_ups:
        spoken.append(plural(row.overdue_follow_ups, "overdue follow-up"))
    return CardText(
        name=row.name,
        company=row.company,
        days=days,
        stalled=card.stalled,
        overdue=overdue,
        tooltip="\n".join(tips),
        spoken=", ".join(p for p in spoken if p),
    )


# Drag and drop -------------------------------------------------------------------------------


def encode_ids(client_ids: Sequence[int]) -> QMimeData:
    """Mime data carrying client ids (what a card drag holds)."""
    mime = QMimeData()
    mime.setData(CARD_MIME, json.dumps({"client_ids": list(client_ids)}).encode())
    mime.setText(", ".join(str(i) for i in client_ids))
    return mime


def decode_ids(mime: QMimeData | None) -> list[int]:
    """The client ids in a card drag ([] for anything else)."""
    if mime is None or not mime.hasFormat(CARD_MIME):
        return []
    try:
        payload = json.loads(bytes(mime.data(CARD_MIME).data()).decode())
        ids = payload["client_ids"]
    except (ValueError, KeyError, TypeError):
        return []
    if not isinstance(ids, list):
        return []
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]


# Models --------------------------------------------------------------------------------------


class StageColumnModel(QAbstractListModel):
    """The cards of one stage (or of clients not on the board yet, when `stage` is None).

    Args:
        stage: the stage shown; None for the column of clients with no stage, which
            cards can be dragged out of but not dropped onto.
        parent: the owning QObject.

    Signals:
        cards_dropped: (client ids, stage id) cards from elsewhere were dropped here.
        counts_changed: (shown, total) after cards or the stalled-only filter changed.
    """

    cards_dropped = Signal(list, int)
    counts_changed = Signal(int, int)

    def __init__(self, stage: Stage | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stage = stage
        self._cards: list[Card] = []
        self._visible: list[Card] = []
        self._ids: set[int] = set()
        self._texts: dict[int, CardText] = {}
        self._stalled_only = False

    # Qt API -----------------------------------------------------------------

    def rowCount(self, parent: Index = _ROOT) -> int:
        """Cards shown."""
        return 0 if parent.isValid() else len(self._visible)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The name, tooltip, spoken text, and the card and its texts for the delegate."""
        if role not in _ROLES or not index.isValid():
            return None
        position = index.row()
        if not 0 <= position < len(self._visible):
            return None
        card = self._visible[position]
        if role == ID_ROLE:
            return card.client.id
        if role == CARD_ROLE:
            return card
        if role == _DISPLAY:
            return card.client.name
        text = self.text_of(card)
        if role == TEXT_ROLE:
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return text.tooltip
        return text.spoken

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Cards can be selected and dragged; the column itself takes drops."""
        flag = Qt.ItemFlag
        if not index.isValid():
            return flag.ItemIsDropEnabled if self.accepts_drops else flag.NoItemFlags
        return (
            flag.ItemIsEnabled
            | flag.ItemIsSelectable
            | flag.ItemIsDragEnabled
            | (flag.ItemNeverHasChildren)
        )

    def mimeTypes(self) -> list[str]:
        """Only card drags."""
        return [CARD_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """The client ids of the dragged cards, in column order."""
        rows = sorted({i.row() for i in indexes if i.isValid() and i.row() < len(self._visible)})
        return encode_ids([self._visible[r].client.id for r in rows])

    def supportedDragActions(self) -> Qt.DropAction:
        """Cards move."""
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:
        """Cards move."""
        return Qt.DropAction.MoveAction

    def canDropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: Index,
    ) -> bool:
        """Cards of other stages, anywhere in a stage column."""
        if not self.accepts_drops or action not in (
            Qt.DropAction.MoveAction,
            Qt.DropAction.CopyAction,
        ):
            return False
        return bool(self._incoming(data))

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: Index,
    ) -> bool:
        """Ask for the move (`cards_dropped`); the cards appear here once it is stored."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        assert self._stage is not None
        self.cards_dropped.emit(self._incoming(data), self._stage.id)
        return True

    # Our API ------------------------------------------------------------------

    @property
    def stage(self) -> Stage | None:
        """The stage shown (None: clients not on the board yet)."""
        return self._stage

    def set_stage(self, stage: Stage | None) -> None:
        """The stage was renamed or its settings changed."""
        self._stage = stage

    @property
    def accepts_drops(self) -> bool:
        """Whether cards can be dropped here (every real stage)."""
        return self._stage is not None

    @property
    def stalled_only(self) -> bool:
        """Whether only stalled cards are shown."""
        return self._stalled_only

    @property
    def total_count(self) -> int:
        """Every card in the stage, shown or not."""
        return len(self._cards)

    @property
    def stalled_count(self) -> int:
        """The stalled cards in the stage."""
        return sum(1 for c in self._cards if c.stalled)

    def set_cards(self, cards: Sequence[Card]) -> None:
        """Replace every card (a fresh load); the stalled-only filter stays."""
        self.beginResetModel()
        self._cards = list(cards)
        self._ids = {c.client.id for c in self._cards}
        self._texts = {}
        self._visible = self._filtered()
        self.endResetModel()
        self.counts_changed.emit(len(self._visible), len(self._cards))

    def set_stalled_only(self, on: bool) -> None:
        """Show only the stalled cards, or all of them."""
        if on == self._stalled_only:
            return
        self.beginResetModel()
        self._stalled_only = on
        self._visible = self._filtered()
        self.endResetModel()
        self.counts_changed.emit(len(self._visible), len(self._cards))

    def clear(self) -> None:
        """Forget every card (the vault is locking)."""
        self.set_cards([])

    def card_at(self, row: int) -> Card:
        """The card shown in a row."""
        return self._visible[row]

    def id_at(self, row: int) -> int:
        """The client id of the card shown in a row."""
        return self._visible[row].client.id

    def row_of(self, client_id: int) -> int:
        """Where a client's card is shown (-1 when hidden or not in this stage)."""
        if client_id not in self._ids:
            return -1
        for i, card in enumerate(self._visible):
            if card.client.id == client_id:
                return i
        return -1

    def holds(self, client_id: int) -> bool:
        """Whether the client is in this stage (shown or filtered out)."""
        return client_id in self._ids

    def visible_cards(self) -> list[Card]:
        """The cards shown, in order (a copy)."""
        return list(self._visible)

    def text_of(self, card: Card) -> CardText:
        """A card's texts (cached until the next load)."""
        text = self._texts.get(card.client.id)
        if text is None:
            text = self._texts[card.client.id] = card_text(card)
        return text

    def _filtered(self) -> list[Card]:
        if self._stalled_only:
            return [c for c in self._cards if c.stalled]
        return list(self._cards)

    def _incoming(self, data: QMimeData | None) -> list[int]:
        return [i for i in decode_ids(data) if i not in self._ids]


class StalledListModel(QAbstractListModel):
    """Stalled clients, longest in their stage first: name, then why they are stalled.

    Args:
        parent: the owning QObject.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cards: list[Card] = []
        self._texts: list[str] = []

    def rowCount(self, parent: Index = _ROOT) -> int:
        """Stalled clients."""
        return 0 if parent.isValid() else len(self._cards)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Two lines per client; the client id in ID_ROLE."""
        if not index.isValid() or not 0 <= index.row() < len(self._cards):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._texts[index.row()]
        if role == ID_ROLE:
            return self._cards[index.row()].client.id
        if role == CARD_ROLE:
            return self._cards[index.row()]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Selectable, read-only."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flag = Qt.ItemFlag
        return flag.ItemIsEnabled | flag.ItemIsSelectable | flag.ItemNeverHasChildren

    def set_cards(self, cards: Sequence[Card]) -> None:
        """Replace the list (already longest first)."""
        self.beginResetModel()
        self._cards = list(cards)
        self._texts = [self._line(c) for c in self._cards]
        self.endResetModel()

    def clear(self) -> None:
        """Forget every client (the vault is locking)."""
        self.set_cards([])

    def id_at(self, row: int) -> int:
        """The client id of a row."""
        return self._cards[row].client.id

    def text_at(self, row: int) -> str:
        """What a row says."""
        return self._texts[row]

    @staticmethod
    def _line(card: Card) -> str:
        who = " · ".join(p for p in (card.client.name, card.client.company) if p)
        why = stalled_text(card)
        return f"{who}\n{why[0].upper()}{why[1:]}"


# Painting ------------------------------------------------------------------------------------


class CardDelegate(QStyledItemDelegate):
    """Paints a card: name, company, days in stage, a "Stalled" tag and overdue follow-ups.

    The stalled mark is a tag with its word in it plus an edge colour, so it
    does not rely on colour alone.

    Args:
        parent: the owning widget (its font sets the card size).
    """

    MARGIN = 4
    PADDING = 9
    GAP = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        base = parent.font() if parent is not None else QFont()
        self._font = QFont(base)
        self._bold = QFont(base)
        self._bold.setWeight(QFont.Weight.DemiBold)
        self._small = QFont(base)
        self._small.setPointSizeF(max(7.0, base.pointSizeF() - 1))
        self._metrics = QFontMetrics(self._font)
        self._bold_metrics = QFontMetrics(self._bold)
        self._small_metrics = QFontMetrics(self._small)
        self._height = (
            2 * (self.MARGIN + self.PADDING)
            + self._bold_metrics.height()
            + self._metrics.height()
            + self._small_metrics.height()
            + 2 * self.GAP
            + 2
        )

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        """Every card has the same height (the list uses uniform sizes)."""
        return QSize(200, self._height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """Draw one card."""
        text = index.data(TEXT_ROLE)
        if not isinstance(text, CardText):
            super().paint(painter, option, index)
            return
        palette = option.palette
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        focused = bool(state & QStyle.StateFlag.State_HasFocus)
        full: QRect = option.rect
        rect = full.adjusted(self.MARGIN, self.MARGIN // 2, -self.MARGIN, -self.MARGIN // 2)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(palette.color(QPalette.ColorRole.Base))
        edge = QColor(palette.color(QPalette.ColorRole.Mid))
        if selected:
            tint = QColor(palette.color(QPalette.ColorRole.Highlight))
            tint.setAlpha(40)
            painter.setBrush(fill)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(QRectF(rect), 6, 6)
            fill = tint
            edge = QColor(palette.color(QPalette.ColorRole.Highlight))
        painter.setBrush(fill)
        painter.setPen(QPen(edge, 2 if selected or focused else 1))
        painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if text.stalled:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(STALLED_EDGE)
            stripe = QRectF(rect.left() + 1, rect.top() + 5, 4, rect.height() - 10)
            painter.drawRoundedRect(stripe, 2, 2)

        inner = rect.adjusted(self.PADDING + 2, self.PADDING, -self.PADDING, -self.PADDING)
        text_color = palette.color(QPalette.ColorRole.Text)
        muted_color = palette.color(QPalette.ColorRole.PlaceholderText)
        y = inner.top()

        # Line 1: name, and the Stalled tag on the right.
        name_width = inner.width()
        if text.stalled:
            tag = "Stalled"
            tag_w = self._small_metrics.horizontalAdvance(tag) + 12
            tag_h = self._small_metrics.height() + 2
            tag_rect = QRectF(inner.right() - tag_w + 1, y, tag_w, tag_h)
            painter.setPen(QPen(STALLED_EDGE, 1))
            painter.setBrush(STALLED_FILL)
            painter.drawRoundedRect(tag_rect, tag_h / 2, tag_h / 2)
            painter.setFont(self._small)
            painter.setPen(STALLED_COLOR)
            painter.drawText(tag_rect, Qt.AlignmentFlag.AlignCenter, tag)
            name_width -= tag_w + 6
        painter.setFont(self._bold)
        painter.setPen(text_color)
        line = self._bold_metrics.height()
        painter.drawText(
            QRect(inner.left(), y, name_width, line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self._bold_metrics.elidedText(text.name, Qt.TextElideMode.ElideRight, name_width),
        )
        y += line + self.GAP

        # Line 2: company.
        line = self._metrics.height()
        if text.company:
            painter.setFont(self._font)
            painter.setPen(muted_color)
            painter.drawText(
                QRect(inner.left(), y, inner.width(), line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self._metrics.elidedText(text.company, Qt.TextElideMode.ElideRight, inner.width()),
            )
        y += line + self.GAP

        # Line 3: days in stage, overdue follow-ups on the right.
        painter.setFont(self._small)
        line = self._small_metrics.height()
        days_width = inner.width()
        if text.overdue:
            overdue_w = self._small_metrics.horizontalAdvance(text.overdue)
            painter.setPen(OVERDUE_COLOR)
            painter.drawText(
                QRect(inner.right() - overdue_w + 1, y, overdue_w, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                text.overdue,
            )
            days_width -= overdue_w + 8
        painter.setPen(STALLED_COLOR if text.stalled else muted_color)
        painter.drawText(
            QRect(inner.left(), y, days_width, line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self._small_metrics.elidedText(text.days, Qt.TextElideMode.ElideRight, days_width),
        )
        painter.restore()
