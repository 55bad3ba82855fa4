"""Import clients on a real vault: columns, day/month questions, preview, duplicates, cancel."""

from __future__ import annotations

import csv
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QRadioButton
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft, ClientRow
from coachdesk.domain.errors import CancelledError
from coachdesk.services import clients, transfer
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.import_clients import (
    FILE_FILTER,
    ImportDialog,
    PreviewModel,
    choose_and_import,
    date_reading,
)
from coachdesk.ui.lanes import Lane
from coachdesk.ui.ops import UnlockMode, VaultOps
from tests.ui.conftest import WAIT_MS

T = TypeVar("T")
LEFT = Qt.MouseButton.LeftButton
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "import"
SHEETS = SAMPLES / "google_sheets.csv"
SHEETS_NAMES = ["Aoife Brennan", "Chloé Martin", "Marcus Whitfield", "Priya Natarajan"]


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    """Vault operations on an open vault, with their own db lane."""
    lane = Lane("db")
    made = VaultOps(lane)
    made.open(vault, UnlockMode.PASSPHRASE)
    yield made
    qtbot.waitUntil(lambda: not lane.busy, timeout=WAIT_MS)
    lane.shutdown(wait=True)


@pytest.fixture
def born_csv(tmp_path: Path) -> Path:
    """A file whose birthdays read both ways (no day is over 12)."""
    path = tmp_path / "born.csv"
    path.write_text(
        "Name,Email,Born\n"
        "Ann Smith,ann@example.com,03/04/1990\n"
        "Bob Jones,bob@example.com,05/06/1985\n",
        encoding="utf-8",
    )
    return path


def on_lane(qtbot: QtBot, ops: VaultOps, fn: Callable[[Vault], T]) -> T:
    """Run a service call on the db lane, as the app does, and wait for its result."""
    result: list[T] = []
    ops.run(fn, on_done=result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=WAIT_MS)
    return result[0]


def stored(qtbot: QtBot, ops: VaultOps) -> list[ClientRow]:
    return on_lane(qtbot, ops, clients.list_clients)


def open_dialog(qtbot: QtBot, ops: VaultOps, path: Path) -> ImportDialog:
    """The dialog on `path`, shown, once the file has been read."""
    dialog = ImportDialog(ops, path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.page in ("setup", "problem"), timeout=WAIT_MS)
    return dialog


def choose_field(qtbot: QtBot, dialog: ImportDialog, column: str, label: str) -> None:
    """Pick a field for a column with the keyboard, as the coach would, and wait for the preview."""
    combo = dialog.combo(column)
    combo.setFocus()
    with qtbot.waitSignal(dialog.previewed, timeout=WAIT_MS):
        while combo.currentText() != label:
            before = combo.currentIndex()
            qtbot.keyClick(combo, Qt.Key.Key_Up if combo.currentIndex() > 0 else Qt.Key.Key_Down)
            if combo.currentIndex() == before:
                break
    assert combo.currentText() == label


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    """Click on the round button itself."""
    qtbot.mouseClick(radio, LEFT, pos=QPoint(8, radio.height() // 2))


def run_import(qtbot: QtBot, dialog: ImportDialog) -> None:
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, LEFT)
    qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)


def cell(dialog: ImportDialog, row: int, column: int) -> str:
    """The text of a cell of the column list (column 0: the header, 1: examples)."""
    item = dialog.mapping.item(row, column)
    assert item is not None
    return item.text()


def error_lines(dialog: ImportDialog) -> list[str]:
    return dialog.errors_model.stringList()


