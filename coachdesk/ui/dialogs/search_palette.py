"""The search palette (Ctrl+K): one box that finds clients, notes, goals and follow-ups."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import muted

if TYPE_CHECKING:
    from coachdesk.store.search import SearchHit
    from coachdesk.store.vault import Vault

DEBOUNCE_MS = 120
LIMIT = 30
HIT_ROLE = Qt.ItemDataRole.UserRole + 1
HTML_ROLE = Qt.ItemDataRole.UserRole + 2
KIND_LABELS = {"client": "Client", "note": "Note", "goal": "Goal", "follow_up": "Follow-up"}
KIND_COLORS = {
    "client": QColor("#1565c0"),
    "note": QColor("#2e7d32"),
    "goal": QColor("#6a1b9a"),
    "follow_up": QColor("#b26a00"),
}
HINT = (
    "Type any word: a client's name (small typos are fine), a company, "
    "something said in a session, a goal or a follow-up."
)
KEYS = "↑ ↓ to move   ·   Enter to open   ·   Esc to close"
STYLE = """
QDialog#searchPalette {
    background: palette(window); border: 1px solid palette(mid); border-radius: 8px;
}
QLineEdit#searchBox {
    border: none; border-bottom: 1px solid palette(midlight); padding: 10px 12px;
    background: transparent;
}
QListWidget#searchResults { border: none; background: palette(window); outline: 0; }
"""

Index = QModelIndex | QPersistentModelIndex


def search_everything(vault: Vault, query: str) -> list[SearchHit]:
    """Db lane: ranked hits for the words typed."""
    from coachdesk.services import search

    return search.search_everything(vault, query, limit=LIMIT)


def snippet_html(hit: SearchHit) -> str:
    """The snippet as rich text: every piece escaped, the matched words in <b>."""
    pieces = []
    for text, matched in hit.parts():
        safe = html.escape(" ".join(text.split("\n")))
        pieces.append(f"<b>{safe}</b>" if matched else safe)
    return "".join(pieces)


def kind_label(kind: str) -> str:
    """ "Client", "Note", "Goal" or "Follow-up"."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


