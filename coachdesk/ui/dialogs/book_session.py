"""Booking a session (or a series) for a client, and moving one, in both time zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QTime, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client
from coachdesk.domain.scheduling import (
    Enrolment,
    NoticeRequiredError,
    Repeat,
    Session,
    SessionDraft,
    from_wall_clock,
    in_zone,
    series_starts,
)
from coachdesk.ui.dialogs.record_editor import date_edit, py_date, qdate
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    busy_bar,
    dialog_buttons,
    fit_height,
    heading,
    muted,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.sessions import GateResult
    from coachdesk.store.vault import Vault

WARN_STYLE = "background: #fff8e1; color: #5d4200; border: 1px solid #f2c94c; padding: 8px;"
BLOCK_STYLE = "background: #fdecea; color: #8a1c1c; border: 1px solid #e57373; padding: 8px;"
REPEATS = (("Once", None), ("Weekly", Repeat.WEEKLY), ("Fortnightly", Repeat.FORTNIGHTLY))
DEFAULT_TIME = time(10, 0)


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class BookingContext:
    """What the booking form needs: the coach's zone and the client's enrolments."""

    coach_zone: str
    enrolments: tuple[Enrolment, ...]
    minutes: dict[int, int]


def booking_context(vault: Vault, client_id: int) -> BookingContext:
    """Db lane: the coach's zone and the client's current enrolments."""
    from coachdesk.services import offers, practice

    zone = practice.get_profile(vault).time_zone or "UTC"
    current = tuple(e for e in offers.list_enrolments(vault, client_id) if e.active)
    minutes = {o.id: o.terms.session_minutes for o in offers.list_offers(vault, True)}
    return BookingContext(zone, current, minutes)


def coach_zone(vault: Vault) -> str:
    """Db lane: the coach's time zone from the practice profile."""
    from coachdesk.services import practice

    return practice.get_profile(vault).time_zone or "UTC"


def check_gate(vault: Vault, request: BookingRequest) -> tuple[GateResult, tuple[str, ...]]:
    """Db lane: what the payment gate says, and which of the times clash with the diary."""
    from coachdesk.services import sessions

    result = sessions.gate(
        vault, request.client_id, needed=request.count, enrolment_id=request.enrolment_id
    )
    if request.repeat is None:
        starts = [from_wall_clock(request.day, request.at, request.zone)]
    else:
        starts = series_starts(request.day, request.at, request.zone, request.repeat, request.count)
    return result, sessions.clashes(vault, starts, request.minutes)


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """One booking as the form describes it (times in the coach's zone)."""

    client_id: int
    day: date
    at: time
    zone: str
    minutes: int
    repeat: Repeat | None
    count: int
    enrolment_id: int | None
    location: str
    override_reason: str = ""


def book_sessions(vault: Vault, request: BookingRequest) -> list[Session]:
    """Db lane: book one session or a series, all or none."""
    from coachdesk.services import sessions

    if request.repeat is None:
        draft = SessionDraft(
            request.client_id,
            from_wall_clock(request.day, request.at, request.zone),
            request.minutes,
            enrolment_id=request.enrolment_id,
            location=request.location,
        )
        return [sessions.book(vault, draft, override_reason=request.override_reason)]
    return sessions.book_series(
        vault,
        request.client_id,
        request.day,
        request.at,
        request.zone,
        request.repeat,
        request.count,
        request.minutes,
        enrolment_id=request.enrolment_id,
        location=request.location,
        override_reason=request.override_reason,
    )


def reschedule_session(
    vault: Vault, session_id: int, new_start: datetime, override_reason: str = ""
) -> Session:
    """Db lane: move a session to a new start (naive UTC)."""
    from coachdesk.services import sessions

    return sessions.reschedule(vault, session_id, new_start, override_reason)


# Words ------------------------------------------------------------------------------------


def wall_text(moment: datetime) -> str:
    """ "Tue 20 Oct, 10:00"."""
    return f"{moment:%a} {moment.day} {moment:%b, %H:%M}"


