"""Idle detection for auto-lock: no keyboard, mouse or touch input for a while."""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent


@cache
def _input_events() -> frozenset[QEvent.Type]:
    # Built on first use: PySide6 builds QEvent's enums when the class is first
    # imported, which start-up can do without.
    from PySide6.QtCore import QEvent

    return frozenset(
        {
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseMove,
            QEvent.Type.Wheel,
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TabletPress,
            QEvent.Type.Shortcut,
        }
    )


class IdleWatcher(QObject):
    """Watches application-wide input and says when the coach has been away too long.

    Input only stamps the time; a single-shot timer then checks whether the
    stamp is old enough, so a busy mouse costs no timer restarts. Input is
    watched only while armed: locked, the app has nothing to lock.

    Args:
        source: the object to filter events of (the QApplication).
        parent: the owning QObject.

    Signals:
        idle: no input for the configured time; emitted once per arming.
    """

    idle = Signal()

    def __init__(self, source: QObject, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._timeout_ms = 0
        self._last_input = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)
        self._watching = False

    @property
    def timeout_ms(self) -> int:
        """The idle time that triggers `idle` (0: never)."""
        return self._timeout_ms

    @property
    def armed(self) -> bool:
        """Whether the watcher will fire when the coach is away."""
        return self._timer.isActive()

    def set_timeout_ms(self, timeout_ms: int) -> None:
        """Set the idle time and start watching (0 stops)."""
        self._timeout_ms = max(0, timeout_ms)
        self.start()

    def set_minutes(self, minutes: int) -> None:
        """Set the idle time in minutes (0: never lock)."""
        self.set_timeout_ms(minutes * 60_000)

    def start(self) -> None:
        """Start (or restart) counting from now."""
        self._last_input = time.monotonic()
        if self._timeout_ms > 0:
            self._watch(True)
            self._timer.start(self._timeout_ms)
        else:
            self.stop()

    def stop(self) -> None:
        """Stop watching (while locked)."""
        self._timer.stop()
        self._watch(False)

    def _watch(self, on: bool) -> None:
        if on != self._watching:
            if on:
                self._source.installEventFilter(self)
            else:
                self._source.removeEventFilter(self)
            self._watching = on

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Stamp the time of every input event; never consumes anything."""
        if event.type() in _input_events():
            self._last_input = time.monotonic()
        return False

    @Slot()
    def _on_timer(self) -> None:
        idle_ms = (time.monotonic() - self._last_input) * 1000
        remaining = self._timeout_ms - idle_ms
        if remaining > 1:
            self._timer.start(int(remaining) + 1)
            return
        self.idle.emit()

    def dispose(self) -> None:
        """Stop filtering the source's events."""
        self.stop()
