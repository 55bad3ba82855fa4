"""A template's saved versions: what changed since each one, and going back to one."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QTextBlockFormat, QTextCharFormat
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.documents import TemplateVersion, diff
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import to_local
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import busy_bar, error_label, heading, muted, set_message

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

ADDED_BACKGROUND = QColor("#e3f4e5")
ADDED_TEXT = QColor("#1b5e20")
REMOVED_BACKGROUND = QColor("#fde8e8")
REMOVED_TEXT = QColor("#b71c1c")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def template_history(vault: Vault, key: str) -> list[TemplateVersion]:
    """Db lane: every saved version of a template, newest first."""
    from coachdesk.services import documents

    return documents.template_history(vault, key)


def revert_template(vault: Vault, key: str, number: int) -> TemplateVersion:
    """Db lane: make version `number` the one in use again, as a new version."""
    from coachdesk.services import documents

    return documents.revert_template(vault, key, number)


def saved_when(version: TemplateVersion) -> str:
    """ "3 Nov 2026, 14:05" in this computer's zone."""
    local = to_local(version.created_at)
    return f"{local.day} {local:%b %Y, %H:%M}"


def confirm(
    parent: QWidget, title: str, text: str, action: str, on_yes: Callable[[], None]
) -> QMessageBox:
    """Ask before doing something (window-modal); `on_yes` runs only if `action` is clicked."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent
    )
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(yes)
    box.buttonClicked.connect(lambda button: on_yes() if button is yes else None)
    box.open()
    return box


def diff_kind(line: str) -> str:
    """ "added", "removed", "hunk", "header" or "same" for one unified-diff line."""
    if line.startswith(("+++", "---")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "added"
    if line.startswith("-"):
        return "removed"
    return "same"


class DiffView(QPlainTextEdit):
    """A unified diff in a monospace font: added lines green with "+", removed red with "-"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setUndoRedoEnabled(False)
        self.rows: list[tuple[str, str]] = []

    def show_diff(self, lines: list[str]) -> None:
        """Show these unified-diff lines (file headers left out: the caption names the versions)."""
        self.clear()
        self.rows = []
        cursor = self.textCursor()
        first = True
        for line in lines:
            kind = diff_kind(line)
            if kind == "header":
                continue
            block = QTextBlockFormat()
            chars = QTextCharFormat()
            text = line
            if kind == "added":
                block.setBackground(QBrush(ADDED_BACKGROUND))
                chars.setForeground(QBrush(ADDED_TEXT))
            elif kind == "removed":
                block.setBackground(QBrush(REMOVED_BACKGROUND))
                chars.setForeground(QBrush(REMOVED_TEXT))
            elif kind == "hunk":
                match = _HUNK.match(line)
                text = f"⋯ from line {match.group(1)}" if match else "⋯"
                chars.setForeground(QBrush(QColor("#6a737d")))
                block.setTopMargin(0 if first else 8)
            if first:
                cursor.setBlockFormat(block)
                cursor.setBlockCharFormat(chars)
                first = False
            else:
                cursor.insertBlock(block, chars)
            cursor.insertText(text, chars)
            self.rows.append((kind, text))
        self.moveCursor(self.textCursor().MoveOperation.Start)


