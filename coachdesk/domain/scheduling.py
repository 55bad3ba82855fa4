"""Offers, enrolments, sessions across time zones, availability: the rules, no I/O.

Times are stored as naive UTC datetimes; each session also keeps the coach's and
the client's IANA zones so it can be shown in both, right across daylight-saving
changes on either side (the conversion happens at display time, with zoneinfo).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coachdesk.domain.clients import known_time_zones
from coachdesk.domain.errors import KnownError, ValidationError

MAX_SERIES = 104  # two years of weekly sessions
MAX_SESSION_MINUTES = 8 * 60


def utc_naive(moment: datetime) -> datetime:
    """An aware datetime as the naive UTC the vault stores."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC).replace(tzinfo=None)


def in_zone(stored: datetime, zone: str) -> datetime:
    """A stored naive-UTC time as wall-clock time in `zone`."""
    return stored.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))


def from_wall_clock(day: date, at: time, zone: str) -> datetime:
    """Naive UTC for a wall-clock time in `zone`.

    A time that does not exist (skipped by a spring-forward change) moves forward by
    the gap; an ambiguous one (repeated in autumn) is the first occurrence (`fold=0`).
    """
    tz = ZoneInfo(zone)
    local = datetime.combine(day, at, tzinfo=tz)
    round_trip = local.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        # Skipped: 02:30 on a spring-forward night becomes 03:30.
        local = round_trip
    return utc_naive(local)


def check_zone(zone: str, field: str) -> str:
    """`zone` if it is a known IANA zone, else ValidationError naming `field`."""
    zone = zone.strip()
    if zone not in known_time_zones():
        raise ValidationError({field: "Choose a time zone such as Europe/London."})
    return zone


# Offers -------------------------------------------------------------------------------------


class Tier(enum.StrEnum):
    """How an offer is delivered."""

    SELF_SERVE = "self_serve"
    GROUP = "group"
    PREMIUM = "premium"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {"self_serve": "Self-serve", "group": "Group", "premium": "Premium"}[self]


class PaymentTerms(enum.StrEnum):
    """When the client pays."""

    UPFRONT = "upfront"
    INSTALMENTS = "instalments"
    PER_SESSION = "per_session"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "upfront": "Upfront",
            "instalments": "Instalments",
            "per_session": "Per session",
        }[self]


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """What an offer promises and costs; an enrolment keeps the version it was sold under.

    Money is in minor units (cents); tax in basis points (2000 = 20 %).
    """

    name: str
    tier: Tier = Tier.PREMIUM
    outcome: str = ""
    included: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    timeline: str = ""
    session_count: int = 6
    session_minutes: int = 60
    price_minor: int = 0
    currency: str = "EUR"
    tax_rate_bp: int = 0
    payment_terms: PaymentTerms = PaymentTerms.UPFRONT
    instalments: int = 1
    notice_hours: int = 24
    late_cancel_counts: bool = True
    no_show_counts: bool = True
    valid_from: date | None = None
    valid_until: date | None = None

    def validated(self) -> OfferTerms:
        """The trimmed terms, or ValidationError naming each bad field."""
        errors: dict[str, str] = {}
        name = self.name.strip()
        if not name:
            errors["name"] = "Give the offer a name."
        if not 0 <= self.session_count <= 500:
            errors["session_count"] = "Sessions must be between 0 and 500."
        if not 15 <= self.session_minutes <= MAX_SESSION_MINUTES:
            errors["session_minutes"] = "A session lasts between 15 minutes and 8 hours."
        if not 0 <= self.price_minor <= 10**11:
            errors["price"] = "The price must be between 0 and 1,000,000,000.00."
        currency = self.currency.strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            errors["currency"] = "Use a three-letter currency code such as EUR."
        if not 0 <= self.tax_rate_bp <= 10_000:
            errors["tax_rate"] = "Tax must be between 0 and 100 %."
        if not 1 <= self.instalments <= 36:
            errors["instalments"] = "Instalments must be between 1 and 36."
        if not 0 <= self.notice_hours <= 24 * 14:
            errors["notice_hours"] = "Notice must be between 0 hours and two weeks."
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = "The offer must end after it starts."
        if errors:
            raise ValidationError(errors)
        return OfferTerms(
            name=name,
            tier=self.tier,
            outcome=self.outcome.strip(),
            included=tuple(i.strip() for i in self.included if i.strip()),
            excluded=tuple(e.strip() for e in self.excluded if e.strip()),
            timeline=self.timeline.strip(),
            session_count=self.session_count,
            session_minutes=self.session_minutes,
            price_minor=self.price_minor,
            currency=currency,
            tax_rate_bp=self.tax_rate_bp,
            payment_terms=self.payment_terms,
            instalments=self.instalments if self.payment_terms is PaymentTerms.INSTALMENTS else 1,
            notice_hours=self.notice_hours,
            late_cancel_counts=self.late_cancel_counts,
            no_show_counts=self.no_show_counts,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
        )

    def on_sale(self, day: date) -> bool:
        """Whether the offer may be sold on `day`."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer with the version in use."""

    id: int
    version_id: int
    version: int
    terms: OfferTerms
    archived: bool = False


