"""A client's Privacy tab as a coach uses it: consent given and withdrawn, export, erasure."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from coachdesk.domain.billing import LineDraft
from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.compliance import ConsentMethod, Purpose
from coachdesk.domain.errors import NotFoundError
from coachdesk.services import backups, clients, compliance, invoices
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.erase_client import EraseClientDialog, counted, removed_lines
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.client_privacy import ClientPrivacy, ConsentDialog
from tests.ui.conftest import WAIT_MS, on_lane

T = TypeVar("T")


def add_client(qtbot: QtBot, ops: VaultOps) -> Client:
    draft = ClientDraft(
        first_name="Cleo",
        last_name="Martin",
        emails=("cleo@example.com",),
        status=ClientStatus.ACTIVE,
    )
    return on_lane(qtbot, ops, lambda vault: clients.create_client(vault, draft))


def privacy_tab(qtbot: QtBot, ops: VaultOps, client: Client) -> ClientPrivacy:
    """The tab, shown, with the client's consent loaded."""
    view = ClientPrivacy(ops)
    qtbot.addWidget(view)
    view.resize(1000, 640)
    view.show()
    view.set_client(client)
    qtbot.waitUntil(lambda: view.consents is not None, timeout=WAIT_MS)
    return view


def open_dialog(qtbot: QtBot, view: ClientPrivacy, purpose: Purpose) -> ConsentDialog:
    qtbot.mouseClick(view.rows[purpose].action, Qt.MouseButton.LeftButton)
    dialog = view.consent_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_consent_is_recorded_and_withdrawn_from_the_tab(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops)
    view = privacy_tab(qtbot, ops, client)
    row = view.rows[Purpose.SESSION_RECORDING]
    assert row.state.text() == "Not asked yet"
    assert row.action.text() == "Record consent…"
    assert not row.toggle.isEnabled()

    dialog = open_dialog(qtbot, view, Purpose.SESSION_RECORDING)
    wording = dialog.findChild(QLabel, "noticeText")
    assert wording is not None and "recorded or transcribed" in wording.text()
    dialog.method.setCurrentIndex(dialog.method.findText(ConsentMethod.EMAIL.label))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.state.text().startswith("Given"), timeout=WAIT_MS)

    today = date.today()
    assert row.state.text() == f"Given {today:%-d %b %Y} (by e-mail, notice v1)"
    assert row.action.text() == "Withdraw…"
    assert view.consent_dialog is None
    assert on_lane(
        qtbot,
        ops,
        lambda vault: compliance.has_consent(vault, client.id, Purpose.SESSION_RECORDING),
    )

    dialog = open_dialog(qtbot, view, Purpose.SESSION_RECORDING)
    assert dialog.withdraw
    assert dialog.ok_button.text() == "Record withdrawal"
    dialog.method.setCurrentIndex(dialog.method.findText(ConsentMethod.VERBAL.label))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.state.text().startswith("Withdrawn"), timeout=WAIT_MS)

    assert row.action.text() == "Record consent…"
    assert not on_lane(
        qtbot,
        ops,
        lambda vault: compliance.has_consent(vault, client.id, Purpose.SESSION_RECORDING),
    )
    assert row.toggle.isEnabled()
    assert row.history.isHidden()
    qtbot.mouseClick(row.toggle, Qt.MouseButton.LeftButton)
    assert row.history.isVisible()
    assert row.history.text() == (
        f"Given {today.day} {today:%b %Y} (by e-mail, notice v1); "
        f"withdrawn {today.day} {today:%b %Y} (said so in a session)"
    )
    # The other purposes were left alone.
    assert view.rows[Purpose.MARKETING].state.text() == "Not asked yet"


def test_a_consent_given_elsewhere_shows_after_the_change(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops)
    view = privacy_tab(qtbot, ops, client)
    row = view.rows[Purpose.MARKETING]

    ops.run(
        lambda vault: compliance.give_consent(
            vault, client.id, Purpose.MARKETING, ConsentMethod.ONLINE_FORM
        ),
        changes="crm",
    )
    qtbot.waitUntil(lambda: row.state.text().startswith("Given"), timeout=WAIT_MS)
    assert "online form" in row.state.text()


