"""Compliance: consent wording, the AI policy and its disclosure, retention, backups and records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.compliance import (
    AiPolicy,
    AiTask,
    Category,
    Notice,
    Purpose,
    RetentionPlan,
    describe_months,
)
from coachdesk.domain.errors import ValidationError
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.lanes import Failure, Job
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.pdf_view import PdfPreviewDialog
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    OK_COLOR,
    EmptyState,
    button_row,
    dialog_buttons,
    error_label,
    heading,
    list_table,
    muted,
    save_folder,
    scrolling,
    separator,
    set_banner,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.backups import BackupCheck, BackupInfo, BackupRecord
    from coachdesk.services.compliance import RetentionResult
    from coachdesk.services.privacy import BackupHold
    from coachdesk.store.vault import Vault

T = TypeVar("T")

SCHEDULES = (("Every day", "daily"), ("Every week", "weekly"), ("Never (only when I ask)", "off"))
NO_FOLDER = "No backups yet: choose a folder, ideally on an external drive or a synced folder."
RESTORE_HINT = (
    "To restore, use <b>Restore from a backup…</b> on the start screen, or "
    "<code>coachdesk restore FILE</code>."
)
# What a retention run changes besides the rules themselves, so those views reload too.
RETENTION_KINDS = {
    Category.NOTES: "crm",
    Category.TRANSCRIPTS: "crm",
    Category.DOCUMENTS: "documents",
    Category.INVOICES: "billing",
    Category.LEADS: "clients",
}
NOUNS = {
    Category.NOTES: ("note", "notes"),
    Category.TRANSCRIPTS: ("transcript", "transcripts"),
    Category.DOCUMENTS: ("document", "documents"),
    Category.INVOICES: ("invoice", "invoices"),
    Category.LEADS: ("lead", "leads"),
    Category.AUDIT: ("audit entry", "audit entries"),
    Category.BACKUPS: ("backup", "backups"),
}


# Words ----------------------------------------------------------------------------------


def local_time(value: datetime) -> str:
    """A stored (naive UTC) time in this computer's zone: "3 Mar 2026, 14:05"."""
    local = value.replace(tzinfo=UTC).astimezone()
    return f"{local.day} {local:%b %Y, %H:%M}"


def day_words(day: date | None, never: str = "for ever") -> str:
    """ "3 Mar 2026", or `never` for no date."""
    return never if day is None else f"{day.day} {day:%b %Y}"


def size_text(size: int) -> str:
    """ "820 KB", "2.4 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024)):,} KB"
    if size < 1024**3:
        return f"{size / 1024**2:.1f} MB"
    return f"{size / 1024**3:.2f} GB"


def counted(category: Category, count: int) -> str:
    """ "1 note", "12 audit entries"."""
    one, many = NOUNS[category]
    return f"{count:,} {one if count == 1 else many}"


def removal_summary(counts: dict[Category, int]) -> str:
    """ "2 notes, 1 lead and 40 audit entries" (categories with nothing are left out)."""
    parts = [counted(c, n) for c, n in counts.items() if n]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def clients_agreed(count: int) -> str:
    """How many clients' consent stands, in words."""
    if count == 0:
        return "No client has agreed yet (record consent on the client's page)"
    return f"{count:,} client{'s' if count != 1 else ''} agreed (consent stands today)"


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class ComplianceData:
    """Everything the Compliance area shows, read in one go."""

    notices: list[Notice]
    consents: dict[Purpose, int]
    policy: AiPolicy
    rules: dict[Category, int]
    last_run: RetentionResult | None
    backups: list[BackupRecord]
    folder: str
    every: str
    erasures: list[tuple[int, datetime, tuple[BackupHold, ...]]]


def load_compliance(vault: Vault) -> ComplianceData:
    """Db lane: notices, consent counts, AI policy, retention, backups and erasures."""
    from coachdesk.services import backups, compliance, privacy, vault_settings
    from coachdesk.settings import BACKUP_EVERY, BACKUP_FOLDER

    return ComplianceData(
        compliance.notices(vault),
        compliance.consent_counts(vault),
        compliance.ai_policy(vault),
        compliance.retention_rules(vault),
        compliance.last_retention_run(vault),
        backups.list_backups(vault),
        str(vault_settings.get(vault, BACKUP_FOLDER)),
        str(vault_settings.get(vault, BACKUP_EVERY)),
        privacy.erasures(vault),
    )


def save_notice(vault: Vault, purpose: Purpose, text: str) -> Notice:
    """Db lane: reword a notice (a new version)."""
    from coachdesk.services import compliance

    return compliance.save_notice(vault, purpose, text)


def save_policy(vault: Vault, policy: AiPolicy) -> AiPolicy:
    """Db lane: put an edited AI policy in force (the next version)."""
    from coachdesk.services import compliance

    return compliance.save_ai_policy(vault, policy)


def save_rules(vault: Vault, changed: dict[Category, int]) -> None:
    """Db lane: change how long each category in `changed` is kept."""
    from coachdesk.services import compliance

    for category, months in changed.items():
        compliance.set_retention_rule(vault, category, months)


def preview_retention(vault: Vault) -> RetentionPlan:
    """Db lane: exactly what a run today would remove."""
    from coachdesk.services import compliance

    return compliance.plan_retention(vault)


def apply_retention(vault: Vault, plan: RetentionPlan) -> RetentionResult:
    """Db lane: remove what `plan` listed (and still falls under the rules)."""
    from coachdesk.services import compliance

    return compliance.apply_retention(vault, plan)


def save_backup_setting(vault: Vault, name: str, value: str) -> None:
    """Db lane: store the backup folder ("folder") or schedule ("every")."""
    from coachdesk.services import backups, vault_settings
    from coachdesk.settings import BACKUP_EVERY

    if name == "folder":
        backups.set_backup_folder(vault, Path(value))
    else:
        vault_settings.put(vault, BACKUP_EVERY, value)


def take_backup(vault: Vault, job: Job[BackupInfo], folder: Path) -> BackupInfo:
    """Db lane: write a backup into `folder`, with progress; stops when the coach cancels."""
    from coachdesk.services import backups

    def progress(done: int, total: int, _what: str) -> bool:
        job.report_progress(done, total)
        return not job.is_cancelled

    return backups.create_backup(vault, folder, progress=progress)


def check_backup(path: Path, passphrase: str | None) -> BackupCheck:
    """Db lane: verify a backup file (checksums only without a passphrase)."""
    from coachdesk.services import backups

    return backups.verify_backup(path, passphrase)


def disclosure_pages(vault: Vault, width: int) -> list[QImage]:
    """Db lane: the client-facing AI disclosure's pages as images."""
    from coachdesk.services import compliance_docs
    from coachdesk.ui.pdf_view import render_pages

    return render_pages(compliance_docs.ai_disclosure_pdf(vault), width)


