"""The goal form: objective, how it is measured, target date, status, progress, milestones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.crm import MAX_TITLE, Goal, GoalDraft, GoalStatus, MilestoneDraft
from coachdesk.domain.errors import ValidationError
from coachdesk.ui.dialogs.record_editor import RecordEditor, date_edit, py_date, qdate
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import muted

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault


def save_goal(
    vault: Vault,
    client_id: int,
    goal_id: int | None,
    draft: GoalDraft,
    milestones: tuple[MilestoneDraft, ...],
) -> Goal:
    """Db lane: set a new goal, or save the changes to one (milestones included)."""
    from coachdesk.services import crm

    if goal_id is None:
        return crm.add_goal(vault, client_id, draft, milestones)
    return crm.update_goal(vault, goal_id, draft, milestones)


class OptionalDate(QWidget):
    """A date that may be left unset: a check box turns the date field on.

    Args:
        text: the check box's label.
        parent: the owning widget.

    Signals:
        changed: the date or whether it is set changed.
    """

    changed = Signal()

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(text)
        self.edit = date_edit(date.today() + timedelta(days=30))
        self.edit.setEnabled(False)
        self.check.toggled.connect(self.edit.setEnabled)
        self.check.toggled.connect(lambda _on: self.changed.emit())
        self.edit.dateChanged.connect(lambda _day: self.changed.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.edit)
        layout.addStretch(1)
        self.setFocusProxy(self.check)

    @property
    def value(self) -> date | None:
        """The date, or None when unset."""
        return py_date(self.edit.date()) if self.check.isChecked() else None

    def set_value(self, day: date | None) -> None:
        """Set a date, or clear it."""
        self.check.setChecked(day is not None)
        if day is not None:
            self.edit.setDate(qdate(day))


class MilestoneRow(QWidget):
    """One milestone in the form: done, title, optional due date, Remove.

    Signals:
        remove_requested: the Remove button was pressed.
    """

    remove_requested = Signal()

    def __init__(self, item: MilestoneDraft, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.done = QCheckBox()
        self.done.setToolTip("Done")
        self.done.setChecked(item.done)
        self.title = QLineEdit(item.title)
        self.title.setPlaceholderText("A step on the way, e.g. CV rewritten")
        self.due = OptionalDate("Due")
        self.due.set_value(item.due_on)
        if item.due_on is None:
            self.due.edit.setDate(qdate(date.today() + timedelta(days=14)))
        self.remove = QPushButton("Remove")
        self.remove.setAutoDefault(False)
        self.remove.setToolTip("Remove this milestone")
        self.remove.clicked.connect(self.remove_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.done)
        layout.addWidget(self.title, 1)
        layout.addWidget(self.due)
        layout.addWidget(self.remove)

    def draft(self) -> MilestoneDraft:
        """What the row holds."""
        return MilestoneDraft(self.title.text(), self.due.value, self.done.isChecked())


class MilestoneList(QWidget):
    """The milestones of a goal, in order, with "Add milestone"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MilestoneRow] = []
        self.add_button = QPushButton("Add milestone")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.empty = muted("No milestones yet. Break the goal into steps you can tick off.")
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.empty)
        layout.addLayout(self._rows_layout)
        add = QHBoxLayout()
        add.addWidget(self.add_button)
        add.addStretch(1)
        layout.addLayout(add)

    def add(self, item: MilestoneDraft | None = None) -> MilestoneRow:
        """Add a row (empty when no item is given)."""
        row = MilestoneRow(item or MilestoneDraft(""))
        row.remove_requested.connect(lambda: self._remove(row))
        self.rows.append(row)
        self._rows_layout.addWidget(row)
        self.empty.setVisible(False)
        return row

    def set_items(self, items: tuple[MilestoneDraft, ...]) -> None:
        """Show these milestones."""
        for row in list(self.rows):
            self._remove(row)
        for item in items:
            self.add(item)

    def items(self) -> tuple[MilestoneDraft, ...]:
        """The milestones with a title, in order."""
        return tuple(d for d in (row.draft() for row in self.rows) if d.title.strip())

    def _remove(self, row: MilestoneRow) -> None:
        self.rows.remove(row)
        self._rows_layout.removeWidget(row)
        row.hide()
        row.setParent(None)
        self.empty.setVisible(not self.rows)

    @Slot()
    def _on_add_clicked(self) -> None:
        self.add().title.setFocus()


