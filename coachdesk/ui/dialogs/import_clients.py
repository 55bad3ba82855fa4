"""Import clients from a CSV or vCard file: match columns, check a preview, import with progress.

Reading, previewing and importing run on the db lane; the dialog only shows
their outcome. Nothing is written until the coach presses Import, and the
import is one transaction: a cancel or a failure leaves the vault as it was.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import ClientStatus, ClientType, Objective, display_name
from coachdesk.domain.errors import KnownError
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure, Job
from coachdesk.ui.models.client_table import STATUS_LABELS
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    EmptyState,
    ProgressPage,
    busy_bar,
    button_row,
    error_label,
    heading,
    muted,
    separator,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.domain.importing import DateColumn, ImportRecord, RawTable, RowError
    from coachdesk.services.transfer import ImportReport, Preview
    from coachdesk.store.vault import Vault

FILE_FILTER = "Contacts (*.csv *.vcf *.vcard)"
PREVIEW_ROWS = 50
MAPPING_ROWS_SHOWN = 8
SAMPLES_PER_COLUMN = 3
# Re-reading a big file on every click of a combo box would queue needless work.
REFRESH_DELAY_MS = 300
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp1252": "Windows Latin-1",
    "latin-1": "Latin-1",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
}
DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WARNING_COLOR = "#ef6c00"
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?")
_STORED_BIRTHDAY = re.compile(r"^(\d{4}|-)-(\d{2})-(\d{2})$")

OnDuplicate = Literal["merge", "skip"]


def import_fields() -> dict[str, str]:
    """Import field key → label ("" is "Don't import").

    Imported when first needed: the importing rules bring the vCard parser,
    which the window does not need to start.
    """
    from coachdesk.domain.importing import IMPORT_FIELDS

    return IMPORT_FIELDS


# Run on the db lane. The services (and with them the database stack) are imported
# there, on first use, so that building the window does not wait for them.


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A file read from disk, its first preview, and a few values of each column.

    Args:
        data: the file's bytes (previewed again as the mapping changes, then imported).
        preview: the preview with the guessed mapping.
        samples: CSV column → up to three example values.
    """

    data: bytes
    preview: Preview
    samples: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What the coach chose, handed to the db lane for the import."""

    data: bytes
    filename: str
    mapping: dict[str, str] | None
    date_orders: dict[str, str]
    on_duplicate: OnDuplicate


def read_file(path: Path) -> LoadedFile:
    """Db lane: read a file and preview it with the guessed column mapping."""
    from coachdesk.services import transfer

    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or "it could not be opened"
        raise KnownError(
            f"CoachDesk could not read “{path.name}”: {reason}. "
            "Check that the file is still there and try again."
        ) from error
    preview = transfer.preview(data, path.name)
    samples = column_samples(preview.table) if preview.table is not None else {}
    return LoadedFile(data, preview, samples)


def refresh_preview(
    data: bytes, filename: str, mapping: dict[str, str], date_orders: dict[str, str]
) -> Preview:
    """Db lane: the preview with the coach's mapping and date orders."""
    from coachdesk.services import transfer

    return transfer.preview(data, filename, mapping, date_orders)


def import_file(vault: Vault, job: Job[ImportReport], request: ImportRequest) -> ImportReport:
    """Db lane: import in one transaction, reporting progress and stopping on cancel."""
    from coachdesk.services import transfer

    return transfer.import_clients(
        vault,
        request.data,
        request.filename,
        mapping=request.mapping,
        date_orders=request.date_orders,
        on_duplicate=request.on_duplicate,
        progress=job.report_progress,
        cancelled=lambda: job.is_cancelled,
    )


def write_error_report(path: Path, errors: Sequence[RowError], vcard: bool) -> None:
    """Db lane: the row errors as a CSV file (Row, Field, Problem) that Excel opens as UTF-8."""
    labels = import_fields()
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["Contact" if vcard else "Row", "Field", "Problem"])
            for error in errors:
                field = labels.get(error.field, error.field) if error.field else "Whole row"
                writer.writerow([error.row, field, error.message])
    except OSError as error:
        reason = error.strerror or "it could not be written"
        raise KnownError(
            f"The report could not be saved to “{path.name}”: {reason}. "
            "Choose another folder and try again."
        ) from error


# Texts ------------------------------------------------------------------------------------


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 client", "1,204 clients"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def column_samples(table: RawTable) -> dict[str, tuple[str, ...]]:
    """Up to three different, non-empty values of each column, on one line each."""
    samples: dict[str, tuple[str, ...]] = {}
    for index, header in enumerate(table.headers):
        found: dict[str, None] = {}
        for row in table.rows:
            value = " ".join(row[index].split())
            if value:
                found.setdefault(value)
                if len(found) == SAMPLES_PER_COLUMN:
                    break
        samples[header] = tuple(found)
    return samples


def file_summary(preview: Preview) -> str:
    """ "CSV, Windows Latin-1, 1,204 rows" or "vCard, 5 contacts"."""
    if preview.table is None:
        return f"vCard, {plural(preview.parsed.total_rows, 'contact')}"
    table = preview.table
    kind = "CSV"
    if table.delimiter in DELIMITER_NAMES:
        kind = f"CSV with {DELIMITER_NAMES[table.delimiter]}"
    encoding = ENCODING_NAMES.get(table.encoding, table.encoding.upper())
    return f"{kind}, {encoding}, {plural(preview.parsed.total_rows, 'row')}"


def rows_with_errors(errors: Sequence[RowError]) -> int:
    """How many rows (or cards) have at least one error."""
    return len({error.row for error in errors})


def error_text(error: RowError, vcard: bool = False) -> str:
    """ "Row 7: Not an e-mail address: “bob@”" (the number is not said twice)."""
    word = "Contact" if vcard else "Row"
    if re.match(rf"(Row|Contact) {error.row}\b", error.message):
        return error.message
    return f"{word} {error.row}: {error.message}"


