"""The Documents tab of a client's page: documents made for the client, to read, save and e-mail."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QHideEvent,
    QImage,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.documents.types import OptionKind, doc_type
from coachdesk.domain.clients import Client
from coachdesk.domain.documents import DocumentInfo, file_name
from coachdesk.domain.errors import NotFoundError
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.new_document import NewDocumentDialog
from coachdesk.ui.dialogs.record_editor import saved_text
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import RecordTable, day_text
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.pdf_view import PdfPreviewDialog, PreviewView
from coachdesk.ui.widgets import EmptyState, list_table, muted, save_folder, set_banner

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

FORMATS = {
    "pdf": ("PDF", "PDF documents (*.pdf)"),
    "docx": ("Word", "Word documents (*.docx)"),
}
PREVIEW_DELAY_MS = 150

T = TypeVar("T")


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class HandedOff:
    """An e-mail draft written for the mail client to open."""

    path: Path
    to: str
    subject: str


def list_documents(vault: Vault, client_id: int) -> list[DocumentInfo]:
    """Db lane: a client's documents, newest first."""
    from coachdesk.services import documents

    return documents.list_documents(vault, client_id)


def document_pages(vault: Vault, document_id: int, width: int) -> list[QImage]:
    """Db lane: a document's pages as images `width` pixels wide."""
    from coachdesk.services import documents
    from coachdesk.ui.pdf_view import render_pages

    return render_pages(documents.document_pdf(vault, document_id), width)


def make_again(vault: Vault, document_id: int) -> DocumentInfo:
    """Db lane: a new document like this one, from today's record and template."""
    from coachdesk.services import documents

    return documents.regenerate(vault, document_id)


def delete_document(vault: Vault, document_id: int) -> None:
    """Db lane: delete a document and its PDF."""
    from coachdesk.services import documents

    documents.delete_document(vault, document_id)


def save_document(vault: Vault, document_id: int, fmt: str, path: Path) -> Path:
    """Db lane: save a document as PDF or Word where the coach chose (whole or not at all)."""
    from coachdesk.services import documents

    return documents.export_document(vault, document_id, fmt, path)


def hand_off_email(vault: Vault, document_id: int) -> HandedOff:
    """Db lane: write the e-mail draft (PDF attached) where the mail client can open it."""
    from coachdesk.services import documents, handoff

    draft = documents.email_draft(vault, document_id)
    path = handoff.write(draft.file_name, draft.data)
    return HandedOff(path, draft.to, draft.subject)


# The list ---------------------------------------------------------------------------------


class DocumentModel(RecordTable):
    """A client's documents, newest first, as the services return them."""

    HEADERS = ("Document", "Type", "Made", "Template")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Title, type, when it was made (local time) and the template version."""
        info = self.document_at(index.row()) if index.isValid() else None
        if info is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                info.title,
                info.type_name,
                saved_text(info.created_at),
                f"v{info.template_version}",
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 3:
                return f"Made with version {info.template_version} of the {info.type_name} template"
            return tooltip(info)
        return None

    def set_documents(self, documents: Sequence[DocumentInfo]) -> None:
        """Show these documents."""
        self.set_rows(documents)

    def document_at(self, row: int) -> DocumentInfo | None:
        """The document shown in a row."""
        found: DocumentInfo | None = self.row_at(row)
        return found


def tooltip(info: DocumentInfo) -> str:
    """The document's title and the choices it was made with, in words."""
    lines = [
        info.title,
        f"Made {saved_text(info.created_at)} with template version {info.template_version}",
    ]
    kinds = {}
    with contextlib.suppress(NotFoundError):
        kinds = {option.key: option for option in doc_type(info.doc_type).options}
    for key, value in info.options:
        option = kinds.get(key)
        if option is None or not value or option.kind is OptionKind.SESSION_NOTE:
            continue
        if option.kind is OptionKind.DATE:
            with contextlib.suppress(ValueError):
                value = day_text(date.fromisoformat(value))
        lines.append(f"{option.label}: {value}")
    return "\n".join(lines)


