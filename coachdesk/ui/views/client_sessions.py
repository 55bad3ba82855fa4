"""The Sessions tab of a client's page: enrolments, sessions in both time zones, booking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.billing import format_money
from coachdesk.domain.clients import Client
from coachdesk.domain.errors import KnownError
from coachdesk.domain.scheduling import Enrolment, Offer, Session, SessionStatus, in_zone
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.book_session import BookSessionDialog, RescheduleDialog, first_name
from coachdesk.ui.dialogs.propose_times import ProposeTimesDialog
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import RecordTable, day_text
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    EmptyState,
    busy_bar,
    dialog_buttons,
    fit_height,
    heading,
    list_table,
    muted,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
EVER = (datetime(1970, 1, 1), datetime(2200, 1, 1))
STATUS_COLORS = {
    SessionStatus.DONE: "#2e7d32",
    SessionStatus.NO_SHOW: "#c62828",
    SessionStatus.LATE_CANCEL: "#ef6c00",
    SessionStatus.CANCELLED: "#757575",
    SessionStatus.RESCHEDULED: "#757575",
}


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class SessionsData:
    """What the Sessions tab shows for one client."""

    coach_zone: str
    enrolments: tuple[Enrolment, ...]
    sessions: tuple[Session, ...]


def load_sessions(vault: Vault, client_id: int) -> SessionsData:
    """Db lane: a client's enrolments and every session of theirs."""
    from coachdesk.services import offers, practice, sessions

    return SessionsData(
        practice.get_profile(vault).time_zone or "UTC",
        tuple(offers.list_enrolments(vault, client_id)),
        tuple(sessions.list_sessions(vault, *EVER, client_id=client_id)),
    )


def list_offers(vault: Vault) -> list[Offer]:
    """Db lane: the offers on sale."""
    from coachdesk.services import offers

    return offers.list_offers(vault)


def enrol_client(vault: Vault, client_id: int, offer_id: int) -> Enrolment:
    """Db lane: sell a client an offer, starting today."""
    from coachdesk.services import offers

    return offers.enrol(vault, client_id, offer_id)


def mark_session(vault: Vault, session_id: int, status: SessionStatus) -> Session:
    """Db lane: record how a session went."""
    from coachdesk.services import sessions

    return sessions.mark(vault, session_id, status)


def cancel_session(vault: Vault, session_id: int) -> Session:
    """Db lane: cancel a session (a late cancel inside the offer's notice)."""
    from coachdesk.services import sessions

    return sessions.cancel(vault, session_id)


def hand_off_reminder(vault: Vault, session_id: int) -> Path:
    """Db lane: a reminder e-mail draft for the session (invite attached, no notes)."""
    from coachdesk.services import calendar, handoff

    name, data = calendar.reminder_email(vault, session_id)
    return handoff.write(name, data)


def hand_off_invite(vault: Vault, session_id: int) -> Path:
    """Db lane: an e-mail draft to the client with the session's invite (.ics) attached."""
    from coachdesk.documents import eml
    from coachdesk.domain.documents import file_name
    from coachdesk.services import calendar, clients, handoff, practice, sessions

    session = sessions.get_session(vault, session_id)
    if session.client_id is None:
        raise KnownError("This is a group session; send its invite from the cohort.")
    client = clients.get_client(vault, session.client_id)
    profile = practice.get_profile(vault)
    invite = calendar.session_invite(vault, session_id)
    there = session.client_time()
    when = f"{there:%A} {there.day} {there:%B, %H:%M}"
    lines = [
        f"Hi {first_name(client)},",
        "",
        f"Here is the invite for our session on {when} ({session.client_zone}), "
        f"{session.minutes} minutes.",
    ]
    if session.location:
        lines.append(f"Where: {session.location}")
    lines += [
        "",
        "Open the attached file to add it to your calendar.",
        "",
        "Best wishes,",
        profile.coach_name,
    ]
    data = eml.draft(
        client.display_name,
        client.emails[0] if client.emails else "",
        f"Our session on {there:%a} {there.day} {there:%b, %H:%M}",
        "\n".join(lines) + "\n",
        "invite.ics",
        invite,
        "text/calendar",
    )
    return handoff.write(file_name(f"Session invite for {client.display_name}", "eml"), data)


