"""A client's page: the record, and the relationship around it in tabs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QKeySequence, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from coachdesk.domain.clients import Client, Objective
from coachdesk.domain.crm import (
    FollowUp,
    FollowUpDraft,
    Goal,
    MilestoneDraft,
    Note,
    NoteKind,
)
from coachdesk.domain.documents import DocumentInfo
from coachdesk.domain.errors import NotFoundError
from coachdesk.domain.pipeline import Stage, StageChange
from coachdesk.ui.compat import delete_soon
from coachdesk.ui.dialogs.follow_up_editor import FollowUpEditor
from coachdesk.ui.dialogs.goal_editor import GoalEditor
from coachdesk.ui.dialogs.note_editor import NoteEditor, NoteHistoryDialog, note_html
from coachdesk.ui.lanes import Failure
from coachdesk.ui.models.client_table import STATUS_COLORS, STATUS_LABELS, long_time
from coachdesk.ui.models.crm_lists import (
    PROGRESS_ROLE,
    FollowUpModel,
    GoalModel,
    NoteModel,
    client_sections,
    day_text,
    days_ago,
    due_text,
    to_local,
    utc_now,
)
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.client_assistant import ClientAssistant
from coachdesk.ui.views.client_documents import ClientDocuments, list_documents
from coachdesk.ui.views.client_privacy import ClientPrivacy
from coachdesk.ui.views.client_sessions import ClientSessions, SessionsData, load_sessions
from coachdesk.ui.widgets import EmptyState, heading, list_table, muted, scrolling, separator

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault
    from coachdesk.ui.assistant_ops import AiOps

TABS = (
    "overview",
    "notes",
    "goals",
    "follow_ups",
    "documents",
    "sessions",
    "assistant",
    "privacy",
)
# Tabs that load their own data when shown (LazyView); the page only hands them the client.
SELF_LOADING = frozenset({"assistant", "privacy"})
TAB_TITLES = {
    "overview": "Overview",
    "notes": "Notes",
    "goals": "Goals",
    "follow_ups": "Follow-ups",
    "documents": "Documents",
    "sessions": "Sessions",
    "assistant": "Assistant",
    "privacy": "Privacy",
}
SELECT_ROW = (
    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
)
SNOOZE_CHOICES = (
    ("For 1 hour", timedelta(hours=1)),
    ("Until tomorrow", timedelta(days=1)),
    ("Until next week", timedelta(weeks=1)),
)
NONE_HTML = "<span style='color: gray'>—</span>"


# Run on the db lane. The services are imported there, on first use.


@dataclass(frozen=True, slots=True)
class Overview:
    """What the Overview tab shows beyond the record itself."""

    client: Client
    history: tuple[StageChange, ...]
    stages: tuple[Stage, ...]


@dataclass(frozen=True, slots=True)
class Completed:
    """Follow-ups marked done, and the next ones their recurrence scheduled."""

    done: tuple[FollowUp, ...]
    following: tuple[FollowUp, ...]


def load_overview(vault: Vault, client_id: int) -> Overview:
    """Db lane: the record, its stage history and the stage names."""
    from coachdesk.services import clients, pipeline

    return Overview(
        clients.get_client(vault, client_id),
        tuple(pipeline.history(vault, client_id)),
        tuple(pipeline.list_stages(vault)),
    )


def list_notes(vault: Vault, client_id: int) -> list[Note]:
    """Db lane: a client's notes, newest first."""
    from coachdesk.services import crm

    return crm.list_notes(vault, client_id)


def list_goals(vault: Vault, client_id: int) -> list[Goal]:
    """Db lane: a client's goals, open ones first."""
    from coachdesk.services import crm

    return crm.list_goals(vault, client_id)


def list_follow_ups(vault: Vault, client_id: int) -> list[FollowUp]:
    """Db lane: a client's follow-ups."""
    from coachdesk.services import crm

    return crm.list_follow_ups(vault, client_id)


def log_contact(vault: Vault, client_id: int) -> Client:
    """Db lane: record contact now; the record as it reads after."""
    from coachdesk.services import clients, crm

    crm.log_contact(vault, client_id)
    return clients.get_client(vault, client_id)


def delete_note(vault: Vault, note_id: int) -> None:
    """Db lane: remove a note and its history."""
    from coachdesk.services import crm

    crm.delete_note(vault, note_id)


def delete_goal(vault: Vault, goal_id: int) -> None:
    """Db lane: remove a goal and its milestones."""
    from coachdesk.services import crm

    crm.delete_goal(vault, goal_id)


def delete_follow_up(vault: Vault, follow_up_id: int) -> None:
    """Db lane: remove a follow-up."""
    from coachdesk.services import crm

    crm.delete_follow_up(vault, follow_up_id)


def tick_milestone(
    vault: Vault, client_id: int, goal_id: int, milestone_id: int, done: bool
) -> Goal:
    """Db lane: mark one milestone done or not, keeping the goal as stored."""
    from coachdesk.services import crm

    goal = next((g for g in crm.list_goals(vault, client_id) if g.id == goal_id), None)
    if goal is None:
        raise NotFoundError("This goal was deleted meanwhile.")
    steps = tuple(
        MilestoneDraft(m.title, m.due_on, done if m.id == milestone_id else m.done_at is not None)
        for m in goal.milestones
    )
    return crm.update_goal(vault, goal_id, goal.draft(), steps)


def complete_follow_ups(vault: Vault, items: Sequence[FollowUp]) -> Completed:
    """Db lane: mark open follow-ups done; repeating ones get their next one."""
    from coachdesk.services import crm

    following = []
    for item in items:
        fresh = crm.complete_follow_up(vault, item.id)
        if fresh is not None:
            following.append(fresh)
    return Completed(tuple(items), tuple(following))


def undo_complete(vault: Vault, completed: Completed) -> None:
    """Db lane: mark follow-ups not done again and drop the next ones their Done scheduled."""
    from coachdesk.services import crm

    for follow_up in completed.done:
        crm.reopen_follow_up(vault, follow_up.id)
    for follow_up in completed.following:
        crm.delete_follow_up(vault, follow_up.id)


def reopen_follow_ups(vault: Vault, ids: Sequence[int]) -> None:
    """Db lane: mark follow-ups not done."""
    from coachdesk.services import crm

    for follow_up_id in ids:
        crm.reopen_follow_up(vault, follow_up_id)


def snooze_follow_ups(vault: Vault, ids: Sequence[int], by: timedelta) -> list[FollowUp]:
    """Db lane: push follow-ups back; the follow-ups as they read after."""
    from coachdesk.services import crm

    return [crm.snooze_follow_up(vault, follow_up_id, by) for follow_up_id in ids]


