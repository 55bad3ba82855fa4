"""Small shared widgets: field errors, headings, empty states, time-zone picker, strength meter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, QStandardPaths, Qt, QTimeZone, Signal
from PySide6.QtGui import QColor, QFocusEvent, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import known_time_zones
from coachdesk.domain.passphrase import Strength, StrengthHint

ERROR_COLOR = "#c62828"
OK_COLOR = "#2e7d32"
STRENGTH_COLORS = {
    Strength.TOO_WEAK: QColor("#c62828"),
    Strength.WEAK: QColor("#ef6c00"),
    Strength.FAIR: QColor("#f9a825"),
    Strength.STRONG: QColor("#2e7d32"),
}


def heading(text: str, size_delta: int = 6) -> QLabel:
    """A bold title label, larger than body text."""
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() + size_delta)
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def muted(text: str = "", wrap: bool = True) -> QLabel:
    """Secondary text: smaller contrast, wrapped."""
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def error_label() -> QLabel:
    """A red, wrapped label shown under a field only when it has something to say."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOR};")
    label.setVisible(False)
    label.setObjectName("fieldError")
    return label


def set_message(label: QLabel, text: str | None) -> None:
    """Show `text` in `label`, or hide the label when there is nothing to say."""
    label.setText(text or "")
    label.setVisible(bool(text))


class FieldErrors:
    """Which widget shows each field, and the red label under it.

    Fields are kept in the order they were added, which is the order focus
    goes through them: the first bad field is the one that gets focus.
    """

    def __init__(self) -> None:
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}

    def add(self, name: str, widget: QWidget, hint: str | None = None) -> QWidget:
        """Register `widget` for field `name`; returns the block to put in the layout."""
        block = QWidget()
        layout = QVBoxLayout(block)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(widget)
        if hint:
            layout.addWidget(muted(hint))
        label = error_label()
        label.setObjectName(f"error_{name}")
        layout.addWidget(label)
        self._fields[name] = (widget, label)
        return block

    @property
    def names(self) -> list[str]:
        """The registered fields, in focus order."""
        return list(self._fields)

    def label(self, name: str) -> QLabel:
        """The error label of a field."""
        return self._fields[name][1]

    def message(self, name: str) -> str:
        """The error shown for a field ("" when none)."""
        return self.label(name).text()

    def set(self, name: str, message: str | None) -> None:
        """Show or clear one field's error."""
        if name in self._fields:
            set_message(self._fields[name][1], message)

    def clear(self) -> None:
        """Clear every error."""
        for name in self._fields:
            self.set(name, None)

    def show(self, errors: Mapping[str, str]) -> dict[str, str]:
        """Show each error under its field and focus the first bad field.

        Returns the errors that belong to no registered field.
        """
        self.clear()
        first: QWidget | None = None
        for name, (widget, label) in self._fields.items():
            if name in errors:
                set_message(label, errors[name])
                if first is None:
                    first = widget
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(first, QLineEdit):
                first.selectAll()
        return {k: v for k, v in errors.items() if k not in self._fields}


class EmptyState(QWidget):
    """What a list shows when it has nothing to show: a title, a sentence, maybe a button.

    Args:
        title: the headline.
        text: one or two sentences of explanation.
        button: the label of an optional action button (`self.button`).
    """

    def __init__(self, title: str, text: str = "", button: str | None = None) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        self.title = heading(title, 3)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = muted(text)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self.button: QPushButton | None = None
        if button:
            self.button = QPushButton(button)
            self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            layout.addSpacing(8)
            layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)

    def set_text(self, title: str, text: str) -> None:
        """Change what the empty state says."""
        self.title.setText(title)
        self.text.setText(text)


def system_time_zone() -> str:
    """This computer's IANA zone, when it has one CoachDesk knows ("" otherwise)."""
    zone = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    return zone if zone in known_time_zones() else ""