def test_a_csv_opens_with_the_guessed_columns_and_their_examples(
    qtbot: QtBot, ops: VaultOps
) -> None:
    dialog = open_dialog(qtbot, ops, SHEETS)

    assert dialog.page == "setup"
    assert dialog.title.text() == "Import clients from “google_sheets.csv”"
    assert dialog.summary.text() == "CSV, UTF-8, 5 rows"
    assert dialog.mapping_box.isVisible()
    headers = [cell(dialog, row, 0) for row in range(dialog.mapping.rowCount())]
    assert headers == ["Name", "Email", "Phone", "Company", "Status", "Tags", "Birthday", "Notes"]
    assert dialog.combo("Name").currentText() == "Full name (split into first and last)"
    assert dialog.combo("Email").currentText() == "E-mail"
    assert dialog.combo("Birthday").field == "birthday"
    examples = cell(dialog, 0, 1)
    assert "Aoife Brennan" in examples and "Marcus Whitfield" in examples
    assert cell(dialog, headers.index("Notes"), 1).startswith("Prefers mornings. Ask about")

    model = dialog.preview_model
    assert model.rowCount() == 4
    assert (model.titles[:7]) == [
        "Name",
        "E-mails",
        "Phones",
        "Company",
        "Status",
        "Tags",
        "Birthday",
    ]
    assert model.text(0, "Name") == "Aoife Brennan"
    assert model.text(0, "Birthday") == "3 April 1988"
    assert model.text(1, "E-mails") == "marcus@example.com, m.whitfield@work.example"
    assert model.text(2, "Status") == "Paused"
    assert dialog.date_questions == {}  # 15/03/1991 proves the order: nothing to ask
    assert dialog.date_notes.text() == (
        "Dates in “Birthday” are read day first: 15/03/1991 can only be 15 March 1991."
    )

    assert error_lines(dialog) == ["Row 6: Not an e-mail address: “jonas@@example.com”"]
    assert dialog.preview_tabs.tabText(0) == "Clients (4)"
    assert dialog.preview_tabs.tabText(1) == "Rows with problems (1)"
    assert "1 row with problems will be left out" in dialog.counts.text()
    assert dialog.merge_radio.isChecked() and not dialog.skip_radio.isChecked()
    assert dialog.import_button.isEnabled()
    assert dialog.import_button.text() == "Import 4 clients"


@pytest.mark.parametrize(
    ("name", "summary", "first"),
    [
        (
            "excel_semicolon_cp1252.csv",
            "CSV with semicolons, Windows Latin-1, 4 rows",
            "Zoë Müller",
        ),
        ("outlook_utf8_bom.csv", "CSV, UTF-8 with BOM, 2 rows", "Łukasz Wójcik"),
        ("contacts_v30.vcf", "vCard, 5 contacts", "Eefa Brennan"),
    ],
)
def test_the_summary_names_the_format_and_encoding(
    qtbot: QtBot, ops: VaultOps, name: str, summary: str, first: str
) -> None:
    dialog = open_dialog(qtbot, ops, SAMPLES / name)
    assert dialog.summary.text() == summary
    assert dialog.preview_model.text(0, "Name") == first
    assert dialog.mapping_box.isVisible() is not name.endswith(".vcf")


def test_changing_a_columns_field_updates_the_preview(qtbot: QtBot, ops: VaultOps) -> None:
    dialog = open_dialog(qtbot, ops, SHEETS)
    assert "E-mails" in dialog.preview_model.titles

    choose_field(qtbot, dialog, "Email", "Don't import")

    assert dialog.mapping_choice["Email"] == ""
    assert "E-mails" not in dialog.preview_model.titles
    assert dialog.preview_model.rowCount() == 5  # Jonas's bad address is no longer read
    assert error_lines(dialog) == []
    bar = dialog.preview_tabs.tabBar()
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(1).center())
    assert dialog.no_errors.isVisible()
    assert not dialog.errors_view.isVisible()
    assert dialog.preview_tabs.tabText(1) == "Rows with problems (0)"
    assert dialog.import_button.text() == "Import 5 clients"

    choose_field(qtbot, dialog, "Notes", "Lead source")
    assert dialog.preview_model.text(2, "Lead source") == "Call after Diwali"
    assert "Notes" not in dialog.preview_model.titles


