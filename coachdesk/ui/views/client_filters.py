"""The filter bar over a client list: conditions in drop-downs, and segments (saved filters)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeyEvent, QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import ClientRow, ClientStatus, ClientType, Objective
from coachdesk.domain.pipeline import Stage
from coachdesk.domain.segments import ClientFilter, Segment
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.client_table import OVERDUE_COLOR, STATUS_LABELS
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import busy_bar, dialog_buttons, error_label, muted, set_message

T = TypeVar("T")

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

NOT_RECORDED = "Not recorded"
LABEL_CHARS = 18


# Run on the db lane (the services are imported there, on first use).


def list_stages(vault: Vault) -> list[Stage]:
    """Db lane: the pipeline's stages in board order."""
    from coachdesk.services import pipeline

    return pipeline.list_stages(vault)


def list_segments(vault: Vault) -> list[Segment]:
    """Db lane: the saved segments by name."""
    from coachdesk.services import segments

    return segments.list_segments(vault)


def save_segment(vault: Vault, name: str, client_filter: ClientFilter) -> Segment:
    """Db lane: save a filter under a new name."""
    from coachdesk.services import segments

    return segments.save_segment(vault, name, client_filter)


def update_segment(
    vault: Vault,
    segment_id: int,
    name: str | None = None,
    client_filter: ClientFilter | None = None,
) -> Segment:
    """Db lane: rename a segment, or replace its filter."""
    from coachdesk.services import segments

    return segments.update_segment(vault, segment_id, name=name, client_filter=client_filter)


def delete_segment(vault: Vault, segment_id: int) -> None:
    """Db lane: forget a segment (its clients are untouched)."""
    from coachdesk.services import segments

    segments.delete_segment(vault, segment_id)


def elide(text: str, chars: int = LABEL_CHARS) -> str:
    """`text`, cut to `chars` characters with an ellipsis."""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def conditions(client_filter: ClientFilter) -> ClientFilter:
    """A filter without its typed words: what the drop-downs hold."""
    return client_filter.with_(text="")


def covers(segment: Segment, current: ClientFilter) -> bool:
    """Whether the list shown is still the segment: same conditions, and its words still typed."""
    if conditions(segment.filter) != conditions(current):
        return False
    return set(segment.filter.text.lower().split()) <= set(current.text.lower().split())


