"""The Documents area: the templates documents are made from, edited with a live preview."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtCore import QRegularExpression as Regex
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFormLayout,
    QFrame,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from coachdesk.documents.types import (
    DOC_TYPES,
    EMAIL_TEMPLATE,
    doc_type,
    template_names,
    template_title,
)
from coachdesk.domain.documents import TemplateOrigin, TemplateVersion
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.template_history import TemplateHistoryDialog, confirm
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import days_ago
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.pdf_view import PdfView, render_pages
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import ERROR_COLOR, ask_discard, heading, muted

if TYPE_CHECKING:
    from coachdesk.documents.engine import EmailText
    from coachdesk.store.vault import Vault

PREVIEW_DELAY_MS = 500
RELOAD_ON = frozenset({"documents", "clients", "client", "crm", "practice", "setting"})
# Changes that alter what a preview shows without changing the template.
PREVIEW_AGAIN_ON = frozenset({"clients", "client", "crm", "practice", "setting"})
EMAIL_DESCRIPTION = (
    "The e-mail that goes with a document you send: a “Subject:” line, a blank line, "
    "then the message."
)
SAMPLE_CLIENT = "A made-up sample client"
EMAIL_PREVIEW_KIND = "session_summary"
KEY_ROLE = Qt.ItemDataRole.UserRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
DESCRIPTION_ROLE = Qt.ItemDataRole.UserRole + 2


# Run on the db lane, where the services (and the database stack) are imported.


@dataclass(frozen=True, slots=True)
class TemplateEntry:
    """One template as the list shows it."""

    key: str
    title: str
    description: str
    version: TemplateVersion
    builtin_source: str

    @property
    def is_builtin(self) -> bool:
        """Whether the text in use is CoachDesk's own."""
        return self.version.source == self.builtin_source


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the area reads on each load: the templates and the clients to preview with."""

    entries: tuple[TemplateEntry, ...]
    clients: tuple[tuple[int, str], ...]


def describe(key: str) -> str:
    """A template's one-sentence description."""
    return EMAIL_DESCRIPTION if key == EMAIL_TEMPLATE else doc_type(key).description


def load_templates(vault: Vault) -> Loaded:
    """Db lane: every template's version in use, and the clients a preview may use."""
    from coachdesk.services import clients, documents

    entries = []
    for key in template_names():
        version = documents.template_in_use(vault, key)
        builtin = documents.builtin_source(key)
        entries.append(TemplateEntry(key, template_title(key), describe(key), version, builtin))
    rows = sorted(clients.list_clients(vault), key=lambda row: (row.name.casefold(), row.id))
    return Loaded(tuple(entries), tuple((row.id, row.name) for row in rows))


def pdf_preview(
    vault: Vault, key: str, source: str, client_id: int | None, width: int
) -> list[QImage]:
    """Db lane: `source` filled in for a client (or the sample client), as page images."""
    from coachdesk.services import documents

    return render_pages(documents.preview_pdf(vault, key, source, client_id), width)


def email_preview(vault: Vault, source: str, client_id: int | None, kind_key: str) -> EmailText:
    """Db lane: the e-mail template filled in as it would go with a document of `kind_key`."""
    from coachdesk.services import documents

    return documents.preview_email(vault, source, client_id, kind_key)


def save_template(vault: Vault, key: str, source: str, note: str) -> TemplateVersion:
    """Db lane: check and save a new version."""
    from coachdesk.services import documents

    return documents.save_template(vault, key, source, note)


def restore_builtin(vault: Vault, key: str) -> TemplateVersion:
    """Db lane: go back to CoachDesk's own template."""
    from coachdesk.services import documents

    return documents.restore_builtin(vault, key)


# Words ------------------------------------------------------------------------------------


def version_text(version: TemplateVersion, now: datetime | None = None) -> str:
    """ "Version 3 · edited 3 days ago", or "Built-in" for CoachDesk's own untouched template."""
    if version.origin is TemplateOrigin.BUILT_IN:
        return "Built-in" if version.number == 1 else f"Version {version.number} · built-in"
    how = "edited" if version.origin is TemplateOrigin.EDITED else "reverted"
    return f"Version {version.number} · {how} {days_ago(version.created_at, now)}"


def _names_table(rows: list[tuple[str, str]]) -> str:
    """Rows of (name, what it is); a name indented by two spaces belongs to the row above."""
    cells = "".join(
        f"<tr><td style='padding-left: {18 if name.startswith('  ') else 3}px'>"
        f"<code>{escape(name.strip())}</code></td><td>{escape(text)}</td></tr>"
        for name, text in rows
    )
    return f"<table cellspacing='0' cellpadding='3'>{cells}</table>"


