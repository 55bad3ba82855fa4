"""A drop-down of saved segments that narrows any list of clients to one segment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QShowEvent
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from coachdesk.domain.segments import Segment
from coachdesk.ui.ops import VaultOps

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

T = TypeVar("T")

ALL_CLIENTS = "All clients"
ARROW_ROOM = 12
LABEL_CHARS = 24
NO_SEGMENTS = "No segments yet: save one with the filter bar in Clients"


# Run on the db lane (the services are imported there, on first use).


def list_segments(vault: Vault) -> list[Segment]:
    """Db lane: the saved segments by name."""
    from coachdesk.services import segments

    return segments.list_segments(vault)


def segment_members(vault: Vault, segment: Segment | None) -> frozenset[int] | None:
    """Db lane: the ids of the live clients in a segment (None: no segment, everyone)."""
    if segment is None:
        return None
    from coachdesk.services import segments

    return frozenset(row.id for row in segments.clients_in(vault, segment.filter))


@dataclass(frozen=True, slots=True)
class Scoped(Generic[T]):
    """A view's data with the segment it is to be narrowed to, read in one db-lane job.

    `members` holds the ids of the segment's clients (None: no segment, show everyone).
    """

    data: T
    segment: Segment | None = None
    members: frozenset[int] | None = None

    def shows(self, client_id: int) -> bool:
        """Whether a client's rows are shown."""
        return self.members is None or client_id in self.members


def load_scoped(vault: Vault, load: Callable[[Vault], T], segment: Segment | None) -> Scoped[T]:
    """Db lane: `load(vault)` and the members of `segment`, together."""
    data = load(vault)
    return Scoped(data, segment, segment_members(vault, segment))


def elide(text: str, chars: int = LABEL_CHARS) -> str:
    """`text`, cut to `chars` characters with an ellipsis."""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


class SegmentPicker(QToolButton):
    """All clients, or one saved segment: what a list of clients is narrowed to.

    The segments are read on the db lane when the picker is first shown and
    again whenever they change; a segment deleted or changed elsewhere is
    followed (deleted: back to All clients).

    Args:
        ops: the vault operations.
        parent: the owning widget.

    Signals:
        segment_changed: the Segment chosen, or None for All clients.
    """

    segment_changed = Signal(object)

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._segments: list[Segment] = []
        self._current: Segment | None = None
        self._stale = True
        self._unavailable: str | None = None
        self._actions: dict[int, QAction] = {}
        self.setObjectName("segmentPicker")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setAccessibleName("Show clients in segment")
        self.menu_ = QMenu(self)
        self.setMenu(self.menu_)
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self.all_action = QAction(ALL_CLIENTS, self)
        self.all_action.setCheckable(True)
        self.all_action.triggered.connect(lambda _checked=False: self._choose(None))
        ops.opened.connect(self._on_vault_opened)
        ops.closed.connect(self.clear)
        ops.changed.connect(self._on_data_changed)
        self._rebuild()

    # API ---------------------------------------------------------------------

    def current(self) -> Segment | None:
        """The segment chosen (None: All clients)."""
        return self._current

    def segments(self) -> list[Segment]:
        """The saved segments offered, by name (empty until loaded)."""
        return list(self._segments)

    def set_segment(self, name: str | None) -> bool:
        """Choose a segment by name (ignoring case), or None for All clients.

        False (and nothing changes) when no segment has that name.
        """
        if name is None:
            self._choose(None)
            return True
        wanted = " ".join(name.split()).casefold()
        found = next((s for s in self._segments if s.name.casefold() == wanted), None)
        if found is None:
            return False
        self._choose(found)
        return True

    def action_for(self, name: str | None) -> QAction | None:
        """The menu item for a segment by name, or All clients for None (keyboard and tests)."""
        if name is None:
            return self.all_action
        found = next((s for s in self._segments if s.name == name), None)
        return self._actions.get(found.id) if found is not None else None

    def set_unavailable(self, reason: str | None) -> None:
        """Grey the picker out, saying why in its tooltip (None: available again)."""
        self._unavailable = reason
        self.setEnabled(reason is None)
        self._sync()

    @Slot()
    def reload(self) -> None:
        """Read the saved segments on the db lane."""
        self._stale = False
        self._ops.run(
            list_segments,
            on_done=self._on_segments_loaded,
            owner=self,
            context="loading the segments",
        )

    @Slot()
    def clear(self) -> None:
        """Forget the segments and go back to All clients (the vault is locking); no signal."""
        self._segments = []
        self._current = None
        self._stale = True
        self._rebuild()

    def sizeHint(self) -> QSize:
        """Room between the text and the menu arrow, which the style draws over the corner."""
        hint = super().sizeHint()
        return QSize(hint.width() + ARROW_ROOM, hint.height())

    def minimumSizeHint(self) -> QSize:
        """As wide as the size hint: the text is already cut short."""
        return self.sizeHint()

    def showEvent(self, event: QShowEvent) -> None:
        """Read the segments when first seen, or when they changed while hidden."""
        super().showEvent(event)
        if self._stale and self._ops.is_open:
            self.reload()

    # Building ----------------------------------------------------------------

    def _choose(self, segment: Segment | None) -> None:
        changed = segment != self._current
        self._current = segment
        self._sync()
        if changed:
            self.segment_changed.emit(segment)

    def _rebuild(self) -> None:
        menu = self.menu_
        for action in self._group.actions():
            self._group.removeAction(action)
        menu.clear()
        self._actions = {}
        self._group.addAction(self.all_action)
        menu.addAction(self.all_action)
        menu.addSeparator()
        if not self._segments:
            hint = menu.addAction(NO_SEGMENTS)
            hint.setEnabled(False)
        for segment in self._segments:
            action = menu.addAction(segment.name)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, s=segment: self._choose(s))
            self._group.addAction(action)
            self._actions[segment.id] = action
        self._sync()

    def _sync(self) -> None:
        current = self._current
        if current is None:
            self.all_action.setChecked(True)
            self.setText(ALL_CLIENTS)
            self.setToolTip("Showing every client. Choose a segment to see only its clients.")
        else:
            action = self._actions.get(current.id)
            if action is not None:
                action.setChecked(True)
            self.setText(f"Segment: {elide(current.name)}")
            self.setToolTip(
                f"Showing only the clients in the segment “{current.name}”. "
                "Choose All clients to see everyone."
            )
        if self._unavailable is not None:
            self.setToolTip(self._unavailable)
        font = self.font()
        font.setBold(current is not None)
        self.setFont(font)

    # Slots -------------------------------------------------------------------

    @Slot(object)
    def _on_segments_loaded(self, segments: list[Segment]) -> None:
        self._segments = list(segments)
        current = self._current
        followed = (
            next((s for s in segments if s.id == current.id), None) if current is not None else None
        )
        self._current = followed
        self._rebuild()
        if followed != current:
            self.segment_changed.emit(followed)

    @Slot()
    def _on_vault_opened(self) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    @Slot(str)
    def _on_data_changed(self, kind: str) -> None:
        if kind != "segments":
            return
        self._stale = True
        # A hidden list narrowed to a segment must still hear that it was deleted.
        if self.isVisible() or self._current is not None:
            self.reload()
