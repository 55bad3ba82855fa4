"""The document types CoachDesk makes, and the choices each asks for."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from coachdesk.domain.errors import NotFoundError, ValidationError

EMAIL_TEMPLATE = "email"
FORMATS = ("pdf", "docx")  # what a document can be saved as
# Every top-level name a document template may read; the context builder fills them all.
CONTEXT_NAMES = frozenset(
    {
        "practice",
        "client",
        "goals",
        "notes",
        "follow_ups",
        "note",
        "offer",
        "consents",
        "options",
        "today",
        "document",
    }
)


class OptionKind(enum.StrEnum):
    """What kind of value an option holds."""

    TEXT = "text"
    DATE = "date"
    NUMBER = "number"
    YES_NO = "yes_no"
    SESSION_NOTE = "session_note"  # the id of one of the client's session notes


@dataclass(frozen=True, slots=True)
class Option:
    """One choice the coach makes when creating a document.

    Args:
        key: the name templates read as `options.<key>`.
        label: what the coach sees.
        kind: the value's kind.
        default: the value when the coach gives none; dates may be "today+N" or "today-N".
        refresh: "Make again" works the default out afresh instead of keeping the value
            the document was made with (an offer's expiry moves on; a completion date does not).
    """

    key: str
    label: str
    kind: OptionKind = OptionKind.TEXT
    default: str = ""
    refresh: bool = False

    def default_value(self, today: date) -> str:
        """The default, with relative dates resolved."""
        if self.kind is OptionKind.DATE and self.default.startswith("today"):
            offset = int(self.default[5:] or 0)
            return (today + timedelta(days=offset)).isoformat()
        return self.default

    def clean(self, value: str) -> str:
        """`value` checked for this option's kind (ValidationError names the option)."""
        value = value.strip()
        if not value:
            return value
        try:
            match self.kind:
                case OptionKind.DATE:
                    return date.fromisoformat(value).isoformat()
                case OptionKind.NUMBER:
                    number = Decimal(value)
                    if not number.is_finite() or number < 0:
                        raise ValueError
                    return value
                case OptionKind.YES_NO:
                    if value.lower() not in ("yes", "no"):
                        raise ValueError
                    return value.lower()
                case OptionKind.SESSION_NOTE:
                    return str(int(value))
        except (ValueError, ArithmeticError):
            hint = {
                OptionKind.DATE: "a date such as 2026-12-31",
                OptionKind.NUMBER: "a number of zero or more",
                OptionKind.YES_NO: '"yes" or "no"',
                OptionKind.SESSION_NOTE: "the number of one of the client's session notes",
            }[self.kind]
            raise ValidationError({self.key: f"{self.label} must be {hint}."}) from None
        return value


@dataclass(frozen=True, slots=True)
class DocType:
    """A kind of document, with its built-in template file."""

    key: str
    name: str
    description: str
    options: tuple[Option, ...] = ()

    @property
    def template_file(self) -> str:
        """The built-in template's file name in resources/templates/."""
        return f"{self.key}.html.j2"

    def resolve_options(self, given: Mapping[str, str], today: date) -> dict[str, str]:
        """Every option's value: the coach's where given, else the default.

        Raises:
            ValidationError: an unknown option or a value of the wrong kind.
        """
        known = {option.key: option for option in self.options}
        unknown = sorted(set(given) - set(known))
        if unknown:
            choices = ", ".join(known) or "none"
            raise ValidationError(
                {unknown[0]: f"{self.name} has no option '{unknown[0]}' (its options: {choices})."}
            )
        values: dict[str, str] = {}
        for key, option in known.items():
            value = option.clean(given.get(key, ""))
            values[key] = value or option.default_value(today)
        return values


DOC_TYPES: tuple[DocType, ...] = (
    DocType(
        "intake_form",
        "Intake form",
        "Questions for a new client: blank to fill in by hand, or pre-filled from the record.",
        (Option("prefill", "Fill in what the record already holds", OptionKind.YES_NO, "yes"),),
    ),
    DocType(
        "coaching_plan",
        "Coaching plan",
        "The goals, milestones and next steps agreed with the client.",
        (
            Option("period", "Plan period", OptionKind.TEXT, "the next three months"),
            Option("sessions", "Sessions planned", OptionKind.NUMBER, "6"),
        ),
    ),
    DocType(
        "session_summary",
        "Session summary",
        "What a session covered, with the action items that came out of it.",
        (Option("note", "Session note", OptionKind.SESSION_NOTE, ""),),
    ),
    DocType(
        "progress_report",
        "Progress report",
        "Goals, progress, milestones and session notes over a period.",
        (Option("since", "Report from", OptionKind.DATE, "today-90", refresh=True),),
    ),
    DocType(
        "renewal_proposal",
        "Renewal proposal",
        "What the client achieved and what a next term would offer.",
        (
            # Empty defaults are filled from the client's current offer, when there is one.
            Option("programme", "Programme", OptionKind.TEXT, ""),
            Option("sessions", "Sessions", OptionKind.NUMBER, ""),
            Option("price", "Price", OptionKind.NUMBER, ""),
            Option("valid_until", "Offer valid until", OptionKind.DATE, "today+30", refresh=True),
        ),
    ),
    DocType(
        "consent_form",
        "Consent form",
        "What the client agrees to, purpose by purpose, with the wording in force, to sign.",
        (
            Option(
                "prefill", "Tick what the client has already agreed to", OptionKind.YES_NO, "yes"
            ),
        ),
    ),
    DocType(
        "certificate",
        "Certificate of completion",
        "A certificate for a client who completed a programme.",
        (
            Option("programme", "Programme", OptionKind.TEXT, "Coaching programme"),
            Option("completed_on", "Completed on", OptionKind.DATE, "today"),
        ),
    ),
)
_BY_KEY = {doc_type.key: doc_type for doc_type in DOC_TYPES}


def doc_type(key: str) -> DocType:
    """The document type called `key`."""
    try:
        return _BY_KEY[key]
    except KeyError:
        names = ", ".join(_BY_KEY)
        raise NotFoundError(f"There is no document type '{key}'. Choose one of: {names}.") from None


def template_names() -> tuple[str, ...]:
    """Every editable template: one per document type, and the e-mail."""
    return (*_BY_KEY, EMAIL_TEMPLATE)


def template_title(key: str) -> str:
    """What the coach calls a template."""
    return "E-mail to client" if key == EMAIL_TEMPLATE else doc_type(key).name


def template_file(key: str) -> str:
    """The built-in template's file name in resources/templates/."""
    return "email.txt.j2" if key == EMAIL_TEMPLATE else doc_type(key).template_file