# The big preview --------------------------------------------------------------------------


class DocumentPreviewDialog(PdfPreviewDialog):
    """A document at reading size, its pages rendered on the db lane.

    Args:
        ops: the vault operations.
        info: the document shown.
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, info: DocumentInfo, parent: QWidget | None = None) -> None:
        caption = (
            f"{info.type_name} · made {saved_text(info.created_at)} with template version "
            f"{info.template_version}"
        )
        document_id = info.id
        super().__init__(
            ops,
            info.title,
            caption,
            lambda vault, width: document_pages(vault, document_id, width),
            "document",
            parent,
        )
        self._info = info
        self.setObjectName("documentPreviewDialog")
        self.view.setObjectName("bigPreview")


# The tab ----------------------------------------------------------------------------------


class ClientDocuments(QWidget):
    """The documents made for one client, with a preview of the selected one.

    The client page reads the list on the db lane (`list_documents`) and hands
    it to `show_documents`; after a change of kind "documents" it reads it
    again. Everything the buttons do runs on the db lane.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
    """

    notice = Signal(str, object)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.client: Client | None = None
        self._wanted: int | None = None
        self._token = 0
        self._pane_shown: tuple[int, int] | None = None
        self._folder = ""
        self.new_dialog: NewDocumentDialog | None = None
        self.preview_dialog: DocumentPreviewDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.confirm_yes: QPushButton | None = None

        self.new_button = QPushButton("New document")
        self.new_button.setToolTip("Make a document for this client from their record")
        self.new_button.clicked.connect(lambda: self.new_document())
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("Read the selected document at full size (Enter)")
        self.preview_button.clicked.connect(self._on_preview_clicked)
        self.email_button = QPushButton("Email to client")
        self.email_button.setToolTip(
            "Open a draft e-mail in your mail app with the document attached, ready to send"
        )
        self.email_button.clicked.connect(self._on_email_clicked)
        self.save_pdf_button = QPushButton("Save as PDF…")
        self.save_pdf_button.clicked.connect(lambda: self._save_as("pdf"))
        self.save_word_button = QPushButton("Save as Word…")
        self.save_word_button.setToolTip("Save an editable copy (.docx) that Word and Pages open")
        self.save_word_button.clicked.connect(lambda: self._save_as("docx"))
        self.again_button = QPushButton("Make again")
        self.again_button.setToolTip(
            "Make a new copy from today's record and template (this one is kept)"
        )
        self.again_button.clicked.connect(self._on_make_again_clicked)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.count = muted(wrap=False)
        self.count.setObjectName("documentsCount")

        self.message = QLabel()
        self.message.setObjectName("documentsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)

        self.model = DocumentModel(self)
        table = self.table = QTableView()
        table.setObjectName("documentsTable")
        table.setModel(self.model)
        list_table(table)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        table.doubleClicked.connect(lambda _index: self._on_preview_clicked())
        table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        for keys, slot in (
            ((Qt.Key.Key_Return, Qt.Key.Key_Enter), self._on_preview_clicked),
            ((QKeySequence.StandardKey.Delete,), self._on_delete_clicked),
        ):
            action = QAction(table)
            action.setShortcuts([QKeySequence(key) for key in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            table.addAction(action)

        self.pane = PreviewView()
        self.pane.setObjectName("documentPane")
        self.pane.setMinimumWidth(320)
        self.pane.width_changed.connect(lambda _width: self._schedule_preview())
        self.caption = muted()
        self.caption.setObjectName("documentCaption")
        pane_box = QWidget()
        pane_layout = QVBoxLayout(pane_box)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.setSpacing(6)
        pane_layout.addWidget(self.pane, 1)
        pane_layout.addWidget(self.caption)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(table)
        splitter.addWidget(pane_box)
        splitter.setStretchFactor(0, 11)
        splitter.setStretchFactor(1, 9)
        splitter.setSizes([600, 460])
        splitter.setChildrenCollapsible(False)

        self.empty = EmptyState(
            "No documents yet",
            "Choose New document to make an intake form, plan, summary, report, proposal or "
            "certificate from this client's record.",
            "New document",
        )
        assert self.empty.button is not None
        self.empty.button.clicked.connect(lambda: self.new_document())
        self.list_page = splitter
        self.stack = QStackedWidget()
        self.stack.addWidget(splitter)
        self.stack.addWidget(self.empty)

        toolbar = QHBoxLayout()
        toolbar.setSpacing(6)
        toolbar.addWidget(self.new_button)
        toolbar.addSpacing(12)
        for button in (
            self.preview_button,
            self.email_button,
            self.save_pdf_button,
            self.save_word_button,
            self.again_button,
            self.delete_button,
        ):
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(toolbar)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._show_preview)
        ops.closed.connect(self.clear)
        self.clear()

    # Public API ----------------------------------------------------------------

    def set_client(self, client: Client) -> None:
        """Show documents for this client (the list comes with `show_documents`)."""
        if self.client is not None and self.client.id != client.id:
            self.clear()
        self.client = client
        self._update_buttons()

    def clear(self) -> None:
        """Forget the client and their documents; close any window opened from here."""
        self.client = None
        self._wanted = None
        self._token += 1
        self._pane_shown = None
        self._preview_timer.stop()
        for dialog in (self.new_dialog, self.preview_dialog, self.confirm_box):
            if dialog is not None:
                dialog.done(QDialog.DialogCode.Rejected)
        self.new_dialog = self.preview_dialog = None
        self.confirm_box = self.confirm_yes = None
        self.model.clear()
        self.stack.setCurrentIndex(0)
        self.count.clear()
        self.pane.set_message("")
        self.caption.clear()
        self.show_message(None)
        self._update_buttons()

    def show_documents(self, documents: Sequence[DocumentInfo]) -> None:
        """Show the client's documents (newest first), keeping or making a selection."""
        current = self.current_document()
        self.model.set_documents(documents)
        self.stack.setCurrentWidget(self.list_page if documents else self.empty)
        count = len(documents)
        self.count.setText(f"{count} {'document' if count == 1 else 'documents'}" if count else "")
        target = self._wanted if self._wanted is not None else (current.id if current else None)
        self._wanted = None
        row = self.model.row_of(target) if target is not None else -1
        if row < 0 and documents:
            row = 0
        if row >= 0:
            self.select_row(row)
        else:
            self._on_selection_changed()

    def select_document(self, document_id: int) -> bool:
        """Select a document in the list (now, or once the list shows it)."""
        row = self.model.row_of(document_id)
        if row < 0:
            self._wanted = document_id
            return False
        self.select_row(row)
        return True

    def select_row(self, row: int) -> None:
        """Select the document shown in a row."""
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            self.table.selectionModel().SelectionFlag.ClearAndSelect
            | self.table.selectionModel().SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def current_document(self) -> DocumentInfo | None:
        """The selected document."""
        if not self.table.selectionModel().hasSelection():
            return None
        return self.model.document_at(self.table.currentIndex().row())

    def show_message(self, text: str | None, error: bool = False) -> None:
        """Say something above the list (an error in red), or nothing."""
        set_banner(self.message, text, error)

    def new_document(self, key: str | None = None) -> None:
        """Open the New document form (the type `key` chosen, if given)."""
        client = self.client
        if client is None:
            return
        if self.new_dialog is not None:
            self.new_dialog.raise_()
            self.new_dialog.activateWindow()
            return
        self.show_message(None)
        dialog = NewDocumentDialog(self._ops, client, key, self)
        dialog.created.connect(self._on_created)
        dialog.finished.connect(lambda _result: self._on_new_finished(dialog))
        self.new_dialog = dialog
        dialog.open()

    def showEvent(self, event: QShowEvent) -> None:
        """Show the selected document's pages if they were not rendered while hidden."""
        super().showEvent(event)
        if self.current_document() is not None:
            self._schedule_preview()

    def hideEvent(self, event: QHideEvent) -> None:
        """Render nothing for a tab nobody sees."""
        super().hideEvent(event)
        self._preview_timer.stop()

    # Slots -------------------------------------------------------------------

    def _update_buttons(self) -> None:
        chosen = self.current_document() is not None
        for button in (
            self.preview_button,
            self.email_button,
            self.save_pdf_button,
            self.save_word_button,
            self.again_button,
            self.delete_button,
        ):
            button.setEnabled(chosen)
        self.new_button.setEnabled(self.client is not None)

    @Slot()
    def _on_selection_changed(self, *_args: object) -> None:
        self._update_buttons()
        self.show_message(None)
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        info = self.current_document()
        if info is None:
            self._token += 1
            self._pane_shown = None
            self.pane.set_message(
                "Select a document to see it here." if self.model.rowCount() else ""
            )
            self.caption.clear()
            return
        if self._pane_shown is None or self._pane_shown[0] != info.id:
            self.pane.set_message("Opening the document…")
            self.caption.clear()
        self._preview_timer.start()

    @Slot()
    def _show_preview(self) -> None:
        info = self.current_document()
        if info is None or not self.isVisible():
            return
        width = self.pane.page_width()
        if self._pane_shown == (info.id, width):
            return
        self._token += 1
        token, document_id = self._token, info.id
        self._ops.run(
            lambda vault: document_pages(vault, document_id, width),
            on_done=lambda pages: self._on_pages(token, info, width, pages),
            on_error=lambda failure: self._on_pages_failed(token, failure),
            owner=self,
            context="showing a document",
        )

    def _on_pages(self, token: int, info: DocumentInfo, width: int, pages: list[QImage]) -> None:
        if token != self._token:
            return
        self._pane_shown = (info.id, width)
        self.pane.set_pages(pages)
        self.pane.rendered_width = width
        count = len(pages)
        self.caption.setText(
            f"{info.type_name} · made {saved_text(info.created_at)} · template version "
            f"{info.template_version} · {count} {'page' if count == 1 else 'pages'}"
        )

    def _on_pages_failed(self, token: int, failure: Failure) -> None:
        if token != self._token:
            return
        self._pane_shown = None
        if isinstance(failure.error, NotFoundError):
            self.pane.set_message("This document was deleted.")
        elif failure.known:
            self.pane.set_message(failure.message)
        else:
            self.pane.set_message("The document could not be shown.")
            show_failure(self, failure)

    @Slot(object)
    def _on_created(self, info: DocumentInfo) -> None:
        self.select_document(info.id)
        self.notice.emit(f"Made “{info.title}”.", None)

    def _on_new_finished(self, dialog: NewDocumentDialog) -> None:
        if self.new_dialog is dialog:
            self.new_dialog = None
        delete_soon(dialog, self)

    @Slot()
    def _on_preview_clicked(self) -> None:
        info = self.current_document()
        if info is None:
            return
        if self.preview_dialog is not None:
            self.preview_dialog.done(QDialog.DialogCode.Rejected)
        dialog = DocumentPreviewDialog(self._ops, info, self)
        dialog.finished.connect(lambda _result: self._on_preview_finished(dialog))
        self.preview_dialog = dialog
        dialog.open()

    def _on_preview_finished(self, dialog: DocumentPreviewDialog) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None
        delete_soon(dialog, self)

    # E-mail ------------------------------------------------------------------

    def _run_on_current(
        self,
        button: QPushButton,
        fn: Callable[[Vault, int], T],
        on_done: Callable[[T], None],
        context: str,
        changes: str | None = None,
    ) -> None:
        """Run `fn(vault, id)` for the selected document, its button off until it is done."""
        info = self.current_document()
        if info is None:
            return
        self.show_message(None)
        button.setEnabled(False)
        document_id = info.id
        job = self._ops.run(
            lambda vault: fn(vault, document_id),
            on_done=on_done,
            on_error=self._on_action_failed,
            changes=changes,
            owner=self,
            context=context,
        )
        if job is None:
            self._update_buttons()

    @Slot()
    def _on_email_clicked(self) -> None:
        self._run_on_current(
            self.email_button, hand_off_email, self._on_email_ready, "preparing an e-mail draft"
        )

    @Slot(object)
    def _on_email_ready(self, draft: HandedOff) -> None:
        self._update_buttons()
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(draft.path)))
        if not opened:
            self.show_message(
                "Your computer has no mail app set up to open e-mail drafts (.eml files). "
                "Set a default mail app and try again, or use Save as PDF… and attach the "
                "file yourself.",
                error=True,
            )
            return
        if not draft.to:
            name = self.client.display_name if self.client else "This client"
            self.show_message(
                f"{name} has no e-mail address in CoachDesk, so the draft has no recipient: "
                "type the address in your mail app before sending. To keep it for next time, "
                "add it with Edit."
            )
        self.notice.emit("Opened a draft in your mail client.", None)

    # Saving ------------------------------------------------------------------

    def _save_as(self, fmt: str) -> None:
        info = self.current_document()
        if info is None:
            return
        self.show_message(None)
        label, name_filter = FORMATS[fmt]
        suggested = save_folder(self._folder) / file_name(info.title, fmt)
        chosen, _filter = QFileDialog.getSaveFileName(
            self, f"Save as {label}", str(suggested), name_filter
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(f"{path.name}.{fmt}")
        self._folder = str(path.parent)
        document_id = info.id
        self._ops.run(
            lambda vault: save_document(vault, document_id, fmt, path),
            on_done=lambda saved: self.notice.emit(
                f"Saved “{saved.name}” in {saved.parent}.", None
            ),
            on_error=self._on_action_failed,
            owner=self,
            context=f"saving a document as {label}",
        )

    # Make again and Delete -----------------------------------------------------

    @Slot()
    def _on_make_again_clicked(self) -> None:
        self._run_on_current(
            self.again_button,
            make_again,
            self._on_made_again,
            "making a document again",
            changes="documents",
        )

    @Slot(object)
    def _on_made_again(self, info: DocumentInfo) -> None:
        self._update_buttons()
        self.select_document(info.id)
        self.notice.emit(
            f"Made “{info.title}” again from today's record (template version "
            f"{info.template_version}). The earlier copy is still in the list.",
            None,
        )

    @Slot()
    def _on_delete_clicked(self) -> None:
        info = self.current_document()
        if info is None or self.confirm_box is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete?",
            f"Delete “{info.title}”, made {saved_text(info.created_at)}?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            "It is removed from CoachDesk. Copies you saved or e-mailed are not affected. "
            "This cannot be undone."
        )
        yes = box.addButton("Delete document", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _result: self._on_confirm_finished(box, yes, info))
        self.confirm_box, self.confirm_yes = box, yes
        box.open()

    def _on_confirm_finished(self, box: QMessageBox, yes: QPushButton, info: DocumentInfo) -> None:
        if self.confirm_box is not box:
            return
        self.confirm_box = self.confirm_yes = None
        confirmed = box.clickedButton() is yes
        delete_soon(box, self)
        if not confirmed:
            return
        document_id = info.id
        self._ops.run(
            lambda vault: delete_document(vault, document_id),
            on_done=lambda _none: self.notice.emit(f"Deleted “{info.title}”.", None),
            on_error=self._on_action_failed,
            changes="documents",
            owner=self,
            context="deleting a document",
        )

    @Slot(object)
    def _on_action_failed(self, failure: Failure) -> None:
        self._update_buttons()
        if failure.known:
            self.show_message(failure.inline_text, error=True)
        else:
            show_failure(self, failure)