def unsnooze(vault: Vault, before: Sequence[FollowUp]) -> None:
    """Db lane: put snoozed follow-ups back to the due times they had."""
    from coachdesk.services import crm

    for item in before:
        crm.update_follow_up(
            vault, item.id, FollowUpDraft(item.title, item.due_at, item.recurrence)
        )


# Words ------------------------------------------------------------------------------------


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 note", "3 notes"."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def stage_text(client: Client, now: datetime | None = None) -> str:
    """ "Discovery call · for 12 days"."""
    if not client.stage_name:
        return ""
    if client.stage_since is None:
        return client.stage_name
    days = ((now or utc_now()) - client.stage_since).days
    since = "since today" if days < 1 else f"for {plural(days, 'day')}"
    return f"{client.stage_name} · {since}"


def contact_text(when: datetime | None, now: datetime | None = None) -> str:
    """ "12 days ago (3 Nov 2026)", or that there was none."""
    if when is None:
        return "No contact recorded yet"
    ago = days_ago(when, now)
    return f"{ago.capitalize()} ({day_text(to_local(when).date())})"


def birthday_text(value: str) -> str:
    """ "15 March 1990", or "15 March" when the year is not known."""
    if not value:
        return ""
    try:
        if value.startswith("--"):
            day = date(2000, int(value[2:4]), int(value[5:7]))
            return f"{day.day} {day:%B}"
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"


def history_lines(overview: Overview) -> list[str]:
    """ "Inquiry → Discovery call, 3 Nov 2026", newest first."""
    names = {s.id: s.name for s in overview.stages}
    lines = []
    for change in reversed(overview.history):
        target = names.get(change.to_stage_id, "a removed stage")
        when = day_text(to_local(change.at).date())
        if change.from_stage_id is None:
            line = f"Added to {target}, {when}"
        else:
            source = names.get(change.from_stage_id, "a removed stage")
            line = f"{source} → {target}, {when}"
        if change.reason:
            line += f" — {change.reason}"
        lines.append(line)
    return lines


def _escape(text: str) -> str:
    return escape(text, quote=False)


def _zone_text(zone: str) -> str:
    if not zone:
        return ""
    try:
        there = datetime.now(ZoneInfo(zone))
    except (ValueError, KeyError):
        return _escape(zone)
    return f"{_escape(zone)} <span style='color: gray'>· {there:%H:%M} there now</span>"


# Shared list helpers ----------------------------------------------------------------------


