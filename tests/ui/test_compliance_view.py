"""The Compliance area as a coach uses it: consent wording, the AI policy, retention runs,
backups and their checks, and the records of processing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QScrollArea, QTableWidget
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import Client, ClientDraft, ClientStatus
from coachdesk.domain.compliance import AiTask, Category, Purpose
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.services import clients, compliance, crm
from coachdesk.store.vault import Vault
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views import compliance as area
from coachdesk.ui.views.compliance import NO_FOLDER, ComplianceView
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, on_lane

T = TypeVar("T")


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return item.text()


def open_view(qtbot: QtBot, ops: VaultOps) -> ComplianceView:
    view = ComplianceView(ops)
    qtbot.addWidget(view)
    view.resize(1100, 800)
    view.show()
    qtbot.waitUntil(lambda: view.is_loaded, timeout=WAIT_MS)
    return view


@pytest.fixture
def view(qtbot: QtBot, ops: VaultOps) -> ComplianceView:
    """The Compliance area, shown, its data read."""
    return open_view(qtbot, ops)


def add_client(qtbot: QtBot, ops: VaultOps) -> Client:
    draft = ClientDraft(
        first_name="Cleo",
        last_name="Martin",
        emails=("cleo@example.com",),
        status=ClientStatus.ACTIVE,
    )
    return on_lane(qtbot, ops, lambda vault: clients.create_client(vault, draft))


# Consent notices ----------------------------------------------------------------------------


def test_editing_a_notice_saves_version_2_and_shows_it(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView
) -> None:
    tab = view.notices
    purpose = Purpose.MARKETING
    assert tab.titles[purpose].text().endswith("version 1")
    assert "No client has agreed yet" in tab.counts[purpose].text()

    qtbot.mouseClick(tab.edit_buttons[purpose], Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog is not None
    dialog.text_edit.selectAll()
    qtbot.keyClicks(dialog.text_edit, "Send me your monthly letter, please.")
    with qtbot.waitSignal(view.notice, timeout=WAIT_MS) as said:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert said.args is not None and "version 2" in said.args[0]
    qtbot.waitUntil(lambda: tab.titles[purpose].text().endswith("version 2"), timeout=WAIT_MS)
    assert tab.texts[purpose].text() == "Send me your monthly letter, please."
    stored = {n.purpose: n for n in on_lane(qtbot, ops, compliance.notices)}
    assert (stored[purpose].version, stored[purpose].text) == (
        2,
        "Send me your monthly letter, please.",
    )
    assert stored[Purpose.DATA_PROCESSING].version == 1


def test_an_empty_notice_is_refused_in_the_dialog(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView
) -> None:
    tab = view.notices
    dialog = tab.edit(Purpose.AI_ASSISTANCE)
    assert dialog is not None
    dialog.text_edit.clear()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=WAIT_MS)
    assert dialog.error.text() == "A notice needs some words."
    assert dialog.isVisible()
    stored = {n.purpose: n for n in on_lane(qtbot, ops, compliance.notices)}
    assert stored[Purpose.AI_ASSISTANCE].version == 1


# AI policy ----------------------------------------------------------------------------------


def test_ai_policy_edits_round_trip(qtbot: QtBot, ops: VaultOps, view: ComplianceView) -> None:
    view.show_tab("ai")
    tab = view.policy
    assert "version 1" in tab.version_label.text()
    allowed = tab.allowed[AiTask.FOLLOW_UP_EMAIL]
    review = tab.review[AiTask.FOLLOW_UP_EMAIL]
    assert allowed.isChecked() and review.isChecked()

    allowed.setFocus()
    qtbot.keyClick(allowed, Qt.Key.Key_Space)
    assert not allowed.isChecked()
    assert not review.isEnabled() and not review.isChecked()
    name, words = tab.prohibited.rows[0][0], tab.prohibited.rows[0][1]
    assert name.text() == "Mental-health diagnosis or therapy"
    words.end(False)
    qtbot.keyClicks(words, ", Horoscope")
    assert tab.dirty
    with qtbot.waitSignal(view.notice, timeout=WAIT_MS):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)

    stored = on_lane(qtbot, ops, compliance.ai_policy)
    assert stored.version == 2
    assert AiTask.FOLLOW_UP_EMAIL not in stored.allowed
    assert AiTask.FOLLOW_UP_EMAIL not in stored.review_always
    assert "horoscope" in stored.prohibited["Mental-health diagnosis or therapy"]
    qtbot.waitUntil(lambda: "version 2" in tab.version_label.text(), timeout=WAIT_MS)

    again = open_view(qtbot, ops)
    again.show_tab("ai")
    assert "version 2" in again.policy.version_label.text()
    assert not again.policy.allowed[AiTask.FOLLOW_UP_EMAIL].isChecked()
    assert again.policy.allowed[AiTask.SESSION_SUMMARY].isChecked()
    words_of = {row[0].text(): row[1].text() for row in again.policy.prohibited.rows}
    assert "horoscope" in words_of["Mental-health diagnosis or therapy"]


def test_a_topic_without_words_is_refused_and_nothing_is_saved(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView
) -> None:
    view.show_tab("ai")
    tab = view.policy
    before = len(tab.prohibited.rows)
    qtbot.mouseClick(tab.prohibited.add_button, Qt.MouseButton.LeftButton)
    assert len(tab.prohibited.rows) == before + 1
    name = tab.prohibited.rows[-1][0]
    qtbot.keyClicks(name, "Astrology")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)

    assert tab.error.isVisible()
    assert tab.error.text() == "“Astrology” needs at least one word to look for."
    assert on_lane(qtbot, ops, compliance.ai_policy).version == 1


def test_restore_defaults_fills_the_suggested_policy(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView
) -> None:
    view.show_tab("ai")
    tab = view.policy
    remove = tab.escalation.rows[0][2]
    scroller = tab.findChild(QScrollArea)
    assert scroller is not None
    scroller.ensureWidgetVisible(remove)
    qtbot.waitUntil(lambda: not remove.visibleRegion().isEmpty(), timeout=WAIT_MS)
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert [row[0].text() for row in tab.escalation.rows] == ["Self-harm", "Conflict"]

    qtbot.mouseClick(tab.defaults_button, Qt.MouseButton.LeftButton)

    assert [row[0].text() for row in tab.escalation.rows] == ["Distress", "Self-harm", "Conflict"]
    assert "Save it to put it in force" in tab.banner.text()


# Retention ----------------------------------------------------------------------------------


def test_retention_preview_then_remove_takes_exactly_the_old_note(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView
) -> None:
    client = add_client(qtbot, ops)
    old = on_lane(
        qtbot,
        ops,
        lambda vault: crm.add_note(
            vault,
            client.id,
            NoteDraft(NoteKind.SESSION, date.today() - timedelta(days=730), "Two years ago"),
        ),
    )
    new = on_lane(
        qtbot,
        ops,
        lambda vault: crm.add_note(
            vault, client.id, NoteDraft(NoteKind.SESSION, date.today(), "This week")
        ),
    )
    view.show_tab("retention")
    tab = view.retention
    qtbot.waitUntil(lambda: tab.spins[Category.NOTES].value() == 72, timeout=WAIT_MS)
    assert "No run yet" in tab.last_run.text()

    spin = tab.spins[Category.NOTES]
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "1")
    assert spin.value() == 1
    assert tab.rule_words[Category.NOTES].text() == "(1 month)"
    assert tab.rules_note.isVisible()
    qtbot.mouseClick(tab.save_rules_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: on_lane(qtbot, ops, compliance.retention_rules)[Category.NOTES] == 1,
        timeout=WAIT_MS,
    )
    assert not tab.remove_button.isEnabled()

    qtbot.mouseClick(tab.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.plan is not None, timeout=WAIT_MS)
    assert tab.items_table.rowCount() == 1
    assert cell(tab.items_table, 0, 0) == Category.NOTES.label
    assert "Cleo Martin" in cell(tab.items_table, 0, 2)
    assert tab.summary.text() == "Today's run would remove 1 note."
    assert tab.remove_button.isEnabled()
    assert tab.remove_button.text() == "Remove this item"
    plan = tab.plan

    qtbot.mouseClick(tab.remove_button, Qt.MouseButton.LeftButton)
    box = tab.question
    assert isinstance(box, QMessageBox)
    assert "1 note" in box.text()
    with qtbot.waitSignal(ops.changed, timeout=WAIT_MS):
        qtbot.mouseClick(tab.remove_confirm, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: tab.result.isVisible(), timeout=WAIT_MS)
    assert tab.result.text() == "Removed 1 note."
    left = on_lane(qtbot, ops, lambda vault: crm.list_notes(vault, client.id))
    assert [n.id for n in left] == [new.id]
    assert old.id not in {n.id for n in left}
    assert plan is not None and plan.items[0].ref_id == old.id
    assert not tab.remove_button.isEnabled()
    qtbot.waitUntil(lambda: "removed 1 note" in tab.last_run.text(), timeout=WAIT_MS)


def test_retention_preview_with_nothing_old_says_so(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView
) -> None:
    view.show_tab("retention")
    tab = view.retention
    qtbot.mouseClick(tab.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.plan is not None, timeout=WAIT_MS)
    assert tab.items_stack.currentWidget() is tab.items_empty
    assert tab.items_empty.title.text() == "Nothing to remove today"
    assert not tab.remove_button.isEnabled()


# Backups ------------------------------------------------------------------------------------


def test_backup_now_lists_it_and_verify_tells_good_from_cut_short(
    qtbot: QtBot,
    ops: VaultOps,
    view: ComplianceView,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view.show_tab("backups")
    tab = view.backups
    assert tab.banner.isVisible() and tab.banner.text() == NO_FOLDER
    assert tab.stack.currentWidget() is tab.empty

    folder = tmp_path / "external drive"
    folder.mkdir()
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, **_k: str(folder))
    )
    qtbot.mouseClick(tab.folder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.folder_label.text() == str(folder), timeout=WAIT_MS)
    assert not tab.banner.isVisible()

    qtbot.mouseClick(tab.backup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.result.isVisible(), timeout=WAIT_MS)
    made = list(folder.glob("*.cdbackup"))
    assert len(made) == 1
    assert f"Backed up to “{made[0].name}”" in tab.result.text()
    assert "KB" in tab.result.text() or "MB" in tab.result.text()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=WAIT_MS)
    assert cell(tab.table, 0, 1) == made[0].name
    assert cell(tab.table, 0, 3) == "By you"
    assert not tab.progress.isVisible()

    tab.table.selectRow(0)
    assert tab.verify_button.isEnabled()
    qtbot.mouseClick(tab.verify_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome.isVisible(), timeout=WAIT_MS)
    assert dialog.outcome.text().startswith("This backup is fine.")
    dialog.reject()

    cut = tmp_path / "copied in a hurry.cdbackup"
    data = made[0].read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *_a, **_k: (str(cut), ""))
    )
    qtbot.mouseClick(tab.verify_file_button, Qt.MouseButton.LeftButton)
    checker = tab.dialog
    assert checker is not None and checker is not dialog
    qtbot.mouseClick(checker.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: checker.outcome.isVisible(), timeout=WAIT_MS)
    assert "cut short" in checker.outcome.text()
    assert checker.outcome.text().endswith("Use another backup.")


def test_a_wrong_passphrase_is_told_plainly(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView, tmp_path: Path
) -> None:
    from coachdesk.services import backups

    info = on_lane(qtbot, ops, lambda vault: backups.create_backup(vault, tmp_path))
    dialog = view.backups.verify(info.path)
    qtbot.keyClicks(dialog.passphrase, "not the passphrase")
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome.isVisible(), timeout=WAIT_MS)
    assert dialog.outcome.text().startswith("That passphrase does not open")


def test_checksum_only_verify_without_a_passphrase(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView, tmp_path: Path
) -> None:
    from coachdesk.services import backups

    info = on_lane(qtbot, ops, lambda vault: backups.create_backup(vault, tmp_path))
    dialog = view.backups.verify(info.path)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome.isVisible(), timeout=WAIT_MS)
    assert dialog.outcome.text().startswith("This file is complete and unchanged")


def test_schedule_is_stored(qtbot: QtBot, ops: VaultOps, view: ComplianceView) -> None:
    from coachdesk.services import vault_settings
    from coachdesk.settings import BACKUP_EVERY

    view.show_tab("backups")
    combo = view.backups.schedule
    assert combo.currentData() == "weekly"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    qtbot.waitUntil(
        lambda: (
            on_lane(qtbot, ops, lambda vault: vault_settings.get(vault, BACKUP_EVERY)) == "daily"
        ),
        timeout=WAIT_MS,
    )


# Records ------------------------------------------------------------------------------------


def one_page_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text="Records of processing")
    out = io.BytesIO(bytes(pdf.output()))
    return out.getvalue()


def test_records_preview_opens_with_pages(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        import coachdesk.services.compliance_docs  # noqa: F401
    except ImportError:
        from coachdesk.ui.pdf_view import render_pages

        def pages(_vault: Vault, width: int) -> list[QImage]:
            return render_pages(one_page_pdf(), width)

        monkeypatch.setattr(area, "records_pages", pages)
    view.show_tab("records")
    tab = view.records
    qtbot.mouseClick(tab.preview_button, Qt.MouseButton.LeftButton)
    dialog = tab.preview
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.view.page_count > 0, timeout=WAIT_MS)
    dialog.reject()


def test_erased_clients_are_listed_with_their_backups(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView, tmp_path: Path
) -> None:
    from coachdesk.services import backups, privacy

    view.show_tab("records")
    tab = view.records
    assert tab.erased_stack.currentWidget() is tab.erased_empty
    client = add_client(qtbot, ops)
    on_lane(qtbot, ops, lambda vault: backups.create_backup(vault, tmp_path))
    on_lane(qtbot, ops, lambda vault: privacy.erase_client(vault, client.id))
    ops.changed.emit("clients")

    qtbot.waitUntil(lambda: tab.erased.rowCount() == 1, timeout=WAIT_MS)
    assert cell(tab.erased, 0, 0) == f"Client #{client.id}"
    assert cell(tab.erased, 0, 2).startswith("Still in 1 backup until ")


# Locking ------------------------------------------------------------------------------------


def test_locking_clears_the_area(qtbot: QtBot, ops: VaultOps, view: ComplianceView) -> None:
    assert view.notices.texts[Purpose.MARKETING].text()
    ops.close()
    assert not view.is_loaded
    assert view.notices.texts[Purpose.MARKETING].text() == ""
    assert not view.policy.save_button.isEnabled()
    assert view.policy.prohibited.rows == []
    assert QApplication.activeModalWidget() is None


def test_disclosure_copies_its_text_and_previews(
    qtbot: QtBot, ops: VaultOps, view: ComplianceView
) -> None:
    view.show_tab("ai")
    tab = view.policy
    QApplication.clipboard().clear()
    tab.copy_button.click()
    qtbot.waitUntil(lambda: tab.copied.isVisible(), timeout=WAIT_MS)
    assert QApplication.clipboard().text().strip()

    dialog = tab.preview_disclosure()
    qtbot.waitUntil(lambda: dialog.view.page_count > 0, timeout=WAIT_MS)
    dialog.reject()