def result_text(report: ImportReport, vcard: bool = False) -> str:
    """ "Created 120 · Merged 4 · Unchanged 0 · Skipped 0 · 3 rows with errors"."""
    parts = [
        f"Created {report.created:,}",
        f"Merged {report.merged:,}",
        f"Unchanged {report.unchanged:,}",
        f"Skipped {report.skipped:,}",
        f"{plural(rows_with_errors(report.errors), 'contact' if vcard else 'row')} with errors",
    ]
    return " · ".join(parts)


def notice_text(report: ImportReport, filename: str, vcard: bool = False) -> str:
    """The status-bar line after an import."""
    parts = [plural(report.created, "new client")]
    if report.merged:
        parts.append(f"{report.merged:,} merged")
    if report.unchanged:
        parts.append(f"{report.unchanged:,} already up to date")
    if report.skipped:
        parts.append(f"{report.skipped:,} skipped")
    if report.errors:
        bad = rows_with_errors(report.errors)
        parts.append(f"{plural(bad, 'contact' if vcard else 'row')} with errors")
    return f"Imported “{filename}”: " + ", ".join(parts) + "."


def birthday_text(stored: str) -> str:
    """A stored birthday in words: "3 April 1990", or "21 June" without a year."""
    match = _STORED_BIRTHDAY.match(stored)
    if not match or not 1 <= int(match[2]) <= 12:
        return stored
    year, month, day = match.groups()
    words = f"{int(day)} {MONTHS[int(month) - 1]}"
    return words if year == "-" else f"{words} {year}"


def date_reading(value: str, order: str) -> str:
    """How a written date reads day first ("dmy": 3 April 1990) or month first ("mdy")."""
    match = _NUMERIC_DATE.match(value)
    if match is None:
        return "not a date"
    first, second, year = int(match[1]), int(match[2]), match[3] or ""
    day, month = (first, second) if order == "dmy" else (second, first)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return "not a date"
    if order == "dmy":
        return " ".join(part for part in (str(day), MONTHS[month - 1], year) if part)
    return f"{MONTHS[month - 1]} {day}" + (f", {year}" if year else "")


def ambiguous_example(column: DateColumn) -> str:
    """The first sample that reads differently day first and month first."""
    for value in column.samples:
        match = _NUMERIC_DATE.match(value)
        if match and match[1] != match[2] and int(match[1]) <= 12 and int(match[2]) <= 12:
            return value
    return column.samples[0] if column.samples else ""


def date_question_text(column: DateColumn) -> str:
    """ "Dates like 03/04/1990 in “Born”: is that 3 April or March 4?"."""
    example = ambiguous_example(column)
    match = _NUMERIC_DATE.match(example)
    if match is None:
        return f"Are the dates in “{column.column}” written day first or month first?"
    short = _NUMERIC_DATE.sub(r"\1/\2", example)
    day_first = date_reading(short, "dmy")
    month_first = date_reading(short, "mdy")
    return f"Dates like {example} in “{column.column}”: is that {day_first} or {month_first}?"


def date_note(column: DateColumn) -> str:
    """What was found out about a birthday column without asking ("" when nothing to say)."""
    name = column.column
    if column.order == "unparsed":
        return (
            f"No value in “{name}” looks like a date; "
            "those rows are listed under “Rows with problems”."
        )
    if column.order not in ("dmy", "mdy"):
        return ""
    words = "day first" if column.order == "dmy" else "month first"
    for value in column.samples:
        match = _NUMERIC_DATE.match(value)
        if match and max(int(match[1]), int(match[2])) > 12:
            proof = date_reading(value, column.order)
            return f"Dates in “{name}” are read {words}: {value} can only be {proof}."
    return f"Dates in “{name}” are read {words}."


def reading_examples(column: DateColumn, order: str) -> str:
    """Up to three samples and how they read in this order."""
    readable = [v for v in column.samples if _NUMERIC_DATE.match(v)][:SAMPLES_PER_COLUMN]
    return " · ".join(f"{value} is {date_reading(value, order)}" for value in readable)


# The preview table -------------------------------------------------------------------------


