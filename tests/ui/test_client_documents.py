"""A client's Documents tab as a coach uses it: make, preview, save, e-mail, make again, delete."""

from __future__ import annotations

import email
import email.policy
import errno
import io
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import docx
import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QComboBox, QDateEdit, QFileDialog, QListWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.crm import (
    FollowUpDraft,
    GoalDraft,
    GoalStatus,
    MilestoneDraft,
    NoteDraft,
    NoteKind,
)
from coachdesk.domain.documents import DocumentInfo
from coachdesk.paths import handoff_dir
from coachdesk.services import clients, crm, documents, files
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.new_document import NewDocumentDialog
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.client_documents import ClientDocuments, DocumentModel
from coachdesk.ui.views.client_page import ClientPage
from tests.ui.conftest import WAIT_MS

T = TypeVar("T")

# The first preview starts the template worker process.
RENDER_MS = 60_000


def on_lane(qtbot: QtBot, ops: VaultOps, fn: Callable[[Vault], T]) -> T:
    """Run a service call on the db lane, like the app does, and wait for its result."""
    results: list[Any] = []
    failures: list[Failure] = []
    ops.run(fn, on_done=results.append, on_error=failures.append)
    qtbot.waitUntil(lambda: bool(results or failures), timeout=RENDER_MS)
    if failures:
        raise failures[0].error
    result: T = results[0]
    return result


def add_client(
    qtbot: QtBot,
    ops: VaultOps,
    first: str = "Cleo",
    last: str = "Martin",
    emails: tuple[str, ...] = ("cleo@example.com",),
    goals: int = 1,
    session_notes: int = 2,
) -> Client:
    """A client with goals (one with milestones), session notes and a follow-up."""
    draft = ClientDraft(
        first_name=first,
        last_name=last,
        emails=emails,
        company="Northwind",
        status=ClientStatus.ACTIVE,
    )

    def fill(vault: Vault) -> Client:
        client = clients.create_client(vault, draft)
        for number in range(goals):
            crm.add_goal(
                vault,
                client.id,
                GoalDraft(
                    f"Goal number {number + 1}", "Measured weekly", None, GoalStatus.ON_TRACK, 40
                ),
                (MilestoneDraft("First step", None, True),),
            )
        for number in range(session_notes):
            crm.add_note(
                vault,
                client.id,
                NoteDraft(
                    NoteKind.SESSION,
                    date.today() - timedelta(days=7 * number),
                    f"Session {number + 1}: we worked on the interview story.",
                ),
            )
        crm.add_follow_up(
            vault,
            client.id,
            FollowUpDraft("Send the reading list", datetime.now() + timedelta(days=3)),
        )
        return clients.get_client(vault, client.id)

    return on_lane(qtbot, ops, fill)


def make_document(qtbot: QtBot, ops: VaultOps, client: Client, key: str) -> DocumentInfo:
    return on_lane(qtbot, ops, lambda vault: documents.create_document(vault, client.id, key, {}))


def show_documents(qtbot: QtBot, ops: VaultOps, client: Client) -> ClientPage:
    """The client's page, open on the Documents tab with the list loaded."""
    page = ClientPage(ops)
    qtbot.addWidget(page)
    page.resize(1060, 660)
    page.show()
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "overview"):
        page.set_client(client)
    with qtbot.waitSignal(
        page.loaded, check_params_cb=lambda name: name == "documents", timeout=WAIT_MS
    ):
        page.show_tab("documents")
    return page


