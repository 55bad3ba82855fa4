"""The note form (discovery call, session, general) and the history of a note's edits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.crm import Note, NoteDraft, NoteKind, NoteVersion
from coachdesk.ui.dialogs.record_editor import (
    RecordEditor,
    date_edit,
    py_date,
    qdate,
    saved_text,
)
from coachdesk.ui.models.crm_lists import day_text
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    heading,
    muted,
)

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

THEME_STYLE = "background-color: #e3f2fd; color: #0d47a1;"
BLOCKER_STYLE = "background-color: #fff3e0; color: #e65100;"


def save_note(vault: Vault, client_id: int, note_id: int | None, draft: NoteDraft) -> Note:
    """Db lane: write a new note, or save an edit (the old text is kept as a version)."""
    from coachdesk.services import crm

    if note_id is None:
        return crm.add_note(vault, client_id, draft)
    return crm.edit_note(vault, note_id, draft)


def note_history(vault: Vault, note_id: int) -> list[NoteVersion]:
    """Db lane: a note's earlier versions, newest first."""
    from coachdesk.services import crm

    return crm.note_history(vault, note_id)


def split_list(text: str) -> tuple[str, ...]:
    """ "a, b; c" → ("a", "b", "c")."""
    return tuple(part.strip() for part in text.replace(";", ",").split(",") if part.strip())


def chips(values: Iterable[str], style: str) -> str:
    """Values as small coloured labels in rich text."""
    return " ".join(f"<span style='{style}'>&nbsp;{escape(value)}&nbsp;</span>" for value in values)


def note_html(
    kind: NoteKind,
    occurred_on: date,
    text: str,
    themes: tuple[str, ...],
    blockers: tuple[str, ...],
    caption: str = "",
) -> str:
    """A note (or one of its versions) as rich text for reading."""
    parts = [f"<p><b>{escape(kind.label)}</b> · {escape(day_text(occurred_on))}"]
    if caption:
        parts.append(f"<br><span style='color: gray'>{escape(caption)}</span>")
    parts.append("</p>")
    if themes:
        parts.append(f"<p>Themes: {chips(themes, THEME_STYLE)}</p>")
    if blockers:
        parts.append(f"<p>Blockers: {chips(blockers, BLOCKER_STYLE)}</p>")
    body = escape(text).replace("\n", "<br>")
    parts.append(f"<p>{body}</p>")
    return "".join(parts)


class NoteEditor(RecordEditor):
    """A note's type, date, text, themes and blockers.

    Saving an edit keeps the previous text in the note's history.

    Args:
        ops: the vault operations.
        client_id: whose note it is.
        note: the note to edit, or None for a new one.
        kind: the type a new note starts with.
        parent: the owning widget.

    Signals:
        saved: the stored Note.
    """

    def __init__(
        self,
        ops: VaultOps,
        client_id: int,
        note: Note | None = None,
        kind: NoteKind = NoteKind.SESSION,
        parent: QWidget | None = None,
    ) -> None:
        title = "New note" if note is None else f"{note.kind.label} note"
        primary = "Add note" if note is None else "Save"
        context = "adding a note" if note is None else "saving a note"
        super().__init__(ops, title, primary, context, parent)
        self.client_id = client_id
        self.note = note
        self.history: NoteHistoryDialog | None = None
        self.setMinimumWidth(640)

        self.kind = QComboBox()
        for each in NoteKind:
            self.kind.addItem(each.label, each.value)
        self.occurred_on = date_edit()
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("What was said, what was agreed, what to remember")
        self.text.setMinimumHeight(220)
        self.themes = QLineEdit()
        self.themes.setPlaceholderText("Comma-separated, e.g. confidence, salary talk")
        self.blockers = QLineEdit()
        self.blockers.setPlaceholderText("What stands in the way, comma-separated")

        self.add_field("&Type:", "kind", self.kind)
        self.add_field("&Date:", "occurred_on", self.occurred_on)
        self.add_field("&Note:", "text", self.text)
        self.add_field("T&hemes:", "themes", self.themes)
        self.add_field("&Blockers:", "blockers", self.blockers)

        if note is not None:
            self.set_draft(note.draft())
            versions = "no earlier versions yet" if note.version == 1 else "earlier versions kept"
            self.version_label = muted(
                f"Version {note.version}, saved {saved_text(note.updated_at)} · {versions}. "
                "Saving keeps the current text in the note's history."
            )
            self.history_button = self.buttons.addButton(
                "History…", QDialogButtonBox.ButtonRole.ResetRole
            )
            self.history_button.setAutoDefault(False)
            self.history_button.setEnabled(note.version > 1)
            self.history_button.clicked.connect(self._on_history_clicked)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(1, self.version_label)
        else:
            self.kind.setCurrentIndex(max(0, self.kind.findData(NoteKind(kind).value)))
        self.finish_setup()
        self.text.setFocus()

    def set_draft(self, draft: NoteDraft) -> None:
        """Fill the form from a draft."""
        self.kind.setCurrentIndex(max(0, self.kind.findData(NoteKind(draft.kind).value)))
        self.occurred_on.setDate(qdate(draft.occurred_on))
        self.text.setPlainText(draft.text)
        self.themes.setText(", ".join(draft.themes))
        self.blockers.setText(", ".join(draft.blockers))

    def draft(self) -> NoteDraft:
        """What the form holds, as typed."""
        return NoteDraft(
            kind=NoteKind(self.kind.currentData()),
            occurred_on=py_date(self.occurred_on.date()),
            text=self.text.toPlainText(),
            themes=split_list(self.themes.text()),
            blockers=split_list(self.blockers.text()),
        )

    def snapshot(self) -> object:
        """The draft as typed."""
        return self.draft()

    def prepare(self) -> Callable[[Vault], object]:
        """Check the draft here (no database), then save it on the lane."""
        draft = self.draft().validated()
        client_id = self.client_id
        note_id = self.note.id if self.note is not None else None
        return lambda vault: save_note(vault, client_id, note_id, draft)

    @Slot()
    def _on_history_clicked(self) -> None:
        if self.note is None:
            return
        if self.history is None:
            self.history = NoteHistoryDialog(self._ops, self.note, self)
        self.history.open()