def _notes_line(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first + (" …" if first != text.strip() else "")


@dataclass(frozen=True, slots=True)
class PreviewColumn:
    """One column of the preview: its title, the fields that feed it, and its text.

    A column is shown when one of its fields is mapped, or when a record has
    something other than `default` in it.
    """

    title: str
    fields: frozenset[str]
    text: Callable[[ImportRecord], str]
    default: str = ""


PREVIEW_COLUMNS = (
    PreviewColumn(
        "Name",
        frozenset(),
        lambda r: display_name(r.draft.first_name, r.draft.last_name, r.draft.preferred_name),
    ),
    PreviewColumn("E-mails", frozenset({"email"}), lambda r: ", ".join(r.draft.emails)),
    PreviewColumn("Phones", frozenset({"phone"}), lambda r: ", ".join(r.draft.phones)),
    PreviewColumn("Company", frozenset({"company"}), lambda r: r.draft.company),
    PreviewColumn("Role", frozenset({"role"}), lambda r: r.draft.role),
    PreviewColumn(
        "Status",
        frozenset({"status"}),
        lambda r: STATUS_LABELS[ClientStatus(r.draft.status)],
        STATUS_LABELS[ClientStatus.LEAD],
    ),
    PreviewColumn("Stage", frozenset({"stage"}), lambda r: r.stage),
    PreviewColumn("Tags", frozenset({"tags"}), lambda r: ", ".join(r.draft.tags)),
    PreviewColumn("Birthday", frozenset({"birthday"}), lambda r: birthday_text(r.draft.birthday)),
    PreviewColumn("Lead source", frozenset({"lead_source"}), lambda r: r.draft.lead_source),
    PreviewColumn("Time zone", frozenset({"time_zone"}), lambda r: r.draft.time_zone),
    PreviewColumn("Locale", frozenset({"locale"}), lambda r: r.draft.locale),
    PreviewColumn(
        "Client type",
        frozenset({"client_type"}),
        lambda r: ClientType(r.draft.client_type).label,
        ClientType.INDIVIDUAL.label,
    ),
    PreviewColumn(
        "Objective",
        frozenset({"objective"}),
        lambda r: Objective(r.draft.objective).label,
        Objective.NONE.label,
    ),
    PreviewColumn("Notes", frozenset({"notes"}), lambda r: _notes_line(r.draft.notes)),
)


class PreviewModel(QAbstractTableModel):
    """The first records of an import, as they would be created; one column per filled field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: tuple[ImportRecord, ...] = ()
        self._columns: tuple[PreviewColumn, ...] = PREVIEW_COLUMNS[:1]

    def set_records(self, records: Sequence[ImportRecord], mapped: set[str]) -> None:
        """Show these records, with the columns that `mapped` fields or their values call for."""
        self.beginResetModel()
        self._records = tuple(records)
        self._columns = tuple(
            column
            for index, column in enumerate(PREVIEW_COLUMNS)
            if index == 0
            or column.fields & mapped
            or any(column.text(r) != column.default for r in self._records)
        )
        self.endResetModel()

    @property
    def titles(self) -> list[str]:
        """The column titles shown."""
        return [column.title for column in self._columns]

    def text(self, row: int, title: str) -> str:
        """The text of a record's column, by title ("" when that column is not shown)."""
        for column in self._columns:
            if column.title == title:
                return column.text(self._records[row])
        return ""

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        """One row per record (none under a parent: this is a flat table)."""
        if parent is not None and parent.isValid():
            return 0
        return len(self._records)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        """The columns chosen by `set_records`."""
        if parent is not None and parent.isValid():
            return 0
        return len(self._columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        """The text of a cell; the full notes as a tooltip."""
        if not index.isValid():
            return None
        record = self._records[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.draft.notes if column.title == "Notes" else column.text(record)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles across; the file's row numbers down the side."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                return self._columns[section].title
            return None
        if 0 <= section < len(self._records):
            return str(self._records[section].row)
        return None


# Widgets ----------------------------------------------------------------------------------


class FieldCombo(QComboBox):
    """The "Import as" choice for one column; scrolling the table past it changes nothing."""

    def __init__(self, column: str, field: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"Import “{column}” as")
        for key, label in import_fields().items():
            self.addItem(label, key)
        self.insertSeparator(1)
        self.setCurrentIndex(max(0, self.findData(field)))

    @property
    def field(self) -> str:
        """The chosen import field ("" for Don't import)."""
        return str(self.currentData() or "")

    def wheelEvent(self, e: QWheelEvent) -> None:
        """Only a combo the coach is working in reacts to the wheel."""
        if self.hasFocus():
            super().wheelEvent(e)
        else:
            e.ignore()


class DateQuestion(QFrame):
    """Asks whether a birthday column's dates are written day first or month first.

    Args:
        column: the birthday column, with its samples.
        order: the answer given so far ("dmy", "mdy") or "".
        parent: the owning widget.

    Signals:
        answered: (column, "dmy" or "mdy") when the coach picks one.
    """

    answered = Signal(str, str)

    def __init__(self, column: DateColumn, order: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column.column
        self.setObjectName("dateQuestion")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            f"QFrame#dateQuestion {{ border: 1px solid {WARNING_COLOR}; border-radius: 6px; }}"
        )
        self.question = QLabel(date_question_text(column))
        self.question.setWordWrap(True)
        font = self.question.font()
        font.setBold(True)
        self.question.setFont(font)
        self.day_first = QRadioButton(f"Day first: {reading_examples(column, 'dmy')}")
        self.month_first = QRadioButton(f"Month first: {reading_examples(column, 'mdy')}")
        self.group = QButtonGroup(self)
        self.group.addButton(self.day_first)
        self.group.addButton(self.month_first)
        if order == "dmy":
            self.day_first.setChecked(True)
        elif order == "mdy":
            self.month_first.setChecked(True)
        self.day_first.toggled.connect(self._on_toggled)
        self.month_first.toggled.connect(self._on_toggled)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(self.question)
        layout.addWidget(self.day_first)
        layout.addWidget(self.month_first)

    @property
    def order(self) -> str:
        """ "dmy", "mdy", or "" while undecided."""
        if self.day_first.isChecked():
            return "dmy"
        return "mdy" if self.month_first.isChecked() else ""

    @Slot(bool)
    def _on_toggled(self, checked: bool) -> None:
        if checked:
            self.answered.emit(self.column, self.order)


def _list_view(name: str) -> tuple[QListView, QStringListModel]:
    view = QListView()
    view.setAccessibleName(name)
    view.setUniformItemSizes(True)
    view.setWordWrap(False)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    model = QStringListModel(view)
    view.setModel(model)
    return view, model


def _fit_rows(view: QListView, count: int, most: int) -> None:
    """Make a list as tall as its lines, up to `most` of them (then it scrolls)."""
    line = view.sizeHintForRow(0) if count else view.fontMetrics().height()
    frame = view.frameWidth() * 2 + 4
    view.setFixedHeight(frame + max(line, 1) * max(1, min(count, most)))


def _section(text: str) -> QLabel:
    return heading(text, 2)


def ask_for_file(parent: QWidget | None) -> Path | None:
    """The contacts file the coach picks, or None when they cancel."""
    name, _filter = QFileDialog.getOpenFileName(
        parent, "Import clients", "", f"{FILE_FILTER};;All files (*)"
    )
    return Path(name) if name else None


def choose_and_import(ops: VaultOps, parent: QWidget | None) -> ImportDialog | None:
    """Ask for a CSV or vCard file and open the import dialog on it (None: no file chosen).

    The dialog is window-modal over `parent` and is deleted soon after it closes.
    """
    path = ask_for_file(parent)
    if path is None:
        return None
    dialog = ImportDialog(ops, path, parent)
    if parent is not None:
        dialog.finished.connect(lambda _result: delete_soon(dialog, parent))
    dialog.open()
    return dialog


class ImportDialog(QDialog):
    """Import clients from one CSV or vCard file, with a preview before anything is written.

    Pages, in order: reading the file (or why it cannot be imported); the
    setup page (column mapping for CSV, day/month questions, the preview and
    the rows with problems, what to do with clients already in the vault);
    the import's progress with Cancel; the result with the error report.

    Args:
        ops: the vault operations (reading, previewing and importing run on the db lane).
        path: the file the coach chose.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar after a successful import.
        previewed: a preview (the first, or one after a change) is on screen.
        imported: the ImportReport of a finished import.
    """

    notice = Signal(str, object)
    previewed = Signal()
    imported = Signal(object)

    def __init__(self, ops: VaultOps, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._path = path
        self._data = b""
        self._preview: Preview | None = None
        self._samples: dict[str, tuple[str, ...]] = {}
        self._mapping: dict[str, str] = {}
        self._date_orders: dict[str, str] = {}
        self._request = 0
        self._refreshing = False
        self._job: Job[ImportReport] | None = None
        self._report: ImportReport | None = None
        self.combos: dict[str, FieldCombo] = {}
        self.date_questions: dict[str, DateQuestion] = {}
        self.report_dialog: QFileDialog | None = None
        self.setWindowTitle("Import clients")
        self.setMinimumWidth(760)
        # The layout keeps its own minimum height, so nothing overlaps on a small screen.
        room = self.screen().availableGeometry()
        self.resize(min(1000, room.width() * 9 // 10), min(780, room.height() * 9 // 10))

        self._balance_pending = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self._on_refresh_due)

        self.stack = QStackedWidget()
        self.loading_page = self._build_loading_page()
        self.problem_page = self._build_problem_page()
        self.setup_page = self._build_setup_page()
        self.progress_page = self._build_progress_page()
        self.result_page = self._build_result_page()
        for page in (
            self.loading_page,
            self.problem_page,
            self.setup_page,
            self.progress_page,
            self.result_page,
        ):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(self.stack)

        self._ops.closed.connect(self._on_vault_closed)
        self.load(path)

    # Pages ---------------------------------------------------------------------------------

    def _build_loading_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(2)
        self.loading_title = heading("", 3)
        self.loading_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.loading_title)
        layout.addSpacing(8)
        bar = busy_bar()
        bar.setMaximumWidth(320)
        layout.addWidget(bar, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        return page

    def _build_problem_page(self) -> QWidget:
        page = QWidget()
        self.problem_title = heading("This file can't be imported", 4)
        self.problem_text = QLabel()
        self.problem_text.setWordWrap(True)
        self.problem_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.other_file_button = QPushButton("Choose another file…")
        self.other_file_button.setDefault(True)
        self.other_file_button.clicked.connect(self._on_other_file_clicked)
        self.problem_close_button = QPushButton("Close")
        self.problem_close_button.setAutoDefault(False)
        self.problem_close_button.clicked.connect(self.reject)
        self.problem_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.problem_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addStretch(2)
        layout.addWidget(self.problem_title)
        layout.addWidget(self.problem_text)
        layout.addStretch(3)
        layout.addLayout(button_row(self.problem_close_button, self.other_file_button))
        return page

    def _build_setup_page(self) -> QWidget:
        page = QWidget()
        self.title = heading("", 4)
        self.summary = muted()

        self.mapping_box = QWidget()
        mapping_layout = QVBoxLayout(self.mapping_box)
        mapping_layout.setContentsMargins(0, 0, 0, 0)
        mapping_layout.setSpacing(6)
        mapping_layout.addWidget(_section("Match the columns"))
        mapping_layout.addWidget(
            muted(
                "Choose what each column of your file holds. "
                "Columns set to “Don't import” are left out."
            )
        )
        self.mapping = QTableWidget(0, 3)
        self.mapping.setAccessibleName("Columns of the file")
        self.mapping.setHorizontalHeaderLabels(["Column in your file", "Examples", "Import as"])
        self.mapping.verticalHeader().setVisible(False)
        self.mapping.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mapping.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.mapping.setWordWrap(False)
        header = self.mapping.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.mapping.setColumnWidth(0, 200)
        self.mapping.setColumnWidth(2, 280)
        mapping_layout.addWidget(self.mapping, 1)
        self.questions_box = QWidget()
        self.questions_layout = QVBoxLayout(self.questions_box)
        self.questions_layout.setContentsMargins(0, 4, 0, 0)
        self.questions_layout.setSpacing(8)
        self.questions_box.setVisible(False)
        mapping_layout.addWidget(self.questions_box)
        self.date_notes = muted()
        self.date_notes.setVisible(False)
        mapping_layout.addWidget(self.date_notes)

        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 8, 0, 0)
        preview_layout.setSpacing(6)
        preview_layout.addWidget(_section("Check the clients"))
        self.counts = muted()
        preview_layout.addWidget(self.counts)
        self.preview_model = PreviewModel(self)
        self.preview_table = QTableView()
        self.preview_table.setAccessibleName("Clients to import")
        self.preview_table.setModel(self.preview_model)
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.preview_table.setWordWrap(False)
        self.preview_table.horizontalHeader().setStretchLastSection(True)
        self.preview_table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.preview_table.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.preview_table.verticalHeader().setToolTip("Row in your file")
        self.preview_more = muted()
        self.preview_more.setVisible(False)
        clients_tab = QWidget()
        clients_layout = QVBoxLayout(clients_tab)
        clients_layout.setContentsMargins(0, 6, 0, 0)
        self.preview_empty = EmptyState("")
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview_table)
        self.preview_stack.addWidget(self.preview_empty)
        clients_layout.addWidget(self.preview_stack, 1)
        clients_layout.addWidget(self.preview_more)

        self.errors_view, self.errors_model = _list_view("Rows with problems")
        self.no_errors = muted("Every row can be imported.")
        self.no_errors.setAlignment(Qt.AlignmentFlag.AlignCenter)
        errors_tab = QWidget()
        errors_layout = QVBoxLayout(errors_tab)
        errors_layout.setContentsMargins(0, 6, 0, 0)
        errors_layout.addWidget(
            muted("These rows are left out. Fix them in your file and import it again.")
        )
        errors_layout.addWidget(self.errors_view, 1)
        errors_layout.addWidget(self.no_errors, 1)
        self.preview_tabs = QTabWidget()
        self.preview_tabs.setDocumentMode(True)
        self.preview_tabs.addTab(clients_tab, "Clients")
        self.preview_tabs.addTab(errors_tab, "Rows with problems")
        preview_layout.addWidget(self.preview_tabs, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.mapping_box)
        self.splitter.addWidget(preview_box)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)

        duplicates = QWidget()
        duplicates_layout = QVBoxLayout(duplicates)
        duplicates_layout.setContentsMargins(0, 0, 0, 0)
        duplicates_layout.setSpacing(4)
        duplicates_layout.addWidget(_section("Clients you already have"))
        duplicates_layout.addWidget(
            muted(
                "A row matches a client you already have when the e-mail, phone or full name "
                "is the same. Importing the same file again never adds anyone twice."
            )
        )
        self.merge_radio = QRadioButton(
            "Merge into the existing client (fill empty fields, add e-mails, phones and tags)"
        )
        self.skip_radio = QRadioButton("Skip them")
        self.merge_radio.setChecked(True)
        self.duplicate_group = QButtonGroup(self)
        self.duplicate_group.addButton(self.merge_radio)
        self.duplicate_group.addButton(self.skip_radio)
        duplicates_layout.addWidget(self.merge_radio)
        duplicates_layout.addWidget(self.skip_radio)

        self.error = error_label()
        self.error.setObjectName("dialogError")
        self.hint = muted()
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.summary)
        layout.addLayout(titles)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(separator())
        layout.addWidget(duplicates)
        layout.addWidget(self.error)
        layout.addLayout(button_row(self.cancel_button, self.import_button, left=self.hint))
        return page

    def _build_progress_page(self) -> ProgressPage:
        page = ProgressPage(
            "Nothing changes in your vault until the import finishes, so you can cancel.",
            accessible_name="Import progress",
            margin=40,
        )
        page.stop_clicked.connect(self._on_stop_clicked)
        self.progress_title, self.progress_bar = page.title, page.bar
        self.progress_text, self.stop_button = page.text, page.stop_button
        return page

    def _build_result_page(self) -> QWidget:
        page = QWidget()
        self.result_title = heading("", 4)
        self.result_counts = heading("", 1)
        self.result_counts.setWordWrap(True)
        self.result_counts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_note = muted()
        self.result_errors_title = _section("Rows with errors")
        self.result_errors, self.result_errors_model = _list_view("Rows with errors")
        self.result_warnings_title = _section("Warnings")
        self.result_warnings, self.result_warnings_model = _list_view("Warnings")
        self.saved_note = muted()
        self.saved_note.setVisible(False)
        self.save_report_button = QPushButton("Save error report…")
        self.save_report_button.setAutoDefault(False)
        self.save_report_button.clicked.connect(self._on_save_report_clicked)
        self.back_button = QPushButton("Back to the import")
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(self._on_back_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.result_top = QWidget()
        layout.addWidget(self.result_top, 2)
        layout.addWidget(self.result_title)
        layout.addWidget(self.result_counts)
        layout.addWidget(self.result_note)
        layout.addSpacing(10)
        layout.addWidget(self.result_errors_title)
        layout.addWidget(self.result_errors)
        layout.addSpacing(6)
        layout.addWidget(self.result_warnings_title)
        layout.addWidget(self.result_warnings)
        layout.addStretch(3)
        layout.addWidget(self.saved_note)
        buttons = button_row(self.back_button, self.close_button)
        buttons.insertWidget(0, self.save_report_button)
        layout.addLayout(buttons)
        return page

    # State ---------------------------------------------------------------------------------

    @property
    def page(self) -> str:
        """Which page shows: "loading", "problem", "setup", "importing" or "result"."""
        current = self.stack.currentWidget()
        pages: dict[QWidget | None, str] = {
            self.loading_page: "loading",
            self.problem_page: "problem",
            self.setup_page: "setup",
            self.progress_page: "importing",
            self.result_page: "result",
        }
        return pages.get(current, "")

    @property
    def preview(self) -> Preview | None:
        """The preview on screen (None until the file is read)."""
        return self._preview

    @property
    def mapping_choice(self) -> dict[str, str]:
        """Column → import field, as the coach has set it (CSV only)."""
        return dict(self._mapping)

    @property
    def date_orders(self) -> dict[str, str]:
        """Birthday column → "dmy" or "mdy", as the coach answered."""
        return dict(self._date_orders)

    @property
    def is_vcard(self) -> bool:
        """Whether the file is a vCard (no columns to match)."""
        return self._preview is not None and self._preview.format == "vcf"

    def combo(self, column: str) -> FieldCombo:
        """The "Import as" box of a column."""
        return self.combos[column]

    def load(self, path: Path) -> None:
        """Read `path` (on the db lane) and show its preview, or why it cannot be imported."""
        self._path = path
        self._refresh_timer.stop()
        self._refreshing = False
        self._request += 1
        request = self._request
        self.loading_title.setText(f"Reading “{path.name}”…")
        self.stack.setCurrentWidget(self.loading_page)
        job = self._ops.run(
            lambda _vault: read_file(path),
            on_done=lambda loaded: self._on_loaded(request, loaded),
            on_error=lambda failure: self._on_load_failed(request, failure),
            owner=self,
            context="reading a file to import",
        )
        if job is None:
            self._show_problem("Your vault is locked. Unlock it, then import the file again.")

    # Slots and helpers -----------------------------------------------------------------------

    def _show_problem(self, message: str) -> None:
        self.problem_text.setText(message)
        self.stack.setCurrentWidget(self.problem_page)
        self.other_file_button.setFocus()

    def _on_loaded(self, request: int, loaded: LoadedFile) -> None:
        if request != self._request:
            return
        self._data = loaded.data
        self._samples = loaded.samples
        self._mapping = dict(loaded.preview.mapping)
        self._date_orders = {}
        self._clear_date_questions()
        self.title.setText(f"Import clients from “{self._path.name}”")
        self._fill_mapping(loaded.preview)
        self.stack.setCurrentWidget(self.setup_page)
        self._show_preview(loaded.preview)

    def _on_load_failed(self, request: int, failure: Failure) -> None:
        if request != self._request:
            return
        if failure.known:
            self._show_problem(failure.inline_text)
        else:
            self._show_problem(
                "Something unexpected went wrong while reading the file; nothing was imported."
            )
            show_failure(self, failure)

    def _fill_mapping(self, preview: Preview) -> None:
        self.combos.clear()
        self.mapping.setRowCount(0)
        table = preview.table
        self.mapping_box.setVisible(table is not None)
        if table is None:
            self.splitter.setSizes([0, 1])
            return
        self.mapping.setRowCount(len(table.headers))
        muted_color = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for row, header in enumerate(table.headers):
            name = QTableWidgetItem(header)
            name.setToolTip(header)
            examples = self._samples.get(header, ())
            sample = QTableWidgetItem("  ·  ".join(examples) if examples else "(empty)")
            sample.setToolTip("\n".join(examples))
            sample.setForeground(muted_color)
            self.mapping.setItem(row, 0, name)
            self.mapping.setItem(row, 1, sample)
            combo = FieldCombo(header, preview.mapping.get(header, ""))
            combo.currentIndexChanged.connect(
                lambda _index, column=header: self._on_field_chosen(column)
            )
            self.combos[header] = combo
            self.mapping.setCellWidget(row, 2, combo)
            self._style_mapping_row(row, combo.field)
        height = max(self.combos[table.headers[0]].sizeHint().height() + 6, 30)
        self.mapping.verticalHeader().setDefaultSectionSize(height)
        self.mapping.setMinimumHeight(self._mapping_height(2))
        self.mapping.setMaximumHeight(self._mapping_height(len(table.headers)))
        self.mapping.resizeColumnToContents(0)
        self.mapping.setColumnWidth(0, min(max(self.mapping.columnWidth(0) + 16, 160), 260))
        self._balance_pending = True

    def _style_mapping_row(self, row: int, field: str) -> None:
        item = self.mapping.item(row, 0)
        if item is None:
            return
        font = item.font()
        font.setBold(bool(field))
        item.setFont(font)
        role = QPalette.ColorRole.WindowText if field else QPalette.ColorRole.PlaceholderText
        item.setForeground(self.palette().color(role))

    def _on_field_chosen(self, column: str) -> None:
        field = self.combos[column].field
        if self._mapping.get(column) == field:
            return
        self._mapping[column] = field
        headers = list(self.combos)
        self._style_mapping_row(headers.index(column), field)
        self._schedule_refresh()

    @Slot(str, str)
    def _on_date_answered(self, column: str, order: str) -> None:
        self._date_orders[column] = order
        self._schedule_refresh(0)

    def _schedule_refresh(self, delay: int = REFRESH_DELAY_MS) -> None:
        self._refreshing = True
        self._update_ready()
        self._refresh_timer.start(delay)

    @Slot()
    def _on_refresh_due(self) -> None:
        self._request += 1
        request = self._request
        data, name = self._data, self._path.name
        mapping, orders = dict(self._mapping), dict(self._date_orders)
        job = self._ops.run(
            lambda _vault: refresh_preview(data, name, mapping, orders),
            on_done=lambda preview: self._on_refreshed(request, preview),
            on_error=lambda failure: self._on_refresh_failed(request, failure),
            owner=self,
            context="previewing an import",
        )
        if job is None:
            self._refreshing = False
            set_message(self.error, "Your vault is locked. Unlock it, then import the file again.")
            self._update_ready()

    def _on_refreshed(self, request: int, preview: Preview) -> None:
        if request != self._request or self._refresh_timer.isActive():
            return
        self._refreshing = False
        self._show_preview(preview)

    def _on_refresh_failed(self, request: int, failure: Failure) -> None:
        if request != self._request:
            return
        self._refreshing = False
        set_message(self.error, failure.inline_text if failure.known else None)
        if not failure.known:
            show_failure(self, failure)
        self._update_ready()

    def _show_preview(self, preview: Preview) -> None:
        self._preview = preview
        set_message(self.error, None)
        self.summary.setText(file_summary(preview))
        self._show_date_questions(preview)
        parsed = preview.parsed
        records = parsed.records
        mapped = {field for field in self._mapping.values() if field}
        self.preview_model.set_records(records[:PREVIEW_ROWS], mapped)
        self.preview_table.resizeColumnsToContents()
        for column in range(self.preview_model.columnCount()):
            width = self.preview_table.columnWidth(column)
            self.preview_table.setColumnWidth(column, min(width + 12, 260))
        shown = min(len(records), PREVIEW_ROWS)
        set_message(
            self.preview_more,
            f"Showing the first {shown} of {plural(len(records), 'client')}."
            if len(records) > shown
            else None,
        )
        vcard = preview.format == "vcf"
        bad = rows_with_errors(parsed.errors)
        self.errors_model.setStringList([error_text(e, vcard) for e in parsed.errors])
        self.errors_view.setVisible(bool(parsed.errors))
        self.no_errors.setVisible(not parsed.errors)
        self.preview_tabs.setTabText(0, f"Clients ({len(records):,})")
        self.preview_tabs.setTabText(1, f"Rows with problems ({bad:,})")
        row_word = "contact" if vcard else "row"
        counts = f"{plural(len(records), 'client')} ready to import"
        if bad:
            counts += f"; {plural(bad, row_word)} with problems will be left out"
        if preview.undecided_dates:
            counts = "Answer the date question above to see which clients will be imported"
        self.counts.setText(counts + ".")
        self._show_preview_empty(preview)
        self._update_ready()
        self.previewed.emit()

    def _show_preview_empty(self, preview: Preview) -> None:
        parsed = preview.parsed
        if parsed.records:
            self.preview_stack.setCurrentWidget(self.preview_table)
            return
        if preview.undecided_dates:
            self.preview_empty.set_text(
                "Answer the date question",
                "Once you say how the dates are written, the clients show here.",
            )
        elif parsed.total_rows == 0:
            self.preview_empty.set_text(
                "This file has no clients in it",
                "It holds only the column names. Export your clients again, "
                "or choose another file.",
            )
        else:
            rows = "contact" if preview.format == "vcf" else "row"
            self.preview_empty.set_text(
                "No client can be imported yet",
                f"Every {rows} has a problem: see “Rows with problems”."
                + ("" if preview.format == "vcf" else " Check how the columns are matched above."),
            )
        self.preview_stack.setCurrentWidget(self.preview_empty)

    def _clear_date_questions(self) -> None:
        for question in self.date_questions.values():
            self.questions_layout.removeWidget(question)
            question.setParent(None)
            delete_soon(question, self)
        self.date_questions = {}

    def _show_date_questions(self, preview: Preview) -> None:
        notes = (
            date_note(info)
            for column, info in preview.dates.items()
            if column not in self._date_orders
        )
        set_message(self.date_notes, " ".join(note for note in notes if note))
        wanted = {
            column: info
            for column, info in preview.dates.items()
            if info.order == "ambiguous" or column in self._date_orders
        }
        if list(wanted) != list(self.date_questions):
            self._clear_date_questions()
            for column, info in wanted.items():
                question = DateQuestion(info, self._date_orders.get(column, ""))
                question.answered.connect(self._on_date_answered)
                self.questions_layout.addWidget(question)
                self.date_questions[column] = question
            self._balance_pending = True
        self.questions_box.setVisible(bool(self.date_questions))
        if self._balance_pending:
            self._balance_pending = False
            self._balance_splitter()

    def _mapping_height(self, most: int) -> int:
        """The height of the column list showing up to `most` rows."""
        row = self.mapping.verticalHeader().defaultSectionSize()
        return (
            self.mapping.horizontalHeader().sizeHint().height()
            + row * min(self.mapping.rowCount(), most)
            + self.mapping.frameWidth() * 2
            + 2
        )

    def _balance_splitter(self) -> None:
        """Give the column list the room its rows need (up to most of the page)."""
        if self.mapping.rowCount() == 0:
            return
        table = self._mapping_height(MAPPING_ROWS_SHOWN)
        layout = self.mapping_box.layout()
        assert layout is not None
        layout.activate()
        around = layout.sizeHint().height() - self.mapping.sizeHint().height()
        total = sum(self.splitter.sizes()) or 560
        top = min(around + table, int(total * 0.62))
        self.splitter.setSizes([top, total - top])

    def _update_ready(self) -> None:
        preview = self._preview
        records = len(preview.parsed.records) if preview is not None else 0
        hint = ""
        if preview is None or self._refreshing:
            hint = "Updating the preview…"
        elif preview.undecided_dates:
            hint = (
                "Answer the date question above to continue."
                if len(preview.undecided_dates) == 1
                else "Answer the date questions above to continue."
            )
        elif preview.parsed.total_rows == 0:
            hint = "The file has no clients in it."
        elif records == 0:
            hint = (
                "Nothing can be imported: every row has a problem. "
                "See “Rows with problems”, or change how the columns are matched."
            )
        self.hint.setText(hint)
        self.import_button.setEnabled(not hint)
        self.import_button.setText(
            f"Import {plural(records, 'client')}" if records and not self._refreshing else "Import"
        )

    @Slot()
    def _on_import_clicked(self) -> None:
        preview = self._preview
        if preview is None or not self.import_button.isEnabled():
            return
        set_message(self.error, None)
        request = ImportRequest(
            self._data,
            self._path.name,
            None if preview.format == "vcf" else dict(self._mapping),
            dict(self._date_orders),
            "skip" if self.skip_radio.isChecked() else "merge",
        )
        job = self._ops.run_job(
            lambda vault, job: import_file(vault, job, request),
            on_done=self._on_imported,
            on_error=self._on_import_failed,
            on_progress=self._on_progress,
            changes="clients",
            owner=self,
            context="importing clients",
        )
        if job is None:
            set_message(self.error, "Your vault is locked. Unlock it, then import the file again.")
            return
        self._job = job
        job.cancelled.connect(self._on_import_cancelled)
        job.finished.connect(self._on_job_finished)
        self.progress_page.start(f"Importing clients from “{self._path.name}”…")
        self.stack.setCurrentWidget(self.progress_page)
        self.stop_button.setFocus()

    def _on_progress(self, done: int, total: int) -> None:
        if self.page == "importing":
            self.progress_page.show_count(done, total, f"{done:,} of {plural(total, 'client')}")

    @Slot()
    def _on_stop_clicked(self) -> None:
        if self._job is not None:
            self._job.cancel()
        self.progress_page.stopping("Cancelling…")

    @Slot()
    def _on_job_finished(self) -> None:
        self._job = None

    def _on_imported(self, report: ImportReport) -> None:
        self._report = report
        vcard = self.is_vcard
        self.result_title.setText("Import finished")
        set_message(self.result_counts, result_text(report, vcard))
        note = "The clients are in your client list."
        if report.errors:
            note += (
                f" The {'contacts' if vcard else 'rows'} with errors were left out: fix them in "
                "your file and import it again (clients already imported are not added twice)."
            )
        self.result_note.setText(note)
        self.result_errors_title.setText(
            f"{'Contacts' if vcard else 'Rows'} with errors ({rows_with_errors(report.errors):,})"
        )
        self.result_errors_model.setStringList([error_text(e, vcard) for e in report.errors])
        _fit_rows(self.result_errors, len(report.errors), 12)
        self.result_warnings_title.setText(f"Warnings ({len(report.warnings):,})")
        self.result_warnings_model.setStringList(list(report.warnings))
        _fit_rows(self.result_warnings, len(report.warnings), 6)
        self._show_result_lists(errors=bool(report.errors), warnings=bool(report.warnings))
        self.back_button.setVisible(False)
        self.stack.setCurrentWidget(self.result_page)
        self.close_button.setFocus()
        self.notice.emit(notice_text(report, self._path.name, vcard), None)
        self.imported.emit(report)

    def _show_result_lists(self, errors: bool, warnings: bool) -> None:
        for widget in (self.result_errors_title, self.result_errors, self.save_report_button):
            widget.setVisible(errors)
        for widget in (self.result_warnings_title, self.result_warnings):
            widget.setVisible(warnings)
        self.saved_note.setVisible(False)
        # With nothing listed, the outcome sits in the middle of the page.
        centred = not errors and not warnings
        self.result_top.setVisible(centred)
        align = Qt.AlignmentFlag.AlignCenter if centred else Qt.AlignmentFlag.AlignLeft
        for label in (self.result_title, self.result_counts, self.result_note):
            label.setAlignment(align)

    @Slot()
    def _on_import_cancelled(self) -> None:
        self.result_title.setText("Import cancelled; nothing was changed.")
        set_message(self.result_counts, None)
        self.result_note.setText(
            "Your clients are exactly as they were. Go back to import the file again, or close."
        )
        self._show_result_lists(errors=False, warnings=False)
        self.back_button.setVisible(True)
        self.stack.setCurrentWidget(self.result_page)
        self.close_button.setFocus()

    def _on_import_failed(self, failure: Failure) -> None:
        self.stack.setCurrentWidget(self.setup_page)
        if failure.known:
            set_message(self.error, f"{failure.inline_text} Nothing was imported.")
        else:
            set_message(self.error, "The import stopped on an unexpected error; nothing changed.")
            show_failure(self, failure)

    @Slot()
    def _on_back_clicked(self) -> None:
        self.stack.setCurrentWidget(self.setup_page)
        self.import_button.setFocus()

    @Slot()
    def _on_other_file_clicked(self) -> None:
        path = ask_for_file(self)
        if path is not None:
            self.load(path)

    @Slot()
    def _on_save_report_clicked(self) -> None:
        if self.report_dialog is not None:
            self.report_dialog.done(QDialog.DialogCode.Rejected)
        dialog = QFileDialog(self, "Save error report")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilters(["CSV file (*.csv)"])
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"{self._path.stem} - import errors.csv")
        dialog.fileSelected.connect(lambda name: self._save_report(Path(name)))
        dialog.finished.connect(lambda _result: self._forget_report_dialog(dialog))
        self.report_dialog = dialog
        dialog.open()

    def _forget_report_dialog(self, dialog: QFileDialog) -> None:
        if self.report_dialog is dialog:
            self.report_dialog = None
        delete_soon(dialog, self)

    def _save_report(self, path: Path) -> None:
        errors = self._report.errors if self._report is not None else ()
        vcard = self.is_vcard
        self._ops.run(
            lambda _vault: write_error_report(path, errors, vcard),
            on_done=lambda _none: self._on_report_saved(path),
            on_error=self._on_report_failed,
            owner=self,
            context="saving an import error report",
        )

    def _on_report_saved(self, path: Path) -> None:
        self.saved_note.setStyleSheet("")
        set_message(self.saved_note, f"Saved the error report to “{path}”.")

    def _on_report_failed(self, failure: Failure) -> None:
        if not failure.known:
            show_failure(self, failure)
            return
        self.saved_note.setStyleSheet(f"color: {ERROR_COLOR};")
        set_message(self.saved_note, failure.inline_text)

    @Slot()
    def _on_vault_closed(self) -> None:
        # Locking wipes every screen; an import under way is rolled back (importing the file
        # again later is safe: it adds nobody twice).
        if self._job is not None:
            self._job.cancel()
        self._refresh_timer.stop()
        self.done(QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        """Close; while importing, Esc and the window's close button cancel the import instead."""
        if self.page == "importing":
            if self.stop_button.isEnabled():
                self._on_stop_clicked()
            return
        self._refresh_timer.stop()
        super().reject()
