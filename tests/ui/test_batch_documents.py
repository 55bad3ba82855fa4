"""Documents for many clients at once on a real vault: options, who, a folder, progress,
Cancel, clients left out, a broken template, and closing while the batch runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pypdf
import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.documents import DocumentInfo
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.segments import ClientFilter
from coachdesk.services import clients, documents, practice, segments
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.batch_documents import BatchDocumentsDialog
from coachdesk.ui.lanes import Lane
from coachdesk.ui.ops import UnlockMode, VaultOps
from tests.ui.conftest import WAIT_MS

T = TypeVar("T")
LEFT = Qt.MouseButton.LeftButton
PEOPLE = (
    ("Ada", "Lovelace", ("spring",)),
    ("Grace", "Hopper", ()),
    ("Alan", "Turing", ("spring",)),
    ("Barbara", "Liskov", ("spring",)),
    ("Edsger", "Dijkstra", ()),
)
# Fine for the sample clients a save is checked against; fails for Ada, the first to be made.
BROKEN_LINE = '<p>{% if client.last_name == "Lovelace" %}{{ 1 // 0 }}{% endif %}</p>'


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    """Vault operations on an open vault with a practice profile, with their own db lane."""
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
    )
    lane = Lane("db")
    made = VaultOps(lane)
    made.open(vault, UnlockMode.PASSPHRASE)
    yield made
    qtbot.waitUntil(lambda: not lane.busy, timeout=WAIT_MS)
    lane.shutdown(wait=True)


@pytest.fixture
def people(qtbot: QtBot, ops: VaultOps) -> dict[str, int]:
    """Five clients by first name; three of them tagged "spring"."""

    def make(vault: Vault) -> dict[str, int]:
        return {
            first: clients.create_client(
                vault, ClientDraft(first_name=first, last_name=last, tags=tags)
            ).id
            for first, last, tags in PEOPLE
        }

    return on_lane(qtbot, ops, make)


class Gate:
    """Holds the batch after `after` documents until the test lets it go on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
        self.release = threading.Event()
        self.made = 0
        real = documents.create_document

        def create(*args: Any, **kwargs: Any) -> DocumentInfo:
            info = real(*args, **kwargs)
            self.made += 1
            if self.made == after:
                self.release.wait(WAIT_MS / 1000)
            return info

        monkeypatch.setattr(documents, "create_document", create)


