"""Consent per purpose, the AI policy and retention runs, on a real vault."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from coachdesk.domain.billing import LineDraft
from coachdesk.domain.compliance import (
    DEFAULT_RETENTION,
    AiPolicy,
    AiTask,
    Category,
    ConsentMethod,
    Purpose,
)
from coachdesk.domain.crm import FollowUpDraft, NoteDraft, NoteKind
from coachdesk.domain.errors import KnownError, ValidationError
from coachdesk.services import audit_trail, backups, clients, compliance, crm, documents, invoices
from coachdesk.store.tables import (
    AuditEventTable,
    ClientTable,
    GeneratedDocumentTable,
    InvoiceTable,
    NoteTable,
    StageChangeTable,
)
from coachdesk.store.vault import Vault
from tests.store.util import sample_draft

TODAY = date.today()


@pytest.fixture
def client_id(vault: Vault) -> int:
    return clients.create_client(vault, sample_draft(1, first_name="Ada")).id


# Consent -------------------------------------------------------------------------


def test_every_purpose_starts_unasked(vault: Vault, client_id: int) -> None:
    states = compliance.consent_states(vault, client_id)
    assert [s.purpose for s in states] == list(Purpose)
    assert not any(s.given for s in states)
    assert states[0].describe() == "Not asked yet"


def test_give_and_withdraw_are_recorded_with_notice_version_and_method(
    vault: Vault, client_id: int
) -> None:
    given = compliance.give_consent(
        vault, client_id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL, TODAY - timedelta(days=3)
    )
    assert given.notice_version == 1 and given.active
    assert compliance.has_consent(vault, client_id, Purpose.AI_ASSISTANCE)
    assert not compliance.has_consent(vault, client_id, Purpose.MARKETING)
    withdrawn = compliance.withdraw_consent(
        vault, client_id, Purpose.AI_ASSISTANCE, ConsentMethod.VERBAL
    )
    assert withdrawn.withdrawn_on == TODAY
    assert withdrawn.withdrawn_method is ConsentMethod.VERBAL
    assert not compliance.has_consent(vault, client_id, Purpose.AI_ASSISTANCE)
    state = next(
        s for s in compliance.consent_states(vault, client_id) if s.purpose is Purpose.AI_ASSISTANCE
    )
    assert state.describe().startswith("Withdrawn")
    actions = [e.action for e in audit_trail.recent_events(vault) if e.entity == "consent"]
    assert actions == ["withdraw:ai_assistance", "give:ai_assistance"]


def test_giving_twice_to_the_same_wording_is_refused(vault: Vault, client_id: int) -> None:
    compliance.give_consent(vault, client_id, Purpose.MARKETING, ConsentMethod.ONLINE_FORM)
    with pytest.raises(KnownError, match="already stands"):
        compliance.give_consent(vault, client_id, Purpose.MARKETING, ConsentMethod.ONLINE_FORM)


def test_withdrawing_what_was_never_given_is_refused(vault: Vault, client_id: int) -> None:
    with pytest.raises(KnownError, match="no consent for recording sessions"):
        compliance.withdraw_consent(
            vault, client_id, Purpose.SESSION_RECORDING, ConsentMethod.EMAIL
        )


@pytest.mark.parametrize("days", [1, 30])
def test_future_dates_are_refused(vault: Vault, client_id: int, days: int) -> None:
    with pytest.raises(ValidationError, match="future"):
        compliance.give_consent(
            vault,
            client_id,
            Purpose.MARKETING,
            ConsentMethod.EMAIL,
            TODAY + timedelta(days=days),
        )


def test_a_reworded_notice_is_a_new_version_and_consent_to_it_replaces_the_old(
    vault: Vault, client_id: int
) -> None:
    compliance.give_consent(vault, client_id, Purpose.DATA_PROCESSING, ConsentMethod.SIGNED_FORM)
    notice = compliance.save_notice(vault, Purpose.DATA_PROCESSING, "New wording, version two.")
    assert notice.version == 2
    assert (
        compliance.save_notice(vault, Purpose.DATA_PROCESSING, " New wording, version two. ")
        == notice
    )
    by_purpose = {n.purpose: n for n in compliance.notices(vault)}
    assert by_purpose[Purpose.DATA_PROCESSING].text == "New wording, version two."
    assert by_purpose[Purpose.MARKETING].version == 1
    renewed = compliance.give_consent(
        vault, client_id, Purpose.DATA_PROCESSING, ConsentMethod.EMAIL
    )
    assert renewed.notice_version == 2
    state = compliance.consent_states(vault, client_id)[0]
    assert [c.notice_version for c in state.history] == [2, 1]
    assert state.history[1].withdrawn_on == TODAY  # the old grant was superseded


def test_empty_notice_is_refused(vault: Vault) -> None:
    with pytest.raises(ValidationError):
        compliance.save_notice(vault, Purpose.MARKETING, "   ")


def test_consent_form_shows_the_wording_and_what_was_agreed(vault: Vault, client_id: int) -> None:
    from tests.store.test_documents import pdf_text

    compliance.save_notice(vault, Purpose.SESSION_RECORDING, "Recording, reworded for the form.")
    compliance.give_consent(vault, client_id, Purpose.SESSION_RECORDING, ConsentMethod.EMAIL)
    info = documents.create_document(vault, client_id, "consent_form", {})
    text = " ".join(pdf_text(documents.document_pdf(vault, info.id)).split())
    assert "Recording, reworded for the form." in text
    assert "Wording version 2." in text
    assert "(recorded" in text and "by e-mail" in text


def test_consent_is_erased_with_the_client(vault: Vault, client_id: int) -> None:
    compliance.give_consent(vault, client_id, Purpose.MARKETING, ConsentMethod.EMAIL)
    from coachdesk.services import privacy

    privacy.erase_client(vault, client_id)
    assert compliance.consent_counts(vault)[Purpose.MARKETING] == 0


# AI policy ---------------------------------------------------------------------------


def test_default_policy_until_one_is_saved(vault: Vault) -> None:
    policy = compliance.ai_policy(vault)
    assert policy.version == 1 and policy.allowed == frozenset(AiTask)
    assert policy.topics_in("Should I change my medication dosage?") == [
        "Mental-health diagnosis or therapy",
        "Medical advice",
    ]
    assert policy.escalations_in("I feel hopeless and want to hurt myself") == [
        "Distress",
        "Self-harm",
    ]
    assert policy.topics_in("We planned three interviews for next week.") == []
    # Whole words only: "sue" is not in "issue" or "pursue".
    assert policy.topics_in("An issue worth the pursuit; we pursue it.") == []
    assert policy.topics_in("My landlord says he will SUE me.") == ["Legal advice"]


def test_saving_a_policy_makes_a_new_version_and_round_trips(vault: Vault) -> None:
    edited = AiPolicy(
        allowed=frozenset({AiTask.SESSION_SUMMARY, AiTask.ACTION_ITEMS}),
        review_always=frozenset({AiTask.SESSION_SUMMARY, AiTask.LEARNING_PLAN}),
        prohibited={"  Tax   advice ": ("VAT return", " ", "tax advice")},
        escalation={"Conflict": ("complaint",)},
        min_confidence=75,
    )
    saved = compliance.save_ai_policy(vault, edited)
    assert saved.version == 2
    loaded = compliance.ai_policy(vault)
    assert loaded == saved
    assert loaded.prohibited == {"Tax advice": ("vat return", "tax advice")}
    # "always review" only holds tasks that are allowed at all
    assert loaded.review_always == frozenset({AiTask.SESSION_SUMMARY})
    assert compliance.save_ai_policy(vault, loaded).version == 2  # unchanged: no new version


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (AiPolicy(min_confidence=101), "min_confidence"),
        (AiPolicy(prohibited={"Empty": ()}), "prohibited"),
        (AiPolicy(escalation={"": ("word",)}), "escalation"),
    ],
)
def test_bad_policies_are_refused_and_nothing_is_saved(
    vault: Vault, policy: AiPolicy, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        compliance.save_ai_policy(vault, policy)
    assert field in raised.value.errors
    assert compliance.ai_policy(vault).version == 1


# Retention ---------------------------------------------------------------------------


def old_note(vault: Vault, client_id: int, days_ago: int, kind: NoteKind = NoteKind.SESSION) -> int:
    draft = NoteDraft(kind, TODAY - timedelta(days=days_ago), f"Note from {days_ago} days ago")
    return crm.add_note(vault, client_id, draft).id


def backdate(vault: Vault, table: type, row_id: int, **values: object) -> None:
    with vault.writing() as session:
        session.execute(update(table).where(table.id == row_id).values(**values))


def test_defaults_and_changing_a_rule(vault: Vault) -> None:
    assert compliance.retention_rules(vault) == DEFAULT_RETENTION
    compliance.set_retention_rule(vault, Category.NOTES, 12)
    assert compliance.retention_rules(vault)[Category.NOTES] == 12
    with pytest.raises(ValidationError):
        compliance.set_retention_rule(vault, Category.NOTES, -1)


def test_preview_lists_exactly_what_goes_and_changes_nothing(vault: Vault, client_id: int) -> None:
    compliance.set_retention_rule(vault, Category.NOTES, 12)
    compliance.set_retention_rule(vault, Category.TRANSCRIPTS, 1)
    expired = old_note(vault, client_id, 800)
    kept = old_note(vault, client_id, 100)
    transcript = old_note(vault, client_id, 60, NoteKind.TRANSCRIPT)
    plan = compliance.plan_retention(vault)
    listed = {(i.category, i.ref_id) for i in plan.items}
    assert listed == {(Category.NOTES, expired), (Category.TRANSCRIPTS, transcript)}
    assert plan.counts()[Category.NOTES] == 1
    with vault.reading() as session:
        assert len(session.scalars(select(NoteTable.id)).all()) == 3
    result = compliance.apply_retention(vault, plan)
    assert result.removed[Category.NOTES] == 1 and result.removed[Category.TRANSCRIPTS] == 1
    assert [n.id for n in crm.list_notes(vault, client_id)] == [kept]
    removed = [
        (e.entity, e.entity_id)
        for e in audit_trail.recent_events(vault)
        if e.action == "retention_removed"
    ]
    assert sorted(removed) == sorted([("notes", str(expired)), ("transcripts", str(transcript))])
    assert audit_trail.verify(vault).intact
    assert compliance.plan_retention(vault).items == ()


def test_a_run_never_removes_more_than_its_preview(vault: Vault, client_id: int) -> None:
    compliance.set_retention_rule(vault, Category.NOTES, 12)
    first = old_note(vault, client_id, 900)
    plan = compliance.plan_retention(vault)
    second = old_note(vault, client_id, 950)  # expired too, but not previewed
    compliance.apply_retention(vault, plan)
    assert [n.id for n in crm.list_notes(vault, client_id)] == [second]
    assert first not in {n.id for n in crm.list_notes(vault, client_id)}


def test_documents_and_their_pdfs_expire(vault: Vault, client_id: int) -> None:
    compliance.set_retention_rule(vault, Category.DOCUMENTS, 12)
    info = documents.create_document(vault, client_id, "certificate", {})
    blobs = set(p.name for p in vault.paths.attachments.iterdir())
    backdate(
        vault, GeneratedDocumentTable, info.id, created_at=datetime.now() - timedelta(days=500)
    )
    result = compliance.apply_retention(vault, compliance.plan_retention(vault))
    assert result.removed[Category.DOCUMENTS] == 1
    assert documents.list_documents(vault, client_id) == []
    assert set(p.name for p in vault.paths.attachments.iterdir()) < blobs


def test_old_leads_that_never_converted_are_erased(vault: Vault) -> None:
    compliance.set_retention_rule(vault, Category.LEADS, 6)
    lead = clients.create_client(vault, sample_draft(2, first_name="Quiet")).id
    client = clients.create_client(vault, sample_draft(3, first_name="Paying")).id
    long_ago = datetime.now() - timedelta(days=400)
    for row_id in (lead, client):
        backdate(vault, ClientTable, row_id, created_at=long_ago, updated_at=long_ago)
    with vault.writing() as session:
        session.execute(update(StageChangeTable).values(at=long_ago))
    draft = invoices.create_invoice(vault, client, [LineDraft("Session", 1, 10_000, 0)], "EUR")
    invoices.issue(vault, draft.id)
    plan = compliance.plan_retention(vault)
    assert [(i.category, i.ref_id) for i in plan.items] == [(Category.LEADS, lead)]
    # A lead the coach is working on again (a follow-up still to come) is kept.
    busy = clients.create_client(vault, sample_draft(4, first_name="Busy")).id
    backdate(vault, ClientTable, busy, created_at=long_ago, updated_at=long_ago)
    with vault.writing() as session:
        session.execute(update(StageChangeTable).values(at=long_ago))
    crm.add_follow_up(vault, busy, FollowUpDraft("Call back", datetime.now() + timedelta(days=30)))
    assert [i.ref_id for i in compliance.plan_retention(vault).items] == [lead]
    compliance.apply_retention(vault, plan)
    remaining = {r.id for r in clients.list_clients(vault)}
    assert lead not in remaining and client in remaining
    assert [
        e.entity_id for e in audit_trail.recent_events(vault) if e.action == "retention_removed"
    ] == [str(lead)]


def test_invoices_go_with_their_credit_notes_after_the_tax_period(
    vault: Vault, client_id: int
) -> None:
    compliance.set_retention_rule(vault, Category.INVOICES, 84)
    long_ago = TODAY - timedelta(days=365 * 8)
    old = invoices.issue(
        vault,
        invoices.create_invoice(vault, client_id, [LineDraft("Old", 1, 5_000, 0)], "EUR").id,
        long_ago,
    )
    invoices.credit_note(vault, old.id, reason="refund")
    recent = invoices.create_invoice(vault, client_id, [LineDraft("New", 1, 5_000, 0)], "EUR")
    with vault.reading() as session:
        credit_ids = session.scalars(
            select(InvoiceTable.id).where(InvoiceTable.credits_invoice_id == old.id)
        ).all()
    plan = compliance.plan_retention(vault)
    listed = {i.ref_id for i in plan.items if i.category is Category.INVOICES}
    # The credit note is dated today, so neither it nor the invoice it credits may go yet.
    assert listed == set()
    for credit in credit_ids:
        backdate(vault, InvoiceTable, credit, issued_on=long_ago)
    plan = compliance.plan_retention(vault)
    listed = {i.ref_id for i in plan.items if i.category is Category.INVOICES}
    assert listed == {old.id, *credit_ids}
    compliance.apply_retention(vault, plan)
    assert [i.id for i in invoices.list_invoices(vault)] == [recent.id]


def test_audit_entries_expire_and_the_trail_still_verifies(vault: Vault, client_id: int) -> None:
    compliance.set_retention_rule(vault, Category.AUDIT, 12)
    compliance.set_retention_rule(vault, Category.LEADS, 0)  # keep the client itself
    for index in range(5):
        clients.update_client(vault, client_id, sample_draft(1, first_name=f"Ada{index}"))
    # Entries cannot be backdated (their hashes cover the time), so plan for a later day.
    later = TODAY + timedelta(days=800)
    total = len(audit_trail.recent_events(vault, 10_000))
    plan = compliance.plan_retention(vault, today=later)
    audit_items = [i for i in plan.items if i.category is Category.AUDIT]
    assert len(audit_items) == 1 and audit_items[0].count == total
    compliance.set_retention_rule(vault, Category.NOTES, 0)
    result = compliance.apply_retention(vault, plan)
    assert result.removed[Category.AUDIT] == total  # not the rule change made after the plan
    verification = audit_trail.verify(vault)
    assert verification.intact
    with vault.reading() as session:
        kept = session.scalars(select(AuditEventTable.action)).all()
    assert kept == ["update", "retention_removed"]
    clients.update_client(vault, client_id, sample_draft(1, first_name="After"))
    assert audit_trail.verify(vault).intact


def test_audit_cannot_be_deleted_beyond_the_kept_start(vault: Vault, client_id: int) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="append-only"), vault.writing() as session:
        session.execute(text("DELETE FROM audit_events"))
    with pytest.raises(IntegrityError, match="cannot grow back"), vault.writing() as session:
        session.execute(text("UPDATE audit_head SET base_seq = 5"))
        session.execute(text("UPDATE audit_head SET base_seq = 1"))


def test_backups_expire_and_only_the_files_we_wrote_are_deleted(
    vault: Vault, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    first = backups.create_backup(vault, folder)
    second = backups.create_backup(vault, folder)
    second.path.write_bytes(second.path.read_bytes() + b"changed by someone")
    plan = compliance.plan_retention(vault, today=TODAY + timedelta(days=400))
    assert sorted(i.label for i in plan.items if i.category is Category.BACKUPS) == sorted(
        [str(first.path), str(second.path)]
    )
    result = compliance.apply_retention(vault, plan)
    assert result.removed[Category.BACKUPS] == 2
    assert not first.path.exists()
    assert second.path.exists() and result.kept_files == (str(second.path),)
    assert backups.list_backups(vault) == []


def test_daily_run_is_due_once_a_day(vault: Vault) -> None:
    assert compliance.retention_due(vault)
    assert compliance.run_retention_if_due(vault) is not None
    assert not compliance.retention_due(vault)
    assert compliance.run_retention_if_due(vault) is None
    last = compliance.last_retention_run(vault)
    assert last is not None and last.total == 0
    assert compliance.retention_due(vault, now=last.ran_at + timedelta(hours=25))


def test_the_daily_run_waits_for_the_coach_after_a_rule_changes(
    vault: Vault, client_id: int
) -> None:
    # Until the coach has run retention once, every rule (defaults included) waits.
    assert compliance.rules_awaiting_review(vault) == set(Category)
    compliance.apply_retention(vault, compliance.plan_retention(vault))
    assert compliance.rules_awaiting_review(vault) == set()
    old = old_note(vault, client_id, 800)
    compliance.set_retention_rule(vault, Category.NOTES, 12)  # shortened: 800 days now expired
    assert compliance.rules_awaiting_review(vault) == {Category.NOTES}
    assert [i.ref_id for i in compliance.plan_retention(vault).items] == [old]
    assert compliance.automatic_plan(vault).items == ()
    # The coach previews and removes; from then on the daily run applies the rule.
    compliance.apply_retention(vault, compliance.plan_retention(vault))
    assert compliance.rules_awaiting_review(vault) == set()
    assert crm.list_notes(vault, client_id) == []
