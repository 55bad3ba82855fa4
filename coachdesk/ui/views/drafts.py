"""The Assistant area: drafts read beside their sources and approved or rejected, and the impact."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Objective
from coachdesk.domain.compliance import AiTask
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import RecordTable
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import (
    EmptyState,
    button_row,
    error_label,
    heading,
    list_table,
    muted,
    set_banner,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.domain.crm import FollowUp
    from coachdesk.services.assistant import Draft, TaskImpact
    from coachdesk.store.vault import Vault

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

WAITING = ("draft", "needs_review")
FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Waiting for review", WAITING),
    ("Needs manual review", ("needs_review",)),
    ("Approved", ("approved",)),
    ("Rejected", ("rejected",)),
    ("All", ()),
)
EMPTY_FILTER = {
    "Waiting for review": (
        "No drafts waiting",
        "Open a client and use the Assistant tab to write one.",
    ),
    "Needs manual review": (
        "Nothing needs a manual review",
        "Drafts that mention distress or conflict, or that the assistant is unsure of, "
        "are listed here.",
    ),
    "Approved": ("No approved drafts", "Drafts you approve are listed here."),
    "Rejected": ("No rejected drafts", "Drafts you reject are kept here for the impact report."),
    "All": (
        "No drafts yet",
        "Open a client and use the Assistant tab to write one.",
    ),
}
STATUS_WORDS = {
    "draft": "Waiting for review",
    "needs_review": "Needs manual review",
    "approved": "Approved",
    "rejected": "Rejected",
}
SOURCE_WORDS = {
    "note": "Source: the session note",
    "session": "Source: the session's notes",
    "inquiry": "Source: the inquiry",
    "text": "Source: the text you pasted",
    "record": "Source: from the client's record",
}
STRUCTURED = (AiTask.ACTION_ITEMS, AiTask.LEAD_INTENT)
HIGHLIGHT = QColor("#fff176")
TOPIC_COLOR = "#c62828"


# Words ----------------------------------------------------------------------------------


def local_when(value: datetime, today: date | None = None) -> str:
    """A stored (naive UTC) time in this computer's zone: "Today 14:05", "3 Mar 14:05"."""
    local = value.replace(tzinfo=UTC).astimezone()
    today = today or datetime.now().astimezone().date()
    if local.date() == today:
        return f"Today {local:%H:%M}"
    if local.year == today.year:
        return f"{local.day} {local:%b %H:%M}"
    return f"{local.day} {local:%b %Y %H:%M}"


def status_words(draft: Draft) -> str:
    """The draft's status as the coach reads it."""
    words = STATUS_WORDS.get(draft.status, draft.status)
    return f"{words}, used" if draft.applied else words


def flag_words(draft: Draft) -> list[str]:
    """One short line per kind of flag (empty when nothing needs a careful read)."""
    flags = draft.flags
    lines = []
    if flags.topics:
        lines.append("Prohibited topic: " + ", ".join(flags.topics))
    if flags.escalations:
        lines.append("Manual review: " + ", ".join(flags.escalations))
    if flags.unverified:
        lines.append("Not in the source: " + ", ".join(flags.unverified))
    return lines


def applied_words(applied: str) -> str:
    """What an approved draft became: "Made follow-ups", "Objective set", …"""
    kind = applied.split(":", 1)[0]
    return {
        "follow_ups": "Made follow-ups",
        "objective": "Objective set",
        "email": "Opened as an e-mail draft",
    }.get(kind, "Used")


def minutes_words(minutes: float | None) -> str:
    """ "—", "under a minute", "12 min", "2 h 5 min", "3 days"."""
    if minutes is None:
        return "—"
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{round(minutes)} min"
    if minutes < 48 * 60:
        hours, rest = divmod(round(minutes), 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes / (24 * 60):.1f} days"


def percent(value: float | None) -> str:
    """ "—" or "67 %"."""
    return "—" if value is None else f"{round(value * 100)} %"


def action_item_lines(text: str, client: str) -> list[str]:
    """The action items in `text` as "— action (owner, due)" lines.

    Raises:
        ValueError: the text is not action items (not JSON, or not the right shape).
    """
    value = json.loads(text)
    if not isinstance(value, dict) or not isinstance(value.get("items"), list):
        raise ValueError('expected {"items": [...]}')
    lines = []
    for item in value["items"]:
        if not isinstance(item, dict):
            raise ValueError("each item needs an action, an owner and a due date")
        owner = "you" if item.get("owner") == "coach" else client
        due = str(item.get("due") or "")
        try:
            day = date.fromisoformat(due) if due else None
        except ValueError:
            day = None
            when = f"due “{due}” (not a date: use YYYY-MM-DD)"
        if day is not None:
            when = f"by {day:%a} {day.day} {day:%b}"  # no %-d: Windows has none
        elif not due:
            when = "no date"
        lines.append(f"— {item.get('action', '')} ({owner}, {when})")
    return lines


def intent_words(text: str) -> tuple[Objective, int]:
    """The intent and confidence of lead-intent `text`.

    Raises:
        ValueError: the text is not a lead intent.
    """
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError('expected {"intent": ..., "confidence": ...}')
    return Objective(str(value.get("intent"))), int(value.get("confidence", 0))


def item_count(text: str) -> int:
    """How many action items `text` holds (0 when it cannot be read)."""
    try:
        return len(json.loads(text)["items"])
    except (ValueError, KeyError, TypeError):
        return 0


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class HandedOff:
    """An e-mail draft written for the mail client to open."""

    path: Path
    to: str
    subject: str


