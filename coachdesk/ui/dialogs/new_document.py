"""The New document form: a type, its few choices, and a live preview of what will be made."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QRegularExpression, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QRegularExpressionValidator, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk.documents.types import DOC_TYPES, DocType, Option, OptionKind, doc_type
from coachdesk.domain.clients import Client
from coachdesk.domain.crm import Note, NoteKind
from coachdesk.domain.documents import DocumentInfo
from coachdesk.domain.errors import ValidationError
from coachdesk.ui.dialogs.record_editor import date_edit, py_date
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import day_text, first_line
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.pdf_view import PreviewView
from coachdesk.ui.widgets import (
    FieldErrors,
    busy_bar,
    dialog_buttons,
    error_label,
    fit_to_screen,
    heading,
    muted,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

PREVIEW_DELAY_MS = 400
NUMBER_PATTERN = r"\d{0,9}(\.\d{0,2})?"


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class Preview:
    """A document as it would be made: its pages, and the template version used."""

    pages: list[QImage]
    template_version: int


def session_notes(vault: Vault, client_id: int) -> list[Note]:
    """Db lane: a client's session notes, latest first."""
    from coachdesk.services import crm

    notes = [n for n in crm.list_notes(vault, client_id) if n.kind is NoteKind.SESSION]
    return sorted(notes, key=lambda n: (n.occurred_on, n.id), reverse=True)


def preview_pages(
    vault: Vault, key: str, client_id: int, options: Mapping[str, str], width: int
) -> Preview:
    """Db lane: the pages of the document the template in use would make now (stored nowhere)."""
    from coachdesk.services import documents
    from coachdesk.ui.pdf_view import render_pages

    version = documents.template_in_use(vault, key)
    pdf = documents.preview_pdf(vault, key, version.source, client_id, options)
    return Preview(render_pages(pdf, width), version.number)


def create_document(
    vault: Vault, client_id: int, key: str, options: Mapping[str, str]
) -> DocumentInfo:
    """Db lane: make the document and keep it in the vault."""
    from coachdesk.services import documents

    return documents.create_document(vault, client_id, key, options)


# Words ------------------------------------------------------------------------------------


def template_problem(type_name: str, failure: Failure) -> str | None:
    """What to tell the coach when a template fails, or None when the failure is something else."""
    from coachdesk.documents.sandbox import BrokenTemplateError

    if not isinstance(failure.error, BrokenTemplateError):
        return None
    problem = failure.error.message.rstrip(". ")
    return f"The {type_name} template has a problem: {problem}. Fix it in Documents → Templates."


def note_choice(note: Note) -> str:
    """ "3 Nov 2026 — We talked about delegation…"."""
    return f"{day_text(note.occurred_on)} — {first_line(note.text, 60)}"


# Widgets ----------------------------------------------------------------------------------


class OptionField:
    """One choice of a document type, with the widget that edits it.

    Args:
        option: what the document type asks.
        today: the day relative default dates are counted from.
    """

    def __init__(self, option: Option, today: date) -> None:
        self.option = option
        default = option.default_value(today)
        self.widget: QWidget
        match option.kind:
            case OptionKind.DATE:
                self.widget = date_edit(date.fromisoformat(default) if default else today)
            case OptionKind.YES_NO:
                self.widget = QCheckBox(option.label)
                self.widget.setChecked(default == "yes")
            case OptionKind.SESSION_NOTE:
                combo = QComboBox()
                combo.addItem("Loading session notes…", "")
                combo.setEnabled(False)
                combo.setSizeAdjustPolicy(
                    QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
                )
                combo.setMinimumContentsLength(24)
                self.widget = combo
            case OptionKind.NUMBER:
                edit = QLineEdit(default)
                edit.setValidator(QRegularExpressionValidator(QRegularExpression(NUMBER_PATTERN)))
                edit.setPlaceholderText("A number, e.g. 6")
                edit.setMaximumWidth(edit.fontMetrics().averageCharWidth() * 16)
                self.widget = edit
            case _:
                self.widget = QLineEdit(default)
        self.widget.setObjectName(f"option_{option.key}")

    @property
    def label(self) -> str:
        """The form label ("" for a check box, which carries its own)."""
        return "" if self.option.kind is OptionKind.YES_NO else self.option.label

    def connect(self, slot: Callable[..., object]) -> None:
        """Call `slot` whenever the value changes."""
        widget = self.widget
        if isinstance(widget, QDateEdit):
            widget.dateChanged.connect(slot)
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(slot)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(slot)
        elif isinstance(widget, QLineEdit):
            widget.textChanged.connect(slot)

    @property
    def value(self) -> str:
        """The value as the services take it."""
        widget = self.widget
        if isinstance(widget, QDateEdit):
            return py_date(widget.date()).isoformat()
        if isinstance(widget, QCheckBox):
            return "yes" if widget.isChecked() else "no"
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        if isinstance(widget, QLineEdit):
            return widget.text().strip()
        return ""

    def set_notes(self, notes: list[Note] | None) -> None:
        """Offer these session notes, the latest chosen (session-note choices only).

        None means they could not be read: the template then takes the latest.
        """
        combo = self.widget
        if not isinstance(combo, QComboBox):
            return
        combo.blockSignals(True)
        combo.clear()
        if notes is None:
            combo.addItem("The latest session note", "")
        for note in notes or ():
            combo.addItem(note_choice(note), str(note.id))
            combo.setItemData(combo.count() - 1, note.text[:500], Qt.ItemDataRole.ToolTipRole)
        if notes == []:
            combo.addItem("No session notes yet: the summary will say so", "")
        combo.setCurrentIndex(0)
        combo.setEnabled(bool(notes))
        combo.blockSignals(False)