def click(qtbot: QtBot, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose_type(qtbot: QtBot, types: QListWidget, name: str) -> None:
    item = types.findItems(name, Qt.MatchFlag.MatchExactly)[0]
    rect = types.visualItemRect(item)
    qtbot.mouseClick(types.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert types.currentItem() is item


def open_new_dialog(qtbot: QtBot, view: ClientDocuments) -> NewDocumentDialog:
    click(qtbot, view.new_button)
    dialog = view.new_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def wait_for_preview(qtbot: QtBot, dialog: NewDocumentDialog) -> None:
    """Until the preview shows what the form asks for now (pages or a message)."""
    qtbot.waitUntil(
        lambda: not dialog.is_previewing and not dialog._timer.isActive(), timeout=RENDER_MS
    )


def rows(view: ClientDocuments) -> list[str]:
    model = view.model
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def selected_title(view: ClientDocuments) -> str | None:
    info = view.current_document()
    return info.title if info else None


# Making a document -------------------------------------------------------------------------


def test_an_empty_tab_says_what_to_do_and_new_document_makes_a_progress_report(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops)
    page = show_documents(qtbot, ops, client)
    view = page.documents
    assert view.stack.currentWidget() is view.empty
    assert view.empty.title.text() == "No documents yet"
    assert "Choose New document to make an intake form" in view.empty.text.text()
    assert not view.email_button.isEnabled()

    notices: list[str] = []
    view.notice.connect(lambda message, _undo: notices.append(message))
    assert view.empty.button is not None
    click(qtbot, view.empty.button)
    dialog = view.new_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)

    choose_type(qtbot, dialog.types, "Progress report")
    assert dialog.description.text().startswith("Goals, progress, milestones")
    since = dialog.form.field("since").widget
    assert isinstance(since, QDateEdit)
    assert since.calendarPopup()
    start = date.today() - timedelta(days=90)
    assert since.date() == QDate(start.year, start.month, start.day)
    qtbot.waitUntil(lambda: dialog.preview.page_count > 0, timeout=RENDER_MS)
    wait_for_preview(qtbot, dialog)
    assert dialog.preview.page_count > 0
    caption = dialog.preview_caption.text()
    assert "Cleo Martin's record" in caption
    assert "Progress report template, version 1" in caption

    click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: view.new_dialog is None, timeout=RENDER_MS)
    qtbot.waitUntil(lambda: rows(view) == ["Progress report: Cleo Martin"], timeout=WAIT_MS)
    assert view.stack.currentWidget() is view.list_page
    assert selected_title(view) == "Progress report: Cleo Martin"
    assert page.tabs.tabText(4) == "Documents (1)"
    assert view.model.index(0, 1).data() == "Progress report"
    assert view.model.index(0, 3).data() == "v1"
    assert notices == ["Made “Progress report: Cleo Martin”."]
    qtbot.waitUntil(lambda: view.pane.page_count > 0, timeout=WAIT_MS)
    assert "template version 1" in view.caption.text()


def test_changing_a_choice_updates_the_preview_and_the_document_keeps_it(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops)
    view = show_documents(qtbot, ops, client).documents
    dialog = open_new_dialog(qtbot, view)
    choose_type(qtbot, dialog.types, "Renewal proposal")
    wait_for_preview(qtbot, dialog)
    shown = dialog._shown

    price = dialog.form.field("price").widget
    qtbot.keyClicks(price, "12x50.5")  # the field takes numbers only
    assert price.text() == "1250.5"  # type: ignore[attr-defined]
    wait_for_preview(qtbot, dialog)
    assert dialog._shown is not None and dialog._shown != shown
    assert ("price", "1250.5") in dialog._shown[1]

    click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: len(rows(view)) == 1, timeout=RENDER_MS)
    info = view.current_document()
    assert info is not None and dict(info.options)["price"] == "1250.5"


def test_a_session_summary_without_session_notes_can_still_be_made(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops, session_notes=0)
    view = show_documents(qtbot, ops, client).documents
    dialog = open_new_dialog(qtbot, view)
    choose_type(qtbot, dialog.types, "Session summary")
    combo = dialog.form.field("note").widget
    assert isinstance(combo, QComboBox)
    qtbot.waitUntil(lambda: combo.currentText().startswith("No session notes yet"))
    assert not combo.isEnabled()
    wait_for_preview(qtbot, dialog)
    assert dialog.preview.page_count > 0

    click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: len(rows(view)) == 1, timeout=RENDER_MS)
    assert rows(view)[0].startswith("Session summary: Cleo Martin")


