"""Consent, the practice's AI policy and retention rules: the words and the arithmetic."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from coachdesk.domain.errors import ValidationError


class Purpose(enum.StrEnum):
    """What a client consents to."""

    DATA_PROCESSING = "data_processing"
    SESSION_RECORDING = "session_recording"
    AI_ASSISTANCE = "ai_assistance"
    MARKETING = "marketing"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "data_processing": "Keeping coaching records",
            "session_recording": "Recording sessions",
            "ai_assistance": "AI assistance on this laptop",
            "marketing": "News and offers by e-mail",
        }[self]


class ConsentMethod(enum.StrEnum):
    """How consent was given or withdrawn."""

    SIGNED_FORM = "signed_form"
    EMAIL = "email"
    VERBAL = "verbal"
    ONLINE_FORM = "online_form"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "signed_form": "Signed form",
            "email": "By e-mail",
            "verbal": "Said so in a session",
            "online_form": "Online form",
        }[self]


# The notice each purpose is first asked with; the coach may reword it (a new version).
DEFAULT_NOTICES: dict[Purpose, str] = {
    Purpose.DATA_PROCESSING: (
        "I agree that my coach keeps notes of our sessions, my goals, our agreements and "
        "invoices on their own computer, encrypted, for as long as the retention rules say, "
        "and uses them only to coach me. I can ask for a copy of everything, or for it to be "
        "erased, at any time."
    ),
    Purpose.SESSION_RECORDING: (
        "I agree that our sessions may be recorded or transcribed so my coach can write "
        "accurate notes. Recordings stay on my coach's computer and are deleted on schedule."
    ),
    Purpose.AI_ASSISTANCE: (
        "I agree that my coach may use an AI assistant that runs entirely on their own "
        "computer to draft summaries, action items and plans from my records. Nothing is "
        "sent to an online service, and my coach reviews and approves every draft."
    ),
    Purpose.MARKETING: (
        "I would like to receive occasional news and offers from my coach by e-mail. "
        "I can stop them at any time."
    ),
}
MAX_NOTICE = 5_000


@dataclass(frozen=True, slots=True)
class Notice:
    """One version of the wording for one purpose."""

    id: int
    purpose: Purpose
    version: int
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Consent:
    """One grant of consent, and its withdrawal if there was one."""

    id: int
    client_id: int
    purpose: Purpose
    notice_version: int
    given_on: date
    method: ConsentMethod
    withdrawn_on: date | None = None
    withdrawn_method: ConsentMethod | None = None

    @property
    def active(self) -> bool:
        """Whether this consent still stands."""
        return self.withdrawn_on is None


@dataclass(frozen=True, slots=True)
class ConsentState:
    """Where one purpose stands for one client: the newest grant and the ones before."""

    purpose: Purpose
    latest: Consent | None
    history: tuple[Consent, ...] = ()

    @property
    def given(self) -> bool:
        """Whether consent stands today."""
        return self.latest is not None and self.latest.active

    def describe(self) -> str:
        """One line for the coach: "Given 3 Mar 2026 (signed form, notice v2)"."""
        if self.latest is None:
            return "Not asked yet"
        consent = self.latest
        how = f"{consent.method.label.lower()}, notice v{consent.notice_version}"
        given = f"given {consent.given_on:%-d %b %Y} ({how})"
        if consent.withdrawn_on is None:
            return given[0].upper() + given[1:]
        return f"Withdrawn {consent.withdrawn_on:%-d %b %Y}; {given}"


@dataclass(frozen=True, slots=True)
class ConsentLine:
    """One purpose on a consent form: the wording in force and where the client stands."""

    notice: Notice
    state: ConsentState


def check_dates(given_on: date, withdrawn_on: date | None, today: date) -> None:
    """Refuse dates in the future or a withdrawal before the grant."""
    if given_on > today:
        raise ValidationError({"given_on": "Consent cannot be given on a future date."})
    if withdrawn_on is not None:
        if withdrawn_on > today:
            raise ValidationError({"withdrawn_on": "A withdrawal cannot be dated in the future."})
        if withdrawn_on < given_on:
            raise ValidationError(
                {"withdrawn_on": "Consent cannot be withdrawn before it was given."}
            )


# AI policy ---------------------------------------------------------------------------


class AiTask(enum.StrEnum):
    """The narrow jobs the on-device assistant may do."""

    SESSION_SUMMARY = "session_summary"
    ACTION_ITEMS = "action_items"
    FOLLOW_UP_EMAIL = "follow_up_email"
    LEAD_INTENT = "lead_intent"
    SESSION_PREP = "session_prep"
    LEARNING_PLAN = "learning_plan"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "session_summary": "Session summaries",
            "action_items": "Action items",
            "follow_up_email": "Follow-up e-mails",
            "lead_intent": "Reading what a lead wants",
            "session_prep": "Session prep briefs",
            "learning_plan": "First-pass learning plans",
        }[self]


DEFAULT_PROHIBITED: dict[str, tuple[str, ...]] = {
    "Mental-health diagnosis or therapy": (
        "diagnose",
        "diagnosis",
        "depression",
        "anxiety disorder",
        "ptsd",
        "bipolar",
        "therapy",
        "medication",
    ),
    "Medical advice": ("prescribe", "dosage", "symptom", "treatment plan", "medical advice"),
    "Legal advice": ("lawsuit", "sue", "legal advice", "contract law", "attorney", "solicitor"),
    "Financial advice": ("invest in", "stock tip", "financial advice", "crypto", "pension advice"),
    "Claims of credentials": (
        "as a licensed",
        "as a certified therapist",
        "as your doctor",
        "as a psychologist",
        "i am a lawyer",
    ),
}
DEFAULT_ESCALATION: dict[str, tuple[str, ...]] = {
    "Distress": ("hopeless", "can't cope", "cannot cope", "breaking down", "panic attack"),
    "Self-harm": ("self-harm", "suicide", "suicidal", "kill myself", "hurt myself", "end it all"),
    "Conflict": ("harass", "threaten", "abuse", "lawsuit against", "complaint about"),
}
MAX_WORDS_PER_TOPIC = 60


@dataclass(frozen=True, slots=True)
class AiPolicy:
    """What the on-device assistant may do for this practice.

    Args:
        version: counts the coach's edits (1 is the default policy).
        allowed: tasks that may run at all.
        review_always: tasks whose drafts are never approved in bulk: each one is read.
        prohibited: topics the assistant must not give advice on, with the words that
            flag them in a draft or its input.
        escalation: words that send a draft to manual review, by reason.
        min_confidence: below this (percent) a classification is sent to manual review.
    """

    version: int = 1
    allowed: frozenset[AiTask] = frozenset(AiTask)
    review_always: frozenset[AiTask] = frozenset({AiTask.FOLLOW_UP_EMAIL, AiTask.LEARNING_PLAN})
    prohibited: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_PROHIBITED))
    escalation: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ESCALATION))
    min_confidence: int = 60

    def to_json(self) -> str:
        """The stored form (without the version, which is the row's key)."""
        # Not sort_keys: topics keep the order the coach gave them.
        return json.dumps(
            {
                "allowed": sorted(self.allowed),
                "review_always": sorted(self.review_always),
                "prohibited": {k: list(v) for k, v in self.prohibited.items()},
                "escalation": {k: list(v) for k, v in self.escalation.items()},
                "min_confidence": self.min_confidence,
            }
        )

    @classmethod
    def from_json(cls, version: int, text: str) -> AiPolicy:
        """The policy stored as `text` (ValidationError names what is wrong)."""
        try:
            raw: dict[str, Any] = json.loads(text)
            policy = cls(
                version=version,
                allowed=frozenset(AiTask(t) for t in raw["allowed"]),
                review_always=frozenset(AiTask(t) for t in raw["review_always"]),
                prohibited={str(k): tuple(map(str, v)) for k, v in raw["prohibited"].items()},
                escalation={str(k): tuple(map(str, v)) for k, v in raw["escalation"].items()},
                min_confidence=int(raw["min_confidence"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValidationError({"policy": f"The AI policy cannot be read ({exc})."}) from None
        return policy.checked()

    def checked(self) -> AiPolicy:
        """This policy with its word lists tidied, or ValidationError."""
        if not 0 <= self.min_confidence <= 100:
            raise ValidationError({"min_confidence": "Confidence is a percentage, 0 to 100."})

        def tidy(topics: dict[str, tuple[str, ...]], what: str) -> dict[str, tuple[str, ...]]:
            result: dict[str, tuple[str, ...]] = {}
            for name, words in topics.items():
                name = " ".join(name.split())
                kept = tuple(dict.fromkeys(w.strip().lower() for w in words if w.strip()))
                if not name:
                    raise ValidationError({what: "Every topic needs a name."})
                if not kept:
                    raise ValidationError({what: f"“{name}” needs at least one word to look for."})
                if len(kept) > MAX_WORDS_PER_TOPIC:
                    raise ValidationError(
                        {what: f"“{name}” has more than {MAX_WORDS_PER_TOPIC} words."}
                    )
                result[name] = kept
            return result

        return replace(
            self,
            prohibited=tidy(self.prohibited, "prohibited"),
            escalation=tidy(self.escalation, "escalation"),
            review_always=self.review_always & self.allowed,
        )

    def topics_in(self, text: str) -> list[str]:
        """The prohibited topics `text` touches."""
        return _matches(self.prohibited, text)

    def escalations_in(self, text: str) -> list[str]:
        """The escalation reasons `text` gives."""
        return _matches(self.escalation, text)


def _matches(topics: dict[str, tuple[str, ...]], text: str) -> list[str]:
    """Topics with a word or phrase in `text`, as whole words ("sue" is not in "issue")."""
    lowered = " ".join(text.lower().split())
    return [
        name
        for name, words in topics.items()
        if any(re.search(rf"(?<!\w){re.escape(' '.join(w.split()))}(?!\w)", lowered) for w in words)
    ]


# Retention ---------------------------------------------------------------------------


class Category(enum.StrEnum):
    """A kind of data with its own retention rule."""

    NOTES = "notes"
    TRANSCRIPTS = "transcripts"
    DOCUMENTS = "documents"
    INVOICES = "invoices"
    LEADS = "leads"
    AUDIT = "audit"
    BACKUPS = "backups"

    @property
    def label(self) -> str:
        """The name shown to the coach."""
        return {
            "notes": "Session and general notes",
            "transcripts": "Session transcripts",
            "documents": "Generated documents",
            "invoices": "Invoices and payments",
            "leads": "Leads that never became clients",
            "audit": "Audit trail entries",
            "backups": "Backups CoachDesk made",
        }[self]

    @property
    def counted_from(self) -> str:
        """What the age is measured from, for the coach."""
        return {
            "notes": "the note's date",
            "transcripts": "the transcript's date",
            "documents": "the day it was made",
            "invoices": "the invoice date",
            "leads": "the last contact, or when they were added",
            "audit": "the day it was recorded",
            "backups": "the day it was taken",
        }[self]


# Months; 0 keeps for ever. Invoices: seven years covers the tax-record periods of the UK
# (six years after the year end), the US (IRS: up to seven) and most of the EU.
DEFAULT_RETENTION: dict[Category, int] = {
    Category.NOTES: 72,
    Category.TRANSCRIPTS: 12,
    Category.DOCUMENTS: 72,
    Category.INVOICES: 84,
    Category.LEADS: 24,
    Category.AUDIT: 84,
    Category.BACKUPS: 6,
}
MAX_RETENTION_MONTHS = 1200


def check_months(category: Category, months: int) -> int:
    """`months` checked for a rule (0 keeps for ever)."""
    if not 0 <= months <= MAX_RETENTION_MONTHS:
        raise ValidationError(
            {category.value: f"Keep for 0 (for ever) to {MAX_RETENTION_MONTHS} months."}
        )
    return months


def cutoff(today: date, months: int) -> date | None:
    """The first day that is kept under a rule of `months` (None: everything is kept)."""
    return None if months == 0 else today - relativedelta(months=months)


def keep_until(start: date, months: int) -> date | None:
    """The last day something dated `start` is kept (None: for ever)."""
    return None if months == 0 else start + relativedelta(months=months)


def describe_months(months: int) -> str:
    """ "7 years", "18 months", "for ever"."""
    if months == 0:
        return "for ever"
    if months % 12 == 0:
        years = months // 12
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{months} month{'s' if months != 1 else ''}"


@dataclass(frozen=True, slots=True)
class RetentionItem:
    """One thing a retention run removes."""

    category: Category
    ref_id: int
    dated: date
    label: str
    count: int = 1  # audit entries go as one run of many


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    """What a run would remove, worked out for one day."""

    today: date
    rules: dict[Category, int]
    items: tuple[RetentionItem, ...]

    def counts(self) -> dict[Category, int]:
        """How many items per category (every category, zeros included)."""
        counts = dict.fromkeys(Category, 0)
        for item in self.items:
            counts[item.category] += item.count
        return counts

    def to_json(self) -> dict[str, Any]:
        """The plan for `--json` output."""
        return {
            "today": self.today.isoformat(),
            "rules": {c.value: m for c, m in self.rules.items()},
            "counts": {c.value: n for c, n in self.counts().items()},
            "items": [
                {
                    "category": i.category.value,
                    "id": i.ref_id,
                    "dated": i.dated.isoformat(),
                    "label": i.label,
                    "count": i.count,
                }
                for i in self.items
            ],
        }
