"""A client's Sessions tab as a coach uses it: book, repeat, mark, gate, reschedule, propose."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QDateTimeEdit
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import (
    OfferTerms,
    Session,
    SessionDraft,
    SessionStatus,
    WorkingHours,
    from_wall_clock,
    in_zone,
)
from coachdesk.paths import handoff_dir
from coachdesk.services import calendar, clients, offers, practice, sessions, vault_settings
from coachdesk.settings import BOOKING_GATE
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.book_session import BookSessionDialog, RescheduleDialog
from coachdesk.ui.dialogs.propose_times import ProposeTimesDialog
from coachdesk.ui.lanes import Lane
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.views.client_page import ClientPage
from coachdesk.ui.views.client_sessions import ClientSessions, EnrolDialog, SessionModel
from tests.ui.conftest import WAIT_MS, on_lane

T = TypeVar("T")
LONDON = "Europe/London"
NEW_YORK = "America/New_York"


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    """Vault operations over a real vault (coach in London) on their own db lane."""
    practice.save_profile(vault, PracticeProfile("Sam Rivera", "Rivera Coaching", LONDON, "GBP"))
    lane = Lane("db")
    made = VaultOps(lane)
    made.open(vault, UnlockMode.PASSPHRASE)
    yield made
    lane.shutdown(wait=True)


@pytest.fixture
def ada(qtbot: QtBot, ops: VaultOps) -> Client:
    """A client in New York."""
    draft = ClientDraft(
        first_name="Ada",
        last_name="Lovelace",
        emails=("ada@example.com",),
        time_zone=NEW_YORK,
        status=ClientStatus.ACTIVE,
    )
    return on_lane(qtbot, ops, lambda vault: clients.create_client(vault, draft))


def enrol(qtbot: QtBot, ops: VaultOps, client: Client, count: int = 6) -> int:
    """Sell the client an offer of `count` sessions; the enrolment's id."""

    def sell(vault: Vault) -> int:
        offer = offers.create_offer(
            vault, OfferTerms("Career Reset", session_count=count, session_minutes=45)
        )
        return offers.enrol(vault, client.id, offer.id).id

    return on_lane(qtbot, ops, sell)


def book_at(qtbot: QtBot, ops: VaultOps, client: Client, start: datetime) -> Session:
    draft = SessionDraft(client.id, start, 60)
    return on_lane(qtbot, ops, lambda vault: sessions.book(vault, draft))


def client_sessions(qtbot: QtBot, ops: VaultOps, client: Client) -> list[Session]:
    return on_lane(
        qtbot,
        ops,
        lambda vault: sessions.list_sessions(
            vault, datetime(2000, 1, 1), datetime(2100, 1, 1), client.id
        ),
    )


def show_sessions(qtbot: QtBot, ops: VaultOps, client: Client) -> ClientPage:
    """The client's page, open on the Sessions tab with its data loaded."""
    page = ClientPage(ops)
    qtbot.addWidget(page)
    page.resize(1180, 720)
    page.show()
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "overview"):
        page.set_client(client)
    with qtbot.waitSignal(
        page.loaded, check_params_cb=lambda name: name == "sessions", timeout=WAIT_MS
    ):
        page.show_tab("sessions")
    return page


