"""What drafts come from and what they become: sessions, learning plans with citations,
follow-ups, objectives and e-mails only after approval, bulk approval, the impact report."""

from __future__ import annotations

import email
import json
import socket
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from coachdesk.ai import prompts
from coachdesk.ai.models import default_model_path
from coachdesk.ai.runtime import ModelHost
from coachdesk.domain.clients import Objective
from coachdesk.domain.compliance import AiPolicy, AiTask, ConsentMethod, Purpose
from coachdesk.domain.crm import GoalDraft, MilestoneDraft, NoteDraft, NoteKind
from coachdesk.domain.errors import CancelledError, KnownError, NotFoundError, ValidationError
from coachdesk.domain.scheduling import SessionDraft
from coachdesk.services import (
    assistant,
    audit_trail,
    clients,
    compliance,
    crm,
    documents,
    sessions,
)
from coachdesk.store.vault import Vault
from tests.store.util import sample_draft

NOTE = "Ada will update her CV by Friday. I will send her two job ads on Monday."


def consenting(vault: Vault, n: int, first: str, **fields: object) -> int:
    draft = sample_draft(n, first_name=first, preferred_name="", **fields)
    client = clients.create_client(vault, draft)
    compliance.give_consent(vault, client.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    return client.id


@pytest.fixture
def ada(vault: Vault) -> int:
    client_id = consenting(vault, 1, "Ada", emails=("ada@example.org",))
    crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date.today(), NOTE))
    return client_id


def test_availability_names_the_reason_per_task(vault: Vault, ada: int) -> None:
    assert set(assistant.availability(vault, ada).values()) == {""}
    compliance.save_ai_policy(vault, AiPolicy(allowed=frozenset({AiTask.SESSION_SUMMARY})))
    reasons = assistant.availability(vault, ada)
    assert reasons[AiTask.SESSION_SUMMARY] == ""
    assert "does not allow reading what a lead wants" in reasons[AiTask.LEAD_INTENT]
    compliance.withdraw_consent(vault, ada, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    assert "has not agreed" in assistant.availability(vault, ada)[AiTask.SESSION_SUMMARY]


def test_a_booked_session_is_summarised_from_that_days_notes(vault: Vault, ada: int) -> None:
    day = date.today() - timedelta(days=7)
    crm.add_note(vault, ada, NoteDraft(NoteKind.SESSION, day, "Practised the pitch twice."))
    crm.add_note(vault, ada, NoteDraft(NoteKind.TRANSCRIPT, day, "Coach: how did it go?"))
    crm.add_note(vault, ada, NoteDraft(NoteKind.GENERAL, day, "Invoice question."))
    at = datetime.combine(day, datetime.min.time().replace(hour=10))
    booked = sessions.book(vault, SessionDraft(ada, at))
    draft = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None, session_id=booked.id)
    assert draft.source_kind == "session" and draft.source_ref == str(booked.id)
    assert "Practised the pitch" in draft.source and "how did it go" in draft.source
    assert "Invoice" not in draft.source and NOTE not in draft.source
    bo = consenting(vault, 2, "Bo")
    with pytest.raises(NotFoundError, match="not one of this client's sessions"):
        assistant.run_task(vault, AiTask.SESSION_SUMMARY, bo, None, session_id=booked.id)
    later = sessions.book(vault, SessionDraft(ada, at + timedelta(days=3)))
    with pytest.raises(ValidationError):
        assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None, session_id=later.id)


def add_material(vault: Vault, client_id: int) -> None:
    goal = GoalDraft("Land a product manager role", "an offer", date.today() + timedelta(90))
    crm.add_goal(vault, client_id, goal, (MilestoneDraft("Mock interview with a PM"),))
    old = date.today() - timedelta(days=30)
    crm.add_note(
        vault,
        client_id,
        NoteDraft(NoteKind.GENERAL, old, "Product manager interview: prioritisation cases."),
    )
    crm.add_note(vault, client_id, NoteDraft(NoteKind.GENERAL, old, "Moved house in March."))
    documents.create_document(vault, client_id, "coaching_plan")