def help_html(key: str) -> str:
    """The "What can I use?" text for a template: names, markup and filters."""
    email = key == EMAIL_TEMPLATE
    parts = [
        "<h3>How a template works</h3>",
        "<p>The text is copied into the document as it is, except for three kinds of brackets:</p>",
        _names_table(
            [
                ("{{ client.first_name }}", "puts a value in, e.g. the client's first name"),
                ("{% if goals %} … {% endif %}", "shows a part only when something is there"),
                ("{% for goal in goals %} … {% endfor %}", "repeats a part for each goal"),
                ("{# a note to yourself #}", "is left out of the document"),
            ]
        ),
        "<p>A misspelt name is caught before saving, with the line it is on.</p>",
        "<h3>Names you can use</h3>",
        _names_table(
            [
                ("client.name", "the name you use for the client"),
                ("client.first_name, client.last_name", "their first and last name"),
                ("client.full_name", "first and last name together"),
                ("client.greeting_name", "the name to greet them by"),
                ("client.email, client.phone", "their first e-mail address and phone"),
                ("client.company, client.role", "where they work and their role"),
                ("client.stage, client.objective", "pipeline stage and coaching objective"),
                ("client.client_since", "when they were added (a date)"),
                ("goals", "their goals (dropped ones left out), each with:"),
                ("  goal.objective, goal.measure", "what the goal is and how it is measured"),
                ("  goal.target_on", "the target date"),
                ("  goal.status_label, goal.progress", "e.g. “On track”, and 0 to 100"),
                ("  goal.milestones", "each with .title, .due_on and .done"),
                ("  goal.milestones_done, goal.milestones_total", "milestone counts"),
                (
                    "notes",
                    "their notes, newest first, each with .kind_label, .occurred_on, "
                    ".text, .themes and .blockers",
                ),
                ("note", "the session note a summary is about (same fields as a note)"),
                ("follow_ups", "open follow-ups, soonest first, each with .title and .due_on"),
                ("practice.coach_name", "your name"),
                ("practice.name", "your business name (or your name)"),
                ("practice.currency", "your currency, e.g. GBP"),
                ("today", "today's date"),
                ("document.name", "the kind of document, e.g. “Progress report”"),
            ]
        ),
    ]
    if email:
        parts.append(
            _names_table(
                [
                    ("document.type", "e.g. progress_report, to write a sentence per kind"),
                    ("document.title", "the attached document's title"),
                ]
            )
        )
        parts.append(
            "<h3>The e-mail</h3><p>The first line is <code>Subject: …</code>, then a blank "
            "line, then the message, as plain text (no tags).</p>"
        )
    else:
        options = doc_type(key).options
        if options:
            parts.append(f"<h3>Choices for a {escape(doc_type(key).name.lower())}</h3>")
            parts.append(_names_table([(f"options.{o.key}", o.label) for o in options]))
        parts.append("<h3>Layout tags</h3>")
        parts.append(
            _names_table(
                [
                    ('<document title="…" layout="certificate">', "wraps everything (optional)"),
                    ("<h1> <h2> <h3>", "headings"),
                    ('<p tone="lead|muted|small" align="center">', "a paragraph"),
                    ("<b> <i> <br>", "bold, italic, a line break"),
                    ('<ul> <ol> <li check="open|done">', "lists, with tick boxes if you like"),
                    ('<table widths="3,1"> <tr> <th> <td>', "tables; a row of <th> repeats"),
                    ('<field label="…" lines="3">', "an answer, or lines to write on"),
                    ('<progress label="…" percent="60">', "a progress bar"),
                    ('<signature name="…" role="…">', "a line to sign on"),
                    ('<hr> <spacer lines="2"> <pagebreak>', "a rule, some space, a new page"),
                ]
            )
        )
    parts.append("<h3>Filters</h3>")
    parts.append(
        _names_table(
            [
                ("{{ today | long_date }}", "24 November 2026"),
                ("{{ goal.target_on | short_date }}", "24 Nov 2026"),
                ("{{ options.price | money(practice.currency) }}", "1,250.00 GBP"),
                ("{{ note.text | lines }}", "keeps the text's line breaks"),
            ]
        )
    )
    return "".join(parts)


# The code editor ------------------------------------------------------------------------

TAG_COLOR = QColor("#1a5fb4")
VALUE_COLOR = QColor("#8e24aa")
STATEMENT_COLOR = QColor("#b35900")
COMMENT_COLOR = QColor("#6a737d")
ERROR_LINE = QColor("#fde8e8")
CURRENT_LINE = QColor("#f3f6fb")
GUTTER_BACKGROUND = QColor("#f4f5f7")
GUTTER_TEXT = QColor("#9aa0a6")


def _format(color: QColor, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    chars = QTextCharFormat()
    chars.setForeground(color)
    if bold:
        chars.setFontWeight(QFont.Weight.DemiBold)
    chars.setFontItalic(italic)
    return chars


class TemplateHighlighter(QSyntaxHighlighter):
    """Colours `<tags>`, `{{ values }}`, `{% statements %}` and `{# comments #}`.

    Args:
        document: the text to colour.
    """

    _RULES = (
        (Regex(r"</?[A-Za-z][A-Za-z0-9]*\b[^<>]*>"), _format(TAG_COLOR)),
        (Regex(r"\{\{.*?\}\}"), _format(VALUE_COLOR, bold=True)),
        (Regex(r"\{%.*?%\}"), _format(STATEMENT_COLOR, bold=True)),
    )
    _COMMENT_START = Regex(r"\{#")
    _COMMENT_END = Regex(r"#\}")
    _COMMENT = _format(COMMENT_COLOR, italic=True)
    IN_COMMENT = 1

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:
        """Colour one line; a comment may run on over several."""
        for pattern, chars in self._RULES:
            matches = pattern.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(), match.capturedLength(), chars)
        self.setCurrentBlockState(0)
        if self.previousBlockState() == self.IN_COMMENT:
            start, skip = 0, 0
        else:
            found = self._COMMENT_START.match(text)
            start, skip = (found.capturedStart(), 2) if found.hasMatch() else (-1, 0)
        while start >= 0:
            end = self._COMMENT_END.match(text, start + skip)
            if end.hasMatch():
                length = end.capturedEnd() - start
            else:
                self.setCurrentBlockState(self.IN_COMMENT)
                length = len(text.encode("utf-16-le")) // 2 - start
            self.setFormat(start, length, self._COMMENT)
            if not end.hasMatch():
                break
            found = self._COMMENT_START.match(text, start + length)
            start, skip = (found.capturedStart(), 2) if found.hasMatch() else (-1, 0)


class _Gutter(QWidget):
    """The strip of line numbers left of the editor."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:
        """As wide as the editor needs for its numbers."""
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The editor paints the numbers (it knows where its lines are)."""
        self._editor.paint_gutter(self, event)