class TypeForm(QWidget):
    """The choices of one document type, each with its error under it.

    Args:
        kind: the document type.
        today: the day relative default dates are counted from.
        parent: the owning widget.

    Signals:
        changed: a value changed.
    """

    changed = Signal()

    def __init__(self, kind: DocType, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.errors = FieldErrors()
        self.fields = [OptionField(option, today) for option in kind.options]
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        line_height = QLineEdit().sizeHint().height()
        for field in self.fields:
            hint = None
            if field.option.kind is OptionKind.SESSION_NOTE:
                hint = "The summary covers this session; the latest is chosen for you."
            block = self.errors.add(field.option.key, field.widget, hint)
            label = QLabel(field.label)
            label.setBuddy(field.widget)
            label.setMinimumHeight(line_height)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            form.addRow(label, block)
            field.connect(lambda *_args: self.changed.emit())
        if not self.fields:
            form.addRow(muted("Nothing to choose: it is made from the client's record."))

    def values(self) -> dict[str, str]:
        """Every choice's value."""
        return {field.option.key: field.value for field in self.fields}

    def field(self, key: str) -> OptionField:
        """The choice called `key`."""
        return next(f for f in self.fields if f.option.key == key)

    def set_notes(self, notes: list[Note] | None) -> None:
        """Offer the client's session notes where the type asks for one (None: unknown)."""
        for field in self.fields:
            field.set_notes(notes)


# The dialog --------------------------------------------------------------------------------


class NewDocumentDialog(QDialog):
    """Make a document for a client: choose the type and its details, see it, create it.

    The preview is made on the db lane with the template in use and the
    client's record, a moment after the last change; nothing is stored until
    Create. Locking the vault closes the form.

    Args:
        ops: the vault operations.
        client: the client the document is for.
        key: the document type chosen at first (the first type when None).
        parent: the owning widget.

    Signals:
        created: the DocumentInfo of the document made.
    """

    created = Signal(object)

    def __init__(
        self,
        ops: VaultOps,
        client: Client,
        key: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._client_id = client.id
        self._client_name = client.display_name
        self._today = date.today()
        self._creating = False
        self._previewing = False
        self._shown: tuple[str, tuple[tuple[str, str], ...], int] | None = None
        self.setWindowTitle("New document")
        self.setObjectName("newDocumentDialog")

        self.types = QListWidget()
        self.types.setObjectName("documentTypes")
        self.types.setSpacing(2)
        self.forms = QStackedWidget()
        self._forms: dict[str, TypeForm] = {}
        for kind in DOC_TYPES:
            item = QListWidgetItem(kind.name)
            item.setData(Qt.ItemDataRole.UserRole, kind.key)
            item.setToolTip(kind.description)
            item.setSizeHint(QSize(0, self.fontMetrics().height() + 14))
            self.types.addItem(item)
            form = TypeForm(kind, self._today)
            form.changed.connect(self._on_option_changed)
            self._forms[kind.key] = form
            self.forms.addWidget(form)
        rows = len(DOC_TYPES)
        self.types.setFixedHeight(rows * (self.fontMetrics().height() + 18) + 6)
        self.description = muted()
        self.description.setObjectName("typeDescription")

        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(8)
        left.addWidget(heading("Type", 2))
        left.addWidget(self.types)
        left.addWidget(self.description)
        left.addSpacing(10)
        left.addWidget(heading("Details", 2))
        left.addWidget(self.forms)
        left.addStretch(1)
        left_panel = QWidget()
        left_panel.setLayout(left)
        left_panel.setFixedWidth(380)

        self.preview = PreviewView()
        self.preview.setObjectName("documentPreview")
        self.preview.width_changed.connect(lambda _width: self._request_preview())
        self.preview_busy = busy_bar()
        self.preview_busy.setVisible(False)
        self.preview_caption = muted(wrap=True)
        self.preview_caption.setObjectName("previewCaption")
        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(heading("Preview", 2))
        right.addWidget(self.preview, 1)
        right.addWidget(self.preview_busy)
        right.addWidget(self.preview_caption)

        body = QHBoxLayout()
        body.setSpacing(24)
        body.addWidget(left_panel)
        body.addLayout(right, 1)

        self.error = error_label()
        self.error.setObjectName("dialogError")
        self.busy = busy_bar()
        self.busy.setVisible(False)
        self.buttons, self.create_button, self.cancel_button = dialog_buttons("Create", "Cancel")
        self.create_button.clicked.connect(self._on_create_clicked)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(heading(f"New document for {client.display_name}", 4))
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._request_preview)

        self.types.currentRowChanged.connect(self._on_type_changed)
        first = next((i for i, k in enumerate(DOC_TYPES) if k.key == key), 0)
        self.types.setCurrentRow(first)
        fit_to_screen(self, 1100, 700)
        ops.closed.connect(self._on_vault_closed)
        client_id = client.id
        self._ops.run(
            lambda vault: session_notes(vault, client_id),
            on_done=self._on_notes_loaded,
            on_error=self._on_notes_failed,
            owner=self,
            context="reading the client's session notes",
        )

    # State -------------------------------------------------------------------

    @property
    def key(self) -> str:
        """The document type chosen."""
        return str(self.types.currentItem().data(Qt.ItemDataRole.UserRole))

    @property
    def kind(self) -> DocType:
        """The document type chosen, with its choices."""
        return doc_type(self.key)

    @property
    def form(self) -> TypeForm:
        """The choices of the type chosen."""
        return self._forms[self.key]

    @property
    def is_previewing(self) -> bool:
        """Whether a preview is being made."""
        return self._previewing

    def choose_type(self, key: str) -> None:
        """Choose a document type by key ("progress_report", …)."""
        row = next(i for i, k in enumerate(DOC_TYPES) if k.key == key)
        self.types.setCurrentRow(row)

    def _request(self) -> tuple[str, tuple[tuple[str, str], ...], int]:
        return self.key, tuple(sorted(self.form.values().items())), self.preview.page_width()

    def _checked_values(self) -> dict[str, str] | None:
        """The choices, or None (with the errors shown) when one is not right."""
        values = self.form.values()
        try:
            self.kind.resolve_options(values, self._today)
        except ValidationError as exc:
            self.form.errors.show(exc.errors)
            return None
        self.form.errors.clear()
        return values

    # Preview -----------------------------------------------------------------

    @Slot()
    def _request_preview(self) -> None:
        if self._previewing:
            return  # asked again once the one on its way is back
        if not self.isVisible():
            return
        values = self._checked_values()
        if values is None:
            self.preview.set_message("Fix the choice marked in red to see the preview.")
            self.preview_caption.clear()
            return
        request = self._request()
        key, _options, width = request
        client_id = self._client_id
        self._previewing = True
        self.preview_busy.setVisible(True)
        if not self.preview.page_count:
            self.preview.set_message("Making the preview…")
        job = self._ops.run(
            lambda vault: preview_pages(vault, key, client_id, values, width),
            on_done=lambda preview: self._on_preview_ready(request, preview),
            on_error=lambda failure: self._on_preview_failed(request, failure),
            owner=self,
            context="previewing a document",
        )
        if job is None:
            self._previewing = False
            self.preview_busy.setVisible(False)

    def _preview_finished(self, request: tuple[str, tuple[tuple[str, str], ...], int]) -> bool:
        """Whether the result of `request` is still what the form asks for (else ask again)."""
        self._previewing = False
        self.preview_busy.setVisible(False)
        if request == self._request():
            return True
        if not self._timer.isActive():
            self._request_preview()
        return False

    def _on_preview_ready(
        self, request: tuple[str, tuple[tuple[str, str], ...], int], preview: Preview
    ) -> None:
        if not self._preview_finished(request):
            return
        self._shown = request
        self.preview.set_pages(preview.pages)
        self.preview.rendered_width = request[2]
        pages = len(preview.pages)
        self.preview_caption.setText(
            f"Filled in from {self._client_name}'s record, {pages} "
            f"{'page' if pages == 1 else 'pages'} · {self.kind.name} template, "
            f"version {preview.template_version}. Nothing is saved until you choose Create."
        )

    def _on_preview_failed(
        self, request: tuple[str, tuple[tuple[str, str], ...], int], failure: Failure
    ) -> None:
        if not self._preview_finished(request):
            return
        self._shown = None
        self.preview_caption.clear()
        problem = template_problem(self.kind.name, failure)
        if problem is not None:
            self.preview.set_message(problem)
        elif isinstance(failure.error, ValidationError):
            self.form.errors.show(failure.error.errors)
            self.preview.set_message("Fix the choice marked in red to see the preview.")
        elif failure.known:
            self.preview.set_message(failure.message)
        else:
            where = f" The details are in {failure.log_path}." if failure.log_path else ""
            self.preview.set_message(f"The preview could not be made.{where}")

    # Slots -------------------------------------------------------------------

    @Slot(int)
    def _on_type_changed(self, row: int) -> None:
        if row < 0:
            return
        kind = DOC_TYPES[row]
        self.forms.setCurrentWidget(self._forms[kind.key])
        self.description.setText(kind.description)
        set_message(self.error, None)
        self.preview.set_message("Making the preview…")
        self.preview_caption.clear()
        self._timer.start(0 if self._shown is None else PREVIEW_DELAY_MS)

    @Slot()
    def _on_option_changed(self) -> None:
        set_message(self.error, None)
        self._timer.start()

    @Slot(object)
    def _on_notes_loaded(self, notes: list[Note]) -> None:
        for form in self._forms.values():
            form.set_notes(notes)

    @Slot(object)
    def _on_notes_failed(self, failure: Failure) -> None:
        for form in self._forms.values():
            form.set_notes(None)

    def _set_creating(self, creating: bool) -> None:
        self._creating = creating
        self.create_button.setEnabled(not creating)
        self.create_button.setText("Creating…" if creating else "Create")
        self.busy.setVisible(creating)
        self.types.setEnabled(not creating)
        self.forms.setEnabled(not creating)

    @Slot()
    def _on_create_clicked(self) -> None:
        if self._creating:
            return
        set_message(self.error, None)
        values = self._checked_values()
        if values is None:
            return
        client_id, key = self._client_id, self.key
        self._set_creating(True)
        job = self._ops.run(
            lambda vault: create_document(vault, client_id, key, values),
            on_done=self._on_created,
            on_error=self._on_create_failed,
            changes="documents",
            owner=self,
            context="making a document",
        )
        if job is None:
            self._set_creating(False)

    @Slot(object)
    def _on_created(self, info: DocumentInfo) -> None:
        self._set_creating(False)
        self.created.emit(info)
        self.accept()

    @Slot(object)
    def _on_create_failed(self, failure: Failure) -> None:
        self._set_creating(False)
        problem = template_problem(self.kind.name, failure)
        if problem is not None:
            set_message(self.error, problem)
        elif isinstance(failure.error, ValidationError):
            rest = self.form.errors.show(failure.error.errors)
            set_message(self.error, " ".join(rest.values()) if rest else None)
        elif failure.known:
            set_message(self.error, failure.message)
        else:
            show_failure(self, failure)

    @Slot()
    def _on_vault_closed(self) -> None:
        self.done(QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        """Cancel (not while the document is being made)."""
        if not self._creating:
            super().reject()

    def done(self, result: int) -> None:
        """Close, and make no more previews."""
        self._timer.stop()
        super().done(result)

    def showEvent(self, event: QShowEvent) -> None:
        """Make the first preview once the form has its size."""
        super().showEvent(event)
        if self._shown is None and not self._previewing:
            self._timer.start(0)