# Sessions --------------------------------------------------------------------------------------


class SessionStatus(enum.StrEnum):
    """Where a session stands."""

    SCHEDULED = "scheduled"
    DONE = "done"
    NO_SHOW = "no_show"
    LATE_CANCEL = "late_cancel"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "scheduled": "Scheduled",
            "done": "Done",
            "no_show": "No-show",
            "late_cancel": "Late cancel",
            "cancelled": "Cancelled",
            "rescheduled": "Rescheduled",
        }[self]


@dataclass(frozen=True, slots=True)
class Policy:
    """An enrolment's rules, from the offer version it was sold under."""

    notice_hours: int = 24
    late_cancel_counts: bool = True
    no_show_counts: bool = True


class NoticeRequiredError(KnownError):
    """A session moved inside its offer's notice window: it needs a reason (kept in the audit)."""


def uses_allowance(status: SessionStatus, policy: Policy) -> bool:
    """Whether a session in `status` uses up one of the enrolment's sessions."""
    match status:
        case SessionStatus.SCHEDULED | SessionStatus.DONE:
            return True
        case SessionStatus.NO_SHOW:
            return policy.no_show_counts
        case SessionStatus.LATE_CANCEL:
            return policy.late_cancel_counts
    return False


def within_notice(starts_at: datetime, now: datetime, policy: Policy) -> bool:
    """Whether `now` is inside the minimum notice before a session (both naive UTC)."""
    return starts_at - now < timedelta(hours=policy.notice_hours)


def cancel_status(starts_at: datetime, now: datetime, policy: Policy) -> SessionStatus:
    """A cancellation is late inside the notice window, else a plain cancel."""
    return (
        SessionStatus.LATE_CANCEL
        if within_notice(starts_at, now, policy)
        else SessionStatus.CANCELLED
    )