class TemplateHistoryDialog(QDialog):
    """Every saved version of one template, newest first, with what changed and Revert.

    Selecting a version shows the changes from it to the version in use;
    Revert makes it the version in use again, as a new version (the history
    keeps everything).  Locking the vault closes the dialog.

    Args:
        ops: the vault operations.
        key: the template's key.
        title: what the coach calls the template.
        unsaved: whether the editor has unsaved changes (reverting discards them).
        parent: the owning widget.

    Signals:
        loaded: the number of versions, after each load.
        reverted: the new version in use (a TemplateVersion) after a revert.
    """

    loaded = Signal(int)
    reverted = Signal(object)

    def __init__(
        self,
        ops: VaultOps,
        key: str,
        title: str,
        unsaved: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._key = key
        self._title = title
        self._unsaved = unsaved
        self._busy = False
        self.versions: list[TemplateVersion] = []
        self.confirm_box: QMessageBox | None = None
        self.setWindowTitle(f"History of {title}")
        self.resize(900, 680)

        self.version_list = QTreeWidget()
        self.version_list.setObjectName("versionList")
        self.version_list.setHeaderLabels(["Version", "Saved", "How", "Note"])
        self.version_list.setRootIsDecorated(False)
        self.version_list.setUniformRowHeights(True)
        self.version_list.setStyleSheet("QTreeWidget::item { padding: 3px 0; }")
        self.version_list.setAlternatingRowColors(True)
        self.version_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.version_list.header()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        char = self.version_list.fontMetrics().averageCharWidth()
        for column, chars in enumerate((9, 19, 17)):
            self.version_list.setColumnWidth(column, chars * char)
        self.version_list.currentItemChanged.connect(self._on_version_selected)

        self.caption = muted()
        self.caption.setObjectName("diffCaption")
        self.diff_view = DiffView()
        self.diff_view.setObjectName("diffView")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(6)
        right_layout.addWidget(self.caption)
        right_layout.addWidget(self.diff_view, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.version_list)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([170, 400])

        self.error = error_label()
        self.error.setObjectName("historyError")
        self.busy = busy_bar()
        self.busy.setVisible(False)
        self.revert_button = QPushButton("Revert to this version…")
        self.revert_button.setObjectName("revertButton")
        self.revert_button.setToolTip(
            "Use the selected version again; it is saved as a new version, so nothing is lost"
        )
        self.revert_button.setAutoDefault(False)
        self.revert_button.clicked.connect(self._on_revert_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.revert_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading(f"History of “{title}”", 4))
        layout.addWidget(
            muted(
                "Every save is kept. Select a version to see what changed since then: lines "
                "marked + in green were added after it, lines marked - in red were taken out."
            )
        )
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addLayout(bottom)
        ops.closed.connect(self._on_vault_closed)
        self._update_buttons()
        self.load()

    def load(self) -> None:
        """Read the versions on the db lane."""
        key = self._key
        self._set_busy(True)
        job = self._ops.run(
            lambda vault: template_history(vault, key),
            on_done=self._on_loaded,
            on_error=self._on_failed,
            owner=self,
            context="loading the template's history",
        )
        if job is None:
            self._set_busy(False)

    def selected(self) -> TemplateVersion | None:
        """The version selected in the list."""
        item = self.version_list.currentItem()
        if item is None:
            return None
        number = item.data(0, Qt.ItemDataRole.UserRole)
        return next((v for v in self.versions if v.number == number), None)

    def select_version(self, number: int) -> None:
        """Select a version by its number (and show what changed since it)."""
        for row in range(self.version_list.topLevelItemCount()):
            item = self.version_list.topLevelItem(row)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == number:
                self.version_list.setCurrentItem(item)
                return

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy.setVisible(busy)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected()
        current = self.versions[0] if self.versions else None
        self.revert_button.setEnabled(
            not self._busy and chosen is not None and current is not None and chosen != current
        )

    @Slot(object)
    def _on_loaded(self, versions: list[TemplateVersion]) -> None:
        self._set_busy(False)
        self.versions = versions
        self.version_list.clear()
        for version in versions:
            number = f"{version.number}" + ("  (in use)" if version is versions[0] else "")
            item = QTreeWidgetItem(
                [number, saved_when(version), version.origin.label, version.note or "—"]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, version.number)
            item.setToolTip(3, version.note)
            self.version_list.addTopLevelItem(item)
        for column in range(3):
            self.version_list.resizeColumnToContents(column)
            width = self.version_list.columnWidth(column)
            self.version_list.setColumnWidth(column, width + 16)
        if versions:
            self.select_version(versions[1].number if len(versions) > 1 else versions[0].number)
        self.loaded.emit(len(versions))

    @Slot()
    def _on_version_selected(self, *_args: object) -> None:
        chosen = self.selected()
        set_message(self.error, None)
        self._update_buttons()
        if chosen is None or not self.versions:
            self.caption.clear()
            self.diff_view.show_diff([])
            return
        current = self.versions[0]
        if chosen == current:
            self.caption.setText(
                f"Version {current.number} is the one in use: documents are made with it."
            )
            self.diff_view.show_diff([])
            return
        lines = diff(chosen, current)
        if not lines:
            self.caption.setText(
                f"Version {chosen.number} has the same text as version {current.number}, "
                "the one in use."
            )
        else:
            self.caption.setText(
                f"What changed from version {chosen.number} to version {current.number} "
                "(the one in use):"
            )
        self.diff_view.show_diff(lines)

    @Slot()
    def _on_revert_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None or self._busy:
            return
        number = chosen.number
        text = (
            f"“{self._title}” goes back to the text of version {number}. It is saved as a "
            "new version, so every version stays in the history."
        )
        if self._unsaved:
            text += " Your unsaved changes in the editor are discarded."
        self.confirm_box = confirm(
            self,
            f"Revert to version {number}?",
            text,
            "Revert",
            lambda: self._revert(number),
        )

    def _revert(self, number: int) -> None:
        self.confirm_box = None
        key = self._key
        set_message(self.error, None)
        self._set_busy(True)
        job = self._ops.run(
            lambda vault: revert_template(vault, key, number),
            on_done=self._on_reverted,
            on_error=self._on_failed,
            changes="documents",
            owner=self,
            context="reverting the template",
        )
        if job is None:
            self._set_busy(False)

    @Slot(object)
    def _on_reverted(self, version: TemplateVersion) -> None:
        self._set_busy(False)
        self.reverted.emit(version)
        self.accept()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        from coachdesk.documents.sandbox import BrokenTemplateError

        self._set_busy(False)
        if isinstance(failure.error, BrokenTemplateError):
            set_message(
                self.error,
                f"This version cannot be used any more. {failure.message} "
                "Copy what you need from it into the editor instead, then save.",
            )
        elif failure.known:
            set_message(self.error, failure.message)
        else:
            show_failure(self, failure)

    @Slot()
    def _on_vault_closed(self) -> None:
        self.done(QDialog.DialogCode.Rejected)
