"""Client records and their validation rules."""

from __future__ import annotations

import enum
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from coachdesk.domain.errors import ValidationError


class ClientStatus(enum.StrEnum):
    """Where a relationship stands."""

    LEAD = "lead"
    ACTIVE = "active"
    PAUSED = "paused"
    ALUMNI = "alumni"
    LOST = "lost"


class ClientType(enum.StrEnum):
    """Who pays and how the coaching is delivered."""

    INDIVIDUAL = "individual"
    SPONSORED = "sponsored"
    GROUP = "group"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    ClientType.INDIVIDUAL: "Individual",
    ClientType.SPONSORED: "Employer-sponsored",
    ClientType.GROUP: "Group programme",
}


class Objective(enum.StrEnum):
    """What the client came for; the AI's lead-intent task uses the same list."""

    NONE = ""
    INTERVIEW_PREP = "interview_prep"
    EXAM_PREP = "exam_prep"
    PORTFOLIO = "portfolio"
    LEADERSHIP = "leadership"
    CAREER_CHANGE = "career_change"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return _OBJECTIVE_LABELS[self]


_OBJECTIVE_LABELS = {
    Objective.NONE: "Not set",
    Objective.INTERVIEW_PREP: "Interview prep",
    Objective.EXAM_PREP: "Exam prep",
    Objective.PORTFOLIO: "Portfolio",
    Objective.LEADERSHIP: "Leadership",
    Objective.CAREER_CHANGE: "Career change",
    Objective.OTHER: "Other",
}


# Pragmatic address check: one @, a dot in the domain, no spaces.  Full RFC 5322
# parsing accepts addresses no mail client will send to, which helps nobody.
_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+(?:\s*(?:x|ext\.?)\s*[0-9]+)?$", re.IGNORECASE)
_LOCALE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Z][a-z]{3})?(?:[-_](?:[A-Z]{2}|[0-9]{3}))?$")
_TAG = re.compile(r"^[^,\n]{1,40}$")
# A full date, or month and day alone (vCard's "--MM-DD") for birthdays given without a year.
_BIRTHDAY = re.compile(r"^(?:(\d{4})|--)-?(\d{2})-?(\d{2})$")

MAX_NAME = 100
MAX_NOTES = 100_000


@cache
def known_time_zones() -> frozenset[str]:
    """IANA zone names this computer knows (from tzdata when the OS has none)."""
    return frozenset(zoneinfo.available_timezones())


def is_email(value: str) -> bool:
    """Whether `value` looks like a deliverable e-mail address."""
    return len(value) <= 254 and bool(_EMAIL.match(value))


def is_phone(value: str) -> bool:
    """Whether `value` looks like a phone number (at least five digits)."""
    digits = sum(ch.isdigit() for ch in value)
    return 5 <= digits <= 20 and bool(_PHONE_CHARS.match(value))


def normalise_birthday(value: str) -> str | None:
    """`YYYY-MM-DD` or `--MM-DD` for a real date (Feb 29 allowed without a year), else None."""
    match = _BIRTHDAY.match(value.strip())
    if not match:
        return None
    year, month, day = match.groups()
    try:
        date(int(year) if year else 2000, int(month), int(day))
    except ValueError:
        return None
    return f"{year}-{month}-{day}" if year else f"--{month}-{day}"


def normalise_tag(value: str) -> str:
    """Tags compare case-insensitively; they are stored trimmed and lower-case."""
    return " ".join(value.split()).lower()


