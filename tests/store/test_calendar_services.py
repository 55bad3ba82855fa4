"""The calendar on a real vault: ICS out and in, free times, proposals, reminders."""

from __future__ import annotations

import email
import uuid
from datetime import UTC, date, datetime, time, timedelta
from email import policy

import icalendar
import pytest
import time_machine

from coachdesk.domain.calendar_files import CalendarFileError
from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import WorkingHours, in_zone
from coachdesk.services import calendar, clients, crm, practice
from coachdesk.store.tables import SessionTable
from coachdesk.store.vault import Vault
from tests.unit.test_calendar_files import BUSY_ICS

NOW = datetime(2026, 10, 16, 12, 0, tzinfo=UTC)  # a Friday, before Europe's change on 25 Oct


@pytest.fixture
def client_id(vault: Vault) -> int:
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
    )
    return clients.create_client(
        vault,
        ClientDraft(
            first_name="Ada",
            last_name="Lovelace",
            emails=("ada@example.org",),
            time_zone="America/New_York",
        ),
    ).id


def insert_session(vault: Vault, client_id: int, start: datetime, minutes: int = 60) -> int:
    now = datetime(2026, 10, 1)
    with vault.writing() as session:
        row = SessionTable(
            uid=f"{uuid.uuid4().hex}@coachdesk",
            client_id=client_id,
            starts_at=start,
            minutes=minutes,
            coach_zone="Europe/London",
            client_zone="America/New_York",
            status="scheduled",
            location="https://meet.example.org/ada",
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def events(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_calendar_export_is_stable_across_moves(vault: Vault, client_id: int) -> None:
    first = insert_session(vault, client_id, datetime(2026, 10, 20, 8, 0))
    insert_session(vault, client_id, datetime(2026, 10, 27, 9, 0))
    with time_machine.travel(NOW, tick=False):
        before = events(calendar.export_calendar(vault))
        with vault.writing() as session:
            row = session.get(SessionTable, first)
            assert row is not None
            row.starts_at += timedelta(days=1)
            row.sequence += 1
        after = events(calendar.export_calendar(vault))
    assert [str(e["uid"]) for e in before] == [str(e["uid"]) for e in after]
    assert [e["sequence"] for e in after] == [1, 0]
    assert after[0]["dtstart"].dt == datetime(2026, 10, 21, 8, 0, tzinfo=UTC)
    assert str(after[0]["summary"]) == "Session: Ada Lovelace"


def test_an_invite_says_when_in_the_clients_zone_and_holds_no_note(
    vault: Vault, client_id: int
) -> None:
    crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date(2026, 10, 1), "PRIVATE-42"))
    session_id = insert_session(vault, client_id, datetime(2026, 10, 20, 14, 0))
    data = calendar.session_invite(vault, session_id)
    assert b"METHOD:PUBLISH" in data and b"PRIVATE-42" not in data
    (event,) = events(data)
    assert str(event["summary"]) == "Coaching session with Sam Rivera"
    assert "Tuesday 20 October 2026, 10:00 (America/New_York)" in str(event["description"])


def test_imported_busy_times_replace_the_last_import_and_block_free_times(
    vault: Vault, client_id: int
) -> None:
    calendar.set_working_hours(vault, [WorkingHours(0, 9 * 60, 12 * 60)])  # Mondays 9-12
    with time_machine.travel(NOW, tick=False):
        first = calendar.import_busy(vault, BUSY_ICS, "Work calendar")
        again = calendar.import_busy(vault, BUSY_ICS, "Work calendar")
        slots = calendar.free_times(vault, days=10, minutes=60)
    assert (first.busy, again.busy, again.replaced) == (4, 4, 4)
    monday = [in_zone(s, "Europe/London") for s in slots if s.date() == date(2026, 10, 19)]
    # The stand-up is 10:00-10:30 Berlin = 09:00-09:30 London: only the 09:00 start is taken.
    assert [d.time() for d in monday] == [time(9, 30), time(10, 0), time(10, 30), time(11, 0)]

    insert_session(vault, client_id, datetime(2026, 10, 19, 10, 0))  # 11:00 London
    with time_machine.travel(NOW, tick=False):
        slots = calendar.free_times(vault, days=10, minutes=60)
    monday = [in_zone(s, "Europe/London").time() for s in slots if s.date() == date(2026, 10, 19)]
    assert monday == [time(9, 30), time(10, 0)]
    with pytest.raises(CalendarFileError):
        calendar.import_busy(vault, b"not a calendar", "Broken")
    assert calendar.delete_busy_source(vault, "Work calendar") == 4


