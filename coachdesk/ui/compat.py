"""A start-up check for a broken PySide6 build, so it fails with a message instead of an abort.

PySide6 6.12.0 drops one reference to None on every call of a C++ method
that returns nothing. From Python 3.12 None is immortal and nothing happens;
on Python 3.11 the count reaches zero after a few thousand calls and the
interpreter aborts with "deallocating None". PySide6 6.11 is not affected.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QObject

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
