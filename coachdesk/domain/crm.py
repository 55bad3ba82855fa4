"""Notes, goals with milestones, and follow-ups: what happens inside a relationship."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from coachdesk.domain.errors import ValidationError

MAX_NOTE = 100_000
MAX_TITLE = 200
MAX_LIST_ITEM = 80


def _clean_list(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(v.split()) for v in values if v.strip()))


class NoteKind(enum.StrEnum):
    """What a note records."""

    DISCOVERY = "discovery"
    SESSION = "session"
    GENERAL = "general"
    TRANSCRIPT = "transcript"  # a pasted session transcript; kept for less time by default

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "discovery": "Discovery call",
            "session": "Session",
            "general": "General",
            "transcript": "Transcript",
        }[self]


@dataclass(frozen=True, slots=True)
class NoteDraft:
    """What the coach writes in a note."""

    kind: NoteKind
    occurred_on: date
    text: str
    themes: tuple[str, ...] = ()
    blockers: tuple[str, ...] = ()

    def validated(self) -> NoteDraft:
        """The cleaned draft, or ValidationError naming each bad field."""
        clean = NoteDraft(
            kind=NoteKind(self.kind),
            occurred_on=self.occurred_on,
            text=self.text.strip(),
            themes=_clean_list(self.themes),
            blockers=_clean_list(self.blockers),
        )
        errors = {}
        if not clean.text:
            errors["text"] = "A note needs some text."
        elif len(clean.text) > MAX_NOTE:
            errors["text"] = f"Notes are limited to {MAX_NOTE:,} characters."
        for name in ("themes", "blockers"):
            if any(len(v) > MAX_LIST_ITEM for v in getattr(clean, name)):
                errors[name] = f"Keep each of these under {MAX_LIST_ITEM} characters."
        if errors:
            raise ValidationError(errors)
        return clean


@dataclass(frozen=True, slots=True)
class Note:
    """A stored note; `version` counts the saves, and older versions are kept."""

    id: int
    client_id: int
    kind: NoteKind
    occurred_on: date
    text: str
    themes: tuple[str, ...]
    blockers: tuple[str, ...]
    version: int
    created_at: datetime
    updated_at: datetime

    def draft(self) -> NoteDraft:
        """The editable part."""
        return NoteDraft(self.kind, self.occurred_on, self.text, self.themes, self.blockers)


@dataclass(frozen=True, slots=True)
class NoteVersion:
    """How a note read before one of its edits."""

    note_id: int
    version: int
    kind: NoteKind
    occurred_on: date
    text: str
    themes: tuple[str, ...]
    blockers: tuple[str, ...]
    saved_at: datetime


class GoalStatus(enum.StrEnum):
    """Where a goal stands."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    ACHIEVED = "achieved"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return self.value.replace("_", " ").capitalize()

    @property
    def is_open(self) -> bool:
        """Still being worked on."""
        return self not in (GoalStatus.ACHIEVED, GoalStatus.DROPPED)


@dataclass(frozen=True, slots=True)
class MilestoneDraft:
    """A step towards a goal."""

    title: str
    due_on: date | None = None
    done: bool = False


@dataclass(frozen=True, slots=True)
class Milestone:
    """A stored milestone."""

    id: int
    goal_id: int
    title: str
    due_on: date | None
    done_at: datetime | None
    position: int


@dataclass(frozen=True, slots=True)
class GoalDraft:
    """What the coach sets as a goal."""

    objective: str
    measure: str = ""
    target_on: date | None = None
    status: GoalStatus = GoalStatus.NOT_STARTED
    progress: int = 0

    def validated(self) -> GoalDraft:
        """The cleaned draft, or ValidationError naming each bad field."""
        clean = GoalDraft(
            objective=" ".join(self.objective.split()),
            measure=self.measure.strip(),
            target_on=self.target_on,
            status=GoalStatus(self.status),
            progress=self.progress,
        )
        errors = {}
        if not clean.objective:
            errors["objective"] = "Say what the goal is."
        elif len(clean.objective) > MAX_TITLE:
            errors["objective"] = f"Keep the objective under {MAX_TITLE} characters."
        if len(clean.measure) > 2000:
            errors["measure"] = "Keep the measure under 2,000 characters."
        if not 0 <= clean.progress <= 100:
            errors["progress"] = "Progress is a percentage from 0 to 100."
        if errors:
            raise ValidationError(errors)
        return clean


@dataclass(frozen=True, slots=True)
class Goal:
    """A stored goal with its milestones."""

    id: int
    client_id: int
    objective: str
    measure: str
    target_on: date | None
    status: GoalStatus
    progress: int
    created_at: datetime
    updated_at: datetime
    milestones: tuple[Milestone, ...] = ()

    def draft(self) -> GoalDraft:
        """The editable part."""
        return GoalDraft(self.objective, self.measure, self.target_on, self.status, self.progress)

    def expected_progress(self, today: date) -> int | None:
        """Where progress would be by now if it ran evenly from creation to the target date."""
        if self.target_on is None:
            return None
        start = self.created_at.date()
        total = (self.target_on - start).days
        if total <= 0:
            return 100
        return max(0, min(100, round(100 * (today - start).days / total)))


class Recurrence(enum.StrEnum):
    """How a follow-up repeats once done."""

    NONE = ""
    DAILY = "daily"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return self.value.capitalize() if self.value else "Does not repeat"

    def next_after(self, due: datetime) -> datetime | None:
        """The next due time after `due` (month ends clamp: 31 Jan → 28/29 Feb)."""
        step = _STEPS.get(self)
        return due + step if step is not None else None


_STEPS: dict[Recurrence, timedelta | relativedelta] = {
    Recurrence.DAILY: timedelta(days=1),
    Recurrence.WEEKLY: timedelta(weeks=1),
    Recurrence.FORTNIGHTLY: timedelta(weeks=2),
    Recurrence.MONTHLY: relativedelta(months=1),
}


@dataclass(frozen=True, slots=True)
class FollowUpDraft:
    """Something the coach must do for a client by a time (stored in UTC)."""

    title: str
    due_at: datetime
    recurrence: Recurrence = Recurrence.NONE

    def validated(self) -> FollowUpDraft:
        """The cleaned draft, or ValidationError naming each bad field."""
        clean = FollowUpDraft(
            " ".join(self.title.split()), self.due_at, Recurrence(self.recurrence)
        )
        if not clean.title:
            raise ValidationError({"title": "Say what needs doing."})
        if len(clean.title) > MAX_TITLE:
            raise ValidationError({"title": f"Keep this under {MAX_TITLE} characters."})
        return clean


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A stored follow-up."""

    id: int
    client_id: int
    client_name: str
    title: str
    due_at: datetime
    recurrence: Recurrence
    done_at: datetime | None
    snoozed: int
    created_at: datetime

    def is_overdue(self, now: datetime) -> bool:
        """Not done and past its due time."""
        return self.done_at is None and self.due_at < now
