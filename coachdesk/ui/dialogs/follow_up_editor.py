"""The follow-up form: what to do, by when (in the coach's own time), and whether it repeats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QTime, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QTimeEdit, QWidget

from coachdesk.domain.crm import FollowUp, FollowUpDraft, Recurrence
from coachdesk.ui.dialogs.record_editor import RecordEditor, date_edit, py_date, qdate
from coachdesk.ui.models.crm_lists import to_local, to_utc, utc_now
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import muted, set_message

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

DEFAULT_TIME = time(9, 0)


def save_follow_up(
    vault: Vault, client_id: int, follow_up_id: int | None, draft: FollowUpDraft
) -> FollowUp:
    """Db lane: schedule a new follow-up, or save the changes to one."""
    from coachdesk.services import crm

    if follow_up_id is None:
        return crm.add_follow_up(vault, client_id, draft)
    return crm.update_follow_up(vault, follow_up_id, draft)


def zone_name() -> str:
    """This computer's time zone as the coach knows it ("CET", "Europe/London")."""
    return datetime.now().astimezone().tzname() or "your time zone"


class FollowUpEditor(RecordEditor):
    """A follow-up's title, due date and time, and recurrence.

    The date and time are the coach's local time; they are stored in UTC.

    Args:
        ops: the vault operations.
        client_id: whose follow-up it is.
        follow_up: the follow-up to edit, or None for a new one.
        client_name: shown in the title of a new follow-up.
        parent: the owning widget.

    Signals:
        saved: the stored FollowUp.
    """

    def __init__(
        self,
        ops: VaultOps,
        client_id: int,
        follow_up: FollowUp | None = None,
        client_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        if follow_up is None:
            title = f"New follow-up for {client_name}" if client_name else "New follow-up"
        else:
            title = "Edit follow-up"
        primary = "Add follow-up" if follow_up is None else "Save"
        context = "adding a follow-up" if follow_up is None else "saving a follow-up"
        super().__init__(ops, title, primary, context, parent)
        self.client_id = client_id
        self.follow_up = follow_up
        self.setMinimumWidth(560)

        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("e.g. Send the interview checklist")
        self.due_date = date_edit(date.today() + timedelta(days=1))
        self.due_time = QTimeEdit(QTime(DEFAULT_TIME.hour, DEFAULT_TIME.minute))
        self.due_time.setDisplayFormat("HH:mm")
        due = QWidget()
        due_layout = QHBoxLayout(due)
        due_layout.setContentsMargins(0, 0, 0, 0)
        due_layout.addWidget(self.due_date)
        due_layout.addWidget(self.due_time)
        due_layout.addStretch(1)
        due.setFocusProxy(self.due_date)
        self.recurrence = QComboBox()
        for each in Recurrence:
            self.recurrence.addItem(each.label, each.value)
        self.recurrence.setToolTip("When you mark it done, the next one is scheduled for you")
        self.when_hint = muted()
        self.when_hint.setObjectName("whenHint")

        self.add_field("&What:", "title", self.title_edit)
        self.add_field("&Due:", "due_at", due, f"In your time ({zone_name()}).")
        self.add_field("&Repeats:", "recurrence", self.recurrence)
        self.form.addRow("", self.when_hint)

        if follow_up is not None:
            self.set_draft(FollowUpDraft(follow_up.title, follow_up.due_at, follow_up.recurrence))
        self.due_date.dateChanged.connect(self._on_when_changed)
        self.due_time.timeChanged.connect(self._on_when_changed)
        self._on_when_changed()
        self.finish_setup()
        self.title_edit.setFocus()

    def set_draft(self, draft: FollowUpDraft) -> None:
        """Fill the form from a draft (its due time in UTC)."""
        local = to_local(draft.due_at)
        self.title_edit.setText(draft.title)
        self.due_date.setDate(qdate(local.date()))
        self.due_time.setTime(QTime(local.hour, local.minute))
        index = self.recurrence.findData(Recurrence(draft.recurrence).value)
        self.recurrence.setCurrentIndex(max(0, index))

    def local_due(self) -> datetime:
        """The due time as entered (naive, local)."""
        clock = self.due_time.time()
        return datetime.combine(py_date(self.due_date.date()), time(clock.hour(), clock.minute()))

    def draft(self) -> FollowUpDraft:
        """The follow-up as typed, its due time in UTC."""
        return FollowUpDraft(
            title=self.title_edit.text(),
            due_at=to_utc(self.local_due()),
            recurrence=Recurrence(self.recurrence.currentData()),
        )

    def snapshot(self) -> object:
        """The draft as typed."""
        return self.draft()

    def prepare(self) -> Callable[[Vault], object]:
        """Check the draft here, then save it on the lane."""
        draft = self.draft().validated()
        client_id = self.client_id
        follow_up_id = self.follow_up.id if self.follow_up is not None else None
        return lambda vault: save_follow_up(vault, client_id, follow_up_id, draft)

    @Slot()
    def _on_when_changed(self) -> None:
        if self.draft().due_at < utc_now():
            set_message(self.when_hint, "This time has passed: the follow-up will show as overdue.")
        else:
            set_message(self.when_hint, None)