class NoteHistoryDialog(QDialog):
    """A note's earlier versions, read-only, newest first, each with the date it was saved.

    Args:
        ops: the vault operations (the versions load on the db lane).
        note: the note as it reads now.
        parent: the owning widget.

    Signals:
        loaded: the number of earlier versions, once they are shown.
    """

    loaded = Signal(int)

    def __init__(self, ops: VaultOps, note: Note, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.note = note
        self.versions: list[NoteVersion] = []
        self.setWindowTitle(f"History of a {note.kind.label.lower()} note")
        self.resize(760, 480)

        self.status = muted("Loading earlier versions…")
        self.list = QListWidget()
        self.list.setObjectName("noteVersions")
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.list.setMinimumWidth(220)
        self.list.setSpacing(3)
        self.reader = QTextBrowser()
        self.reader.setObjectName("versionText")
        self.reader.setOpenLinks(False)
        self.reader.document().setDocumentMargin(10)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(self.reader)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading("Note history", 4))
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)

        self._add_item(f"Current (version {note.version})\nSaved {saved_text(note.updated_at)}")
        self.list.setCurrentRow(0)
        ops.closed.connect(self._on_vault_closed)
        ops.run(
            lambda vault: note_history(vault, note.id),
            on_done=self._on_loaded,
            owner=self,
            context="loading a note's history",
        )

    def _add_item(self, text: str) -> None:
        QListWidgetItem(text, self.list)

    def version_texts(self) -> list[str]:
        """What the list shows, top to bottom."""
        return [self.list.item(row).text() for row in range(self.list.count())]

    @Slot(object)
    def _on_loaded(self, versions: list[NoteVersion]) -> None:
        self.versions = versions
        for version in versions:
            self._add_item(f"Version {version.version}\nSaved {saved_text(version.saved_at)}")
        if versions:
            self.status.setText(
                "Earlier versions are read-only. To bring old wording back, copy it "
                "from here into the note."
            )
        else:
            self.status.setText(
                "No earlier versions: this note has not been changed since it was written."
            )
        self.loaded.emit(len(versions))

    @Slot(int)
    def _on_row_changed(self, row: int) -> None:
        if row == 0:
            note = self.note
            self.reader.setHtml(
                note_html(note.kind, note.occurred_on, note.text, note.themes, note.blockers)
            )
        elif 0 < row <= len(self.versions):
            version = self.versions[row - 1]
            self.reader.setHtml(
                note_html(
                    version.kind,
                    version.occurred_on,
                    version.text,
                    version.themes,
                    version.blockers,
                    caption=f"Version {version.version}, saved {saved_text(version.saved_at)}",
                )
            )
        else:
            self.reader.clear()

    @Slot()
    def _on_vault_closed(self) -> None:
        self.reader.clear()
        self.list.clear()
        self.done(QDialog.DialogCode.Rejected)