class TimeZoneCombo(QComboBox):
    """An editable list of IANA time zones; typing any part of a name narrows it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(16)
        self.addItems(sorted(known_time_zones()))
        completer = QCompleter(self.model(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.line_edit.setPlaceholderText("e.g. Europe/London")
        self.setCurrentIndex(-1)
        self.setEditText("")

    @property
    def line_edit(self) -> QLineEdit:
        """The combo's text field (always there: the combo is editable)."""
        edit = self.lineEdit()
        assert edit is not None
        return edit

    @property
    def zone(self) -> str:
        """The zone as typed (trimmed; may be unknown, which validation reports)."""
        return self.currentText().strip()

    def set_zone(self, zone: str) -> None:
        """Select `zone` (or just show it as typed when it is not in the list)."""
        index = self.findText(zone)
        self.setCurrentIndex(index)
        self.setEditText(zone)


class ListEdit(QPlainTextEdit):
    """A few lines of text holding several values: one per line or separated by commas.

    Signals:
        editing_finished: focus left the field (validate it then).
    """

    editing_finished = Signal()

    def __init__(
        self, placeholder: str = "", lines: int = 2, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setPlaceholderText(placeholder)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        frame = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        self.setFixedHeight(metrics.lineSpacing() * lines + frame + 6)

    def values(self) -> tuple[str, ...]:
        """The non-empty values, trimmed, in order."""
        text = self.toPlainText().replace(";", ",").replace("\n", ",")
        return tuple(part.strip() for part in text.split(",") if part.strip())

    def set_values(self, values: Iterable[str]) -> None:
        """Show one value per line."""
        self.setPlainText("\n".join(values))

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Leaving the field finishes editing it."""
        super().focusOutEvent(event)
        self.editing_finished.emit()


class StrengthMeter(QWidget):
    """Four segments that fill and colour with the passphrase's strength."""

    SEGMENTS = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint: StrengthHint | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Passphrase strength")

    def sizeHint(self) -> QSize:
        """Wide and thin."""
        return QSize(200, 6)

    def set_hint(self, hint: StrengthHint | None) -> None:
        """Show a hint's strength (None: empty)."""
        self._hint = hint
        self.setAccessibleDescription(hint.advice if hint else "")
        self.update()

    def paintEvent(self, event: object) -> None:
        """Paint the segments."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        gap = 4.0
        width = (self.width() - gap * (self.SEGMENTS - 1)) / self.SEGMENTS
        filled = 0 if self._hint is None else int(self._hint.strength) + 1
        off = self.palette().color(QPalette.ColorRole.Mid)
        off.setAlpha(90)
        on = STRENGTH_COLORS[self._hint.strength] if self._hint else off
        painter.setPen(Qt.PenStyle.NoPen)
        for i in range(self.SEGMENTS):
            painter.setBrush(on if i < filled else off)
            rect = QRectF(i * (width + gap), 0, width, self.height())
            painter.drawRoundedRect(rect, 2, 2)
        painter.end()


def align_label_columns(*forms: QFormLayout) -> None:
    """Give every form the same label width, so fields line up from one section to the next."""
    labels: list[QWidget] = []
    for form in forms:
        form.setHorizontalSpacing(12)
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                labels.append(widget)
    if labels:
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)


def fit_height(widget: QWidget) -> None:
    """Resize a window to the height its wrapped text needs at its current width."""
    layout = widget.layout()
    if layout is None:
        return
    layout.activate()
    height = widget.heightForWidth(widget.width())
    if height <= 0:
        height = widget.sizeHint().height()
    widget.setMinimumHeight(height)
    widget.resize(widget.width(), height)


def button_row(*buttons: QPushButton, left: QWidget | None = None) -> QHBoxLayout:
    """Buttons at the right of a row, with `left` (a hint, say) taking the space before them."""
    row = QHBoxLayout()
    row.setSpacing(8)
    if left is not None:
        row.addWidget(left, 1)
    else:
        row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Resize a window to `width` by `height`, or less on a small screen."""
    screen = window.screen()
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, room.width() - 40), min(height, room.height() - 40)
    window.resize(width, height)


def save_folder(last: str) -> Path:
    """Where a Save dialog starts: the folder used last time, else Documents, else home."""
    if last and Path(last).is_dir():
        return Path(last)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents else Path.home()