class ProgressDelegate(QStyledItemDelegate):
    """Paints a progress bar where a model gives PROGRESS_ROLE, and roomier rows everywhere."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """A bar for progress cells, the usual cell otherwise."""
        value = index.data(PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(4, 5, -8, -5)
        bar.minimum = 0
        bar.maximum = 100
        bar.progress = int(value)
        bar.text = f"{int(value)}%"
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """A little more height than text alone, so rows breathe and bars fit."""
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 10)


def configure_tree(tree: QTreeView, model: QObject) -> None:
    """The look shared by the goal and follow-up lists."""
    tree.setModel(model)  # type: ignore[arg-type]
    tree.setItemDelegate(ProgressDelegate(tree))
    tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    tree.setRootIsDecorated(False)
    tree.setItemsExpandable(False)
    tree.setExpandsOnDoubleClick(False)
    tree.setIndentation(14)
    tree.setAllColumnsShowFocus(True)
    tree.setAlternatingRowColors(False)
    header = tree.header()
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)


def span_sections(tree: QTreeView, model: FollowUpModel) -> None:
    """Section rows read across the whole width; every section open."""
    for row in range(model.rowCount()):
        tree.setFirstColumnSpanned(row, QModelIndex(), True)
    tree.expandAll()


def select_index(view: QAbstractItemView, index: QModelIndex) -> bool:
    """Make a row current and selected, scrolled into view (False when invalid)."""
    if not index.isValid():
        return False
    view.selectionModel().setCurrentIndex(index, SELECT_ROW)
    view.scrollTo(index)
    return True


def selected_follow_ups(tree: QTreeView, model: FollowUpModel) -> list[FollowUp]:
    """The follow-ups selected in a tree, in display order."""
    rows = sorted(tree.selectionModel().selectedRows(), key=lambda i: (i.parent().row(), i.row()))
    return [f for f in (model.follow_up_at(i) for i in rows) if f is not None]


def _quoted(items: Sequence[FollowUp]) -> str:
    return f"“{items[0].title}”" if len(items) == 1 else plural(len(items), "follow-up")


class FollowUpActions(QObject):
    """Done and Snooze for the selected follow-ups, each with Undo in its notice.

    Args:
        ops: the vault operations.
        selected: the follow-ups the buttons act on.
        parent: the widget that shows the buttons.

    Signals:
        notice: (message, undo callable or None) for the status bar.
    """

    notice = Signal(str, object)

    def __init__(
        self, ops: VaultOps, selected: Callable[[], list[FollowUp]], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._selected = selected
        self._owner = parent
        self.done_button = QPushButton("Done")
        self.done_button.setToolTip("Mark the selected follow-ups done")
        self.done_button.clicked.connect(self.complete)
        self.snooze_button = QPushButton("Snooze")
        self.snooze_button.setToolTip("Push the selected follow-ups back")
        self.snooze_menu = QMenu(self.snooze_button)
        for text, by in SNOOZE_CHOICES:
            action = self.snooze_menu.addAction(text)
            action.triggered.connect(lambda _checked=False, by=by: self.snooze(by))
        self.snooze_button.setMenu(self.snooze_menu)
        self.update_buttons()

    def update_buttons(self) -> None:
        """Enable the buttons for what is selected ("Not done" when all of it is done)."""
        items = self._selected()
        reopen = bool(items) and all(f.done_at is not None for f in items)
        self.done_button.setEnabled(bool(items))
        self.done_button.setText("Not done" if reopen else "Done")
        self.snooze_button.setEnabled(any(f.done_at is None for f in items))

    @Slot()
    def complete(self) -> None:
        """Mark the selection done (or, when it is all done, not done)."""
        items = self._selected()
        if items and all(f.done_at is not None for f in items):
            ids = [f.id for f in items]
            self._ops.run(
                lambda vault: reopen_follow_ups(vault, ids),
                on_done=lambda _none: self.notice.emit(f"Marked {_quoted(items)} not done.", None),
                changes="crm",
                owner=self._owner,
                context="reopening follow-ups",
            )
            return
        open_items = [f for f in items if f.done_at is None]
        if open_items:
            self._ops.run(
                lambda vault: complete_follow_ups(vault, open_items),
                on_done=self._on_completed,
                changes="crm",
                owner=self._owner,
                context="marking follow-ups done",
            )

    def snooze(self, by: timedelta) -> None:
        """Push the open follow-ups in the selection back by `by`."""
        before = [f for f in self._selected() if f.done_at is None]
        if not before:
            return
        ids = [f.id for f in before]
        self._ops.run(
            lambda vault: snooze_follow_ups(vault, ids, by),
            on_done=lambda after: self._on_snoozed(before, after),
            changes="crm",
            owner=self._owner,
            context="snoozing follow-ups",
        )

    def _undo(self, fn: Callable[[Vault], None], context: str) -> Callable[[], None]:
        def undo() -> None:
            self._ops.run(fn, changes="crm", context=context)

        return undo

    @Slot(object)
    def _on_completed(self, completed: Completed) -> None:
        message = f"Marked {_quoted(completed.done)} done."
        if len(completed.following) == 1:
            message += f" The next one is due {due_text(completed.following[0].due_at)}."
        elif completed.following:
            message += f" {plural(len(completed.following), 'next one')} scheduled."
        undo = self._undo(lambda vault: undo_complete(vault, completed), "undoing Done")
        self.notice.emit(message, undo)

    def _on_snoozed(self, before: list[FollowUp], after: list[FollowUp]) -> None:
        if len(after) == 1:
            message = f"Snoozed “{after[0].title}” to {due_text(after[0].due_at)}."
        else:
            message = f"Snoozed {plural(len(after), 'follow-up')}."
        undo = self._undo(lambda vault: unsnooze(vault, before), "undoing Snooze")
        self.notice.emit(message, undo)


# The page ---------------------------------------------------------------------------------


class ClientPage(QWidget):
    """One client's record and relationship, in tabs: Overview, Notes, Goals, Follow-ups, Documents.

    Each tab reads its data on the db lane when it is first shown for a
    client, and again after notes, goals or follow-ups ("crm"), documents
    ("documents") or the client change; while the page is hidden a change
    only marks the tabs stale.

    Args:
        ops: the vault operations.
        ai: the assistant's operations (None: one of its own, for tests of other tabs).
        parent: the owning widget.

    Signals:
        draft_requested: a draft's id the coach wants to review.
        back_requested: return to the list.
        edit_requested: the shown client's id.
        trash_requested: the shown client's id.
        notice: (message, undo callable or None) for the status bar.
        loaded: a tab's name (one of TABS) once its data shows.
        erased: the shown client's id, once they were erased for good.
    """

    back_requested = Signal()
    draft_requested = Signal(int)
    erased = Signal(int)
    edit_requested = Signal(int)
    trash_requested = Signal(int)
    notice = Signal(str, object)
    loaded = Signal(str)

    RELATIONSHIP = (
        ("stage", "Stage"),
        ("last_contact", "Last contact"),
        ("client_type", "Type"),
        ("objective", "Objective"),
        ("lead_source", "Lead source"),
        ("tags", "Tags"),
    )
    CONTACT = (
        ("emails", "E-mail"),
        ("phones", "Phone"),
        ("company", "Company"),
        ("role", "Role"),
        ("time_zone", "Time zone"),
        ("locale", "Locale"),
        ("birthday", "Birthday"),
        ("created", "Added"),
        ("updated", "Last changed"),
    )
    FIELDS = RELATIONSHIP + CONTACT

    def __init__(
        self, ops: VaultOps, ai: AiOps | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self.client: Client | None = None
        self._stale: set[str] = set()
        self._loading: set[str] = set()
        self._tokens = dict.fromkeys(TABS, 0)
        self._wanted: tuple[str, int] | None = None
        self.editor: QDialog | None = None
        self.history_dialog: NoteHistoryDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.confirm_yes: QPushButton | None = None

        self.back_button = QPushButton("\u2039  All clients")
        self.back_button.setFlat(True)
        self.back_button.setToolTip("Back to the list (Esc)")
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Edit this client (Ctrl+E)")
        self.trash_button = QPushButton("Move to Trash")
        self.back_button.clicked.connect(self.back_requested)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.trash_button.clicked.connect(self._on_trash_clicked)
        for key, slot in (
            (QKeySequence(Qt.Key.Key_Escape), self.back_requested.emit),
            (QKeySequence(QKeySequence.StandardKey.Back), self.back_requested.emit),
            (QKeySequence("Ctrl+E"), self._on_edit_clicked),
        ):
            action = QAction(self)
            action.setShortcut(key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

        bar = QHBoxLayout()
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.trash_button)

        self.name = heading("", 8)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("statusChip")
        self.subtitle = muted()
        title_row = QHBoxLayout()
        title_row.addWidget(self.name)
        title_row.addSpacing(8)
        title_row.addWidget(self.status, 0, Qt.AlignmentFlag.AlignVCenter)
        title_row.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("clientTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_overview(), TAB_TITLES["overview"])
        self.tabs.addTab(self._build_notes(), TAB_TITLES["notes"])
        self.tabs.addTab(self._build_goals(), TAB_TITLES["goals"])
        self.tabs.addTab(self._build_follow_ups(), TAB_TITLES["follow_ups"])
        self.documents = ClientDocuments(ops)
        self.documents.notice.connect(self.notice)
        self.tabs.addTab(self.documents, TAB_TITLES["documents"])
        self.sessions = ClientSessions(ops)
        self.sessions.notice.connect(self.notice)
        self.tabs.addTab(self.sessions, TAB_TITLES["sessions"])
        if ai is None:
            from coachdesk.settings import MachineSettings
            from coachdesk.ui.assistant_ops import AiOps

            ai = AiOps(ops, MachineSettings(), self)
        self.assistant = ClientAssistant(ops, ai)
        self.assistant.notice.connect(self.notice)
        self.assistant.review_requested.connect(self.draft_requested)
        self.assistant.privacy_requested.connect(lambda: self.show_tab("privacy"))
        self.tabs.addTab(self.assistant, TAB_TITLES["assistant"])
        self.privacy = ClientPrivacy(ops)
        self.privacy.notice.connect(self.notice)
        self.privacy.erased.connect(self.erased)
        self.tabs.addTab(self.privacy, TAB_TITLES["privacy"])
        self.tabs.currentChanged.connect(self._on_tab_changed)

        header = QVBoxLayout()
        header.setContentsMargins(4, 4, 16, 0)
        header.setSpacing(6)
        header.addLayout(title_row)
        header.addWidget(self.subtitle)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)

        ops.changed.connect(self._on_data_changed)
        ops.closed.connect(self.clear)

    # Building ------------------------------------------------------------------

    def _value_grid(self, fields: tuple[tuple[str, str], ...]) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(20)
        grid.setVerticalSpacing(8)
        for row, (name, label) in enumerate(fields):
            caption = muted(label, wrap=False)
            value = QLabel()
            value.setObjectName(f"value_{name}")
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.RichText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            value.setOpenExternalLinks(True)
            self.values[name] = value
            grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
            if name == "last_contact":
                value.setWordWrap(False)
                line = QHBoxLayout()
                line.setSpacing(10)
                line.addWidget(value)
                line.addWidget(self.log_contact_button)
                line.addStretch(1)
                grid.addLayout(line, row, 1, Qt.AlignmentFlag.AlignTop)
            else:
                grid.addWidget(value, row, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        return grid

    def _build_overview(self) -> QWidget:
        self.values: dict[str, QLabel] = {}
        self.log_contact_button = QPushButton("Log contact")
        self.log_contact_button.setToolTip(
            "Record that you were in touch today (a call, a message) without writing a note"
        )
        self.log_contact_button.clicked.connect(self._on_log_contact_clicked)

        columns = QHBoxLayout()
        columns.setSpacing(36)
        for title, fields in (("Relationship", self.RELATIONSHIP), ("Contact", self.CONTACT)):
            column = QVBoxLayout()
            column.setSpacing(10)
            column.addWidget(heading(title, 2))
            column.addLayout(self._value_grid(fields))
            column.addStretch(1)
            columns.addLayout(column, 1)

        self.stage_history = QLabel()
        self.stage_history.setObjectName("stageHistory")
        self.stage_history.setWordWrap(True)
        self.stage_history.setTextFormat(Qt.TextFormat.PlainText)
        self.stage_history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()
        self.notes.setObjectName("notes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(4, 12, 16, 16)
        body_layout.setSpacing(10)
        body_layout.addLayout(columns)
        body_layout.addSpacing(6)
        body_layout.addWidget(separator())
        body_layout.addSpacing(6)
        body_layout.addWidget(heading("Stage history", 2))
        body_layout.addWidget(self.stage_history)
        body_layout.addSpacing(10)
        body_layout.addWidget(heading("Background", 2))
        body_layout.addWidget(self.notes)
        body_layout.addStretch(1)
        return scrolling(body)

    @staticmethod
    def _tab(buttons: Sequence[QPushButton], count: QLabel, content: QWidget) -> QWidget:
        page = QWidget()
        toolbar = QHBoxLayout()
        toolbar.setSpacing(6)
        for button in buttons:
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        toolbar.addWidget(count)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(toolbar)
        layout.addWidget(content, 1)
        return page

    def _shortcut(
        self, view: QWidget, keys: Sequence[QKeySequence], slot: Callable[[], Any]
    ) -> None:
        action = QAction(view)
        action.setShortcuts(list(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        view.addAction(action)

    def _build_notes(self) -> QWidget:
        self.new_note_button = QPushButton("New note")
        self.new_note_button.clicked.connect(self.new_note)
        self.open_note_button = QPushButton("Open…")
        self.open_note_button.setToolTip("Read and edit the selected note (Enter)")
        self.open_note_button.clicked.connect(self._on_open_note_clicked)
        self.note_history_button = QPushButton("History…")
        self.note_history_button.setToolTip("Earlier versions of the selected note")
        self.note_history_button.clicked.connect(self._on_note_history_clicked)
        self.delete_note_button = QPushButton("Delete…")
        self.delete_note_button.clicked.connect(self._on_delete_note_clicked)
        self.notes_count = muted(wrap=False)

        self.note_model = NoteModel(self)
        table = self.notes_table = QTableView()
        table.setObjectName("notesTable")
        table.setModel(self.note_model)
        list_table(table, (13, 15, 44, 22, 22))
        header = table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.doubleClicked.connect(lambda _index: self._on_open_note_clicked())
        table.selectionModel().selectionChanged.connect(self._on_note_current_changed)
        keys = [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        self._shortcut(table, keys, self._on_open_note_clicked)
        self._shortcut(
            table, [QKeySequence(QKeySequence.StandardKey.Delete)], self._on_delete_note_clicked
        )

        self.note_preview = QTextBrowser()
        self.note_preview.setObjectName("notePreview")
        self.note_preview.setOpenLinks(False)
        self.note_preview.document().setDocumentMargin(10)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(table)
        splitter.addWidget(self.note_preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        self.notes_empty = EmptyState(
            "No notes yet",
            "Write down what you hear on discovery calls and in sessions. Themes and "
            "blockers you add to each note help you spot patterns later.",
            "Write the first note",
        )
        assert self.notes_empty.button is not None
        self.notes_empty.button.clicked.connect(self.new_note)
        self.notes_stack = QStackedWidget()
        self.notes_stack.addWidget(splitter)
        self.notes_stack.addWidget(self.notes_empty)
        self._update_note_buttons()
        buttons = (
            self.new_note_button,
            self.open_note_button,
            self.note_history_button,
            self.delete_note_button,
        )
        return self._tab(buttons, self.notes_count, self.notes_stack)

    def _build_goals(self) -> QWidget:
        self.new_goal_button = QPushButton("New goal")
        self.new_goal_button.clicked.connect(self.new_goal)
        self.edit_goal_button = QPushButton("Edit…")
        self.edit_goal_button.setToolTip("Edit the selected goal and its milestones (Enter)")
        self.edit_goal_button.clicked.connect(self._on_edit_goal_clicked)
        self.delete_goal_button = QPushButton("Delete…")
        self.delete_goal_button.clicked.connect(self._on_delete_goal_clicked)
        self.goals_count = muted(wrap=False)

        self.goal_model = GoalModel(self)
        self.goal_model.milestone_toggled.connect(self._on_milestone_toggled)
        tree = self.goals_tree = QTreeView()
        tree.setObjectName("goalsTree")
        configure_tree(tree, self.goal_model)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        char = tree.fontMetrics().averageCharWidth()
        for column, chars in enumerate((46, 20, 14)):
            tree.setColumnWidth(column, chars * char)
        tree.doubleClicked.connect(self._on_goal_double_clicked)
        # A click moves the current row before it selects: both signals matter.
        tree.selectionModel().currentRowChanged.connect(lambda *_args: self._update_goal_buttons())
        tree.selectionModel().selectionChanged.connect(lambda *_args: self._update_goal_buttons())
        keys = [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        self._shortcut(tree, keys, self._on_edit_goal_clicked)
        self._shortcut(
            tree, [QKeySequence(QKeySequence.StandardKey.Delete)], self._on_delete_goal_clicked
        )
        self.goal_detail = muted()
        self.goal_detail.setObjectName("goalDetail")
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(tree, 1)
        content_layout.addWidget(self.goal_detail)

        self.goals_empty = EmptyState(
            "No goals yet",
            "Set what the client wants to reach, how you will both measure it and by when. "
            "Milestones break it into steps you can tick off together.",
            "Set a goal",
        )
        assert self.goals_empty.button is not None
        self.goals_empty.button.clicked.connect(self.new_goal)
        self.goals_stack = QStackedWidget()
        self.goals_stack.addWidget(content)
        self.goals_stack.addWidget(self.goals_empty)
        self._update_goal_buttons()
        buttons = (self.new_goal_button, self.edit_goal_button, self.delete_goal_button)
        return self._tab(buttons, self.goals_count, self.goals_stack)

    def _build_follow_ups(self) -> QWidget:
        self.new_follow_up_button = QPushButton("New follow-up")
        self.new_follow_up_button.clicked.connect(self.new_follow_up)
        self.edit_follow_up_button = QPushButton("Edit…")
        self.edit_follow_up_button.setToolTip("Change the selected follow-up (Enter)")
        self.edit_follow_up_button.clicked.connect(self._on_edit_follow_up_clicked)
        self.delete_follow_up_button = QPushButton("Delete…")
        self.delete_follow_up_button.clicked.connect(self._on_delete_follow_up_clicked)
        self.follow_ups_count = muted(wrap=False)

        self.follow_up_model = FollowUpModel(show_client=False, parent=self)
        tree = self.follow_ups_tree = QTreeView()
        tree.setObjectName("followUpsTree")
        configure_tree(tree, self.follow_up_model)
        char = tree.fontMetrics().averageCharWidth()
        for column, chars in enumerate((44, 24, 14)):
            tree.setColumnWidth(column, chars * char)
        self.follow_up_actions = FollowUpActions(
            self._ops, lambda: selected_follow_ups(tree, self.follow_up_model), self
        )
        self.follow_up_actions.notice.connect(self.notice)
        tree.selectionModel().selectionChanged.connect(
            lambda *_args: self._update_follow_up_buttons()
        )
        tree.doubleClicked.connect(lambda _index: self._on_edit_follow_up_clicked())
        keys = [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        self._shortcut(tree, keys, self._on_edit_follow_up_clicked)
        self._shortcut(
            tree,
            [QKeySequence(QKeySequence.StandardKey.Delete)],
            self._on_delete_follow_up_clicked,
        )

        self.follow_ups_empty = EmptyState(
            "No follow-ups",
            "Add what you promised to do for this client, with a date and time. Overdue "
            "ones stand out here, in the client list and in the Due list.",
            "Add a follow-up",
        )
        assert self.follow_ups_empty.button is not None
        self.follow_ups_empty.button.clicked.connect(self.new_follow_up)
        self.follow_ups_stack = QStackedWidget()
        self.follow_ups_stack.addWidget(tree)
        self.follow_ups_stack.addWidget(self.follow_ups_empty)
        self._update_follow_up_buttons()
        buttons = (
            self.new_follow_up_button,
            self.follow_up_actions.done_button,
            self.follow_up_actions.snooze_button,
            self.edit_follow_up_button,
            self.delete_follow_up_button,
        )
        return self._tab(buttons, self.follow_ups_count, self.follow_ups_stack)

    # Public API ----------------------------------------------------------------

    def set_client(self, client: Client) -> None:
        """Show a client's record; the tabs load when they are looked at."""
        same = self.client is not None and self.client.id == client.id
        self.client = client
        self._show_record(client)
        if same:
            self._stale.add("overview")
        else:
            self._forget_lists()
            self._stale = set(TABS)
            self._loading = set()
            if self._wanted is None:
                self.tabs.setCurrentIndex(0)
        self.sessions.set_client(client)
        self.documents.set_client(client)
        self.assistant.set_client(client)
        self.privacy.set_client(client)
        self._refresh()

    def clear(self) -> None:
        """Forget the client shown (the vault is locking)."""
        self.client = None
        self._wanted = None
        self._stale = set()
        self._loading = set()
        for tab in TABS:
            self._tokens[tab] += 1
        for dialog in (self.editor, self.history_dialog, self.confirm_box):
            if dialog is not None:
                dialog.done(QDialog.DialogCode.Rejected)
        self.editor = self.history_dialog = self.confirm_box = None
        self.confirm_yes = None
        self.name.clear()
        self.status.clear()
        self.status.setStyleSheet("")
        self.subtitle.clear()
        for value in self.values.values():
            value.clear()
        self.stage_history.clear()
        self.notes.clear()
        self._forget_lists()

    @property
    def current_tab(self) -> str:
        """The name of the tab shown (one of TABS)."""
        return TABS[self.tabs.currentIndex()]

    def show_tab(self, name: str) -> None:
        """Show a tab by name: one of TABS ("overview", "notes", … "documents", "sessions")."""
        if name not in TABS:
            raise ValueError(f"no tab called {name!r}; use one of {', '.join(TABS)}")
        if self.tabs.currentIndex() == TABS.index(name):
            self._refresh()
        else:
            self.tabs.setCurrentIndex(TABS.index(name))

    def open_on(self, tab: str) -> None:
        """Show `tab`, and keep it when the client being opened arrives."""
        self._wanted = (tab, 0)  # no item to select: ids start at 1
        self.show_tab(tab)

    def open_note(self, note_id: int) -> None:
        """Show the Notes tab with a note selected (once the notes are loaded)."""
        self._open_item("notes", note_id)

    def open_goal(self, goal_id: int) -> None:
        """Show the Goals tab with a goal selected."""
        self._open_item("goals", goal_id)

    def open_follow_up(self, follow_up_id: int) -> None:
        """Show the Follow-ups tab with a follow-up selected."""
        self._open_item("follow_ups", follow_up_id)

    def open_document(self, document_id: int) -> None:
        """Show the Documents tab with a document selected."""
        self._open_item("documents", document_id)

    @Slot()
    def new_note(self) -> None:
        """Open the form for a new note (a discovery-call note for a lead)."""
        client = self.client
        if client is None:
            return
        kind = NoteKind.DISCOVERY if client.status.value == "lead" else NoteKind.SESSION
        self._start_editor(lambda: NoteEditor(self._ops, client.id, None, kind, self))

    @Slot()
    def new_goal(self) -> None:
        """Open the form for a new goal."""
        client = self.client
        if client is not None:
            self._start_editor(lambda: GoalEditor(self._ops, client.id, None, self))

    @Slot()
    def new_follow_up(self) -> None:
        """Open the form for a new follow-up."""
        client = self.client
        if client is not None:
            self._start_editor(
                lambda: FollowUpEditor(self._ops, client.id, None, client.display_name, self)
            )

    # Showing -------------------------------------------------------------------

    def _show_record(self, client: Client) -> None:
        self.name.setText(client.display_name)
        color = STATUS_COLORS[client.status].name()
        self.status.setText(STATUS_LABELS[client.status])
        self.status.setStyleSheet(
            f"color: {color}; border: 1px solid {color}; border-radius: 9px; padding: 1px 8px;"
        )
        full = " ".join(p for p in (client.first_name, client.last_name) if p)
        parts = []
        if client.preferred_name and full and full != client.display_name:
            parts.append(full)
        work = " at ".join(p for p in (client.role, client.company) if p)
        if work:
            parts.append(work)
        self.subtitle.setText(" · ".join(parts))
        self.subtitle.setVisible(bool(parts))
        emails = "<br>".join(
            f"<a href='mailto:{_escape(e)}'>{_escape(e)}</a>" for e in client.emails
        )
        objective = client.objective.label if client.objective is not Objective.NONE else ""
        values = {
            "stage": _escape(stage_text(client)),
            "last_contact": _escape(contact_text(client.last_contact_at)),
            "client_type": _escape(client.client_type.label),
            "objective": _escape(objective),
            "lead_source": _escape(client.lead_source),
            "tags": _escape(", ".join(client.tags)),
            "emails": emails,
            "phones": "<br>".join(_escape(p) for p in client.phones),
            "company": _escape(client.company),
            "role": _escape(client.role),
            "time_zone": _zone_text(client.time_zone),
            "locale": _escape(client.locale),
            "birthday": _escape(birthday_text(client.birthday)),
            "created": long_time(client.created_at),
            "updated": long_time(client.updated_at),
        }
        for name, text in values.items():
            self.values[name].setText(text or NONE_HTML)
        self.notes.setText(client.notes or "Nothing written yet. Use Edit to add background.")
        self.notes.setEnabled(bool(client.notes))

    def _forget_lists(self) -> None:
        self.note_model.clear()
        self.goal_model.clear()
        self.follow_up_model.clear()
        self.sessions.clear()
        self.documents.clear()
        self.assistant.clear()
        self.privacy.clear()
        self.note_preview.clear()
        self.goal_detail.clear()
        self.stage_history.clear()
        for stack in (self.notes_stack, self.goals_stack, self.follow_ups_stack):
            stack.setCurrentIndex(0)
        for label in (self.notes_count, self.goals_count, self.follow_ups_count):
            label.clear()
        for index, tab in enumerate(TABS):
            self.tabs.setTabText(index, TAB_TITLES[tab])
        self._update_note_buttons()
        self._update_goal_buttons()
        self._update_follow_up_buttons()

    def _show_overview(self, overview: Overview) -> None:
        self.client = overview.client
        self._show_record(overview.client)
        lines = history_lines(overview)
        self.stage_history.setText(
            "\n".join(lines) if lines else "Not placed on the pipeline board yet."
        )

    def _show_notes(self, notes: list[Note]) -> None:
        current = self._current_note()
        self.note_model.set_notes(notes)
        self.notes_stack.setCurrentIndex(0 if notes else 1)
        self.notes_count.setText(plural(len(notes), "note") if notes else "")
        self.tabs.setTabText(1, f"Notes ({len(notes)})" if notes else "Notes")
        self._fit_note_columns()
        row = self.note_model.row_of(current.id) if current is not None else -1
        if row < 0 and notes:
            row = 0
        if row >= 0:
            select_index(self.notes_table, self.note_model.index(row, 0))
        self._on_note_current_changed()

    def _fit_note_columns(self) -> None:
        # Date and type are short and must show whole; themes and blockers are capped.
        table = self.notes_table
        for column, cap in ((0, 160), (1, 180), (3, 240), (4, 240)):
            table.resizeColumnToContents(column)
            table.setColumnWidth(column, min(table.columnWidth(column) + 16, cap))

    def _show_goals(self, goals: list[Goal]) -> None:
        current = self.goal_model.goal_at(self.goals_tree.currentIndex())
        self.goal_model.set_goals(goals)
        self.goals_tree.expandAll()
        self.goals_stack.setCurrentIndex(0 if goals else 1)
        open_goals = sum(1 for g in goals if g.status.is_open)
        self.goals_count.setText(
            f"{plural(len(goals), 'goal')}, {open_goals} open" if goals else ""
        )
        self.tabs.setTabText(2, f"Goals ({open_goals})" if open_goals else "Goals")
        if current is not None:
            select_index(self.goals_tree, self.goal_model.index_of_goal(current.id))
        self._update_goal_buttons()

    def _show_follow_ups(self, items: list[FollowUp]) -> None:
        current = self.follow_up_model.follow_up_at(self.follow_ups_tree.currentIndex())
        now = utc_now()
        self.follow_up_model.set_sections(client_sections(items, now), now)
        span_sections(self.follow_ups_tree, self.follow_up_model)
        self.follow_ups_stack.setCurrentWidget(
            self.follow_ups_empty if not items else self.follow_ups_tree
        )
        overdue = sum(1 for f in items if f.is_overdue(now))
        waiting = sum(1 for f in items if f.done_at is None)
        counts = []
        if waiting:
            counts.append(f"{waiting} open")
        if overdue:
            counts.append(f"{overdue} overdue")
        self.follow_ups_count.setText(", ".join(counts))
        if overdue:
            title = f"Follow-ups ({overdue} overdue)"
        elif waiting:
            title = f"Follow-ups ({waiting})"
        else:
            title = "Follow-ups"
        self.tabs.setTabText(3, title)
        if current is not None:
            select_index(self.follow_ups_tree, self.follow_up_model.index_of(current.id))
        self._update_follow_up_buttons()

    def _show_documents(self, documents: list[DocumentInfo]) -> None:
        self.documents.show_documents(documents)
        count = len(documents)
        self.tabs.setTabText(
            TABS.index("documents"), f"Documents ({count})" if count else "Documents"
        )

    def _show_sessions(self, data: SessionsData) -> None:
        self.sessions.show_data(data)
        coming = self.sessions.coming_count
        self.tabs.setTabText(
            TABS.index("sessions"), f"Sessions ({coming})" if coming else "Sessions"
        )

    # Loading -------------------------------------------------------------------

    def _refresh(self) -> None:
        """Load the tab shown when it is out of date and someone can see it."""
        if self.client is None or not self.isVisible() or not self._ops.is_open:
            return
        tab = self.current_tab
        if tab in SELF_LOADING:
            return
        if tab in self._stale:
            self._load(tab)
        elif self._wanted is not None and self._wanted[0] == tab:
            self._apply_wanted(tab)

    def _load(self, tab: str) -> None:
        assert self.client is not None
        client_id = self.client.id
        self._stale.discard(tab)
        self._loading.add(tab)
        self._tokens[tab] += 1
        token = self._tokens[tab]
        fn: Callable[[Vault, int], Any] = {
            "overview": load_overview,
            "notes": list_notes,
            "goals": list_goals,
            "follow_ups": list_follow_ups,
            "sessions": load_sessions,
            "documents": list_documents,
        }[tab]
        self._ops.run(
            lambda vault: fn(vault, client_id),
            on_done=lambda result: self._on_tab_loaded(tab, client_id, token, result),
            on_error=self._on_load_failed,
            owner=self,
            context=f"loading a client's {TAB_TITLES[tab].lower()}",
        )

    def _on_tab_loaded(self, tab: str, client_id: int, token: int, result: Any) -> None:
        if self.client is None or self.client.id != client_id or self._tokens[tab] != token:
            return
        self._loading.discard(tab)
        if tab == "overview":
            self._show_overview(result)
        elif tab == "notes":
            self._show_notes(result)
        elif tab == "goals":
            self._show_goals(result)
        elif tab == "documents":
            self._show_documents(result)
        elif tab == "sessions":
            self._show_sessions(result)
        else:
            self._show_follow_ups(result)
        self._apply_wanted(tab)
        self.loaded.emit(tab)

    def _open_item(self, tab: str, item_id: int) -> None:
        self._wanted = (tab, item_id)
        self.show_tab(tab)

    def _apply_wanted(self, tab: str) -> None:
        if self._wanted is None or self._wanted[0] != tab:
            return
        if tab in self._stale or tab in self._loading:
            return
        item_id = self._wanted[1]
        self._wanted = None
        if tab == "notes":
            row = self.note_model.row_of(item_id)
            if row >= 0:
                select_index(self.notes_table, self.note_model.index(row, 0))
                self.notes_table.setFocus()
        elif tab == "goals":
            if select_index(self.goals_tree, self.goal_model.index_of_goal(item_id)):
                self.goals_tree.setFocus()
        elif tab == "follow_ups" and select_index(
            self.follow_ups_tree, self.follow_up_model.index_of(item_id)
        ):
            self.follow_ups_tree.setFocus()
        elif tab == "documents" and self.documents.select_document(item_id):
            self.documents.table.setFocus()

    @Slot(object)
    def _on_load_failed(self, failure: Failure) -> None:
        self._loading.clear()
        # A client deleted meanwhile is not worth a message: the list catches up.
        if not isinstance(failure.error, NotFoundError):
            self._ops.lane.unhandled_failure.emit(failure)

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if self.client is None:
            return
        if kind == "crm":
            self._stale.update(tab for tab in TABS if tab not in ("documents", "sessions"))
        elif kind in ("client", "clients", "pipeline"):
            self._stale.add("overview")
        elif kind == "documents":
            self._stale.add("documents")
        elif kind in ("sessions", "billing"):
            self._stale.add("sessions")
        else:
            return
        self._refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Load the tab shown if it went out of date while hidden."""
        super().showEvent(event)
        self._refresh()

    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        self._refresh()

    # Editors and confirmations ---------------------------------------------------

    def _start_editor(self, make: Callable[[], QDialog]) -> None:
        if self.editor is not None:
            self.editor.raise_()
            self.editor.activateWindow()
            return
        editor = make()
        if isinstance(editor, NoteEditor | GoalEditor | FollowUpEditor):
            editor.saved.connect(self._on_record_saved)
        editor.finished.connect(self._on_editor_finished)
        self.editor = editor
        editor.open()

    @Slot(int)
    def _on_editor_finished(self, _result: int) -> None:
        if self.editor is not None:
            delete_soon(self.editor, self)
        self.editor = None

    @Slot(object)
    def _on_record_saved(self, record: object) -> None:
        if isinstance(record, Note):
            self._wanted = ("notes", record.id)
            self.notice.emit(f"Saved the {record.kind.label.lower()} note.", None)
        elif isinstance(record, Goal):
            self._wanted = ("goals", record.id)
            self.notice.emit(f"Saved the goal “{record.objective}”.", None)
        elif isinstance(record, FollowUp):
            self._wanted = ("follow_ups", record.id)
            self.notice.emit(
                f"Saved the follow-up “{record.title}”, due {due_text(record.due_at)}.", None
            )
        if self._wanted is not None:
            self._refresh()

    def _confirm(self, text: str, detail: str, action: str, on_yes: Callable[[], None]) -> None:
        if self.confirm_box is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Delete?", text, QMessageBox.StandardButton.Cancel, self
        )
        box.setInformativeText(detail)
        yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _result: self._on_confirm_finished(box, yes, on_yes))
        self.confirm_box, self.confirm_yes = box, yes
        box.open()

    def _on_confirm_finished(
        self, box: QMessageBox, yes: QPushButton, on_yes: Callable[[], None]
    ) -> None:
        if self.confirm_box is not box:
            return
        self.confirm_box = self.confirm_yes = None
        if box.clickedButton() is yes:
            on_yes()
        delete_soon(box, self)

    def _run_change(self, fn: Callable[[Vault], object], context: str, notice: str) -> None:
        self._ops.run(
            fn,
            on_done=lambda _result: self.notice.emit(notice, None),
            on_error=self._on_change_failed,
            changes="crm",
            owner=self,
            context=context,
        )

    @Slot(object)
    def _on_change_failed(self, failure: Failure) -> None:
        from coachdesk.ui.errors import show_failure

        show_failure(self, failure)
        self._stale.update(("notes", "goals", "follow_ups"))
        self._refresh()

    # Notes -----------------------------------------------------------------------

    def _current_note(self) -> Note | None:
        index = self.notes_table.currentIndex()
        if not index.isValid() or not self.notes_table.selectionModel().hasSelection():
            return None
        return self.note_model.note_at(index.row())

    def _update_note_buttons(self) -> None:
        note = self._current_note()
        self.open_note_button.setEnabled(note is not None)
        self.delete_note_button.setEnabled(note is not None)
        self.note_history_button.setEnabled(note is not None and note.version > 1)

    @Slot()
    def _on_note_current_changed(self, *_args: object) -> None:
        note = self._current_note()
        if note is None:
            self.note_preview.clear()
        else:
            edited = (
                f"Edited {long_time(note.updated_at)} · version {note.version}"
                if note.version > 1
                else f"Written {long_time(note.created_at)}"
            )
            self.note_preview.setHtml(
                note_html(
                    note.kind, note.occurred_on, note.text, note.themes, note.blockers, edited
                )
            )
        self._update_note_buttons()

    @Slot()
    def _on_open_note_clicked(self) -> None:
        note = self._current_note()
        if note is not None and self.client is not None:
            client_id = self.client.id
            self._start_editor(lambda: NoteEditor(self._ops, client_id, note, note.kind, self))

    @Slot()
    def _on_note_history_clicked(self) -> None:
        note = self._current_note()
        if note is None:
            return
        if self.history_dialog is not None:
            self.history_dialog.done(QDialog.DialogCode.Rejected)
        dialog = NoteHistoryDialog(self._ops, note, self)
        dialog.finished.connect(lambda _result: self._on_history_finished(dialog))
        self.history_dialog = dialog
        dialog.open()

    def _on_history_finished(self, dialog: NoteHistoryDialog) -> None:
        if self.history_dialog is dialog:
            self.history_dialog = None
        delete_soon(dialog, self)

    @Slot()
    def _on_delete_note_clicked(self) -> None:
        note = self._current_note()
        if note is None:
            return
        note_id = note.id
        self._confirm(
            f"Delete this {note.kind.label.lower()} note from {day_text(note.occurred_on)}?",
            "Its earlier versions go with it. This cannot be undone.",
            "Delete note",
            lambda: self._run_change(
                lambda vault: delete_note(vault, note_id), "deleting a note", "Deleted the note."
            ),
        )

    # Goals -----------------------------------------------------------------------

    def _current_goal(self) -> Goal | None:
        if not self.goals_tree.selectionModel().hasSelection():
            return None
        return self.goal_model.goal_at(self.goals_tree.currentIndex())

    def _update_goal_buttons(self) -> None:
        goal = self._current_goal()
        self.edit_goal_button.setEnabled(goal is not None)
        self.delete_goal_button.setEnabled(goal is not None)
        if goal is None:
            self.goal_detail.clear()
            return
        done = sum(1 for m in goal.milestones if self.goal_model.is_done(m))
        parts = [f"Measured by: {goal.measure}" if goal.measure else "No measure set yet."]
        if goal.milestones:
            parts.append(f"{done} of {plural(len(goal.milestones), 'milestone')} done.")
        self.goal_detail.setText("  ".join(parts))

    @Slot(QModelIndex)
    def _on_goal_double_clicked(self, index: QModelIndex) -> None:
        # A double click on a milestone's box ticks it; it should not open the form too.
        if index.internalId() == 0 or index.column() != 0:
            self._on_edit_goal_clicked()

    @Slot()
    def _on_edit_goal_clicked(self) -> None:
        goal = self._current_goal()
        if goal is not None and self.client is not None:
            client_id = self.client.id
            self._start_editor(lambda: GoalEditor(self._ops, client_id, goal, self))

    @Slot()
    def _on_delete_goal_clicked(self) -> None:
        goal = self._current_goal()
        if goal is None:
            return
        goal_id = goal.id
        self._confirm(
            f"Delete the goal “{goal.objective}”?",
            "Its milestones go with it. This cannot be undone.",
            "Delete goal",
            lambda: self._run_change(
                lambda vault: delete_goal(vault, goal_id), "deleting a goal", "Deleted the goal."
            ),
        )

    @Slot(int, int, bool)
    def _on_milestone_toggled(self, goal_id: int, milestone_id: int, done: bool) -> None:
        self._update_goal_buttons()
        if self.client is None:
            return
        client_id = self.client.id
        self._ops.run(
            lambda vault: tick_milestone(vault, client_id, goal_id, milestone_id, done),
            on_error=self._on_change_failed,
            changes="crm",
            owner=self,
            context="ticking a milestone",
        )

    # Follow-ups ------------------------------------------------------------------

    def _selected_follow_ups(self) -> list[FollowUp]:
        return selected_follow_ups(self.follow_ups_tree, self.follow_up_model)

    def _update_follow_up_buttons(self) -> None:
        one = len(self._selected_follow_ups()) == 1
        self.edit_follow_up_button.setEnabled(one)
        self.delete_follow_up_button.setEnabled(one)
        self.follow_up_actions.update_buttons()

    @Slot()
    def _on_edit_follow_up_clicked(self) -> None:
        items = self._selected_follow_ups()
        if len(items) == 1 and self.client is not None:
            item, name = items[0], self.client.display_name
            self._start_editor(lambda: FollowUpEditor(self._ops, item.client_id, item, name, self))

    @Slot()
    def _on_delete_follow_up_clicked(self) -> None:
        items = self._selected_follow_ups()
        if len(items) != 1:
            return
        item_id = items[0].id
        self._confirm(
            f"Delete the follow-up “{items[0].title}”?",
            "To keep a record that it happened, mark it Done instead.",
            "Delete follow-up",
            lambda: self._run_change(
                lambda vault: delete_follow_up(vault, item_id),
                "deleting a follow-up",
                "Deleted the follow-up.",
            ),
        )

    # Header ----------------------------------------------------------------------

    @Slot()
    def _on_log_contact_clicked(self) -> None:
        if self.client is None:
            return
        client_id = self.client.id
        self.log_contact_button.setEnabled(False)
        job = self._ops.run(
            lambda vault: log_contact(vault, client_id),
            on_done=self._on_contact_logged,
            on_error=self._on_contact_failed,
            changes="clients",
            owner=self,
            context="logging contact",
        )
        if job is None:
            self.log_contact_button.setEnabled(True)

    @Slot(object)
    def _on_contact_logged(self, client: Client) -> None:
        self.log_contact_button.setEnabled(True)
        if self.client is not None and self.client.id == client.id:
            self.client = client
            self._show_record(client)
            self.notice.emit(f"Logged contact with {client.display_name} today.", None)

    @Slot(object)
    def _on_contact_failed(self, failure: Failure) -> None:
        from coachdesk.ui.errors import show_failure

        self.log_contact_button.setEnabled(True)
        show_failure(self, failure)

    @Slot()
    def _on_edit_clicked(self) -> None:
        if self.client is not None:
            self.edit_requested.emit(self.client.id)

    @Slot()
    def _on_trash_clicked(self) -> None:
        if self.client is not None:
            self.trash_requested.emit(self.client.id)