def test_proposing_times_writes_them_in_the_clients_zone(vault: Vault, client_id: int) -> None:
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError, match="working hours"):
            calendar.propose_times(vault, client_id)
        calendar.set_working_hours(vault, [WorkingHours(day, 14 * 60, 17 * 60) for day in range(5)])
        calendar.block_dates(vault, [date(2026, 10, 20)], "Training")
        proposal = calendar.propose_times(vault, client_id, days=7, count=4)
    assert len(proposal.slots) == 4
    assert len({s.date() for s in proposal.slots}) == 4
    assert date(2026, 10, 20) not in {s.date() for s in proposal.slots}
    assert "  • Monday 19 October, 09:00" in proposal.body  # 14:00 London is 09:00 New York
    assert "(America/New_York)" in proposal.body
    message = email.message_from_bytes(
        calendar.proposal_eml(proposal, "Ada Lovelace"), policy=policy.default
    )
    assert message["X-Unsent"] == "1" and "ada@example.org" in message["To"]


def test_reminders_list_what_is_due_and_never_quote_notes(vault: Vault, client_id: int) -> None:
    crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date(2026, 10, 1), "PRIVATE-77"))
    soon = insert_session(vault, client_id, datetime(2026, 10, 17, 9, 0))
    insert_session(vault, client_id, datetime(2026, 10, 20, 9, 0))
    with time_machine.travel(NOW, tick=False):
        due = calendar.due_reminders(vault)
    assert [s.id for s in due] == [soon]
    name, data = calendar.reminder_email(vault, soon)
    assert name.endswith(".eml") and b"PRIVATE-77" not in data
    message = email.message_from_bytes(data, policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None and "Saturday 17 October at 05:00" in body.get_content()
    (invite,) = message.iter_attachments()
    assert invite.get_content_type() == "text/calendar"


def test_a_trashed_clients_sessions_leave_other_calendars_as_cancelled(
    vault: Vault, client_id: int
) -> None:
    insert_session(vault, client_id, datetime(2026, 10, 20, 8, 0))
    with time_machine.travel(NOW, tick=False):
        (before,) = events(calendar.export_calendar(vault))
        clients.trash_clients(vault, [client_id])
        (after,) = events(calendar.export_calendar(vault))
    assert str(after["uid"]) == str(before["uid"])
    assert (str(before["status"]), str(after["status"])) == ("CONFIRMED", "CANCELLED")
    assert str(after["summary"]) == "Cancelled session"


def test_two_calendars_with_the_same_file_name_keep_their_own_busy_times(
    vault: Vault, client_id: int
) -> None:
    work = BUSY_ICS.replace(b"VERSION:2.0", b"VERSION:2.0\nX-WR-CALNAME:Work")
    home = BUSY_ICS.replace(b"VERSION:2.0", b"VERSION:2.0\nX-WR-CALNAME:Home")
    with time_machine.travel(NOW, tick=False):
        first = calendar.import_busy(vault, work, "calendar")
        second = calendar.import_busy(vault, home, "calendar")
    assert (first.source, second.source, second.replaced) == ("Work", "Home", 0)


def test_clashes_name_the_session_or_the_busy_time(vault: Vault, client_id: int) -> None:
    from coachdesk.services import sessions

    insert_session(vault, client_id, datetime(2026, 10, 19, 13, 0))  # 14:00 London
    with time_machine.travel(NOW, tick=False):
        calendar.import_busy(vault, BUSY_ICS, "Work")
    found = sessions.clashes(
        vault,
        [datetime(2026, 10, 19, 8, 0), datetime(2026, 10, 19, 13, 30), datetime(2026, 10, 20, 8)],
        60,
    )
    assert found == (
        "Mon 19 Oct 09:00 overlaps a busy time in your other calendar.",
        "Mon 19 Oct 14:30 overlaps your session with Ada Lovelace at 14:00.",
    )
