"""Settings for scheduling and billing: working hours, days off, booking rules, reminders,
invoice numbers, and the calendar file in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QTime, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.scheduling import WorkingHours
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import error_label, heading, muted, set_message

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GATES = (
    ("warn", "Warn me, then book"),
    ("block", "Don't book (I can override with a reason)"),
    ("off", "Book without checking"),
)


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """What the section shows."""

    hours: tuple[WorkingHours, ...]
    blocked: tuple[date, ...]
    gate: str
    reminder_hours: int
    invoice_prefix: str
    invoice_due_days: int


def load(vault: Vault) -> ScheduleSettings:
    """Db lane: the current scheduling and billing settings."""
    from sqlalchemy import select

    from coachdesk.services import calendar, vault_settings
    from coachdesk.settings import BOOKING_GATE, INVOICE_DUE_DAYS, INVOICE_PREFIX, REMINDER_HOURS
    from coachdesk.store.tables import BlockedDateTable

    with vault.reading() as session:
        blocked = tuple(
            session.scalars(select(BlockedDateTable.day).order_by(BlockedDateTable.day))
        )
    return ScheduleSettings(
        tuple(calendar.working_hours(vault)),
        blocked,
        str(vault_settings.get(vault, BOOKING_GATE)),
        int(vault_settings.get(vault, REMINDER_HOURS)),
        str(vault_settings.get(vault, INVOICE_PREFIX)),
        int(vault_settings.get(vault, INVOICE_DUE_DAYS)),
    )


def save(vault: Vault, wanted: ScheduleSettings, before: ScheduleSettings) -> ScheduleSettings:
    """Db lane: store what changed, then read it all back."""
    from coachdesk.services import calendar, vault_settings
    from coachdesk.settings import BOOKING_GATE, INVOICE_DUE_DAYS, INVOICE_PREFIX, REMINDER_HOURS

    if wanted.hours != before.hours:
        calendar.set_working_hours(vault, list(wanted.hours))
    added = sorted(set(wanted.blocked) - set(before.blocked))
    removed = sorted(set(before.blocked) - set(wanted.blocked))
    if added:
        calendar.block_dates(vault, added)
    if removed:
        calendar.unblock_dates(vault, removed)
    vault_settings.put(vault, BOOKING_GATE, wanted.gate)
    vault_settings.put(vault, REMINDER_HOURS, wanted.reminder_hours)
    vault_settings.put(vault, INVOICE_PREFIX, wanted.invoice_prefix)
    vault_settings.put(vault, INVOICE_DUE_DAYS, wanted.invoice_due_days)
    return load(vault)


def export_calendar(vault: Vault, path: Path) -> int:
    """Db lane: every session as one .ics file; how many bytes were written."""
    from coachdesk.services import calendar, files

    data = calendar.export_calendar(vault)
    files.write_file(path, data)
    return len(data)


def import_calendar(vault: Vault, path: Path) -> str:
    """Db lane: busy times from another calendar's file; what happened, in words."""
    from coachdesk.services import calendar

    result = calendar.import_busy_file(vault, path)
    return f"Imported {result.busy} busy times from “{result.source}”."


