"""Starting a group programme (a cohort) on an offer: its members and weekly group sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QTime, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import ClientRow, ClientStatus
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.scheduling import Offer, SessionDraft, from_wall_clock
from coachdesk.ui.dialogs.record_editor import date_edit, py_date
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    FieldErrors,
    busy_bar,
    dialog_buttons,
    error_label,
    heading,
    muted,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

MEMBER_STATUSES = (ClientStatus.ACTIVE, ClientStatus.LEAD)
DEFAULT_TIME = time(18, 0)


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class CohortContext:
    """What the form needs: the coach's zone and the clients who can join."""

    coach_zone: str
    clients: tuple[ClientRow, ...]


def cohort_context(vault: Vault) -> CohortContext:
    """Db lane: the coach's time zone and the active clients and leads, by name."""
    from coachdesk.services import clients, practice

    zone = practice.get_profile(vault).time_zone or "UTC"
    rows = [r for r in clients.list_clients(vault) if r.status in MEMBER_STATUSES]
    return CohortContext(zone, tuple(sorted(rows, key=lambda r: r.name.casefold())))


@dataclass(frozen=True, slots=True)
class CohortRequest:
    """A cohort as the form describes it (session times in the coach's zone)."""

    name: str
    offer_id: int
    start_on: date
    client_ids: tuple[int, ...]
    sessions: int = 0
    at: time = DEFAULT_TIME
    minutes: int = 60


@dataclass(frozen=True, slots=True)
class CohortStarted:
    """What was made: the cohort, how many joined and how many sessions were booked."""

    cohort_id: int
    name: str
    members: int
    sessions: int


def start_cohort(vault: Vault, request: CohortRequest) -> CohortStarted:
    """Db lane: create the cohort, enrol its members and book its weekly group sessions."""
    from coachdesk.services import offers, practice, sessions

    cohort_id = offers.create_cohort(
        vault, request.name, request.offer_id, request.start_on, list(request.client_ids)
    )
    zone = practice.get_profile(vault).time_zone or "UTC"
    for week in range(request.sessions):
        day = request.start_on + timedelta(weeks=week)
        draft = SessionDraft(
            None,
            from_wall_clock(day, request.at, zone),
            request.minutes,
            zone,
            cohort_id=cohort_id,
        )
        sessions.book(vault, draft)
    name = " ".join(request.name.split())
    return CohortStarted(cohort_id, name, len(set(request.client_ids)), request.sessions)


# Words ------------------------------------------------------------------------------------


def default_name(offer: Offer, start: date) -> str:
    """ "Career Sprint, January 2027"."""
    return f"{offer.terms.name}, {start:%B %Y}"