def set_banner(label: QLabel, text: str | None, error: bool = False) -> None:
    """A boxed message above a list (red for an error, amber otherwise); hidden when empty."""
    label.setText(text or "")
    colours = (
        f"color: {ERROR_COLOR}; background: #fdecea; border: 1px solid #f5c2c0;"
        if error
        else "background: #fff8e1; border: 1px solid #ffe082;"
    )
    label.setStyleSheet(f"{colours} border-radius: 4px; padding: 6px 8px;")
    label.setVisible(bool(text))


def busy_bar() -> QProgressBar:
    """A thin, endless progress bar for work whose length is unknown."""
    bar = QProgressBar()
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumHeight(6)
    return bar


def dialog_buttons(
    primary: str, secondary: str
) -> tuple[QDialogButtonBox, QPushButton, QPushButton]:
    """A button box whose primary button is the default, and stays it.

    The secondary button is never an auto-default, so Enter means the primary
    action even after focus passed over the secondary while the form was busy.
    """
    box = QDialogButtonBox()
    ok = box.addButton(primary, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setDefault(True)
    other = box.addButton(secondary, QDialogButtonBox.ButtonRole.RejectRole)
    other.setAutoDefault(False)
    return box, ok, other


def scrolling(page: QWidget) -> QScrollArea:
    """`page` in a frameless scroll area that follows its width (a tab taller than the
    window scrolls; it is never squeezed)."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area


def separator() -> QFrame:
    """A thin horizontal line between sections."""
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def ask_discard(parent: QWidget, on_answer: Callable[[int], None]) -> QMessageBox:
    """The "Discard changes?" question, window-modal; `on_answer` gets the button's value."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Discard changes?",
        "You have changes that are not saved. Discard them?",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.finished.connect(on_answer)
    box.open()
    return box


def list_table(table: QTableView, char_widths: Sequence[int] = (), multi: bool = False) -> None:
    """The read-only list look every table in the app shares.

    Whole rows are selected (several when `multi`), with no grid, no wrapping, banded
    compact rows and left-aligned headers; `char_widths` sets the first columns' widths
    in average characters.
    """
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)
    vertical = table.verticalHeader()
    vertical.setVisible(False)
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(table.fontMetrics().height() + 12)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setHighlightSections(False)
    char = table.fontMetrics().averageCharWidth()
    for column, chars in enumerate(char_widths):
        table.setColumnWidth(column, chars * char)


class ProgressPage(QWidget):
    """The page a dialog shows while long work runs: a title, a bar, a count and Cancel.

    Args:
        note: a sentence under the count (what happens if the coach cancels).
        accessible_name: what a screen reader calls the bar.
        margin: the page's side margins.
        parent: the owning widget.

    Signals:
        stop_clicked: the coach pressed Cancel (the button is disabled until `start`).
    """

    stop_clicked = Signal()

    def __init__(
        self,
        note: str,
        accessible_name: str = "Progress",
        margin: int = 24,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.title = heading("", 3)
        self.title.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(12)
        self.bar.setAccessibleName(accessible_name)
        self.text = QLabel("Getting ready…")
        self.text.setObjectName("progressText")
        self.stop_button = QPushButton("Cancel")
        self.stop_button.clicked.connect(self.stop_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(margin, 0, margin, 0)
        layout.setSpacing(10)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.text)
        layout.addWidget(muted(note))
        layout.addSpacing(8)
        layout.addLayout(button_row(self.stop_button))
        layout.addStretch(3)

    def start(self, title: str) -> None:
        """Begin: busy bar, "Getting ready…", Cancel enabled (focus it once the page shows)."""
        self.title.setText(title)
        self.bar.setRange(0, 0)
        self.text.setText("Getting ready…")
        self.stop_button.setEnabled(True)

    def show_count(self, done: int, total: int, text: str) -> None:
        """`done` of `total`, with `text` under the bar unless Cancel was pressed."""
        if total <= 0:
            return
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        if self.stop_button.isEnabled():
            self.text.setText(text)

    def stopping(self, text: str) -> None:
        """Cancel was pressed: say what happens now, and take Cancel away."""
        self.stop_button.setEnabled(False)
        self.text.setText(text)