def test_export_writes_a_zip_with_the_clients_record(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = add_client(qtbot, ops)
    view = privacy_tab(qtbot, ops, client)
    out = tmp_path / "cleo-export"
    asked: list[str] = []

    def save_dialog(*args: Any, **_kwargs: Any) -> tuple[str, str]:
        asked.append(args[2])
        return str(out), "Zip files (*.zip)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.export_result.isVisible(), timeout=WAIT_MS)

    assert Path(asked[0]).name == (
        f"Cleo Martin – CoachDesk export {date.today().isoformat()}.zip"  # noqa: RUF001
    )
    written = tmp_path / "cleo-export.zip"
    with zipfile.ZipFile(written) as archive:
        record = json.loads(archive.read("client.json"))
    assert record["tables"]["clients"][0]["first_name"] == "Cleo"
    text = view.export_result.text()
    assert "cleo-export.zip" in text and str(tmp_path) in text
    assert "audit entr" in text
    assert not view.export_progress.isVisible()
    assert view.export_button.isEnabled()


def test_erasing_lists_backups_and_kept_invoices_and_needs_the_name(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path
) -> None:
    client = add_client(qtbot, ops)
    folder = tmp_path / "backups"
    folder.mkdir()

    def prepare(vault: Vault) -> tuple[str, Path]:
        draft = invoices.create_invoice(vault, client.id, [LineDraft("Coaching", 1, 20_000)])
        issued = invoices.issue(vault, draft.id)
        assert issued.number is not None
        return issued.number, backups.create_backup(vault, folder).path

    number, backup = on_lane(qtbot, ops, prepare)
    view = privacy_tab(qtbot, ops, client)
    qtbot.mouseClick(view.erase_button, Qt.MouseButton.LeftButton)
    dialog = view.erase_dialog
    assert isinstance(dialog, EraseClientDialog)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT_MS)

    details = dialog.details.text()
    assert number in details and "kept until" in details
    assert "name and e-mail address stay on them" in details
    assert backup.name in details and "file present" in details
    assert "without" not in details or "not their name" in details
    assert not dialog.erase_button.isEnabled()
    qtbot.keyClicks(dialog.confirm, "Cleo Mar")
    assert not dialog.erase_button.isEnabled()
    qtbot.keyClicks(dialog.confirm, "tin")
    assert dialog.erase_button.isEnabled()

    erased: list[int] = []
    view.erased.connect(erased.append)
    qtbot.mouseClick(dialog.erase_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.is_done, timeout=WAIT_MS)

    assert dialog.title.text() == "Cleo Martin was erased"
    assert dialog.erase_button.isHidden()
    with pytest.raises(NotFoundError):
        on_lane(qtbot, ops, lambda vault: clients.get_client(vault, client.id))
    assert erased == []  # the coach reads the report first
    with qtbot.waitSignal(dialog.erased, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == [client.id]
    assert erased == [client.id]
    qtbot.waitUntil(lambda: "no longer in CoachDesk" in view.message.text(), timeout=WAIT_MS)
    assert not view.export_button.isEnabled()


def test_erase_also_confirms_with_the_word_erase(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops)
    dialog = EraseClientDialog(ops, client.id, client.display_name)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT_MS)
    qtbot.keyClicks(dialog.confirm, "Cleo")
    assert not dialog.erase_button.isEnabled()
    dialog.confirm.clear()
    qtbot.keyClicks(dialog.confirm, "ERASE")
    assert dialog.erase_button.isEnabled()
    assert "No backup CoachDesk took contains Cleo Martin." in dialog.details.text()


def test_table_names_are_said_in_words() -> None:
    assert counted("note_versions", 3) == "3 earlier versions of notes"
    assert counted("stage_changes", 1) == "1 pipeline history entry"
    assert counted("generated_documents", 2) == "2 documents"
    assert counted("session_recordings", 4) == "session recordings: 4"
    # The report counts only what goes: here a draft invoice and its two lines.
    lines = removed_lines({"invoices": 1, "invoice_lines": 2}, 0)
    assert lines == ["1 draft invoice", "2 invoice lines"]


def test_make_a_consent_form_keeps_it_with_the_documents(qtbot: QtBot, ops: VaultOps) -> None:
    from coachdesk.documents.types import doc_type

    doc_type("consent_form")
    client = add_client(qtbot, ops)
    view = privacy_tab(qtbot, ops, client)
    notices: list[str] = []
    view.notice.connect(lambda text, _undo: notices.append(text))
    qtbot.mouseClick(view.form_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(notices), timeout=60_000)
    assert "Documents tab" in notices[0]
    assert view.preview_dialog is not None
