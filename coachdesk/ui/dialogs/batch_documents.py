"""Make one document for each of many clients: certificates for a cohort, reports for a segment.

The coach chooses the kind of document and its options, who it is for (the
clients selected in the list, or a saved segment), and whether copies go to a
folder too. The batch runs on the db lane with a progress bar and Cancel; each
document is kept as soon as it is made, so stopping keeps the ones already made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk.documents.types import DOC_TYPES, DocType, OptionKind, doc_type
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.segments import ClientFilter, Segment
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.new_document import OptionField
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure, Job
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    FieldErrors,
    ProgressPage,
    button_row,
    error_label,
    heading,
    muted,
    separator,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

# The documents coaches make for many clients at once come first in the list.
FIRST_TYPES = ("certificate", "progress_report")
NOUNS = {
    "intake_form": ("intake form", "intake forms"),
    "coaching_plan": ("coaching plan", "coaching plans"),
    "session_summary": ("session summary", "session summaries"),
    "progress_report": ("progress report", "progress reports"),
    "renewal_proposal": ("renewal proposal", "renewal proposals"),
    "certificate": ("certificate", "certificates"),
}
FORMATS = (("PDF", "pdf"), ("Word (.docx)", "docx"))
NAMES_SHOWN = 4
FAILURES_SHOWN = 8
LOCKED = "Your vault is locked. Unlock it, then make the documents again."


def ordered_types() -> list[DocType]:
    """Every document type, the ones made in batches most often first."""
    first = [doc_type(key) for key in FIRST_TYPES]
    return first + [kind for kind in DOC_TYPES if kind.key not in FIRST_TYPES]


def noun(key: str, count: int) -> str:
    """ "certificate" or "certificates" (for a type with no noun of its own, "documents")."""
    one, many = NOUNS.get(key, ("document", "documents"))
    return one if count == 1 else many


def counted(key: str, count: int) -> str:
    """ "1 certificate", "40 progress reports"."""
    return f"{count:,} {noun(key, count)}"


def clients_text(count: int) -> str:
    """ "1 client", "24 clients"."""
    return f"{count:,} client" if count == 1 else f"{count:,} clients"


def names_text(names: Sequence[str], total: int) -> str:
    """ "Ada Lovelace, Grace Hopper and 22 more" (the first few names of who is in)."""
    shown = list(names[:NAMES_SHOWN])
    if not shown:
        return ""
    more = total - len(shown)
    if more > 0:
        return f"{', '.join(shown)} and {more:,} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


# Run on the db lane. The services (and the database stack) are imported there.


@dataclass(frozen=True, slots=True)
class Who:
    """The clients a batch is for, and their names (the ones still in the list).

    Args:
        ids: the client ids, in order.
        names: the names of those that are live clients, in the same order.
    """

    ids: tuple[int, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """What the coach chose, handed to the db lane."""

    key: str
    client_ids: tuple[int, ...]
    options: dict[str, str]
    folder: Path | None
    fmt: str


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """How a batch ended, in what the dialog shows.

    Args:
        key: the document type.
        total: how many clients the batch was for.
        made: how many documents were made (each kept in the vault).
        failed: (client name, why) for each client whose document could not be made.
        cancelled: the coach stopped the batch.
        folder: where copies were saved (None: no folder).
        template_problem: the template's problem that stopped the batch ("Line 5: …").
        folder_problem: why a copy could not be saved in the folder (the batch stopped).
        reached: how many clients the batch had got through when it stopped on a problem.
    """

    key: str
    total: int
    made: int
    failed: tuple[tuple[str, str], ...]
    cancelled: bool
    folder: Path | None
    template_problem: str = ""
    folder_problem: str = ""
    reached: int = 0


def selected_clients(vault: Vault, client_ids: Sequence[int]) -> Who:
    """Db lane: the selected clients' names."""
    from coachdesk.services import clients

    ids = tuple(dict.fromkeys(client_ids))
    wanted = set(ids)
    names = {row.id: row.name for row in clients.list_clients(vault) if row.id in wanted}
    return Who(ids, tuple(names[i] for i in ids if i in names))


def load_segments(vault: Vault) -> list[Segment]:
    """Db lane: the saved segments, by name."""
    from coachdesk.services import segments

    return segments.list_segments(vault)