class Repeat(enum.StrEnum):
    """How a series of sessions repeats."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"


def series_starts(
    first_day: date, at: time, zone: str, repeat: Repeat, count: int
) -> list[datetime]:
    """Naive-UTC starts of `count` sessions at the same wall-clock time in `zone`.

    The wall-clock time is what stays fixed: a 09:00 London session is 08:00 UTC in
    summer and 09:00 UTC in winter.
    """
    if not 1 <= count <= MAX_SERIES:
        raise ValidationError({"count": f"A series has between 1 and {MAX_SERIES} sessions."})
    step = timedelta(weeks=1 if repeat is Repeat.WEEKLY else 2)
    return [from_wall_clock(first_day + step * i, at, zone) for i in range(count)]


@dataclass(frozen=True, slots=True)
class SessionDraft:
    """A session as the coach books it."""

    client_id: int | None
    starts_at: datetime  # naive UTC
    minutes: int = 60
    coach_zone: str = "UTC"
    client_zone: str = ""
    enrolment_id: int | None = None
    cohort_id: int | None = None
    location: str = ""

    def validated(self) -> SessionDraft:
        """The checked draft, or ValidationError naming each bad field."""
        errors: dict[str, str] = {}
        if (self.client_id is None) == (self.cohort_id is None):
            errors["client"] = "A session is for one client or for one cohort."
        if not 15 <= self.minutes <= MAX_SESSION_MINUTES:
            errors["minutes"] = "A session lasts between 15 minutes and 8 hours."
        if self.starts_at.tzinfo is not None:
            raise ValueError("starts_at must be naive UTC")
        zones = {"coach_zone": self.coach_zone, "client_zone": self.client_zone or self.coach_zone}
        for field, zone in zones.items():
            if zone not in known_time_zones():
                errors[field] = "Choose a time zone such as Europe/London."
        if errors:
            raise ValidationError(errors)
        return SessionDraft(
            self.client_id,
            self.starts_at.replace(second=0, microsecond=0),
            self.minutes,
            self.coach_zone,
            self.client_zone or self.coach_zone,
            self.enrolment_id,
            self.cohort_id,
            self.location.strip(),
        )


@dataclass(frozen=True, slots=True)
class Session:
    """A booked session."""

    id: int
    uid: str
    client_id: int | None
    client_name: str
    cohort_id: int | None
    enrolment_id: int | None
    starts_at: datetime  # naive UTC
    minutes: int
    coach_zone: str
    client_zone: str
    status: SessionStatus
    location: str
    sequence: int
    series_id: str = ""
    override_reason: str = ""

    @property
    def ends_at(self) -> datetime:
        """When it ends (naive UTC)."""
        return self.starts_at + timedelta(minutes=self.minutes)

    def coach_time(self) -> datetime:
        """The start on the coach's wall clock."""
        return in_zone(self.starts_at, self.coach_zone)

    def client_time(self) -> datetime:
        """The start on the client's wall clock."""
        return in_zone(self.starts_at, self.client_zone)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether the session overlaps [start, end) (naive UTC)."""
        return self.starts_at < end and start < self.ends_at


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A client's purchase of an offer version, with its allowance."""

    id: int
    client_id: int
    client_name: str
    offer_id: int
    offer_name: str
    offer_version: int
    policy: Policy
    sessions_allowed: int
    sessions_used: int
    start_on: date
    end_on: date | None
    price_minor: int
    currency: str
    cohort_id: int | None = None
    active: bool = True

    @property
    def sessions_left(self) -> int:
        """Sessions still to book (never below zero)."""
        return max(0, self.sessions_allowed - self.sessions_used)


# Availability ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """One stretch of a weekday the coach works (minutes after midnight, coach's zone)."""

    weekday: int  # Monday 0
    start_minute: int
    end_minute: int

    def validated(self) -> WorkingHours:
        """Checked hours, or ValidationError."""
        if not 0 <= self.weekday <= 6:
            raise ValidationError({"weekday": "Choose a day of the week."})
        if not 0 <= self.start_minute < self.end_minute <= 24 * 60:
            raise ValidationError({"hours": "The end must come after the start, within the day."})
        return self


@dataclass(frozen=True, slots=True)
class Busy:
    """A time the coach is not free (naive UTC)."""

    starts_at: datetime
    ends_at: datetime


def free_slots(
    hours: Iterable[WorkingHours],
    blocked: Iterable[date],
    busy: Iterable[Busy],
    zone: str,
    start: date,
    days: int,
    minutes: int,
    step_minutes: int = 30,
    not_before: datetime | None = None,
) -> Iterator[datetime]:
    """Naive-UTC starts of free slots of `minutes`, in the coach's working hours.

    Walks `days` days from `start` in the coach's zone, skipping blocked dates and
    anything overlapping a busy time (sessions and imported calendar events).
    """
    by_day: dict[int, list[WorkingHours]] = {}
    for stretch in hours:
        by_day.setdefault(stretch.weekday, []).append(stretch)
    blocked_days = set(blocked)
    busy_list = sorted(busy, key=lambda b: b.starts_at)
    length = timedelta(minutes=minutes)
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day in blocked_days:
            continue
        for stretch in sorted(by_day.get(day.weekday(), []), key=lambda s: s.start_minute):
            minute = stretch.start_minute
            while minute + minutes <= stretch.end_minute:
                at = time(minute // 60, minute % 60)
                slot = from_wall_clock(day, at, zone)
                if in_zone(slot, zone).time() == at and (not_before is None or slot >= not_before):
                    end = slot + length
                    if not any(b.starts_at < end and slot < b.ends_at for b in busy_list):
                        yield slot
                minute += step_minutes
