"""Drafts under the policy and consent: real model and rule-based fallback, review, audit."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date

import jsonschema
import pytest

from coachdesk.ai import prompts
from coachdesk.ai.models import default_model_path
from coachdesk.ai.runtime import CancelledError, ModelHost
from coachdesk.domain.compliance import AiPolicy, AiTask, ConsentMethod, Purpose
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.domain.errors import KnownError
from coachdesk.services import assistant, audit_trail, clients, compliance, crm, privacy
from coachdesk.store.vault import Vault
from tests.store.util import sample_draft

MODEL_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
NOTE = (
    "We reviewed Ada's CV and practised two interview answers. "
    "Ada will update her CV by Friday. I will send her two job ads on Monday."
)


@pytest.fixture(scope="module")
def host() -> Iterator[ModelHost]:
    made = ModelHost(default_model_path(), context=2048, threads=2)
    yield made
    made.unload()


@pytest.fixture
def ada(vault: Vault) -> int:
    client = clients.create_client(vault, sample_draft(1, first_name="Ada", preferred_name=""))
    compliance.give_consent(vault, client.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    crm.add_note(vault, client.id, NoteDraft(NoteKind.SESSION, date.today(), NOTE))
    return client.id


def test_no_consent_no_ai(vault: Vault) -> None:
    client = clients.create_client(vault, sample_draft(2, first_name="Bo", preferred_name=""))
    crm.add_note(vault, client.id, NoteDraft(NoteKind.SESSION, date.today(), NOTE))
    with pytest.raises(assistant.AiBlockedError, match="has not agreed to AI assistance"):
        assistant.run_task(vault, AiTask.SESSION_SUMMARY, client.id, None)
    assert assistant.list_drafts(vault) == []


def test_a_task_the_policy_forbids_never_runs(vault: Vault, ada: int) -> None:
    compliance.save_ai_policy(vault, AiPolicy(allowed=frozenset({AiTask.SESSION_SUMMARY})))
    with pytest.raises(assistant.AiBlockedError, match="does not allow action items"):
        assistant.run_task(vault, AiTask.ACTION_ITEMS, ada, None)
    assert assistant.list_drafts(vault) == []


def test_without_a_model_the_extractor_writes_the_first_draft(vault: Vault, ada: int) -> None:
    draft = assistant.run_task(vault, AiTask.ACTION_ITEMS, ada, None)
    assert draft.flags.fallback and draft.model == assistant.FALLBACK_MODEL
    items = json.loads(draft.output)["items"]
    schema = prompts.load("action_items").json_schema
    assert schema is not None
    jsonschema.validate({"items": items}, schema)
    owners = {i["owner"] for i in items}
    assert owners == {"client", "coach"}
    summary = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    assert "update her CV" in summary.output


def test_a_real_model_draft_is_stored_for_review_with_its_audit(
    vault: Vault, ada: int, host: ModelHost
) -> None:
    streamed: list[str] = []
    draft = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, host, on_piece=streamed.append)
    assert draft.status == "draft" and draft.output and streamed
    assert draft.template == "session_summary v1"
    assert draft.source_kind == "note" and NOTE in draft.source
    event = audit_trail.recent_events(vault, 1)[0]
    assert (event.entity, event.action) == ("ai_draft", "create:session_summary")
    assert f"model:{MODEL_SHA[:16]}" in event.fields
    assert NOTE not in event.fields and draft.output not in event.fields
    structured = assistant.run_task(vault, AiTask.ACTION_ITEMS, ada, host)
    schema = prompts.load("action_items").json_schema
    assert schema is not None
    jsonschema.validate(json.loads(structured.output), schema)


def test_cancel_keeps_nothing(vault: Vault, ada: int, host: ModelHost) -> None:
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        assistant.run_task(
            vault,
            AiTask.SESSION_SUMMARY,
            ada,
            host,
            cancel=cancel,
            on_piece=lambda _p: cancel.set(),
        )
    assert assistant.list_drafts(vault) == []


def test_prohibited_topics_need_an_override_note(vault: Vault, ada: int) -> None:
    text = "Ada asked whether to change her medication dosage before interviews."
    draft = assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None, text=text)
    assert "Medical advice" in draft.flags.topics
    with pytest.raises(KnownError, match="override note"):
        assistant.approve(vault, draft.id)
    done = assistant.approve(vault, draft.id, override_note="Only noted; no advice given.")
    assert done.status == "approved"
    assert audit_trail.recent_events(vault, 1)[0].fields == "edit:none,override"


def test_escalation_words_and_low_confidence_go_to_manual_review(vault: Vault, ada: int) -> None:
    sad = assistant.run_task(
        vault, AiTask.SESSION_SUMMARY, ada, None, text="Ada said she feels hopeless lately."
    )
    assert sad.status == "needs_review" and sad.flags.escalations == ("Distress",)
    vague = assistant.run_task(vault, AiTask.LEAD_INTENT, ada, None, text="Hello, can we talk?")
    assert vague.status == "needs_review"
    assert vague.flags.escalations == ("Low confidence (30%)",)


def test_links_and_numbers_not_in_the_source_are_marked() -> None:
    found = assistant._unverified(
        "Apply to 3 roles and read https://example.com/guide", "Apply to 3 roles.", date.today()
    )
    assert found == ("https://example.com/guide",)


def test_edits_are_kept_and_audited_as_a_diff_digest(vault: Vault, ada: int) -> None:
    draft = assistant.run_task(vault, AiTask.FOLLOW_UP_EMAIL, ada, None)
    done = assistant.approve(vault, draft.id, edited=draft.output + "\nP.S. See you soon.")
    assert done.edited is not None and done.text.endswith("See you soon.")
    assert audit_trail.recent_events(vault, 1)[0].fields.startswith("edit:")
    with pytest.raises(KnownError, match="already approved"):
        assistant.reject(vault, draft.id)


def test_drafts_are_erased_with_the_client(vault: Vault, ada: int) -> None:
    assistant.run_task(vault, AiTask.SESSION_SUMMARY, ada, None)
    preview = privacy.erasure_preview(vault, ada)
    assert preview.rows["ai_drafts"] == 1
    privacy.erase_client(vault, ada)
    assert assistant.list_drafts(vault) == []


def transcript(words: int) -> str:
    """A made-up speaker-labelled session transcript of about `words` words."""
    lines = []
    topics = ("her CV", "two interview answers", "the recruiter list", "a salary range")
    count = 0
    turn = 0
    while count < words:
        topic = topics[turn % len(topics)]
        line = (
            f"[00:{turn // 60:02d}:{turn % 60:02d}] "
            + ("Coach: " if turn % 2 else "Ada: ")
            + f"Let us talk about {topic} again, point {turn}. "
            + "It went better than last week and the feedback was clearer. " * 3
        )
        lines.append(line)
        count += len(line.split())
        turn += 1
    lines.append("Ada: I will update my CV by Friday.")
    return "\n".join(lines)


def test_split_to_fit_keeps_every_word_and_each_piece_in_budget() -> None:
    text = transcript(3_000)
    pieces = assistant.split_to_fit(text, 200, lambda t: len(t.split()))
    assert all(len(p.split()) <= 200 for p in pieces)
    assert " ".join(" ".join(p.split()) for p in pieces) == " ".join(text.split())


def test_a_long_transcript_is_summarised_in_stages_without_overflow(vault: Vault, ada: int) -> None:
    small = ModelHost(default_model_path(), context=1024, threads=2)
    seen: list[tuple[int, int]] = []
    try:
        text = transcript(2_500)
        assert small.count_tokens(text) > small.context_size  # would never fit in one prompt
        draft = assistant.run_task(
            vault,
            AiTask.SESSION_SUMMARY,
            ada,
            small,
            text=text,
            progress=lambda done, total: seen.append((done, total)),
        )
    finally:
        small.unload()
    assert draft.output and draft.status in ("draft", "needs_review")
    assert seen and seen[-1][0] == seen[-1][1] and seen[-1][1] > 1
