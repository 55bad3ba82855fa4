"""A demo practice: a separate vault filled with believable clients.

It grows with every feature: each area adds its own demo data here.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from threading import Event

from sqlalchemy.orm import Session

from coachdesk.domain.clients import ClientDraft, ClientStatus, ClientType, Objective
from coachdesk.domain.compliance import ConsentMethod, Purpose
from coachdesk.domain.crm import (
    FollowUpDraft,
    GoalDraft,
    GoalStatus,
    MilestoneDraft,
    NoteDraft,
    NoteKind,
)
from coachdesk.domain.errors import CancelledError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import (
    OfferTerms,
    PaymentTerms,
    Repeat,
    SessionDraft,
    SessionStatus,
    Tier,
    WorkingHours,
    from_wall_clock,
)
from coachdesk.services import calendar, documents, invoices, offers, practice, sessions, vaults
from coachdesk.services import clients as client_services
from coachdesk.services import crm as crm_services
from coachdesk.store import audit, crm, pipeline
from coachdesk.store import clients as repo
from coachdesk.store.keys import KdfParams
from coachdesk.store.tables import ClientTable, GoalTable
from coachdesk.store.vault import Vault

DEMO_PASSPHRASE = "demo practice vault passphrase"  # noqa: S105 - published on purpose

FIRST = [
    "Amara",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Keisha",
    "Luca",
    "Maya",
    "Nikolai",
    "Olivia",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Valentina",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aoife",
    "Bruno",
    "Carmen",
    "Dev",
    "Emeka",
    "Freya",
    "Gabriel",
    "Hana",
    "Isaac",
    "Julia",
    "Kwame",
    "Leila",
    "Mateo",
    "Noor",
    "Oscar",
    "Paula",
    "Rafael",
    "Sofia",
    "Tomás",
    "Ursula",
    "Viktor",
]
LAST = [
    "Adeyemi",
    "Bauer",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vasquez",
    "Walsh",
    "Xu",
    "Yamamoto",
    "Zimmermann",
    "Okafor",
    "Lindqvist",
    "Mendes",
    "Novak",
    "Silva",
    "Brennan",
    "Chowdhury",
    "Dimitrov",
    "Fontaine",
    "Gupta",
    "Hoffmann",
]
COMPANIES = [
    "Northwind Labs",
    "Blue Harbor Bank",
    "Kestrel Design",
    "Atlas Health",
    "Juniper Legal",
    "Orbit Logistics",
    "Fernhill School",
    "Copperleaf Studio",
    "Meridian Energy",
    "Lumen Analytics",
    "Harbourview Council",
    "Tidewater Foods",
    "Summit Consulting",
    "Quarry Games",
    "Willow Publishing",
]
ROLES = [
    "Product Manager",
    "Software Engineer",
    "Team Lead",
    "Head of Design",
    "Nurse Practitioner",
    "Associate",
    "Teacher",
    "Marketing Director",
    "Data Analyst",
    "Operations Manager",
    "Graduate",
    "Finance Controller",
    "UX Researcher",
    "Founder",
    "Engineering Manager",
]
ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Pacific/Auckland",
]
NICKNAMES = {
    "Gabriel": "Gabe",
    "Nikolai": "Niko",
    "Valentina": "Vale",
    "Elena": "Lena",
    "Dmitri": "Dima",
    "Tomás": "Tom",
    "Olivia": "Liv",
    "Rafael": "Rafa",
    "Isaac": "Zac",
    "Julia": "Jules",
}
LOCALES = ["en-GB", "en-US", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "en-AU"]
SOURCES = [
    "Referral",
    "LinkedIn",
    "Website form",
    "Podcast",
    "Workshop",
    "Newsletter",
    "Alumni intro",
]
TAGS = [
    "interview prep",
    "exam prep",
    "portfolio",
    "leadership",
    "career change",
    "scholarship",
    "returner",
    "vip",
    "group programme",
]
NOTES = [
    "Wants to move from individual contributor to team lead within the year.",
    "Preparing for a panel interview; nervous about case questions.",
    "Portfolio review before applying to design agencies.",
    "Returning to work after parental leave; rebuilding confidence.",
    "Exam in spring; needs a weekly study rhythm and accountability.",
    "Considering a switch from finance into product management.",
    "",
]
STATUS_WEIGHTS = [
    (ClientStatus.LEAD, 3),
    (ClientStatus.ACTIVE, 5),
    (ClientStatus.PAUSED, 1),
    (ClientStatus.ALUMNI, 2),
    (ClientStatus.LOST, 1),
]


OBJECTIVE_BY_TAG = {
    "interview prep": Objective.INTERVIEW_PREP,
    "exam prep": Objective.EXAM_PREP,
    "portfolio": Objective.PORTFOLIO,
    "leadership": Objective.LEADERSHIP,
    "career change": Objective.CAREER_CHANGE,
}
THEMES = [
    "confidence",
    "negotiation",
    "storytelling",
    "time management",
    "stakeholders",
    "networking",
    "salary",
    "delegation",
    "study plan",
    "visibility",
    "feedback",
    "boundaries",
]
BLOCKERS = [
    "no time after work",
    "manager not supportive",
    "imposter feelings",
    "unclear target role",
    "visa timing",
    "childcare",
    "procrastination",
    "",
]
SENTENCES = [
    "Walked through the STAR stories for the {company} interview; the conflict one runs long.",
    "Agreed to send three tailored applications before the next session.",
    "Mock panel went well; follow-up questions on metrics need sharper numbers.",
    "Talked about asking {company} for a stretch project to show leadership.",
    "Reviewed the portfolio case studies; the second one lacks a clear outcome.",
    "Set a study rhythm of four evenings a week with a practice paper on Sundays.",
    "Discussed how to raise salary expectations without anchoring too low.",
    "Mapped the stakeholders for the reorganisation and who to brief first.",
    "Feels stuck between two offers; listed what matters most in the next role.",
    "Practised the elevator pitch for the {company} networking evening.",
    "Delegation is still hard: kept the reporting work instead of handing it over.",
    "Wants feedback from the hiring manager after the second-round rejection.",
    "LinkedIn headline rewritten around product discovery rather than finance.",
    "Exam mock score up from 58 to 71; weakest area is the written section.",
    "Homework: informational interviews with two people at {company}.",
    "Reflected on the last quarter; energy is lowest after back-to-back meetings.",
    "Prepared questions to ask at the end of the interview.",
    "Sketched a 30-60-90 day plan for the new team lead role.",
    "Agreed boundaries for evening messages from the team.",
    "Portfolio site now live; needs a stronger about page.",
]
GOALS = [
    ("Land a {role} role", "Signed offer letter"),
    ("Pass the professional exam", "Exam result of 70 or more"),
    ("Lead the team's quarterly planning", "Plan presented and approved"),
    ("Publish a portfolio of four case studies", "Four case studies online"),
    ("Negotiate a 10% raise", "New contract signed"),
    ("Build a weekly study habit", "Eight weeks in a row of four sessions"),
]
FOLLOW_UPS = [
    "Send the reading list",
    "Check in after the interview",
    "Share the CV template",
    "Ask how the mock exam went",
    "Send the proposal",
    "Book the next session",
    "Review the updated portfolio",
]
LOST_REASONS = ["Chose another coach", "Budget", "Timing: starting a new job", "No reply"]
# The journey each status implies, as built-in stage keys in order.
JOURNEYS = {
    ClientStatus.LEAD: ["inquiry", "discovery", "proposal"],
    ClientStatus.ACTIVE: ["inquiry", "discovery", "proposal", "active"],
    ClientStatus.PAUSED: ["inquiry", "discovery", "proposal", "active"],
    ClientStatus.ALUMNI: ["inquiry", "discovery", "proposal", "active", "completed", "alumni"],
    ClientStatus.LOST: ["inquiry", "discovery"],
}


def demo_client(rng: random.Random, index: int) -> ClientDraft:
    """One believable client, different for each index."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
    slug = ascii_name.decode().lower().replace("'", "")
    status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
    tags = tuple(rng.sample(TAGS, k=rng.randint(0, 2)))
    objective = next(
        (OBJECTIVE_BY_TAG[t] for t in tags if t in OBJECTIVE_BY_TAG),
        rng.choice(list(Objective)),
    )
    return ClientDraft(
        first_name=first,
        last_name=last,
        preferred_name=NICKNAMES.get(first, "") if rng.random() < 0.3 else "",
        emails=(f"{slug}{index}@example.com",)
        + ((f"{slug}.{index}@work.example.org",) if rng.random() < 0.2 else ()),
        phones=(f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",)
        if rng.random() < 0.7
        else (),
        company=rng.choice(COMPANIES),
        role=rng.choice(ROLES),
        time_zone=rng.choice(ZONES),
        locale=rng.choice(LOCALES),
        lead_source=rng.choice(SOURCES),
        status=status,
        tags=tags,
        notes=rng.choice(NOTES),
        client_type=rng.choices(list(ClientType), [8, 2, 1])[0],
        objective=objective,
        birthday=f"{rng.randint(1965, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if rng.random() < 0.4
        else "",
    )


def _note_text(rng: random.Random, company: str) -> str:
    picked = rng.sample(SENTENCES, k=rng.randint(2, 4))
    return " ".join(s.format(company=company) for s in picked)


def _journey(
    session: Session,
    rng: random.Random,
    row: ClientTable,
    draft: ClientDraft,
    stages: dict[str, int],
    now: datetime,
    notes: int,
) -> None:
    """Back-dated stage history, notes, goals and follow-ups for one demo client."""
    status = ClientStatus(draft.status)
    keys = JOURNEYS[status]
    if status == ClientStatus.LEAD:
        keys = keys[: rng.randint(1, 3)]
    # Leads are recent (a few have gone quiet); clients have longer histories.
    days_ago = rng.randint(1, 45) if status == ClientStatus.LEAD else rng.randint(20, 360)
    at = now - timedelta(days=days_ago, hours=rng.randint(0, 23))
    for key in keys:
        pipeline.record_move(session, row, stages[key], at)
        at = min(now, at + timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8)))
    if status == ClientStatus.LOST:
        pipeline.record_move(session, row, stages["lost"], at, rng.choice(LOST_REASONS))
        row.lost_reason = rng.choice(LOST_REASONS)
    started = row.stage_since or now
    last_note = None
    for n in range(notes):
        kind = NoteKind.DISCOVERY if n == 0 else NoteKind.SESSION
        if rng.random() < 0.15:
            kind = NoteKind.GENERAL
        span = max(1, (now - started).days)
        day = (started + timedelta(days=rng.randint(0, span))).date()
        if n == notes - 1 and status == ClientStatus.ACTIVE and rng.random() < 0.75:
            day = (now - timedelta(days=rng.randint(0, min(span, 20)))).date()
        draft_note = NoteDraft(
            kind,
            day,
            _note_text(rng, draft.company),
            tuple(rng.sample(THEMES, k=rng.randint(1, 2))),
            tuple(b for b in rng.sample(BLOCKERS, k=1) if b),
        )
        crm.add_note(session, row.id, draft_note, now)
        last_note = max(last_note or day, day)
    if last_note is not None:
        row.last_contact_at = datetime.combine(last_note, time(12))
    if status in (ClientStatus.ACTIVE, ClientStatus.PAUSED):
        objective, measure = rng.choice(GOALS)
        goal = GoalTable(client_id=row.id, created_at=started)
        goal.milestones = []
        session.add(goal)
        target = started.date() + timedelta(days=rng.randint(60, 180))
        elapsed = (now.date() - started.date()).days / max(1, (target - started.date()).days)
        progress = max(0, min(95, round(100 * elapsed) + rng.randint(-35, 10)))
        crm.apply_goal(
            session,
            goal,
            GoalDraft(
                objective.format(role=draft.role or "new"),
                measure,
                target,
                GoalStatus.ON_TRACK if progress > 20 else GoalStatus.NOT_STARTED,
                progress,
            ),
            (
                MilestoneDraft("First draft shared", target - timedelta(days=45), progress > 30),
                MilestoneDraft("Feedback round", target - timedelta(days=20), progress > 60),
            ),
            now,
        )
    if status != ClientStatus.LOST and rng.random() < 0.6:
        due = now + timedelta(days=rng.randint(-6, 12), hours=rng.randint(-5, 5))
        crm.add_follow_up(
            session,
            row.id,
            FollowUpDraft(rng.choice(FOLLOW_UPS), due.replace(minute=0, second=0, microsecond=0)),
            now,
        )