def disclosure_text(vault: Vault) -> str:
    """Db lane: the AI disclosure as plain text (for an e-mail or a website)."""
    from coachdesk.services import compliance_docs

    return compliance_docs.ai_disclosure_text(vault)


def records_pages(vault: Vault, width: int) -> list[QImage]:
    """Db lane: the records of processing document's pages as images."""
    from coachdesk.services import compliance_docs
    from coachdesk.ui.pdf_view import render_pages

    return render_pages(compliance_docs.records_of_processing_pdf(vault), width)


def save_pdf(vault: Vault, which: str, path: Path) -> Path:
    """Db lane: write the "disclosure" or "records" PDF where the coach chose."""
    from coachdesk.services import compliance_docs, files

    make = (
        compliance_docs.ai_disclosure_pdf
        if which == "disclosure"
        else compliance_docs.records_of_processing_pdf
    )
    return files.write_file(path, make(vault))


# Small pieces -----------------------------------------------------------------------------


def _page() -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(4, 12, 12, 12)
    layout.setSpacing(10)
    return page, layout


def _banner() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def _section(text: str) -> QLabel:
    return heading(text, 2)


def _status(label: QLabel, text: str | None, ok: bool) -> None:
    label.setStyleSheet(f"color: {OK_COLOR if ok else ERROR_COLOR};")
    set_message(label, text)


def _pdf_path(parent: QWidget, folder: str, name: str) -> Path | None:
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, "Save as PDF", str(save_folder(folder) / name), "PDF documents (*.pdf)"
    )
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() == ".pdf" else path.with_name(f"{path.name}.pdf")


class _Tab(QWidget):
    """A tab that runs its actions on the db lane and says what went wrong in its banner.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar.
    """

    notice = Signal(str, object)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.banner = _banner()
        self.banner.setObjectName("tabMessage")

    def show_message(self, text: str | None, error: bool = False) -> None:
        """Say something at the top of the tab (an error in red), or nothing."""
        set_banner(self.banner, text, error)

    def _run(
        self,
        fn: Callable[[Vault], T],
        on_done: Callable[[T], None],
        context: str,
        changes: str | None = None,
        on_error: Callable[[Failure], None] | None = None,
    ) -> None:
        self.show_message(None)
        self._ops.run(
            fn,
            on_done=on_done,
            on_error=on_error or self._on_failed,
            changes=changes,
            owner=self,
            context=context,
        )

    def _on_failed(self, failure: Failure) -> None:
        self.show_message(
            failure.inline_text
            if failure.known
            else f"Something went wrong while {failure.context}. Please try again.",
            error=True,
        )

    def _preview(
        self, title: str, caption: str, pages: Callable[[Vault, int], list[QImage]]
    ) -> PdfPreviewDialog:
        dialog = PdfPreviewDialog(self._ops, title, caption, pages, "document", self)
        dialog.finished.connect(lambda _result: delete_soon(dialog, self))
        dialog.open()
        return dialog


# Consent notices ---------------------------------------------------------------------------


