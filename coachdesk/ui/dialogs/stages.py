"""Edit stages: rename, reorder, add and delete pipeline stages, and say when each one stalls."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.pipeline import MAX_STAGE_NAME, Stage
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import error_label, heading, muted, set_message

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

NEW_STAGE_STALL_DAYS = 14
# Typing in a days box saves once the coach pauses, not on every digit.
STALL_SAVE_DELAY_MS = 500


# Run on the db lane. The services (and with them the database stack) are imported
# there, on first use, so that building the window does not wait for them.


def list_stages(vault: Vault) -> list[Stage]:
    """Db lane: the stages in board order."""
    from coachdesk.services import pipeline

    return pipeline.list_stages(vault)


def rename_stage(vault: Vault, stage_id: int, name: str) -> Stage:
    """Db lane: give a stage a new name."""
    from coachdesk.services import pipeline

    return pipeline.rename_stage(vault, stage_id, name)


def set_stall_days(vault: Vault, stage_id: int, days: int | None) -> None:
    """Db lane: when clients in a stage count as stalled (None: never)."""
    from coachdesk.services import pipeline

    pipeline.set_stall_days(vault, stage_id, days)


def reorder_stages(vault: Vault, stage_ids: list[int]) -> list[Stage]:
    """Db lane: a new board order."""
    from coachdesk.services import pipeline

    return pipeline.reorder_stages(vault, stage_ids)


def add_stage(vault: Vault, name: str) -> Stage:
    """Db lane: a new stage after the last open one."""
    from coachdesk.services import pipeline

    return pipeline.add_stage(vault, name, NEW_STAGE_STALL_DAYS)


def delete_stage(vault: Vault, stage_id: int) -> None:
    """Db lane: remove an unused stage of the coach's own."""
    from coachdesk.services import pipeline

    pipeline.delete_stage(vault, stage_id)


def kind_text(stage: Stage) -> str:
    """What sort of stage it is, so the coach knows what Delete will say."""
    if stage.is_lost:
        return "Built in · asks for a reason"
    return "Built in" if stage.key else "Your stage"


def _stall_setter(stage_id: int, days: int | None) -> Callable[[Vault], None]:
    def save(vault: Vault) -> None:
        set_stall_days(vault, stage_id, days)

    return save