def load_drafts(vault: Vault, statuses: tuple[str, ...], keep: frozenset[int]) -> list[Draft]:
    """Db lane: drafts in `statuses` (all when empty), and those in `keep`, newest first."""
    from coachdesk.domain.errors import NotFoundError
    from coachdesk.services import assistant

    if not statuses:
        return assistant.list_drafts(vault)
    found = {d.id: d for status in statuses for d in assistant.list_drafts(vault, status)}
    for draft_id in keep - found.keys():
        with suppress(NotFoundError):  # erased with its client meanwhile
            found[draft_id] = assistant.get_draft(vault, draft_id)
    return sorted(found.values(), key=lambda d: d.id, reverse=True)


@dataclass(frozen=True, slots=True)
class ImpactData:
    """The impact report and the rates its estimate assumes."""

    report: list[TaskImpact]
    compose_wpm: int
    read_wpm: int
    edit_cpm: int


def load_impact(vault: Vault) -> ImpactData:
    """Db lane: how each task's drafts fared."""
    from coachdesk.services import assistant

    return ImpactData(
        assistant.impact_report(vault),
        assistant.COMPOSE_WPM,
        assistant.READ_WPM,
        assistant.EDIT_CPM,
    )


def approve_draft(vault: Vault, draft_id: int, edited: str | None, override_note: str) -> Draft:
    """Db lane: approve one draft, with the coach's edit and override note."""
    from coachdesk.services import assistant

    return assistant.approve(vault, draft_id, edited, override_note)


def approve_drafts(vault: Vault, draft_ids: list[int]) -> list[Draft]:
    """Db lane: approve several drafts as written (all or none)."""
    from coachdesk.services import assistant

    return assistant.approve_many(vault, draft_ids)


def reject_draft(vault: Vault, draft_id: int) -> Draft:
    """Db lane: reject a draft."""
    from coachdesk.services import assistant

    return assistant.reject(vault, draft_id)


def make_follow_ups(vault: Vault, draft_id: int) -> list[FollowUp]:
    """Db lane: turn approved action items into follow-ups."""
    from coachdesk.services import assistant

    return assistant.make_follow_ups(vault, draft_id)


def set_objective(vault: Vault, draft_id: int) -> Objective:
    """Db lane: set the lead's objective from an approved lead intent."""
    from coachdesk.services import assistant

    return assistant.set_objective(vault, draft_id)


def hand_off_email(vault: Vault, draft_id: int) -> HandedOff:
    """Db lane: write an approved follow-up e-mail where the mail client can open it."""
    from coachdesk.services import assistant, handoff

    draft = assistant.email(vault, draft_id)
    path = handoff.write(draft.file_name, draft.data)
    return HandedOff(path, draft.to, draft.subject)


# The list ---------------------------------------------------------------------------------