class NoticeDialog(QDialog):
    """Reword one consent notice; saving makes a new version.

    Args:
        ops: the vault operations.
        notice: the wording in force.
        parent: the owning widget.

    Signals:
        saved: the new Notice.
    """

    saved = Signal(object)

    def __init__(self, ops: VaultOps, notice: Notice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._purpose = notice.purpose
        self.setWindowTitle("Edit consent wording")
        self.text_edit = QPlainTextEdit(notice.text)
        self.text_edit.setAccessibleName("Wording")
        self.text_edit.setTabChangesFocus(True)
        self.error = error_label()
        box, self.save_button, _cancel = dialog_buttons("Save as a new version", "Cancel")
        box.accepted.connect(self._on_save_clicked)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addWidget(heading(notice.purpose.label, 3))
        layout.addWidget(
            muted(
                f"This is version {notice.version}. Saving makes version {notice.version + 1}: "
                "new consents use it, and clients who agreed to an earlier wording keep that "
                "version on record."
            )
        )
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(self.error)
        layout.addWidget(box)
        self.resize(560, 360)
        ops.closed.connect(self.reject)

    @Slot()
    def _on_save_clicked(self) -> None:
        purpose, text = self._purpose, self.text_edit.toPlainText()
        set_message(self.error, None)
        self.save_button.setEnabled(False)
        self._ops.run(
            lambda vault: save_notice(vault, purpose, text),
            on_done=self._on_saved,
            on_error=self._on_failed,
            changes="compliance",
            owner=self,
            context="saving the consent wording",
        )

    def _on_saved(self, notice: Notice) -> None:
        self.saved.emit(notice)
        self.accept()

    def _on_failed(self, failure: Failure) -> None:
        self.save_button.setEnabled(True)
        set_message(self.error, failure.inline_text)


class NoticesTab(_Tab):
    """The wording in force for each purpose, with how many clients' consent stands.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._notices: dict[Purpose, Notice] = {}
        self.dialog: NoticeDialog | None = None
        self.titles: dict[Purpose, QLabel] = {}
        self.texts: dict[Purpose, QLabel] = {}
        self.counts: dict[Purpose, QLabel] = {}
        self.edit_buttons: dict[Purpose, QPushButton] = {}
        page, layout = _page()
        layout.addWidget(self.banner)
        layout.addWidget(
            muted(
                "The words each client agrees to, for each purpose. If you change the wording, "
                "clients who agreed to an earlier wording keep that version on record; new "
                "consents are given against the new one."
            )
        )
        for purpose in Purpose:
            card = QFrame()
            card.setFrameShape(QFrame.Shape.StyledPanel)
            card_layout = QVBoxLayout(card)
            card_layout.setContentsMargins(12, 10, 12, 10)
            card_layout.setSpacing(4)
            title = self.titles[purpose] = _section(purpose.label)
            count = self.counts[purpose] = muted()
            text = self.texts[purpose] = QLabel()
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = self.edit_buttons[purpose] = QPushButton("Edit wording…")
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, p=purpose: self.edit(p))
            card_layout.addWidget(title)
            card_layout.addWidget(count)
            card_layout.addSpacing(4)
            card_layout.addWidget(text)
            card_layout.addLayout(button_row(button))
            layout.addWidget(card)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(page))

    def set_data(self, notices: list[Notice], consents: dict[Purpose, int]) -> None:
        """Show the wording in force and the consent counts."""
        self._notices = {n.purpose: n for n in notices}
        for purpose in Purpose:
            notice = self._notices.get(purpose)
            if notice is None:
                continue
            self.titles[purpose].setText(f"{purpose.label} · version {notice.version}")
            self.texts[purpose].setText(notice.text)
            self.counts[purpose].setText(clients_agreed(consents.get(purpose, 0)))
            self.edit_buttons[purpose].setEnabled(True)

    def clear(self) -> None:
        """Forget what is shown (the vault is locking)."""
        self._notices = {}
        for purpose in Purpose:
            self.titles[purpose].setText(purpose.label)
            self.texts[purpose].setText("")
            self.counts[purpose].setText("")
            self.edit_buttons[purpose].setEnabled(False)
        self.show_message(None)

    def edit(self, purpose: Purpose) -> NoticeDialog | None:
        """Open the wording of `purpose` for editing."""
        notice = self._notices.get(purpose)
        if notice is None:
            return None
        dialog = self.dialog = NoticeDialog(self._ops, notice, self)
        dialog.saved.connect(self._on_notice_saved)
        dialog.finished.connect(lambda _result: self._on_dialog_finished(dialog))
        dialog.open()
        return dialog

    def _on_dialog_finished(self, dialog: NoticeDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        delete_soon(dialog, self)

    @Slot(object)
    def _on_notice_saved(self, notice: Notice) -> None:
        self.notice.emit(f"Saved version {notice.version} of “{notice.purpose.label}”.", None)


# AI policy -----------------------------------------------------------------------------------


class TopicList(QWidget):
    """Editable topics: a name and the comma-separated words that flag it.

    Args:
        what: "topic" or "trigger" (for the placeholders and the Add button).
        parent: the owning widget.

    Signals:
        edited: the coach changed a name or words, added or removed a row.
    """

    edited = Signal()

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._what = what
        self.rows: list[tuple[QLineEdit, QLineEdit, QPushButton]] = []
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(6)
        self._grid.setColumnStretch(1, 1)
        header_name, header_words = (
            muted(f"{what.capitalize()}", False),
            muted("Words to look for, separated by commas", False),
        )
        self._grid.addWidget(header_name, 0, 0)
        self._grid.addWidget(header_words, 0, 1)
        self.add_button = QPushButton(f"Add a {what}")
        self.add_button.clicked.connect(self._on_add_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(self._grid)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        layout.addLayout(add_row)

    def set_topics(self, topics: dict[str, tuple[str, ...]]) -> None:
        """Show these topics (replacing the rows)."""
        for row in self.rows:
            for widget in row:
                widget.hide()
                self._grid.removeWidget(widget)
                delete_soon(widget, self)
        self.rows = []
        for name, words in topics.items():
            self.add_row(name, ", ".join(words))

    def add_row(self, name: str = "", words: str = "") -> tuple[QLineEdit, QLineEdit]:
        """Add a row (empty unless given) and return its two fields."""
        name_edit = QLineEdit(name)
        name_edit.setPlaceholderText(f"Name of the {self._what}")
        name_edit.setAccessibleName(f"{self._what.capitalize()} name")
        name_edit.setMinimumWidth(220)
        words_edit = QLineEdit(words)
        words_edit.setPlaceholderText("e.g. word, two words, another")
        words_edit.setAccessibleName("Words to look for")
        words_edit.setCursorPosition(0)
        remove = QPushButton("Remove")
        remove.setAutoDefault(False)
        row = (name_edit, words_edit, remove)
        remove.clicked.connect(lambda: self._remove(row))
        name_edit.textEdited.connect(self.edited)
        words_edit.textEdited.connect(self.edited)
        line = self._grid.rowCount()
        for column, widget in enumerate(row):
            self._grid.addWidget(widget, line, column)
        self.rows.append(row)
        return name_edit, words_edit

    def topics(self) -> dict[str, tuple[str, ...]]:
        """The topics as typed (blank rows left out); ValidationError for a repeated name."""
        what = "prohibited" if self._what == "topic" else "escalation"
        result: dict[str, tuple[str, ...]] = {}
        for name_edit, words_edit, _remove in self.rows:
            name = " ".join(name_edit.text().split())
            words = tuple(w.strip() for w in words_edit.text().split(",") if w.strip())
            if not name and not words:
                continue
            if name.lower() in {n.lower() for n in result}:
                raise ValidationError({what: f"There are two {self._what}s called “{name}”."})
            result[name] = words
        return result

    def _remove(self, row: tuple[QLineEdit, QLineEdit, QPushButton]) -> None:
        if row not in self.rows:
            return
        self.rows.remove(row)
        for widget in row:
            widget.hide()
            self._grid.removeWidget(widget)
            delete_soon(widget, self)
        self.edited.emit()

    @Slot()
    def _on_add_clicked(self) -> None:
        name, _words = self.add_row()
        name.setFocus()
        self.edited.emit()


class PolicyTab(_Tab):
    """The AI policy in force, editable, and the client disclosure made from it.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._policy: AiPolicy | None = None
        self._dirty = False
        self._folder = ""
        self.preview: PdfPreviewDialog | None = None
        self.version_label = muted()
        self.allowed: dict[AiTask, QCheckBox] = {}
        self.review: dict[AiTask, QCheckBox] = {}
        tasks = QGridLayout()
        tasks.setHorizontalSpacing(24)
        tasks.setVerticalSpacing(6)
        tasks.addWidget(muted("The assistant may draft", False), 0, 0)
        tasks.addWidget(muted("Always read before approving", False), 0, 1)
        for line, task in enumerate(AiTask, 1):
            allowed = self.allowed[task] = QCheckBox(task.label)
            review = self.review[task] = QCheckBox("Read each one")
            review.setAccessibleName(f"Always read {task.label.lower()} before approving")
            allowed.toggled.connect(lambda on, t=task: self._on_allowed_toggled(t, on))
            review.toggled.connect(self._on_edited)
            tasks.addWidget(allowed, line, 0)
            tasks.addWidget(review, line, 1)
        tasks.setColumnStretch(2, 1)
        self.prohibited = TopicList("topic")
        self.prohibited.edited.connect(self._on_edited)
        self.escalation = TopicList("trigger")
        self.escalation.edited.connect(self._on_edited)
        self.confidence = QSpinBox()
        self.confidence.setRange(0, 100)
        self.confidence.setSuffix(" %")
        self.confidence.setAccessibleName("Minimum confidence")
        self.confidence.valueChanged.connect(self._on_edited)
        self.error = error_label()
        self.error.setObjectName("policyError")
        self.save_button = QPushButton("Save policy")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.defaults_button = QPushButton("Restore defaults")
        self.defaults_button.setToolTip("Fill in CoachDesk's suggested policy; Save to use it")
        self.defaults_button.clicked.connect(self._on_defaults_clicked)
        self.preview_button = QPushButton("Preview…")
        self.preview_button.clicked.connect(lambda: self.preview_disclosure())
        self.copy_button = QPushButton("Copy text")
        self.copy_button.setToolTip("Copy the disclosure, to paste into an e-mail or your website")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.pdf_button = QPushButton("Save as PDF…")
        self.pdf_button.clicked.connect(self._on_pdf_clicked)
        self.copied = muted()
        self.copied.setVisible(False)

        page, layout = _page()
        layout.addWidget(self.banner)
        layout.addWidget(
            muted(
                "What the assistant on this laptop may do for your practice. CoachDesk enforces "
                "it: tasks you switch off never run, drafts that touch a prohibited topic are "
                "held back, and escalation words send a draft to you for a careful read."
            )
        )
        layout.addWidget(self.version_label)
        layout.addWidget(_section("Tasks"))
        layout.addLayout(tasks)
        layout.addWidget(separator())
        layout.addWidget(_section("Prohibited topics"))
        layout.addWidget(
            muted("The assistant never gives advice on these; a draft that mentions them is held.")
        )
        layout.addWidget(self.prohibited)
        layout.addWidget(separator())
        layout.addWidget(_section("Escalation triggers"))
        layout.addWidget(muted("Words that send a draft to you to read before anything else."))
        layout.addWidget(self.escalation)
        layout.addWidget(separator())
        confidence_row = QHBoxLayout()
        label = QLabel("Minimum &confidence:")
        label.setBuddy(self.confidence)
        confidence_row.addWidget(label)
        confidence_row.addWidget(self.confidence)
        confidence_row.addWidget(
            muted("Below this, a guess (such as what a lead wants) is left for you to decide.")
        )
        confidence_row.addStretch(1)
        layout.addLayout(confidence_row)
        layout.addWidget(self.error)
        layout.addLayout(button_row(self.defaults_button, self.save_button))
        layout.addWidget(separator())
        layout.addWidget(_section("Client disclosure"))
        layout.addWidget(
            muted(
                "A plain-words page for your clients, made from this policy: what the assistant "
                "does, what it never does, and that you review every draft. Give it with the "
                "consent form, or paste it into your website."
            )
        )
        layout.addLayout(
            button_row(self.preview_button, self.copy_button, self.pdf_button, left=self.copied)
        )
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(page))
        self._set_enabled(False)

    @property
    def dirty(self) -> bool:
        """Whether the form has changes that are not saved."""
        return self._dirty

    def set_policy(self, policy: AiPolicy) -> None:
        """Show the policy in force (edits not yet saved are kept unless a newer one came)."""
        if self._dirty and self._policy is not None and policy.version == self._policy.version:
            return
        self._policy = policy
        self.version_label.setText(
            "In force: CoachDesk's suggested policy (version 1)."
            if policy.version == 1
            else f"In force: version {policy.version} (your edits)."
        )
        self._fill(policy)
        self._dirty = False
        self._set_enabled(True)

    def clear(self) -> None:
        """Forget what is shown (the vault is locking)."""
        self._policy = None
        self._dirty = False
        if self.preview is not None:
            self.preview.reject()
        self._fill(
            AiPolicy(allowed=frozenset(), review_always=frozenset(), prohibited={}, escalation={})
        )
        self.version_label.setText("")
        set_message(self.error, None)
        set_message(self.copied, None)
        self.show_message(None)
        self._set_enabled(False)

    def policy(self) -> AiPolicy:
        """The policy as the form has it, checked (ValidationError says what is wrong)."""
        version = self._policy.version if self._policy else 1
        return AiPolicy(
            version=version,
            allowed=frozenset(t for t, box in self.allowed.items() if box.isChecked()),
            review_always=frozenset(t for t, box in self.review.items() if box.isChecked()),
            prohibited=self.prohibited.topics(),
            escalation=self.escalation.topics(),
            min_confidence=self.confidence.value(),
        ).checked()

    def save(self) -> None:
        """Put the form's policy in force, or say what stops it."""
        set_message(self.error, None)
        try:
            policy = self.policy()
        except ValidationError as exc:
            set_message(self.error, " ".join(exc.errors.values()))
            return
        self.save_button.setEnabled(False)
        self._run(
            lambda vault: save_policy(vault, policy),
            self._on_saved,
            "saving the AI policy",
            changes="compliance",
            on_error=self._on_save_failed,
        )

    def preview_disclosure(self) -> PdfPreviewDialog:
        """Show the client disclosure as the client would get it."""
        self.preview = self._preview(
            "AI disclosure for clients",
            "Made from the policy in force; save your edits first to see them here.",
            disclosure_pages,
        )
        return self.preview

    def _fill(self, policy: AiPolicy) -> None:
        for task in AiTask:
            self.allowed[task].setChecked(task in policy.allowed)
            self.review[task].setChecked(task in policy.review_always)
            self.review[task].setEnabled(task in policy.allowed)
        self.prohibited.set_topics(policy.prohibited)
        self.escalation.set_topics(policy.escalation)
        self.confidence.setValue(policy.min_confidence)

    def _set_enabled(self, enabled: bool) -> None:
        for button in (
            self.save_button,
            self.defaults_button,
            self.preview_button,
            self.copy_button,
            self.pdf_button,
        ):
            button.setEnabled(enabled)

    def _on_allowed_toggled(self, task: AiTask, on: bool) -> None:
        review = self.review[task]
        review.setEnabled(on)
        if not on:
            review.setChecked(False)
        self._on_edited()

    @Slot()
    def _on_edited(self) -> None:
        self._dirty = True

    @Slot()
    def _on_defaults_clicked(self) -> None:
        self._fill(AiPolicy())
        self._dirty = True
        set_message(self.error, None)
        self.show_message("CoachDesk's suggested policy is filled in. Save it to put it in force.")

    def _on_saved(self, policy: AiPolicy) -> None:
        self._dirty = False
        self.save_button.setEnabled(True)
        self.set_policy(policy)
        self.notice.emit(f"Saved the AI policy (version {policy.version}).", None)

    def _on_save_failed(self, failure: Failure) -> None:
        self.save_button.setEnabled(True)
        set_message(self.error, failure.inline_text if failure.known else None)
        if not failure.known:
            self._on_failed(failure)

    @Slot()
    def _on_copy_clicked(self) -> None:
        self._run(disclosure_text, self._on_text_ready, "copying the AI disclosure")

    def _on_text_ready(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        set_message(self.copied, "Copied: paste it into an e-mail or your website.")

    @Slot()
    def _on_pdf_clicked(self) -> None:
        path = _pdf_path(self, self._folder, "AI disclosure.pdf")
        if path is None:
            return
        self._folder = str(path.parent)
        self._run(
            lambda vault: save_pdf(vault, "disclosure", path),
            lambda saved: self.notice.emit(f"Saved “{saved.name}” in {saved.parent}.", None),
            "saving the AI disclosure",
        )


# Retention -----------------------------------------------------------------------------------


class RetentionTab(_Tab):
    """Retention rules, a preview of what a run removes, and the run itself.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._rules: dict[Category, int] = {}
        self.plan: RetentionPlan | None = None
        self.question: QMessageBox | None = None
        self.spins: dict[Category, QSpinBox] = {}
        self.rule_words: dict[Category, QLabel] = {}
        self.rules_table = QTableWidget(len(Category), 3)
        self.rules_table.setObjectName("retentionRules")
        self.rules_table.setHorizontalHeaderLabels(["What", "Kept for", "Counted from"])
        list_table(self.rules_table, (36, 44))
        self.rules_table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.rules_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.rules_table.horizontalHeader().setStretchLastSection(True)
        self.rules_table.verticalHeader().setDefaultSectionSize(
            self.rules_table.fontMetrics().height() + 18
        )
        for line, category in enumerate(Category):
            self.rules_table.setItem(line, 0, QTableWidgetItem(category.label))
            spin = self.spins[category] = QSpinBox()
            spin.setRange(0, 1200)
            spin.setSuffix(" months")
            spin.setSpecialValueText("For ever")
            spin.setMinimumWidth(spin.fontMetrics().horizontalAdvance("1200 months") + 40)
            spin.setAccessibleName(f"Keep {category.label.lower()} for (months)")
            spin.valueChanged.connect(lambda _v, c=category: self._on_rule_edited(c))
            words = self.rule_words[category] = muted(wrap=False)
            words.setMinimumWidth(words.fontMetrics().horizontalAdvance("(100 months)") + 8)
            cell = QWidget()
            cell_layout = QHBoxLayout(cell)
            cell_layout.setContentsMargins(4, 2, 4, 2)
            cell_layout.addWidget(spin)
            cell_layout.addWidget(words, 1)
            self.rules_table.setCellWidget(line, 1, cell)
            self.rules_table.setItem(line, 2, QTableWidgetItem(category.counted_from))
        self.rules_table.setFixedHeight(
            self.rules_table.horizontalHeader().sizeHint().height()
            + self.rules_table.verticalHeader().defaultSectionSize() * len(Category)
            + 4
        )
        self.save_rules_button = QPushButton("Save rules")
        self.save_rules_button.setEnabled(False)
        self.save_rules_button.clicked.connect(self.save_rules)
        self.rules_error = error_label()
        self.rules_note = muted()
        self.rules_note.setVisible(False)
        self.last_run = muted()
        self.last_run.setObjectName("lastRun")

        self.preview_button = QPushButton("Preview what would be removed")
        self.preview_button.clicked.connect(self.preview)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("retentionSummary")
        self.items_table = QTableWidget(0, 4)
        self.items_table.setObjectName("retentionItems")
        self.items_table.setHorizontalHeaderLabels(["What", "Dated", "Item", "How many"])
        list_table(self.items_table, (32, 14, 50))
        self.items_table.horizontalHeader().setStretchLastSection(True)
        self.items_empty = EmptyState(
            "Nothing previewed yet",
            "Use Preview to see exactly what your rules would remove today. Nothing is "
            "removed until you say so.",
        )
        self.items_stack = QStackedWidget()
        self.items_stack.addWidget(self.items_empty)
        self.items_stack.addWidget(self.items_table)
        self.items_stack.setMinimumHeight(180)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setObjectName("retentionResult")
        self.result.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(
            muted(
                "How long each kind of record is kept. 0 months keeps it for ever. Once you "
                "have previewed and removed yourself, a run happens automatically once a day "
                "when CoachDesk starts and keeps to these rules; each removal is written to "
                "the audit trail. After you change a rule, that kind waits for your next "
                "preview again."
            )
        )
        layout.addWidget(self.rules_table)
        layout.addWidget(self.rules_note)
        layout.addWidget(self.rules_error)
        layout.addLayout(button_row(self.save_rules_button, left=self.last_run))
        layout.addWidget(separator())
        layout.addLayout(button_row(self.preview_button, self.remove_button, left=self.summary))
        layout.addWidget(self.items_stack, 1)
        layout.addWidget(self.result)

    def set_data(self, rules: dict[Category, int], last_run: RetentionResult | None) -> None:
        """Show the rules in force (unsaved edits are replaced) and the last run."""
        self._rules = dict(rules)
        for category, months in rules.items():
            spin = self.spins[category]
            spin.blockSignals(True)
            spin.setValue(months)
            spin.blockSignals(False)
            self._describe(category)
        self.save_rules_button.setEnabled(False)
        if last_run is None:
            self.last_run.setText(
                "No run yet. The first one happens the next time CoachDesk starts."
            )
        else:
            self.last_run.setText(
                f"Last run {local_time(last_run.ran_at)}: removed "
                f"{removal_summary(last_run.removed)}."
            )

    def clear(self) -> None:
        """Forget what is shown (the vault is locking)."""
        self._rules = {}
        self._set_plan(None)
        if self.question is not None:
            self.question.reject()
        self.last_run.setText("")
        set_message(self.result, None)
        self.show_message(None)

    def changed_rules(self) -> dict[Category, int]:
        """The rules edited and not saved."""
        return {
            c: spin.value() for c, spin in self.spins.items() if self._rules.get(c) != spin.value()
        }

    def save_rules(self) -> None:
        """Save the edited rules."""
        changed = self.changed_rules()
        if not changed:
            return
        set_message(self.rules_error, None)
        self.save_rules_button.setEnabled(False)
        self._run(
            lambda vault: save_rules(vault, changed),
            lambda _none: self._on_rules_saved(changed),
            "saving the retention rules",
            changes="compliance",
            on_error=self._on_rules_failed,
        )

    def preview(self) -> None:
        """Work out what a run today would remove."""
        self.preview_button.setEnabled(False)
        set_message(self.result, None)
        self._run(
            preview_retention,
            self._on_planned,
            "previewing the retention run",
            on_error=self._on_preview_failed,
        )

    def remove(self) -> None:
        """Remove exactly what the preview listed (no question asked)."""
        plan = self.plan
        if plan is None or not plan.items:
            return
        self.remove_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        self._run(
            lambda vault: apply_retention(vault, plan),
            self._on_removed,
            "removing old records",
            changes="compliance",
            on_error=self._on_preview_failed,
        )

    def _describe(self, category: Category) -> None:
        months = self.spins[category].value()
        self.rule_words[category].setText("" if months == 0 else f"({describe_months(months)})")

    def _set_plan(self, plan: RetentionPlan | None) -> None:
        self.plan = plan
        items = plan.items if plan else ()
        total = sum(i.count for i in items)
        self.items_table.setRowCount(len(items))
        for line, item in enumerate(items):
            cells = (
                item.category.label,
                day_words(item.dated),
                item.label,
                f"{item.count:,}",
            )
            for column, text in enumerate(cells):
                self.items_table.setItem(line, column, QTableWidgetItem(text))
        self.remove_button.setEnabled(bool(items))
        self.remove_button.setText(
            f"Remove these {total:,} items" if total != 1 else "Remove this item"
        )
        if not items:
            self.remove_button.setText("Remove")
        self.preview_button.setEnabled(True)
        if plan is None:
            self.summary.setText("")
            self.items_empty.set_text(
                "Nothing previewed yet",
                "Use Preview to see exactly what your rules would remove today. Nothing is "
                "removed until you say so.",
            )
            self.items_stack.setCurrentWidget(self.items_empty)
        elif not items:
            self.summary.setText("")
            self.items_empty.set_text(
                "Nothing to remove today",
                "Everything in your vault is within your retention rules.",
            )
            self.items_stack.setCurrentWidget(self.items_empty)
        else:
            self.summary.setText(f"Today's run would remove {removal_summary(plan.counts())}.")
            self.items_stack.setCurrentWidget(self.items_table)

    def _on_rule_edited(self, category: Category) -> None:
        self._describe(category)
        changed = self.changed_rules()
        self.save_rules_button.setEnabled(bool(changed))
        shorter = any(
            m and (not self._rules.get(c) or m < self._rules[c]) for c, m in changed.items()
        )
        set_message(
            self.rules_note,
            "A shorter rule removes more. Save, then use Preview to see exactly what; nothing "
            "of that kind goes until you remove it here yourself."
            if shorter
            else None,
        )

    def _on_rules_saved(self, changed: dict[Category, int]) -> None:
        self._rules.update(changed)
        set_message(self.rules_error, None)
        set_message(self.rules_note, None)
        if self.plan is not None:
            self._set_plan(None)
        self.notice.emit("Saved the retention rules.", None)

    def _on_rules_failed(self, failure: Failure) -> None:
        self.save_rules_button.setEnabled(True)
        set_message(self.rules_error, failure.inline_text if failure.known else None)
        if not failure.known:
            self._on_failed(failure)

    def _on_planned(self, plan: RetentionPlan) -> None:
        self._set_plan(plan)

    def _on_preview_failed(self, failure: Failure) -> None:
        self.preview_button.setEnabled(True)
        self.remove_button.setEnabled(bool(self.plan and self.plan.items))
        self._on_failed(failure)

    @Slot()
    def _on_remove_clicked(self) -> None:
        plan = self.plan
        if plan is None or not plan.items:
            return
        box = self.question = QMessageBox(
            QMessageBox.Icon.Warning,
            "Remove old records?",
            f"Remove {removal_summary(plan.counts())} for good? This cannot be undone; "
            "each removal is written to the audit trail.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        self.remove_confirm = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self._on_question_answered(box))
        box.open()

    def _on_question_answered(self, box: QMessageBox) -> None:
        if self.question is box:
            self.question = None
        if box.clickedButton() is self.remove_confirm:
            self.remove()
        delete_soon(box, self)

    def _on_removed(self, result: RetentionResult) -> None:
        self._set_plan(None)
        for kind in {
            RETENTION_KINDS[c] for c, n in result.removed.items() if n and c in RETENTION_KINDS
        }:
            self._ops.changed.emit(kind)
        text = f"Removed {removal_summary(result.removed)}."
        if result.kept_files:
            names = ", ".join(Path(p).name for p in result.kept_files)
            text += (
                f" These backup files were left in place because they were changed after "
                f"CoachDesk wrote them; delete them yourself if you no longer need them: {names}."
            )
        _status(self.result, text, ok=not result.kept_files)
        self.notice.emit(f"Removed {removal_summary(result.removed)}.", None)


# Backups -------------------------------------------------------------------------------------


class VerifyDialog(QDialog):
    """Check a backup file: its checksums, and with the passphrase everything inside it.

    Args:
        ops: the vault operations (the check runs on the db lane).
        path: the backup file.
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._path = path
        self.setWindowTitle("Verify a backup")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setPlaceholderText("The vault's passphrase when the backup was taken")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.setVisible(False)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setObjectName("verifyOutcome")
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.setVisible(False)
        box, self.verify_button, self.close_button = dialog_buttons("Verify", "Close")
        box.accepted.connect(self.verify)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addWidget(heading("Verify a backup", 3))
        name = QLabel(f"<b>{path.name}</b>")
        name.setWordWrap(True)
        layout.addWidget(name)
        layout.addWidget(muted(str(path.parent)))
        layout.addSpacing(4)
        label = QLabel("&Passphrase (optional):")
        label.setBuddy(self.passphrase)
        layout.addWidget(label)
        layout.addWidget(self.passphrase)
        layout.addWidget(
            muted(
                "Leave it empty to check only that the file is complete and unchanged. With the "
                "passphrase, the vault inside is opened and checked too, as a restore would."
            )
        )
        layout.addWidget(self.busy)
        layout.addWidget(self.outcome)
        layout.addWidget(box)
        self.resize(500, 10)
        ops.closed.connect(self.reject)

    def verify(self) -> None:
        """Check the backup with what was typed (nothing: checksums only)."""
        path, passphrase = self._path, self.passphrase.text() or None
        self.verify_button.setEnabled(False)
        self.busy.setVisible(True)
        set_message(self.outcome, None)
        self._ops.run(
            lambda _vault: check_backup(path, passphrase),
            on_done=self._on_checked,
            on_error=self._on_failed,
            owner=self,
            context="checking a backup",
        )

    def _on_checked(self, check: BackupCheck) -> None:
        self.busy.setVisible(False)
        self.verify_button.setEnabled(True)
        taken = local_time(check.taken_at)
        if check.deep:
            tables = sum((check.counts or {}).values())
            text = (
                f"This backup is fine. It was taken {taken}; the vault inside opens with this "
                f"passphrase and its {tables:,} records and {check.audit_entries:,} audit "
                "entries all check out."
            )
        else:
            text = (
                f"This file is complete and unchanged since it was taken ({taken}). Type the "
                "passphrase to check the vault inside it too."
            )
        _status(self.outcome, text, ok=True)

    def _on_failed(self, failure: Failure) -> None:
        self.busy.setVisible(False)
        self.verify_button.setEnabled(True)
        _status(
            self.outcome,
            failure.message if failure.known else "The backup could not be checked.",
            ok=False,
        )


class BackupsTab(_Tab):
    """The backup folder and schedule, Back up now, the list of backups and Verify.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar.
    """

    HEADERS = ("Taken", "File", "Size", "How", "Kept until")

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self.folder = ""
        self._backups: list[BackupRecord] = []
        self.job: Job[BackupInfo] | None = None
        self.dialog: VerifyDialog | None = None
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton("Choose folder…")
        self.folder_button.clicked.connect(self._on_folder_clicked)
        self.schedule = QComboBox()
        self.schedule.setAccessibleName("Back up automatically")
        for text, value in SCHEDULES:
            self.schedule.addItem(text, value)
        self.schedule.activated.connect(self._on_schedule_chosen)
        self.backup_button = QPushButton("Back up now")
        self.backup_button.clicked.connect(self.back_up)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        for widget in (self.progress, self.cancel_button):
            widget.setVisible(False)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setObjectName("backupResult")
        self.result.setVisible(False)

        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setObjectName("backupTable")
        self.table.setHorizontalHeaderLabels(list(self.HEADERS))
        list_table(self.table, (24, 56, 11, 12))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.verify_selected())
        self.empty = EmptyState(
            "No backups yet",
            "Choose a folder above, then Back up now. Backups are encrypted: they open only "
            "with your passphrase.",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.verify_button = QPushButton("Verify…")
        self.verify_button.setToolTip("Check that the selected backup is complete and opens")
        self.verify_button.clicked.connect(lambda: self.verify_selected())
        self.verify_file_button = QPushButton("Verify a file…")
        self.verify_file_button.setToolTip("Check a backup file from anywhere on this computer")
        self.verify_file_button.clicked.connect(self._on_verify_file_clicked)

        folder_row = QHBoxLayout()
        folder_row.addWidget(QLabel("Folder:"))
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.folder_button)
        schedule_row = QHBoxLayout()
        label = QLabel("Back up &automatically:")
        label.setBuddy(self.schedule)
        schedule_row.addWidget(label)
        schedule_row.addWidget(self.schedule)
        schedule_row.addWidget(muted("while CoachDesk is open", False))
        schedule_row.addStretch(1)
        schedule_row.addWidget(self.progress, 1)
        schedule_row.addWidget(self.cancel_button)
        schedule_row.addWidget(self.backup_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(
            muted(
                "A backup is one encrypted file holding your whole vault. Keep backups away "
                "from this laptop's own disk, so losing the laptop does not lose them."
            )
        )
        layout.addLayout(folder_row)
        layout.addLayout(schedule_row)
        layout.addWidget(self.result)
        layout.addWidget(self.stack, 1)
        layout.addLayout(
            button_row(self.verify_file_button, self.verify_button, left=muted(RESTORE_HINT))
        )
        self._update_buttons()

    def set_data(self, backups: list[BackupRecord], folder: str, every: str) -> None:
        """Show the folder, schedule and list of backups."""
        self.folder = folder
        self.folder_label.setText(folder or "None chosen yet")
        index = self.schedule.findData(every)
        self.schedule.setCurrentIndex(max(index, 0))
        if folder:
            if self.banner.text() == NO_FOLDER:
                self.show_message(None)
        else:
            self.show_message(NO_FOLDER)
        selected = self.current()
        self._backups = list(backups)
        self.table.setRowCount(len(backups))
        for line, record in enumerate(backups):
            cells = (
                local_time(record.taken_at),
                record.path.name if record.present else f"{record.path.name} (missing)",
                size_text(record.size),
                "Scheduled" if record.scheduled else "By you",
                day_words(record.expires_on),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setToolTip(
                        str(record.path)
                        if record.present
                        else f"{record.path} is no longer there (moved or deleted)."
                    )
                if not record.present:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(line, column, item)
            if selected is not None and record.id == selected.id:
                self.table.selectRow(line)
        self.stack.setCurrentWidget(self.table if backups else self.empty)
        self._update_buttons()

    def clear(self) -> None:
        """Forget what is shown (the vault is locking)."""
        if self.job is not None:
            self.job.cancel()
        self._finish_job()
        if self.dialog is not None:
            self.dialog.reject()
        self.folder = ""
        self._backups = []
        self.table.setRowCount(0)
        self.folder_label.setText("")
        set_message(self.result, None)
        self.show_message(None)

    def current(self) -> BackupRecord | None:
        """The backup selected in the list."""
        rows = self.table.selectionModel().selectedRows()
        return self._backups[rows[0].row()] if rows and rows[0].row() < len(self._backups) else None

    def choose_folder(self, folder: str) -> None:
        """Store `folder` as where backups go."""
        self._run(
            lambda vault: save_backup_setting(vault, "folder", folder),
            lambda _none: self.notice.emit(f"Backups will be saved in {folder}.", None),
            "choosing the backup folder",
            changes="compliance",
        )

    def back_up(self) -> None:
        """Take a backup now into the chosen folder, with progress and Cancel."""
        if not self.folder:
            self.show_message(NO_FOLDER, error=True)
            return
        folder = Path(self.folder)
        set_message(self.result, None)
        self.show_message(None)
        self.backup_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setVisible(True)
        job = self.job = self._ops.run_job(
            lambda vault, job: take_backup(vault, job, folder),
            on_done=self._on_backed_up,
            on_error=self._on_backup_failed,
            on_progress=self._on_progress,
            changes="compliance",
            owner=self,
            context="taking a backup",
        )
        if job is None:
            self._finish_job()
        else:
            job.cancelled.connect(self._on_backup_cancelled)

    def verify_selected(self) -> VerifyDialog | None:
        """Open Verify on the selected backup."""
        record = self.current()
        if record is None:
            return None
        if not record.present:
            self.show_message(
                f"“{record.path.name}” is no longer in {record.path.parent}. If you moved it, "
                "use Verify a file… and pick it where it is now.",
                error=True,
            )
            return None
        return self.verify(record.path)

    def verify(self, path: Path) -> VerifyDialog:
        """Open Verify on a backup file."""
        if self.dialog is not None:
            self.dialog.reject()
        dialog = self.dialog = VerifyDialog(self._ops, path, self)
        dialog.finished.connect(lambda _result: self._on_dialog_finished(dialog))
        dialog.open()
        return dialog

    def _on_dialog_finished(self, dialog: VerifyDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        delete_soon(dialog, self)

    def _update_buttons(self) -> None:
        self.verify_button.setEnabled(self.current() is not None)

    def _finish_job(self) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.backup_button.setEnabled(True)

    @Slot()
    def _on_folder_clicked(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Choose where backups go", str(save_folder(self.folder))
        )
        if chosen:
            self.choose_folder(chosen)

    @Slot(int)
    def _on_schedule_chosen(self, index: int) -> None:
        every = str(self.schedule.itemData(index))
        self._run(
            lambda vault: save_backup_setting(vault, "every", every),
            lambda _none: None,
            "changing the backup schedule",
            changes="compliance",
        )

    @Slot()
    def _on_cancel_clicked(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_backed_up(self, info: BackupInfo) -> None:
        self._finish_job()
        _status(
            self.result,
            f"Backed up to “{info.path.name}” ({size_text(info.size)}) in {info.path.parent}.",
            ok=True,
        )
        self.notice.emit("Backup saved.", None)

    def _on_backup_failed(self, failure: Failure) -> None:
        self._finish_job()
        self._on_failed(failure)

    @Slot()
    def _on_backup_cancelled(self) -> None:
        self._finish_job()
        _status(self.result, "Backup cancelled; nothing was written.", ok=True)

    @Slot()
    def _on_verify_file_clicked(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            "Choose a backup to verify",
            str(save_folder(self.folder)),
            "CoachDesk backups (*.cdbackup);;All files (*)",
        )
        if chosen:
            self.verify(Path(chosen))


# Records -------------------------------------------------------------------------------------


class RecordsTab(_Tab):
    """The records of processing document, and the clients who were erased.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._folder = ""
        self.preview: PdfPreviewDialog | None = None
        self.preview_button = QPushButton("Preview…")
        self.preview_button.clicked.connect(lambda: self.show_records())
        self.pdf_button = QPushButton("Save as PDF…")
        self.pdf_button.clicked.connect(self._on_pdf_clicked)
        self.erased = QTableWidget(0, 3)
        self.erased.setObjectName("erasures")
        self.erased.setHorizontalHeaderLabels(["Client", "Erased on", "Backups"])
        list_table(self.erased, (16, 26))
        self.erased.horizontalHeader().setStretchLastSection(True)
        self.erased_empty = EmptyState(
            "No client has been erased",
            "When you erase a client from their page, a note of it without any personal "
            "details is kept here, with the backups that still hold them and until when.",
        )
        self.erased_stack = QStackedWidget()
        self.erased_stack.addWidget(self.erased_empty)
        self.erased_stack.addWidget(self.erased)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(_section("Records of processing"))
        layout.addWidget(
            muted(
                "A summary of what your practice keeps about clients and why: each kind of "
                "record, its purpose, how long it is kept, who can see it, how it is protected, "
                "and how many clients have given each consent. Data-protection rules such as "
                "the GDPR ask you to keep one; it is made from your settings, always up to date."
            )
        )
        layout.addLayout(button_row(self.preview_button, self.pdf_button))
        layout.addWidget(separator())
        layout.addWidget(_section("Erased clients"))
        layout.addWidget(
            muted(
                "An erased client is gone from the vault at once. Backups taken before cannot "
                "be changed, so they still hold the client until they expire under your backup "
                "rule (see Retention)."
            )
        )
        layout.addWidget(self.erased_stack, 1)

    def set_erasures(self, erasures: list[tuple[int, datetime, tuple[BackupHold, ...]]]) -> None:
        """Show the tombstones and the backups that still hold each client."""
        self.erased.setRowCount(len(erasures))
        for line, (client_id, erased_at, holds) in enumerate(erasures):
            present = [h for h in holds if h.present]
            if not present:
                held = "in no backup"
            else:
                dates = [h.expires_on for h in present]
                until = (
                    "for ever (backups are kept for ever)"
                    if any(d is None for d in dates)
                    else f"until {day_words(max(d for d in dates if d is not None))}"
                )
                count = len(present)
                held = f"in {count} backup{'s' if count != 1 else ''} {until}"
            cells = (f"Client #{client_id}", local_time(erased_at), f"Still {held}")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2 and present:
                    item.setToolTip("\n".join(Path(h.path).name for h in present))
                self.erased.setItem(line, column, item)
        self.erased_stack.setCurrentWidget(self.erased if erasures else self.erased_empty)

    def clear(self) -> None:
        """Forget what is shown (the vault is locking)."""
        if self.preview is not None:
            self.preview.reject()
        self.erased.setRowCount(0)
        self.erased_stack.setCurrentWidget(self.erased_empty)
        self.show_message(None)

    def show_records(self) -> PdfPreviewDialog:
        """Preview the records of processing document."""
        self.preview = self._preview(
            "Records of processing", "Made from your settings as they are today.", records_pages
        )
        return self.preview

    @Slot()
    def _on_pdf_clicked(self) -> None:
        path = _pdf_path(self, self._folder, "Records of processing.pdf")
        if path is None:
            return
        self._folder = str(path.parent)
        self._run(
            lambda vault: save_pdf(vault, "records", path),
            lambda saved: self.notice.emit(f"Saved “{saved.name}” in {saved.parent}.", None),
            "saving the records of processing",
        )


# The area ------------------------------------------------------------------------------------


class ComplianceView(LazyView):
    """Compliance: consent notices, AI policy, retention, backups and records of processing.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
    """

    notice = Signal(str, object)
    TABS = ("notices", "ai", "retention", "backups", "records")

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._loaded = False
        self.message = _banner()
        self.message.setObjectName("complianceMessage")
        self.notices = NoticesTab(ops)
        self.policy = PolicyTab(ops)
        self.retention = RetentionTab(ops)
        self.backups = BackupsTab(ops)
        self.records = RecordsTab(ops)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for tab, title in (
            (self.notices, "Consent notices"),
            (self.policy, "AI policy"),
            (self.retention, "Retention"),
            (self.backups, "Backups"),
            (self.records, "Records"),
        ):
            tab.notice.connect(self.notice)
            self.tabs.addTab(tab, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(heading("Compliance"))
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        ops.changed.connect(self._on_changed)
        ops.closed.connect(self.clear)

    @property
    def is_loaded(self) -> bool:
        """Whether the data has been read since the vault opened."""
        return self._loaded

    def reload(self) -> None:
        """Read everything the area shows again."""
        self._stale = False
        self._ops.run(
            load_compliance,
            on_done=self._on_loaded,
            on_error=self._on_failed,
            owner=self,
            context="reading the compliance settings",
        )

    def clear(self) -> None:
        """Forget everything shown (the vault is locking)."""
        self._loaded = False
        self._stale = True
        for tab in (self.notices, self.policy, self.retention, self.backups, self.records):
            tab.clear()
        set_banner(self.message, None)

    def show_tab(self, name: str) -> None:
        """Show a tab: "notices", "ai", "retention", "backups" or "records"."""
        self.tabs.setCurrentIndex(self.TABS.index(name))

    @Slot(str)
    def _on_changed(self, kind: str) -> None:
        if kind in ("compliance", "clients", "crm"):
            self.mark_stale()

    def _on_loaded(self, data: ComplianceData) -> None:
        self._loaded = True
        set_banner(self.message, None)
        self.notices.set_data(data.notices, data.consents)
        self.policy.set_policy(data.policy)
        self.retention.set_data(data.rules, data.last_run)
        self.backups.set_data(data.backups, data.folder, data.every)
        self.records.set_erasures(data.erasures)

    def _on_failed(self, failure: Failure) -> None:
        set_banner(
            self.message,
            failure.message
            if failure.known
            else "The compliance settings could not be read. Try again; if it keeps happening, "
            "run Check the vault in Settings.",
            error=True,
        )
