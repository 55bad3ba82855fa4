"""Consent per client and purpose, the consent notices, the AI policy and retention runs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from coachdesk.domain.clients import display_name
from coachdesk.domain.compliance import (
    DEFAULT_NOTICES,
    DEFAULT_RETENTION,
    MAX_NOTICE,
    AiPolicy,
    Category,
    Consent,
    ConsentMethod,
    ConsentState,
    Notice,
    Purpose,
    RetentionItem,
    RetentionPlan,
    check_dates,
    check_months,
    cutoff,
)
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.store import audit, privacy
from coachdesk.store import consent as consent_store
from coachdesk.store.tables import (
    AiPolicyTable,
    AuditEventTable,
    BackupTable,
    ClientTable,
    ConsentNoticeTable,
    ConsentTable,
    EnrolmentTable,
    FollowUpTable,
    GeneratedDocumentTable,
    GoalTable,
    InvoiceTable,
    NoteTable,
    RetentionRuleTable,
    RetentionRunTable,
    SessionTable,
    StageChangeTable,
)
from coachdesk.store.vault import Vault


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _today() -> date:
    return datetime.now().date()


# Notices -----------------------------------------------------------------------------


def _notice_row(session: Session, purpose: Purpose) -> ConsentNoticeTable:
    """The notice in force for `purpose`; the built-in wording becomes version 1 when used."""
    row = session.scalars(
        select(ConsentNoticeTable)
        .where(ConsentNoticeTable.purpose == purpose.value)
        .order_by(ConsentNoticeTable.version.desc())
        .limit(1)
    ).first()
    if row is None:
        row = ConsentNoticeTable(
            purpose=purpose.value, version=1, text=DEFAULT_NOTICES[purpose], created_at=_now()
        )
        session.add(row)
        session.flush()
    return row


def notices(vault: Vault) -> list[Notice]:
    """The wording in force for every purpose."""
    with vault.reading() as session:
        return list(consent_store.notices_in_force(session).values())


def save_notice(vault: Vault, purpose: Purpose, text: str) -> Notice:
    """Reword a notice: a new version; consents already given keep the version they saw."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "A notice needs some words."})
    if len(text) > MAX_NOTICE:
        raise ValidationError({"text": f"A notice can be at most {MAX_NOTICE:,} characters."})
    with vault.writing() as session:
        current = _notice_row(session, purpose)
        if current.text == text:
            return consent_store.to_notice(current)
        row = ConsentNoticeTable(
            purpose=purpose.value, version=current.version + 1, text=text, created_at=_now()
        )
        session.add(row)
        session.flush()
        audit.append(session, vault.actor, "consent_notice", row.id, "create", ["text"])
        return consent_store.to_notice(row)


# Consent -----------------------------------------------------------------------------


def _live_client(session: Session, client_id: int) -> ClientTable:
    row = session.get(ClientTable, client_id)
    if row is None:
        raise NotFoundError(f"There is no client #{client_id}.")
    return row


def consent_states(vault: Vault, client_id: int) -> list[ConsentState]:
    """Where every purpose stands for a client, newest grant first."""
    with vault.reading() as session:
        _live_client(session, client_id)
        return consent_store.states(session, client_id)


def has_consent(vault: Vault, client_id: int, purpose: Purpose) -> bool:
    """Whether the client's consent for `purpose` stands today."""
    with vault.reading() as session:
        latest = session.scalars(
            select(ConsentTable)
            .where(ConsentTable.client_id == client_id, ConsentTable.purpose == purpose.value)
            .order_by(ConsentTable.given_on.desc(), ConsentTable.id.desc())
            .limit(1)
        ).first()
    return latest is not None and latest.withdrawn_on is None