def fill(
    vault: Vault,
    count: int,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
    cancel: Event | None = None,
    batch: int = 500,
    notes_per_client: tuple[int, int] = (1, 4),
) -> int:
    """Add `count` demo clients, each with a pipeline history, notes, and for the
    active ones goals and follow-ups, in batches; returns how many were added."""
    rng = random.Random(seed)
    added = 0
    while added < count:
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Stopped after {added} demo clients.")
        now = datetime.now(UTC).replace(tzinfo=None)
        with vault.writing() as session:
            stages = {s.key: s.id for s in pipeline.stages(session) if s.key}
            for index in range(added, min(added + batch, count)):
                draft = demo_client(rng, index).validated()
                row = repo.insert(session, draft, now)
                _journey(session, rng, row, draft, stages, now, rng.randint(*notes_per_client))
                audit.append(session, vault.actor, "client", row.id, "create")
        added = min(added + batch, count)
        if progress is not None:
            progress(added, count)
    return added


def create_demo_vault(
    root: Path,
    clients: int,
    passphrase: str = DEMO_PASSPHRASE,
    actor: str = "coach@demo",
    kdf: KdfParams | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Vault:
    """A new vault at `root` with a practice profile and `clients` demo clients."""
    vault = vaults.create_vault(root, passphrase, actor, kdf=kdf)
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Career Coaching", "Europe/London", "GBP")
    )
    fill(vault, clients, progress=progress)
    add_documents(vault)
    add_logistics(vault)
    add_consents(vault)
    return vault


