"""The Assistant tab of a client's page: write a draft for one task and send it to review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QFont, QKeyEvent, QMouseEvent, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client
from coachdesk.domain.compliance import AiTask, Purpose
from coachdesk.domain.crm import Note, NoteKind
from coachdesk.domain.errors import NotFoundError
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.crm_lists import RecordTable, day_text, to_local
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.lazy import LazyView
from coachdesk.ui.widgets import (
    error_label,
    heading,
    list_table,
    muted,
    scrolling,
    separator,
    set_banner,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.services.ai import ModelChoice
    from coachdesk.services.assistant import Draft
    from coachdesk.store.vault import Vault
    from coachdesk.ui.assistant_ops import AiOps, DraftRun

Index = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 1
REASON_COLOR = "#9a5b00"
PASTE = -1
LOCKED = "Your vault is locked. Unlock it, then try again."

TASK_TEXT: dict[AiTask, tuple[str, str]] = {
    AiTask.SESSION_SUMMARY: (
        "Session summary",
        "What you covered, what was decided and what comes next, from a session note or a "
        "transcript.",
    ),
    AiTask.ACTION_ITEMS: (
        "Action items",
        "Who does what by when; once approved they can become follow-ups in one click.",
    ),
    AiTask.FOLLOW_UP_EMAIL: (
        "Follow-up e-mail",
        "An e-mail recapping what you agreed, to send from your own mail program.",
    ),
    AiTask.LEAD_INTENT: (
        "What this lead wants",
        "Reads an inquiry and suggests what they want help with, and how sure it is.",
    ),
    AiTask.SESSION_PREP: (
        "Session prep brief",
        "Before the next session: goals, the last session, open follow-ups, useful notes.",
    ),
    AiTask.LEARNING_PLAN: (
        "Learning plan",
        "A first plan built on their goals from your own notes and documents, citing them.",
    ),
}
NOTE_TASKS = frozenset({AiTask.SESSION_SUMMARY, AiTask.ACTION_ITEMS, AiTask.FOLLOW_UP_EMAIL})
RECORD_TEXT = {
    AiTask.SESSION_PREP: (
        "Uses {name}'s goals, the last session note, open and overdue follow-ups, and the "
        "passages of your notes and documents about them that fit their goals."
    ),
    AiTask.LEARNING_PLAN: (
        "Uses {name}'s goals (set them on the Goals tab) and your notes and documents about "
        "them; the plan says which ones it drew on."
    ),
}
STATUS_WORDS = {
    "draft": "Waiting for review",
    "needs_review": "Manual review",
    "approved": "Approved",
    "rejected": "Rejected",
}
APPLIED_WORDS = {
    "follow_ups": "made into follow-ups",
    "objective": "objective set",
    "email": "e-mail made",
}
RULES_NOTE = "Meanwhile the assistant writes drafts by rules from your notes, without a model."


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class AssistantData:
    """What the tab shows for one client.

    Args:
        reasons: per task, why it may not run now ("" when it may).
        consent: whether the client agreed to AI assistance.
        notes: their session and transcript notes, newest first.
        drafts: their drafts, newest first.
    """

    reasons: dict[AiTask, str]
    consent: bool
    notes: tuple[Note, ...]
    drafts: tuple[Draft, ...]


def load_assistant(vault: Vault, client_id: int) -> AssistantData:
    """Db lane: what may run for the client, their session notes and their drafts."""
    from coachdesk.services import assistant, compliance, crm

    reasons = assistant.availability(vault, client_id)
    consent = compliance.has_consent(vault, client_id, Purpose.AI_ASSISTANCE)
    notes = sorted(
        (
            n
            for n in crm.list_notes(vault, client_id)
            if n.kind in (NoteKind.SESSION, NoteKind.TRANSCRIPT)
        ),
        key=lambda n: (n.occurred_on, n.id),
        reverse=True,
    )
    drafts = tuple(assistant.list_drafts(vault, client_id=client_id))
    return AssistantData(reasons, consent, tuple(notes), drafts)


# Words ------------------------------------------------------------------------------------


def task_title(task: AiTask) -> str:
    """The task's name on this tab ("Session summary")."""
    return TASK_TEXT[task][0]


def when_text(stored: datetime) -> str:
    """A stored (naive UTC) time as the coach reads it: "3 Oct 2026, 14:05"."""
    local = to_local(stored)
    return f"{day_text(local.date())}, {local:%H:%M}"