def give_consent(
    vault: Vault,
    client_id: int,
    purpose: Purpose,
    method: ConsentMethod,
    given_on: date | None = None,
) -> Consent:
    """Record consent against the notice in force (a renewal when the notice was reworded)."""
    given_on = given_on or _today()
    check_dates(given_on, None, _today())
    with vault.writing() as session:
        _live_client(session, client_id)
        notice = _notice_row(session, purpose)
        current = next(
            (c for c in consent_store.consents(session, client_id) if c.purpose is purpose), None
        )
        if current is not None and current.active:
            if current.notice_version == notice.version:
                raise KnownError(
                    f"Consent for {purpose.label.lower()} already stands "
                    f"(given {current.given_on:%-d %b %Y})."
                )
            if given_on < current.given_on:
                raise ValidationError(
                    {"given_on": "Consent to the new notice cannot predate the last one."}
                )
            # Consent to a reworded notice replaces the one given to the old wording.
            old = session.get(ConsentTable, current.id)
            assert old is not None
            old.withdrawn_on, old.withdrawn_method = given_on, method.value
        row = ConsentTable(
            client_id=client_id,
            purpose=purpose.value,
            notice_id=notice.id,
            given_on=given_on,
            method=method.value,
            withdrawn_method="",
            created_at=_now(),
        )
        session.add(row)
        session.flush()
        audit.append(session, vault.actor, "consent", row.id, f"give:{purpose.value}")
        return consent_store.to_consent(row, notice.version)


def withdraw_consent(
    vault: Vault,
    client_id: int,
    purpose: Purpose,
    method: ConsentMethod,
    withdrawn_on: date | None = None,
) -> Consent:
    """Record that the client withdrew consent for `purpose`."""
    withdrawn_on = withdrawn_on or _today()
    with vault.writing() as session:
        client = _live_client(session, client_id)
        row = session.scalars(
            select(ConsentTable)
            .where(
                ConsentTable.client_id == client_id,
                ConsentTable.purpose == purpose.value,
                ConsentTable.withdrawn_on.is_(None),
            )
            .order_by(ConsentTable.given_on.desc())
            .limit(1)
        ).first()
        if row is None:
            name = display_name(client.first_name, client.last_name, client.preferred_name)
            raise KnownError(f"{name} has no consent for {purpose.label.lower()} to withdraw.")
        check_dates(row.given_on, withdrawn_on, _today())
        row.withdrawn_on, row.withdrawn_method = withdrawn_on, method.value
        version = session.get(ConsentNoticeTable, row.notice_id)
        audit.append(session, vault.actor, "consent", row.id, f"withdraw:{purpose.value}")
        return consent_store.to_consent(row, version.version if version else 0)


def consent_counts(vault: Vault) -> dict[Purpose, int]:
    """How many clients' consent stands today, per purpose (for the records of processing)."""
    with vault.reading() as session:
        query = (
            select(ConsentTable.purpose, func.count(func.distinct(ConsentTable.client_id)))
            .where(ConsentTable.withdrawn_on.is_(None))
            .group_by(ConsentTable.purpose)
        )
        found = {Purpose(p): int(n) for p, n in session.execute(query)}
    return {p: found.get(p, 0) for p in Purpose}


# AI policy ---------------------------------------------------------------------------


def ai_policy(vault: Vault) -> AiPolicy:
    """The policy in force (the defaults until the coach saves one)."""
    with vault.reading() as session:
        row = session.scalars(
            select(AiPolicyTable).order_by(AiPolicyTable.version.desc()).limit(1)
        ).first()
    return AiPolicy.from_json(row.version, row.body) if row else AiPolicy()


def save_ai_policy(vault: Vault, policy: AiPolicy) -> AiPolicy:
    """Save an edited policy as the next version; returns what was stored."""
    policy = policy.checked()
    with vault.writing() as session:
        last = session.scalar(select(func.max(AiPolicyTable.version))) or 1
        current = session.get(AiPolicyTable, last)
        if current is not None and current.body == policy.to_json():
            return AiPolicy.from_json(current.version, current.body)
        version = last + 1
        session.add(AiPolicyTable(version=version, body=policy.to_json(), created_at=_now()))
        audit.append(session, vault.actor, "ai_policy", version, "update")
    return AiPolicy.from_json(version, policy.to_json())


# Retention ---------------------------------------------------------------------------


def retention_rules(vault: Vault) -> dict[Category, int]:
    """Months each category is kept (0: for ever)."""
    with vault.reading() as session:
        stored = {
            Category(c): m
            for c, m in session.execute(
                select(RetentionRuleTable.category, RetentionRuleTable.months)
            )
        }
    return {c: stored.get(c, DEFAULT_RETENTION[c]) for c in Category}