def test_dates_that_read_both_ways_wait_for_the_coach(
    qtbot: QtBot, ops: VaultOps, born_csv: Path
) -> None:
    dialog = open_dialog(qtbot, ops, born_csv)

    question = dialog.date_questions["Born"]
    assert question.isVisible()
    assert question.question.text() == (
        "Dates like 03/04/1990 in “Born”: is that 3 April or March 4?"
    )
    assert "03/04/1990 is 3 April 1990" in question.day_first.text()
    assert "05/06/1985 is May 6, 1985" in question.month_first.text()
    assert not question.day_first.isChecked() and not question.month_first.isChecked()
    assert not dialog.import_button.isEnabled()
    assert dialog.hint.text() == "Answer the date question above to continue."
    assert dialog.preview_empty.isVisible()

    with qtbot.waitSignal(dialog.previewed, timeout=WAIT_MS):
        click_radio(qtbot, question.day_first)
    assert dialog.preview_model.text(0, "Birthday") == "3 April 1990"
    assert dialog.import_button.isEnabled()

    # Changing one's mind is allowed, and the question stays on screen to do it.
    with qtbot.waitSignal(dialog.previewed, timeout=WAIT_MS):
        click_radio(qtbot, dialog.date_questions["Born"].month_first)
    assert dialog.date_questions["Born"].month_first.isChecked()
    assert dialog.preview_model.text(0, "Birthday") == "4 March 1990"
    assert dialog.date_orders == {"Born": "mdy"}

    run_import(qtbot, dialog)
    rows = {row.name: row.id for row in stored(qtbot, ops)}
    ann = on_lane(qtbot, ops, lambda vault: clients.get_client(vault, rows["Ann Smith"]))
    bob = on_lane(qtbot, ops, lambda vault: clients.get_client(vault, rows["Bob Jones"]))
    assert (ann.birthday, bob.birthday) == ("1990-03-04", "1985-05-06")


def test_import_creates_the_clients_and_the_same_file_again_creates_none(
    qtbot: QtBot, ops: VaultOps
) -> None:
    dialog = open_dialog(qtbot, ops, SHEETS)
    changes: list[str] = []
    ops.changed.connect(changes.append)
    with qtbot.waitSignal(dialog.notice, timeout=WAIT_MS) as notice:
        run_import(qtbot, dialog)

    assert dialog.result_title.text() == "Import finished"
    assert dialog.result_counts.text() == (
        "Created 4 · Merged 0 · Unchanged 0 · Skipped 0 · 1 row with errors"
    )
    assert dialog.result_errors_model.stringList() == [
        "Row 6: Not an e-mail address: “jonas@@example.com”"
    ]
    assert dialog.result_errors.isVisible() and dialog.save_report_button.isVisible()
    assert not dialog.result_warnings.isVisible()
    assert notice.args == [
        "Imported “google_sheets.csv”: 4 new clients, 1 row with errors.",
        None,
    ]
    assert changes == ["clients"]
    assert sorted(row.name for row in stored(qtbot, ops)) == SHEETS_NAMES

    again = open_dialog(qtbot, ops, SHEETS)
    run_import(qtbot, again)
    assert again.result_counts.text() == (
        "Created 0 · Merged 0 · Unchanged 4 · Skipped 0 · 1 row with errors"
    )
    assert len(stored(qtbot, ops)) == 4


def test_the_error_report_is_saved_as_csv(qtbot: QtBot, ops: VaultOps, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, ops, SAMPLES / "hubspot.csv")
    run_import(qtbot, dialog)
    assert dialog.result_warnings_model.stringList()[0] == (
        "Row 2: there is no stage called “Lead”; placed by status instead."
    )

    qtbot.mouseClick(dialog.save_report_button, LEFT)
    chooser = dialog.report_dialog
    assert chooser is not None
    target = tmp_path / "errors.csv"
    chooser.selectFile(str(target))
    chooser.accept()
    qtbot.waitUntil(lambda: dialog.saved_note.isVisible(), timeout=WAIT_MS)

    assert dialog.saved_note.text() == f"Saved the error report to “{target}”."
    with target.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        ["Row", "Field", "Problem"],
        [
            "5",
            "First name",
            "No name: there is no first, last or preferred name, and no company to use instead.",
        ],
    ]