class GoalEditor(RecordEditor):
    """A goal and its milestones.

    Args:
        ops: the vault operations.
        client_id: whose goal it is.
        goal: the goal to edit, or None for a new one.
        parent: the owning widget.

    Signals:
        saved: the stored Goal.
    """

    def __init__(
        self,
        ops: VaultOps,
        client_id: int,
        goal: Goal | None = None,
        parent: QWidget | None = None,
    ) -> None:
        title = "New goal" if goal is None else "Edit goal"
        primary = "Add goal" if goal is None else "Save"
        context = "adding a goal" if goal is None else "saving a goal"
        super().__init__(ops, title, primary, context, parent)
        self.client_id = client_id
        self.goal = goal
        self.setMinimumWidth(720)

        self.objective = QLineEdit()
        self.objective.setPlaceholderText("e.g. Land a product manager role")
        self.measure = QPlainTextEdit()
        self.measure.setTabChangesFocus(True)
        self.measure.setPlaceholderText("How you will both know it is reached, e.g. an offer")
        self.measure.setFixedHeight(self.measure.fontMetrics().lineSpacing() * 3 + 16)
        self.target = OptionalDate("Set a target date")
        self.status = QComboBox()
        for status in GoalStatus:
            self.status.addItem(status.label, status.value)
        self.progress = QSpinBox()
        self.progress.setRange(0, 100)
        self.progress.setSuffix(" %")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self.progress.setValue)
        self.progress.valueChanged.connect(self.slider.setValue)
        progress = QWidget()
        progress_layout = QHBoxLayout(progress)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self.slider, 1)
        progress_layout.addWidget(self.progress)
        progress.setFocusProxy(self.progress)
        self.milestones = MilestoneList()

        self.add_field("&Objective:", "objective", self.objective)
        self.add_field("&Measured by:", "measure", self.measure)
        self.add_field("&Target:", "target_on", self.target)
        self.add_field("&Status:", "status", self.status)
        self.add_field("&Progress:", "progress", progress)
        self.add_field("&Milestones:", "milestones", self.milestones)

        if goal is not None:
            self.set_goal(goal)
        self.finish_setup()
        self.objective.setFocus()

    def set_goal(self, goal: Goal) -> None:
        """Fill the form from a stored goal."""
        draft = goal.draft()
        self.objective.setText(draft.objective)
        self.measure.setPlainText(draft.measure)
        self.target.set_value(draft.target_on)
        self.status.setCurrentIndex(max(0, self.status.findData(GoalStatus(draft.status).value)))
        self.progress.setValue(draft.progress)
        self.milestones.set_items(
            tuple(MilestoneDraft(m.title, m.due_on, m.done_at is not None) for m in goal.milestones)
        )

    def draft(self) -> GoalDraft:
        """The goal as typed."""
        return GoalDraft(
            objective=self.objective.text(),
            measure=self.measure.toPlainText(),
            target_on=self.target.value,
            status=GoalStatus(self.status.currentData()),
            progress=self.progress.value(),
        )

    def snapshot(self) -> object:
        """The goal and milestones as typed."""
        return (self.draft(), self.milestones.items())

    def prepare(self) -> Callable[[Vault], object]:
        """Check the goal and milestones here, then save them on the lane."""
        errors: dict[str, str] = {}
        try:
            draft = self.draft().validated()
        except ValidationError as exc:
            errors.update(exc.errors)
        steps = self.milestones.items()
        if any(len(" ".join(m.title.split())) > MAX_TITLE for m in steps):
            errors["milestones"] = f"Keep each milestone under {MAX_TITLE} characters."
        if errors:
            raise ValidationError(errors)
        client_id = self.client_id
        goal_id = self.goal.id if self.goal is not None else None
        return lambda vault: save_goal(vault, client_id, goal_id, draft, steps)