class FlowLayout(QLayout):
    """Widgets left to right, wrapping onto a new line when the row is full.

    Args:
        parent: the widget laid out.
        spacing: the gap between widgets, across and down.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self._stretch_after: int | None = None

    def add_stretch(self) -> None:
        """Push the widgets added after this to the right end of the last line."""
        self._stretch_after = len(self._items)

    def addItem(self, item: QLayoutItem) -> None:
        """Qt: take an item."""
        self._items.append(item)

    def count(self) -> int:
        """Qt: how many items."""
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        """Qt: the item at `index`."""
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        """Qt: remove and return the item at `index`."""
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        """Qt: never wider than asked."""
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        """Qt: the height depends on the width (lines wrap)."""
        return True

    def heightForWidth(self, width: int) -> int:
        """Qt: the height the items need at `width`."""
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        """Qt: place the items."""
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        """Qt: one line of everything."""
        width = sum(i.sizeHint().width() + self._gap for i in self._visible_items())
        height = max((i.sizeHint().height() for i in self._visible_items()), default=0)
        return QSize(width, height)

    def minimumSize(self) -> QSize:
        """Qt: the widest single item."""
        size = QSize()
        for item in self._visible_items():
            size = size.expandedTo(item.minimumSize())
        return size

    def _visible_items(self) -> list[QLayoutItem]:
        shown = []
        for item in self._items:
            widget = item.widget()
            if widget is None or not widget.isHidden():
                shown.append(item)
        return shown

    def _arrange(self, rect: QRect, move: bool) -> int:
        lines: list[list[QLayoutItem]] = [[]]
        x = 0
        for item in self._visible_items():
            width = item.sizeHint().width()
            if lines[-1] and x + width > rect.width():
                lines.append([])
                x = 0
            lines[-1].append(item)
            x += width + self._gap
        y = rect.y()
        tail = self._items[self._stretch_after :] if self._stretch_after is not None else []
        for line in lines:
            height = max((i.sizeHint().height() for i in line), default=0)
            if move:
                used = sum(i.sizeHint().width() for i in line) + self._gap * (len(line) - 1)
                spare = max(0, rect.width() - used)
                x = rect.x()
                for item in line:
                    if item is next((t for t in tail if t in line), None):
                        x += spare
                    hint = item.sizeHint()
                    top = y + (height - hint.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), hint))
                    x += hint.width() + self._gap
            y += height + self._gap
        return y - rect.y() - self._gap if lines[0] else 0


class ChecklistMenu(QMenu):
    """A menu whose checkable items toggle without closing it, so several can be ticked.

    Space toggles the highlighted item and keeps the menu open; Enter toggles and closes.
    """

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Toggle a checkable item and stay open."""
        action = self.actionAt(event.position().toPoint())
        if action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space toggles the highlighted item and stays open."""
        action = self.activeAction()
        if (
            event.key() == Qt.Key.Key_Space
            and action is not None
            and action.isCheckable()
            and action.isEnabled()
        ):
            action.trigger()
            return
        super().keyPressEvent(event)


class ChoiceButton(QToolButton):
    """A drop-down of checkable choices; the button says what is chosen.

    Args:
        title: what is chosen ("Stage").
        empty_hint: what the menu says when there is nothing to choose from.
        parent: the owning widget.

    Signals:
        chosen_changed: the chosen values (a frozenset) after the coach ticked or cleared one.
    """

    chosen_changed = Signal(object)

    def __init__(self, title: str, empty_hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._empty_hint = empty_hint
        self._chosen: frozenset[Any] = frozenset()
        self._choices: list[tuple[Hashable, str, int | None]] = []
        self._actions: dict[Hashable, QAction] = {}
        self._labels: dict[Hashable, str] = {}
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setAccessibleName(f"Filter by {title.lower()}")
        self.menu_ = ChecklistMenu(self)
        self.setMenu(self.menu_)
        self._rebuild()

    @property
    def chosen(self) -> frozenset[Any]:
        """The values ticked."""
        return self._chosen

    def set_choices(self, choices: Sequence[tuple[Hashable, str, int | None]]) -> None:
        """The values to offer: (value, label, how many clients have it or None)."""
        if list(choices) == self._choices:
            return
        self._choices = list(choices)
        self._rebuild()

    def set_chosen(self, values: Iterable[Any]) -> None:
        """Tick these values (others untick); no signal."""
        chosen = frozenset(values)
        if chosen == self._chosen:
            return
        missing = chosen - self._actions.keys()
        self._chosen = chosen
        if missing:
            self._rebuild()
        else:
            self._sync()

    def action_for(self, value: Hashable) -> QAction | None:
        """The menu item for a value (tests and keyboard users pick items through it)."""
        return self._actions.get(value)

    def label_of(self, value: Hashable) -> str:
        """The label shown for a value."""
        return self._labels.get(value, str(value))

    def _rebuild(self) -> None:
        menu = self.menu_
        menu.clear()
        self._actions = {}
        self._labels = {}
        self.show_all = menu.addAction(f"Any {self.title.lower()}")
        self.show_all.triggered.connect(self._on_show_all)
        menu.addSeparator()
        offered = {value for value, _label, _count in self._choices}
        # A value chosen earlier (a segment's tag nobody has now) stays listed, to untick it.
        extra = [(v, str(v), 0) for v in sorted(self._chosen - offered, key=str)]
        for value, label, count in [*self._choices, *extra]:
            text = label if count is None else f"{label}\t{count:,}"
            action = menu.addAction(text)
            action.setCheckable(True)
            action.toggled.connect(lambda on, v=value: self._on_toggled(v, on))
            self._actions[value] = action
            self._labels[value] = label
        if not self._actions:
            hint = menu.addAction(self._empty_hint)
            hint.setEnabled(False)
        self._sync()

    def _sync(self) -> None:
        for value, action in self._actions.items():
            action.blockSignals(True)
            action.setChecked(value in self._chosen)
            action.blockSignals(False)
        self.show_all.setEnabled(bool(self._chosen))
        labels = sorted(self.label_of(v) for v in self._chosen)
        if not labels:
            text = self.title
        elif len(labels) == 1:
            text = f"{self.title}: {elide(labels[0])}"
        else:
            text = f"{self.title} ({len(labels)})"
        self.setText(text)
        self.setToolTip(f"{self.title}: {', '.join(labels)}" if labels else f"Any {self.title}")
        font = self.font()
        font.setBold(bool(labels))
        self.setFont(font)

    def _on_toggled(self, value: Hashable, on: bool) -> None:
        self._chosen = self._chosen | {value} if on else self._chosen - {value}
        self._sync()
        self.chosen_changed.emit(self._chosen)

    @Slot()
    def _on_show_all(self) -> None:
        if self._chosen:
            self._chosen = frozenset()
            self._sync()
            self.chosen_changed.emit(self._chosen)


class PromptDialog(QDialog):
    """One question with a one-line answer; the owner runs it, and errors stay in the dialog.

    The owner connects `submitted`, runs the operation and then calls `accept()`
    or `show_error()`; the dialog stays busy in between.

    Args:
        title: the window title.
        question: the sentence above the field.
        primary: the primary button's label ("Save segment").
        text: the answer to start from.
        placeholder: the field's grey hint.
        completions: answers to suggest while typing.
        required: what to say when the field is left empty (None: may be empty).
        parent: the owning widget.

    Signals:
        submitted: the answer, trimmed.
    """

    submitted = Signal(str)

    def __init__(
        self,
        title: str,
        question: str,
        primary: str,
        text: str = "",
        placeholder: str = "",
        completions: Iterable[str] = (),
        required: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self._required = required
        self._busy = False
        self.question = muted(question)
        self.question.setForegroundRole(self.foregroundRole())
        self.edit = QLineEdit(text)
        self.edit.setPlaceholderText(placeholder)
        self.edit.selectAll()
        words = sorted(set(completions))
        if words:
            completer = QCompleter(words, self.edit)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.edit.setCompleter(completer)
        self.error = error_label()
        self.busy = busy_bar()
        self.busy.setVisible(False)
        box, self.ok_button, self.cancel_button = dialog_buttons(primary, "Cancel")
        self._primary = primary
        self.ok_button.clicked.connect(self._on_ok_clicked)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.question)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addSpacing(6)
        layout.addWidget(box)

    @property
    def answer(self) -> str:
        """The field's text, trimmed."""
        return self.edit.text().strip()

    def set_busy(self, busy: bool) -> None:
        """Grey out while the answer is being stored."""
        self._busy = busy
        self.busy.setVisible(busy)
        self.edit.setReadOnly(busy)
        self.ok_button.setEnabled(not busy)

    def show_error(self, message: str) -> None:
        """Say what was wrong with the answer; the coach can fix it and try again."""
        self.set_busy(False)
        set_message(self.error, message)
        self.edit.setFocus()
        self.edit.selectAll()

    def reject(self) -> None:
        """Cancel (not while the answer is being stored)."""
        if not self._busy:
            super().reject()

    @Slot()
    def _on_ok_clicked(self) -> None:
        if self._busy:
            return
        if not self.answer and self._required:
            self.show_error(self._required)
            return
        set_message(self.error, None)
        self.set_busy(True)
        self.submitted.emit(self.answer)