@dataclass(frozen=True, slots=True)
class ClientDraft:
    """What the coach enters for a client; validated before it is stored."""

    first_name: str = ""
    last_name: str = ""
    preferred_name: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    company: str = ""
    role: str = ""
    time_zone: str = ""
    locale: str = ""
    lead_source: str = ""
    status: ClientStatus = ClientStatus.LEAD
    tags: tuple[str, ...] = ()
    notes: str = ""
    client_type: ClientType = ClientType.INDIVIDUAL
    objective: Objective = Objective.NONE
    birthday: str = ""

    def cleaned(self) -> ClientDraft:
        """The draft with whitespace trimmed, empties dropped and tags normalised."""
        return ClientDraft(
            first_name=self.first_name.strip(),
            last_name=self.last_name.strip(),
            preferred_name=self.preferred_name.strip(),
            emails=tuple(dict.fromkeys(e.strip() for e in self.emails if e.strip())),
            phones=tuple(dict.fromkeys(p.strip() for p in self.phones if p.strip())),
            company=self.company.strip(),
            role=self.role.strip(),
            time_zone=self.time_zone.strip(),
            locale=self.locale.strip(),
            lead_source=self.lead_source.strip(),
            status=ClientStatus(self.status),
            tags=tuple(dict.fromkeys(t for t in map(normalise_tag, self.tags) if t)),
            notes=self.notes.strip(),
            client_type=ClientType(self.client_type),
            objective=Objective(self.objective),
            birthday=normalise_birthday(self.birthday) or self.birthday.strip(),
        )

    def problems(self) -> dict[str, str]:
        """Field name → what is wrong with it; empty when the draft is valid."""
        errors: dict[str, str] = {}
        if not (self.first_name or self.last_name or self.preferred_name):
            errors["first_name"] = "Enter at least a first, last or preferred name."
        for name in ("first_name", "last_name", "preferred_name", "company", "role", "lead_source"):
            if len(getattr(self, name)) > MAX_NAME:
                errors[name] = f"Keep this under {MAX_NAME} characters."
        bad_emails = [e for e in self.emails if not is_email(e)]
        if bad_emails:
            errors["emails"] = f"Not an e-mail address: {bad_emails[0]}"
        bad_phones = [p for p in self.phones if not is_phone(p)]
        if bad_phones:
            errors["phones"] = f"Not a phone number: {bad_phones[0]}"
        if self.time_zone and self.time_zone not in known_time_zones():
            errors["time_zone"] = (
                f"Unknown time zone “{self.time_zone}”; use a name such as Europe/London."
            )
        if self.locale and not _LOCALE.match(self.locale):
            errors["locale"] = f"Unknown locale “{self.locale}”; use a code such as en-GB."
        bad_tags = [t for t in self.tags if not _TAG.match(t)]
        if bad_tags:
            errors["tags"] = "A tag has at most 40 characters and no commas."
        if len(self.notes) > MAX_NOTES:
            errors["notes"] = f"Notes are limited to {MAX_NOTES:,} characters."
        if self.birthday and normalise_birthday(self.birthday) is None:
            errors["birthday"] = (
                f"Not a date: “{self.birthday}”; use 1990-03-15, or --03-15 without the year."
            )
        return errors

    def validated(self) -> ClientDraft:
        """The cleaned draft, or ValidationError naming each bad field."""
        draft = self.cleaned()
        errors = draft.problems()
        if errors:
            raise ValidationError(errors)
        return draft


def display_name(first: str, last: str, preferred: str) -> str:
    """How a client is named in lists: the preferred name stands in for the first."""
    given = preferred or first
    return " ".join(part for part in (given, last) if part) or "(no name)"


@dataclass(frozen=True, slots=True)
class Client:
    """A stored client record, as services hand it to the front ends."""

    id: int
    first_name: str
    last_name: str
    preferred_name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    company: str
    role: str
    time_zone: str
    locale: str
    lead_source: str
    status: ClientStatus
    tags: tuple[str, ...]
    notes: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    client_type: ClientType = ClientType.INDIVIDUAL
    objective: Objective = Objective.NONE
    birthday: str = ""
    stage_id: int | None = None
    stage_name: str = ""
    stage_since: datetime | None = None
    lost_reason: str = ""
    last_contact_at: datetime | None = None
    photo_attachment_id: int | None = None

    @property
    def display_name(self) -> str:
        """The name shown in lists and titles."""
        return display_name(self.first_name, self.last_name, self.preferred_name)

    def draft(self) -> ClientDraft:
        """The editable part of the record."""
        return ClientDraft(
            first_name=self.first_name,
            last_name=self.last_name,
            preferred_name=self.preferred_name,
            emails=self.emails,
            phones=self.phones,
            company=self.company,
            role=self.role,
            time_zone=self.time_zone,
            locale=self.locale,
            lead_source=self.lead_source,
            status=self.status,
            tags=self.tags,
            notes=self.notes,
            client_type=self.client_type,
            objective=self.objective,
            birthday=self.birthday,
        )


@dataclass(frozen=True, slots=True)
class ClientRow:
    """One line of the client list: flat, cheap to hold by the ten thousand."""

    id: int
    name: str
    email: str
    phone: str
    company: str
    status: ClientStatus
    tags: tuple[str, ...]
    updated_at: datetime
    search_text: str = field(default="", compare=False, repr=False)
    client_type: ClientType = ClientType.INDIVIDUAL
    objective: Objective = Objective.NONE
    lead_source: str = ""
    stage_id: int | None = None
    stage_name: str = ""
    stage_since: datetime | None = None
    last_contact_at: datetime | None = None
    overdue_follow_ups: int = 0
    next_follow_up: datetime | None = None


def changed_fields(before: ClientDraft, after: ClientDraft) -> tuple[str, ...]:
    """The names of the fields that differ, for the audit trail (names only, no values)."""
    return tuple(
        name
        for name in ClientDraft.__dataclass_fields__
        if getattr(before, name) != getattr(after, name)
    )
