"""A client's Assistant tab as a coach uses it: what may run, the source, writing and cancel."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.compliance import AiPolicy, AiTask, ConsentMethod, Purpose
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.services import assistant, clients, compliance, crm
from coachdesk.settings import AI_MODEL, MachineSettings
from coachdesk.ui.assistant_ops import AiOps
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.client_assistant import (
    PASTE,
    ClientAssistant,
    DraftListModel,
    note_choice_text,
)
from tests.ui.conftest import WAIT_MS, on_lane

MODEL_WAIT_MS = 60_000
NOTE = (
    "We reviewed Ada's CV and practised two interview answers. "
    "Ada will update her CV by Friday. I will send her two job ads on Monday."
)


@pytest.fixture
def ai(ops: VaultOps, tmp_path: Path) -> Iterator[AiOps]:
    """The assistant with no usable model: drafts are written by rules, at once."""
    settings = MachineSettings(tmp_path / "settings.json")
    settings.set(AI_MODEL, str(tmp_path / "no-such-model.gguf"))
    made = AiOps(ops, settings)
    yield made
    made.shutdown()


@pytest.fixture
def real_ai(ops: VaultOps, tmp_path: Path) -> Iterator[AiOps]:
    """The assistant with the bundled model."""
    made = AiOps(ops, MachineSettings(tmp_path / "settings.json"))
    yield made
    made.shutdown()


def add_client(
    qtbot: QtBot, ops: VaultOps, consent: bool = True, notes: str = "", note: str = NOTE
) -> Client:
    draft = ClientDraft(
        first_name="Ada",
        last_name="Lovelace",
        emails=("ada@example.com",),
        status=ClientStatus.ACTIVE,
        notes=notes,
    )
    client = on_lane(qtbot, ops, lambda vault: clients.create_client(vault, draft))
    if consent:
        on_lane(
            qtbot,
            ops,
            lambda vault: compliance.give_consent(
                vault, client.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL
            ),
        )
    if note:
        on_lane(
            qtbot,
            ops,
            lambda vault: crm.add_note(
                vault, client.id, NoteDraft(NoteKind.SESSION, date(2026, 3, 3), note)
            ),
        )
    return client


def assistant_tab(
    qtbot: QtBot, ops: VaultOps, ai: AiOps, client: Client, timeout: int = WAIT_MS
) -> ClientAssistant:
    """The tab, shown, with what may run and the model's state loaded."""
    view = ClientAssistant(ops, ai)
    qtbot.addWidget(view)
    view.resize(1000, 760)
    view.show()
    view.set_client(client)
    qtbot.waitUntil(lambda: view.data is not None and view.model is not None, timeout=timeout)
    return view


def pick(qtbot: QtBot, view: ClientAssistant, task: AiTask) -> None:
    qtbot.mouseClick(view.task_rows[task].button, Qt.MouseButton.LeftButton)
    assert view.chosen_task is task


def write(qtbot: QtBot, view: ClientAssistant) -> None:
    qtbot.mouseClick(view.write_button, Qt.MouseButton.LeftButton)
    assert view.running


def drafts(qtbot: QtBot, ops: VaultOps, client: Client) -> list[assistant.Draft]:
    return on_lane(qtbot, ops, lambda vault: assistant.list_drafts(vault, client_id=client.id))


def test_without_consent_every_task_is_disabled_and_says_why(
    qtbot: QtBot, ops: VaultOps, ai: AiOps
) -> None:
    client = add_client(qtbot, ops, consent=False)
    view = assistant_tab(qtbot, ops, ai, client)

    assert all(not row.button.isEnabled() for row in view.task_rows.values())
    assert not any(row.button.isChecked() for row in view.task_rows.values())
    assert view.consent_box.isVisible()
    assert "Ada Lovelace has not agreed to AI assistance" in view.consent_text.text()
    assert view.none_text.isVisible() and not view.write_button.isVisible()
    with qtbot.waitSignal(view.privacy_requested, timeout=WAIT_MS):
        qtbot.mouseClick(view.privacy_button, Qt.MouseButton.LeftButton)

    # Consent recorded on the Privacy tab (a "crm" change): every task may run.
    ops.run(
        lambda vault: compliance.give_consent(
            vault, client.id, Purpose.AI_ASSISTANCE, ConsentMethod.SIGNED_FORM
        ),
        changes="crm",
    )
    qtbot.waitUntil(lambda: not view.consent_box.isVisible(), timeout=WAIT_MS)
    assert all(row.button.isEnabled() for row in view.task_rows.values())
    assert view.chosen_task is AiTask.SESSION_SUMMARY
    assert view.write_button.isVisible() and view.write_button.isEnabled()


