"""Telling the coach something failed: plain words for known problems, a crash note for bugs."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from coachdesk import APP_NAME
from coachdesk.ui.lanes import Failure


def failure_box(parent: QWidget | None, failure: Failure) -> QMessageBox:
    """A message box for a failed job (not yet shown)."""
    box = QMessageBox(parent)
    box.setWindowTitle(APP_NAME)
    if failure.known:
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(failure.message)
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setText(f"An unexpected error stopped {failure.context or 'the last action'}.")
        where = f" Details were written to {failure.log_path}." if failure.log_path else ""
        box.setInformativeText(
            "Nothing was half-saved: the change was either completed or not made at all."
            f"{where} If it happens again, please send that file to support."
        )
        box.setDetailedText(f"{type(failure.error).__name__}: {failure.error}")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box


def show_failure(parent: QWidget | None, failure: Failure) -> QMessageBox:
    """Show a failed job's message without blocking; returns the box (tests read it)."""
    box = failure_box(parent, failure)
    box.setModal(True)
    box.open()
    return box