def set_retention_rule(vault: Vault, category: Category, months: int) -> None:
    """Change how long one category is kept."""
    months = check_months(category, months)
    with vault.writing() as session:
        row = session.get(RetentionRuleTable, category.value)
        if row is None:
            session.add(RetentionRuleTable(category=category.value, months=months))
        else:
            row.months = months
        audit.append(session, vault.actor, "retention_rule", category.value, "update")


def _start_of(day: date) -> datetime:
    """Midnight local time on `day`, as naive UTC (how times are stored)."""
    return datetime.combine(day, time()).astimezone(UTC).replace(tzinfo=None)


def _client_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    query = select(
        ClientTable.id, ClientTable.first_name, ClientTable.last_name, ClientTable.preferred_name
    ).where(ClientTable.id.in_(set(ids)))
    return {i: display_name(f, la, p) for i, f, la, p in session.execute(query)}


def _note_items(session: Session, category: Category, before: date) -> list[RetentionItem]:
    transcript = NoteTable.kind == "transcript"
    query = select(NoteTable.id, NoteTable.client_id, NoteTable.occurred_on, NoteTable.kind).where(
        NoteTable.occurred_on < before,
        transcript if category is Category.TRANSCRIPTS else ~transcript,
    )
    rows = list(session.execute(query.order_by(NoteTable.occurred_on)))
    names = _client_names(session, (r[1] for r in rows))
    return [
        RetentionItem(category, i, on, f"{kind.capitalize()} note, {names.get(c, '')}")
        for i, c, on, kind in rows
    ]


def _document_items(session: Session, before: date) -> list[RetentionItem]:
    query = select(
        GeneratedDocumentTable.id,
        GeneratedDocumentTable.client_id,
        GeneratedDocumentTable.created_at,
        GeneratedDocumentTable.title,
    ).where(GeneratedDocumentTable.created_at < _start_of(before))
    rows = list(session.execute(query.order_by(GeneratedDocumentTable.created_at)))
    names = _client_names(session, (r[1] for r in rows))
    return [
        RetentionItem(Category.DOCUMENTS, i, made.date(), f"{title}, {names.get(c, '')}")
        for i, c, made, title in rows
    ]


def _invoice_items(session: Session, before: date) -> list[RetentionItem]:
    dated = func.coalesce(InvoiceTable.issued_on, func.date(InvoiceTable.created_at))
    rows = list(
        session.execute(
            select(InvoiceTable.id, InvoiceTable.number, dated, InvoiceTable.credits_invoice_id)
            .where(dated < before.isoformat())
            .order_by(dated)
        )
    )
    candidates = {r[0] for r in rows}
    credits: dict[int, set[int]] = {}
    for credit_id, invoice_id in session.execute(
        select(InvoiceTable.id, InvoiceTable.credits_invoice_id).where(
            InvoiceTable.credits_invoice_id.is_not(None)
        )
    ):
        if invoice_id is not None:
            credits.setdefault(invoice_id, set()).add(credit_id)
    # An invoice goes with its credit notes or not at all, so no reference dangles.
    keep = {i for i in candidates if not credits.get(i, set()) <= candidates}
    keep |= {i for i, _, _, of in rows if of is not None and of in keep}
    return [
        RetentionItem(
            Category.INVOICES,
            i,
            d if isinstance(d, date) else date.fromisoformat(str(d)),
            number or "Draft invoice",
        )
        for i, number, d, _ in rows
        if i not in keep
    ]


