"""ICS out and in: events parsed back with icalendar; busy times read from other calendars."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from coachdesk.domain.calendar_files import (
    CalendarFileError,
    EventText,
    calendar_bytes,
    read_busy,
    session_event,
)
from coachdesk.domain.scheduling import Session, SessionStatus

STAMP = datetime(2026, 11, 24, 12, 0)


def a_session(
    uid: str, start: datetime, status: SessionStatus = SessionStatus.SCHEDULED
) -> Session:
    return Session(
        id=1,
        uid=uid,
        client_id=7,
        client_name="Ada Lovelace",
        cohort_id=None,
        enrolment_id=None,
        starts_at=start,
        minutes=50,
        coach_zone="Europe/London",
        client_zone="America/New_York",
        status=status,
        location="https://meet.example.org/ada",
        sequence=0,
    )


def events_of(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_sessions_export_with_stable_uids_utc_times_and_sequence() -> None:
    first = a_session("a1@coachdesk", datetime(2026, 10, 22, 8, 0))
    second = a_session("b2@coachdesk", datetime(2026, 10, 29, 9, 0), SessionStatus.CANCELLED)
    data = calendar_bytes(
        [session_event(s, EventText("Coaching with Ada Lovelace"), STAMP) for s in (first, second)],
        name="CoachDesk sessions",
    )
    events = events_of(data)
    assert [str(e["uid"]) for e in events] == ["a1@coachdesk", "b2@coachdesk"]
    assert events[0]["dtstart"].dt == datetime(2026, 10, 22, 8, 0, tzinfo=UTC)
    assert events[0]["dtend"].dt == datetime(2026, 10, 22, 8, 50, tzinfo=UTC)
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CANCELLED"]
    assert str(events[0]["location"]) == "https://meet.example.org/ada"
    assert b"X-WR-CALNAME:CoachDesk sessions" in data

    moved = replace(first, starts_at=datetime(2026, 10, 23, 8, 0), sequence=1)
    again = events_of(
        calendar_bytes([session_event(moved, EventText("x"), STAMP)], method="PUBLISH")
    )
    assert str(again[0]["uid"]) == "a1@coachdesk"
    assert again[0]["sequence"] == 1
    assert again[0]["dtstart"].dt == datetime(2026, 10, 23, 8, 0, tzinfo=UTC)


BUSY_ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Calendar//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:standup@example.org
DTSTART;TZID=Europe/Berlin:20261019T100000
DTEND;TZID=Europe/Berlin:20261019T103000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Berlin:20261102T100000
SUMMARY:Team stand-up (private)
END:VEVENT
BEGIN:VEVENT
UID:holiday@example.org
DTSTART;VALUE=DATE:20261023
DTEND;VALUE=DATE:20261024
SUMMARY:Day off
END:VEVENT
BEGIN:VEVENT
UID:free@example.org
DTSTART:20261021T120000Z
DTEND:20261021T130000Z
TRANSP:TRANSPARENT
SUMMARY:Lunch (free)
END:VEVENT
END:VCALENDAR
"""


def test_busy_times_expand_repeats_skip_exceptions_free_time_and_read_all_day_events() -> None:
    busy = read_busy(
        BUSY_ICS.replace(b"\n", b"\r\n"),
        "Europe/London",
        datetime(2026, 10, 1),
        datetime(2026, 12, 1),
    )
    found = sorted((b.uid, b.starts_at, b.ends_at) for b in busy)
    assert found == [
        ("holiday@example.org", datetime(2026, 10, 22, 23, 0), datetime(2026, 10, 23, 23, 0)),
        ("standup@example.org", datetime(2026, 10, 19, 8, 0), datetime(2026, 10, 19, 8, 30)),
        # Berlin changes on 25 Oct: 10:00 CET is 09:00 UTC from then on.
        ("standup@example.org", datetime(2026, 10, 26, 9, 0), datetime(2026, 10, 26, 9, 30)),
        ("standup@example.org", datetime(2026, 11, 9, 9, 0), datetime(2026, 11, 9, 9, 30)),
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"Name,Email\nAda,ada@example.org\n", "not a calendar file"),
        (
            b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:notadate\nEND:VEVENT\nEND:VCALENDAR\n",
            "could not be read",
        ),
    ],
)
def test_a_file_that_is_not_a_calendar_is_named(data: bytes, words: str) -> None:
    with pytest.raises(CalendarFileError, match=words):
        read_busy(data, "UTC", datetime(2026, 1, 1), datetime(2026, 12, 31))


def test_the_export_round_trips_through_read_busy() -> None:
    start = datetime(2026, 3, 27, 9, 0)
    sessions = [a_session(f"s{i}@coachdesk", start + timedelta(days=i)) for i in range(3)]
    data = calendar_bytes(session_event(s, EventText("Coaching"), STAMP) for s in sessions)
    busy = read_busy(data, "Europe/London", datetime(2026, 3, 1), datetime(2026, 4, 30))
    assert [(b.uid, b.starts_at) for b in busy] == [(s.uid, s.starts_at) for s in sessions]
