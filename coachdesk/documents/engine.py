"""From template and context to a `Document` (and to an e-mail's subject and body).

Also checks a template before it is saved: it must parse, read only names the
context provides, fill in against a sample client whose record has every kind
of data, and produce valid document markup.  Every problem names its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from coachdesk.documents import markup, sandbox
from coachdesk.documents.context import Record, build
from coachdesk.documents.model import Document
from coachdesk.documents.sandbox import BrokenTemplateError
from coachdesk.documents.types import (
    CONTEXT_NAMES,
    DOC_TYPES,
    EMAIL_TEMPLATE,
    DocType,
    doc_type,
)
from coachdesk.domain.clients import Client, ClientStatus, ClientType, Objective
from coachdesk.domain.compliance import (
    DEFAULT_NOTICES,
    Consent,
    ConsentLine,
    ConsentMethod,
    ConsentState,
    Notice,
    Purpose,
)
from coachdesk.domain.crm import FollowUp, Goal, GoalStatus, Milestone, Note, NoteKind, Recurrence
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import OfferTerms

MAX_SUBJECT = 200


def _line_of_tag(source: str, tag: str) -> int | None:
    if not tag:
        return None
    pattern = re.compile(rf"</?{re.escape(tag)}\b", re.IGNORECASE)
    for number, text in enumerate(source.splitlines(), start=1):
        if pattern.search(text):
            return number
    return None


def render_document(
    source: str, context: Mapping[str, Any], author: str = "", subject: str = ""
) -> Document:
    """Fill in a document template and parse its markup.

    Raises:
        BrokenTemplateError: with the template line at fault where it can be found.
    """
    text = sandbox.render(source, context)
    try:
        return markup.parse(text, author=author, subject=subject)
    except markup.MarkupError as exc:
        raise BrokenTemplateError(exc.message, _line_of_tag(source, exc.tag)) from None


@dataclass(frozen=True, slots=True)
class EmailText:
    """An e-mail's subject and body, filled in."""

    subject: str
    body: str


def render_email(source: str, context: Mapping[str, Any]) -> EmailText:
    """Fill in the e-mail template: a "Subject:" line, a blank line, then the body.

    Raises:
        BrokenTemplateError: the template is broken or has no subject line.
    """
    text = sandbox.render(source, context, autoescape=False).lstrip("\n")
    first, _, body = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise BrokenTemplateError(
            'The e-mail template must start with a "Subject:" line, then a blank line.', 1
        )
    subject = " ".join(first[len("subject:") :].split())[:MAX_SUBJECT]
    if not subject:
        raise BrokenTemplateError("The subject line is empty.", 1)
    return EmailText(subject, body.strip("\n") + "\n")


# -- checking a template before it is saved ---------------------------------------


def sample_record(today: date) -> Record:
    """A made-up client whose record has every kind of data a template might read."""
    now = datetime.combine(today, datetime.min.time())
    client = Client(
        id=1,
        first_name="Alex",
        last_name="Sample",
        preferred_name="Al",
        emails=("alex@example.com",),
        phones=("+44 20 7946 0000",),
        company="Example Ltd",
        role="Product manager",
        time_zone="Europe/London",
        locale="en-GB",
        lead_source="Referral",
        status=ClientStatus.ACTIVE,
        tags=("leadership",),
        notes="",
        created_at=now - timedelta(days=120),
        updated_at=now,
        client_type=ClientType.INDIVIDUAL,
        objective=Objective.LEADERSHIP,
        birthday="1990-04-03",
        stage_name="Active",
    )
    goal = Goal(
        id=1,
        client_id=1,
        objective="Lead the quarterly planning",
        measure="Runs the Q3 planning meeting",
        target_on=today + timedelta(days=60),
        status=GoalStatus.ON_TRACK,
        progress=40,
        created_at=now,
        updated_at=now,
        milestones=(
            Milestone(1, 1, "Draft the agenda", today, now, 0),
            Milestone(2, 1, "Rehearse with a peer", None, None, 1),
        ),
    )
    notes = (
        Note(
            1,
            1,
            NoteKind.SESSION,
            today,
            "We talked about delegation.",
            ("delegation",),
            ("time",),
            1,
            now,
            now,
        ),
        Note(
            2,
            1,
            NoteKind.DISCOVERY,
            today - timedelta(days=100),
            "Wants to lead.",
            (),
            (),
            1,
            now,
            now,
        ),
    )
    follow_up = FollowUp(
        1,
        1,
        "Alex Sample",
        "Send the agenda",
        now + timedelta(days=3),
        Recurrence.NONE,
        None,
        0,
        now,
    )
    offer = OfferTerms(
        name="Leadership Accelerator",
        outcome="Lead a team with confidence",
        included=("Eight one-to-one sessions", "A 360° review"),
        session_count=8,
        price_minor=240_000,
        currency="EUR",
    )
    given = Consent(
        1, 1, Purpose.DATA_PROCESSING, 1, today - timedelta(days=100), ConsentMethod.EMAIL
    )
    consents = tuple(
        ConsentLine(
            Notice(0, purpose, 1, DEFAULT_NOTICES[purpose], now),
            ConsentState(purpose, given if purpose is given.purpose else None),
        )
        for purpose in Purpose
    )
    return Record(client, (goal,), notes, (follow_up,), offer, consents)


def sparse_record(today: date) -> Record:
    """A new lead: a first name and nothing else (no goals, notes or follow-ups)."""
    full = sample_record(today).client
    client = replace(
        full,
        last_name="",
        preferred_name="",
        emails=(),
        phones=(),
        company="",
        role="",
        time_zone="",
        lead_source="",
        status=ClientStatus.LEAD,
        tags=(),
        objective=Objective.NONE,
        birthday="",
        stage_name="Inquiry",
    )
    return Record(client)


def check_template(key: str, source: str, profile: PracticeProfile, today: date) -> None:
    """Refuse a template that would fail for a real client.

    Raises:
        BrokenTemplateError: naming the line and what is wrong.
    """
    autoescape = key != EMAIL_TEMPLATE
    sandbox.check_syntax(source, CONTEXT_NAMES, autoescape)
    variants: list[tuple[DocType, dict[str, str]]]
    if key == EMAIL_TEMPLATE:
        variants = [(kind, {}) for kind in DOC_TYPES]
    else:
        kind = doc_type(key)
        variants = [(kind, {})]
        if any(option.key == "prefill" for option in kind.options):
            variants.append((kind, {"prefill": "no"}))
    # A full record and a new lead's almost empty one: a template must work for both.
    for record in (sample_record(today), sparse_record(today)):
        for kind, given in variants:
            options = kind.resolve_options(given, today)
            context = build(kind, profile, record, options, today)
            if key == EMAIL_TEMPLATE:
                render_email(source, context)
            else:
                render_document(source, context)
