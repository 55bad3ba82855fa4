"""The Assistant area as a coach uses it: drafts beside their sources, approved, used, measured."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft, Objective
from coachdesk.domain.compliance import AiTask, ConsentMethod, Purpose
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.services import assistant, clients, compliance, crm
from coachdesk.services.assistant import Draft
from coachdesk.store.vault import Vault
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.drafts import DraftModel, DraftsView
from tests.ui.conftest import WAIT_MS, on_lane

NOTE = (
    "We reviewed Ada's CV and practised two interview answers. "
    "Ada will update her CV by Friday. I will send her two job ads on Monday."
)


@pytest.fixture
def ada(qtbot: QtBot, ops: VaultOps) -> int:
    """A client who agreed to AI assistance, with a session note."""

    def make(vault: Vault) -> int:
        client = clients.create_client(
            vault,
            ClientDraft(first_name="Ada", last_name="Lovelace", emails=("ada@example.com",)),
        )
        compliance.give_consent(vault, client.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
        crm.add_note(vault, client.id, NoteDraft(NoteKind.SESSION, date.today(), NOTE))
        return client.id

    return on_lane(qtbot, ops, make)


def run(
    qtbot: QtBot, ops: VaultOps, task: AiTask, client_id: int, text: str | None = None
) -> Draft:
    """A draft written by the rule-based fallback (no model), like the app stores it."""
    return on_lane(
        qtbot, ops, lambda vault: assistant.run_task(vault, task, client_id, None, text=text)
    )


def email_with_link(qtbot: QtBot, ops: VaultOps, client_id: int) -> Draft:
    """A follow-up e-mail whose text has a link its source never gave."""

    def make(vault: Vault) -> Draft:
        prepared = assistant.prepare(vault, AiTask.FOLLOW_UP_EMAIL, client_id)
        output = "Dear Ada,\n\nRead https://evil.example today.\nAlso HTTPS://EVIL.EXAMPLE again."
        made = assistant.Generated(output, "TestModel-1B", "", "", 2400)
        return assistant.store(vault, prepared, made)

    return on_lane(qtbot, ops, make)


def open_view(qtbot: QtBot, ops: VaultOps) -> DraftsView:
    view = DraftsView(ops)
    qtbot.addWidget(view)
    view.resize(1280, 760)
    view.show()
    qtbot.waitUntil(lambda: view.is_loaded, timeout=WAIT_MS)
    return view


def listed(view: DraftsView) -> list[tuple[str, str, str]]:
    model = view.model
    return [
        (
            model.index(r, 0).data(),
            model.index(r, 1).data(),
            model.index(r, 3).data(),
        )
        for r in range(model.rowCount())
    ]


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def stored(qtbot: QtBot, ops: VaultOps, draft_id: int) -> Draft:
    return on_lane(qtbot, ops, lambda vault: assistant.get_draft(vault, draft_id))


def wait_status(qtbot: QtBot, ops: VaultOps, draft_id: int, status: str) -> None:
    qtbot.waitUntil(lambda: stored(qtbot, ops, draft_id).status == status, timeout=WAIT_MS)


# The list -----------------------------------------------------------------------------------


def test_empty_queue_says_how_to_get_a_draft(qtbot: QtBot, ops: VaultOps) -> None:
    view = open_view(qtbot, ops)
    assert view.review_stack.currentWidget() is view.empty
    assert view.empty.title.text() == "No drafts waiting"
    assert "Open a client and use the Assistant tab" in view.empty.text.text()


def test_the_list_shows_waiting_drafts_and_the_filter_narrows_it(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    summary = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    sad = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada, text="Ada feels hopeless lately.")
    items = run(qtbot, ops, AiTask.ACTION_ITEMS, ada)
    on_lane(qtbot, ops, lambda vault: assistant.reject(vault, items.id))
    view = open_view(qtbot, ops)

    assert view.filter_name == "Waiting for review"
    assert listed(view) == [
        ("Session summaries", "Ada Lovelace", "Needs manual review"),
        ("Session summaries", "Ada Lovelace", "Waiting for review"),
    ]
    flagged = view.model.index(0, 0)
    assert flagged.data(Qt.ItemDataRole.DecorationRole) is not None
    assert "Manual review: Distress" in flagged.data(Qt.ItemDataRole.ToolTipRole)
    assert view.model.index(1, 0).data(Qt.ItemDataRole.DecorationRole) is None

    view.set_filter("Needs manual review")
    qtbot.waitUntil(lambda: [r[2] for r in listed(view)] == ["Needs manual review"])
    view.set_filter("Rejected")
    qtbot.waitUntil(lambda: listed(view) == [("Action items", "Ada Lovelace", "Rejected")])
    view.set_filter("Approved")
    qtbot.waitUntil(lambda: view.review_stack.currentWidget() is view.empty)
    assert view.empty.title.text() == "No approved drafts"
    view.set_filter("All")
    qtbot.waitUntil(lambda: view.model.rowCount() == 3)
    assert {view.model.draft_at(r).id for r in range(3)} == {summary.id, sad.id, items.id}  # type: ignore[union-attr]


def test_the_model_is_sound(
    qtbot: QtBot, ops: VaultOps, ada: int, qtmodeltester: ModelTester
) -> None:
    drafts = [run(qtbot, ops, task, ada) for task in (AiTask.SESSION_SUMMARY, AiTask.ACTION_ITEMS)]
    model = DraftModel()
    model.set_rows(drafts)
    qtmodeltester.check(model)


def test_show_draft_switches_to_all_when_the_filter_hides_it(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    done = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    run(qtbot, ops, AiTask.ACTION_ITEMS, ada)
    on_lane(qtbot, ops, lambda vault: assistant.approve(vault, done.id))
    view = open_view(qtbot, ops)
    assert view.model.rowCount() == 1

    view.show_draft(done.id)
    qtbot.waitUntil(
        lambda: view.current_draft() is not None and view.current_draft().id == done.id,  # type: ignore[union-attr]
        timeout=WAIT_MS,
    )
    assert view.filter_name == "All"
    assert [d.id for d in view.selected_drafts()] == [done.id]


# One draft beside its source ----------------------------------------------------------------


def test_a_draft_is_shown_beside_its_source_with_its_header(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    draft = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    view = open_view(qtbot, ops)
    pane = view.pane
    assert view.detail_stack.currentWidget() is pane
    assert pane.source.toPlainText() == NOTE and pane.source.isReadOnly()
    assert pane.editor.toPlainText() == draft.output and not pane.editor.isReadOnly()
    left, right = pane.splitter.widget(0), pane.splitter.widget(1)
    assert left is not None and left.isAncestorOf(pane.source)
    assert right is not None and right.isAncestorOf(pane.editor)
    assert pane.title.text() == "Session summary"
    assert "written by rules, no model" in pane.meta.text()
    assert "template session_summary v1" in pane.meta.text()
    assert pane.source_label.text() == "Source: the session note"

    requested: list[int] = []
    view.client_requested.connect(requested.append)
    assert 'href="client:' in pane.client_link.text()
    pane.client_link.linkActivated.emit(f"client:{ada}")
    assert requested == [ada]


def test_unverified_links_are_named_and_highlighted_as_the_coach_edits(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    draft = email_with_link(qtbot, ops, ada)
    assert "https://evil.example" in draft.flags.unverified
    view = open_view(qtbot, ops)
    pane = view.pane
    assert pane.unverified_banner.isVisible()
    assert "Not found in the source — check these" in pane.unverified_banner.text()
    assert "https://evil.example" in pane.unverified_banner.text()
    assert "model TestModel-1B" in pane.meta.text() and "took 2.4 s" in pane.meta.text()

    def marked() -> list[str]:
        found = []
        block = pane.editor.document().begin()
        while block.isValid():
            for fmt in block.layout().formats():
                if fmt.format.background().color().name() == "#fff176":
                    found.append(block.text()[fmt.start : fmt.start + fmt.length])
            block = block.next()
        return found

    assert marked() == ["https://evil.example", "HTTPS://EVIL.EXAMPLE"]
    pane.editor.moveCursor(pane.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(pane.editor, " One more: https://Evil.example")
    qtbot.waitUntil(lambda: len(marked()) == 3)
    assert marked()[-1] == "https://Evil.example"


def test_approve_with_an_edit_stores_the_edit(qtbot: QtBot, ops: VaultOps, ada: int) -> None:
    draft = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    view = open_view(qtbot, ops)
    pane = view.pane
    notices: list[str] = []
    view.notice.connect(lambda message, _undo: notices.append(message))
    pane.editor.moveCursor(pane.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(pane.editor, " Next time: salary talk.")
    assert pane.undo_button.isEnabled()

    click(qtbot, pane.approve_button)
    wait_status(qtbot, ops, draft.id, "approved")
    assert stored(qtbot, ops, draft.id).edited == draft.output + " Next time: salary talk."
    qtbot.waitUntil(lambda: pane.draft is not None and pane.draft.status == "approved")
    assert pane.editor.isReadOnly() and not pane.approve_button.isVisible()
    assert notices[-1] == "Approved: session summary for Ada Lovelace."
    # It stays in the list (now approved) until the filter changes.
    qtbot.waitUntil(lambda: listed(view) == [("Session summaries", "Ada Lovelace", "Approved")])


def test_a_prohibited_topic_needs_an_override_note(qtbot: QtBot, ops: VaultOps, ada: int) -> None:
    text = "Ada asked whether to change her medication dosage before interviews."
    draft = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada, text=text)
    view = open_view(qtbot, ops)
    pane = view.pane
    assert pane.topics_banner.isVisible() and "medical advice" in pane.topics_banner.text()
    assert "override note" in pane.topics_banner.text()
    assert pane.override_edit.isVisible()

    click(qtbot, pane.approve_button)
    qtbot.waitUntil(pane.error.isVisible, timeout=WAIT_MS)
    assert "override note" in pane.error.text()
    assert stored(qtbot, ops, draft.id).status == "draft"

    qtbot.keyClicks(pane.override_edit, "Only noted; no advice given.")
    click(qtbot, pane.approve_button)
    wait_status(qtbot, ops, draft.id, "approved")
    assert stored(qtbot, ops, draft.id).override_note == "Only noted; no advice given."


def test_escalations_say_why_the_draft_went_to_manual_review(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    run(qtbot, ops, AiTask.SESSION_SUMMARY, ada, text="Ada feels hopeless lately.")
    view = open_view(qtbot, ops)
    assert view.pane.escalations_banner.isVisible()
    assert view.pane.escalations_banner.text().startswith("Sent to manual review: Distress")


def test_reject_asks_first(qtbot: QtBot, ops: VaultOps, ada: int) -> None:
    draft = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    view = open_view(qtbot, ops)
    pane = view.pane
    click(qtbot, pane.reject_button)
    assert pane.confirm_box is not None
    pane.confirm_box.reject()
    qtbot.waitUntil(lambda: pane.confirm_box is None)
    assert stored(qtbot, ops, draft.id).status == "draft"

    click(qtbot, pane.reject_button)
    assert pane.confirm_box is not None and pane.confirm_yes is not None
    click(qtbot, pane.confirm_yes)
    wait_status(qtbot, ops, draft.id, "rejected")
    qtbot.waitUntil(lambda: listed(view) == [("Session summaries", "Ada Lovelace", "Rejected")])
    assert pane.editor.isReadOnly() and not pane.reject_button.isVisible()


def test_approve_selected_approves_them_all_or_says_which_must_be_read_alone(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    first = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    second = run(qtbot, ops, AiTask.ACTION_ITEMS, ada)
    sad = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada, text="Ada feels hopeless lately.")
    view = open_view(qtbot, ops)
    assert not view.approve_selected_button.isEnabled()
    view.table.selectAll()
    assert view.approve_selected_button.text() == "Approve selected (3)"

    click(qtbot, view.approve_selected_button)
    qtbot.waitUntil(view.message.isVisible, timeout=WAIT_MS)
    assert f"Draft #{sad.id}" in view.message.text()
    assert "must be read and approved on its own" in view.message.text()
    assert stored(qtbot, ops, first.id).status == "draft"

    selection = view.table.selectionModel()
    selection.select(
        view.model.index(view.model.row_of(sad.id), 0),
        QItemSelectionModel.SelectionFlag.Deselect | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert view.approve_selected_button.text() == "Approve selected (2)"
    click(qtbot, view.approve_selected_button)
    wait_status(qtbot, ops, first.id, "approved")
    assert stored(qtbot, ops, second.id).status == "approved"
    assert stored(qtbot, ops, sad.id).status == "needs_review"


# What an approved draft becomes ---------------------------------------------------------------


def test_approved_action_items_become_follow_ups_once(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    draft = run(qtbot, ops, AiTask.ACTION_ITEMS, ada)
    view = open_view(qtbot, ops)
    pane = view.pane
    assert "— Update her CV (Ada, by " in pane.structured.text()
    assert pane.apply_button.text() == "Create 2 follow-ups"
    assert not pane.apply_button.isEnabled()

    click(qtbot, pane.approve_button)
    qtbot.waitUntil(pane.apply_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, pane.apply_button)
    qtbot.waitUntil(lambda: pane.apply_button.text() == "Made follow-ups", timeout=WAIT_MS)
    assert not pane.apply_button.isEnabled()
    made = on_lane(qtbot, ops, lambda vault: crm.list_follow_ups(vault, ada))
    assert {f.title for f in made} >= {"Check in: Update her CV", "Send her two job ads"}
    assert stored(qtbot, ops, draft.id).applied.startswith("follow_ups:")


def test_an_invalid_edit_of_structured_data_is_shown_inline(
    qtbot: QtBot, ops: VaultOps, ada: int
) -> None:
    draft = run(qtbot, ops, AiTask.ACTION_ITEMS, ada)
    view = open_view(qtbot, ops)
    pane = view.pane
    value = json.loads(draft.output)
    value["items"][0]["owner"] = "boss"
    pane.editor.setPlainText(json.dumps(value, indent=2))
    click(qtbot, pane.approve_button)
    qtbot.waitUntil(pane.error.isVisible, timeout=WAIT_MS)
    assert "'boss' is not one of ['client', 'coach']" in pane.error.text()
    assert stored(qtbot, ops, draft.id).status == "draft"

    pane.editor.setPlainText("{ not json")
    assert "not valid data yet" in pane.structured.text()
    click(qtbot, pane.undo_button)
    assert pane.editor.toPlainText() == draft.output


def test_an_approved_lead_intent_sets_the_objective(qtbot: QtBot, ops: VaultOps, ada: int) -> None:
    text = "Hi! I have a final round interview with a hiring manager next week."
    draft = run(qtbot, ops, AiTask.LEAD_INTENT, ada, text=text)
    view = open_view(qtbot, ops)
    pane = view.pane
    assert pane.structured.text().startswith("What the lead wants: Interview prep")
    click(qtbot, pane.approve_button)
    qtbot.waitUntil(pane.apply_button.isEnabled, timeout=WAIT_MS)
    assert pane.apply_button.text() == "Set Ada Lovelace's objective to Interview prep"
    click(qtbot, pane.apply_button)
    qtbot.waitUntil(lambda: pane.apply_button.text() == "Objective set", timeout=WAIT_MS)
    client = on_lane(qtbot, ops, lambda vault: clients.get_client(vault, ada))
    assert client.objective is Objective.INTERVIEW_PREP
    assert stored(qtbot, ops, draft.id).applied == "objective:interview_prep"


def test_an_approved_follow_up_email_opens_in_the_mail_app(
    qtbot: QtBot, ops: VaultOps, ada: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(qtbot, ops, AiTask.FOLLOW_UP_EMAIL, ada)
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    view = open_view(qtbot, ops)
    pane = view.pane
    assert pane.apply_button.text() == "Open in mail app" and not pane.apply_button.isEnabled()
    click(qtbot, pane.approve_button)
    qtbot.waitUntil(pane.apply_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, pane.apply_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    message = email.message_from_bytes(
        Path(opened[0].toLocalFile()).read_bytes(), policy=email.policy.default
    )
    assert "ada@example.com" in str(message["To"])
    assert "Dear Ada" in message.get_body().get_content()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: pane.apply_button.text() == "Opened as an e-mail draft")
    assert not pane.apply_button.isEnabled()


def test_no_mail_app_is_said_plainly(
    qtbot: QtBot, ops: VaultOps, ada: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = run(qtbot, ops, AiTask.FOLLOW_UP_EMAIL, ada)
    on_lane(qtbot, ops, lambda vault: assistant.approve(vault, draft.id))
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: False))
    view = open_view(qtbot, ops)
    view.set_filter("Approved")
    qtbot.waitUntil(lambda: view.pane.apply_button.isEnabled(), timeout=WAIT_MS)
    click(qtbot, view.pane.apply_button)
    qtbot.waitUntil(view.pane.error.isVisible, timeout=WAIT_MS)
    assert "no mail app set up" in view.pane.error.text()
    assert view.pane.copy_button.isVisible()


# Impact --------------------------------------------------------------------------------------


def test_impact_shows_acceptance_and_minutes_saved(qtbot: QtBot, ops: VaultOps, ada: int) -> None:
    kept = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    dropped = run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    run(qtbot, ops, AiTask.ACTION_ITEMS, ada)
    on_lane(qtbot, ops, lambda vault: assistant.approve(vault, kept.id))
    on_lane(qtbot, ops, lambda vault: assistant.reject(vault, dropped.id))
    view = open_view(qtbot, ops)
    view.tabs.setCurrentWidget(view.impact)
    impact = view.impact
    qtbot.waitUntil(lambda: impact.table.rowCount() == 3, timeout=WAIT_MS)

    assert impact.cell(0, "Task") == "Session summaries"
    assert impact.cell(0, "Accepted") == "50 %"
    assert impact.cell(0, "Average edit") == "no changes"
    assert impact.cell(1, "Task") == "Action items"
    assert impact.cell(1, "Accepted") == "—" and impact.cell(1, "Waiting") == "1"
    assert impact.cell(1, "Median time to approve") == "—"
    assert impact.cell(2, "Task") == "Total" and impact.cell(2, "Drafts") == "3"
    assert impact.cell(2, "Minutes saved").endswith("min") or impact.cell(2, "Minutes saved") in (
        "under a minute",
    )
    assert "19 words a minute" in impact.note.text() and "238" in impact.note.text()

    # A decision in the Review tab shows in the report when it is looked at again.
    view.tabs.setCurrentIndex(0)
    remaining = view.pane.draft
    assert remaining is not None
    click(qtbot, view.pane.approve_button)
    wait_status(qtbot, ops, remaining.id, "approved")
    view.tabs.setCurrentWidget(impact)
    qtbot.waitUntil(lambda: impact.cell(1, "Accepted") == "100 %", timeout=WAIT_MS)


def test_locking_forgets_everything_shown(qtbot: QtBot, ops: VaultOps, ada: int) -> None:
    run(qtbot, ops, AiTask.SESSION_SUMMARY, ada)
    view = open_view(qtbot, ops)
    qtbot.keyClicks(view.pane.editor, "private edit")
    ops.close()
    assert view.model.rowCount() == 0
    assert view.pane.editor.toPlainText() == "" and view.pane.source.toPlainText() == ""
    assert not view.pane.has_edits(1)