class DraftModel(RecordTable):
    """Drafts, newest first: task, client, date and status, with an icon when flagged."""

    HEADERS = ("Task", "Client", "Written", "Status")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._icons: dict[str, QIcon] = {}

    def draft_at(self, row: int) -> Draft | None:
        """The draft shown in `row`."""
        draft: Draft | None = self.row_at(row)
        return draft

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cells, tooltips and the flag icon."""
        draft = self.draft_at(index.row()) if index.isValid() else None
        if draft is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return draft.task.label
            if column == 1:
                return draft.client_name
            if column == 2:
                return local_when(draft.created_at)
            return status_words(draft)
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            if draft.flags.topics:
                return self._icon("topics")
            if draft.flags.escalations or draft.flags.unverified:
                return self._icon("warning")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(flag_words(draft)) or None
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and column == 0:
            return "Flagged: " + "; ".join(flag_words(draft)) if flag_words(draft) else ""
        return None

    def _icon(self, kind: str) -> QIcon:
        if kind not in self._icons:
            pixmap = (
                QStyle.StandardPixmap.SP_MessageBoxCritical
                if kind == "topics"
                else QStyle.StandardPixmap.SP_MessageBoxWarning
            )
            self._icons[kind] = QApplication.style().standardIcon(pixmap)
        return self._icons[kind]


# The draft beside its source ----------------------------------------------------------------


class UnverifiedHighlighter(QSyntaxHighlighter):
    """Marks, in yellow, every place a draft says something its source does not.

    Args:
        document: the draft editor's document.
    """

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._pattern: re.Pattern[str] | None = None
        self._format = QTextCharFormat()
        self._format.setBackground(HIGHLIGHT)
        self._format.setForeground(QColor("#000000"))

    def set_terms(self, terms: tuple[str, ...]) -> None:
        """Highlight these strings (case-insensitive, every occurrence); none clears it."""
        words = sorted({t for t in terms if t}, key=len, reverse=True)
        pattern = "|".join(re.escape(t) for t in words)
        self._pattern = re.compile(pattern, re.IGNORECASE) if words else None
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        """Mark the terms in one block."""
        if self._pattern is None:
            return
        for match in self._pattern.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), self._format)


def _titled(label: QLabel, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    font = label.font()
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box


class DraftPane(QWidget):
    """One draft beside its source: its flags, the editable text and what to do with it.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, None) for the status bar.
        client_requested: a client's id, to open their page.
        acting: a draft's id, about to be approved, rejected or used here (so the list
            keeps it whatever its new status).
        used: a draft's id, turned into what it can become here.
    """

    notice = Signal(str, object)
    client_requested = Signal(int)
    acting = Signal(int)
    used = Signal(int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.draft: Draft | None = None
        self._edits: dict[int, str] = {}
        self._filling = False
        self._busy = False
        self.confirm_box: QMessageBox | None = None
        self.confirm_yes: QPushButton | None = None

        self.title = heading("", 3)
        self.client_link = QLabel()
        self.client_link.setObjectName("draftClient")
        self.client_link.setTextFormat(Qt.TextFormat.RichText)
        self.client_link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.client_link.setToolTip("Open the client's page")
        self.client_link.linkActivated.connect(self._on_link_activated)
        self.meta = muted()
        self.meta.setObjectName("draftMeta")

        self.topics_banner = self._banner("topicsBanner")
        self.escalations_banner = self._banner("escalationsBanner")
        self.unverified_banner = self._banner("unverifiedBanner")

        self.structured = QLabel()
        self.structured.setObjectName("structuredView")
        self.structured.setWordWrap(True)
        self.structured.setTextFormat(Qt.TextFormat.PlainText)
        self.structured.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.structured.setStyleSheet(
            "QLabel { background: palette(alternate-base); border: 1px solid palette(mid);"
            " border-radius: 4px; padding: 6px 8px; }"
        )

        self.source_label = QLabel("Source")
        self.source = QPlainTextEdit()
        self.source.setObjectName("draftSource")
        self.source.setReadOnly(True)
        self.source.setAccessibleName("Source")
        self.editor_label = QLabel("Draft")
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("draftEditor")
        self.editor.setAccessibleName("Draft")
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._on_text_changed)
        self.highlighter = UnverifiedHighlighter(self.editor.document())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(_titled(self.source_label, self.source))
        self.splitter.addWidget(_titled(self.editor_label, self.editor))
        self.splitter.setSizes([1, 1])

        self.override_label = QLabel("&Override note:")
        self.override_edit = QLineEdit()
        self.override_edit.setObjectName("overrideNote")
        self.override_edit.setPlaceholderText(
            "Why it is fine to approve, e.g. “Only notes what the client said; no advice given.”"
        )
        self.override_label.setBuddy(self.override_edit)
        override_row = QHBoxLayout()
        override_row.addWidget(self.override_label)
        override_row.addWidget(self.override_edit, 1)
        self.override_box = QWidget()
        self.override_box.setLayout(override_row)
        override_row.setContentsMargins(0, 0, 0, 0)

        self.error = error_label()
        self.error.setObjectName("draftError")

        self.undo_button = QPushButton("Undo my edits")
        self.undo_button.setToolTip("Put the draft back as the assistant wrote it")
        self.undo_button.clicked.connect(self._on_undo_clicked)
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setToolTip(
            "Keep it as rejected (for the impact report); nothing is made"
        )
        self.reject_button.clicked.connect(self._on_reject_clicked)
        self.approve_button = QPushButton("Approve")
        self.approve_button.setDefault(True)
        self.approve_button.clicked.connect(self._on_approve_clicked)
        self.apply_button = QPushButton()
        self.apply_button.setObjectName("applyButton")
        self.apply_button.clicked.connect(self._on_apply_clicked)
        self.copy_button = QPushButton("Copy text")
        self.copy_button.setToolTip("Copy the approved text to paste it elsewhere")
        self.copy_button.clicked.connect(self._on_copy_clicked)

        header = QHBoxLayout()
        header.setSpacing(12)
        header.addWidget(self.title)
        header.addWidget(self.client_link)
        header.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.meta)
        layout.addWidget(self.topics_banner)
        layout.addWidget(self.escalations_banner)
        layout.addWidget(self.unverified_banner)
        layout.addWidget(self.structured)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.override_box)
        layout.addWidget(self.error)
        layout.addLayout(
            button_row(
                self.reject_button,
                self.approve_button,
                self.apply_button,
                self.copy_button,
                left=self._left(self.undo_button),
            )
        )
        self.show_draft(None)

    @staticmethod
    def _banner(name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setVisible(False)
        return label

    @staticmethod
    def _left(button: QPushButton) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(button)
        row.addStretch(1)
        return box

    # Public API ---------------------------------------------------------------

    @property
    def is_pending(self) -> bool:
        """Whether the draft shown still waits for a decision."""
        return self.draft is not None and self.draft.status in WAITING

    def has_edits(self, draft_id: int) -> bool:
        """Whether the coach changed this draft's text and has not approved it yet."""
        return draft_id in self._edits

    def show_draft(self, draft: Draft | None) -> None:
        """Show a draft (None: nothing), keeping the coach's unsaved edits to it."""
        self._filling = True  # re-highlighting emits textChanged too
        try:
            self._show(draft)
        finally:
            self._filling = False
        self._show_structured()
        self._update_buttons()

    def _show(self, draft: Draft | None) -> None:
        changed = draft is None or self.draft is None or self.draft.id != draft.id
        self.draft = draft
        if changed:
            set_message(self.error, None)
            self.override_edit.clear()
        if draft is None:
            self._fill_text("", "")
            self.highlighter.set_terms(())
            for banner in (self.topics_banner, self.escalations_banner, self.unverified_banner):
                banner.setVisible(False)
            self.structured.setVisible(False)
            self.override_box.setVisible(False)
            return
        if draft.status not in WAITING:
            self._edits.pop(draft.id, None)
        self.title.setText(task_title(draft.task))
        self.client_link.setText(
            f'for <a href="client:{draft.client_id}">{_html(draft.client_name)}</a>'
        )
        self.meta.setText(self._meta(draft))
        self._show_flags(draft)
        mono = draft.task in STRUCTURED
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if mono else self.font()
        self.editor.setFont(font)
        self.source_label.setText(SOURCE_WORDS.get(draft.source_kind, "Source"))
        self.editor_label.setText(
            {
                "approved": "Approved text",
                "rejected": "Rejected draft",
            }.get(draft.status, "Draft — edit it before approving if you like")
        )
        self._fill_text(draft.source, self._edits.get(draft.id, draft.text))
        self.editor.setReadOnly(draft.status not in WAITING)
        self.override_box.setVisible(bool(draft.flags.topics) and draft.status in WAITING)

    def clear(self) -> None:
        """Forget the draft and every unsaved edit (the vault is locking)."""
        self._close_confirm()
        self._edits.clear()
        self._busy = False
        self.show_draft(None)

    # Showing ------------------------------------------------------------------

    def _meta(self, draft: Draft) -> str:
        model = "written by rules, no model" if draft.flags.fallback else f"model {draft.model}"
        seconds = draft.generation_ms / 1000
        took = f"took {seconds:.1f} s" if seconds >= 0.1 else "took under 0.1 s"
        parts = [
            model,
            f"template {draft.template}",
            took,
            f"written {local_when(draft.created_at)}",
            status_words(draft),
        ]
        if draft.decided_at is not None:
            parts[-1] += f" {local_when(draft.decided_at)}"
        if draft.override_note:
            parts.append(f"override note: “{draft.override_note}”")
        return " · ".join(parts)

    def _show_flags(self, draft: Draft) -> None:
        flags = draft.flags
        topics = ", ".join(flags.topics).lower()
        if flags.topics and draft.status in WAITING:
            text = (
                f"This draft touches a topic your AI policy prohibits: {topics}. Edit it out, "
                "or write an override note below saying why it is fine, to approve it."
            )
        elif flags.topics:
            text = f"This draft touched a prohibited topic: {topics}."
        else:
            text = ""
        set_banner(self.topics_banner, text, error=True)
        set_banner(
            self.escalations_banner,
            "Sent to manual review: " + ", ".join(flags.escalations) + ". Read it carefully."
            if flags.escalations
            else "",
        )
        if flags.escalations:
            self.escalations_banner.setStyleSheet(
                "background: #fff3e0; border: 1px solid #ffb74d; border-radius: 4px;"
                " padding: 6px 8px;"
            )
        self.unverified_banner.setText(
            "Not found in the source — check these (marked in yellow): "
            + ", ".join(flags.unverified)
        )
        self.unverified_banner.setStyleSheet(
            "background: #fffde7; border: 1px solid #fdd835; border-radius: 4px; padding: 6px 8px;"
        )
        self.unverified_banner.setVisible(bool(flags.unverified))
        self.highlighter.set_terms(flags.unverified)

    def _fill_text(self, source: str, text: str) -> None:
        if self.source.toPlainText() != source:
            self.source.setPlainText(source)
        if self.editor.toPlainText() != text:
            self.editor.setPlainText(text)

    def _show_structured(self) -> None:
        draft = self.draft
        if draft is None or draft.task not in STRUCTURED:
            self.structured.setVisible(False)
            return
        text = self.editor.toPlainText()
        colour = ""
        try:
            if draft.task is AiTask.ACTION_ITEMS:
                first = draft.client_name.split(" ")[0] or "client"
                lines = action_item_lines(text, first)
                shown = "\n".join(lines) if lines else "No action items."
                shown = "What was agreed:\n" + shown if lines else shown
            else:
                intent, confidence = intent_words(text)
                shown = f"What the lead wants: {intent.label} ({confidence} % sure)"
        except (ValueError, TypeError, KeyError) as error:
            colour = f"color: {TOPIC_COLOR};"
            shown = (
                f"This is not valid data yet ({error}). Keep the quotes, commas and brackets "
                "as they were."
            )
        self.structured.setStyleSheet(
            "QLabel { background: palette(alternate-base); border: 1px solid palette(mid);"
            f" border-radius: 4px; padding: 6px 8px; {colour} }}"
        )
        self.structured.setText(shown)
        self.structured.setVisible(True)

    def _update_buttons(self) -> None:
        draft = self.draft
        pending = self.is_pending
        idle = not self._busy
        self.approve_button.setVisible(draft is None or pending)
        self.reject_button.setVisible(draft is None or pending)
        self.undo_button.setVisible(pending)
        self.approve_button.setEnabled(pending and idle)
        self.reject_button.setEnabled(pending and idle)
        self.undo_button.setEnabled(
            pending and idle and draft is not None and draft.id in self._edits
        )
        self.copy_button.setVisible(draft is not None and draft.status == "approved")
        label = self._apply_label()
        self.apply_button.setVisible(
            bool(label) and draft is not None and draft.status != "rejected"
        )
        self.apply_button.setText(label)
        can_use = draft is not None and draft.status == "approved" and not draft.applied and idle
        if draft is not None and draft.task is AiTask.ACTION_ITEMS and not draft.applied:
            can_use = can_use and item_count(draft.text) > 0
        self.apply_button.setEnabled(can_use)
        self.apply_button.setToolTip(
            "Approve the draft first: nothing is used before you approve it." if pending else ""
        )

    def _apply_label(self) -> str:
        draft = self.draft
        if draft is None:
            return ""
        if draft.applied:
            return applied_words(draft.applied)
        text = self.editor.toPlainText() if self.is_pending else draft.text
        if draft.task is AiTask.ACTION_ITEMS:
            count = item_count(text)
            return f"Create {count} follow-up{'s' if count != 1 else ''}"
        if draft.task is AiTask.LEAD_INTENT:
            try:
                intent = intent_words(text)[0].label
            except (ValueError, TypeError, KeyError):
                intent = "what the lead wants"
            return f"Set {draft.client_name}'s objective to {intent}"
        if draft.task is AiTask.FOLLOW_UP_EMAIL:
            return "Open in mail app"
        return ""

    # Slots --------------------------------------------------------------------

    @Slot(str)
    def _on_link_activated(self, link: str) -> None:
        if link.startswith("client:"):
            self.client_requested.emit(int(link.split(":", 1)[1]))

    @Slot()
    def _on_text_changed(self) -> None:
        draft = self.draft
        if self._filling or draft is None or not self.is_pending:
            return
        text = self.editor.toPlainText()
        if text.strip() == draft.output.strip():
            self._edits.pop(draft.id, None)
        else:
            self._edits[draft.id] = text
        self._show_structured()
        self._update_buttons()

    @Slot()
    def _on_undo_clicked(self) -> None:
        draft = self.draft
        if draft is None or not self.is_pending:
            return
        self._edits.pop(draft.id, None)
        set_message(self.error, None)
        self._filling = True
        try:
            self._fill_text(draft.source, draft.output)
        finally:
            self._filling = False
        self._show_structured()
        self._update_buttons()

    @Slot()
    def _on_approve_clicked(self) -> None:
        draft = self.draft
        if draft is None or not self.is_pending or self._busy:
            return
        text = self.editor.toPlainText()
        edited = text if text.strip() != draft.output.strip() else None
        note = self.override_edit.text()
        draft_id = draft.id
        self._run(
            lambda vault: approve_draft(vault, draft_id, edited, note),
            self._on_decided,
            "approving a draft",
        )

    @Slot()
    def _on_reject_clicked(self) -> None:
        draft = self.draft
        if draft is None or not self.is_pending or self.confirm_box is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Reject this draft?",
            f"Reject this {task_title(draft.task).lower()} for {draft.client_name}?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            "Nothing is made from it. It stays in the list as rejected, so the impact report "
            "can count it; your unsaved edits to it are dropped."
        )
        yes = box.addButton("Reject draft", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _result: self._on_confirm_finished(box, yes, draft.id))
        self.confirm_box, self.confirm_yes = box, yes
        box.open()

    def _on_confirm_finished(self, box: QMessageBox, yes: QPushButton, draft_id: int) -> None:
        if self.confirm_box is not box:
            return
        confirmed = box.clickedButton() is yes
        self._close_confirm()
        if not confirmed or self.draft is None or self.draft.id != draft_id:
            return
        self._run(
            lambda vault: reject_draft(vault, draft_id), self._on_decided, "rejecting a draft"
        )

    def _close_confirm(self) -> None:
        box, self.confirm_box, self.confirm_yes = self.confirm_box, None, None
        if box is not None:
            box.done(QMessageBox.StandardButton.Cancel.value)
            delete_soon(box, self)

    @Slot(object)
    def _on_decided(self, done: Draft) -> None:
        self._busy = False
        name = self.draft.client_name if self.draft is not None else ""
        done = replace(done, client_name=name)
        self._edits.pop(done.id, None)
        if self.draft is not None and self.draft.id == done.id:
            self.show_draft(done)
        else:
            self._update_buttons()
        verb = "Approved" if done.status == "approved" else "Rejected"
        self.notice.emit(f"{verb}: {task_title(done.task).lower()} for {name}.", None)

    @Slot()
    def _on_apply_clicked(self) -> None:
        draft = self.draft
        if draft is None or draft.status != "approved" or draft.applied or self._busy:
            return
        draft_id = draft.id
        if draft.task is AiTask.ACTION_ITEMS:
            self._run(
                lambda vault: make_follow_ups(vault, draft_id),
                self._on_follow_ups_made,
                "making follow-ups from a draft",
                changes="crm",
            )
        elif draft.task is AiTask.LEAD_INTENT:
            self._run(
                lambda vault: set_objective(vault, draft_id),
                self._on_objective_set,
                "setting a lead's objective",
                changes="clients",
            )
        elif draft.task is AiTask.FOLLOW_UP_EMAIL:
            self._run(
                lambda vault: hand_off_email(vault, draft_id),
                self._on_email_ready,
                "preparing an e-mail draft",
                changes="ai_draft",
            )

    def _mark_used(self, applied: str) -> None:
        self._busy = False
        if self.draft is not None:
            self.draft = replace(self.draft, applied=applied)
            self.meta.setText(self._meta(self.draft))
            self.used.emit(self.draft.id)
        self._update_buttons()

    @Slot(object)
    def _on_follow_ups_made(self, made: list[FollowUp]) -> None:
        name = self.draft.client_name if self.draft is not None else "the client"
        self._mark_used("follow_ups:" + ",".join(str(f.id) for f in made))
        count = len(made)
        self.notice.emit(
            f"Made {count} follow-up{'s' if count != 1 else ''} for {name}: see Due or their "
            "Follow-ups tab.",
            None,
        )

    @Slot(object)
    def _on_objective_set(self, objective: Objective) -> None:
        name = self.draft.client_name if self.draft is not None else "The client"
        self._mark_used(f"objective:{objective.value}")
        self.notice.emit(f"Set {name}'s objective to {objective.label}.", None)

    @Slot(object)
    def _on_email_ready(self, handed: HandedOff) -> None:
        self._mark_used("email")
        opened = QDesktopServices.openUrl(QUrl.fromLocalFile(str(handed.path)))
        if not opened:
            set_message(
                self.error,
                "Your computer has no mail app set up to open e-mail drafts (.eml files). "
                "Use Copy text and paste it into a new e-mail to "
                f"{handed.to} instead, or set a default mail app for next time.",
            )
            return
        self.notice.emit(f"Opened a draft to {handed.to} in your mail app.", None)

    @Slot()
    def _on_copy_clicked(self) -> None:
        if self.draft is None:
            return
        QGuiApplication.clipboard().setText(self.draft.text)
        self.notice.emit("Copied the approved text.", None)

    # Plumbing -----------------------------------------------------------------

    def _run(
        self,
        fn: Callable[[Vault], T],
        on_done: Callable[[T], None],
        context: str,
        changes: str = "ai_draft",
    ) -> None:
        set_message(self.error, None)
        self._busy = True
        self._update_buttons()
        if self.draft is not None:
            self.acting.emit(self.draft.id)
        job = self._ops.run(
            fn,
            on_done=on_done,
            on_error=self._on_failed,
            changes=changes,
            owner=self,
            context=context,
        )
        if job is None:
            self._busy = False
            self._update_buttons()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self._busy = False
        self._update_buttons()
        if failure.known:
            set_message(self.error, failure.inline_text)
            if self.override_box.isVisible() and not self.override_edit.text().strip():
                self.override_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            show_failure(self, failure)