def click(qtbot: QtBot, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def reload(qtbot: QtBot, page: ClientPage, action: Callable[[], None]) -> None:
    """Do something that changes sessions and wait for the tab to show it."""
    with qtbot.waitSignal(
        page.loaded, check_params_cb=lambda name: name == "sessions", timeout=WAIT_MS
    ):
        action()


def open_booking(qtbot: QtBot, tab: ClientSessions) -> BookSessionDialog:
    click(qtbot, tab.book_button)
    dialog = tab.dialog
    assert isinstance(dialog, BookSessionDialog)
    qtbot.waitUntil(lambda: dialog.when.zone == LONDON and dialog.book_button.isEnabled())
    return dialog


def type_time(qtbot: QtBot, dialog: BookSessionDialog, text: str) -> None:
    edit = dialog.when.time_edit
    edit.setFocus()
    edit.setSelectedSection(QDateTimeEdit.Section.HourSection)
    qtbot.keyClicks(edit, text)


def table_texts(tab: ClientSessions, column: int) -> list[str]:
    model = tab.model
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_book_a_session_from_the_clients_page(qtbot: QtBot, ops: VaultOps, ada: Client) -> None:
    page = show_sessions(qtbot, ops, ada)
    tab = page.sessions
    assert tab.stack.currentWidget() is tab.empty
    assert "Not enrolled in an offer yet" in tab.enrolments.text()

    dialog = open_booking(qtbot, tab)
    dialog.when.date_edit.setDate(QDate(2027, 1, 12))
    type_time(qtbot, dialog, "14:30")
    assert dialog.when.at == time(14, 30)
    assert dialog.when.client_line.text() == "That is Tue 12 Jan, 09:30 for Ada (America/New_York)."
    qtbot.keyClicks(dialog.location, "https://meet.example/ada")
    reload(qtbot, page, lambda: click(qtbot, dialog.book_button))

    stored = client_sessions(qtbot, ops, ada)
    assert len(stored) == 1
    assert stored[0].starts_at == datetime(2027, 1, 12, 14, 30)
    assert stored[0].client_zone == NEW_YORK
    assert stored[0].location == "https://meet.example/ada"
    assert tab.stack.currentWidget() is tab.table
    assert table_texts(tab, 1) == ["Tue 12 Jan 2027, 14:30"]
    assert table_texts(tab, 2) == ["Tue 12 Jan, 09:30 EST"]
    assert table_texts(tab, 4) == ["Scheduled"]
    assert page.tabs.tabText(5) == "Sessions (1)"


def test_weekly_series_keeps_the_london_time_across_the_clock_change(
    qtbot: QtBot, ops: VaultOps, ada: Client
) -> None:
    page = show_sessions(qtbot, ops, ada)
    dialog = open_booking(qtbot, page.sessions)
    dialog.when.date_edit.setDate(QDate(2026, 10, 20))
    type_time(qtbot, dialog, "10:00")
    assert "Tue 20 Oct, 05:00 for Ada" in dialog.when.client_line.text()
    dialog.repeat.setCurrentIndex(dialog.repeat.findText("Weekly"))
    dialog.count.setValue(3)
    reload(qtbot, page, lambda: click(qtbot, dialog.book_button))

    stored = sorted(client_sessions(qtbot, ops, ada), key=lambda s: s.starts_at)
    assert [in_zone(s.starts_at, LONDON).strftime("%a %d %b %H:%M") for s in stored] == [
        "Tue 20 Oct 10:00",
        "Tue 27 Oct 10:00",
        "Tue 03 Nov 10:00",
    ]
    assert [s.starts_at.hour for s in stored] == [9, 10, 10]
    assert len({s.series_id for s in stored}) == 1
    assert sorted(table_texts(page.sessions, 1)) == [
        "Tue 20 Oct 2026, 10:00",
        "Tue 27 Oct 2026, 10:00",
        "Tue 3 Nov 2026, 10:00",
    ]


def test_marking_done_counts_in_the_enrolment_line(
    qtbot: QtBot, ops: VaultOps, ada: Client
) -> None:
    enrol(qtbot, ops, ada, count=6)
    start = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) - timedelta(days=2)
    book_at(qtbot, ops, ada, start)
    page = show_sessions(qtbot, ops, ada)
    tab = page.sessions
    assert "Career Reset: 1 of 6 used (0 done) · 5 left" in tab.enrolments.text()
    assert not tab.done_button.isEnabled()

    tab.table.selectRow(0)
    assert tab.done_button.isEnabled()
    notices: list[str] = []
    tab.notice.connect(lambda text, _undo: notices.append(text))
    reload(qtbot, page, lambda: click(qtbot, tab.done_button))

    assert "1 of 6 used (1 done) · 5 left" in tab.enrolments.text()
    assert table_texts(tab, 4) == ["Done"]
    assert notices and "done" in notices[-1]