def add_consents(vault: Vault, seed: int = 13) -> int:
    """Consent as a real practice would have it: records for every client who was more than
    a lead, AI assistance for about half of them, one withdrawn; returns how many grants."""
    from coachdesk.services import compliance

    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    given = 0
    for row in client_services.list_clients(vault):
        if row.status is ClientStatus.LEAD:
            continue
        on = today - timedelta(days=rng.randint(20, 300))
        compliance.give_consent(
            vault, row.id, Purpose.DATA_PROCESSING, ConsentMethod.SIGNED_FORM, on
        )
        given += 1
        if rng.random() < 0.5:
            method = rng.choice((ConsentMethod.EMAIL, ConsentMethod.SIGNED_FORM))
            compliance.give_consent(vault, row.id, Purpose.AI_ASSISTANCE, method, on)
            given += 1
            if given == 4:
                compliance.withdraw_consent(
                    vault, row.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL
                )
    return given


DEMO_OFFERS = (
    OfferTerms(
        name="Interview Sprint",
        tier=Tier.PREMIUM,
        outcome="Walk into interviews prepared and calm",
        included=("Four one-to-one sessions", "Two mock interviews", "Feedback notes"),
        timeline="Four weeks",
        session_count=4,
        session_minutes=60,
        price_minor=60_000,
        currency="GBP",
        tax_rate_bp=2_000,
        notice_hours=24,
    ),
    OfferTerms(
        name="Leadership Accelerator",
        tier=Tier.PREMIUM,
        outcome="Lead a team with confidence",
        included=("Eight sessions", "A 360° review", "E-mail support"),
        timeline="Three months",
        session_count=8,
        session_minutes=60,
        price_minor=180_000,
        currency="GBP",
        tax_rate_bp=2_000,
        payment_terms=PaymentTerms.INSTALMENTS,
        instalments=3,
        notice_hours=48,
        late_cancel_counts=True,
        no_show_counts=True,
    ),
    OfferTerms(
        name="Career Change Circle",
        tier=Tier.GROUP,
        outcome="A clear plan for your next role, with peers",
        included=("Six group sessions", "Worksheets"),
        timeline="Six weeks",
        session_count=6,
        session_minutes=90,
        price_minor=45_000,
        currency="GBP",
        tax_rate_bp=2_000,
        notice_hours=12,
        late_cancel_counts=False,
    ),
)