def segment_clients(vault: Vault, client_filter: ClientFilter) -> Who:
    """Db lane: the clients a segment selects now."""
    from coachdesk.services import segments

    rows = segments.clients_in(vault, client_filter)
    return Who(tuple(row.id for row in rows), tuple(row.name for row in rows))


def _left_out(vault: Vault, failed: Sequence[tuple[int, str]]) -> tuple[tuple[str, str], ...]:
    """(name, why) for each client left out; a client in the Trash is said to be there."""
    from coachdesk.services import clients

    live = {row.id: row.name for row in clients.list_clients(vault)}
    trashed = {row.id: row.name for row in clients.list_clients(vault, trashed=True)}
    named = []
    for client_id, why in failed:
        if client_id in trashed:
            named.append((trashed[client_id], "In the Trash (restore the client first)."))
        else:
            named.append((live.get(client_id, f"Client #{client_id}"), why))
    return tuple(named)


def run_batch(vault: Vault, job: Job[BatchOutcome], request: BatchRequest) -> BatchOutcome:
    """Db lane: make the documents, reporting progress and stopping when the coach cancels.

    A broken template or a folder that cannot be written stops the batch; the
    documents made before are kept, and the outcome says what stopped it.
    """
    from coachdesk.services import documents

    total = len(set(request.client_ids))
    result = documents.create_batch(
        vault,
        request.key,
        request.client_ids,
        request.options,
        folder=request.folder,
        fmt=request.fmt,
        progress=job.report_progress,
        cancelled=lambda: job.is_cancelled,
    )
    failed = _left_out(vault, result.failed) if result.failed else ()
    return BatchOutcome(
        request.key,
        total,
        len(result.made),
        failed,
        result.cancelled,
        result.folder,
        result.template_problem,
        result.folder_problem,
        reached=len(result.made) + len(result.failed),
    )


# Texts ------------------------------------------------------------------------------------


def outcome_title(outcome: BatchOutcome) -> str:
    """The result's headline: "Made 12 of 40 certificates before you stopped."."""
    key, made, total = outcome.key, outcome.made, outcome.total
    if outcome.template_problem:
        return f"The {doc_type(key).name.lower()} template has a problem."
    if outcome.folder_problem:
        return "The documents could not be saved in the folder."
    if outcome.cancelled:
        return f"Made {made:,} of {counted(key, total)} before you stopped."
    if made == 0:
        return f"No {noun(key, 2)} could be made."
    if made == total:
        return f"Made {counted(key, made)}."
    return f"Made {made:,} of {counted(key, total)}."


def outcome_note(outcome: BatchOutcome) -> str:
    """What the coach finds where, and what to do next."""
    if outcome.template_problem:
        where = "Nothing was made."
        if outcome.made:
            where = (
                f"It stopped at client {outcome.reached + 1:,} of {outcome.total:,}; the "
                f"{outcome.made:,} documents made before that are kept with their clients."
            )
        return (
            f"{where} Fix the template, or go back to the built-in one, then make the "
            "documents again."
        )
    if outcome.folder_problem:
        return (
            "The batch stopped there. Choose another folder (one you can write to, with "
            "free space) and make the documents again. The documents made before it "
            "stopped are kept with each client."
        )
    parts = []
    if outcome.made:
        where = "Each one is kept with its client"
        if outcome.folder is not None:
            where += f", and a copy was saved in “{outcome.folder}”"
        parts.append(where + ".")
    if outcome.cancelled:
        others = outcome.total - outcome.made - len(outcome.failed)
        if others > 0:
            parts.append(f"Nothing was made for the other {clients_text(others)}.")
    if outcome.failed:
        parts.append("Fix what is said below, then make theirs again.")
    return " ".join(parts)


def failure_lines(outcome: BatchOutcome) -> list[str]:
    """ "Ada Lovelace — In the Trash (restore the client first)." for each client left out."""
    return [f"{name} — {why}" for name, why in outcome.failed]


def notice_text(outcome: BatchOutcome) -> str:
    """The status-bar line after a batch ("" when it stopped on a problem)."""
    if outcome.template_problem or outcome.folder_problem:
        return ""
    text = f"Made {counted(outcome.key, outcome.made)}"
    if outcome.failed:
        text += f"; {clients_text(len(outcome.failed))} left out"
    return text + "."