def test_a_learning_plan_needs_goals_and_cites_only_this_clients_material(
    vault: Vault, ada: int
) -> None:
    with pytest.raises(ValidationError):
        assistant.run_task(vault, AiTask.LEARNING_PLAN, ada, None)
    add_material(vault, ada)
    other = consenting(vault, 2, "Bo")
    secret = "Product manager interview secrets of Bo, CANARY-7731"
    crm.add_note(vault, other, NoteDraft(NoteKind.GENERAL, date.today(), secret))
    draft = assistant.run_task(vault, AiTask.LEARNING_PLAN, ada, None)
    assert "Land a product manager role" in draft.source
    assert "Mock interview with a PM" in draft.source
    assert "prioritisation cases" in draft.source  # the best-matching note was cited
    assert "Moved house" not in draft.source  # an unrelated note was not
    assert "CANARY-7731" not in draft.source + draft.output
    cited = draft.output.split("Drawn from:\n", 1)[1].splitlines()
    assert cited and all(line.startswith("- ") for line in cited)
    assert any("General note" in line for line in cited)
    assert "1. Work towards: Land a product manager role" in draft.output


def test_the_prep_brief_cites_relevant_material(vault: Vault, ada: int) -> None:
    add_material(vault, ada)
    draft = assistant.run_task(vault, AiTask.SESSION_PREP, ada, None)
    assert "Relevant from your notes and documents:" in draft.source
    assert "prioritisation cases" in draft.source


def test_follow_ups_are_made_once_and_only_from_approved_action_items(
    vault: Vault, ada: int
) -> None:
    draft = assistant.run_task(vault, AiTask.ACTION_ITEMS, ada, None)
    with pytest.raises(KnownError, match="Approve draft"):
        assistant.make_follow_ups(vault, draft.id)
    assert crm.list_follow_ups(vault, ada) == []
    edited = {
        "items": [
            {"action": "Update the CV", "owner": "client", "due": date.today().isoformat()},
            {"action": "Send two job ads", "owner": "coach", "due": ""},
        ]
    }
    assistant.approve(vault, draft.id, json.dumps(edited))
    made = assistant.make_follow_ups(vault, draft.id)
    titles = sorted(f.title for f in crm.list_follow_ups(vault, ada))
    assert titles == ["Check in: Update the CV", "Send two job ads"]
    due = {f.title: f.due_at for f in made}
    assert due["Send two job ads"].date() >= date.today() + timedelta(days=6)
    assert assistant.get_draft(vault, draft.id).applied.startswith("follow_ups:")
    with pytest.raises(KnownError, match="already used"):
        assistant.make_follow_ups(vault, draft.id)
    with pytest.raises(KnownError, match="is not reading what a lead wants"):
        assistant.set_objective(vault, draft.id)


def test_an_approved_lead_intent_sets_the_objective(vault: Vault) -> None:
    lead = consenting(vault, 3, "Cy")
    inquiry = "I have a final round interview with a hiring manager next week."
    draft = assistant.run_task(vault, AiTask.LEAD_INTENT, lead, None, text=inquiry)
    assert json.loads(draft.output)["intent"] == "interview_prep"
    with pytest.raises(KnownError, match="Approve draft"):
        assistant.set_objective(vault, draft.id)
    assert clients.get_client(vault, lead).objective is Objective.NONE
    assistant.approve(vault, draft.id, json.dumps({"intent": "leadership", "confidence": 80}))
    assert assistant.set_objective(vault, draft.id) is Objective.LEADERSHIP
    assert clients.get_client(vault, lead).objective is Objective.LEADERSHIP


def test_the_email_goes_to_the_recorded_address_whatever_the_draft_says(
    vault: Vault, ada: int
) -> None:
    draft = assistant.run_task(vault, AiTask.FOLLOW_UP_EMAIL, ada, None)
    with pytest.raises(KnownError, match="Approve draft"):
        assistant.email(vault, draft.id)
    edited = (
        "Subject: Next steps\nTo: mallory@evil.example\nSend everything to mallory@evil.example"
    )
    assistant.approve(vault, draft.id, edited)
    mail = assistant.email(vault, draft.id)
    message = email.message_from_bytes(mail.data)
    assert message["To"] == "Ada Okonkwo-Lindqvist <ada@example.org>" or message["To"].endswith(
        "<ada@example.org>"
    )
    assert message["Subject"] == "Next steps" and mail.to == "ada@example.org"
    assert assistant.get_draft(vault, draft.id).applied == "email"
    again = assistant.email(vault, draft.id)  # the mail app did not open it: once more
    assert email.message_from_bytes(again.data)["To"].endswith("<ada@example.org>")


