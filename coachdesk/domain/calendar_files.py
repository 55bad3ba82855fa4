"""ICS (iCalendar) out and in: session invites, the whole calendar, and busy times.

Out: every session is a VEVENT whose UID is the session's own, stable for its life,
with SEQUENCE bumped on each move, so importing the file again updates events
instead of duplicating them.  Times are written in UTC (`…Z`), which every calendar
reads the same way.  Nothing private goes in: the title names the coach or the
client, never a note.

In: another calendar's events become busy times (start and end only; titles are
not kept).  Recurring events are expanded over a window, with their exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from coachdesk import APP_NAME, __version__
from coachdesk.domain.errors import KnownError
from coachdesk.domain.scheduling import Session, SessionStatus

PRODID = f"-//{APP_NAME}//{APP_NAME} {__version__}//EN"
MAX_ICS_BYTES = 20 * 1024 * 1024
MAX_BUSY = 20_000


class CalendarFileError(KnownError):
    """An ICS file that cannot be read."""


def _utc(stored: datetime) -> datetime:
    return stored.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class EventText:
    """What an event says: its title and (public) description."""

    summary: str
    description: str = ""


def session_event(session: Session, text: EventText, stamp: datetime) -> icalendar.Event:
    """One session as a VEVENT (UTC times, stable UID, its SEQUENCE)."""
    event = icalendar.Event()
    event.add("uid", session.uid)
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("sequence", session.sequence)
    event.add("summary", text.summary)
    if text.description:
        event.add("description", text.description)
    if session.location:
        event.add("location", session.location)
    cancelled = session.status in (
        SessionStatus.CANCELLED,
        SessionStatus.LATE_CANCEL,
        SessionStatus.RESCHEDULED,
    )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_bytes(events: Iterable[icalendar.Event], name: str = "", method: str = "") -> bytes:
    """A VCALENDAR holding `events` (METHOD:PUBLISH for an invite to e-mail)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return bytes(calendar.to_ical())


@dataclass(frozen=True, slots=True)
class BusyEvent:
    """A busy time read from another calendar (naive UTC)."""

    uid: str
    starts_at: datetime
    ends_at: datetime


def _as_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return aware.astimezone(UTC).replace(tzinfo=None)
    return datetime.combine(value, time(), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def calendar_name(data: bytes) -> str:
    """The name a calendar file gives itself (X-WR-CALNAME), if any."""
    for line in data[:200_000].splitlines():
        if line.upper().startswith(b"X-WR-CALNAME:"):
            return line.split(b":", 1)[1].decode("utf-8", "replace").strip()
    return ""


def read_busy(
    data: bytes, coach_zone: str, window_start: datetime, window_end: datetime
) -> list[BusyEvent]:
    """The busy times in an ICS file between two naive-UTC moments.

    Floating times and all-day events are read in the coach's zone; events marked
    TRANSP:TRANSPARENT (free) and cancelled ones are skipped.

    Raises:
        CalendarFileError: the file is not iCalendar, or too large.
    """
    if len(data) > MAX_ICS_BYTES:
        raise CalendarFileError("The calendar file is larger than 20 MB; export a shorter range.")
    if not data.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        raise CalendarFileError(
            "This is not a calendar file (.ics): it does not start with BEGIN:VCALENDAR."
        )
    try:
        calendar = icalendar.Calendar.from_ical(data)
        zone = ZoneInfo(coach_zone)
        start = window_start.replace(tzinfo=UTC)
        end = window_end.replace(tzinfo=UTC)
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise CalendarFileError(f"The calendar file could not be read: {exc}.") from None
    found: list[BusyEvent] = []
    for event in occurrences:
        if str(event.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("status", "")).upper() == "CANCELLED":
            continue
        begin = event.get("dtstart")
        if begin is None:
            continue
        first = _as_utc(begin.dt, zone)
        finish = event.get("dtend")
        if finish is not None:
            last = _as_utc(finish.dt, zone)
        elif "duration" in event:
            last = first + event["duration"].dt
        elif not isinstance(begin.dt, datetime):
            last = first + timedelta(days=1)
        else:
            last = first
        if last <= first:
            continue
        found.append(BusyEvent(str(event.get("uid", "")), first, last))
        if len(found) > MAX_BUSY:
            raise CalendarFileError(
                f"The calendar has more than {MAX_BUSY:,} busy times in the next months; "
                "export a shorter range."
            )
    return found