def first_name(client: Client) -> str:
    """What the coach calls the client."""
    return client.preferred_name or client.first_name or client.display_name


def client_time_line(start: datetime, client: Client, coach: str) -> str:
    """ "That is Tue 20 Oct, 10:00 for Ada (America/New_York)", from a naive-UTC start."""
    zone = client.time_zone or coach
    if zone == coach:
        return f"{first_name(client)} is in your time zone ({zone})."
    return f"That is {wall_text(in_zone(start, zone))} for {first_name(client)} ({zone})."


def enrolment_text(enrolment: Enrolment) -> str:
    """ "Career Reset — 3 of 6 sessions left"."""
    left, allowed = enrolment.sessions_left, enrolment.sessions_allowed
    return f"{enrolment.offer_name} — {left} of {allowed} sessions left"


class ZonedWhen(QWidget):
    """A date and a time in the coach's zone, with the client's time under them.

    Signals:
        changed: the date or time changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = "UTC"
        self.client: Client | None = None
        self.date_edit = date_edit(date.today() + timedelta(days=1))
        self.date_edit.setObjectName("sessionDate")
        self.time_edit = QTimeEdit(QTime(DEFAULT_TIME.hour, DEFAULT_TIME.minute))
        self.time_edit.setObjectName("sessionTime")
        self.time_edit.setDisplayFormat("HH:mm")
        self.zone_label = muted(wrap=False)
        for edit in (self.date_edit, self.time_edit):
            hint = edit.sizeHint()
            edit.setMinimumSize(hint.width() + 24, hint.height())
        self.client_line = QLabel()
        self.client_line.setObjectName("clientTimeLine")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.date_edit)
        row.addWidget(self.time_edit)
        row.addWidget(self.zone_label)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.client_line)
        self.date_edit.dateChanged.connect(self._on_edited)
        self.time_edit.timeChanged.connect(self._on_edited)

    def set_zone(self, zone: str, client: Client) -> None:
        """The coach's zone the fields are in, and the client whose time is shown."""
        self.zone = zone
        self.client = client
        self.zone_label.setText(f"your time ({zone})")
        self._on_edited()

    def set_start(self, start: datetime) -> None:
        """Show a naive-UTC start in the coach's zone."""
        local = in_zone(start, self.zone)
        self.date_edit.setDate(qdate(local.date()))
        self.time_edit.setTime(QTime(local.hour, local.minute))

    @property
    def day(self) -> date:
        """The day in the coach's zone."""
        return py_date(self.date_edit.date())

    @property
    def at(self) -> time:
        """The time in the coach's zone."""
        value = self.time_edit.time()
        return time(value.hour(), value.minute())

    def start(self) -> datetime:
        """The start as naive UTC."""
        return from_wall_clock(self.day, self.at, self.zone)

    @Slot()
    def _on_edited(self, *_args: object) -> None:
        if self.client is not None:
            start = self.start()
            line = client_time_line(start, self.client, self.zone)
            if start < datetime.now(UTC).replace(tzinfo=None):
                line += "  This time has already passed."
            self.client_line.setText(line)
        self.changed.emit()