class HitDelegate(QStyledItemDelegate):
    """Paints one hit: a coloured kind badge, the client's name and title, the snippet."""

    PAD = 8
    GAP = 3

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        """Two lines of text with padding."""
        height = option.fontMetrics.height()
        return QSize(200, self.PAD * 2 + height * 2 + self.GAP + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """The background and focus from the style, then the hit."""
        hit = index.data(HIT_ROLE)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        if hit is None:
            return
        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_color = palette.color(text_role)
        soft = QColor(text_color)
        soft.setAlpha(170)
        rect: QRect = opt.rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        font = QFont(opt.font)
        metrics = opt.fontMetrics
        line = metrics.height()

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        badge_font = QFont(font)
        badge_font.setPointSizeF(font.pointSizeF() * 0.85)
        badge_font.setBold(True)
        painter.setFont(badge_font)
        widest = max(painter.fontMetrics().horizontalAdvance(t) for t in KIND_LABELS.values())
        badge = QRect(rect.left(), rect.top() + 1, widest + 14, line)
        color = KIND_COLORS.get(hit.kind, QColor("#616161"))
        fill = QColor(255, 255, 255, 70) if selected else QColor(color)
        if not selected:
            fill.setAlpha(38)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(text_color if selected else color)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, kind_label(hit.kind))

        left = badge.right() + 10
        width = rect.right() - left
        name_font = QFont(font)
        name_font.setBold(True)
        painter.setFont(name_font)
        name_metrics = painter.fontMetrics()
        name = name_metrics.elidedText(hit.client_name, Qt.TextElideMode.ElideRight, width)
        painter.setPen(text_color)
        first = QRect(left, rect.top(), width, line + 2)
        painter.drawText(first, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        used = name_metrics.horizontalAdvance(name)
        # A title the snippet already shows in full is not repeated above it.
        title = "" if hit.title.strip() == hit.plain_snippet.strip() else hit.title
        if title and used < width - 40:
            painter.setFont(font)
            painter.setPen(soft)
            rest = metrics.elidedText(f"  ·  {title}", Qt.TextElideMode.ElideRight, width - used)
            painter.drawText(
                first.adjusted(used, 0, 0, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                rest,
            )

        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setDefaultStyleSheet(f"body {{ color: {soft.name(QColor.NameFormat.HexArgb)}; }}")
        doc.setHtml(
            f"<body><span style='color: {soft.name()}'>{index.data(HTML_ROLE)}</span></body>"
        )
        doc.setTextWidth(10_000)
        second = QRect(left, first.bottom() + self.GAP, width, line + 2)
        painter.translate(second.topLeft())
        clip = QRectF(0, 0, second.width(), second.height())
        painter.setClipRect(clip)
        doc.drawContents(painter, clip)
        painter.restore()


class SearchPalette(QDialog):
    """A popup over the main window: type, see ranked hits, Enter opens one.

    Results come from the db lane after a short pause in typing; only the
    latest query's results are ever shown (slower, older answers are dropped).

    Args:
        ops: the vault operations.
        parent: the main window (the palette centres over it).

    Signals:
        open_requested: (kind, client_id, ref_id) of the hit chosen; kind is "client",
            "note", "goal" or "follow_up" (for a client, ref_id is the client id).
    """

    open_requested = Signal(str, int, int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self._ops = ops
        self._query_id = 0
        self._shown_id = -1
        self._open_when_found = False
        self.setObjectName("searchPalette")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.setAccessibleName("Search everything")

        self.edit = QLineEdit()
        self.edit.setObjectName("searchBox")
        self.edit.setPlaceholderText("Search clients, notes, goals and follow-ups")
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("Search")
        font = self.edit.font()
        font.setPointSizeF(font.pointSizeF() + 3)
        self.edit.setFont(font)
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.returnPressed.connect(self.open_current)
        self.edit.installEventFilter(self)

        self.results = QListWidget()
        self.results.setObjectName("searchResults")
        self.results.setItemDelegate(HitDelegate(self.results))
        self.results.setUniformItemSizes(True)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.results.itemClicked.connect(self._on_item_clicked)

        self.message_title = QLabel()
        self.message_title.setObjectName("searchMessageTitle")
        self.message_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title_font = self.message_title.font()
        title_font.setPointSizeF(title_font.pointSizeF() + 1)
        title_font.setBold(True)
        self.message_title.setFont(title_font)
        self.message = muted()
        self.message.setObjectName("searchMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        message_page = QWidget()
        message_layout = QVBoxLayout(message_page)
        message_layout.setContentsMargins(32, 0, 32, 0)
        message_layout.addStretch(2)
        message_layout.addWidget(self.message_title)
        message_layout.addWidget(self.message)
        message_layout.addStretch(3)
        self.body = QStackedWidget()
        self.body.addWidget(self.results)
        self.body.addWidget(message_page)

        self.keys = muted(KEYS, wrap=False)
        self.found = muted(wrap=False)
        self.found.setObjectName("searchCount")
        footer_line = QFrame()
        footer_line.setFrameShape(QFrame.Shape.HLine)
        footer_line.setFrameShadow(QFrame.Shadow.Plain)
        footer_line.setStyleSheet("color: palette(midlight);")
        footer = QHBoxLayout()
        footer.setContentsMargins(12, 6, 12, 8)
        footer.addWidget(self.keys)
        footer.addStretch(1)
        footer.addWidget(self.found)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.edit)
        layout.addWidget(self.body, 1)
        layout.addWidget(footer_line)
        layout.addLayout(footer)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run_query)
        ops.closed.connect(self.forget)
        self._show_message("Search everything", HINT)

    # API ---------------------------------------------------------------------

    def popup(self, initial_text: str = "") -> None:
        """Show the palette over the main window, focused; `initial_text` starts a search.

        Without it, the last search is kept (selected, so typing replaces it) and run again.
        """
        if initial_text and initial_text != self.edit.text():
            self.edit.setText(initial_text)
        elif self.edit.text().strip():
            self._query_id += 1
            self._run_query()
        self._place()
        self.show()
        self.raise_()
        self.activateWindow()
        self.edit.setFocus(Qt.FocusReason.PopupFocusReason)
        self.edit.selectAll()

    @property
    def hits(self) -> list[SearchHit]:
        """The hits shown, best first."""
        return [self.results.item(i).data(HIT_ROLE) for i in range(self.results.count())]

    @Slot()
    def open_current(self) -> None:
        """Open the highlighted hit (Enter); before the hits arrive, the best one once found."""
        if self.edit.text().strip() and self._shown_id != self._query_id:
            self._open_when_found = True
            if self._timer.isActive():
                self._timer.stop()
                self._run_query()
            return
        item = self.results.currentItem()
        if item is not None and self.body.currentWidget() is self.results:
            self._open(item)

    @Slot()
    def forget(self) -> None:
        """Close and forget the query and its hits (the vault is locking)."""
        self._query_id += 1
        self._timer.stop()
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.blockSignals(False)
        self.results.clear()
        self.found.clear()
        self._show_message("Search everything", HINT)
        self.hide()

    # Qt ----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up, Down, Page Up and Page Down in the box move through the hits."""
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            steps = {
                Qt.Key.Key_Down: 1,
                Qt.Key.Key_Up: -1,
                Qt.Key.Key_PageDown: 5,
                Qt.Key.Key_PageUp: -5,
            }
            step = steps.get(Qt.Key(event.key()))
            if step is not None:
                self._move(step)
                return True
        return super().eventFilter(watched, event)

    # Helpers -----------------------------------------------------------------

    def _place(self) -> None:
        parent = self.parentWidget()
        window = parent.window() if parent is not None else None
        if window is None or not window.isVisible():
            self.resize(640, 440)
            return
        width = min(760, max(480, int(window.width() * 0.6)))
        height = min(460, max(300, int(window.height() * 0.62)))
        origin = window.mapToGlobal(QPoint(0, 0))
        x = origin.x() + (window.width() - width) // 2
        y = origin.y() + max(40, (window.height() - height) // 4)
        self.setGeometry(x, y, width, height)

    def _move(self, step: int) -> None:
        count = self.results.count()
        if not count or self.body.currentWidget() is not self.results:
            return
        row = min(max(self.results.currentRow() + step, 0), count - 1)
        self.results.setCurrentRow(row)
        self.results.scrollToItem(self.results.item(row))

    def _open(self, item: QListWidgetItem) -> None:
        hit = item.data(HIT_ROLE)
        self.hide()
        self.open_requested.emit(hit.kind, hit.client_id, hit.ref_id)

    def _show_message(self, title: str, text: str) -> None:
        self.message_title.setText(title)
        self.message.setText(text)
        self.body.setCurrentIndex(1)

    def _show_hits(self, query: str, hits: list[SearchHit]) -> None:
        self.results.clear()
        if not hits:
            self.found.clear()
            self._show_message("No matches", f"No matches for “{query}”. Try fewer words.")
            return
        for hit in hits:
            item = QListWidgetItem()
            item.setData(HIT_ROLE, hit)
            item.setData(HTML_ROLE, snippet_html(hit))
            item.setText(f"{kind_label(hit.kind)}: {hit.client_name}: {hit.plain_snippet}")
            item.setToolTip(hit.plain_snippet)
            self.results.addItem(item)
        self.results.setCurrentRow(0)
        self.body.setCurrentWidget(self.results)
        more = "+" if len(hits) >= LIMIT else ""
        self.found.setText(f"{len(hits)}{more} result{'s' if len(hits) != 1 else ''}")

    # Slots -------------------------------------------------------------------

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        # Any answer still on its way is for older words now.
        self._query_id += 1
        self._open_when_found = False
        if not text.strip():
            self._timer.stop()
            self.results.clear()
            self.found.clear()
            self._show_message("Search everything", HINT)
            return
        self._timer.start()

    @Slot()
    def _run_query(self) -> None:
        query = self.edit.text().strip()
        if not query:
            return
        query_id = self._query_id
        job = self._ops.run(
            lambda vault: search_everything(vault, query),
            on_done=lambda hits: self._on_results(query_id, query, hits),
            on_error=lambda failure: self._on_failed(query_id, failure),
            owner=self,
            context="searching",
        )
        if job is None:
            self._show_message("The vault is locked", "Unlock it to search your clients.")

    def _on_results(self, query_id: int, query: str, hits: list[SearchHit]) -> None:
        if query_id != self._query_id:
            return
        self._shown_id = query_id
        self._show_hits(query, hits)
        if self._open_when_found:
            self._open_when_found = False
            self.open_current()

    def _on_failed(self, query_id: int, failure: Failure) -> None:
        if query_id != self._query_id:
            return
        self._shown_id = query_id
        self._open_when_found = False
        if failure.known:
            self._show_message("Search failed", failure.message)
        else:
            self._show_message("Search failed", "Something went wrong; the details are logged.")
            self._ops.lane.unhandled_failure.emit(failure)

    @Slot(QListWidgetItem)
    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        self._open(item)
