"""Views that load their rows when shown and, while hidden, only note they are out of date."""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from coachdesk.ui.ops import VaultOps


class LazyView(QWidget):
    """A view whose data is read on the db lane only when someone can see it.

    Subclasses implement `reload()` (which sets `_stale` to False) and call
    `mark_stale()` when the data they show may have changed.

    Args:
        ops: the vault operations.
        parent: the owning widget.
    """

    def __init__(self, ops: VaultOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._stale = True

    def reload(self) -> None:
        """Read the view's data again (subclasses)."""
        raise NotImplementedError

    def mark_stale(self) -> None:
        """Reload now if shown, else on the next show."""
        self._stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        """Load when shown, if anything changed since the last look."""
        super().showEvent(event)
        if self._stale and self._ops.is_open:
            self.reload()