def test_a_task_the_policy_forbids_is_disabled_with_the_policy_reason(
    qtbot: QtBot, ops: VaultOps, ai: AiOps
) -> None:
    client = add_client(qtbot, ops)
    view = assistant_tab(qtbot, ops, ai, client)
    row = view.task_rows[AiTask.ACTION_ITEMS]
    assert row.button.isEnabled() and row.reason.isHidden()

    allowed = frozenset(AiTask) - {AiTask.ACTION_ITEMS}
    ops.run(
        lambda vault: compliance.save_ai_policy(vault, AiPolicy(allowed=allowed)),
        changes="compliance",
    )
    qtbot.waitUntil(lambda: not row.button.isEnabled(), timeout=WAIT_MS)
    assert row.reason.isVisible()
    assert row.reason.text().startswith("Your AI policy does not allow action items.")
    assert not view.consent_box.isVisible()
    others = [r for task, r in view.task_rows.items() if task is not AiTask.ACTION_ITEMS]
    assert all(r.button.isEnabled() and r.reason.isHidden() for r in others)


def test_a_fallback_draft_of_action_items_waits_for_review(
    qtbot: QtBot, ops: VaultOps, ai: AiOps
) -> None:
    client = add_client(qtbot, ops)
    view = assistant_tab(qtbot, ops, ai, client)
    assert view.model_banner.isVisible()
    assert "There is no model file" in view.model_banner.text()
    assert "by rules" in view.model_banner.text()
    assert view.drafts_table.isHidden()
    assert view.drafts_hint.text().startswith("No drafts for Ada Lovelace yet.")

    pick(qtbot, view, AiTask.ACTION_ITEMS)
    assert view.note_combo.currentText().startswith("3 Mar 2026 · Session note · We reviewed")
    assert view.paste.isHidden()
    write(qtbot, view)
    assert all(not row.button.isEnabled() for row in view.task_rows.values())
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS)

    stored = drafts(qtbot, ops, client)
    assert len(stored) == 1 and stored[0].task is AiTask.ACTION_ITEMS
    number = stored[0].id
    assert view.result.text().startswith(f"Draft #{number} is waiting for your review.")
    assert "Update her CV" in view.output.toPlainText()
    assert view.task_rows[AiTask.SESSION_SUMMARY].button.isEnabled()
    with qtbot.waitSignal(view.review_requested, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(view.review_button, Qt.MouseButton.LeftButton)
    assert signal.args == [number]

    qtbot.waitUntil(lambda: view.drafts_model.rowCount() == 1, timeout=WAIT_MS)
    assert view.drafts_table.isVisible()
    model = view.drafts_model
    assert [model.index(0, c).data() for c in range(3)] == [
        f"#{number}",
        "Action items",
        "Waiting for review",
    ]
    table = view.drafts_table
    rect = table.visualRect(model.index(0, 1))
    with qtbot.waitSignal(view.review_requested, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == [number]


def test_a_pasted_transcript_is_the_source(qtbot: QtBot, ops: VaultOps, ai: AiOps) -> None:
    client = add_client(qtbot, ops)
    view = assistant_tab(qtbot, ops, ai, client)
    pick(qtbot, view, AiTask.SESSION_SUMMARY)
    view.note_combo.setCurrentIndex(view.note_combo.findData(PASTE))
    assert view.paste.isVisible()

    qtbot.mouseClick(view.write_button, Qt.MouseButton.LeftButton)
    assert not view.running
    assert view.error.text() == "Paste a transcript or notes first."

    pasted = "Coach: What will you do next? Ada: I will call the recruiter by Monday."
    view.paste.setFocus()
    qtbot.keyClicks(view.paste, pasted)
    write(qtbot, view)
    assert view.error.isHidden()
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS)

    (draft,) = drafts(qtbot, ops, client)
    assert (draft.task, draft.source_kind, draft.source) == (AiTask.SESSION_SUMMARY, "text", pasted)
    assert "call the recruiter" in view.output.toPlainText()


def test_lead_intent_reads_the_inquiry_as_the_coach_edited_it(
    qtbot: QtBot, ops: VaultOps, ai: AiOps
) -> None:
    client = add_client(qtbot, ops, notes="Met at a conference; works in retail.", note="")
    view = assistant_tab(qtbot, ops, ai, client)
    pick(qtbot, view, AiTask.LEAD_INTENT)
    assert view.inquiry.isVisible() and view.note_box.isHidden()
    assert view.inquiry.toPlainText() == "Met at a conference; works in retail."

    inquiry = "I have a final round interview with a hiring manager next week."
    view.inquiry.selectAll()
    view.inquiry.setFocus()
    qtbot.keyClicks(view.inquiry, inquiry)
    write(qtbot, view)
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS)

    (draft,) = drafts(qtbot, ops, client)
    assert (draft.task, draft.source_kind, draft.source) == (AiTask.LEAD_INTENT, "inquiry", inquiry)
    assert json.loads(draft.output)["intent"] == "interview_prep"
    # The coach's edit survives a reload of the tab.
    view.set_client(client)
    assert view.inquiry.toPlainText() == inquiry


