"""PySide6 quirks: a start-up check for a broken build, and a safe way to delete objects later.

PySide6 6.12.0 drops one reference to None on every call of a C++ method
that returns nothing. From Python 3.12 None is immortal and nothing happens;
on Python 3.11 the count reaches zero after a few thousand calls and the
interpreter aborts with "deallocating None". PySide6 6.11 is not affected.

With PySide6 6.11, an object whose `deleteLater()` is still pending when its
parent is deleted can bring the app down later, with a bus error inside
~QObject when the stale deferred delete comes up (the UI tests hit it).
`delete_soon` does the same job with a queued call instead.
"""

from __future__ import annotations

import sys

import PySide6
import shiboken6
from PySide6.QtCore import QObject, QTimer

_PROBES = 64


def broken_pyside() -> str | None:
    """Why this PySide6 cannot run CoachDesk, or None when it is sound."""
    if sys.version_info >= (3, 12):
        return None
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBES):
        probe.setObjectName("probe")
    if before - sys.getrefcount(None) < _PROBES // 2:
        return None
    return (
        f"PySide6 {getattr(PySide6, '__version__', '')} is broken on Python "
        f"{sys.version_info.major}.{sys.version_info.minor} (it loses a reference to None on "
        "every call and would crash). Install PySide6 6.11: pip install 'PySide6>=6.7,<6.12'."
    )


def delete_soon(obj: QObject, keeper: QObject) -> None:
    """Delete `obj` once the current event is handled, like `deleteLater()`.

    The call is queued on `keeper` (the lane, the controller, the view): if
    `keeper` is deleted first, the call is dropped and `obj` goes with its
    own parent or Python owner as usual.
    """

    def delete() -> None:
        if shiboken6.isValid(obj):
            shiboken6.delete(obj)

    QTimer.singleShot(0, keeper, delete)