# Words ------------------------------------------------------------------------------------


def utc_now() -> datetime:
    """Now, as the naive UTC the vault stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def when_text(moment: datetime, year: bool = True) -> str:
    """ "Tue 20 Oct 2026, 10:00"."""
    if year:
        return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"
    return f"{moment:%a} {moment.day} {moment:%b, %H:%M}"


def enrolment_line(enrolment: Enrolment, done: int) -> str:
    """ "Career Reset: 3 of 6 used (1 done) · 3 left · ends 1 Mar 2027"."""
    parts = [
        f"{enrolment.sessions_used} of {enrolment.sessions_allowed} used ({done} done)",
        f"{enrolment.sessions_left} left",
    ]
    if enrolment.end_on is not None:
        verb = "ends" if enrolment.active else "ended"
        parts.append(f"{verb} {day_text(enrolment.end_on)}")
    elif not enrolment.active:
        parts.append("ended")
    return f"{enrolment.offer_name}: " + " · ".join(parts)


def policy_text(offer: Offer) -> str:
    """An offer's price, sessions and notice policy in words."""
    terms = offer.terms
    late = "uses up a session" if terms.late_cancel_counts else "does not use up a session"
    no_show = "uses up a session" if terms.no_show_counts else "does not use up a session"
    return (
        f"{format_money(terms.price_minor, terms.currency)} · "
        f"{terms.session_count} sessions of {terms.session_minutes} minutes\n"
        f"Rescheduling needs {terms.notice_hours} hours' notice. "
        f"A late cancel {late}; a no-show {no_show}."
    )


def ordered(sessions: Sequence[Session], now: datetime) -> list[Session]:
    """Coming sessions first (soonest first), then past ones (latest first)."""
    coming = sorted((s for s in sessions if s.starts_at >= now), key=lambda s: s.starts_at)
    past = sorted((s for s in sessions if s.starts_at < now), key=lambda s: s.starts_at)
    return coming + past[::-1]


# The list ---------------------------------------------------------------------------------