class CodeEditor(QPlainTextEdit):
    """A plain-text editor for templates: line numbers, monospace, colours, Tab = 2 spaces.

    The line with a problem is marked in red (`set_error_line`), and
    `go_to_line` puts the cursor on it.

    Args:
        parent: the owning widget.
    """

    INDENT = "  "

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabStopDistance(QFontMetrics(font).horizontalAdvance(" ") * len(self.INDENT))
        self.error_line: int | None = None
        self._gutter = _Gutter(self)
        self.highlighter = TemplateHighlighter(self.document())
        self.blockCountChanged.connect(self._on_block_count_changed)
        self.updateRequest.connect(self._on_update_request)
        self.cursorPositionChanged.connect(self._update_selections)
        self._on_block_count_changed()
        self._update_selections()

    def gutter_width(self) -> int:
        """The width of the line numbers (at least three digits)."""
        digits = max(3, len(str(self.blockCount())))
        return 16 + self.fontMetrics().horizontalAdvance("9") * digits

    def set_error_line(self, line: int | None) -> None:
        """Mark a line (1-based) as the one with a problem, or none."""
        if line is not None and not 1 <= line <= self.blockCount():
            line = None
        self.error_line = line
        self._update_selections()
        self._gutter.update()

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of a line (1-based) and show it."""
        block = self.document().findBlockByNumber(max(0, line - 1))
        if not block.isValid():
            return
        self.setTextCursor(QTextCursor(block))
        self.centerCursor()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def paint_gutter(self, gutter: QWidget, event: QPaintEvent) -> None:
        """Paint the line numbers of the lines on screen."""
        painter = QPainter(gutter)
        painter.fillRect(event.rect(), GUTTER_BACKGROUND)
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        height = self.fontMetrics().height()
        current = self.textCursor().blockNumber() + 1
        normal, bold = QFont(self.font()), QFont(self.font())
        bold.setWeight(QFont.Weight.Bold)
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + self.blockBoundingRect(block).height()
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber() + 1
                if number == self.error_line:
                    painter.setPen(QColor(ERROR_COLOR))
                    painter.setFont(bold)
                else:
                    painter.setPen(
                        self.palette().color(QPalette.ColorRole.Text)
                        if number == current
                        else GUTTER_TEXT
                    )
                    painter.setFont(normal)
                painter.drawText(
                    0,
                    int(top),
                    gutter.width() - 8,
                    height,
                    Qt.AlignmentFlag.AlignRight,
                    str(number),
                )
            block = block.next()
            top = bottom
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Tab indents by two spaces (Shift+Tab takes them away); Enter keeps the indent."""
        key, modifiers = event.key(), event.modifiers()
        plain = modifiers in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if key == Qt.Key.Key_Tab and plain:
            if self._selection_spans_lines():
                self._indent_lines(unindent=False)
            else:
                self.textCursor().insertText(self.INDENT)
            return
        if key == Qt.Key.Key_Backtab:
            self._indent_lines(unindent=True)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            cursor = self.textCursor()
            line = cursor.block().text()[: cursor.positionInBlock()]
            indent = line[: len(line) - len(line.lstrip(" "))]
            cursor.beginEditBlock()
            cursor.insertBlock()
            cursor.insertText(indent)
            cursor.endEditBlock()
            self.ensureCursorVisible()
            return
        super().keyPressEvent(event)

    def _selection_spans_lines(self) -> bool:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return False
        document = self.document()
        first = document.findBlock(cursor.selectionStart())
        last = document.findBlock(cursor.selectionEnd())
        return first.blockNumber() != last.blockNumber()

    def _indent_lines(self, unindent: bool) -> None:
        cursor = self.textCursor()
        document = self.document()
        first = document.findBlock(cursor.selectionStart())
        last = document.findBlock(cursor.selectionEnd())
        if cursor.hasSelection() and cursor.selectionEnd() == last.position() and last != first:
            last = last.previous()
        edit = QTextCursor(document)
        edit.beginEditBlock()
        block = first
        while block.isValid():
            edit.setPosition(block.position())
            if not unindent:
                edit.insertText(self.INDENT)
            else:
                spaces = len(block.text()) - len(block.text().lstrip(" "))
                for _ in range(min(spaces, len(self.INDENT))):
                    edit.deleteChar()
            if block == last:
                break
            block = block.next()
        edit.endEditBlock()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the gutter as tall as the editor."""
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    @Slot()
    def _on_block_count_changed(self, *_args: object) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    @Slot(QRect, int)
    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._on_block_count_changed()

    @Slot()
    def _update_selections(self) -> None:
        selections = []
        current = QTextEdit.ExtraSelection()
        current.format.setBackground(CURRENT_LINE)
        current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        current.cursor = self.textCursor()
        current.cursor.clearSelection()
        selections.append(current)
        if self.error_line is not None:
            block = self.document().findBlockByNumber(self.error_line - 1)
            if block.isValid():
                error = QTextEdit.ExtraSelection()
                error.format.setBackground(ERROR_LINE)
                error.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                # Selecting the whole line marks every row of it when it wraps.
                error.cursor = QTextCursor(block)
                error.cursor.movePosition(
                    QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                )
                end = QTextEdit.ExtraSelection()
                end.format = error.format
                end.cursor = QTextCursor(error.cursor)
                end.cursor.clearSelection()
                selections += [error, end]
        self.setExtraSelections(selections)
        self._gutter.update()


class ProblemBar(QFrame):
    """A red bar under the editor saying what is wrong with the template, and on which line.

    Clicking it (or "Show line N") puts the editor's cursor on that line.

    Signals:
        line_requested: the line (1-based) to show.
    """

    line_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemBar")
        self.setStyleSheet(
            "QFrame#problemBar { background: #fdecea; border: 1px solid #f5c2c0;"
            " border-radius: 6px; }"
            f" QLabel {{ color: {ERROR_COLOR}; background: transparent; border: none; }}"
        )
        self.line: int | None = None
        self.message = QLabel()
        self.message.setObjectName("problemText")
        self.message.setWordWrap(True)
        self.show_button = QPushButton()
        self.show_button.setObjectName("showLine")
        self.show_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.show_button.setFlat(True)
        self.show_button.setAutoDefault(False)
        self.show_button.setStyleSheet(
            f"QPushButton {{ color: {ERROR_COLOR}; text-decoration: underline; border: none;"
            " padding: 2px 4px; }"
        )
        self.show_button.clicked.connect(self._on_activated)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 8, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.show_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(False)

    @property
    def text(self) -> str:
        """What the bar says ("" when hidden)."""
        return "" if self.isHidden() else self.message.text()

    def show_problem(self, message: str, line: int | None) -> None:
        """Say what is wrong; `line` makes the bar a way to get there."""
        self.line = line
        self.message.setText(message)
        self.show_button.setText(f"Show line {line}" if line else "")
        self.show_button.setVisible(line is not None)
        self.setCursor(Qt.CursorShape.PointingHandCursor if line else Qt.CursorShape.ArrowCursor)
        self.setToolTip(f"Click to go to line {line}" if line else "")
        self.setVisible(True)

    def clear(self) -> None:
        """Hide the bar."""
        self.line = None
        self.message.clear()
        self.setVisible(False)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A click anywhere on the bar goes to the line."""
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._on_activated()

    @Slot()
    def _on_activated(self) -> None:
        if self.line is not None:
            self.line_requested.emit(self.line)