def _lead_items(session: Session, before: date) -> list[RetentionItem]:
    cut = _start_of(before)
    never_client = and_(
        ClientTable.status.in_(("lead", "lost")),
        ~exists().where(EnrolmentTable.client_id == ClientTable.id),
        ~exists().where(InvoiceTable.client_id == ClientTable.id),
        ~exists().where(SessionTable.client_id == ClientTable.id),
    )
    # Any sign of life since the cut keeps them: an edit, a contact, a note, a goal, a
    # follow-up (or one still to come), a consent, a stage move.
    recent = or_(
        ClientTable.created_at >= cut,
        ClientTable.updated_at >= cut,
        # NULL would make the whole test unknown, and NOT unknown keeps nobody out.
        func.coalesce(ClientTable.last_contact_at, ClientTable.created_at) >= cut,
        exists().where(NoteTable.client_id == ClientTable.id, NoteTable.updated_at >= cut),
        exists().where(GoalTable.client_id == ClientTable.id, GoalTable.updated_at >= cut),
        exists().where(
            FollowUpTable.client_id == ClientTable.id,
            or_(FollowUpTable.created_at >= cut, FollowUpTable.done_at.is_(None)),
        ),
        exists().where(ConsentTable.client_id == ClientTable.id, ConsentTable.created_at >= cut),
        exists().where(StageChangeTable.client_id == ClientTable.id, StageChangeTable.at >= cut),
    )
    last_seen = func.max(
        ClientTable.created_at,
        ClientTable.updated_at,
        func.coalesce(ClientTable.last_contact_at, ClientTable.created_at),
    )
    query = select(
        ClientTable.id,
        ClientTable.first_name,
        ClientTable.last_name,
        ClientTable.preferred_name,
        last_seen,
    ).where(never_client, ~recent)
    return [
        RetentionItem(Category.LEADS, i, seen.date(), display_name(f, la, p))
        for i, f, la, p, seen in session.execute(query.order_by(last_seen))
    ]


def _audit_items(session: Session, before: date) -> list[RetentionItem]:
    at = _start_of(before).replace(tzinfo=UTC).isoformat(timespec="microseconds")
    first, last, count = session.execute(
        select(
            func.min(AuditEventTable.seq),
            func.max(AuditEventTable.seq),
            func.count(),
        ).where(AuditEventTable.at < at)
    ).one()
    if not count:
        return []
    # One item for the whole run of entries: the trail is cut at one point.
    return [
        RetentionItem(
            Category.AUDIT, int(last), before, f"{count} entries, #{first} to #{last}", int(count)
        )
    ]


def _backup_items(session: Session, before: date) -> list[RetentionItem]:
    query = select(BackupTable.id, BackupTable.taken_at, BackupTable.path).where(
        BackupTable.taken_at < _start_of(before)
    )
    return [
        RetentionItem(Category.BACKUPS, i, taken.date(), path)
        for i, taken, path in session.execute(query.order_by(BackupTable.taken_at))
    ]


def _plan(session: Session, rules: dict[Category, int], today: date) -> list[RetentionItem]:
    items: list[RetentionItem] = []
    for category, months in rules.items():
        before = cutoff(today, months)
        if before is None:
            continue
        match category:
            case Category.NOTES | Category.TRANSCRIPTS:
                items += _note_items(session, category, before)
            case Category.DOCUMENTS:
                items += _document_items(session, before)
            case Category.INVOICES:
                items += _invoice_items(session, before)
            case Category.LEADS:
                items += _lead_items(session, before)
            case Category.AUDIT:
                items += _audit_items(session, before)
            case Category.BACKUPS:
                items += _backup_items(session, before)
    return items