def test_the_session_note_choice_offers_session_notes_latest_first(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops, session_notes=2)
    view = show_documents(qtbot, ops, client).documents
    dialog = open_new_dialog(qtbot, view)
    choose_type(qtbot, dialog.types, "Session summary")
    combo = dialog.form.field("note").widget
    assert isinstance(combo, QComboBox)
    qtbot.waitUntil(combo.isEnabled, timeout=WAIT_MS)
    assert combo.count() == 2
    assert "Session 1: we worked" in combo.itemText(0)
    assert "Session 2: we worked" in combo.itemText(1)
    combo.setCurrentIndex(1)
    chosen = combo.itemData(1)
    wait_for_preview(qtbot, dialog)
    click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: len(rows(view)) == 1, timeout=RENDER_MS)
    info = view.current_document()
    assert info is not None and dict(info.options)["note"] == chosen


def test_a_broken_template_is_explained_in_plain_words_with_its_line(
    qtbot: QtBot, ops: VaultOps
) -> None:
    # Fine for the sample client (one goal), fails for a client with exactly two.
    source = documents.builtin_source("progress_report")
    bad = "<p>{{ 100 // (goals | length - 2) }}</p>"
    source = source.replace("<h2>Summary</h2>", f"<h2>Summary</h2>\n{bad}", 1)
    line = source.splitlines().index(bad) + 1
    on_lane(qtbot, ops, lambda vault: documents.save_template(vault, "progress_report", source))
    client = add_client(qtbot, ops, goals=2)
    view = show_documents(qtbot, ops, client).documents

    dialog = open_new_dialog(qtbot, view)
    choose_type(qtbot, dialog.types, "Progress report")
    wait_for_preview(qtbot, dialog)
    assert dialog.preview.page_count == 0
    message = dialog.preview._message.text()
    assert message.startswith(f"The Progress report template has a problem: Line {line}: ")
    assert message.endswith("Fix it in Documents → Templates.")
    assert "Traceback" not in message

    click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=RENDER_MS)
    assert dialog.error.text() == message
    assert dialog.isVisible()
    assert on_lane(qtbot, ops, lambda vault: documents.list_documents(vault, client.id)) == []


# Saving, e-mailing ----------------------------------------------------------------------------


def test_save_as_pdf_and_as_word_write_the_document_where_the_coach_chose(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "progress_report")
    view = show_documents(qtbot, ops, client).documents
    assert selected_title(view) == "Progress report: Cleo Martin"
    asked: list[tuple[str, str, str]] = []
    answers = iter([str(tmp_path / "cleo report"), str(tmp_path / "cleo.docx")])

    def pick(_parent: Any, caption: str, suggested: str, name_filter: str) -> tuple[str, str]:
        asked.append((caption, Path(suggested).name, name_filter))
        return next(answers), name_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(pick))
    notices: list[str] = []
    view.notice.connect(lambda message, _undo: notices.append(message))

    click(qtbot, view.save_pdf_button)
    pdf_path = tmp_path / "cleo report.pdf"
    qtbot.waitUntil(lambda: bool(notices), timeout=WAIT_MS)
    assert asked[0] == ("Save as PDF", "Progress report Cleo Martin.pdf", "PDF documents (*.pdf)")
    assert notices[0] == f"Saved “cleo report.pdf” in {tmp_path}."
    text = "".join(page.extract_text() for page in PdfReader(pdf_path).pages)
    assert "Cleo Martin" in text

    click(qtbot, view.save_word_button)
    qtbot.waitUntil(lambda: len(notices) == 2, timeout=WAIT_MS)
    assert asked[1][1:] == ("Progress report Cleo Martin.docx", "Word documents (*.docx)")
    word = docx.Document(io.BytesIO((tmp_path / "cleo.docx").read_bytes()))
    paragraphs = [p.text for p in word.paragraphs]
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    assert any("Cleo Martin" in t for t in paragraphs + cells)
    assert not view.message.isVisible()


def test_cancelling_the_save_dialog_saves_nothing(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    view = show_documents(qtbot, ops, client).documents
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: ("", "")))
    click(qtbot, view.save_pdf_button)
    qtbot.wait(50)
    assert list(tmp_path.glob("*.pdf")) == []
    assert not view.message.isVisible()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_saving_into_a_read_only_folder_says_so(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    view = show_documents(qtbot, ops, client).documents
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    target = str(folder / "cert.pdf")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: (target, "")))
    try:
        click(qtbot, view.save_pdf_button)
        qtbot.waitUntil(view.message.isVisible, timeout=WAIT_MS)
    finally:
        folder.chmod(0o700)
    assert view.message.text().startswith(f"CoachDesk cannot save into the folder “{folder}”")
    assert "Choose another folder" in view.message.text()
    assert list(folder.iterdir()) == []