@pytest.fixture
def gate(ops: VaultOps, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """A batch that stops after its third document until `gate.release` is set."""
    held = Gate(monkeypatch, after=3)
    yield held
    held.release.set()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the coach picks in the folder dialog."""
    chosen = tmp_path / "certificates"
    chosen.mkdir()
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *_args: str(chosen))
    )
    return chosen


def on_lane(qtbot: QtBot, ops: VaultOps, fn: Callable[[Vault], T]) -> T:
    """Run a service call on the db lane, as the app does, and wait for its result."""
    result: list[T] = []
    ops.run(fn, on_done=result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=WAIT_MS)
    return result[0]


def documents_of(qtbot: QtBot, ops: VaultOps, ids: list[int]) -> dict[int, list[DocumentInfo]]:
    return on_lane(qtbot, ops, lambda vault: {i: documents.list_documents(vault, i) for i in ids})


def open_dialog(
    qtbot: QtBot, ops: VaultOps, ids: list[int] | tuple[int, ...] = ()
) -> BatchDocumentsDialog:
    """The dialog, shown, once it knows who the documents are for."""
    dialog = BatchDocumentsDialog(ops, ids)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT_MS)
    return dialog


def choose(qtbot: QtBot, dialog: BatchDocumentsDialog, name: str) -> None:
    combo = dialog.type_combo
    combo.setFocus()
    index = combo.findText(name)
    assert index >= 0
    combo.setCurrentIndex(index)


def type_option(qtbot: QtBot, dialog: BatchDocumentsDialog, key: str, text: str) -> None:
    field = dialog.option_fields[key]
    assert isinstance(field, QLineEdit)
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, text)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def tick(qtbot: QtBot, check: QAbstractButton) -> None:
    """Click a check box or radio button on its box (its centre may be empty space)."""
    qtbot.mouseClick(check, LEFT, pos=QPoint(8, check.height() // 2))


def button(box: QMessageBox, text: str) -> QPushButton:
    found = next(b for b in box.buttons() if b.text() == text)
    assert isinstance(found, QPushButton)
    return found


def test_certificates_for_the_selected_clients_also_saved_to_a_folder(
    qtbot: QtBot,
    ops: VaultOps,
    people: dict[str, int],
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = list(people.values())
    dialog = open_dialog(qtbot, ops, ids)
    assert dialog.selected_radio.isChecked()
    assert dialog.selected_radio.text() == "The 5 clients you selected"
    assert dialog.who_count.text() == "5 clients"
    assert dialog.who_names.text() == (
        "Ada Lovelace, Grace Hopper, Alan Turing, Barbara Liskov and 1 more"
    )
    choose(qtbot, dialog, "Certificate of completion")
    assert dialog.type_combo.itemText(0) == "Certificate of completion"
    assert dialog.type_combo.itemText(1) == "Progress report"
    assert dialog.type_description.text() == "A certificate for a client who completed a programme."
    type_option(qtbot, dialog, "programme", "Leadership Accelerator")
    assert dialog.make_button.text() == "Make 5 certificates"

    tick(qtbot, dialog.save_check)
    assert dialog.save_check.isChecked()
    assert dialog.folder_label.text() == str(folder)
    assert dialog.format_combo.currentText() == "PDF"

    with qtbot.waitSignal(ops.changed, check_params_cb=lambda kind: kind == "documents"):
        qtbot.mouseClick(dialog.make_button, LEFT)
        assert dialog.page == "running"
        assert dialog.progress_title.text() == "Making 5 certificates…"
        qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)

    assert dialog.result_title.text() == "Made 5 certificates."
    assert f"a copy was saved in “{folder}”" in dialog.result_note.text()
    assert not dialog.failed_list.isVisible()

    made = documents_of(qtbot, ops, ids)
    for client_id, docs in made.items():
        assert [d.doc_type for d in docs] == ["certificate"]
        assert dict(docs[0].options)["programme"] == "Leadership Accelerator"
        assert docs[0].client_id == client_id

    files = sorted(folder.glob("*.pdf"))
    assert len(files) == 5
    names = {f"{first} {last}" for first, last, _tags in PEOPLE}
    found = set()
    for path in files:
        text = pdf_text(path)
        assert "Leadership Accelerator" in text
        found |= {name for name in names if name in text}
    assert found == names

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(opened.append))
    assert dialog.open_folder_button.isVisible()
    qtbot.mouseClick(dialog.open_folder_button, LEFT)
    assert [Path(url.toLocalFile()) for url in opened] == [folder]


def test_progress_reports_for_a_saved_segment(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int]
) -> None:
    on_lane(
        qtbot,
        ops,
        lambda v: segments.save_segment(
            v, "Spring cohort", ClientFilter(tags=frozenset({"spring"}))
        ),
    )
    dialog = open_dialog(qtbot, ops)
    assert not dialog.selected_radio.isVisible()
    assert dialog.segment_label.isVisible()
    qtbot.waitUntil(lambda: dialog.who_count.text() == "3 clients", timeout=WAIT_MS)
    assert dialog.segment_combo.currentText() == "Spring cohort"
    assert dialog.who_names.text() == "Ada Lovelace, Alan Turing and Barbara Liskov"

    choose(qtbot, dialog, "Progress report")
    assert list(dialog.option_fields) == ["since"]
    assert dialog.make_button.text() == "Make 3 progress reports"
    assert not dialog.save_check.isChecked()
    qtbot.mouseClick(dialog.make_button, LEFT)
    qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)
    assert dialog.result_title.text() == "Made 3 progress reports."
    assert not dialog.open_folder_button.isVisible()

    made = documents_of(qtbot, ops, list(people.values()))
    assert {first for first, i in people.items() if made[i]} == {"Ada", "Alan", "Barbara"}
    assert all(d.doc_type == "progress_report" for docs in made.values() for d in docs)


def test_choosing_a_segment_instead_of_the_selection(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int]
) -> None:
    on_lane(
        qtbot,
        ops,
        lambda v: segments.save_segment(
            v, "Spring cohort", ClientFilter(tags=frozenset({"spring"}))
        ),
    )
    dialog = open_dialog(qtbot, ops, [people["Grace"]])
    assert dialog.selected_radio.text() == "The client you selected"
    assert dialog.who_count.text() == "1 client"
    assert dialog.who_names.text() == "Grace Hopper"
    tick(qtbot, dialog.segment_radio)
    qtbot.waitUntil(lambda: dialog.who_count.text() == "3 clients", timeout=WAIT_MS)
    assert dialog.make_button.text() == "Make 3 certificates"
    tick(qtbot, dialog.selected_radio)
    qtbot.waitUntil(lambda: dialog.who_count.text() == "1 client", timeout=WAIT_MS)
    assert dialog.make_button.text() == "Make 1 certificate"


def test_nothing_to_choose_from_says_what_to_do(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int]
) -> None:
    dialog = open_dialog(qtbot, ops)
    qtbot.waitUntil(lambda: dialog.segment_hint.isVisible(), timeout=WAIT_MS)
    assert not dialog.segment_combo.isEnabled()
    assert dialog.segment_combo.currentText() == "No saved segments yet"
    assert dialog.hint.text().startswith("Select clients in the Clients list, or save a segment")
    assert not dialog.make_button.isEnabled()


def test_session_summaries_use_each_clients_latest_note(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int]
) -> None:
    dialog = open_dialog(qtbot, ops, list(people.values()))
    choose(qtbot, dialog, "Session summary")
    assert dialog.option_fields == {}
    assert not dialog.options_box.isVisible()
    assert dialog.note_hint.isVisible()
    assert "latest session note" in dialog.note_hint.text()
    choose(qtbot, dialog, "Renewal proposal")
    assert list(dialog.option_fields) == ["programme", "sessions", "price", "valid_until"]
    assert not dialog.note_hint.isVisible()


def test_unticking_the_folder_when_none_is_chosen(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a: ""))
    dialog = open_dialog(qtbot, ops, list(people.values()))
    tick(qtbot, dialog.save_check)
    assert not dialog.save_check.isChecked()
    assert dialog.folder is None
    assert dialog.make_button.isEnabled()


def test_cancel_keeps_the_documents_already_made(
    qtbot: QtBot, ops: VaultOps, gate: Gate, folder: Path
) -> None:
    ids = on_lane(
        qtbot,
        ops,
        lambda v: [
            clients.create_client(v, ClientDraft(first_name=f"Client{n:02}", last_name="Cohort")).id
            for n in range(30)
        ],
    )
    dialog = open_dialog(qtbot, ops, ids)
    tick(qtbot, dialog.save_check)
    qtbot.mouseClick(dialog.make_button, LEFT)
    qtbot.waitUntil(lambda: dialog.progress_text.text() == "2 of 30", timeout=WAIT_MS)
    assert dialog.progress_bar.maximum() == 30
    assert dialog.progress_bar.value() == 2

    qtbot.mouseClick(dialog.stop_button, LEFT)
    assert not dialog.stop_button.isEnabled()
    assert dialog.progress_text.text().startswith("Stopping")
    gate.release.set()
    qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)

    assert dialog.result_title.text() == "Made 3 of 30 certificates before you stopped."
    made = documents_of(qtbot, ops, ids)
    assert sum(len(docs) for docs in made.values()) == 3
    assert len(list(folder.glob("*.pdf"))) == 3
    assert dialog.open_folder_button.isVisible()


def test_a_client_in_the_trash_is_listed_with_the_reason(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int]
) -> None:
    ids = list(people.values())
    dialog = open_dialog(qtbot, ops, ids)
    on_lane(qtbot, ops, lambda v: clients.trash_clients(v, [people["Grace"]]))
    qtbot.mouseClick(dialog.make_button, LEFT)
    qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)
    assert dialog.result_title.text() == "Made 4 of 5 certificates."
    assert dialog.failed_title.text() == "Not made for 1 client"
    assert dialog.failed_model.stringList() == [
        "Grace Hopper — In the Trash (restore the client first)."
    ]
    assert dialog.failed_list.isVisible()


def test_a_broken_template_stops_the_batch_with_its_line(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int]
) -> None:
    def break_template(vault: Vault) -> None:
        source = documents.builtin_source("certificate")
        heading = "<h1>Certificate of Completion</h1>"
        documents.save_template(
            vault, "certificate", source.replace(heading, heading + "\n" + BROKEN_LINE)
        )

    on_lane(qtbot, ops, break_template)
    dialog = open_dialog(qtbot, ops, list(people.values()))
    qtbot.mouseClick(dialog.make_button, LEFT)
    qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)

    assert dialog.result_title.text() == "The certificate of completion template has a problem."
    assert dialog.result_problem.isVisible()
    assert dialog.result_problem.text() == (
        "Line 5: The template could not be filled in: integer division or modulo by zero."
    )
    assert "Fix the template" in dialog.result_note.text()
    made = documents_of(qtbot, ops, list(people.values()))
    assert all(docs == [] for docs in made.values())


def test_closing_while_running_asks_to_stop_first(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int], gate: Gate
) -> None:
    ids = list(people.values())
    dialog = open_dialog(qtbot, ops, ids)
    qtbot.mouseClick(dialog.make_button, LEFT)
    qtbot.waitUntil(lambda: dialog.progress_text.text() == "2 of 5", timeout=WAIT_MS)

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    box = dialog.stop_question
    assert box is not None and box.isVisible()
    assert box.text().startswith("The documents are still being made.")
    qtbot.mouseClick(button(box, "Keep going"), LEFT)
    assert dialog.isVisible() and dialog.page == "running"

    dialog.close()
    box = dialog.stop_question
    assert box is not None
    qtbot.mouseClick(button(box, "Stop and close"), LEFT)
    assert not dialog.isVisible()
    gate.release.set()
    qtbot.waitUntil(lambda: not ops.lane.busy, timeout=WAIT_MS)
    made = documents_of(qtbot, ops, ids)
    assert sum(len(docs) for docs in made.values()) == 3


def test_locking_stops_the_batch_and_closes_the_dialog(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int], gate: Gate
) -> None:
    dialog = open_dialog(qtbot, ops, list(people.values()))
    qtbot.mouseClick(dialog.make_button, LEFT)
    qtbot.waitUntil(lambda: dialog.progress_text.text() == "2 of 5", timeout=WAIT_MS)
    ops.close()
    assert not dialog.isVisible()
    gate.release.set()