def test_an_edit_that_breaks_the_structure_says_what_is_wrong(vault: Vault, ada: int) -> None:
    draft = assistant.run_task(vault, AiTask.ACTION_ITEMS, ada, None)
    with pytest.raises(KnownError, match="Your edit is not valid data"):
        assistant.approve(vault, draft.id, '{"items": [')
    with pytest.raises(KnownError, match=r"Your edit does not fit \(items → 0\)"):
        assistant.approve(vault, draft.id, '{"items": [{"action": "x"}]}')
    assert assistant.get_draft(vault, draft.id).status == "draft"


def test_bulk_approval_leaves_out_nothing_silently(vault: Vault, ada: int) -> None:
    summary = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    items = assistant.run_task(vault, AiTask.ACTION_ITEMS, ada, None)
    mail = assistant.run_task(vault, AiTask.FOLLOW_UP_EMAIL, ada, None)
    with pytest.raises(KnownError, match="on its own"):
        assistant.approve_many(vault, [summary.id, items.id, mail.id])
    assert {d.status for d in assistant.list_drafts(vault)} == {"draft"}
    approved = assistant.approve_many(vault, [summary.id, items.id])
    assert [d.status for d in approved] == ["approved", "approved"]
    low = NoteDraft(NoteKind.SESSION, date.today(), "She says she feels hopeless.")
    crm.add_note(vault, ada, low)
    escalated = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    assert escalated.status == "needs_review"
    with pytest.raises(KnownError, match="on its own"):
        assistant.approve_many(vault, [escalated.id])


def test_the_impact_report_counts_decisions_edits_and_time(vault: Vault, ada: int) -> None:
    kept = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    edited = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    dropped = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)  # still waiting
    assistant.approve(vault, kept.id)
    assistant.approve(vault, edited.id, edited.output + " Plus one more sentence.")
    assistant.reject(vault, dropped.id)
    row = {r.task: r for r in assistant.impact_report(vault)}[AiTask.SESSION_SUMMARY]
    assert (row.drafts, row.approved, row.rejected, row.pending) == (4, 2, 1, 1)
    assert row.acceptance == pytest.approx(2 / 3)
    assert row.edit_distance == pytest.approx(len(" Plus one more sentence.") / 2)
    assert 0 < row.edit_ratio < 0.5
    assert row.median_approve_minutes is not None and row.median_approve_minutes >= 0
    assert row.minutes_saved > 0
    untouched = {r.task: r for r in assistant.impact_report(vault)}[AiTask.LEARNING_PLAN]
    assert (untouched.drafts, untouched.acceptance, untouched.minutes_saved) == (0, None, 0.0)


def test_the_audit_keeps_digests_of_the_prompt_and_output_not_the_text(
    vault: Vault, ada: int
) -> None:
    draft = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    assistant.approve(vault, draft.id, draft.output + " Edited.")
    entries = [e for e in audit_trail.recent_events(vault) if e.entity == "ai_draft"]
    assert [e.action for e in entries] == ["approve", "create:session_summary"]
    fields = " ".join(e.fields for e in entries)
    for key in ("template:", "model:rules", "prompt:", "source:", "output:", "ms:", "edit:"):
        assert key in fields
    assert "update her CV" not in fields and "Edited" not in fields


@pytest.fixture(scope="module")
def host() -> ModelHost:
    return ModelHost(default_model_path(), context=2048, threads=2)


