"""Session reminders while the app runs: a desktop notification N hours before each session.

The check runs on the db lane every few minutes; each session is announced once per
run of the app.  The notification says who and when, never anything from a note.
Where the desktop has no notification area, the reminder goes to the status bar.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from coachdesk.domain.scheduling import Session, in_zone
from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

CHECK_MS = 5 * 60 * 1000
log = logging.getLogger(__name__)


def due_reminders(vault: Vault) -> tuple[list[Session], str]:
    """Db lane: sessions inside the reminder window, and the coach's zone."""
    from coachdesk.services import calendar, practice

    return calendar.due_reminders(vault), practice.get_profile(vault).time_zone or "UTC"


def reminder_text(session: Session, zone: str) -> str:
    """ "Session with Ada Lovelace at 10:00 on Tuesday 20 October" (the coach's time)."""
    when = in_zone(session.starts_at, zone)
    who = session.client_name or "your group"
    return f"Session with {who} at {when:%H:%M} on {when:%A %-d %B}."


class ReminderWatcher(QObject):
    """Checks for sessions coming up and announces each one once.

    Args:
        ops: the vault operations (the check runs on the db lane).
        parent: the owning object.

    Signals:
        reminded: (text) a reminder was shown (also when it went to the status bar).
    """

    reminded = Signal(str)

    def __init__(self, ops: VaultOps, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._announced: set[tuple[int, int]] = set()
        self._tray: QSystemTrayIcon | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)
        ops.opened.connect(self._on_opened)
        ops.closed.connect(self._timer.stop)

    @property
    def tray(self) -> QSystemTrayIcon | None:
        """The notification-area icon, where the desktop has one."""
        if self._tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            style = QApplication.style()
            icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            self._tray = QSystemTrayIcon(QIcon(icon), self)
            self._tray.setToolTip("CoachDesk")
            self._tray.show()
        return self._tray

    @Slot()
    def _on_opened(self) -> None:
        self._timer.start()
        self.check()

    @Slot()
    def check(self) -> None:
        """Look for sessions to announce now (on the db lane)."""
        self._ops.run(
            due_reminders,
            on_done=self._on_due,
            on_error=self._on_failed,
            owner=self,
            context="checking for session reminders",
        )

    def _on_due(self, found: tuple[list[Session], str]) -> None:
        sessions, zone = found
        for session in sessions:
            key = (session.id, session.sequence)  # a moved session is announced again
            if key in self._announced:
                continue
            self._announced.add(key)
            text = reminder_text(session, zone)
            tray = self.tray
            if tray is not None and tray.supportsMessages():
                tray.showMessage("Coming up", text, QSystemTrayIcon.MessageIcon.Information)
            self.reminded.emit(text)

    def _on_failed(self, failure: Failure) -> None:
        # A reminder check that fails is not worth a dialog; the next one tries again.
        log.warning("reminder check failed: %s", failure.context)