class SessionModel(RecordTable):
    """A client's sessions: coming first, then past; the coach's and the client's time."""

    HEADERS = ("", "Your time", "Client's time", "Length", "Status", "Where")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._zone = "UTC"
        self._now = utc_now()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The session's times, length, status and place."""
        session = self.session_at(index.row()) if index.isValid() else None
        if session is None:
            return None
        column = index.column()
        coming = session.starts_at >= self._now
        if role == Qt.ItemDataRole.DisplayRole:
            there = session.client_time()
            return (
                "Coming" if coming else "Past",
                when_text(in_zone(session.starts_at, self._zone)),
                f"{when_text(there, year=False)} {there.tzname() or ''}".strip(),
                f"{session.minutes} min",
                session.status.label,
                session.location,
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return f"In {session.client_zone}"
            if column == 1:
                return f"In {self._zone}"
            if session.override_reason:
                return f"Booked or moved past a rule: {session.override_reason}"
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 4 and session.status in STATUS_COLORS:
                return QColor(STATUS_COLORS[session.status])
            if column == 0 or not coming:
                return QPalette().color(QPalette.ColorRole.PlaceholderText)
        return None

    def set_sessions(self, sessions: Sequence[Session], zone: str) -> None:
        """Show these sessions with times in the coach's `zone`."""
        self._zone = zone
        self._now = utc_now()
        self.set_rows(ordered(sessions, self._now))

    def session_at(self, row: int) -> Session | None:
        """The session shown in a row."""
        found: Session | None = self.row_at(row)
        return found


# Enrol ------------------------------------------------------------------------------------


class EnrolDialog(QDialog):
    """Sell a client one of the offers, starting today.

    Args:
        ops: the vault operations.
        client: who enrols.
        parent: the owning widget.

    Signals:
        enrolled: the new Enrolment.
    """

    enrolled = Signal(object)

    def __init__(self, ops: VaultOps, client: Client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.client = client
        self.offers: list[Offer] = []
        self.setWindowTitle(f"Enrol {client.display_name}")
        self.setObjectName("enrolDialog")
        self.setMinimumWidth(520)
        self.offer = QComboBox()
        self.offer.setObjectName("enrolOffer")
        self.offer.currentIndexChanged.connect(self._on_offer_changed)
        self.detail = muted()
        self.detail.setObjectName("offerDetail")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOR};")
        self.message.setVisible(False)
        self.busy = busy_bar()
        self.buttons, self.enrol_button, cancel = dialog_buttons("Enrol", "Cancel")
        self.enrol_button.setEnabled(False)
        self.enrol_button.clicked.connect(self._on_enrol_clicked)
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("Offer", self.offer)
        form.addRow("", self.detail)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(heading(f"Enrol {client.display_name} in an offer", 3))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        ops.closed.connect(lambda: self.done(QDialog.DialogCode.Rejected))
        QTimer.singleShot(
            0,
            self,
            lambda: ops.run(
                list_offers,
                on_done=self._on_offers,
                on_error=self._on_failed,
                owner=self,
                context="listing offers",
            ),
        )

    def _on_offers(self, offers: list[Offer]) -> None:
        self.busy.setVisible(False)
        self.offers = offers
        for offer in offers:
            self.offer.addItem(f"{offer.terms.name} ({offer.terms.tier.label})", offer.id)
        if not offers:
            set_message(
                self.message,
                "There are no offers yet. Add one under Offers first, then enrol the client.",
            )
        self._on_offer_changed()

    @Slot()
    def _on_offer_changed(self, *_args: object) -> None:
        offer = next((o for o in self.offers if o.id == self.offer.currentData()), None)
        self.detail.setText(policy_text(offer) if offer else "")
        self.enrol_button.setEnabled(offer is not None)
        fit_height(self)

    @Slot()
    def _on_enrol_clicked(self) -> None:
        offer_id, client_id = self.offer.currentData(), self.client.id
        if offer_id is None:
            return
        self.busy.setVisible(True)
        self.enrol_button.setEnabled(False)
        self._ops.run(
            lambda vault: enrol_client(vault, client_id, offer_id),
            on_done=self._on_enrolled,
            on_error=self._on_failed,
            changes="billing",
            owner=self,
            context="enrolling a client",
        )

    def _on_enrolled(self, enrolment: Enrolment) -> None:
        # Enrolments weigh in renewal risk, which the client list shows.
        self._ops.changed.emit("clients")
        self.enrolled.emit(enrolment)
        self.accept()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self.busy.setVisible(False)
        self._on_offer_changed()
        if failure.known:
            set_message(self.message, failure.inline_text)
        else:
            show_failure(self, failure)


# The tab ----------------------------------------------------------------------------------


class ClientSessions(QWidget):
    """One client's enrolments and sessions, with booking and proposing times.

    The client page reads the data on the db lane (`load_sessions`) and hands
    it to `show_data`; after a change of kind "sessions" or "billing" it reads
    it again. Everything the buttons do runs on the db lane.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        settings_requested: the coach wants to set working hours.
    """

    notice = Signal(str, object)
    settings_requested = Signal()

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.client: Client | None = None
        self.data: SessionsData | None = None
        self.dialog: QDialog | None = None

        self.enrolments = QLabel()
        self.enrolments.setObjectName("enrolmentLines")
        self.enrolments.setWordWrap(True)
        self.enrolments.setTextFormat(Qt.TextFormat.RichText)
        self.enrolments.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.enrol_button = QPushButton("Enrol…")
        self.enrol_button.setObjectName("enrolButton")
        self.enrol_button.setToolTip("Sell this client one of your offers")
        self.enrol_button.clicked.connect(self.enrol)
        enrol_row = QHBoxLayout()
        enrol_row.addWidget(self.enrolments, 1)
        enrol_row.addWidget(self.enrol_button, 0, Qt.AlignmentFlag.AlignTop)

        self.book_button = QPushButton("Book session…")
        self.book_button.setObjectName("bookSessionButton")
        self.book_button.clicked.connect(self.book)
        self.propose_button = QPushButton("Propose times…")
        self.propose_button.setToolTip("Write a message offering free times in the client's zone")
        self.propose_button.clicked.connect(self.propose_times)
        self.done_button = QPushButton("Mark done")
        self.done_button.clicked.connect(lambda: self._mark(SessionStatus.DONE))
        self.no_show_button = QPushButton("No-show")
        self.no_show_button.setToolTip("The client did not come")
        self.no_show_button.clicked.connect(lambda: self._mark(SessionStatus.NO_SHOW))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip(
            "Cancel the session (inside the offer's notice it is a late cancel)"
        )
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.reschedule_button = QPushButton("Reschedule…")
        self.reschedule_button.clicked.connect(self._on_reschedule_clicked)
        self.invite_button = QPushButton("Send invite…")
        self.invite_button.setToolTip(
            "Open an e-mail draft to the client with a calendar invite (.ics) attached"
        )
        self.invite_button.clicked.connect(self._on_invite_clicked)
        self.reminder_button = QPushButton("Send reminder…")
        self.reminder_button.setToolTip(
            "Open a reminder e-mail draft to the client: when and where, never your notes"
        )
        self.reminder_button.clicked.connect(self._on_reminder_clicked)
        buttons = QHBoxLayout()
        for button in (self.book_button, self.propose_button):
            buttons.addWidget(button)
        buttons.addSpacing(16)
        for button in (
            self.done_button,
            self.no_show_button,
            self.cancel_button,
            self.reschedule_button,
            self.invite_button,
            self.reminder_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.count = muted(wrap=False)
        self.count.setObjectName("sessionsCount")
        self.message = QLabel()
        self.message.setObjectName("sessionsMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        self.model = SessionModel(self)
        table = self.table = QTableView()
        table.setObjectName("sessionsTable")
        table.setModel(self.model)
        list_table(table)
        header = table.horizontalHeader()
        for column in range(5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        table.doubleClicked.connect(lambda _index: self._on_reschedule_clicked())
        self.empty = EmptyState(
            "No sessions yet",
            "Book the first session, or propose a few times and let the client choose.",
            "Book session…",
        )
        assert self.empty.button is not None
        self.empty.button.clicked.connect(self.book)
        self.stack = QStackedWidget()
        self.stack.addWidget(table)
        self.stack.addWidget(self.empty)

        sessions_title = QHBoxLayout()
        sessions_title.addWidget(heading("Sessions", 2))
        sessions_title.addSpacing(8)
        sessions_title.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        sessions_title.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 4, 4)
        layout.setSpacing(8)
        layout.addWidget(heading("Enrolments", 2))
        layout.addLayout(enrol_row)
        layout.addSpacing(8)
        layout.addLayout(sessions_title)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        self.clear()

    # Public API -----------------------------------------------------------------------

    def set_client(self, client: Client) -> None:
        """The client whose sessions are shown (the page loads them)."""
        if self.client is None or self.client.id != client.id:
            self.model.clear()
            self.data = None
            set_message(self.message, None)
        self.client = client
        self._update_buttons()

    def show_data(self, data: SessionsData) -> None:
        """Show the client's enrolments and sessions, keeping the selected session."""
        current = self.current_session()
        self.data = data
        self.model.set_sessions(data.sessions, data.coach_zone)
        self.stack.setCurrentWidget(self.table if data.sessions else self.empty)
        self._show_enrolments(data)
        now = utc_now()
        coming = sum(
            1 for s in data.sessions if s.starts_at >= now and s.status is SessionStatus.SCHEDULED
        )
        past = sum(1 for s in data.sessions if s.starts_at < now)
        self.count.setText(f"{coming} coming · {past} past" if data.sessions else "")
        self._resize_columns()
        if current is not None:
            self.select_session(current.id)
        self._update_buttons()

    def clear(self) -> None:
        """Forget the client and every session (the vault is locking)."""
        if self.dialog is not None:
            self.dialog.done(QDialog.DialogCode.Rejected)
            self.dialog = None
        self.client = None
        self.data = None
        self.model.clear()
        self.enrolments.clear()
        self.count.clear()
        set_message(self.message, None)
        self.stack.setCurrentWidget(self.table)
        self._update_buttons()

    def select_session(self, session_id: int) -> bool:
        """Select a session in the list (False when it is not shown)."""
        row = self.model.row_of(session_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def current_session(self) -> Session | None:
        """The selected session."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.session_at(rows[0].row()) if rows else None

    @property
    def coming_count(self) -> int:
        """Scheduled sessions still to come (for the tab's title)."""
        if self.data is None:
            return 0
        now = utc_now()
        return sum(
            1
            for s in self.data.sessions
            if s.starts_at >= now and s.status is SessionStatus.SCHEDULED
        )

    @Slot()
    def book(self) -> None:
        """Open the booking form."""
        if self.client is not None:
            dialog = BookSessionDialog(self._ops, self.client, self)
            dialog.booked.connect(self._on_booked)
            self._open(dialog)

    @Slot()
    def enrol(self) -> None:
        """Open the form to enrol the client in an offer."""
        if self.client is not None:
            dialog = EnrolDialog(self._ops, self.client, self)
            dialog.enrolled.connect(
                lambda e: self.notice.emit(f"Enrolled in {e.offer_name}.", None)
            )
            self._open(dialog)

    @Slot()
    def propose_times(self) -> None:
        """Open the message proposing free times."""
        if self.client is not None:
            dialog = ProposeTimesDialog(self._ops, self.client, self)
            dialog.notice.connect(self.notice)
            dialog.settings_requested.connect(self.settings_requested)
            self._open(dialog)

    # Helpers --------------------------------------------------------------------------

    def _show_enrolments(self, data: SessionsData) -> None:
        if not data.enrolments:
            self.enrolments.setText(
                "<span style='color: gray'>Not enrolled in an offer yet — use Enrol… "
                "to sell this client an offer and track their sessions.</span>"
            )
            return
        lines = []
        for enrolment in data.enrolments:
            done = sum(
                1
                for s in data.sessions
                if s.enrolment_id == enrolment.id and s.status is SessionStatus.DONE
            )
            text = escape(enrolment_line(enrolment, done), quote=False)
            if not enrolment.active:
                text = f"<span style='color: gray'>{text}</span>"
            elif enrolment.sessions_left == 0:
                text += f" <span style='color: {ERROR_COLOR}'>— none left</span>"
            lines.append(text)
        self.enrolments.setText("<br>".join(lines))

    def _resize_columns(self) -> None:
        for column in range(5):
            self.table.resizeColumnToContents(column)
            self.table.setColumnWidth(column, self.table.columnWidth(column) + 16)

    def _open(self, dialog: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.done(QDialog.DialogCode.Rejected)
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._on_dialog_finished(dialog))
        dialog.open()

    def _on_dialog_finished(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        delete_soon(dialog, self)

    def _update_buttons(self) -> None:
        has_client = self.client is not None and self._ops.is_open
        for button in (self.book_button, self.propose_button, self.enrol_button):
            button.setEnabled(has_client)
        session = self.current_session()
        scheduled = session is not None and session.status is SessionStatus.SCHEDULED
        self.done_button.setEnabled(
            session is not None and session.status is not SessionStatus.DONE
        )
        self.no_show_button.setEnabled(
            session is not None and session.status is not SessionStatus.NO_SHOW
        )
        self.cancel_button.setEnabled(scheduled)
        self.reschedule_button.setEnabled(scheduled)
        self.invite_button.setEnabled(
            session is not None and session.client_id is not None and scheduled
        )
        self.reminder_button.setEnabled(self.invite_button.isEnabled())

    def _run(
        self,
        fn: Callable[[Vault], Any],
        context: str,
        on_done: Callable[[Any], None],
    ) -> None:
        set_message(self.message, None)
        self._ops.run(
            fn,
            on_done=on_done,
            on_error=self._on_failed,
            changes="sessions",
            owner=self,
            context=context,
        )

    def _mark(self, status: SessionStatus) -> None:
        session = self.current_session()
        if session is None:
            return
        session_id, before = session.id, session.status

        def undo() -> None:
            self._run(
                lambda vault: mark_session(vault, session_id, before),
                "undoing a session mark",
                lambda _s: None,
            )

        self._run(
            lambda vault: mark_session(vault, session_id, status),
            f"marking a session {status.label.lower()}",
            lambda s: self.notice.emit(
                f"Marked the session on {self._short(s)} {s.status.label.lower()}.", undo
            ),
        )

    def _short(self, session: Session) -> str:
        zone = self.data.coach_zone if self.data else session.coach_zone
        return when_text(in_zone(session.starts_at, zone), year=False)

    # Slots ----------------------------------------------------------------------------

    @Slot()
    def _on_selection_changed(self, *_args: object) -> None:
        self._update_buttons()

    def _on_booked(self, booked: list[Session]) -> None:
        if not booked:
            return
        first = booked[0]
        if len(booked) == 1:
            text = f"Booked a session on {self._short(first)}."
        else:
            text = f"Booked {len(booked)} sessions from {self._short(first)}."
        self.notice.emit(text, None)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        session = self.current_session()
        if session is None:
            return
        session_id, before = session.id, session.status

        def undo() -> None:
            self._run(
                lambda vault: mark_session(vault, session_id, before),
                "undoing a cancel",
                lambda _s: None,
            )

        def done(cancelled: Session) -> None:
            if cancelled.status is SessionStatus.LATE_CANCEL:
                text = (
                    f"Cancelled the session on {self._short(cancelled)} late "
                    "(inside the notice): the offer's policy decides if it counts."
                )
            else:
                text = f"Cancelled the session on {self._short(cancelled)}."
            self.notice.emit(text, undo)

        self._run(lambda vault: cancel_session(vault, session_id), "cancelling a session", done)

    @Slot()
    def _on_reschedule_clicked(self) -> None:
        session = self.current_session()
        if session is None or self.client is None or session.status is not SessionStatus.SCHEDULED:
            return
        zone = self.data.coach_zone if self.data else session.coach_zone
        dialog = RescheduleDialog(self._ops, session, self.client, zone, self)
        dialog.rescheduled.connect(
            lambda s: self.notice.emit(f"Moved the session to {self._short(s)}.", None)
        )
        self._open(dialog)

    @Slot()
    def _on_invite_clicked(self) -> None:
        self._hand_off(self.invite_button, hand_off_invite, "preparing a session invite")

    @Slot()
    def _on_reminder_clicked(self) -> None:
        self._hand_off(self.reminder_button, hand_off_reminder, "preparing a session reminder")

    def _hand_off(
        self, button: QPushButton, draft: Callable[[Vault, int], Path], context: str
    ) -> None:
        """Write an e-mail draft for the selected session on the db lane, then open it."""
        session = self.current_session()
        if session is None:
            return
        session_id = session.id
        button.setEnabled(False)
        self._ops.run(
            lambda vault: draft(vault, session_id),
            on_done=self._on_draft_ready,
            on_error=self._on_failed,
            owner=self,
            context=context,
        )

    def _on_draft_ready(self, path: Path) -> None:
        self._update_buttons()
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.notice.emit("Opened an e-mail draft in your mail app.", None)
        else:
            self._show_error(
                "No mail app opened the draft. Set a default mail app on this computer, "
                "then try again."
            )

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self._update_buttons()
        if failure.known:
            self._show_error(failure.inline_text)
        else:
            show_failure(self, failure)

    def _show_error(self, text: str) -> None:
        self.message.setStyleSheet(f"color: {ERROR_COLOR};")
        set_message(self.message, text)