class BookSessionDialog(QDialog):
    """Book a session, or a weekly or fortnightly series, for one client.

    Before booking it asks the payment gate: warnings show in yellow and the
    coach may go on; a block shows in red and "Book anyway" needs a reason.

    Args:
        ops: the vault operations.
        client: whose session it is.
        parent: the owning widget.

    Signals:
        booked: the list of booked Sessions.
    """

    booked = Signal(list)

    def __init__(self, ops: VaultOps, client: Client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.client = client
        self._context: BookingContext | None = None
        self._acknowledged = False
        self._blocked = False
        self.setWindowTitle(f"Book a session with {client.display_name}")
        self.setObjectName("bookSessionDialog")
        self.setMinimumWidth(560)

        self.when = ZonedWhen()
        self.when.changed.connect(self._on_form_changed)
        self.minutes = QSpinBox()
        self.minutes.setObjectName("sessionMinutes")
        self.minutes.setRange(15, 480)
        self.minutes.setSingleStep(15)
        self.minutes.setValue(60)
        self.minutes.setSuffix(" minutes")
        self.enrolment = QComboBox()
        self.enrolment.setObjectName("sessionEnrolment")
        self.enrolment.currentIndexChanged.connect(self._on_enrolment_changed)
        self.repeat = QComboBox()
        self.repeat.setObjectName("sessionRepeat")
        for label, value in REPEATS:
            self.repeat.addItem(label, value)
        self.count = QSpinBox()
        self.count.setObjectName("sessionCount")
        self.count.setRange(2, 52)
        self.count.setValue(6)
        self.count.setSuffix(" sessions")
        self.repeat.currentIndexChanged.connect(self._on_form_changed)
        self.count.valueChanged.connect(self._on_form_changed)
        repeat_row = QWidget()
        repeat_layout = QHBoxLayout(repeat_row)
        repeat_layout.setContentsMargins(0, 0, 0, 0)
        repeat_layout.addWidget(self.repeat)
        repeat_layout.addWidget(self.count)
        repeat_layout.addStretch(1)
        self.location = QLineEdit()
        self.location.setObjectName("sessionLocation")
        self.location.setPlaceholderText("e.g. a video-call link, or the café's address")

        self.gate_box = QLabel()
        self.gate_box.setObjectName("gateMessage")
        self.gate_box.setWordWrap(True)
        self.gate_box.setVisible(False)
        self.reason = QLineEdit()
        self.reason.setObjectName("overrideReason")
        self.reason.setPlaceholderText("Why book anyway? e.g. invoice paid in cash today")
        self.reason.textChanged.connect(self._on_reason_changed)
        self.reason_row = QWidget()
        reason_layout = QFormLayout(self.reason_row)
        reason_layout.setContentsMargins(0, 0, 0, 0)
        reason_layout.addRow("Reason", self.reason)
        self.reason_row.setVisible(False)
        self.message = QLabel()
        self.message.setObjectName("bookMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        self.message.setVisible(False)
        self.busy = busy_bar()
        self.busy.setVisible(False)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        form.addRow("When", self.when)
        form.addRow("Length", self.minutes)
        form.addRow("Enrolment", self.enrolment)
        form.addRow("Repeat", repeat_row)
        form.addRow("Where", self.location)

        self.buttons, self.book_button, self.cancel_button = dialog_buttons("Book", "Cancel")
        self.book_button.setObjectName("bookButton")
        self.book_button.clicked.connect(self._on_book_clicked)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(heading(f"Session with {client.display_name}", 3))
        layout.addLayout(form)
        layout.addWidget(self.gate_box)
        layout.addWidget(self.reason_row)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)

        self._set_busy(True)
        ops.closed.connect(self._on_vault_closed)
        client_id = client.id
        QTimer.singleShot(
            0,
            self,
            lambda: ops.run(
                lambda vault: booking_context(vault, client_id),
                on_done=self._on_context,
                on_error=self._on_failed,
                owner=self,
                context="preparing a booking",
            ),
        )

    # Public ---------------------------------------------------------------------------

    def request(self) -> BookingRequest:
        """What the form says now."""
        data = self.repeat.currentData()
        # Qt hands the enum back as a plain string.
        repeat = Repeat(data) if data else None
        return BookingRequest(
            self.client.id,
            self.when.day,
            self.when.at,
            self.when.zone,
            self.minutes.value(),
            repeat,
            self.count.value() if repeat is not None else 1,
            self.enrolment.currentData(),
            self.location.text().strip(),
            " ".join(self.reason.text().split()) if self._blocked else "",
        )

    # Slots ----------------------------------------------------------------------------

    def _on_context(self, context: BookingContext) -> None:
        self._context = context
        self.when.set_zone(context.coach_zone, self.client)
        self.enrolment.blockSignals(True)
        self.enrolment.clear()
        default = 0
        for enrolment in context.enrolments:
            self.enrolment.addItem(enrolment_text(enrolment), enrolment.id)
        self.enrolment.addItem("No enrolment (e.g. a discovery call)", None)
        for row, enrolment in enumerate(context.enrolments):
            if enrolment.sessions_left > 0:
                default = row
                break
        self.enrolment.setCurrentIndex(default)
        self.enrolment.blockSignals(False)
        self._on_enrolment_changed()
        self._set_busy(False)
        self.when.date_edit.setFocus()

    @Slot()
    def _on_enrolment_changed(self, *_args: object) -> None:
        if self._context is None:
            return
        chosen = self.enrolment.currentData()
        for enrolment in self._context.enrolments:
            if enrolment.id == chosen:
                minutes = self._context.minutes.get(enrolment.offer_id)
                if minutes:
                    self.minutes.setValue(minutes)
        self._on_form_changed()

    @Slot()
    def _on_form_changed(self, *_args: object) -> None:
        self.count.setEnabled(self.repeat.currentData() is not None)
        self._reset_gate()

    def _reset_gate(self) -> None:
        self._acknowledged = self._blocked = False
        self.gate_box.setVisible(False)
        self.reason_row.setVisible(False)
        self.book_button.setText("Book")
        self.book_button.setEnabled(self._context is not None)
        set_message(self.message, None)

    @Slot()
    def _on_reason_changed(self, _text: str) -> None:
        if self._blocked:
            self.book_button.setEnabled(bool(self.reason.text().strip()))

    @Slot()
    def _on_book_clicked(self) -> None:
        if self._context is None:
            return
        request = self.request()
        if self._blocked and not request.override_reason:
            set_message(self.message, "Give a reason to book past the block.")
            self.reason.setFocus()
            return
        self._set_busy(True)
        if self._acknowledged or self._blocked:
            self._book(request)
            return
        self._ops.run(
            lambda vault: check_gate(vault, request),
            on_done=lambda found: self._on_gate(request, *found),
            on_error=self._on_failed,
            owner=self,
            context="checking the booking gate",
        )

    def _on_gate(
        self, request: BookingRequest, result: GateResult, clashes: tuple[str, ...]
    ) -> None:
        if result.blocks:
            self._show_block((*result.reasons, *clashes))
            return
        warnings = (*result.reasons, *clashes) if result.warns else clashes
        if warnings:
            self._set_busy(False)
            self._acknowledged = True
            self._show_gate(" ".join(warnings) + " You can still book.", WARN_STYLE)
            self.book_button.setText("Book anyway")
            return
        self._book(request)

    def _show_gate(self, text: str, style: str) -> None:
        self.gate_box.setText(text)
        self.gate_box.setStyleSheet(style)
        self.gate_box.setVisible(True)
        fit_height(self)

    def _show_block(self, reasons: tuple[str, ...]) -> None:
        self._set_busy(False)
        self._blocked = True
        self._show_gate(
            "Booking is blocked: "
            + " ".join(reasons)
            + " To book anyway, say why (it is kept with the session).",
            BLOCK_STYLE,
        )
        self.reason_row.setVisible(True)
        fit_height(self)
        self.book_button.setText("Book anyway")
        self.book_button.setEnabled(bool(self.reason.text().strip()))
        self.reason.setFocus()

    def _book(self, request: BookingRequest) -> None:
        self._ops.run(
            lambda vault: book_sessions(vault, request),
            on_done=self._on_booked,
            on_error=self._on_book_failed,
            changes="sessions",
            owner=self,
            context="booking a session",
        )

    def _on_booked(self, booked: list[Session]) -> None:
        self._set_busy(False)
        self.booked.emit(booked)
        self.accept()

    @Slot(object)
    def _on_book_failed(self, failure: Failure) -> None:
        reasons = getattr(failure.error, "reasons", None)
        if reasons:
            self._show_block(tuple(reasons))
            return
        self._on_failed(failure)

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self._set_busy(False)
        self.book_button.setEnabled(self._context is not None)
        if failure.known:
            set_message(self.message, failure.inline_text)
        else:
            from coachdesk.ui.errors import show_failure

            show_failure(self, failure)

    @Slot()
    def _on_vault_closed(self) -> None:
        self.done(QDialog.DialogCode.Rejected)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.book_button.setEnabled(not busy)


class RescheduleDialog(QDialog):
    """Move a session to another time; inside the notice window it asks for a reason.

    Args:
        ops: the vault operations.
        session: the session to move.
        client: whose session it is.
        zone: the coach's time zone.
        parent: the owning widget.

    Signals:
        rescheduled: the moved Session.
    """

    rescheduled = Signal(object)

    def __init__(
        self,
        ops: VaultOps,
        session: Session,
        client: Client,
        zone: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self.session = session
        self._needs_reason = False
        self.setWindowTitle("Reschedule session")
        self.setObjectName("rescheduleDialog")
        self.setMinimumWidth(520)
        self.when = ZonedWhen()
        self.when.set_zone(zone, client)
        self.when.set_start(session.starts_at)
        self.when.changed.connect(self._on_changed)
        now_line = muted(
            f"Now: {wall_text(in_zone(session.starts_at, zone))} your time, "
            f"{session.minutes} minutes."
        )
        self.message = QLabel()
        self.message.setObjectName("rescheduleMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.reason = QLineEdit()
        self.reason.setObjectName("overrideReason")
        self.reason.setPlaceholderText("Why move it at short notice? e.g. coach ill")
        self.reason.textChanged.connect(self._on_changed)
        self.reason_row = QWidget()
        reason_layout = QFormLayout(self.reason_row)
        reason_layout.setContentsMargins(0, 0, 0, 0)
        reason_layout.addRow("Reason", self.reason)
        self.reason_row.setVisible(False)
        self.busy = busy_bar()
        self.busy.setVisible(False)
        self.buttons, self.move_button, cancel = dialog_buttons("Reschedule", "Cancel")
        self.move_button.setObjectName("rescheduleButton")
        self.move_button.clicked.connect(self._on_move_clicked)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(heading(f"Move the session with {client.display_name}", 3))
        layout.addWidget(now_line)
        form = QFormLayout()
        form.addRow("New time", self.when)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.reason_row)
        layout.addStretch(1)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        ops.closed.connect(lambda: self.done(QDialog.DialogCode.Rejected))

    @Slot()
    def _on_changed(self, *_args: object) -> None:
        if self._needs_reason:
            self.move_button.setEnabled(bool(self.reason.text().strip()))

    @Slot()
    def _on_move_clicked(self) -> None:
        reason = " ".join(self.reason.text().split()) if self._needs_reason else ""
        if self._needs_reason and not reason:
            self.reason.setFocus()
            return
        session_id, start = self.session.id, self.when.start()
        self.busy.setVisible(True)
        self.move_button.setEnabled(False)
        self._ops.run(
            lambda vault: reschedule_session(vault, session_id, start, reason),
            on_done=self._on_moved,
            on_error=self._on_failed,
            changes="sessions",
            owner=self,
            context="rescheduling a session",
        )

    def _on_moved(self, session: Session) -> None:
        self.busy.setVisible(False)
        self.rescheduled.emit(session)
        self.accept()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self.busy.setVisible(False)
        self.move_button.setEnabled(True)
        if not failure.known:
            from coachdesk.ui.errors import show_failure

            show_failure(self, failure)
            return
        text = failure.inline_text
        if isinstance(failure.error, NoticeRequiredError):
            self._needs_reason = True
            self.message.setStyleSheet(BLOCK_STYLE)
            self.reason_row.setVisible(True)
            self.move_button.setText("Reschedule anyway")
            self.move_button.setEnabled(bool(self.reason.text().strip()))
            self.reason.setFocus()
        else:
            self.message.setStyleSheet("color: #c62828;")
        set_message(self.message, text)
        fit_height(self)