def test_duplicates_are_skipped_when_the_coach_says_so(qtbot: QtBot, ops: VaultOps) -> None:
    on_lane(
        qtbot,
        ops,
        lambda vault: clients.create_client(
            vault, ClientDraft(first_name="Aoife", last_name="B.", emails=("AOIFE@example.ie",))
        ),
    )
    dialog = open_dialog(qtbot, ops, SHEETS)
    click_radio(qtbot, dialog.skip_radio)
    assert dialog.skip_radio.isChecked()
    run_import(qtbot, dialog)

    assert dialog.result_counts.text() == (
        "Created 3 · Merged 0 · Unchanged 0 · Skipped 1 · 1 row with errors"
    )
    names = sorted(row.name for row in stored(qtbot, ops))
    assert names == ["Aoife B.", "Chloé Martin", "Marcus Whitfield", "Priya Natarajan"]


def test_duplicates_are_merged_by_default(qtbot: QtBot, ops: VaultOps) -> None:
    made = on_lane(
        qtbot,
        ops,
        lambda vault: clients.create_client(
            vault, ClientDraft(first_name="Aoife", last_name="B.", emails=("aoife@example.ie",))
        ),
    )
    dialog = open_dialog(qtbot, ops, SHEETS)
    run_import(qtbot, dialog)

    assert dialog.result_counts.text().startswith("Created 3 · Merged 1 ·")
    merged = on_lane(qtbot, ops, lambda vault: clients.get_client(vault, made.id))
    assert (merged.last_name, merged.company) == ("B.", "Brennan Design")


def test_cancel_during_the_import_changes_nothing(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_lane(
        qtbot,
        ops,
        lambda vault: clients.create_client(
            vault, ClientDraft(first_name="Already", last_name="Here")
        ),
    )
    big = tmp_path / "big.csv"
    big.write_text(
        "First name,Last name,Email\n"
        + "".join(f"Person{i},Number{i},person{i}@example.com\n" for i in range(3000)),
        encoding="utf-8",
    )
    real_import = transfer.import_clients

    def held_import(vault: Vault, data: bytes, filename: str = "", **options: Any) -> Any:
        # Some rows are written, then the worker waits for the coach's Cancel, so the
        # click lands mid-transaction however fast this computer is.
        report, cancelled = options["progress"], options["cancelled"]

        def progress(done: int, total: int) -> None:
            report(done, total)
            if done >= 100:
                deadline = time.monotonic() + WAIT_MS / 1000
                while not cancelled() and time.monotonic() < deadline:
                    time.sleep(0.01)

        return real_import(vault, data, filename, **{**options, "progress": progress})

    monkeypatch.setattr(transfer, "import_clients", held_import)
    dialog = open_dialog(qtbot, ops, big)
    assert dialog.import_button.text() == "Import 3,000 clients"
    changes: list[str] = []
    ops.changed.connect(changes.append)

    qtbot.mouseClick(dialog.import_button, LEFT)
    assert dialog.page == "importing"
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 100, timeout=WAIT_MS)
    assert dialog.progress_bar.maximum() == 3000
    assert dialog.progress_text.text() == "100 of 3,000 clients"
    qtbot.mouseClick(dialog.stop_button, LEFT)
    assert dialog.progress_text.text() == "Cancelling…"
    qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)

    assert dialog.result_title.text() == "Import cancelled; nothing was changed."
    assert dialog.back_button.isVisible()
    assert changes == []
    assert [row.name for row in stored(qtbot, ops)] == ["Already Here"]

    qtbot.mouseClick(dialog.back_button, LEFT)
    assert dialog.page == "setup"
    assert dialog.import_button.isEnabled()


