"""Erasing a client for good: what goes, what the law keeps, which backups still hold them."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.errors import NotFoundError
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import day_text
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    busy_bar,
    error_label,
    fit_to_screen,
    heading,
    muted,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.privacy import ErasureReport
    from coachdesk.store.vault import Vault

# What each of a client's tables holds, in the coach's words: (one, many).
KINDS: dict[str, tuple[str, str]] = {
    "clients": ("client record", "client records"),
    "client_emails": ("e-mail address", "e-mail addresses"),
    "client_phones": ("phone number", "phone numbers"),
    "client_tags": ("tag", "tags"),
    "stage_changes": ("pipeline history entry", "pipeline history entries"),
    "notes": ("note", "notes"),
    "note_versions": ("earlier version of a note", "earlier versions of notes"),
    "goals": ("goal", "goals"),
    "milestones": ("milestone", "milestones"),
    "follow_ups": ("follow-up", "follow-ups"),
    "generated_documents": ("document", "documents"),
    "enrolments": ("enrolment", "enrolments"),
    "sessions": ("session", "sessions"),
    "invoices": ("invoice", "invoices"),
    "invoice_lines": ("invoice line", "invoice lines"),
    "payments": ("payment", "payments"),
    "consents": ("consent record", "consent records"),
}
CONFIRM_WORD = "ERASE"
DANGER_STYLE = (
    f"QPushButton {{ background: {ERROR_COLOR}; color: white; border: none;"
    " border-radius: 4px; padding: 6px 14px; font-weight: 600; }"
    " QPushButton:disabled { background: #e8b4b4; color: #fff6f6; }"
)


def humanised(table: str) -> str:
    """A table name as words: "session_recordings" → "session recordings"."""
    return table.replace("_", " ").strip()


def counted(table: str, count: int) -> str:
    """ "5 notes", "1 earlier version of a note"; an unknown table as "widget parts: 3"."""
    if table not in KINDS:
        return f"{humanised(table)}: {count:,}"
    one, many = KINDS[table]
    return f"{count:,} {one if count == 1 else many}"


def removed_lines(rows: Mapping[str, int], files: int) -> list[str]:
    """What erasing removes, one line per kind, in the order of KINDS then the others.

    `rows` counts only what goes: invoices kept for tax are not in it.
    """
    order = [t for t in KINDS if t in rows] + sorted(t for t in rows if t not in KINDS)
    lines = []
    for table in order:
        count = rows[table]
        if table == "invoices" and count > 0:
            lines.append(f"{count:,} draft {'invoice' if count == 1 else 'invoices'}")
        elif count > 0:
            lines.append(counted(table, count))
    if files:
        noun = "file" if files == 1 else "files"
        lines.append(f"{files:,} {noun} (document PDFs and photo), deleted from the disk")
    return lines


def kept_lines(report: ErasureReport) -> list[str]:
    """Each invoice kept for tax records, with until when."""
    lines = []
    for invoice in report.kept_invoices:
        issued = f" (issued {day_text(invoice.issued_on)})" if invoice.issued_on else ""
        until = (
            f"kept until {day_text(invoice.keep_until)}"
            if invoice.keep_until
            else "kept for as long as your retention rule says (for ever)"
        )
        lines.append(f"Invoice {invoice.number}{issued}: {until}")
    return lines


def backup_lines(report: ErasureReport) -> list[str]:
    """Each backup that still holds the client, when it expires and whether it is there."""
    lines = []
    for hold in report.backups:
        folder, _slash, name = hold.path.replace("\\", "/").rpartition("/")
        taken = day_text(hold.taken_at.date())
        expires = (
            f"expires {day_text(hold.expires_on)}"
            if hold.expires_on
            else "kept for ever under your retention rule"
        )
        where = "file present" if hold.present else "file missing (no longer where it was saved)"
        place = f" in {folder}" if folder else ""
        lines.append(f"{name}{place}: taken {taken}, {expires}; {where}")
    return lines


def _section(title: str, intro: str, lines: list[str]) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    listed = f"<ul style='margin-top:2px'>{items}</ul>" if lines else ""
    return f"<p><b>{html.escape(title)}</b><br>{html.escape(intro)}</p>{listed}"


def report_html(report: ErasureReport) -> str:
    """The whole report as rich text, worded for before (a preview) or after the erasure."""
    done = report.done
    name = report.name
    parts = [
        _section(
            "Removed" if done else "What is removed",
            f"Everything CoachDesk held about {name}:"
            if done
            else f"Everything CoachDesk holds about {name} goes, from every screen and search:",
            removed_lines(report.rows, report.files),
        )
    ]
    if report.kept_invoices:
        parts.append(
            _section(
                "Kept for tax records",
                f"Issued invoices are tax records, so they stay, with their lines and payments. "
                f"They no longer link to {name}, but {name}'s name and e-mail address stay on "
                "them as printed. Each goes when your retention rule for invoices says:",
                kept_lines(report),
            )
        )
    if report.backups:
        parts.append(
            _section(
                "Backups that still contain them",
                f"CoachDesk cannot change a backup once it is written. These backups still "
                f"contain {name} until they expire and the retention run removes them (a "
                "missing one was moved or deleted outside CoachDesk; delete any copies of it "
                "yourself):",
                backup_lines(report),
            )
        )
    else:
        parts.append(
            _section(
                "Backups",
                f"No backup CoachDesk took contains {name}.",
                [],
            )
        )
    if report.update_copies:
        copies = "copy" if report.update_copies == 1 else "copies"
        parts.append(
            _section(
                "Copies taken before updates",
                f"CoachDesk keeps {report.update_copies} safety {copies} of the vault from "
                f"before its last updates, inside the vault folder. {name} is in them, so they "
                "are deleted too.",
                [],
            )
        )
    parts.append(
        _section(
            "Audit trail",
            "The audit trail keeps one entry saying that a client was erased, with their "
            "number and the date, but not their name.",
            [],
        )
    )
    return "".join(parts)


# Run on the db lane. The services are imported there, on first use.


def load_preview(vault: Vault, client_id: int) -> ErasureReport:
    """Db lane: what erasing the client would do (nothing changes)."""
    from coachdesk.services import privacy

    return privacy.erasure_preview(vault, client_id)


def erase(vault: Vault, client_id: int) -> ErasureReport:
    """Db lane: erase the client everywhere in the vault."""
    from coachdesk.services import privacy

    return privacy.erase_client(vault, client_id)


class EraseClientDialog(QDialog):
    """Shows what erasing a client does, asks for their name, then erases and reports.

    The preview is read on the db lane when the dialog opens. "Erase for good"
    stays disabled until the coach types the client's name (or ERASE). After
    the erasure the dialog shows the final report; `erased` is emitted when the
    coach closes it, so the app can leave the client's page then.

    Args:
        ops: the vault operations.
        client_id: the client to erase.
        name: the client's name, as shown on their page.
        parent: the owning widget.

    Signals:
        erased: the client's id, once they were erased and the report closed.
    """

    erased = Signal(int)

    def __init__(
        self, ops: VaultOps, client_id: int, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self.client_id = client_id
        self.name = name
        self.report: ErasureReport | None = None
        self._busy = False
        self._emitted = False
        self.setWindowTitle(f"Erase {name}")
        self.setObjectName("eraseClientDialog")

        self.title = heading(f"Erase {name}?", 4)
        self.title.setWordWrap(True)
        self.intro = QLabel(
            f"This removes {name} from CoachDesk for good. It cannot be undone, not even "
            "from the Trash. If they asked for a copy of their data, export it first."
        )
        self.intro.setWordWrap(True)
        self.details = QLabel()
        self.details.setObjectName("erasureDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 8, 0)
        holder_layout.addWidget(self.details)
        holder_layout.addStretch(1)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(holder)

        self.confirm_label = QLabel(
            f"To confirm, type <b>{html.escape(name)}</b> (or {CONFIRM_WORD}):"
        )
        self.confirm_label.setWordWrap(True)
        self.confirm = QLineEdit()
        self.confirm.setObjectName("eraseConfirm")
        self.confirm.setAccessibleName("Type the client's name to confirm")
        self.confirm.setPlaceholderText(name)
        self.confirm.textChanged.connect(self._on_confirm_changed)
        self.error = error_label()
        self.error.setObjectName("eraseError")
        self.progress = busy_bar()
        self.progress.setVisible(False)
        self.status = muted()
        self.status.setObjectName("eraseStatus")

        self.buttons = QDialogButtonBox()
        self.erase_button = QPushButton("Erase for good")
        self.erase_button.setObjectName("eraseButton")
        self.erase_button.setStyleSheet(DANGER_STYLE)
        self.erase_button.setAutoDefault(False)
        self.erase_button.clicked.connect(self._on_erase_clicked)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)
        self.buttons.addButton(self.erase_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addWidget(self.status)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(self.confirm_label)
        layout.addWidget(self.confirm)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 620, 640)
        self._set_busy(True, "Working out what erasing would remove…")
        ops.closed.connect(self._on_vault_closed)
        self._load()

    # Public API --------------------------------------------------------------------------

    @property
    def confirmed(self) -> bool:
        """Whether what is typed confirms the erasure."""
        typed = " ".join(self.confirm.text().split()).casefold()
        return bool(typed) and typed in (" ".join(self.name.split()).casefold(), "erase")

    @property
    def is_done(self) -> bool:
        """Whether the client was erased."""
        return self.report is not None and self.report.done

    def done(self, result: int) -> None:
        """Close, unless the erasure is running; after one, tell the app the client is gone."""
        if self._busy and self.report is not None and not self.report.done:
            return
        super().done(result)
        if self.is_done and not self._emitted:
            self._emitted = True
            self.erased.emit(self.client_id)

    # Loading and erasing -----------------------------------------------------------------

    def _load(self) -> None:
        client_id = self.client_id
        job = self._ops.run(
            lambda vault: load_preview(vault, client_id),
            on_done=self._on_preview,
            on_error=self._on_failed,
            owner=self,
            context="working out what erasing a client removes",
        )
        if job is None:
            self._on_locked()

    def _set_busy(self, busy: bool, status: str | None = None) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        self.confirm.setEnabled(not busy and self.report is not None and not self.report.done)
        self.erase_button.setEnabled(not busy and self.report is not None and self.confirmed)
        set_message(self.status, status)

    def _on_locked(self) -> None:
        self._set_busy(False, None)
        set_message(self.error, "Your vault is locked. Unlock it, then try again.")

    @Slot()
    def _on_vault_closed(self) -> None:
        self._busy = False
        self.reject()

    @Slot(object)
    def _on_preview(self, report: ErasureReport) -> None:
        self.report = report
        self.details.setText(report_html(report))
        self._set_busy(False, None)
        self.confirm.setFocus()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        erasing = self.report is not None
        self._set_busy(False, None)
        if isinstance(failure.error, NotFoundError):
            self.report = None
            self._set_busy(False, None)
            set_message(self.error, f"{self.name} is no longer in CoachDesk: nothing to erase.")
        elif failure.known:
            set_message(self.error, failure.inline_text)
        else:
            set_message(
                self.error,
                "The client was not erased." if erasing else "The preview could not be made.",
            )
            show_failure(self, failure)

    @Slot(str)
    def _on_confirm_changed(self, _text: str) -> None:
        self.erase_button.setEnabled(
            not self._busy and self.report is not None and not self.report.done and self.confirmed
        )

    @Slot()
    def _on_erase_clicked(self) -> None:
        if not self.confirmed or self.report is None or self._busy:
            return
        set_message(self.error, None)
        client_id = self.client_id
        self.cancel_button.setEnabled(False)
        self._set_busy(True, f"Erasing {self.name}…")
        job = self._ops.run(
            lambda vault: erase(vault, client_id),
            on_done=self._on_erased,
            on_error=self._on_erase_failed,
            changes="clients",
            owner=self,
            context="erasing a client",
        )
        if job is None:
            self.cancel_button.setEnabled(True)
            self._on_locked()

    @Slot(object)
    def _on_erase_failed(self, failure: Failure) -> None:
        self.cancel_button.setEnabled(True)
        self._on_failed(failure)

    @Slot(object)
    def _on_erased(self, report: ErasureReport) -> None:
        self.report = report
        self._set_busy(False, None)
        self.setWindowTitle(f"{self.name} was erased")
        self.title.setText(f"{self.name} was erased")
        self.intro.setText(
            f"{self.name} is gone from CoachDesk: from every list, from search, and from the "
            "database file on disk. Here is what happened."
        )
        self.details.setText(report_html(report))
        for widget in (self.confirm_label, self.confirm, self.erase_button):
            widget.setVisible(False)
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setFocus()