def note_choice_text(note: Note, words: int = 8) -> str:
    """ "3 Oct 2026 · Session note · We reviewed the CV and…"."""
    kind = "Session note" if note.kind is NoteKind.SESSION else note.kind.label
    said = note.text.split()
    start = " ".join(said[:words]) + ("…" if len(said) > words else "")
    return f"{day_text(note.occurred_on)} · {kind} · {start or '(empty)'}"


def status_text(draft: Draft) -> str:
    """A draft's status in words, with what it became once used."""
    words = STATUS_WORDS.get(draft.status, draft.status)
    if draft.applied:
        kind = draft.applied.split(":")[0]
        words += f" · {APPLIED_WORDS.get(kind, 'used')}"
    return words


def outcome_text(draft: Draft) -> str:
    """What became of a draft just written, for the coach."""
    flags = draft.flags
    if draft.status == "needs_review":
        reasons = ", ".join(flags.escalations) or "a reason to read it carefully"
        text = f"Draft #{draft.id} was sent to manual review: {reasons}."
    else:
        text = f"Draft #{draft.id} is waiting for your review."
    if flags.topics:
        topics = ", ".join(flags.topics).lower()
        text += f" It touches {topics}: approving it needs an override note."
    if flags.unverified:
        text += f" Check {', '.join(flags.unverified)}: not found in the source."
    if flags.fallback:
        text += " Written by rules, without a model."
    return text


def model_text(choice: ModelChoice) -> tuple[str, str]:
    """(where drafts are written, a problem to show in a banner or "")."""
    if choice.info is None:
        problem = choice.problem
        if "by rules" not in problem:
            problem = f"{problem} {RULES_NOTE}"
        return "", problem
    return (
        f"Drafts are written on this laptop by {choice.info.name}; nothing leaves it. "
        "You approve every draft.",
        "",
    )


# The list of drafts ---------------------------------------------------------------------------