def open_batch_documents(
    ops: VaultOps, client_ids: Sequence[int] = (), parent: QWidget | None = None
) -> BatchDocumentsDialog:
    """Open the dialog window-modal over `parent`; it is deleted soon after it closes."""
    dialog = BatchDocumentsDialog(ops, client_ids, parent)
    if parent is not None:
        dialog.finished.connect(lambda _result: delete_soon(dialog, parent))
    dialog.open()
    return dialog


class BatchDocumentsDialog(QDialog):
    """Make one document per client for many clients, with progress, Cancel and a summary.

    Pages, in order: the setup (document type and its options, who, an
    optional folder), the progress with Cancel, and the summary (how many were
    made, which clients were left out and why, Open folder).

    Args:
        ops: the vault operations (segments, names and the batch run on the db lane).
        client_ids: the clients selected in the list (none: choose a saved segment).
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar after a batch.
        batch_done: the BatchOutcome of a batch that ran (stopped or not).
    """

    notice = Signal(str, object)
    batch_done = Signal(object)

    def __init__(
        self, ops: VaultOps, client_ids: Sequence[int] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._selected = tuple(dict.fromkeys(client_ids))
        self._segments: list[Segment] = []
        self._segments_loaded = False
        self._who: Who | None = None
        self._who_request = 0
        self._who_pending = False
        self._folder: Path | None = None
        self._job: Job[BatchOutcome] | None = None
        self._outcome: BatchOutcome | None = None
        self.option_fields: dict[str, QWidget] = {}
        self._fields: list[OptionField] = []
        self.option_errors = FieldErrors()
        self.stop_question: QMessageBox | None = None
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._grow_to_fit)
        self.setWindowTitle("Make documents")
        self.setMinimumWidth(640)

        self.stack = QStackedWidget()
        self.setup_page = self._build_setup_page()
        self.progress_page = self._build_progress_page()
        self.result_page = self._build_result_page()
        for page in (self.setup_page, self.progress_page, self.result_page):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(self.stack)

        self._on_type_changed()
        self._load_who()
        self._load_segments()
        ops.closed.connect(self._on_vault_closed)
        ops.changed.connect(self._on_data_changed)
        self.resize(680, 10)
        self._grow_to_fit()

    # Pages ---------------------------------------------------------------------------------

    def _build_setup_page(self) -> QWidget:
        page = QWidget()
        title = heading("Make documents for several clients", 4)
        intro = muted(
            "One document for each client, made from your template and kept with the "
            "client's record."
        )

        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("Document")
        for kind in ordered_types():
            self.type_combo.addItem(kind.name, kind.key)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self.type_description = muted()
        self.options_box = QWidget()
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setContentsMargins(0, 4, 0, 0)
        self.options_form.setHorizontalSpacing(12)
        self.options_form.setVerticalSpacing(8)
        self.options_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.note_hint = muted(
            "Each client's latest session note is used. To choose another note, make the "
            "summary from the client's page."
        )
        self.note_hint.setVisible(False)

        self.selected_radio = QRadioButton(f"The {clients_text(len(self._selected))} you selected")
        if len(self._selected) == 1:
            self.selected_radio.setText("The client you selected")
        self.segment_radio = QRadioButton("The clients in a saved segment:")
        self.segment_label = QLabel("The clients in a saved segment:")
        self.who_group = QButtonGroup(self)
        self.who_group.addButton(self.selected_radio)
        self.who_group.addButton(self.segment_radio)
        self.segment_combo = QComboBox()
        self.segment_combo.setAccessibleName("Saved segment")
        self.segment_combo.setMinimumContentsLength(24)
        self.segment_combo.currentIndexChanged.connect(self._on_segment_changed)
        self.segment_hint = muted()
        self.segment_hint.setVisible(False)
        self.who_count = QLabel()
        self.who_count.setObjectName("whoCount")
        font = self.who_count.font()
        font.setBold(True)
        self.who_count.setFont(font)
        self.who_names = muted()
        has_selection = bool(self._selected)
        self.selected_radio.setVisible(has_selection)
        self.segment_radio.setVisible(has_selection)
        self.segment_label.setVisible(not has_selection)
        (self.selected_radio if has_selection else self.segment_radio).setChecked(True)
        self.selected_radio.toggled.connect(self._on_who_toggled)

        self.save_check = QCheckBox("Also save the files to a folder")
        self.save_check.toggled.connect(self._on_save_toggled)
        self.folder_label = QLabel("No folder chosen")
        self.folder_label.setObjectName("folderLabel")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)
        self.folder_button = QPushButton("Choose folder…")
        self.folder_button.setAutoDefault(False)
        self.folder_button.clicked.connect(self._on_choose_folder_clicked)
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("File format")
        for label, fmt in FORMATS:
            self.format_combo.addItem(label, fmt)
        self.folder_note = muted(
            "The copies in the folder are ordinary files, not encrypted: keep them somewhere "
            "safe, or delete them once they are sent."
        )

        self.error = error_label()
        self.error.setObjectName("dialogError")
        self.hint = muted()
        self.make_button = QPushButton("Make documents")
        self.make_button.setDefault(True)
        self.make_button.clicked.connect(self._on_make_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(6)

        layout.addWidget(heading("Document", 2))
        layout.addWidget(self.type_combo)
        layout.addWidget(self.type_description)
        layout.addWidget(self.options_box)
        layout.addWidget(self.note_hint)
        layout.addSpacing(6)
        layout.addWidget(separator())

        layout.addWidget(heading("For whom", 2))
        layout.addWidget(self.selected_radio)
        segment_row = QHBoxLayout()
        segment_row.setSpacing(8)
        segment_row.addWidget(self.segment_radio)
        segment_row.addWidget(self.segment_label)
        segment_row.addWidget(self.segment_combo, 1)
        layout.addLayout(segment_row)
        layout.addWidget(self.segment_hint)
        who_box = QVBoxLayout()
        who_box.setContentsMargins(0, 4, 0, 0)
        who_box.setSpacing(2)
        who_box.addWidget(self.who_count)
        who_box.addWidget(self.who_names)
        layout.addLayout(who_box)
        layout.addSpacing(6)
        layout.addWidget(separator())

        layout.addWidget(self.save_check)
        self.folder_box = QWidget()
        folder_layout = QVBoxLayout(self.folder_box)
        folder_layout.setContentsMargins(24, 0, 0, 0)
        folder_layout.setSpacing(6)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.folder_button)
        folder_layout.addLayout(folder_row)
        format_row = QHBoxLayout()
        format_row.addWidget(QLabel("Format:"))
        format_row.addWidget(self.format_combo)
        format_row.addStretch(1)
        folder_layout.addLayout(format_row)
        folder_layout.addWidget(self.folder_note)
        self.folder_box.setEnabled(False)
        layout.addWidget(self.folder_box)

        layout.addStretch(1)
        layout.addWidget(self.error)
        layout.addLayout(button_row(self.cancel_button, self.make_button, left=self.hint))
        return page

    def _build_progress_page(self) -> ProgressPage:
        page = ProgressPage(
            "Each document is kept as soon as it is made. If you cancel, the ones "
            "already made stay with their clients."
        )
        page.stop_clicked.connect(self._on_stop_clicked)
        self.progress_title, self.progress_bar = page.title, page.bar
        self.progress_text, self.stop_button = page.text, page.stop_button
        return page

    def _build_result_page(self) -> QWidget:
        page = QWidget()
        self.result_title = heading("", 4)
        self.result_title.setWordWrap(True)
        self.result_problem = error_label()
        self.result_problem.setObjectName("resultProblem")
        self.result_problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_note = muted()
        self.failed_title = heading("", 2)
        self.failed_list = QListView()
        self.failed_list.setAccessibleName("Clients left out")
        self.failed_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.failed_list.setWordWrap(True)
        self.failed_list.setSpacing(3)
        self.failed_model = QStringListModel(self.failed_list)
        self.failed_list.setModel(self.failed_model)
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.setAutoDefault(False)
        self.open_folder_button.clicked.connect(self._on_open_folder_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.result_top = QWidget()
        layout.addWidget(self.result_top, 2)
        layout.addWidget(self.result_title)
        layout.addWidget(self.result_problem)
        layout.addWidget(self.result_note)
        layout.addSpacing(6)
        layout.addWidget(self.failed_title)
        layout.addWidget(self.failed_list)
        layout.addStretch(3)
        row = QHBoxLayout()
        row.addWidget(self.open_folder_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        return page

    # State -----------------------------------------------------------------------------------

    @property
    def page(self) -> str:
        """ "setup", "running" or "result"."""
        current = self.stack.currentWidget()
        if current is self.progress_page:
            return "running"
        return "result" if current is self.result_page else "setup"

    @property
    def doc_key(self) -> str:
        """The chosen document type's key."""
        return str(self.type_combo.currentData())

    @property
    def folder(self) -> Path | None:
        """The folder copies go to (None: no copies)."""
        return self._folder if self.save_check.isChecked() else None

    @property
    def client_ids(self) -> tuple[int, ...]:
        """Who the documents are for, as chosen now (empty while a segment loads)."""
        return self._who.ids if self._who is not None else ()

    @property
    def is_loaded(self) -> bool:
        """Whether the segments and who the documents are for have been read."""
        return self._segments_loaded and not self._who_pending

    @property
    def outcome(self) -> BatchOutcome | None:
        """How the last batch ended."""
        return self._outcome

    def set_doc_type(self, key: str) -> None:
        """Choose the document type (e.g. "progress_report")."""
        index = self.type_combo.findData(key)
        if index >= 0:
            self.type_combo.setCurrentIndex(index)

    def option_values(self) -> dict[str, str]:
        """The options as the form holds them (session notes are left to their default)."""
        return {field.option.key: field.value for field in self._fields}

    def _rebuild_options(self, kind: DocType) -> None:
        while self.options_form.rowCount():
            taken = self.options_form.takeRow(0)
            for item in (taken.labelItem, taken.fieldItem):
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.setParent(None)
                    delete_soon(widget, self)
        self.option_errors = FieldErrors()
        today = date.today()
        # Each client's own latest session note is used: there is no one note to choose.
        self._fields = [
            OptionField(option, today)
            for option in kind.options
            if option.kind is not OptionKind.SESSION_NOTE
        ]
        self.option_fields = {field.option.key: field.widget for field in self._fields}
        for field in self._fields:
            field.widget.setAccessibleName(field.option.label)
            block = self.option_errors.add(field.option.key, field.widget)
            label = f"{field.label}:" if field.label else ""
            self.options_form.addRow(label, block)
        self.options_box.setVisible(bool(self.option_fields))
        self.note_hint.setVisible(any(o.kind is OptionKind.SESSION_NOTE for o in kind.options))

    def _update_ready(self) -> None:
        key = self.doc_key
        who = self._who
        count = len(who.ids) if who is not None else 0
        hint = ""
        if self.segment_radio.isChecked():
            if not self._segments_loaded:
                hint = "Loading your saved segments…"
            elif not self._segments:
                hint = (
                    "Select clients in the Clients list, or save a segment there, "
                    "to make documents for them."
                    if not self._selected
                    else "No saved segments yet."
                )
            elif who is None:
                hint = "Counting the clients in the segment…"
        if not hint and who is not None and count == 0:
            hint = "Nobody to make documents for."
        if not hint and self.save_check.isChecked() and self._folder is None:
            hint = "Choose the folder for the files, or untick “Also save the files”."
        self.hint.setText(hint)
        ready = not hint and count > 0
        self.make_button.setEnabled(ready)
        self.make_button.setText(f"Make {counted(key, count)}" if count else "Make documents")
        # Labels lay out their new text on the next turn of the event loop; measure after.
        self._fit_timer.start()

    @Slot()
    def _grow_to_fit(self) -> None:
        """Grow the window when what it says now needs more height (never clip a line)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        need = self.heightForWidth(self.width())
        if need > self.minimumHeight():
            self.setMinimumHeight(need)
        if need > self.height():
            self.resize(self.width(), need)

    def _show_who(self) -> None:
        who = self._who
        if who is None:
            set_message(self.who_count, None)
            set_message(self.who_names, None)
        elif not who.ids:
            set_message(self.who_count, "No clients")
            set_message(
                self.who_names,
                "Nobody is in this segment right now. Choose another segment, or change "
                "who is in it from the Clients list.",
            )
        else:
            set_message(self.who_count, clients_text(len(who.ids)))
            set_message(self.who_names, names_text(who.names, len(who.ids)))
        self._update_ready()

    # Loading ---------------------------------------------------------------------------------

    def _load_who(self) -> None:
        self._who_request += 1
        request = self._who_request
        self._who = None
        self._who_pending = False
        if self.selected_radio.isChecked() and self._selected:
            ids = self._selected
            # The ids are known: only the names are read.
            self._who = Who(ids, ())
            self._run_who(lambda vault: selected_clients(vault, ids), request)
        else:
            segment = self._current_segment()
            if segment is not None:
                client_filter = segment.filter
                self._run_who(lambda vault: segment_clients(vault, client_filter), request)
        self._show_who()

    def _run_who(self, fn: Callable[[Vault], Who], request: int) -> None:
        job = self._ops.run(
            fn,
            on_done=lambda who: self._on_who_loaded(request, who),
            on_error=self._on_load_failed,
            owner=self,
            context="counting the clients for documents",
        )
        if job is None:
            set_message(self.error, LOCKED)
        else:
            self._who_pending = True

    def _load_segments(self) -> None:
        self._ops.run(
            load_segments,
            on_done=self._on_segments_loaded,
            on_error=self._on_load_failed,
            owner=self,
            context="loading the saved segments",
        )

    def _current_segment(self) -> Segment | None:
        segment_id = self.segment_combo.currentData()
        return next((s for s in self._segments if s.id == segment_id), None)

    def _on_who_loaded(self, request: int, who: Who) -> None:
        if request == self._who_request:
            self._who_pending = False
            self._who = who
            self._show_who()

    def _on_segments_loaded(self, found: list[Segment]) -> None:
        current = self.segment_combo.currentData()
        self._segments = found
        self._segments_loaded = True
        self.segment_combo.blockSignals(True)
        self.segment_combo.clear()
        for segment in found:
            self.segment_combo.addItem(segment.name, segment.id)
        if not found:
            self.segment_combo.addItem("No saved segments yet", None)
        index = self.segment_combo.findData(current) if current is not None else -1
        self.segment_combo.setCurrentIndex(max(index, 0))
        self.segment_combo.blockSignals(False)
        self.segment_combo.setEnabled(bool(found))
        set_message(
            self.segment_hint,
            None
            if found
            else "Save a segment from the filter bar of the Clients list to use it here.",
        )
        if self.segment_radio.isChecked():
            self._load_who()
        else:
            self._update_ready()

    def _on_load_failed(self, failure: Failure) -> None:
        self._who_pending = False
        if failure.known:
            set_message(self.error, failure.inline_text)
        else:
            show_failure(self, failure)

    # Slots -----------------------------------------------------------------------------------

    @Slot()
    def _on_type_changed(self) -> None:
        kind = doc_type(self.doc_key)
        self.type_description.setText(kind.description)
        self._rebuild_options(kind)
        set_message(self.error, None)
        self._update_ready()

    @Slot(bool)
    def _on_who_toggled(self, _checked: bool) -> None:
        self._load_who()

    @Slot()
    def _on_segment_changed(self) -> None:
        if self._selected and not self.segment_radio.isChecked():
            self.segment_radio.setChecked(True)  # toggling loads who is in
            return
        self._load_who()

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if self.page != "setup":
            return
        if kind == "segments":
            self._load_segments()
        elif kind == "clients":
            self._load_who()

    @Slot(bool)
    def _on_save_toggled(self, checked: bool) -> None:
        self.folder_box.setEnabled(checked)
        if checked and self._folder is None:
            self._on_choose_folder_clicked()
        self._update_ready()

    @Slot()
    def _on_choose_folder_clicked(self) -> None:
        start = str(self._folder) if self._folder is not None else str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Choose a folder for the files", start)
        if chosen:
            self._folder = Path(chosen)
            self.folder_label.setText(str(self._folder))
        elif self._folder is None:
            self.save_check.setChecked(False)
        self._update_ready()

    @Slot()
    def _on_make_clicked(self) -> None:
        if not self.make_button.isEnabled() or self._who is None:
            return
        set_message(self.error, None)
        key = self.doc_key
        options = self.option_values()
        try:
            doc_type(key).resolve_options(options, date.today())
        except ValidationError as exc:
            rest = self.option_errors.show(exc.errors)
            if rest:
                set_message(self.error, " ".join(rest.values()))
            return
        self.option_errors.clear()
        fmt = str(self.format_combo.currentData())
        request = BatchRequest(key, self._who.ids, options, self.folder, fmt)
        job = self._ops.run_job(
            lambda vault, job: run_batch(vault, job, request),
            on_done=self._on_batch_done,
            on_error=self._on_batch_failed,
            on_progress=self._on_progress,
            changes="documents",
            owner=self,
            context="making documents",
        )
        if job is None:
            set_message(self.error, LOCKED)
            return
        self._job = job
        job.cancelled.connect(self._on_batch_cancelled_early)
        job.finished.connect(self._on_job_finished)
        total = len(request.client_ids)
        self.progress_page.start(f"Making {counted(key, total)}…")
        self.stack.setCurrentWidget(self.progress_page)
        self.stop_button.setFocus()

    def _on_progress(self, done: int, total: int) -> None:
        if self.page == "running":
            self.progress_page.show_count(done, total, f"{done:,} of {total:,}")

    @Slot()
    def _on_stop_clicked(self) -> None:
        if self._job is not None:
            self._job.cancel()
        self.progress_page.stopping("Stopping after the document being made…")

    @Slot()
    def _on_job_finished(self) -> None:
        self._job = None
        if self.stop_question is not None:
            self.stop_question.done(QMessageBox.StandardButton.Cancel)

    def _on_batch_done(self, outcome: BatchOutcome) -> None:
        self._outcome = outcome
        self.result_title.setText(outcome_title(outcome))
        set_message(self.result_problem, outcome.template_problem or outcome.folder_problem)
        self.result_note.setText(outcome_note(outcome))
        lines = failure_lines(outcome)
        self.failed_model.setStringList(lines)
        self.failed_title.setText(f"Not made for {clients_text(len(lines))}")
        for widget in (self.failed_title, self.failed_list):
            widget.setVisible(bool(lines))
        if lines:
            line = max(self.failed_list.sizeHintForRow(0), self.fontMetrics().lineSpacing())
            row = line + self.failed_list.spacing() * 2
            shown = min(len(lines), FAILURES_SHOWN)
            frame = self.failed_list.frameWidth() * 2 + self.failed_list.spacing()
            self.failed_list.setFixedHeight(row * shown + frame)
        # With nothing listed, the outcome sits in the middle of the page.
        self.result_top.setVisible(not lines)
        align = Qt.AlignmentFlag.AlignLeft if lines else Qt.AlignmentFlag.AlignHCenter
        for label in (self.result_title, self.result_problem, self.result_note):
            label.setAlignment(align)
        self.open_folder_button.setVisible(outcome.folder is not None and outcome.made > 0)
        self.stack.setCurrentWidget(self.result_page)
        self.close_button.setFocus()
        text = notice_text(outcome)
        if text:
            self.notice.emit(text, None)
        self.batch_done.emit(outcome)

    def _on_batch_failed(self, failure: Failure) -> None:
        self.stack.setCurrentWidget(self.setup_page)
        if isinstance(failure.error, ValidationError):
            rest = self.option_errors.show(failure.error.errors)
            set_message(self.error, " ".join(rest.values()) or None)
        elif failure.known:
            set_message(self.error, failure.message)
        else:
            set_message(
                self.error,
                "The documents stopped on an unexpected error. The ones already made are kept.",
            )
            show_failure(self, failure)

    @Slot()
    def _on_batch_cancelled_early(self) -> None:
        # Cancelled before the batch began: nothing was made.
        if self.page == "running":
            self.stack.setCurrentWidget(self.setup_page)

    @Slot()
    def _on_open_folder_clicked(self) -> None:
        outcome = self._outcome
        if outcome is not None and outcome.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(outcome.folder)))

    @Slot()
    def _on_vault_closed(self) -> None:
        # Locking wipes every screen: stop the batch (what is made is kept) and close.
        if self._job is not None:
            self._job.cancel()
        if self.stop_question is not None:
            self.stop_question.done(QMessageBox.StandardButton.Cancel)
        self.done(QDialog.DialogCode.Rejected)

    def _ask_to_stop(self) -> None:
        if self.stop_question is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Stop making documents?",
            "The documents are still being made. Stop now and close? "
            "The ones already made are kept with their clients.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        stop = box.addButton("Stop and close", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep going", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _result: self._on_stop_answered(box.clickedButton() is stop))
        self.stop_question = box
        box.open()

    def _on_stop_answered(self, stop: bool) -> None:
        self.stop_question = None
        if stop and self.page == "running":
            if self._job is not None:
                self._job.cancel()
            super().reject()

    def reject(self) -> None:
        """Close; while documents are being made, ask to stop them first."""
        if self.page == "running" and self._job is not None:
            self._ask_to_stop()
            return
        super().reject()