class StallDaysSpin(QSpinBox):
    """Days from 1 to 365, or "Never" (0): how long a client may sit in a stage unnoticed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 365)
        self.setSpecialValueText("Never")
        self.setAccelerated(True)
        self.setKeyboardTracking(True)
        self.setAccessibleName("Stalled after")

    @property
    def days(self) -> int | None:
        """The days, or None for never."""
        return self.value() or None

    def set_days(self, days: int | None) -> None:
        """Show a stage's setting."""
        self.setValue(days or 0)

    def textFromValue(self, value: int) -> str:
        """ "Never", "1 day", "14 days"."""
        if value == 0:
            return "Never"
        return f"{value} day" if value == 1 else f"{value} days"

    def valueFromText(self, text: str) -> int:
        """The number typed; "never" (or nothing) is 0."""
        digits = re.search(r"\d+", text)
        return int(digits.group()) if digits else 0

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        """Digits with an optional "day(s)", or (part of) "Never"."""
        clean = text.strip().lower()
        if not clean or "never".startswith(clean):
            state = (
                QValidator.State.Acceptable if clean == "never" else QValidator.State.Intermediate
            )
            return state, text, pos
        match = re.fullmatch(r"(\d{1,3})\s*(d|da|day|days)?", clean)
        if match is None:
            return QValidator.State.Invalid, text, pos
        value = int(match.group(1))
        if 1 <= value <= 365:
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class StagesDialog(QDialog):
    """The pipeline's stages: rename in place, reorder, stalled-after days, add and delete.

    Every change is saved at once through the db lane (kind "pipeline"), so
    the board behind the dialog follows as the coach works.

    Args:
        ops: the vault operations.
        parent: the owning widget.
    """

    NAME, STALL, KIND = 0, 1, 2

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._stages: list[Stage] = []
        self._filling = False
        self._pending_stall: dict[int, int | None] = {}
        self._stall_timer = QTimer(self)
        self._stall_timer.setSingleShot(True)
        self._stall_timer.setInterval(STALL_SAVE_DELAY_MS)
        self._stall_timer.timeout.connect(self.save_stall_days)
        self.setWindowTitle("Edit stages")

        self.table = QTableWidget(0, 3)
        self.table.setObjectName("stagesTable")
        self.table.setHorizontalHeaderLabels(["Stage", "Stalled after", ""])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 18)
        self.table.setShowGrid(False)
        self.table.setTabKeyNavigation(False)
        self.table.setAccessibleName("Stages")
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setSectionResizeMode(self.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.STALL, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(self.KIND, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(self.STALL, 120)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)

        self.up_button = QPushButton("Move up")
        self.up_button.setToolTip("Move the selected stage left on the board (Alt+Up)")
        self.down_button = QPushButton("Move down")
        self.down_button.setToolTip("Move the selected stage right on the board (Alt+Down)")
        self.rename_button = QPushButton("Rename")
        self.rename_button.setToolTip("Rename the selected stage (F2, or double-click its name)")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected stage, if no client ever used it")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        for key, delta in (("Alt+Up", -1), ("Alt+Down", 1)):
            action = QAction(self.table)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _checked=False, d=delta: self.move_selected(d))
            self.table.addAction(action)
        side = QVBoxLayout()
        for button in (self.up_button, self.down_button, self.rename_button, self.delete_button):
            button.setAutoDefault(False)
            side.addWidget(button)
        side.addStretch(1)

        self.new_name = QLineEdit()
        self.new_name.setObjectName("newStageName")
        self.new_name.setPlaceholderText("New stage name, e.g. Contract signed")
        self.new_name.setMaxLength(MAX_STAGE_NAME)
        self.new_name.setAccessibleName("New stage name")
        self.new_name.installEventFilter(self)
        self.new_name.textChanged.connect(self._on_new_name_changed)
        self.add_button = QPushButton("Add stage")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_stage)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(self.add_button)

        self.error = error_label()
        self.error.setObjectName("stagesError")
        buttons = QDialogButtonBox()
        self.close_button = buttons.addButton("Done", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.setDefault(True)
        buttons.accepted.connect(self.accept)

        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addLayout(side)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading("Stages", 3))
        layout.addWidget(
            muted(
                "Stages are the columns of your board, left to right. A client is flagged "
                "as stalled when they spend longer than “Stalled after” in a stage with no "
                "stage change and no contact. Changes are saved as you make them."
            )
        )
        layout.addLayout(body, 1)
        layout.addLayout(add_row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(620, 480)
        self._on_selection_changed()
        self._on_new_name_changed("")
        self.reload()

    # Our API ------------------------------------------------------------------

    @property
    def stages(self) -> list[Stage]:
        """The stages as shown, in order."""
        return list(self._stages)

    def stall_spin(self, row: int) -> StallDaysSpin:
        """The "Stalled after" box of a row."""
        widget = self.table.cellWidget(row, self.STALL)
        assert isinstance(widget, StallDaysSpin)
        return widget

    @Slot()
    def reload(self, select_id: int | None = None) -> None:
        """Read the stages again on the db lane."""
        keep = select_id if select_id is not None else self._selected_id()
        self._ops.run(
            list_stages,
            on_done=lambda stages: self._fill(stages, keep),
            on_error=self._on_failed,
            owner=self,
            context="loading the stages",
        )

    def select_row(self, row: int) -> None:
        """Select a stage by its row."""
        if 0 <= row < self.table.rowCount():
            self.table.selectRow(row)
            self.table.setCurrentCell(row, self.NAME)

    @Slot()
    def move_selected(self, delta: int) -> None:
        """Move the selected stage up (-1) or down (+1): saved at once."""
        row = self.table.currentRow()
        target = row + delta
        if not (0 <= row < len(self._stages) and 0 <= target < len(self._stages)):
            return
        order = list(self._stages)
        order[row], order[target] = order[target], order[row]
        moved_id = order[target].id
        # Shown at once: a second click works on the new order while the first is saved.
        self._fill(order, moved_id)
        ids = [s.id for s in order]
        self._ops.run(
            lambda vault: reorder_stages(vault, ids),
            on_error=self._on_failed_reload,
            changes="pipeline",
            owner=self,
            context="reordering the stages",
        )

    @Slot()
    def rename_selected(self) -> None:
        """Start editing the selected stage's name."""
        row = self.table.currentRow()
        item = self.table.item(row, self.NAME) if row >= 0 else None
        if item is not None:
            self.table.setFocus()
            self.table.editItem(item)

    @Slot()
    def delete_selected(self) -> None:
        """Delete the selected stage (the services refuse built-in and used ones)."""
        stage_id = self._selected_id()
        if stage_id is None:
            return
        set_message(self.error, None)
        self._ops.run(
            lambda vault: delete_stage(vault, stage_id),
            on_done=lambda _none: self.reload(),
            on_error=self._on_failed,
            changes="pipeline",
            owner=self,
            context="deleting a stage",
        )

    @Slot()
    def add_stage(self) -> None:
        """Add a stage named as typed."""
        name = self.new_name.text().strip()
        if not name:
            set_message(self.error, "Type a name for the new stage first.")
            self.new_name.setFocus()
            return
        set_message(self.error, None)
        self._ops.run(
            lambda vault: add_stage(vault, name),
            on_done=self._on_stage_added,
            on_error=self._on_failed,
            changes="pipeline",
            owner=self,
            context="adding a stage",
        )

    @Slot()
    def save_stall_days(self) -> None:
        """Save the "Stalled after" values changed since the last save."""
        self._stall_timer.stop()
        pending, self._pending_stall = self._pending_stall, {}
        for stage_id, days in pending.items():
            self._ops.run(
                _stall_setter(stage_id, days),
                on_error=self._on_failed_reload,
                changes="pipeline",
                owner=self,
                context="saving when a stage stalls",
            )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the new-name box adds the stage (and does not close the dialog)."""
        if (
            watched is self.new_name
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.add_stage()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in a days box saves it; elsewhere it means Done."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focus = self.focusWidget()
            if isinstance(focus, StallDaysSpin) or (
                focus is not None and isinstance(focus.parent(), StallDaysSpin)
            ):
                self.save_stall_days()
                event.accept()
                return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:
        """Save what is still waiting, then close."""
        self.save_stall_days()
        super().done(result)

    # Filling ------------------------------------------------------------------

    def _fill(self, stages: list[Stage], select_id: int | None = None) -> None:
        self._filling = True
        try:
            self._stages = list(stages)
            self.table.setRowCount(len(stages))
            for row, stage in enumerate(stages):
                name = QTableWidgetItem(stage.name)
                name.setToolTip("Double-click to rename")
                name.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsEditable
                )
                self.table.setItem(row, self.NAME, name)
                kind = QTableWidgetItem(kind_text(stage))
                kind.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                kind.setForeground(self.palette().placeholderText())
                self.table.setItem(row, self.KIND, kind)
                spin = self.table.cellWidget(row, self.STALL)
                if not isinstance(spin, StallDaysSpin):
                    spin = StallDaysSpin()
                    spin.valueChanged.connect(lambda _v, box=spin: self._on_stall_changed(box))
                    self.table.setCellWidget(row, self.STALL, spin)
                spin.blockSignals(True)
                spin.set_days(self._pending_stall.get(stage.id, stage.stall_days))
                spin.setProperty("stage_id", stage.id)
                spin.blockSignals(False)
        finally:
            self._filling = False
        ids = [s.id for s in stages]
        if select_id in ids:
            self.select_row(ids.index(select_id))
        elif stages and self.table.currentRow() < 0:
            self.select_row(0)
        self._on_selection_changed()

    def _selected_id(self) -> int | None:
        row = self.table.currentRow()
        return self._stages[row].id if 0 <= row < len(self._stages) else None

    # Slots -------------------------------------------------------------------

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != self.NAME:
            return
        row = item.row()
        if not 0 <= row < len(self._stages):
            return
        stage = self._stages[row]
        name = item.text()
        if " ".join(name.split()) == stage.name:
            return
        set_message(self.error, None)
        self._ops.run(
            lambda vault: rename_stage(vault, stage.id, name),
            on_done=self._on_renamed,
            on_error=lambda failure: self._on_rename_failed(failure, stage),
            changes="pipeline",
            owner=self,
            context="renaming a stage",
        )

    def _on_stall_changed(self, spin: StallDaysSpin) -> None:
        stage_id = spin.property("stage_id")
        if self._filling or not isinstance(stage_id, int):
            return
        self._pending_stall[stage_id] = spin.days
        self._stages = [
            dataclasses.replace(s, stall_days=spin.days) if s.id == stage_id else s
            for s in self._stages
        ]
        self._stall_timer.start()

    @Slot(object)
    def _on_renamed(self, stage: Stage) -> None:
        self._stages = [stage if s.id == stage.id else s for s in self._stages]
        self._show_name(stage)

    def _on_rename_failed(self, failure: Failure, stage: Stage) -> None:
        self._show_name(stage)
        self._on_failed(failure)

    def _show_name(self, stage: Stage) -> None:
        ids = [s.id for s in self._stages]
        if stage.id not in ids:
            return
        item = self.table.item(ids.index(stage.id), self.NAME)
        if item is not None and item.text() != stage.name:
            self._filling = True
            item.setText(stage.name)
            self._filling = False

    @Slot(object)
    def _on_stage_added(self, stage: Stage) -> None:
        self.new_name.clear()
        self.reload(select_id=stage.id)

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        if failure.known:
            set_message(self.error, failure.inline_text)
        else:
            show_failure(self, failure)

    @Slot(object)
    def _on_failed_reload(self, failure: Failure) -> None:
        self._on_failed(failure)
        self.reload()

    @Slot()
    def _on_selection_changed(self) -> None:
        row = self.table.currentRow()
        chosen = 0 <= row < len(self._stages)
        self.up_button.setEnabled(chosen and row > 0)
        self.down_button.setEnabled(chosen and row < len(self._stages) - 1)
        self.rename_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    @Slot(str)
    def _on_new_name_changed(self, text: str) -> None:
        self.add_button.setEnabled(bool(text.strip()))