def test_a_refused_write_is_explained_whoever_runs_the_tests(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    view = show_documents(qtbot, ops, client).documents

    def refuse(_fd: int) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(files.os, "fsync", refuse)
    target = str(tmp_path / "cert.pdf")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: (target, "")))
    click(qtbot, view.save_pdf_button)
    qtbot.waitUntil(view.message.isVisible, timeout=WAIT_MS)
    assert view.message.text() == (
        f"CoachDesk cannot save into the folder “{tmp_path}”: it is read-only, or you do not "
        "have permission to write there. Choose another folder, such as Documents."
    )


def test_saving_into_a_folder_that_is_gone_says_so(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    view = show_documents(qtbot, ops, client).documents
    target = str(tmp_path / "gone" / "cert.pdf")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: (target, "")))
    click(qtbot, view.save_pdf_button)
    qtbot.waitUntil(view.message.isVisible, timeout=WAIT_MS)
    assert view.message.text() == (
        f"The folder “{tmp_path / 'gone'}” no longer exists. Choose another folder and try again."
    )


def capture_urls(monkeypatch: pytest.MonkeyPatch) -> list[QUrl]:
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    return opened


def test_email_to_client_opens_an_unsent_draft_with_the_pdf_attached(
    qtbot: QtBot, ops: VaultOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    made = make_document(qtbot, ops, client, "progress_report")
    view = show_documents(qtbot, ops, client).documents
    opened = capture_urls(monkeypatch)
    notices: list[str] = []
    view.notice.connect(lambda message, _undo: notices.append(message))

    click(qtbot, view.email_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    path = Path(opened[0].toLocalFile())
    assert path.is_file()
    assert path.is_relative_to(handoff_dir())
    assert path.name == "Progress report Cleo Martin.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["X-Unsent"] == "1"
    assert "cleo@example.com" in message["To"]
    assert message["Subject"] == "Progress report from Rivera Coaching"
    attachments = list(message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    assert attachments[0].get_filename() == "Progress report Cleo Martin.pdf"
    pdf = attachments[0].get_content()
    assert pdf == on_lane(qtbot, ops, lambda vault: documents.document_pdf(vault, made.id))
    assert notices == ["Opened a draft in your mail client."]
    assert not view.message.isVisible()


def test_email_to_a_client_without_an_address_says_so_and_still_opens_the_draft(
    qtbot: QtBot, ops: VaultOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops, first="Noor", last="Haddad", emails=())
    make_document(qtbot, ops, client, "certificate")
    view = show_documents(qtbot, ops, client).documents
    opened = capture_urls(monkeypatch)

    click(qtbot, view.email_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    message = email.message_from_bytes(
        Path(opened[0].toLocalFile()).read_bytes(), policy=email.policy.default
    )
    assert message["To"] is None
    assert view.message.isVisible()
    assert view.message.text().startswith("Noor Haddad has no e-mail address in CoachDesk")
    assert "type the address in your mail app" in view.message.text()


def test_no_mail_app_is_explained(
    qtbot: QtBot, ops: VaultOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    view = show_documents(qtbot, ops, client).documents
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: False))
    notices: list[str] = []
    view.notice.connect(lambda message, _undo: notices.append(message))
    click(qtbot, view.email_button)
    qtbot.waitUntil(view.message.isVisible, timeout=WAIT_MS)
    assert "no mail app set up" in view.message.text()
    assert notices == []


# Make again, delete, preview ------------------------------------------------------------------


def test_make_again_adds_a_new_copy_and_delete_removes_it_after_asking(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops)
    first = make_document(qtbot, ops, client, "coaching_plan")
    page = show_documents(qtbot, ops, client)
    view = page.documents
    notices: list[str] = []
    view.notice.connect(lambda message, _undo: notices.append(message))

    click(qtbot, view.again_button)
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=RENDER_MS)
    newest = view.model.document_at(0)
    assert newest is not None and newest.id != first.id
    qtbot.waitUntil(lambda: view.current_document() == newest, timeout=WAIT_MS)
    assert page.tabs.tabText(4) == "Documents (2)"
    assert notices[-1].startswith("Made “Coaching plan: Cleo Martin” again from today's record")

    click(qtbot, view.delete_button)
    box = view.confirm_box
    assert box is not None and view.confirm_yes is not None
    assert box.text().startswith("Delete “Coaching plan: Cleo Martin”, made ")
    click(qtbot, view.confirm_yes)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=WAIT_MS)
    remaining = view.model.document_at(0)
    assert remaining is not None and remaining.id == first.id
    assert selected_title(view) == "Coaching plan: Cleo Martin"
    assert notices[-1] == "Deleted “Coaching plan: Cleo Martin”."


def test_delete_can_be_cancelled(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    view = show_documents(qtbot, ops, client).documents
    click(qtbot, view.delete_button)
    assert view.confirm_box is not None
    view.confirm_box.reject()
    qtbot.waitUntil(lambda: view.confirm_box is None)
    qtbot.wait(50)
    assert view.model.rowCount() == 1


def test_double_click_opens_the_document_at_reading_size(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    make_document(qtbot, ops, client, "progress_report")
    view = show_documents(qtbot, ops, client).documents
    assert rows(view) == ["Progress report: Cleo Martin", "Certificate: Cleo Martin"]
    qtbot.waitUntil(lambda: view.pane.page_count > 0, timeout=WAIT_MS)

    rect = view.table.visualRect(view.model.index(1, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = view.preview_dialog
    assert dialog is not None
    assert dialog.windowTitle() == "Certificate: Cleo Martin"
    qtbot.waitUntil(lambda: dialog.view.page_count == 1, timeout=WAIT_MS)
    dialog.reject()
    qtbot.waitUntil(lambda: view.preview_dialog is None)


def test_open_document_shows_the_tab_with_the_document_selected(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops)
    older = make_document(qtbot, ops, client, "certificate")
    make_document(qtbot, ops, client, "coaching_plan")
    page = ClientPage(ops)
    qtbot.addWidget(page)
    page.resize(1060, 660)
    page.show()
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "overview"):
        page.set_client(client)
    with qtbot.waitSignal(page.loaded, check_params_cb=lambda name: name == "documents"):
        page.open_document(older.id)
    assert page.current_tab == "documents"
    assert selected_title(page.documents) == older.title


def test_notes_changes_leave_documents_alone_but_a_document_change_reloads(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops)
    page = show_documents(qtbot, ops, client)
    loads: list[str] = []
    page.loaded.connect(loads.append)
    ops.changed.emit("crm")
    qtbot.wait(50)
    assert "documents" not in loads
    make_document(qtbot, ops, client, "certificate")
    ops.changed.emit("documents")
    qtbot.waitUntil(lambda: page.documents.model.rowCount() == 1, timeout=WAIT_MS)


def test_locking_clears_the_tab_and_closes_the_new_document_form(
    qtbot: QtBot, ops: VaultOps
) -> None:
    client = add_client(qtbot, ops)
    make_document(qtbot, ops, client, "certificate")
    page = show_documents(qtbot, ops, client)
    view = page.documents
    dialog = open_new_dialog(qtbot, view)
    ops.closed.emit()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert view.new_dialog is None
    assert view.model.rowCount() == 0
    assert not view.new_button.isEnabled()


def test_the_document_model_is_a_sound_table(qtmodeltester: ModelTester) -> None:
    when = datetime(2026, 11, 3, 14, 5)
    model = DocumentModel()
    model.set_documents(
        [
            DocumentInfo(
                2,
                1,
                "Cleo Martin",
                "progress_report",
                "Progress report",
                "Progress report: Cleo Martin",
                3,
                (("since", "2026-08-05"),),
                when,
                1000,
            ),
            DocumentInfo(
                1,
                1,
                "Cleo Martin",
                "certificate",
                "Certificate of completion",
                "Cert",
                1,
                (),
                when - timedelta(days=1),
                900,
            ),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(0, 3).data() == "v3"
    assert "Report from: 5 Aug 2026" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.row_of(1) == 1 and model.row_of(9) == -1