def test_a_blocking_gate_needs_a_reason(qtbot: QtBot, ops: VaultOps, ada: Client) -> None:
    on_lane(qtbot, ops, lambda vault: vault_settings.put(vault, BOOKING_GATE, "block"))
    enrol(qtbot, ops, ada, count=1)
    book_at(qtbot, ops, ada, datetime(2027, 1, 5, 10, 0))
    page = show_sessions(qtbot, ops, ada)
    assert "none left" in page.sessions.enrolments.text()

    dialog = open_booking(qtbot, page.sessions)
    assert dialog.minutes.value() == 45  # the offer's session length
    dialog.when.date_edit.setDate(QDate(2027, 1, 19))
    click(qtbot, dialog.book_button)
    qtbot.waitUntil(lambda: dialog.gate_box.isVisible(), timeout=WAIT_MS)

    assert "No sessions left on Career Reset." in dialog.gate_box.text()
    assert dialog.reason_row.isVisible()
    assert dialog.book_button.text() == "Book anyway"
    assert not dialog.book_button.isEnabled()
    click(qtbot, dialog.book_button)
    assert dialog.isVisible()
    assert len(client_sessions(qtbot, ops, ada)) == 1

    qtbot.keyClicks(dialog.reason, "Paid for an extra session in cash")
    assert dialog.book_button.isEnabled()
    reload(qtbot, page, lambda: click(qtbot, dialog.book_button))

    stored = client_sessions(qtbot, ops, ada)
    assert len(stored) == 2
    assert stored[-1].override_reason == "Paid for an extra session in cash"
    assert len(table_texts(page.sessions, 1)) == 2


def test_rescheduling_inside_the_notice_asks_for_a_reason(
    qtbot: QtBot, ops: VaultOps, ada: Client
) -> None:
    soon = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) + timedelta(hours=5)
    booked = book_at(qtbot, ops, ada, soon)
    page = show_sessions(qtbot, ops, ada)
    tab = page.sessions
    tab.table.selectRow(0)
    click(qtbot, tab.reschedule_button)
    dialog = tab.dialog
    assert isinstance(dialog, RescheduleDialog)
    dialog.when.date_edit.setDate(dialog.when.date_edit.date().addDays(2))

    click(qtbot, dialog.move_button)
    qtbot.waitUntil(lambda: dialog.reason_row.isVisible(), timeout=WAIT_MS)
    assert "24 hours' notice" in dialog.message.text()
    assert not dialog.move_button.isEnabled()

    qtbot.keyClicks(dialog.reason, "Coach ill")
    reload(qtbot, page, lambda: click(qtbot, dialog.move_button))

    moved = on_lane(qtbot, ops, lambda vault: sessions.get_session(vault, booked.id))
    assert moved.starts_at == soon + timedelta(days=2)
    assert moved.override_reason.endswith(" UTC: Coach ill")


