"""The audit trail model: recent AuditEvents, newest first, in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from coachdesk.domain.audit import AuditEvent

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

HEADERS = ("#", "When", "Who", "What happened", "Record", "Fields changed")

ACTIONS = {
    "create": "Created",
    "update": "Changed",
    "trash": "Moved to Trash",
    "restore": "Restored from Trash",
    "purge": "Deleted for good",
    "remember_key": "Key remembered on this computer",
    "forget_key": "Key forgotten on this computer",
    "change_passphrase": "Passphrase changed",
}
ENTITIES = {
    "client": "Client",
    "practice": "Practice profile",
    "vault": "Vault",
    "setting": "Setting",
}
ACTORS = {"coach@app": "You, in the app", "coach@cli": "You, on the command line"}


def event_time(event: AuditEvent) -> str:
    """The event's time in this computer's zone."""
    try:
        moment = datetime.fromisoformat(event.at).astimezone()
    except ValueError:
        return event.at
    return f"{moment.day} {moment:%b %Y, %H:%M:%S}"


def record_text(event: AuditEvent) -> str:
    """ "Client #12", "Practice profile", "Setting auto lock minutes"."""
    entity = ENTITIES.get(event.entity, event.entity.capitalize())
    if event.entity == "client":
        return f"{entity} #{event.entity_id}"
    if event.entity == "setting":
        return f"{entity}: {event.entity_id.replace('_', ' ')}"
    return entity


def _cell(event: AuditEvent, column: int) -> str:
    if column == 0:
        return str(event.seq)
    if column == 1:
        return event_time(event)
    if column == 2:
        return ACTORS.get(event.actor, event.actor)
    if column == 3:
        return ACTIONS.get(event.action, event.action.replace("_", " ").capitalize())
    if column == 4:
        return record_text(event)
    return event.fields.replace("_", " ").replace(",", ", ")


class AuditTableModel(QAbstractTableModel):
    """Audit events for a table view (read-only).

    Args:
        parent: the owning QObject.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._events: list[AuditEvent] = []

    def rowCount(self, parent: Index = _ROOT) -> int:
        """One row per event."""
        return 0 if parent.isValid() else len(self._events)

    def columnCount(self, parent: Index = _ROOT) -> int:
        """Six columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The cell text; the sequence number is right-aligned."""
        if not index.isValid() or not 0 <= index.row() < len(self._events):
            return None
        event = self._events[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(event, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return event.at
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None

    def set_events(self, events: Sequence[AuditEvent]) -> None:
        """Replace the events shown."""
        self.beginResetModel()
        self._events = list(events)
        self.endResetModel()

    def clear(self) -> None:
        """Show nothing (the vault is locking)."""
        self.set_events([])

    def event_at(self, row: int) -> AuditEvent:
        """The event shown in a row."""
        return self._events[row]