def test_escape_while_importing_cancels_instead_of_closing(
    qtbot: QtBot, ops: VaultOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    def held(vault: Vault, data: bytes, filename: str = "", **options: Any) -> Any:
        deadline = time.monotonic() + WAIT_MS / 1000
        while not options["cancelled"]() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise CancelledError("Import cancelled; nothing was changed.")

    monkeypatch.setattr(transfer, "import_clients", held)
    dialog = open_dialog(qtbot, ops, SHEETS)
    qtbot.mouseClick(dialog.import_button, LEFT)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.page == "result", timeout=WAIT_MS)
    assert dialog.result_title.text() == "Import cancelled; nothing was changed."
    assert stored(qtbot, ops) == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("clients.csv", (SAMPLES / "photo.png").read_bytes(), "This is not a CSV text file."),
        ("clients.xlsx", b"PK\x03\x04" + bytes(200), "This looks like an Excel workbook"),
        ("empty.csv", b"", "The file is empty."),
    ],
)
def test_a_file_that_cannot_be_imported_is_explained_plainly(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    dialog = open_dialog(qtbot, ops, path)

    assert dialog.page == "problem"
    assert dialog.problem_title.text() == "This file can't be imported"
    assert dialog.problem_text.text().startswith(message)
    assert "Traceback" not in dialog.problem_text.text()
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]


def test_a_missing_file_is_explained_plainly(qtbot: QtBot, ops: VaultOps, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, ops, tmp_path / "gone.csv")
    assert dialog.page == "problem"
    assert dialog.problem_text.text().startswith("CoachDesk could not read “gone.csv”")


def test_another_file_can_be_chosen_after_a_problem(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "photo.csv"
    shutil.copy(SAMPLES / "photo.png", bad)
    dialog = open_dialog(qtbot, ops, bad)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *_args: (str(SHEETS), FILE_FILTER))
    )
    with qtbot.waitSignal(dialog.previewed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.other_file_button, LEFT)
    assert dialog.page == "setup"
    assert dialog.preview_model.rowCount() == 4


def test_a_vcard_file_imports_without_a_column_step(qtbot: QtBot, ops: VaultOps) -> None:
    dialog = open_dialog(qtbot, ops, SAMPLES / "contacts_v40.vcf")
    assert not dialog.mapping_box.isVisible()
    assert dialog.summary.text() == "vCard, 5 contacts"
    assert error_lines(dialog) == [
        "Contact 4 has a line that is not vCard: “this line has no colon”.",
        "Contact 5: Not an e-mail address: “kenji@”",
    ]
    run_import(qtbot, dialog)
    assert dialog.result_counts.text() == (
        "Created 3 · Merged 0 · Unchanged 0 · Skipped 0 · 2 contacts with errors"
    )
    assert len(stored(qtbot, ops)) == 3


def test_choose_and_import_opens_the_dialog_on_the_chosen_file(
    qtbot: QtBot, ops: VaultOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def pick(_parent: object, _title: str, _folder: str, filters: str) -> tuple[str, str]:
        asked.append(filters)
        return str(SHEETS), FILE_FILTER

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick))
    dialog = choose_and_import(ops, None)
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.page == "setup", timeout=WAIT_MS)
    assert asked[0].startswith("Contacts (*.csv *.vcf *.vcard)")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_a: ("", "")))
    assert choose_and_import(ops, None) is None


def test_locking_the_vault_closes_the_dialog(qtbot: QtBot, ops: VaultOps) -> None:
    dialog = open_dialog(qtbot, ops, SHEETS)
    ops.close()
    assert not dialog.isVisible()


def test_the_preview_model_is_sound(qtmodeltester: Any) -> None:
    model = PreviewModel()
    parsed = transfer.preview(SHEETS.read_bytes(), SHEETS.name).parsed
    model.set_records(parsed.records, {"email", "birthday"})
    qtmodeltester.check(model)
    assert model.headerData(0, Qt.Orientation.Vertical) == "2"


def test_dates_read_in_either_order() -> None:
    assert date_reading("03/04/1990", "dmy") == "3 April 1990"
    assert date_reading("03/04/1990", "mdy") == "March 4, 1990"
    assert date_reading("13.01.85", "mdy") == "not a date"
    assert date_reading("7-9", "dmy") == "7 September"