class ClientFilterBar(QWidget):
    """Drop-downs that narrow a client list, an overdue toggle, Clear, and the Segments menu.

    The choices come from the rows the list holds (`set_rows`) and from the
    pipeline's stages; segments are read and written on the db lane. The bar
    keeps the words typed in the list's filter box too (`set_text`), so a
    segment saves exactly what the coach sees.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        filter_changed: the new ClientFilter (with the typed words in `text`), after the
            coach changed a condition, applied a segment or cleared the filter.
        segment_changed: the segment the list now shows (a Segment or None).
        stages_loaded: the pipeline's stages (a list of Stage, in board order), after each load.
        notice: (message, undo callable or None) for the status bar.
    """

    filter_changed = Signal(object)
    segment_changed = Signal(object)
    stages_loaded = Signal(object)
    notice = Signal(str, object)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._filter = ClientFilter()
        self._rows: list[ClientRow] = []
        self._stages: list[Stage] = []
        self._segments: list[Segment] = []
        self._active: Segment | None = None
        self._last_applied: Segment | None = None
        self.prompt: PromptDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        self.type_button = ChoiceButton("Type", "")
        self.stage_button = ChoiceButton("Stage", "No stages yet.")
        self.objective_button = ChoiceButton("Objective", "")
        self.tag_button = ChoiceButton(
            "Tags", "No tags yet: add tags to clients to filter by them."
        )
        self.source_button = ChoiceButton(
            "Lead source", "No lead sources yet: record where clients came from."
        )
        self.status_button = ChoiceButton("Status", "")
        self._fields: dict[str, ChoiceButton] = {
            "types": self.type_button,
            "stage_ids": self.stage_button,
            "objectives": self.objective_button,
            "tags": self.tag_button,
            "lead_sources": self.source_button,
            "statuses": self.status_button,
        }
        for name, button in self._fields.items():
            button.chosen_changed.connect(lambda values, n=name: self._on_chosen(n, values))
        self.type_button.set_choices([(t, t.label, None) for t in ClientType])
        self.objective_button.set_choices([(o, o.label, None) for o in Objective])
        self.status_button.set_choices([(s, STATUS_LABELS[s], None) for s in ClientStatus])

        self.overdue_button = QToolButton()
        self.overdue_button.setCheckable(True)
        self.overdue_button.setText("Overdue follow-ups")
        self.overdue_button.setToolTip("Only clients with a follow-up past its due time")
        self.overdue_button.toggled.connect(self._on_overdue_toggled)

        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Show every client again")
        self.clear_button.clicked.connect(self.clear_filter)

        self.segments_button = QToolButton()
        self.segments_button.setObjectName("segmentsButton")
        self.segments_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.segments_menu = QMenu(self.segments_button)
        self.segments_button.setMenu(self.segments_menu)
        self.save_action = QAction("Save as segment…", self)
        self.save_action.triggered.connect(self.ask_save_segment)
        self.update_action = QAction("", self)
        self.update_action.triggered.connect(self._on_update_segment)
        self.rename_menu = QMenu("Rename segment", self)
        self.delete_menu = QMenu("Delete segment", self)
        self.segment_actions: dict[int, QAction] = {}

        layout = FlowLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (*self._fields.values(), self.overdue_button, self.clear_button):
            layout.addWidget(widget)
        layout.add_stretch()
        layout.addWidget(self.segments_button)

        ops.opened.connect(self.reload)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._sync()

    # API ---------------------------------------------------------------------

    @property
    def stages(self) -> list[Stage]:
        """The pipeline's stages in board order (empty until loaded)."""
        return list(self._stages)

    @property
    def segments(self) -> list[Segment]:
        """The saved segments by name (empty until loaded)."""
        return list(self._segments)

    @property
    def active_segment(self) -> Segment | None:
        """The segment the list shows, if it shows one (perhaps narrowed by more typed words)."""
        return self._active

    @property
    def exact_segment(self) -> Segment | None:
        """The segment the list shows, when nothing more narrows it."""
        active = self._active
        return active if active is not None and active.filter == self._filter else None

    def current_filter(self) -> ClientFilter:
        """The conditions chosen, with the typed words."""
        return self._filter

    def set_rows(self, rows: Sequence[ClientRow]) -> None:
        """Offer the stages, tags and lead sources these rows have, with counts."""
        self._rows = list(rows)
        self._refresh_choices()

    def set_text(self, text: str) -> None:
        """The words typed in the list's filter box (no `filter_changed`: the list has them)."""
        if text != self._filter.text:
            self._filter = self._filter.with_(text=text)
            self._sync()

    def set_filter(self, client_filter: ClientFilter) -> None:
        """Show these conditions and emit `filter_changed`."""
        self._filter = client_filter
        self._sync()
        self.filter_changed.emit(self._filter)

    @Slot()
    def clear_filter(self) -> None:
        """Clear every condition and the typed words: show every client."""
        self.set_filter(ClientFilter())

    def apply_segment(self, name: str) -> bool:
        """Show a saved segment by name (ignoring case); False when there is none by that name."""
        for segment in self._segments:
            if segment.name.casefold() == name.strip().casefold():
                self._apply(segment)
                return True
        return False

    @Slot()
    def reload(self) -> None:
        """Read the stages and the segments on the db lane."""
        self._ops.run(
            list_stages, on_done=self._on_stages_loaded, owner=self, context="loading the stages"
        )
        self._load_segments()

    @Slot()
    def clear(self) -> None:
        """Forget rows, choices and segments (the vault is locking); no signal."""
        for dialog in (self.prompt, self.confirm_box):
            if dialog is not None:
                dialog.done(QDialog.DialogCode.Rejected)
        self.prompt = self.confirm_box = None
        self._rows, self._stages, self._segments = [], [], []
        self._active = self._last_applied = None
        self._filter = ClientFilter()
        self._refresh_choices()
        self._sync()

    @Slot()
    def ask_save_segment(self) -> None:
        """Ask for a name and save the current filter as a segment."""
        if self._filter.is_empty:
            self.notice.emit("Choose at least one condition, then save it as a segment.", None)
            return
        to_save = self._filter
        prompt = self._prompt(
            "Save as segment",
            "Name this filter to show the same clients again later. A segment keeps its "
            "conditions, not a fixed list: clients who match later are in it too.",
            "Save segment",
            placeholder="e.g. Spring cohort",
        )
        prompt.submitted.connect(lambda name: self._save(prompt, name, to_save))
        prompt.open()

    def ask_rename_segment(self, segment: Segment) -> None:
        """Ask for a new name for a segment."""
        prompt = self._prompt(
            "Rename segment", f"A new name for “{segment.name}”:", "Rename", text=segment.name
        )
        prompt.submitted.connect(lambda name: self._rename(prompt, segment, name))
        prompt.open()

    def ask_delete_segment(self, segment: Segment) -> None:
        """Ask before forgetting a segment."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete segment?",
            f"Delete the segment “{segment.name}”? The clients in it stay as they are.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        self.confirm_delete = box.addButton("Delete segment", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm_delete.clicked.connect(lambda: self._delete(segment))
        box.finished.connect(lambda _r: self._forget_confirm(box))
        self.confirm_box = box
        box.open()

    # Building ----------------------------------------------------------------

    def _refresh_choices(self) -> None:
        rows = self._rows
        stages, tags, sources = Counter[int](), Counter[str](), Counter[str]()
        spelling: dict[str, str] = {}
        overdue = 0
        for row in rows:
            if row.stage_id is not None:
                stages[row.stage_id] += 1
            tags.update(row.tags)
            key = row.lead_source.casefold()
            sources[key] += 1
            spelling.setdefault(key, row.lead_source)
            overdue += row.overdue_follow_ups > 0
        stage_names = {s.id: s.name for s in self._stages}
        for row in rows:
            if row.stage_id is not None and row.stage_id not in stage_names:
                stage_names[row.stage_id] = row.stage_name
        ordered = [s.id for s in self._stages] + sorted(
            (i for i in stage_names if i not in {s.id for s in self._stages}),
            key=lambda i: stage_names[i].casefold(),
        )
        self.stage_button.set_choices([(i, stage_names[i], stages[i]) for i in ordered])
        self.tag_button.set_choices([(t, t, n) for t, n in sorted(tags.items())])
        named = sorted((k for k in sources if k), key=lambda k: spelling[k].casefold())
        source_choices: list[tuple[Hashable, str, int | None]] = [
            (k, spelling[k], sources[k]) for k in named
        ]
        if sources.get("") and named:
            source_choices.append(("", NOT_RECORDED, sources[""]))
        self.source_button.set_choices(source_choices)
        self.overdue_button.setText(
            f"Overdue follow-ups ({overdue:,})" if overdue else "Overdue follow-ups"
        )
        palette = self.palette()
        if overdue:
            palette.setColor(QPalette.ColorRole.ButtonText, OVERDUE_COLOR)
        self.overdue_button.setPalette(palette)

    def _rebuild_segments_menu(self) -> None:
        menu = self.segments_menu
        menu.clear()
        self.rename_menu.clear()
        self.delete_menu.clear()
        self.segment_actions = {}
        if not self._segments:
            empty = menu.addAction("No segments yet: choose conditions, then save them")
            empty.setEnabled(False)
        for segment in self._segments:
            action = menu.addAction(segment.name)
            action.setCheckable(True)
            action.setChecked(self._active is not None and self._active.id == segment.id)
            action.triggered.connect(lambda _c=False, s=segment: self._apply(s))
            self.segment_actions[segment.id] = action
            rename = self.rename_menu.addAction(f"{segment.name}…")
            rename.triggered.connect(lambda _c=False, s=segment: self.ask_rename_segment(s))
            delete = self.delete_menu.addAction(f"{segment.name}…")
            delete.triggered.connect(lambda _c=False, s=segment: self.ask_delete_segment(s))
        menu.addSeparator()
        menu.addAction(self.save_action)
        changed = self._last_applied
        if changed is not None and self._active is None and not self._filter.is_empty:
            self.update_action.setText(f"Save changes to “{elide(changed.name, 30)}”")
            menu.addAction(self.update_action)
        if self._segments:
            menu.addMenu(self.rename_menu)
            menu.addMenu(self.delete_menu)

    def _sync(self) -> None:
        current = self._filter
        for name, button in self._fields.items():
            button.set_chosen(getattr(current, name))
        self.overdue_button.blockSignals(True)
        self.overdue_button.setChecked(current.overdue_only)
        self.overdue_button.blockSignals(False)
        self.clear_button.setEnabled(not current.is_empty)
        active = self._active
        if active is not None and not covers(active, current):
            active = None
        if active is None:
            active = next((s for s in self._segments if s.filter == current), None)
        if active != self._active:
            self._active = active
            if active is not None:
                self._last_applied = active
            self.segment_changed.emit(active)
        self.save_action.setEnabled(not current.is_empty)
        self.save_action.setToolTip(
            "" if not current.is_empty else "Choose at least one condition first"
        )
        self.segments_button.setText(
            f"Segment: {elide(active.name)}" if active is not None else "Segments"
        )
        font = self.segments_button.font()
        font.setBold(active is not None)
        self.segments_button.setFont(font)
        self._rebuild_segments_menu()

    def _prompt(self, title: str, question: str, primary: str, **more: Any) -> PromptDialog:
        if self.prompt is not None:
            self.prompt.done(QDialog.DialogCode.Rejected)
        prompt = PromptDialog(
            title, question, primary, required="Enter a name for the segment.", parent=self, **more
        )
        prompt.finished.connect(lambda _r: self._forget_prompt(prompt))
        self.prompt = prompt
        return prompt

    def _forget_prompt(self, prompt: PromptDialog) -> None:
        if self.prompt is prompt:
            self.prompt = None
        delete_soon(prompt, self)

    def _forget_confirm(self, box: QMessageBox) -> None:
        if self.confirm_box is box:
            self.confirm_box = None
        delete_soon(box, self)

    # Operations --------------------------------------------------------------

    def _load_segments(self) -> None:
        self._ops.run(
            list_segments,
            on_done=self._on_segments_loaded,
            owner=self,
            context="loading the segments",
        )

    def _apply(self, segment: Segment) -> None:
        self._active = self._last_applied = segment
        self.segment_changed.emit(segment)
        self.set_filter(segment.filter)

    def _save(self, prompt: PromptDialog, name: str, to_save: ClientFilter) -> None:
        self._run_in(
            prompt,
            lambda vault: save_segment(vault, name, to_save),
            self._on_segment_saved,
            "saving a segment",
        )

    def _rename(self, prompt: PromptDialog, segment: Segment, name: str) -> None:
        self._run_in(
            prompt,
            lambda vault: update_segment(vault, segment.id, name=name),
            lambda renamed: self.notice.emit(f"Renamed the segment to “{renamed.name}”.", None),
            "renaming a segment",
        )

    def _run_in(
        self,
        prompt: PromptDialog,
        fn: Callable[[Vault], Segment],
        then: Callable[[Segment], None],
        context: str,
    ) -> None:
        run_in_prompt(self._ops, prompt, fn, then, context, "segments")

    def _delete(self, segment: Segment) -> None:
        self._ops.run(
            lambda vault: delete_segment(vault, segment.id),
            on_done=lambda _none: self.notice.emit(
                f"Deleted the segment “{segment.name}”. Its clients are unchanged.",
                lambda: self._restore(segment),
            ),
            changes="segments",
            owner=self,
            context="deleting a segment",
        )

    def _restore(self, segment: Segment) -> None:
        self._ops.run(
            lambda vault: save_segment(vault, segment.name, segment.filter),
            on_done=lambda back: self.notice.emit(f"Restored the segment “{back.name}”.", None),
            changes="segments",
            owner=self,
            context="restoring a segment",
        )

    # Slots -------------------------------------------------------------------

    def _on_chosen(self, field: str, values: frozenset[Any]) -> None:
        self.set_filter(self._filter.with_(**{field: values}))

    @Slot(bool)
    def _on_overdue_toggled(self, on: bool) -> None:
        self.set_filter(self._filter.with_(overdue_only=on))

    @Slot()
    def _on_update_segment(self) -> None:
        segment, current = self._last_applied, self._filter
        if segment is None:
            return
        self._ops.run(
            lambda vault: update_segment(vault, segment.id, client_filter=current),
            on_done=self._on_segment_updated,
            changes="segments",
            owner=self,
            context="saving a segment",
        )

    @Slot(object)
    def _on_segment_saved(self, segment: Segment) -> None:
        self._segments = sorted([*self._segments, segment], key=lambda s: s.name.casefold())
        self._active = self._last_applied = segment
        self.segment_changed.emit(segment)
        self._sync()
        self.notice.emit(f"Saved the segment “{segment.name}”.", None)

    @Slot(object)
    def _on_segment_updated(self, segment: Segment) -> None:
        self._segments = [segment if s.id == segment.id else s for s in self._segments]
        self._active = self._last_applied = segment
        self.segment_changed.emit(segment)
        self._sync()
        self.notice.emit(f"Saved the changes to “{segment.name}”.", None)

    @Slot(object)
    def _on_stages_loaded(self, stages: list[Stage]) -> None:
        self._stages = list(stages)
        self._refresh_choices()
        self.stages_loaded.emit(self.stages)

    @Slot(object)
    def _on_segments_loaded(self, segments: list[Segment]) -> None:
        self._segments = list(segments)
        by_id = {s.id: s for s in segments}
        if self._active is not None:
            active = by_id.get(self._active.id)
            if active != self._active:
                self._active = active
                self.segment_changed.emit(active)
        if self._last_applied is not None:
            self._last_applied = by_id.get(self._last_applied.id)
        self._sync()

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind == "segments":
            self._load_segments()
        elif kind == "pipeline":
            self._ops.run(
                list_stages,
                on_done=self._on_stages_loaded,
                owner=self,
                context="loading the stages",
            )


def run_in_prompt(
    ops: VaultOps,
    prompt: PromptDialog,
    fn: Callable[[Vault], T],
    then: Callable[[T], None],
    context: str,
    changes: str,
) -> None:
    """Run `fn` on the db lane for a prompt: close it on success, show a known error in it."""

    def done(value: T) -> None:
        prompt.accept()
        then(value)

    def failed(failure: Failure) -> None:
        if failure.known:
            prompt.show_error(failure.inline_text)
        else:
            prompt.set_busy(False)
            show_failure(prompt, failure)

    job = ops.run(fn, on_done=done, on_error=failed, changes=changes, owner=prompt, context=context)
    if job is None:
        prompt.set_busy(False)