def add_logistics(vault: Vault, seed: int = 11) -> None:
    """Offers, enrolments, a cohort, past and coming sessions, and invoices in every state."""
    rng = random.Random(seed)
    calendar.set_working_hours(vault, [WorkingHours(day, 9 * 60, 17 * 60) for day in range(5)])
    sprint, accelerator, circle = (offers.create_offer(vault, terms) for terms in DEMO_OFFERS)
    active = [
        row for row in client_services.list_clients(vault) if row.status is ClientStatus.ACTIVE
    ]
    today = datetime.now(UTC).date()
    cohort_members = [row.id for row in active[:4]]
    if cohort_members:
        cohort = offers.create_cohort(
            vault, "Autumn circle", circle.id, today - timedelta(days=14), cohort_members
        )
        for week in range(-2, 4):
            day = today + timedelta(days=week * 7 + (3 - today.weekday()) % 7)  # Thursdays
            at = from_wall_clock(day, time(18, 0), "Europe/London")
            group = sessions.book(
                vault,
                SessionDraft(None, at, 90, "Europe/London", cohort_id=cohort),
                override_reason="Demo practice",
            )
            if group.starts_at < datetime.now(UTC).replace(tzinfo=None):
                sessions.mark(vault, group.id, SessionStatus.DONE)
    to_bill: list[tuple[date, int, int]] = []
    for index, row in enumerate(active[4:16]):
        offer = sprint if index % 2 else accelerator
        start = today - timedelta(days=rng.randint(10, 40))
        enrolment = offers.enrol(vault, row.id, offer.id, start_on=start)
        weekday = index % 5  # spread over the working week
        first = start + timedelta(days=(weekday - start.weekday()) % 7)
        booked = sessions.book_series(
            vault,
            row.id,
            first,
            time(9 + (index * 3) % 8, 0),
            "Europe/London",
            Repeat.WEEKLY,
            min(offer.terms.session_count, 6),
            offer.terms.session_minutes,
            enrolment.id,
            override_reason="Demo practice",
        )
        now = datetime.now(UTC).replace(tzinfo=None)
        for session in booked:
            if session.starts_at < now:
                done = SessionStatus.NO_SHOW if rng.random() < 0.1 else SessionStatus.DONE
                sessions.mark(vault, session.id, done)
        to_bill.append((start, index, enrolment.id))
    # Invoices are issued in date order: their numbers follow their dates.
    for start, index, enrolment_id in sorted(to_bill):
        draft = invoices.invoice_from_enrolment(vault, enrolment_id)
        issued = invoices.issue(vault, draft.id, issued_on=start)
        due = issued.totals.due_minor
        paid_on = min(start + timedelta(days=5), today)
        match index % 4:
            case 0 | 1:
                invoices.record_payment(vault, issued.id, due, paid_on=paid_on)
            case 2:
                invoices.record_payment(vault, issued.id, due // 2, paid_on=paid_on)
            case _:
                pass  # left unpaid: overdue once its due date passes


def add_documents(vault: Vault, count: int = 3) -> int:
    """A progress report and a coaching plan for the first few active clients with goals."""
    made = 0
    for row in client_services.list_clients(vault):
        if made >= count:
            break
        if row.status is not ClientStatus.ACTIVE or not crm_services.list_goals(vault, row.id):
            continue
        documents.create_document(vault, row.id, "coaching_plan")
        documents.create_document(vault, row.id, "progress_report")
        made += 1
    return made