def test_an_inquiry_pasted_for_one_client_never_reaches_the_next(
    qtbot: QtBot, ops: VaultOps, ai: AiOps
) -> None:
    ada = add_client(qtbot, ops, notes="", note="")
    bob_draft = ClientDraft(first_name="Bob", last_name="Stone", notes="Wants exam revision help.")
    bob = on_lane(qtbot, ops, lambda vault: clients.create_client(vault, bob_draft))
    on_lane(
        qtbot,
        ops,
        lambda vault: compliance.give_consent(
            vault, bob.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL
        ),
    )
    view = assistant_tab(qtbot, ops, ai, ada)
    pick(qtbot, view, AiTask.LEAD_INTENT)
    view.inquiry.setFocus()
    qtbot.keyClicks(view.inquiry, "SECRET inquiry of Ada about her interview")
    view.set_client(bob)
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    assert view.inquiry.toPlainText() == "Wants exam revision help."
    pick(qtbot, view, AiTask.LEAD_INTENT)
    write(qtbot, view)
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS)
    (draft,) = drafts(qtbot, ops, bob)
    assert "SECRET" not in draft.source and draft.source == "Wants exam revision help."


def test_esc_cancels_and_nothing_is_kept(qtbot: QtBot, ops: VaultOps, ai: AiOps) -> None:
    client = add_client(qtbot, ops)
    view = assistant_tab(qtbot, ops, ai, client)
    gate = threading.Event()
    ops.lane.run(lambda _job: gate.wait(WAIT_MS / 1000))  # holds the db lane until released
    try:
        write(qtbot, view)
        assert view.cancel_button.isVisible()
        assert QApplication.focusWidget() is view.cancel_button
        qtbot.keyClick(view.cancel_button, Qt.Key.Key_Escape)
        assert view.stage.text() == "Stopping…"
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not view.running, timeout=WAIT_MS)

    assert view.result.text() == "Cancelled; nothing was kept."
    assert view.output.isHidden() and view.cancel_button.isHidden()
    assert view.write_button.isEnabled()
    assert drafts(qtbot, ops, client) == []


def test_choices_and_statuses_read_plainly(
    qtbot: QtBot, ops: VaultOps, qtmodeltester: ModelTester
) -> None:
    client = add_client(qtbot, ops)
    note = on_lane(qtbot, ops, lambda vault: crm.list_notes(vault, client.id))[0]
    assert note_choice_text(note, words=3) == "3 Mar 2026 · Session note · We reviewed Ada's…"
    made = on_lane(
        qtbot,
        ops,
        lambda vault: assistant.run_task(vault, AiTask.LEAD_INTENT, client.id, None, text="exam"),
    )
    on_lane(qtbot, ops, lambda vault: assistant.approve(vault, made.id))
    on_lane(qtbot, ops, lambda vault: assistant.set_objective(vault, made.id))
    model = DraftListModel()
    model.set_drafts(drafts(qtbot, ops, client))
    assert model.index(0, 1).data() == "What this lead wants"
    assert model.index(0, 2).data() == "Approved · objective set"
    qtmodeltester.check(model)


def test_a_real_model_streams_a_summary_into_the_review_queue(
    qtbot: QtBot, ops: VaultOps, real_ai: AiOps
) -> None:
    client = add_client(qtbot, ops)
    view = assistant_tab(qtbot, ops, real_ai, client, MODEL_WAIT_MS)
    assert view.where.text().startswith("Drafts are written on this laptop by ")
    assert view.model_banner.isHidden()
    pick(qtbot, view, AiTask.SESSION_SUMMARY)
    write(qtbot, view)
    run = view.run
    assert run is not None
    seen: list[str] = []
    run.piece.connect(lambda _piece: seen.append(view.output.toPlainText()))
    run.succeeded.connect(lambda _draft: seen.append("<succeeded>"))
    qtbot.waitUntil(lambda: not view.running, timeout=MODEL_WAIT_MS)

    assert seen[-1] == "<succeeded>"
    streamed = seen[:-1]
    assert len(streamed) > 1 and streamed[0]
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(streamed))
    (draft,) = drafts(qtbot, ops, client)
    assert draft.task is AiTask.SESSION_SUMMARY and not draft.flags.fallback
    assert view.result.text().startswith(f"Draft #{draft.id} ")
    qtbot.waitUntil(lambda: view.drafts_model.rowCount() == 1, timeout=WAIT_MS)


def test_cancelling_a_real_model_after_the_first_piece_keeps_nothing(
    qtbot: QtBot, ops: VaultOps, real_ai: AiOps
) -> None:
    client = add_client(qtbot, ops)
    view = assistant_tab(qtbot, ops, real_ai, client, MODEL_WAIT_MS)
    pick(qtbot, view, AiTask.SESSION_SUMMARY)
    write(qtbot, view)
    qtbot.waitUntil(lambda: bool(view.output.toPlainText()), timeout=MODEL_WAIT_MS)
    qtbot.keyClick(view.cancel_button, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not view.running, timeout=MODEL_WAIT_MS)

    assert view.result.text() == "Cancelled; nothing was kept."
    assert view.output.isHidden()
    assert drafts(qtbot, ops, client) == []