def plan_retention(vault: Vault, today: date | None = None) -> RetentionPlan:
    """Exactly what a run today would remove (nothing is changed)."""
    today = today or _today()
    rules = retention_rules(vault)
    with vault.reading() as session:
        items = _plan(session, rules, today)
    return RetentionPlan(today, rules, tuple(items))


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """What a run removed, per category, and the backup files it could not delete."""

    removed: dict[Category, int]
    ran_at: datetime
    kept_files: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Everything removed."""
        return sum(self.removed.values())

    def to_json(self) -> dict[str, object]:
        """The result for `--json` output."""
        return {
            "ran_at": self.ran_at.isoformat(),
            "removed": {c.value: n for c, n in self.removed.items()},
            "kept_files": list(self.kept_files),
        }


def apply_retention(vault: Vault, plan: RetentionPlan, trigger: str = "coach") -> RetentionResult:
    """Remove what `plan` listed and still falls under the rules; each removal is audited.

    The plan is worked out again inside the write transaction, and only items both
    lists share go: what was previewed is the most that can be removed.
    """
    from coachdesk.services import backups

    rules = retention_rules(vault)
    removed = dict.fromkeys(Category, 0)
    blobs: list[str] = []
    files: list[tuple[str, str]] = []
    now = _now()
    with vault.writing() as session:
        now_planned = _plan(session, rules, plan.today)
        current = {(i.category, i.ref_id) for i in now_planned}
        by_category: dict[Category, list[RetentionItem]] = {}
        for item in plan.items:
            if (item.category, item.ref_id) in current:
                by_category.setdefault(item.category, []).append(item)
        # The audit trail is cut at one entry: the earlier of the planned and current cuts.
        cuts = [i.ref_id for i in (*plan.items, *now_planned) if i.category is Category.AUDIT]
        if len(cuts) == 2:
            removed[Category.AUDIT] = audit.prune_through(session, min(cuts))
            audit.append(session, vault.actor, "audit", min(cuts), "retention_removed")
        for category, items in by_category.items():
            ids = [i.ref_id for i in items]
            match category:
                case Category.NOTES | Category.TRANSCRIPTS:
                    privacy.delete_notes(session, ids)
                case Category.DOCUMENTS:
                    blobs += privacy.delete_documents(session, ids)
                case Category.INVOICES:
                    privacy.delete_invoices(session, ids)
                case Category.LEADS:
                    for client_id in ids:
                        blobs += privacy.erase(session, client_id, now)
                case Category.BACKUPS:
                    files += privacy.forget_backups(session, ids)
                case Category.AUDIT:
                    continue
            removed[category] += len(ids)
            entity = {Category.LEADS: "client"}.get(category, category.value)
            for ref_id in ids:
                audit.append(session, vault.actor, entity, ref_id, "retention_removed")
        session.add(
            RetentionRunTable(
                ran_at=now,
                trigger=trigger,
                removed=json.dumps({c.value: n for c, n in removed.items()}),
            )
        )
    for blob in blobs:
        vault.attachments.delete(blob)
    kept = tuple(path for path, digest in files if not backups.delete_if_ours(path, digest))
    if any(removed.values()):
        from coachdesk.services.privacy import scrub

        scrub(vault)
    return RetentionResult(removed, now, kept)


def last_retention_run(vault: Vault) -> RetentionResult | None:
    """The newest run, if there was one."""
    with vault.reading() as session:
        row = session.scalars(
            select(RetentionRunTable).order_by(RetentionRunTable.ran_at.desc()).limit(1)
        ).first()
    if row is None:
        return None
    counts = json.loads(row.removed)
    return RetentionResult({c: int(counts.get(c.value, 0)) for c in Category}, row.ran_at)


def retention_due(vault: Vault, now: datetime | None = None) -> bool:
    """Whether the daily run has not happened in the last 24 hours."""
    last = last_retention_run(vault)
    return last is None or (now or _now()) - last.ran_at >= timedelta(hours=24)


def rules_awaiting_review(vault: Vault) -> set[Category]:
    """Categories the automatic run must leave alone: every one until the coach has
    started a run themselves, then those whose rule changed since.

    What a rule removes is first seen in a preview and removed when the coach says so;
    after that the daily run keeps to it.
    """
    with vault.reading() as session:
        last_by_coach = session.scalar(
            select(func.max(RetentionRunTable.ran_at)).where(
                RetentionRunTable.trigger != "start-up"
            )
        )
        changes = session.execute(
            select(AuditEventTable.entity_id, func.max(AuditEventTable.at))
            .where(AuditEventTable.entity == "retention_rule")
            .group_by(AuditEventTable.entity_id)
        )
        if last_by_coach is None:  # the rules, defaults included, were never seen at work
            return set(Category)
        since = last_by_coach.replace(tzinfo=UTC).isoformat()
        return {Category(c) for c, at in changes if at > since}


def run_retention_if_due(vault: Vault) -> RetentionResult | None:
    """The start-up run: plan and remove, once a day (rules awaiting review excepted)."""
    if not retention_due(vault):
        return None
    return apply_retention(vault, automatic_plan(vault), trigger="start-up")


def automatic_plan(vault: Vault) -> RetentionPlan:
    """What the daily run removes: today's plan without the rules awaiting review."""
    plan = plan_retention(vault)
    waiting = rules_awaiting_review(vault)
    return replace(plan, items=tuple(i for i in plan.items if i.category not in waiting))