class TemplateListDelegate(QStyledItemDelegate):
    """A template in the list: its name, its version in words, and what it is for."""

    PAD = 8

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setWeight(QFont.Weight.DemiBold)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        return title, small

    def _text_width(self, option: QStyleOptionViewItem) -> int:
        view = option.widget
        width = view.viewport().width() if isinstance(view, QAbstractItemView) else 0
        return max(120, (width or option.rect.width()) - 2 * self.PAD)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Tall enough for the name, the version line and the wrapped description."""
        title, small = self._fonts(option)
        width = self._text_width(option)
        description = str(index.data(DESCRIPTION_ROLE) or "")
        wrapped = QFontMetrics(small).boundingRect(
            QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, description
        )
        height = (
            QFontMetrics(title).height()
            + 2
            + QFontMetrics(small).height()
            + 4
            + wrapped.height()
            + 2 * self.PAD
        )
        return QSize(width, height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Paint the selection, then the three lines of text."""
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""
        style = item.widget.style() if item.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, item.widget)
        selected = bool(item.state & QStyle.StateFlag.State_Selected)
        text_color = item.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        soft = QColor(text_color)
        if not selected:
            soft = item.palette.color(QPalette.ColorRole.PlaceholderText)
        title_font, small = self._fonts(item)
        rect = item.rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        painter.save()
        y = rect.top()
        metrics = QFontMetrics(title_font)
        painter.setFont(title_font)
        painter.setPen(text_color)
        title = metrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
            Qt.TextElideMode.ElideRight,
            rect.width(),
        )
        painter.drawText(QRect(rect.left(), y, rect.width(), metrics.height()), 0, title)
        y += metrics.height() + 2
        metrics = QFontMetrics(small)
        painter.setFont(small)
        painter.setPen(soft)
        status = metrics.elidedText(
            str(index.data(STATUS_ROLE) or ""), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(QRect(rect.left(), y, rect.width(), metrics.height()), 0, status)
        y += metrics.height() + 4
        painter.drawText(
            QRect(rect.left(), y, rect.width(), rect.bottom() - y + 1),
            Qt.TextFlag.TextWordWrap,
            str(index.data(DESCRIPTION_ROLE) or ""),
        )
        painter.restore()


# The area ---------------------------------------------------------------------------------


class TemplatesView(LazyView):
    """The templates documents are made from: pick one, edit it, see it filled in, save.

    Each save is a new version (with an optional note); History shows every
    version and what changed, and can go back to one.  The preview is made on
    the db lane about half a second after typing stops, for a made-up sample
    client or a real one, and only the newest text's preview is shown.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        loaded: the number of templates, after each load.
        preview_updated: pages shown (0 for the e-mail's text) after each new preview.
        dirty_changed: whether the editor now holds unsaved changes.
    """

    notice = Signal(str, object)
    loaded = Signal(int)
    preview_updated = Signal(int)
    dirty_changed = Signal(bool)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.entries: dict[str, TemplateEntry] = {}
        self._key: str | None = None
        self._saved_source = ""
        self._dirty = False
        self._saving = False
        self._edits = 0
        self._previewing = False
        self._preview_again = False
        self._rendered_width = 0
        self.previewed_source: str | None = None
        self._preview_outdated = False
        self._pending_key: str | None = None
        self._discard_box: QMessageBox | None = None
        self.confirm_box: QMessageBox | None = None
        self.history_dialog: TemplateHistoryDialog | None = None

        self.template_list = QListWidget()
        self.template_list.setObjectName("templateList")
        self.template_list.setItemDelegate(TemplateListDelegate(self.template_list))
        self.template_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.template_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.template_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.template_list.setMinimumWidth(190)
        self.template_list.setSpacing(0)
        self.template_list.currentRowChanged.connect(self._on_row_changed)

        self._build_editor()
        self._build_preview()

        splitter = QSplitter()
        splitter.setObjectName("templatesSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.template_list)
        splitter.addWidget(self.editor_panel)
        splitter.addWidget(self.side_tabs)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 3)
        splitter.setSizes([230, 430, 400])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(heading("Documents"))
        layout.addWidget(
            muted(
                "The templates your documents are made from. Change the wording, see it "
                "filled in on the right, and save: every save is kept, so you can always go back."
            )
        )
        layout.addWidget(splitter, 1)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._on_preview_due)

        self.save_action = QAction("Save template", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_action.triggered.connect(self._on_save_clicked)
        self.addAction(self.save_action)

        ops.opened.connect(self.mark_stale)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._show_nothing_selected()

    def _build_editor(self) -> None:
        self.title = heading("", 3)
        self.title.setObjectName("templateTitle")
        # The title must not widen the panel when "•" appears: the splitter would jump.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.description = muted()
        self.description.setObjectName("templateDescription")
        self.version_label = muted(wrap=False)
        self.version_label.setObjectName("templateVersion")
        self.version_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.history_button = QPushButton("History…")
        self.history_button.setToolTip("Every saved version, what changed, and going back to one")
        self.history_button.clicked.connect(self._on_history_clicked)
        self.restore_button = QPushButton("Restore built-in…")
        self.restore_button.setToolTip("Go back to the template CoachDesk comes with")
        self.restore_button.clicked.connect(self._on_restore_clicked)

        self.editor = CodeEditor()
        self.editor.setObjectName("templateEditor")
        self.editor.setPlaceholderText("Choose a template on the left to edit it.")
        self.editor.textChanged.connect(self._on_text_changed)
        self.problem_bar = ProblemBar()
        self.problem_bar.line_requested.connect(self.editor.go_to_line)

        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("saveNote")
        self.note_edit.setPlaceholderText("What changed? (optional)")
        self.note_edit.setMaxLength(200)
        self.note_edit.returnPressed.connect(self._on_save_clicked)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveTemplate")
        self.save_button.setToolTip("Save as a new version (Ctrl+S)")
        self.save_button.setDefault(False)
        self.save_button.clicked.connect(self._on_save_clicked)

        versions = QHBoxLayout()
        versions.setSpacing(6)
        versions.addWidget(self.version_label, 1)
        versions.addWidget(self.history_button)
        versions.addWidget(self.restore_button)
        save_row = QHBoxLayout()
        save_row.setSpacing(6)
        save_row.addWidget(self.note_edit, 1)
        save_row.addWidget(self.save_button)

        self.editor_panel = QWidget()
        layout = QVBoxLayout(self.editor_panel)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.description)
        layout.addLayout(versions)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problem_bar)
        layout.addLayout(save_row)

    def _build_preview(self) -> None:
        self.client_combo = QComboBox()
        self.client_combo.setObjectName("previewClient")
        self.client_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.client_combo.setMinimumContentsLength(12)
        self.client_combo.addItem(SAMPLE_CLIENT, None)
        self.client_combo.currentIndexChanged.connect(self._on_preview_input_changed)
        self.email_kind_label = QLabel("Sent with:")
        self.email_kind_combo = QComboBox()
        self.email_kind_combo.setObjectName("previewEmailKind")
        self.email_kind_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.email_kind_combo.setMinimumContentsLength(10)
        for kind in DOC_TYPES:
            self.email_kind_combo.addItem(kind.name.lower().capitalize(), kind.key)
        self.email_kind_combo.setCurrentIndex(self.email_kind_combo.findData(EMAIL_PREVIEW_KIND))
        self.email_kind_combo.currentIndexChanged.connect(self._on_preview_input_changed)
        self.preview_state = muted()
        self.preview_state.setObjectName("previewState")

        self.preview = PdfView()
        self.preview.setObjectName("templatePreview")
        self.preview.viewport().installEventFilter(self)
        self._stale_effect = QGraphicsOpacityEffect(self.preview)
        self._stale_effect.setOpacity(0.35)
        self._stale_effect.setEnabled(False)
        desk = self.preview.widget()
        if desk is not None:
            desk.setGraphicsEffect(self._stale_effect)

        self.email_subject = QLabel()
        self.email_subject.setObjectName("emailSubject")
        self.email_subject.setWordWrap(True)
        self.email_subject.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = self.email_subject.font()
        bold.setWeight(QFont.Weight.DemiBold)
        self.email_subject.setFont(bold)
        self.email_body = QPlainTextEdit()
        self.email_body.setObjectName("emailBody")
        self.email_body.setReadOnly(True)
        self.email_body.setFrameShape(QFrame.Shape.NoFrame)
        email = QFrame()
        email.setObjectName("emailPaper")
        email.setStyleSheet(
            "QFrame#emailPaper { background: palette(base); border: 1px solid palette(mid);"
            " border-radius: 6px; }"
        )
        email_layout = QVBoxLayout(email)
        email_layout.setContentsMargins(14, 12, 14, 12)
        email_layout.addWidget(muted("Subject"))
        email_layout.addWidget(self.email_subject)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        email_layout.addWidget(line)
        email_layout.addWidget(self.email_body, 1)
        self.email_view = email

        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview)
        self.preview_stack.addWidget(self.email_view)

        choose = QFormLayout()
        choose.setHorizontalSpacing(8)
        choose.setVerticalSpacing(6)
        choose.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        choose.addRow("Preview with:", self.client_combo)
        choose.addRow(self.email_kind_label, self.email_kind_combo)
        self._choose = choose
        preview_page = QWidget()
        preview_layout = QVBoxLayout(preview_page)
        preview_layout.setContentsMargins(6, 8, 6, 6)
        preview_layout.setSpacing(6)
        preview_layout.addLayout(choose)
        preview_layout.addWidget(self.preview_state)
        preview_layout.addWidget(self.preview_stack, 1)

        self.help = QTextBrowser()
        self.help.setObjectName("templateHelp")
        self.help.setOpenLinks(False)

        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("templateSide")
        self.side_tabs.addTab(preview_page, "Preview")
        self.side_tabs.addTab(self.help, "What can I use?")

    # State ---------------------------------------------------------------------------

    @property
    def current_key(self) -> str | None:
        """The key of the template being edited."""
        return self._key

    @property
    def has_unsaved_changes(self) -> bool:
        """Whether the editor holds text that is not saved."""
        return self._dirty

    def source(self) -> str:
        """The text in the editor."""
        return self.editor.toPlainText()

    def show_template(self, key: str) -> None:
        """Select a template (asks first when there are unsaved changes)."""
        row = self._row_of(key)
        if row >= 0:
            self.template_list.setCurrentRow(row)

    def maybe_leave(self, on_leave: Callable[[], None]) -> None:
        """Call `on_leave` now, or after the coach agrees to discard unsaved changes.

        For the main window: call it before switching area or closing.
        """
        if not self._dirty:
            on_leave()
            return

        def answered(answer: int) -> None:
            self._discard_box = None
            if answer == QMessageBox.StandardButton.Discard.value:
                self._discard_edits()
                on_leave()

        self._discard_box = ask_discard(self, answered)

    # Loading -------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Read the templates and the clients on the db lane."""
        self._stale = False
        self._ops.run(
            load_templates,
            on_done=self._on_loaded,
            owner=self,
            context="loading the templates",
        )

    @Slot()
    def clear(self) -> None:
        """Forget everything shown (the vault is locking)."""
        self._preview_timer.stop()
        for box in (self._discard_box, self.confirm_box):
            if box is not None:
                box.done(QMessageBox.StandardButton.Cancel.value)
        self._discard_box = self.confirm_box = None
        self.entries = {}
        self._key = None
        self._saved_source = ""
        self._previewing = self._preview_again = self._saving = False
        self.previewed_source = None
        self._edits += 1
        self.template_list.blockSignals(True)
        self.template_list.clear()
        self.template_list.blockSignals(False)
        self.client_combo.blockSignals(True)
        self.client_combo.clear()
        self.client_combo.addItem(SAMPLE_CLIENT, None)
        self.client_combo.blockSignals(False)
        self._set_editor_text("")
        self._show_nothing_selected()
        self._stale = True

    @Slot(object)
    def _on_loaded(self, loaded: Loaded) -> None:
        self.entries = {entry.key: entry for entry in loaded.entries}
        self._fill_list()
        self._fill_clients(loaded.clients)
        if self._key is None or self._key not in self.entries:
            if loaded.entries:
                self._open_template(loaded.entries[0].key)
                self.template_list.blockSignals(True)
                self.template_list.setCurrentRow(0)
                self.template_list.blockSignals(False)
        else:
            entry = self.entries[self._key]
            if not self._dirty and entry.version.source != self.source():
                self._saved_source = entry.version.source
                self._set_editor_text(entry.version.source)
                self._preview_now()
            else:
                if not self._dirty:
                    self._saved_source = entry.version.source
                if self._preview_outdated:
                    self._preview_now()
            self._show_header()
        self._preview_outdated = False
        self.loaded.emit(len(loaded.entries))

    def _fill_list(self) -> None:
        current = self._key
        self.template_list.blockSignals(True)
        if self.template_list.count() != len(self.entries):
            self.template_list.clear()
            for entry in self.entries.values():
                QListWidgetItem(entry.title, self.template_list)
        for row, entry in enumerate(self.entries.values()):
            item = self.template_list.item(row)
            item.setData(KEY_ROLE, entry.key)
            item.setData(STATUS_ROLE, version_text(entry.version))
            item.setData(DESCRIPTION_ROLE, entry.description)
            item.setToolTip(entry.description)
            self._set_item_title(item, entry.key)
        if current is not None:
            self.template_list.setCurrentRow(self._row_of(current))
        self.template_list.blockSignals(False)

    def _fill_clients(self, clients: tuple[tuple[int, str], ...]) -> None:
        chosen = self.client_combo.currentData()
        self.client_combo.blockSignals(True)
        self.client_combo.clear()
        self.client_combo.addItem(SAMPLE_CLIENT, None)
        for client_id, name in clients:
            self.client_combo.addItem(name, client_id)
        index = self.client_combo.findData(chosen) if chosen is not None else 0
        self.client_combo.setCurrentIndex(max(0, index))
        self.client_combo.blockSignals(False)
        if chosen is not None and index < 0:
            self._on_preview_input_changed()

    def _row_of(self, key: str) -> int:
        for row in range(self.template_list.count()):
            if self.template_list.item(row).data(KEY_ROLE) == key:
                return row
        return -1

    def _set_item_title(self, item: QListWidgetItem, key: str) -> None:
        title = template_title(key)
        item.setText(f"{title} •" if key == self._key and self._dirty else title)

    # Choosing a template -------------------------------------------------------------

    @Slot(int)
    def _on_row_changed(self, row: int) -> None:
        item = self.template_list.item(row) if row >= 0 else None
        key = item.data(KEY_ROLE) if item is not None else None
        if key is None or key == self._key:
            return
        if self._dirty:
            self._select_row_quietly(self._key)
            self._pending_key = key
            self._discard_box = ask_discard(self, self._on_switch_answered)
            return
        self._open_template(key)

    @Slot(int)
    def _on_switch_answered(self, answer: int) -> None:
        self._discard_box = None
        key, self._pending_key = self._pending_key, None
        if answer == QMessageBox.StandardButton.Discard.value and key is not None:
            self._discard_edits()
            self._select_row_quietly(key)
            self._open_template(key)

    def _select_row_quietly(self, key: str | None) -> None:
        self.template_list.blockSignals(True)
        self.template_list.setCurrentRow(self._row_of(key) if key else -1)
        self.template_list.blockSignals(False)

    def _discard_edits(self) -> None:
        self._set_editor_text(self._saved_source)
        self._clear_problem()
        self._preview_now()

    def _open_template(self, key: str) -> None:
        entry = self.entries.get(key)
        if entry is None:
            return
        self._key = key
        self._saved_source = entry.version.source
        self._set_editor_text(entry.version.source)
        self.editor.moveCursor(QTextCursor.MoveOperation.Start)
        self.note_edit.clear()
        self._clear_problem()
        is_email = key == EMAIL_TEMPLATE
        self._choose.setRowVisible(self.email_kind_combo, is_email)
        self.preview_stack.setCurrentWidget(self.email_view if is_email else self.preview)
        self.preview.set_message("Making the preview…")
        self.email_subject.clear()
        self.email_body.clear()
        self._rendered_width = 0
        self.previewed_source = None
        self.help.setHtml(help_html(key))
        self._set_enabled(True)
        self._show_header()
        self._preview_now()

    def _show_nothing_selected(self) -> None:
        self.title.setText("Templates")
        self.description.setText("Choose a template on the left to change its wording.")
        self.version_label.clear()
        self.preview.set_message("The preview of the template you choose appears here.")
        self.preview_state.clear()
        self._choose.setRowVisible(self.email_kind_combo, False)
        self.preview_stack.setCurrentWidget(self.preview)
        self.help.setHtml(help_html(DOC_TYPES[0].key))
        self._stale_effect.setEnabled(False)
        self._clear_problem()
        self._set_enabled(False)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (
            self.editor,
            self.note_edit,
            self.history_button,
            self.client_combo,
            self.email_kind_combo,
        ):
            widget.setEnabled(enabled)
        self._update_buttons()

    def _show_header(self) -> None:
        key = self._key
        if key is None:
            return
        entry = self.entries.get(key)
        title = template_title(key)
        self.title.setText(f"{title} •" if self._dirty else title)
        self.title.setAccessibleName(title)
        self.description.setText(describe(key))
        status = version_text(entry.version) if entry else ""
        if self._dirty:
            status += " · unsaved changes"
        self.version_label.setText(status)
        item = self.template_list.item(self._row_of(key))
        if item is not None:
            self._set_item_title(item, key)
        self._update_buttons()

    def _update_buttons(self) -> None:
        entry = self.entries.get(self._key) if self._key else None
        self.save_button.setEnabled(entry is not None and self._dirty and not self._saving)
        self.save_button.setText("Saving…" if self._saving else "Save")
        self.restore_button.setEnabled(
            entry is not None and not self._saving and (self._dirty or not entry.is_builtin)
        )
        self.history_button.setEnabled(entry is not None)

    # Editing -------------------------------------------------------------------------

    def _set_editor_text(self, text: str) -> None:
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        self.editor.blockSignals(False)
        self.editor.set_error_line(None)
        self._set_dirty(False if self._key is None else text != self._saved_source)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty == self._dirty:
            return
        self._dirty = dirty
        self._show_header()
        self.dirty_changed.emit(dirty)

    @Slot()
    def _on_text_changed(self) -> None:
        if self._key is None:
            return
        self._edits += 1
        self._preview_timer.start()
        self._set_dirty(self.source() != self._saved_source)

    # Preview -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Make the pages again when the preview becomes much wider or narrower."""
        if (
            watched is self.preview.viewport()
            and event.type() == QEvent.Type.Resize
            and self._rendered_width
            and abs(self.preview.page_width() - self._rendered_width) > 60
        ):
            self._preview_timer.start()
        return super().eventFilter(watched, event)

    @Slot()
    def _on_preview_input_changed(self, *_args: object) -> None:
        self._edits += 1
        self._preview_now()

    def _preview_now(self) -> None:
        self._preview_timer.stop()
        self._on_preview_due()

    @Slot()
    def _on_preview_due(self) -> None:
        key = self._key
        if key is None or not self._ops.is_open:
            return
        if self._previewing:
            self._preview_again = True
            return
        stamp = self._edits
        source = self.source()
        client_id = self.client_combo.currentData()
        fn: Callable[[Vault], object]
        if key == EMAIL_TEMPLATE:
            kind_key = self.email_kind_combo.currentData()
            fn = lambda vault: email_preview(vault, source, client_id, kind_key)  # noqa: E731
        else:
            width = self.preview.page_width()
            fn = lambda vault: pdf_preview(vault, key, source, client_id, width)  # noqa: E731
        self._previewing = True
        self._preview_again = False
        self.preview_state.setStyleSheet("")
        self.preview_state.setText("Updating the preview…")
        job = self._ops.run(
            fn,
            on_done=lambda result: self._on_preview_ready(stamp, key, source, result),
            on_error=lambda failure: self._on_preview_failed(stamp, key, failure),
            owner=self,
            context="making the template's preview",
        )
        if job is None:
            self._previewing = False

    def _preview_finished(self, stamp: int, key: str) -> bool:
        """Whether a preview that just came back is still the one to show."""
        self._previewing = False
        if self._preview_again:
            self._on_preview_due()
        return stamp == self._edits and key == self._key

    def _who(self) -> str:
        client_id = self.client_combo.currentData()
        return "the sample client" if client_id is None else self.client_combo.currentText()

    def _on_preview_ready(self, stamp: int, key: str, source: str, result: object) -> None:
        if not self._preview_finished(stamp, key):
            return
        self.previewed_source = source
        self._clear_problem()
        self._stale_effect.setEnabled(False)
        if isinstance(result, list):
            self.preview.set_pages(result)
            self._rendered_width = self.preview.page_width()
            pages = len(result)
            count = "1 page" if pages == 1 else f"{pages} pages"
            self.preview_state.setText(f"Filled in for {self._who()} · {count}")
            self.preview_updated.emit(pages)
            return
        subject = getattr(result, "subject", "")
        self.email_subject.setText(subject)
        self.email_body.setPlainText(getattr(result, "body", ""))
        kind = self.email_kind_combo.currentText().lower()
        self.preview_state.setText(f"Filled in for {self._who()}, sent with a {kind}")
        self.preview_updated.emit(0)

    def _on_preview_failed(self, stamp: int, key: str, failure: Failure) -> None:
        from coachdesk.documents.sandbox import BrokenTemplateError

        if not self._preview_finished(stamp, key):
            return
        error = failure.error
        if isinstance(error, BrokenTemplateError):
            self._show_problem(error.message, error.line)
            self._mark_preview_out_of_date(
                "Out of date: the template has a problem (see under the editor). "
                "This is the last preview that worked."
            )
        elif failure.known:
            self._mark_preview_out_of_date(f"No preview: {failure.message}")
        else:
            where = f" Details are in {failure.log_path}." if failure.log_path else ""
            self._mark_preview_out_of_date(f"The preview could not be made.{where}")

    def _mark_preview_out_of_date(self, text: str) -> None:
        self.preview_state.setText(text)
        self.preview_state.setStyleSheet(f"color: {ERROR_COLOR};")
        self._stale_effect.setEnabled(self.preview.page_count > 0)

    def _show_problem(self, message: str, line: int | None) -> None:
        self.problem_bar.show_problem(message, line)
        self.editor.set_error_line(line)

    def _clear_problem(self) -> None:
        self.problem_bar.clear()
        self.editor.set_error_line(None)

    # Saving, history, restoring ------------------------------------------------------

    @Slot()
    def _on_save_clicked(self) -> None:
        key = self._key
        if key is None or self._saving:
            return
        if not self._dirty:
            self.notice.emit("Nothing to save: the template has not changed.", None)
            return
        source, note = self.source(), self.note_edit.text().strip()
        self._saving = True
        self._update_buttons()
        job = self._ops.run(
            lambda vault: save_template(vault, key, source, note),
            on_done=self._on_saved,
            on_error=self._on_save_failed,
            changes="documents",
            owner=self,
            context="saving the template",
        )
        if job is None:
            self._saving = False
            self._update_buttons()

    @Slot(object)
    def _on_saved(self, version: TemplateVersion) -> None:
        self._saving = False
        self._take_version(version)
        self.note_edit.clear()
        self.notice.emit(
            f"Saved “{template_title(version.key)}” as version {version.number}.", None
        )

    @Slot(object)
    def _on_save_failed(self, failure: Failure) -> None:
        from coachdesk.documents.sandbox import BrokenTemplateError

        self._saving = False
        self._update_buttons()
        error = failure.error
        if isinstance(error, BrokenTemplateError):
            self._show_problem(f"Not saved. {error.message}", error.line)
        elif failure.known:
            self._show_problem(f"Not saved. {failure.message}", None)
        else:
            show_failure(self, failure)

    def _take_version(self, version: TemplateVersion) -> None:
        """A new version of a template is in use: remember it, and show it if it is this one."""
        entry = self.entries.get(version.key)
        if entry is not None:
            self.entries[version.key] = TemplateEntry(
                entry.key, entry.title, entry.description, version, entry.builtin_source
            )
            item = self.template_list.item(self._row_of(version.key))
            if item is not None:
                item.setData(STATUS_ROLE, version_text(version))
        if version.key != self._key:
            return
        # Never replace the editor's text here: the coach may have typed on while the
        # save ran. What differs from the saved version simply stays unsaved.
        self._saved_source = version.source
        self._set_dirty(self.source() != version.source)
        self._show_header()

    @Slot()
    def _on_history_clicked(self) -> None:
        key = self._key
        if key is None:
            return
        dialog = TemplateHistoryDialog(self._ops, key, template_title(key), self._dirty, self)
        dialog.reverted.connect(self._on_reverted)
        dialog.finished.connect(lambda _result: self._on_history_closed(dialog))
        self.history_dialog = dialog
        dialog.open()

    def _on_history_closed(self, dialog: TemplateHistoryDialog) -> None:
        if self.history_dialog is dialog:
            self.history_dialog = None
        delete_soon(dialog, self)

    @Slot(object)
    def _on_reverted(self, version: TemplateVersion) -> None:
        self._force_version(version)
        self.notice.emit(
            f"“{template_title(version.key)}” is back to earlier text, "
            f"saved as version {version.number}.",
            None,
        )

    @Slot()
    def _on_restore_clicked(self) -> None:
        key = self._key
        if key is None:
            return
        text = (
            f"“{template_title(key)}” goes back to the template CoachDesk comes with, and "
            "follows CoachDesk's improvements again. Your own versions stay in the history, "
            "so you can come back to them."
        )
        if self._dirty:
            text += " Your unsaved changes are discarded."
        self.confirm_box = confirm(
            self,
            "Restore the built-in template?",
            text,
            "Restore built-in",
            lambda: self._restore(key),
        )

    def _restore(self, key: str) -> None:
        self.confirm_box = None
        self._saving = True
        self._update_buttons()
        job = self._ops.run(
            lambda vault: restore_builtin(vault, key),
            on_done=self._on_restored,
            on_error=self._on_save_failed,
            changes="documents",
            owner=self,
            context="restoring the built-in template",
        )
        if job is None:
            self._saving = False
            self._update_buttons()

    @Slot(object)
    def _on_restored(self, version: TemplateVersion) -> None:
        self._saving = False
        self._force_version(version)
        self.notice.emit(
            f"“{template_title(version.key)}” is CoachDesk's built-in template again "
            f"(version {version.number}).",
            None,
        )

    def _force_version(self, version: TemplateVersion) -> None:
        """Show a version that replaced the editor's text (unsaved edits were given up)."""
        if version.key == self._key:
            self._saved_source = version.source
            self._set_editor_text(version.source)
            self._clear_problem()
            self._preview_now()
        self._take_version(version)

    # Elsewhere -----------------------------------------------------------------------

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in PREVIEW_AGAIN_ON:
            self._preview_outdated = True
        if kind in RELOAD_ON:
            self.mark_stale()