class DraftListModel(RecordTable):
    """A client's drafts, newest first: number, task, status in words, when written."""

    HEADERS = ("Draft", "Task", "Status", "Written")

    def set_drafts(self, drafts: Sequence[Draft]) -> None:
        """Show these drafts."""
        self.set_rows(drafts)

    def draft_at(self, row: int) -> Draft:
        """The draft on a row."""
        draft: Draft = self._rows[row]
        return draft

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The cell's text; the draft's id under ID_ROLE."""
        draft: Draft | None = self._row(index)
        if draft is None:
            return None
        if role == ID_ROLE:
            return draft.id
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"#{draft.id}",
                task_title(draft.task),
                status_text(draft),
                when_text(draft.created_at),
            )[index.column()]
        if role == Qt.ItemDataRole.FontRole and draft.status in ("draft", "needs_review"):
            font = QFont()
            font.setBold(True)
            return font
        return None


# One task's row -------------------------------------------------------------------------------


class TaskRow(QWidget):
    """A task to pick: its name, one line on what it does, and why it may not run.

    Args:
        task: the task.
        parent: the owning widget.
    """

    def __init__(self, task: AiTask, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = task
        title, description = TASK_TEXT[task]
        self.button = QRadioButton(title)
        self.button.setObjectName(f"task_{task.value}")
        font = self.button.font()
        font.setBold(True)
        self.button.setFont(font)
        self.description = muted(description)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.reason = QLabel()
        self.reason.setObjectName(f"taskReason_{task.value}")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet(f"color: {REASON_COLOR};")
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason.setVisible(False)
        indent = self.button.style().pixelMetric(self.button.style().PixelMetric.PM_IndicatorWidth)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(1)
        layout.addWidget(self.button)
        for label in (self.description, self.reason):
            label.setContentsMargins(indent + 8, 0, 0, 0)
            layout.addWidget(label)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click anywhere on the row picks the task (taken here, chosen on release)."""
        if event.button() == Qt.MouseButton.LeftButton and self.button.isEnabled():
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Pick the task."""
        if event.button() == Qt.MouseButton.LeftButton and self.button.isEnabled():
            self.button.setChecked(True)
            self.button.setFocus(Qt.FocusReason.MouseFocusReason)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def show_reason(self, reason: str, shown: str) -> None:
        """Enable the task when it may run; else disable it and show `shown` under it."""
        allowed = not reason
        self.button.setEnabled(allowed)
        self.description.setEnabled(allowed)
        self.button.setToolTip(reason)
        set_message(self.reason, shown if not allowed else None)


# The tab --------------------------------------------------------------------------------------


class ClientAssistant(LazyView):
    """A client's assistant: pick a task and its source, watch the draft being written,
    and send it to the review queue; the client's drafts are listed below.

    What may run is read on the db lane when the tab is shown, and again after a change
    of kind "compliance" (policy), "crm" (notes, consent) or "ai_draft" (at once when
    shown, else on the next show).

    Args:
        ops: the vault operations.
        ai: the assistant's operations (the llm lane and the model).
        parent: the owning widget.

    Signals:
        review_requested: a draft's id the coach wants to open in the review queue.
        privacy_requested: the coach wants the client's Privacy tab (to record consent).
        notice: (message, undo callable or None) for the status bar.
    """

    review_requested = Signal(int)
    privacy_requested = Signal()
    notice = Signal(str, object)

    def __init__(self, ops: VaultOps, ai: AiOps, parent: QWidget | None = None) -> None:
        super().__init__(ops, parent)
        self._ai = ai
        self.client: Client | None = None
        self.data: AssistantData | None = None
        self.model: ModelChoice | None = None
        self.run: DraftRun | None = None
        self.last_draft: Draft | None = None
        self._token = 0
        self._model_token = 0

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 10, 12, 12)
        layout.setSpacing(8)
        self._build_header(layout)
        columns = QHBoxLayout()
        columns.setSpacing(24)
        columns.addLayout(self._build_tasks(), 2)
        columns.addLayout(self._build_work(), 3)
        layout.addLayout(columns)
        layout.addSpacing(6)
        layout.addWidget(separator())
        self._build_drafts(layout)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))

        ops.changed.connect(self._on_data_changed)
        ops.closed.connect(self.clear)
        ai.model_changed.connect(self._on_model_changed)
        self.clear()

    def _build_header(self, layout: QVBoxLayout) -> None:
        self.message = QLabel()
        self.message.setObjectName("assistantMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self.consent_box = QFrame()
        self.consent_box.setObjectName("assistantConsent")
        self.consent_box.setStyleSheet(
            "#assistantConsent { background: #fff8e1; border: 1px solid #ffe082; "
            "border-radius: 4px; }"
        )
        self.consent_text = QLabel()
        self.consent_text.setObjectName("assistantConsentText")
        self.consent_text.setWordWrap(True)
        self.consent_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.privacy_button = QPushButton("Go to Privacy")
        self.privacy_button.setObjectName("assistantPrivacyButton")
        self.privacy_button.setToolTip("Open this client's Privacy tab to record their consent")
        self.privacy_button.clicked.connect(self.privacy_requested)
        box = QHBoxLayout(self.consent_box)
        box.setContentsMargins(10, 8, 10, 8)
        box.setSpacing(12)
        box.addWidget(self.consent_text, 1)
        box.addWidget(self.privacy_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.consent_box.setVisible(False)
        layout.addWidget(self.consent_box)
        self.where = muted()
        self.where.setObjectName("assistantWhere")
        layout.addWidget(self.where)
        self.model_banner = QLabel()
        self.model_banner.setObjectName("assistantModelProblem")
        self.model_banner.setWordWrap(True)
        self.model_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_banner.setVisible(False)
        layout.addWidget(self.model_banner)

    def _build_tasks(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        column.addWidget(heading("What to draft", 3))
        self.task_group = QButtonGroup(self)
        self.task_group.setExclusive(True)
        self.task_rows: dict[AiTask, TaskRow] = {}
        for task in AiTask:
            row = TaskRow(task)
            self.task_group.addButton(row.button)
            row.button.toggled.connect(lambda on, t=task: self._on_task_toggled(t, on))
            self.task_rows[task] = row
            column.addWidget(row)
        column.addStretch(1)
        return column

    def _build_work(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        self.task_heading = heading("", 3)
        self.task_heading.setObjectName("assistantTaskHeading")
        column.addWidget(self.task_heading)

        self.note_box = QWidget()
        notes = QVBoxLayout(self.note_box)
        notes.setContentsMargins(0, 0, 0, 0)
        notes.setSpacing(4)
        notes.addWidget(QLabel("Work from:"))
        self.note_combo = QComboBox()
        self.note_combo.setObjectName("assistantSource")
        self.note_combo.setAccessibleName("Work from")
        self.note_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.note_combo.setMinimumContentsLength(30)
        self.note_combo.currentIndexChanged.connect(self._on_source_changed)
        notes.addWidget(self.note_combo)
        self.note_hint = muted()
        self.note_hint.setObjectName("assistantSourceHint")
        notes.addWidget(self.note_hint)
        self.paste = QPlainTextEdit()
        self.paste.setObjectName("assistantPaste")
        self.paste.setAccessibleName("Transcript or notes")
        self.paste.setPlaceholderText("Paste the transcript, or your notes from the session…")
        self.paste.setTabChangesFocus(True)
        self.paste.setMinimumHeight(120)
        notes.addWidget(self.paste)
        column.addWidget(self.note_box)

        self.inquiry_box = QWidget()
        inquiry = QVBoxLayout(self.inquiry_box)
        inquiry.setContentsMargins(0, 0, 0, 0)
        inquiry.setSpacing(4)
        inquiry.addWidget(QLabel("The inquiry:"))
        self.inquiry = QPlainTextEdit()
        self.inquiry.setObjectName("assistantInquiry")
        self.inquiry.setAccessibleName("The inquiry")
        self.inquiry.setPlaceholderText(
            "Paste the lead's inquiry: their e-mail, message or form answers. Left empty, "
            "the assistant reads their discovery-call note."
        )
        self.inquiry.setTabChangesFocus(True)
        self.inquiry.setMinimumHeight(110)
        inquiry.addWidget(self.inquiry)
        self.inquiry_hint = muted()
        inquiry.addWidget(self.inquiry_hint)
        column.addWidget(self.inquiry_box)

        self.none_text = muted()
        self.none_text.setObjectName("assistantNothing")
        column.addWidget(self.none_text)

        self.record_text = muted()
        self.record_text.setObjectName("assistantRecordText")
        column.addWidget(self.record_text)

        self.write_button = QPushButton("Write draft")
        self.write_button.setObjectName("assistantWrite")
        self.write_button.setDefault(True)
        self.write_button.clicked.connect(self._on_write_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("assistantCancel")
        self.cancel_button.setToolTip("Stop writing; nothing is kept (Esc)")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.stage = QLabel()
        self.stage.setObjectName("assistantStage")
        self.progress = QProgressBar()
        self.progress.setObjectName("assistantProgress")
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.setAccessibleName("Writing the draft")
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.write_button)
        buttons.addWidget(self.stage)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(0)
        column.addLayout(buttons)
        self.error = error_label()
        self.error.setObjectName("assistantError")
        column.addWidget(self.error)

        self.output = QPlainTextEdit()
        self.output.setObjectName("assistantOutput")
        self.output.setAccessibleName("The draft")
        self.output.setReadOnly(True)
        self.output.setMinimumHeight(170)
        column.addWidget(self.output, 1)

        self.result = QLabel()
        self.result.setObjectName("assistantResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.review_button = QPushButton("Review now")
        self.review_button.setObjectName("assistantReview")
        self.review_button.setToolTip("Open the draft in the review queue to edit and approve it")
        self.review_button.clicked.connect(self._on_review_clicked)
        result_row = QHBoxLayout()
        result_row.setSpacing(10)
        result_row.addWidget(self.result, 1)
        result_row.addWidget(self.review_button, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(result_row)
        column.addStretch(1)
        return column

    def _build_drafts(self, layout: QVBoxLayout) -> None:
        self.drafts_heading = heading("Drafts", 3)
        layout.addWidget(self.drafts_heading)
        self.drafts_hint = muted()
        self.drafts_hint.setObjectName("assistantDraftsHint")
        layout.addWidget(self.drafts_hint)
        self.drafts_model = DraftListModel(self)
        self.drafts_table = QTableView()
        self.drafts_table.setObjectName("assistantDrafts")
        self.drafts_table.setModel(self.drafts_model)
        list_table(self.drafts_table, (8, 22, 30))
        self.drafts_table.horizontalHeader().setStretchLastSection(True)
        rows = 6
        self.drafts_table.setMinimumHeight(
            self.drafts_table.verticalHeader().defaultSectionSize() * rows
            + self.drafts_table.horizontalHeader().sizeHint().height()
            + 4
        )
        self.drafts_table.activated.connect(self._on_draft_activated)
        layout.addWidget(self.drafts_table)

    # Public API ----------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a draft is being written for the client shown."""
        return self.run is not None

    @property
    def chosen_task(self) -> AiTask | None:
        """The task picked (None when none may run)."""
        for task, row in self.task_rows.items():
            if row.button.isChecked():
                return task
        return None

    def set_client(self, client: Client) -> None:
        """Show the assistant for this client (what may run is read when the tab is shown)."""
        if self.client is not None and self.client.id != client.id:
            self._forget()
        new = self.client is None or self.client.id != client.id
        if new:
            self.inquiry.document().setModified(False)
        self.client = client
        if not self.inquiry.document().isModified():
            self.inquiry.setPlainText(client.notes)
            self.inquiry.document().setModified(False)
        self.inquiry_hint.setText(
            "Prefilled with the notes on their record; replace them with the inquiry if "
            "you have it."
            if client.notes.strip()
            else ""
        )
        self.inquiry_hint.setVisible(bool(client.notes.strip()))
        self.drafts_heading.setText(f"Drafts for {client.display_name}")
        self._show_source()
        self._update_buttons()
        self.mark_stale()

    def clear(self) -> None:
        """Forget the client (on lock): stop a draft being written, wipe every field."""
        if self.run is not None:
            self.run.cancel()
        self._forget()
        self.client = None
        self.inquiry.clear()
        self.drafts_heading.setText("Drafts")
        self._stale = True
        self._update_buttons()

    def reload(self) -> None:
        """Read what may run, the client's session notes and drafts on the db lane."""
        self._stale = False
        if self.model is None:
            self._read_model()
        client = self.client
        if client is None:
            return
        self._token += 1
        token, client_id = self._token, client.id
        job = self._ops.run(
            lambda vault: load_assistant(vault, client_id),
            on_done=lambda data: self._on_loaded(token, data),
            on_error=lambda failure: self._on_load_failed(token, failure),
            owner=self,
            context="reading what the assistant may do",
        )
        if job is None:
            self.show_message(LOCKED, error=True)

    def show_message(self, text: str | None, error: bool = False) -> None:
        """Say something at the top of the tab (an error in red), or nothing."""
        set_banner(self.message, text, error)

    def choose_task(self, task: AiTask) -> None:
        """Pick a task (when it may run)."""
        self.task_rows[task].button.setChecked(True)

    def write_draft(self) -> DraftRun | None:
        """Start writing a draft of the chosen task from the chosen source."""
        task, client = self.chosen_task, self.client
        if task is None or client is None or self.running or self.data is None:
            return None
        set_message(self.error, None)
        note_id: int | None = None
        text: str | None = None
        if task in NOTE_TASKS:
            chosen = self.note_combo.currentData()
            if chosen == PASTE:
                text = self.paste.toPlainText()
                if not text.strip():
                    set_message(self.error, "Paste a transcript or notes first.")
                    self.paste.setFocus()
                    return None
            else:
                note_id = int(chosen)
        elif task is AiTask.LEAD_INTENT:
            text = self.inquiry.toPlainText() if self.inquiry.toPlainText().strip() else None
        run = self._ai.draft(task, client.id, note_id=note_id, text=text, owner=self)
        self.run = run
        run.piece.connect(self._on_piece)
        run.stage.connect(self._on_stage)
        run.progressed.connect(self._on_progressed)
        run.succeeded.connect(lambda draft, r=run: self._on_succeeded(r, draft))
        run.failed.connect(lambda failure, r=run: self._on_failed(r, failure))
        run.cancelled.connect(lambda r=run: self._on_cancelled(r))
        run.finished.connect(lambda r=run: delete_soon(r, self))
        self.last_draft = None
        self.output.clear()
        self.output.setVisible(True)
        set_message(self.result, None)
        self.review_button.setVisible(False)
        self.stage.setText("Reading the record…")
        self.progress.setRange(0, 0)
        self._set_running(True)
        self.cancel_button.setFocus()
        return run

    def cancel(self) -> None:
        """Stop the draft being written; nothing is kept."""
        if self.run is None or self.run.cancel_event.is_set():
            return
        self.run.cancel()
        self.cancel_button.setEnabled(False)
        self.stage.setText("Stopping…")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc cancels the draft being written."""
        if event.key() == Qt.Key.Key_Escape and self.running:
            self.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    # Loading ---------------------------------------------------------------------

    def _forget(self) -> None:
        """Drop everything shown for the client; a draft being written goes on unseen."""
        self._token += 1
        run, self.run = self.run, None
        if run is not None:
            run.piece.disconnect(self._on_piece)
            run.stage.disconnect(self._on_stage)
            run.progressed.disconnect(self._on_progressed)
        self.data = None
        self.last_draft = None
        self.show_message(None)
        self.consent_box.setVisible(False)
        for row in self.task_rows.values():
            row.show_reason("", "")
        self.task_group.setExclusive(False)
        for row in self.task_rows.values():
            row.button.setChecked(False)
        self.task_group.setExclusive(True)
        self.note_combo.blockSignals(True)
        self.note_combo.clear()
        self.note_combo.blockSignals(False)
        self.paste.clear()
        self.inquiry.clear()  # never carried over to the next client
        self.inquiry.document().setModified(False)
        self.output.clear()
        self.output.setVisible(False)
        set_message(self.error, None)
        set_message(self.result, None)
        self.review_button.setVisible(False)
        self.drafts_model.set_drafts([])
        self.drafts_hint.clear()
        self._set_running(False)

    def _read_model(self) -> None:
        self._model_token += 1
        token = self._model_token
        self._ai.model_state(lambda choice: self._on_model_state(token, choice), owner=self)

    def _on_model_state(self, token: int, choice: ModelChoice) -> None:
        if token != self._model_token:
            return
        self.model = choice
        where, problem = model_text(choice)
        self.where.setText(where)
        self.where.setVisible(bool(where))
        set_banner(self.model_banner, problem or None)

    @Slot()
    def _on_model_changed(self) -> None:
        self.model = None
        if self.isVisible():
            self._read_model()

    def _on_loaded(self, token: int, data: AssistantData) -> None:
        if token != self._token or self.client is None:
            return
        self.data = data
        self.show_message(None)
        name = self.client.display_name
        consent_reason = ""
        if not data.consent:
            consent_reason = next(
                (r for r in data.reasons.values() if r and "Privacy" in r),
                f"{name} has not agreed to AI assistance, so the assistant may not use their "
                "records. Record their consent on the Privacy tab first.",
            )
        self.consent_text.setText(consent_reason)
        self.consent_box.setVisible(bool(consent_reason))
        for task, row in self.task_rows.items():
            reason = data.reasons.get(task, "")
            row.show_reason(reason, "" if reason == consent_reason else reason)
        self._fill_notes(data.notes)
        self.drafts_model.set_drafts(data.drafts)
        self.drafts_table.setVisible(bool(data.drafts))
        self.drafts_hint.setText(
            "Double-click a draft to open it in the review queue."
            if data.drafts
            else f"No drafts for {name} yet. Pick what to draft above and press Write draft; "
            "each draft waits for your review."
        )
        chosen = self.chosen_task
        if chosen is None or data.reasons.get(chosen):
            first = next((t for t in AiTask if not data.reasons.get(t)), None)
            if first is not None:
                self.choose_task(first)
            else:
                self.task_group.setExclusive(False)
                for row in self.task_rows.values():
                    row.button.setChecked(False)
                self.task_group.setExclusive(True)
        self._set_running(self.running)
        self._show_source()

    def _on_load_failed(self, token: int, failure: Failure) -> None:
        if token != self._token:
            return
        if isinstance(failure.error, NotFoundError):
            self.show_message("This client is no longer in CoachDesk.", error=True)
        elif failure.known:
            self.show_message(failure.message, error=True)
        else:
            show_failure(self, failure)

    def _fill_notes(self, notes: tuple[Note, ...]) -> None:
        previous = self.note_combo.currentData()
        self.note_combo.blockSignals(True)
        self.note_combo.clear()
        for note in notes:
            self.note_combo.addItem(note_choice_text(note), note.id)
        self.note_combo.addItem("Paste a transcript or notes…", PASTE)
        index = self.note_combo.findData(previous) if previous is not None else -1
        self.note_combo.setCurrentIndex(max(index, 0))
        self.note_combo.blockSignals(False)
        self._show_source()

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind in ("compliance", "crm", "ai_draft") and self.client is not None:
            self.mark_stale()

    # The task and its source -------------------------------------------------------

    def _on_task_toggled(self, _task: AiTask, on: bool) -> None:
        if not on or self.running:
            return
        set_message(self.error, None)
        set_message(self.result, None)
        self.review_button.setVisible(False)
        self.output.clear()
        self.output.setVisible(False)
        self.last_draft = None
        self._show_source()
        self._update_buttons()

    @Slot(int)
    def _on_source_changed(self, _index: int) -> None:
        set_message(self.error, None)
        self._show_source()

    def _show_source(self) -> None:
        task = self.chosen_task
        name = self.client.display_name if self.client else "The client"
        self.task_heading.setText(task_title(task) if task else "")
        self.task_heading.setVisible(task is not None)
        blocked = task is None and self.data is not None
        self.none_text.setText(
            f"Nothing can be drafted for {name} now; the reasons are shown above and under "
            "each task."
            if blocked
            else ""
        )
        self.none_text.setVisible(blocked)
        self.write_button.setVisible(task is not None or self.data is None)
        self.note_box.setVisible(task in NOTE_TASKS)
        pasting = self.note_combo.currentData() == PASTE
        self.paste.setVisible(pasting)
        has_notes = self.note_combo.count() > 1
        self.note_hint.setText(
            ""
            if has_notes
            else f"No session notes for {name} yet: paste a transcript or your notes here, "
            "or write a session note on the Notes tab."
        )
        self.note_hint.setVisible(not has_notes and self.note_combo.count() > 0)
        self.inquiry_box.setVisible(task is AiTask.LEAD_INTENT)
        record = RECORD_TEXT.get(task) if task is not None else None
        self.record_text.setText(record.format(name=name) if record else "")
        self.record_text.setVisible(bool(record))

    def _update_buttons(self) -> None:
        may = (
            self.client is not None
            and self.data is not None
            and self.chosen_task is not None
            and not self.running
        )
        self.write_button.setEnabled(may)

    def _set_running(self, running: bool) -> None:
        for task, row in self.task_rows.items():
            reason = self.data.reasons.get(task, "") if self.data else "loading"
            row.button.setEnabled(not running and not reason)
        for widget in (self.note_combo, self.paste, self.inquiry):
            widget.setEnabled(not running)
        self.stage.setVisible(running)
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self._update_buttons()

    # Writing ---------------------------------------------------------------------

    @Slot()
    def _on_write_clicked(self) -> None:
        self.write_draft()

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.cancel()

    @Slot(str)
    def _on_piece(self, text: str) -> None:
        bar = self.output.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.output.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_end:
            bar.setValue(bar.maximum())

    @Slot(str)
    def _on_stage(self, text: str) -> None:
        if self.run is not None and not self.run.cancel_event.is_set():
            self.stage.setText(text)

    @Slot(int, int)
    def _on_progressed(self, done: int, total: int) -> None:
        if self.run is None or self.run.cancel_event.is_set() or total <= 0:
            return
        if done >= total:
            self.progress.setRange(0, 0)
            self.stage.setText("Writing…")
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.stage.setText(f"Condensing part {done + 1} of {total}…")

    def _finish(self, run: DraftRun) -> bool:
        """End the run shown; False when `run` is one left running for another client."""
        if run is not self.run:
            return False
        self.run = None
        self._set_running(False)
        return True

    def _on_succeeded(self, run: DraftRun, draft: Draft) -> None:
        if not self._finish(run):
            self.notice.emit(
                f"Draft #{draft.id} for {draft.client_name or 'a client'} is waiting for "
                "your review.",
                None,
            )
            return
        self.last_draft = draft
        self.output.setPlainText(draft.text)
        set_banner(self.result, outcome_text(draft))
        self.review_button.setVisible(True)
        self.review_button.setFocus()
        self.notice.emit(f"{task_title(draft.task)}: draft #{draft.id} written.", None)

    def _on_failed(self, run: DraftRun, failure: Failure) -> None:
        if not self._finish(run):
            if failure.known:
                self.notice.emit(failure.message, None)
            return
        if not self.output.toPlainText():
            self.output.setVisible(False)
        if failure.known:
            set_message(self.error, failure.inline_text)
        else:
            set_message(self.error, "Something went wrong; no draft was written.")
            show_failure(self, failure)

    def _on_cancelled(self, run: DraftRun) -> None:
        if not self._finish(run):
            return
        self.output.clear()
        self.output.setVisible(False)
        set_banner(self.result, "Cancelled; nothing was kept.")
        self.write_button.setFocus()

    # The drafts ------------------------------------------------------------------

    @Slot()
    def _on_review_clicked(self) -> None:
        if self.last_draft is not None:
            self.review_requested.emit(self.last_draft.id)

    @Slot(QModelIndex)
    def _on_draft_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.review_requested.emit(self.drafts_model.draft_at(index.row()).id)