def plural(count: int, word: str) -> str:
    """ "1 client", "3 clients"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def started_text(result: CohortStarted) -> str:
    """ "Started Career Sprint, January 2027 with 5 clients and 6 sessions."."""
    text = f"Started {result.name} with {plural(result.members, 'client')}"
    if result.sessions:
        text += f" and {plural(result.sessions, 'session')}"
    return text + "."


class CohortDialog(QDialog):
    """Start a group programme on an offer: name, start, members and weekly sessions.

    Args:
        ops: the vault operations.
        offer: the offer the programme is sold under.
        parent: the owning widget.

    Signals:
        created: the new cohort's id, after it was saved.
    """

    created = Signal(int)

    def __init__(self, ops: VaultOps, offer: Offer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._offer = offer
        self._loaded = False
        self._named_by_default = True
        self.summary = ""
        self.setWindowTitle("Start a group programme")
        self.setMinimumWidth(600)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("cohortName")
        self.start_edit = date_edit(date.today() + timedelta(days=7))
        self.start_edit.setObjectName("cohortStart")
        self.name_edit.setText(default_name(offer, py_date(self.start_edit.date())))
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.start_edit.dateChanged.connect(self._on_start_changed)

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("cohortFilter")
        self.filter_edit.setPlaceholderText("Filter by name, e-mail or company")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        self.client_list = QListWidget()
        self.client_list.setObjectName("cohortClients")
        self.client_list.setMinimumHeight(180)
        self.client_list.itemChanged.connect(self._on_item_changed)
        self.chosen_label = muted(wrap=False)
        self.empty_label = muted(
            "No active clients or leads yet. Add the people who are joining on the Clients "
            "page, then come back here."
        )
        self.empty_label.setVisible(False)
        members = QWidget()
        members_layout = QVBoxLayout(members)
        members_layout.setContentsMargins(0, 0, 0, 0)
        members_layout.setSpacing(4)
        members_layout.addWidget(self.filter_edit)
        members_layout.addWidget(self.client_list, 1)
        members_layout.addWidget(self.empty_label)
        members_layout.addWidget(self.chosen_label)

        terms = offer.terms
        self.book_check = QCheckBox("Book weekly group sessions")
        self.book_check.setObjectName("cohortBook")
        self.book_check.setChecked(terms.session_count > 0)
        self.book_check.toggled.connect(self._on_book_toggled)
        self.count_spin = QSpinBox()
        self.count_spin.setObjectName("cohortSessions")
        self.count_spin.setRange(1, 52)
        self.count_spin.setValue(max(1, min(52, terms.session_count)))
        self.count_spin.setSuffix(" sessions")
        self.weekday_label = QLabel()
        self.time_edit = QTimeEdit(QTime(DEFAULT_TIME.hour, DEFAULT_TIME.minute))
        self.time_edit.setObjectName("cohortTime")
        self.time_edit.setDisplayFormat("HH:mm")
        self.zone_label = muted("(your time)", wrap=False)
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setObjectName("cohortMinutes")
        self.minutes_spin.setRange(15, 480)
        self.minutes_spin.setSingleStep(5)
        self.minutes_spin.setValue(max(15, min(480, terms.session_minutes)))
        self.minutes_spin.setSuffix(" minutes")
        for edit in (self.count_spin, self.time_edit, self.minutes_spin, self.start_edit):
            hint = edit.sizeHint()
            edit.setMinimumWidth(hint.width() + 16)
        weekly = QWidget()
        weekly_layout = QVBoxLayout(weekly)
        weekly_layout.setContentsMargins(24, 0, 0, 0)
        weekly_layout.setSpacing(4)
        when_row = QHBoxLayout()
        when_row.addWidget(self.count_spin)
        when_row.addWidget(self.weekday_label)
        when_row.addWidget(self.time_edit)
        when_row.addWidget(self.zone_label)
        when_row.addStretch(1)
        length_row = QHBoxLayout()
        length_row.addWidget(QLabel("each lasting"))
        length_row.addWidget(self.minutes_spin)
        length_row.addStretch(1)
        weekly_layout.addLayout(when_row)
        weekly_layout.addLayout(length_row)
        self.weekly_box = weekly

        self.errors = FieldErrors()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&Name:", self.errors.add("name", self.name_edit))
        form.addRow("&Starts on:", self.errors.add("start", self.start_edit))
        form.addRow("&Members:", self.errors.add("clients", members))

        self.message = error_label()
        self.message.setObjectName("cohortMessage")
        self.busy = busy_bar()
        self.busy.setVisible(True)
        box, self.create_button, self.cancel_button = dialog_buttons("Create", "Cancel")
        self.create_button.setObjectName("cohortCreate")
        self.create_button.clicked.connect(self._on_create_clicked)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(heading(f"Start a group programme on “{terms.name}”", 3))
        layout.addWidget(
            muted(
                "Everyone you tick is enrolled in the offer from the start date. "
                "Group sessions count for every member."
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.book_check)
        layout.addWidget(self.weekly_box)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(box)

        self._update_weekday()
        self._update_chosen()
        self._on_book_toggled(self.book_check.isChecked())
        self.create_button.setEnabled(False)
        self._ops.run(
            cohort_context,
            on_done=self._on_context_loaded,
            on_error=self._on_failed,
            owner=self,
            context="reading your clients",
        )

    # Public API ---------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        """Whether the clients to choose from have been read."""
        return self._loaded

    def chosen_ids(self) -> list[int]:
        """The ids of the ticked clients, in list order (hidden ones included)."""
        return [
            int(item.data(Qt.ItemDataRole.UserRole))
            for item in self._items()
            if item.checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, client_id: int, checked: bool = True) -> None:
        """Tick (or untick) a client by id."""
        for item in self._items():
            if item.data(Qt.ItemDataRole.UserRole) == client_id:
                state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
                item.setCheckState(state)

    def request(self) -> CohortRequest:
        """The cohort as the form describes it; ValidationError naming each bad field."""
        errors: dict[str, str] = {}
        name = " ".join(self.name_edit.text().split())
        if not name:
            errors["name"] = "Give the programme a name, such as the offer and the month."
        ids = tuple(self.chosen_ids())
        if not ids:
            errors["clients"] = "Tick at least one client to enrol."
        if errors:
            raise ValidationError(errors)
        booking = self.book_check.isChecked()
        at = self.time_edit.time()
        return CohortRequest(
            name,
            self._offer.id,
            py_date(self.start_edit.date()),
            ids,
            self.count_spin.value() if booking else 0,
            time(at.hour(), at.minute()),
            self.minutes_spin.value(),
        )

    # Plumbing -----------------------------------------------------------------

    def _items(self) -> list[QListWidgetItem]:
        return [self.client_list.item(i) for i in range(self.client_list.count())]

    def _update_chosen(self) -> None:
        count = len(self.chosen_ids())
        self.chosen_label.setText(
            f"{plural(count, 'client')} ticked" if count else "Tick the clients who are joining."
        )

    def _update_weekday(self) -> None:
        self.weekday_label.setText(f"on {py_date(self.start_edit.date()):%A}s at")

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.create_button.setEnabled(not busy and self._loaded)

    # Slots --------------------------------------------------------------------

    @Slot(object)
    def _on_context_loaded(self, context: CohortContext) -> None:
        self._loaded = True
        self.zone_label.setText(f"(your time, {context.coach_zone})")
        self.client_list.blockSignals(True)
        for row in context.clients:
            detail = " · ".join(part for part in (row.status.value.capitalize(), row.email) if part)
            item = QListWidgetItem(f"{row.name}  —  {detail}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, row.search_text or row.name.casefold())
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.client_list.addItem(item)
        self.client_list.blockSignals(False)
        self.empty_label.setVisible(not context.clients)
        self.client_list.setVisible(bool(context.clients))
        self.filter_edit.setVisible(bool(context.clients))
        self._update_chosen()
        self._set_busy(False)

    @Slot(str)
    def _on_name_edited(self, _text: str) -> None:
        self._named_by_default = False

    @Slot(QDate)
    def _on_start_changed(self, day: QDate) -> None:
        if self._named_by_default:
            self.name_edit.setText(default_name(self._offer, py_date(day)))
        self._update_weekday()

    @Slot(str)
    def _on_filter_changed(self, text: str) -> None:
        words = text.casefold().split()
        for item in self._items():
            haystack = f"{item.text().casefold()} {item.data(Qt.ItemDataRole.UserRole + 1)}"
            item.setHidden(not all(word in haystack for word in words))

    @Slot(QListWidgetItem)
    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        self._update_chosen()
        self.errors.set("clients", None)

    @Slot(bool)
    def _on_book_toggled(self, checked: bool) -> None:
        self.weekly_box.setEnabled(checked)

    @Slot()
    def _on_create_clicked(self) -> None:
        set_message(self.message, None)
        try:
            request = self.request()
        except ValidationError as error:
            self.errors.show(error.errors)
            return
        self.errors.clear()
        self._set_busy(True)
        self._ops.run(
            lambda vault: start_cohort(vault, request),
            on_done=self._on_created,
            on_error=self._on_failed,
            changes="billing",
            owner=self,
            context="starting the group programme",
        )

    @Slot(object)
    def _on_created(self, result: CohortStarted) -> None:
        self.summary = started_text(result)
        self._ops.changed.emit("sessions")
        self._ops.changed.emit("clients")
        self.created.emit(result.cohort_id)
        self.accept()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self._set_busy(False)
        if isinstance(failure.error, ValidationError):
            rest = self.errors.show(failure.error.errors)
            set_message(self.message, " ".join(rest.values()) or None)
        elif failure.known:
            set_message(self.message, failure.inline_text)
        else:
            set_message(
                self.message,
                "Something went wrong while saving. Nothing you typed is lost; try Create again.",
            )