def test_propose_times_shows_the_message_and_hands_off_a_draft(
    qtbot: QtBot, ops: VaultOps, ada: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = show_sessions(qtbot, ops, ada)
    click(qtbot, page.sessions.propose_button)
    empty = page.sessions.dialog
    assert isinstance(empty, ProposeTimesDialog)
    qtbot.waitUntil(lambda: empty.problem.isVisible(), timeout=WAIT_MS)
    assert "working hours" in empty.problem.text() and "Settings" in empty.problem.text()
    assert empty.settings_button.isVisible()
    assert not empty.email_button.isEnabled()
    empty.reject()

    hours = [WorkingHours(day, 9 * 60, 17 * 60) for day in range(5)]
    on_lane(qtbot, ops, lambda vault: calendar.set_working_hours(vault, hours))
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    click(qtbot, page.sessions.propose_button)
    dialog = page.sessions.dialog
    assert isinstance(dialog, ProposeTimesDialog)
    qtbot.waitUntil(lambda: "Hi Ada" in dialog.text.toPlainText(), timeout=WAIT_MS)
    assert NEW_YORK in dialog.text.toPlainText()
    assert dialog.proposal is not None and len(dialog.proposal.slots) == 5

    click(qtbot, dialog.copy_button)
    assert QGuiApplication.clipboard().text() == dialog.proposal.body
    click(qtbot, dialog.email_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    path = Path(opened[0].toLocalFile())
    assert path.is_relative_to(handoff_dir())
    data = path.read_bytes()
    assert b"ada@example.com" in data and b"X-Unsent: 1" in data
    assert b"Hi Ada" in data


def test_enrol_shows_the_offer_terms(qtbot: QtBot, ops: VaultOps, ada: Client) -> None:
    on_lane(
        qtbot,
        ops,
        lambda vault: offers.create_offer(
            vault,
            OfferTerms("Interview Sprint", session_count=4, price_minor=60000, currency="GBP"),
        ),
    )
    page = show_sessions(qtbot, ops, ada)
    click(qtbot, page.sessions.enrol_button)
    dialog = page.sessions.dialog
    assert isinstance(dialog, EnrolDialog)
    qtbot.waitUntil(lambda: dialog.enrol_button.isEnabled(), timeout=WAIT_MS)
    assert "600.00 GBP" in dialog.detail.text()
    assert "4 sessions of 60 minutes" in dialog.detail.text()
    assert "24 hours' notice" in dialog.detail.text()
    reload(qtbot, page, lambda: click(qtbot, dialog.enrol_button))
    assert "Interview Sprint: 0 of 4 used (0 done) · 4 left" in page.sessions.enrolments.text()


def test_session_model(qtmodeltester: Any) -> None:
    model = SessionModel()
    start = from_wall_clock(date(2027, 3, 2), time(9, 0), LONDON)
    model.set_sessions(
        [
            Session(
                1,
                "u",
                1,
                "Ada",
                None,
                None,
                start,
                60,
                LONDON,
                NEW_YORK,
                SessionStatus.SCHEDULED,
                "",
                0,
            )
        ],
        LONDON,
    )
    qtmodeltester.check(model)
    assert model.index(0, 2).data() == "Tue 2 Mar, 04:00 EST"


def test_invite_and_reminder_drafts_reach_the_mail_app_without_notes(
    qtbot: QtBot, ops: VaultOps, ada: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import email
    from email import policy

    from coachdesk.domain.crm import NoteDraft, NoteKind
    from coachdesk.services import crm

    on_lane(
        qtbot,
        ops,
        lambda vault: crm.add_note(
            vault, ada.id, NoteDraft(NoteKind.SESSION, datetime.now().date(), "PRIVATE-31")
        ),
    )
    enrol(qtbot, ops, ada)
    start = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) + timedelta(days=3)
    book_at(qtbot, ops, ada, start)
    page = show_sessions(qtbot, ops, ada)
    tab = page.sessions
    opened: list[QUrl] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True)
    )
    tab.table.selectRow(0)
    for count, button in enumerate((tab.invite_button, tab.reminder_button), start=1):
        click(qtbot, button)
        qtbot.waitUntil(lambda wanted=count: len(opened) == wanted, timeout=WAIT_MS)
        data = Path(opened[-1].toLocalFile()).read_bytes()
        assert b"PRIVATE-31" not in data
        message = email.message_from_bytes(data, policy=policy.default)
        assert message["X-Unsent"] == "1"
        assert [a.get_content_type() for a in message.iter_attachments()] == ["text/calendar"]
    assert (
        "Reminder"
        in email.message_from_bytes(
            Path(opened[-1].toLocalFile()).read_bytes(), policy=policy.default
        )["Subject"]
    )


def test_a_time_that_clashes_with_another_session_is_warned_about(
    qtbot: QtBot, ops: VaultOps, ada: Client
) -> None:
    from coachdesk.domain.clients import ClientDraft
    from coachdesk.services import clients

    ben = on_lane(
        qtbot,
        ops,
        lambda vault: clients.create_client(
            vault, ClientDraft(first_name="Ben", last_name="Walsh")
        ),
    )
    book_at(qtbot, ops, ben, datetime(2027, 1, 12, 14, 0))  # 14:00 London in winter
    page = show_sessions(qtbot, ops, ada)
    dialog = open_booking(qtbot, page.sessions)
    dialog.when.date_edit.setDate(QDate(2027, 1, 12))
    type_time(qtbot, dialog, "14:30")
    click(qtbot, dialog.book_button)
    qtbot.waitUntil(dialog.gate_box.isVisible, timeout=WAIT_MS)
    assert "Tue 12 Jan 14:30 overlaps your session with Ben Walsh at 14:00." in (
        dialog.gate_box.text()
    )
    assert dialog.book_button.text() == "Book anyway"
    reload(qtbot, page, lambda: click(qtbot, dialog.book_button))
    assert [s.starts_at for s in client_sessions(qtbot, ops, ada)] == [
        datetime(2027, 1, 12, 14, 30)
    ]