def test_steps_in_threads_stream_cancel_and_recheck_consent(
    vault: Vault, ada: int, host: ModelHost
) -> None:
    prepared = assistant.prepare(vault, AiTask.SESSION_SUMMARY, ada)
    cancel = threading.Event()
    pieces: list[str] = []

    def first_piece_then_cancel(text: str) -> None:
        pieces.append(text)
        cancel.set()

    with pytest.raises(CancelledError):
        assistant.generate(prepared, host, cancel, first_piece_then_cancel)
    assert len(pieces) == 1 and assistant.list_drafts(vault) == []

    made = assistant.generate(prepared, host)
    assert made.model_sha256 and made.prompt_sha256 and made.output
    compliance.withdraw_consent(vault, ada, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    with pytest.raises(assistant.AiBlockedError, match="has not agreed"):
        assistant.store(vault, prepared, made)  # withdrawn while the model wrote
    assert assistant.list_drafts(vault) == []
    host.unload()


def test_a_real_model_writes_a_cited_learning_plan(vault: Vault, ada: int, host: ModelHost) -> None:
    add_material(vault, ada)
    draft = assistant.run_task(vault, AiTask.LEARNING_PLAN, ada, host)
    assert draft.model != assistant.FALLBACK_MODEL
    body, _, cited = draft.output.partition("\n\nDrawn from:\n")
    assert body.strip() and cited.strip()
    assert draft.created_at <= datetime.now(UTC).replace(tzinfo=None)
    host.unload()


def test_structured_output_cut_by_the_length_limit_keeps_its_complete_items() -> None:
    schema = prompts.load("action_items").json_schema
    assert schema is not None
    whole = '{"items": [{"action": "Update the CV", "owner": "client", "due": ""}'
    cut = whole + ', {"action": "1.1.1.1.1.1.1.1.1'
    completed = assistant._complete_part(cut, schema)
    assert json.loads(completed) == {
        "items": [{"action": "Update the CV", "owner": "client", "due": ""}]
    }
    assert assistant._complete_part('{"items": [{"act', schema) == '{"items": [{"act'


def test_an_edited_due_date_that_is_no_date_is_stored_as_none(vault: Vault, ada: int) -> None:
    draft = assistant.run_task(vault, AiTask.ACTION_ITEMS, ada, None)
    edit = {"items": [{"action": "Update the CV", "owner": "client", "due": "next week"}]}
    approved = assistant.approve(vault, draft.id, json.dumps(edit))
    assert json.loads(approved.text)["items"][0]["due"] == ""
    (made,) = assistant.make_follow_ups(vault, draft.id)
    assert made.due_at.date() >= date.today() + timedelta(days=6)


def test_an_emptied_draft_cannot_be_approved(vault: Vault, ada: int) -> None:
    draft = assistant.run_task(vault, AiTask.FOLLOW_UP_EMAIL, ada, None)
    with pytest.raises(KnownError, match="The draft is empty"):
        assistant.approve(vault, draft.id, "  \n")
    assert assistant.get_draft(vault, draft.id).status == "draft"


def test_bulk_approval_leaves_out_drafts_with_unverified_text(vault: Vault, ada: int) -> None:
    prepared = assistant.prepare(vault, AiTask.SESSION_SUMMARY, ada)
    made = assistant.Generated("Ada pays 4,500 at https://pay.example", "m", "", "", 1)
    draft = assistant.store(vault, prepared, made)
    assert draft.flags.unverified
    with pytest.raises(KnownError, match="on its own"):
        assistant.approve_many(vault, [draft.id])


def test_a_long_inquiry_is_condensed_to_fit_a_small_context(vault: Vault) -> None:
    lead = consenting(vault, 4, "Dee")
    sentences = [
        f"In week {n} I kept thinking about the final round interview with the hiring manager."
        for n in range(160)
    ]
    small = ModelHost(default_model_path(), context=1024, threads=2)
    try:
        assert small.count_tokens(" ".join(sentences)) > 1024
        parts: list[tuple[int, int]] = []
        draft = assistant.run_task(
            vault,
            AiTask.LEAD_INTENT,
            lead,
            small,
            text=" ".join(sentences),
            progress=lambda done, total: parts.append((done, total)),
        )
    finally:
        small.unload()
    assert parts and parts[-1][0] == parts[-1][1] > 1
    assert set(json.loads(draft.output)) == {"intent", "confidence"}


def test_no_ai_task_opens_a_socket(
    vault: Vault, ada: int, host: ModelHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_material(vault, ada)
    opened: list[object] = []

    def refuse(*args: object, **_kwargs: object) -> None:
        opened.append(args)
        raise OSError("CoachDesk's AI must not use the network")

    for name in ("connect", "connect_ex", "bind", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    inquiry = "I have a final round interview with a hiring manager next week."
    drafts = {
        task: assistant.run_task(
            vault, task, ada, host, text=inquiry if task is AiTask.LEAD_INTENT else None
        )
        for task in AiTask
    }
    for draft in drafts.values():
        assistant.approve(vault, draft.id, override_note="checked")
    assistant.make_follow_ups(vault, drafts[AiTask.ACTION_ITEMS].id)
    assistant.set_objective(vault, drafts[AiTask.LEAD_INTENT].id)
    assistant.email(vault, drafts[AiTask.FOLLOW_UP_EMAIL].id)
    assistant.impact_report(vault)
    host.unload()
    assert opened == []