def task_title(task: AiTask) -> str:
    """A task's name for one draft: "Session summary", "Follow-up e-mail"."""
    return {
        AiTask.SESSION_SUMMARY: "Session summary",
        AiTask.ACTION_ITEMS: "Action items",
        AiTask.FOLLOW_UP_EMAIL: "Follow-up e-mail",
        AiTask.LEAD_INTENT: "What the lead wants",
        AiTask.SESSION_PREP: "Session prep brief",
        AiTask.LEARNING_PLAN: "Learning plan",
    }[task]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# The impact report ---------------------------------------------------------------------------


IMPACT_HEADERS = (
    "Task",
    "Drafts",
    "Approved",
    "Rejected",
    "Waiting",
    "Accepted",
    "Average edit",
    "Median time to approve",
    "Minutes saved",
)


class ImpactPane(QWidget):
    """Per task: how many drafts were accepted, how much they were changed, time saved.

    Args:
        parent: the owning widget.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(IMPACT_HEADERS))
        self.table.setObjectName("impactTable")
        self.table.setHorizontalHeaderLabels(list(IMPACT_HEADERS))
        list_table(self.table, (24,))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.empty = EmptyState(
            "Nothing to measure yet",
            "Once you approve or reject a few drafts, this shows how often you accept them, "
            "how much you change them and the time they save you.",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.note = muted()
        self.note.setObjectName("impactNote")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.note)

    def set_report(self, data: ImpactData) -> None:
        """Show the report (a row per task that has drafts, and a total)."""
        self.note.setText(
            "Minutes saved is an estimate for approved drafts: the time to write the text "
            f"yourself (about {data.compose_wpm} words a minute) less the time to read it "
            f"(about {data.read_wpm} words a minute) and to make your changes (about "
            f"{data.edit_cpm} characters a minute). Average edit is how many characters you "
            "changed before approving, and what share of the draft that was."
        )
        rows = [r for r in data.report if r.drafts]
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        self.table.setRowCount(0)
        if not rows:
            return
        for impact in rows:
            if not impact.approved:
                edit = "—"
            elif round(impact.edit_distance) == 0:
                edit = "no changes"
            else:
                share = round(impact.edit_ratio * 100)
                edit = f"{round(impact.edit_distance)} characters ({share} %)"
            self._add_row(
                [
                    impact.task.label,
                    str(impact.drafts),
                    str(impact.approved),
                    str(impact.rejected),
                    str(impact.pending),
                    percent(impact.acceptance),
                    edit,
                    minutes_words(impact.median_approve_minutes),
                    minutes_words(impact.minutes_saved) if impact.approved else "—",
                ]
            )
        approved = sum(r.approved for r in rows)
        rejected = sum(r.rejected for r in rows)
        decided = approved + rejected
        saved = sum(r.minutes_saved for r in rows)
        self._add_row(
            [
                "Total",
                str(sum(r.drafts for r in rows)),
                str(approved),
                str(rejected),
                str(sum(r.pending for r in rows)),
                percent(approved / decided if decided else None),
                "—",
                "—",
                minutes_words(saved) if approved else "—",
            ],
            bold=True,
        )

    def clear(self) -> None:
        """Forget the report (the vault is locking)."""
        self.table.setRowCount(0)
        self.stack.setCurrentWidget(self.empty)

    def cell(self, row: int, header: str) -> str:
        """The text of a cell, by row and column title."""
        item = self.table.item(row, IMPACT_HEADERS.index(header))
        return item.text() if item is not None else ""

    def _add_row(self, cells: list[str], bold: bool = False) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if bold:
                font = item.font()
                font.setWeight(QFont.Weight.DemiBold)
                item.setFont(font)
            self.table.setItem(row, column, item)


# The area ------------------------------------------------------------------------------------


class DraftsView(LazyView):
    """The Assistant area: the review queue, each draft beside its source, and the impact.

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        notice: (message, undo callable or None) for the status bar.
        client_requested: a client's id, to open their page.
    """

    notice = Signal(str, object)
    client_requested = Signal(int)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._loaded = False
        self._impact_stale = True
        self._token = 0
        self._sticky: set[int] = set()
        self._select: int | None = None
        self._missing: int | None = None

        self.message = QLabel()
        self.message.setObjectName("draftsMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        self.filter_combo = QComboBox()
        self.filter_combo.setObjectName("draftFilter")
        for label, statuses in FILTERS:
            self.filter_combo.addItem(label, statuses)
        self.filter_combo.currentIndexChanged.connect(self._on_filter_changed)
        show_label = QLabel("&Show:")
        show_label.setBuddy(self.filter_combo)
        self.approve_selected_button = QPushButton("Approve selected")
        self.approve_selected_button.setObjectName("approveSelected")
        self.approve_selected_button.setToolTip(
            "Approve every selected draft as written. Drafts with a flag, or that your policy "
            "says must be read one by one, are approved on their own."
        )
        self.approve_selected_button.clicked.connect(self._on_approve_selected_clicked)

        self.model = DraftModel(self)
        self.table = QTableView()
        self.table.setObjectName("draftTable")
        self.table.setModel(self.model)
        list_table(self.table, (17, 14, 11), multi=True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_selection_changed)

        self.pane = DraftPane(ops)
        self.pane.notice.connect(self.notice)
        self.pane.client_requested.connect(self.client_requested)
        self.pane.acting.connect(self._on_draft_acting)
        self.pane.used.connect(self._on_draft_used)
        self.no_selection = EmptyState(
            "No draft selected", "Choose a draft in the list to read it beside its source."
        )
        self.detail_stack = QStackedWidget()
        self.detail_stack.addWidget(self.no_selection)
        self.detail_stack.addWidget(self.pane)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([440, 800])

        self.empty = EmptyState(*EMPTY_FILTER["Waiting for review"])
        self.review_stack = QStackedWidget()
        self.review_stack.addWidget(self.empty)
        self.review_stack.addWidget(self.splitter)

        review_page = QWidget()
        review = QVBoxLayout(review_page)
        review.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(show_label)
        bar.addWidget(self.filter_combo)
        bar.addSpacing(12)
        bar.addWidget(self.approve_selected_button)
        bar.addStretch(1)
        review.addLayout(bar)
        review.addWidget(self.review_stack, 1)

        self.impact = ImpactPane()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(review_page, "Review")
        self.tabs.addTab(self.impact, "Impact")
        self.tabs.currentChanged.connect(self._on_tab_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(heading("Assistant"))
        layout.addWidget(
            muted(
                "Every draft the assistant writes waits here until you approve it. Nothing is "
                "sent or saved to a client's record before you do."
            )
        )
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        ops.changed.connect(self._on_changed)
        ops.closed.connect(self.clear)
        self._update_selection_button()

    # Public API ---------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        """Whether the list has been read since the vault opened."""
        return self._loaded

    @property
    def filter_name(self) -> str:
        """The filter shown ("Waiting for review", "All", …)."""
        return self.filter_combo.currentText()

    def set_filter(self, name: str) -> None:
        """Show the drafts of one filter (a name from the Show list)."""
        self.filter_combo.setCurrentIndex(self.filter_combo.findText(name))

    def reload(self) -> None:
        """Read the drafts again (and the impact report, if it is shown)."""
        self._stale = False
        self._token += 1
        token = self._token
        statuses: tuple[str, ...] = self.filter_combo.currentData()
        keep = frozenset(self._sticky)
        self._ops.run(
            lambda vault: load_drafts(vault, statuses, keep),
            on_done=lambda drafts: self._on_loaded(token, drafts),
            on_error=self._on_load_failed,
            owner=self,
            context="reading the assistant's drafts",
        )
        if self.tabs.currentWidget() is self.impact:
            self._load_impact()

    def clear(self) -> None:
        """Forget everything shown (the vault is locking)."""
        self._loaded = False
        self._stale = True
        self._impact_stale = True
        self._sticky.clear()
        self._select = None
        self.pane.clear()
        self.model.set_rows([])
        self.impact.clear()
        self.detail_stack.setCurrentWidget(self.no_selection)
        self.show_message(None)

    def show_draft(self, draft_id: int) -> None:
        """Select a draft in the Review tab, switching the filter to All if needed."""
        self.tabs.setCurrentIndex(0)
        self._select = draft_id
        if self._select_id(draft_id):
            self._select = None
            return
        if self.filter_combo.currentData():
            self.set_filter("All")  # reloads
        elif self._ops.is_open:
            self.reload()

    def show_message(self, text: str | None, error: bool = False) -> None:
        """Say something above the tabs (an error in red), or nothing."""
        set_banner(self.message, text, error)

    def selected_drafts(self) -> list[Draft]:
        """The drafts selected in the list, in list order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [d for d in (self.model.draft_at(r) for r in rows) if d is not None]

    def current_draft(self) -> Draft | None:
        """The draft shown beside its source."""
        return self.pane.draft

    # Loading ------------------------------------------------------------------

    def _load_impact(self) -> None:
        self._impact_stale = False
        self._ops.run(
            load_impact,
            on_done=self.impact.set_report,
            on_error=self._on_load_failed,
            owner=self,
            context="working out the assistant's impact",
        )

    @Slot(object)
    def _on_load_failed(self, failure: Failure) -> None:
        self.show_message(
            f"The drafts could not be read: {failure.message}" if failure.known else None,
            error=True,
        )
        if not failure.known:
            show_failure(self, failure)

    def _on_loaded(self, token: int, drafts: list[Draft]) -> None:
        if token != self._token:
            return
        self._loaded = True
        current = self.pane.draft.id if self.pane.draft is not None else None
        selected = {d.id for d in self.selected_drafts()} if self._select is None else set()
        row_before = self.table.currentIndex().row()
        self.model.set_rows(drafts)
        title, text = EMPTY_FILTER.get(self.filter_name, EMPTY_FILTER["All"])
        self.empty.set_text(title, text)
        self.review_stack.setCurrentWidget(self.splitter if drafts else self.empty)
        wanted = self._select if self._select is not None else current
        if self._select is not None and self.model.row_of(self._select) < 0:
            self.show_message(
                "That draft is no longer there: it may have been erased with its client."
            )
        self._select = None
        self._restore(wanted, selected, row_before)
        self._update_selection_button()

    def _restore(self, wanted: int | None, selected: set[int], row_before: int) -> None:
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        try:
            for draft_id in selected - {wanted}:
                row = self.model.row_of(draft_id)
                if row >= 0:
                    selection.select(
                        self.model.index(row, 0),
                        selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                    )
        finally:
            selection.blockSignals(False)
        if wanted is not None and self._select_id(wanted, keep=True):
            return
        if self.model.rowCount():
            row = min(max(row_before, 0), self.model.rowCount() - 1)
            self.table.selectRow(row)
        else:
            self._show_current()

    def _select_id(self, draft_id: int, keep: bool = False) -> bool:
        row = self.model.row_of(draft_id)
        if row < 0:
            return False
        selection = self.table.selectionModel()
        flags = selection.SelectionFlag.Rows | (
            selection.SelectionFlag.Select if keep else selection.SelectionFlag.ClearAndSelect
        )
        selection.setCurrentIndex(self.model.index(row, 0), flags)
        self.table.scrollTo(self.model.index(row, 0))
        self._show_current()
        return True

    # Slots --------------------------------------------------------------------

    @Slot(str)
    def _on_changed(self, kind: str) -> None:
        if kind in ("ai_draft", "clients", "compliance"):
            self._impact_stale = True
            self.mark_stale()

    @Slot(int)
    def _on_filter_changed(self, _index: int) -> None:
        self._sticky.clear()
        self.show_message(None)
        if self._ops.is_open:
            self.reload()

    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.impact and self._impact_stale and self._ops.is_open:
            self._load_impact()

    @Slot()
    def _on_selection_changed(self, *_args: object) -> None:
        self._show_current()
        self._update_selection_button()

    def _show_current(self) -> None:
        index = self.table.currentIndex()
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        draft = (
            self.model.draft_at(index.row()) if index.isValid() and index.row() in rows else None
        )
        if draft is None and rows:
            draft = self.model.draft_at(min(rows))
        self.pane.show_draft(draft)
        self.detail_stack.setCurrentWidget(self.pane if draft is not None else self.no_selection)

    def _update_selection_button(self) -> None:
        waiting = [d for d in self.selected_drafts() if d.status in WAITING]
        self.approve_selected_button.setText(
            f"Approve selected ({len(waiting)})" if len(waiting) > 1 else "Approve selected"
        )
        self.approve_selected_button.setEnabled(len(waiting) > 1)

    @Slot()
    def _on_approve_selected_clicked(self) -> None:
        waiting = [d for d in self.selected_drafts() if d.status in WAITING]
        if len(waiting) < 2:
            return
        edited = [d for d in waiting if self.pane.has_edits(d.id)]
        if edited:
            draft = edited[0]
            self.show_message(
                f"You changed the {task_title(draft.task).lower()} for {draft.client_name}: "
                "approve it on its own so your edit is kept, then approve the rest.",
                error=True,
            )
            return
        ids = [d.id for d in waiting]
        self._sticky.update(ids)
        self.show_message(None)
        self.approve_selected_button.setEnabled(False)
        job = self._ops.run(
            lambda vault: approve_drafts(vault, ids),
            on_done=self._on_approved_many,
            on_error=self._on_approve_many_failed,
            changes="ai_draft",
            owner=self,
            context="approving several drafts",
        )
        if job is None:
            self._update_selection_button()

    @Slot(object)
    def _on_approved_many(self, done: list[Draft]) -> None:
        self._update_selection_button()
        self.notice.emit(f"Approved {len(done)} drafts as written.", None)

    @Slot(object)
    def _on_approve_many_failed(self, failure: Failure) -> None:
        self._update_selection_button()
        if failure.known:
            self.show_message(
                f"Nothing was approved. {failure.message} Deselect it and try again.",
                error=True,
            )
        else:
            show_failure(self, failure)

    @Slot(int)
    def _on_draft_acting(self, draft_id: int) -> None:
        self._sticky.add(draft_id)

    @Slot(int)
    def _on_draft_used(self, draft_id: int) -> None:
        self._sticky.add(draft_id)
        self._impact_stale = True
        self.mark_stale()