class DayRow:
    """One weekday: works or not, from and to.

    Args:
        day: Monday 0.
    """

    def __init__(self, day: int) -> None:
        self.day = day
        self.works = QCheckBox(DAYS[day])
        self.start = QTimeEdit(QTime(9, 0))
        self.end = QTimeEdit(QTime(17, 0))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
            edit.setAccessibleName(f"{DAYS[day]} {'from' if edit is self.start else 'to'}")
        self.works.toggled.connect(self._on_toggled)
        self._on_toggled(False)

    def _on_toggled(self, on: bool) -> None:
        self.start.setEnabled(on)
        self.end.setEnabled(on)

    def show(self, hours: list[WorkingHours]) -> None:
        """Show this day's first stretch (or not working)."""
        mine = [h for h in hours if h.weekday == self.day]
        self.works.setChecked(bool(mine))
        if mine:
            first = mine[0]
            self.start.setTime(QTime(first.start_minute // 60, first.start_minute % 60))
            self.end.setTime(QTime(first.end_minute // 60, first.end_minute % 60))

    def value(self) -> WorkingHours | None:
        """The stretch, or None when the coach does not work that day."""
        if not self.works.isChecked():
            return None
        start, end = self.start.time(), self.end.time()
        return WorkingHours(
            self.day, start.hour() * 60 + start.minute(), end.hour() * 60 + end.minute()
        )


class ScheduleSettingsSection(QWidget):
    """The Scheduling and billing part of Settings.

    Args:
        ops: the vault operations (everything is read and saved on the db lane).
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._loaded: ScheduleSettings | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Scheduling and billing", 2))

        layout.addWidget(QLabel("Working hours (your time zone), used when proposing times:"))
        grid = QGridLayout()
        self.days = [DayRow(day) for day in range(7)]
        for row, day in enumerate(self.days):
            grid.addWidget(day.works, row, 0)
            grid.addWidget(day.start, row, 1)
            grid.addWidget(QLabel("to"), row, 2)
            grid.addWidget(day.end, row, 3)
        grid.setColumnStretch(4, 1)
        layout.addLayout(grid)

        layout.addWidget(QLabel("Days off (no sessions are proposed on them):"))
        self.blocked = QListWidget()
        self.blocked.setMaximumHeight(90)
        self.blocked.setMaximumWidth(360)
        self.block_date = QDateEdit(QDate.currentDate())
        self.block_date.setCalendarPopup(True)
        self.add_day = QPushButton("Add day off")
        self.add_day.clicked.connect(self._on_add_day)
        self.remove_day = QPushButton("Remove")
        self.remove_day.clicked.connect(self._on_remove_day)
        layout.addWidget(self.blocked)
        blocked_row = QHBoxLayout()
        for widget in (self.block_date, self.add_day, self.remove_day):
            blocked_row.addWidget(widget)
        blocked_row.addStretch(1)
        layout.addLayout(blocked_row)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.gate = QComboBox()
        for key, text in GATES:
            self.gate.addItem(text, key)
        form.addRow("Booking for a client with an overdue invoice or no sessions left:", self.gate)
        self.reminder = QSpinBox()
        self.reminder.setRange(1, 168)
        self.reminder.setSuffix(" hours before")
        form.addRow("Remind me of a session:", self.reminder)
        self.prefix = QLineEdit()
        self.prefix.setMaxLength(12)
        self.prefix.setMaximumWidth(120)
        form.addRow("Invoice numbers start with:", self.prefix)
        self.due_days = QSpinBox()
        self.due_days.setRange(0, 365)
        self.due_days.setSuffix(" days after issue")
        form.addRow("Invoices are due:", self.due_days)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save scheduling settings")
        self.save_button.clicked.connect(self._on_save)
        self.export_button = QPushButton("Export calendar (.ics)…")
        self.export_button.clicked.connect(self._on_export)
        self.import_button = QPushButton("Import busy times (.ics)…")
        self.import_button.setToolTip(
            "Times from another calendar are kept free when CoachDesk proposes times; "
            "their titles are not stored."
        )
        self.import_button.clicked.connect(self._on_import)
        for button in (self.save_button, self.export_button, self.import_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = muted()
        self.error = error_label()
        layout.addWidget(self.status)
        layout.addWidget(self.error)

    # Loading and saving ------------------------------------------------------------

    def reload(self) -> None:
        """Read the settings on the db lane."""
        self._ops.run(load, on_done=self._show, on_error=self._on_failed, owner=self)

    def clear(self) -> None:
        """Forget what was shown (the vault locked)."""
        self._loaded = None
        self.blocked.clear()
        set_message(self.status, None)
        set_message(self.error, None)

    def _show(self, loaded: ScheduleSettings) -> None:
        self._loaded = loaded
        for day in self.days:
            day.show(list(loaded.hours))
        self.blocked.clear()
        for off in loaded.blocked:
            item = QListWidgetItem(f"{off:%a %-d %b %Y}", self.blocked)
            item.setData(Qt.ItemDataRole.UserRole, off.isoformat())
        self.gate.setCurrentIndex(max(0, self.gate.findData(loaded.gate)))
        self.reminder.setValue(loaded.reminder_hours)
        self.prefix.setText(loaded.invoice_prefix)
        self.due_days.setValue(loaded.invoice_due_days)

    def wanted(self) -> ScheduleSettings:
        """What the form holds."""
        hours = tuple(h for h in (day.value() for day in self.days) if h is not None)
        blocked = tuple(
            sorted(
                date.fromisoformat(str(self.blocked.item(i).data(Qt.ItemDataRole.UserRole)))
                for i in range(self.blocked.count())
            )
        )
        return ScheduleSettings(
            hours,
            blocked,
            str(self.gate.currentData()),
            self.reminder.value(),
            self.prefix.text().strip() or "INV",
            self.due_days.value(),
        )

    @Slot()
    def _on_save(self) -> None:
        before = self._loaded
        if before is None:
            return
        wanted = self.wanted()
        set_message(self.error, None)
        self._ops.run(
            lambda vault: save(vault, wanted, before),
            on_done=self._on_saved,
            on_error=self._on_failed,
            changes="sessions",
            owner=self,
            context="saving scheduling settings",
        )

    def _on_saved(self, loaded: ScheduleSettings) -> None:
        self._show(loaded)
        set_message(self.status, "Saved.")

    def _on_failed(self, failure: Failure) -> None:
        set_message(self.error, failure.inline_text)

    # Days off --------------------------------------------------------------------------

    @Slot()
    def _on_add_day(self) -> None:
        day = self.block_date.date().toPython()
        assert isinstance(day, date)
        existing = {
            self.blocked.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.blocked.count())
        }
        if day.isoformat() not in existing:
            item = QListWidgetItem(f"{day:%a %-d %b %Y}", self.blocked)
            item.setData(Qt.ItemDataRole.UserRole, day.isoformat())

    @Slot()
    def _on_remove_day(self) -> None:
        for item in self.blocked.selectedItems():
            self.blocked.takeItem(self.blocked.row(item))

    # The calendar file ---------------------------------------------------------------

    @Slot()
    def _on_export(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Export calendar", str(Path.home() / "CoachDesk sessions.ics"), "Calendar (*.ics)"
        )
        if not chosen:
            return
        path = Path(chosen) if chosen.lower().endswith(".ics") else Path(f"{chosen}.ics")
        self._ops.run(
            lambda vault: export_calendar(vault, path),
            on_done=lambda _size: set_message(self.status, f"Saved {path.name}."),
            on_error=self._on_failed,
            owner=self,
            context="exporting the calendar",
        )

    @Slot()
    def _on_import(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Import busy times", str(Path.home()), "Calendar (*.ics)"
        )
        if not chosen:
            return
        path = Path(chosen)
        self._ops.run(
            lambda vault: import_calendar(vault, path),
            on_done=lambda text: set_message(self.status, text),
            on_error=self._on_failed,
            changes="sessions",
            owner=self,
            context="importing busy times",
        )
