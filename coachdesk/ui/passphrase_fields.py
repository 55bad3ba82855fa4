"""Choosing a new passphrase: typed twice, with a live strength hint."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from coachdesk.domain.passphrase import Strength, StrengthHint, assess
from coachdesk.ui.widgets import StrengthMeter, error_label, muted, set_message


def hint_text(hint: StrengthHint) -> str:
    """The sentence under the meter."""
    if hint.strength == Strength.TOO_WEAK:
        return f"Too short. {hint.advice}"
    return hint.advice


class NewPassphraseFields(QWidget):
    """Passphrase and repeat fields with a strength meter and a mismatch note.

    Args:
        label: the label of the first field.
        parent: the owning widget.

    Signals:
        changed: the text of either field changed (check `ready`).
    """

    changed = Signal()

    def __init__(self, label: str = "Passphrase", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(label)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Repeat the passphrase")
        self.meter = StrengthMeter()
        self.hint = muted("A few unrelated words are easy to remember and hard to guess.")
        self.hint.setObjectName("strengthHint")
        self.mismatch = error_label()
        self.mismatch.setObjectName("mismatch")
        self.show_text = QCheckBox("Show passphrase")

        strength = QWidget()
        strength_layout = QVBoxLayout(strength)
        strength_layout.setContentsMargins(0, 2, 0, 0)
        strength_layout.setSpacing(4)
        strength_layout.addWidget(self.meter)
        strength_layout.addWidget(self.hint)

        repeat_block = QWidget()
        repeat_layout = QVBoxLayout(repeat_block)
        repeat_layout.setContentsMargins(0, 0, 0, 0)
        repeat_layout.setSpacing(3)
        repeat_layout.addWidget(self.repeat)
        repeat_layout.addWidget(self.mismatch)

        form = QFormLayout(self)
        self.form_layout = form
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(f"{label}:", self.passphrase)
        form.addRow("", strength)
        form.addRow("Repeat it:", repeat_block)
        form.addRow("", self.show_text)

        self.passphrase.textChanged.connect(self._on_text_changed)
        self.repeat.textChanged.connect(self._on_text_changed)
        self.show_text.toggled.connect(self._on_show_toggled)

    @property
    def value(self) -> str:
        """The new passphrase as typed."""
        return self.passphrase.text()

    @property
    def strength(self) -> StrengthHint:
        """The current strength verdict."""
        return assess(self.passphrase.text())

    @property
    def ready(self) -> bool:
        """Strong enough and typed the same twice."""
        return self.strength.acceptable and self.passphrase.text() == self.repeat.text()

    def clear(self) -> None:
        """Empty both fields (after use, or when the vault locks)."""
        self.passphrase.clear()
        self.repeat.clear()

    def set_enabled(self, enabled: bool) -> None:
        """Enable or disable typing (while the lane works)."""
        for widget in (self.passphrase, self.repeat, self.show_text):
            widget.setEnabled(enabled)

    @Slot()
    def _on_text_changed(self) -> None:
        text = self.passphrase.text()
        if text:
            hint = assess(text)
            self.meter.set_hint(hint)
            self.hint.setText(hint_text(hint))
        else:
            self.meter.set_hint(None)
            self.hint.setText("A few unrelated words are easy to remember and hard to guess.")
        repeat = self.repeat.text()
        differs = bool(repeat) and repeat != text and not text.startswith(repeat)
        set_message(self.mismatch, "The two passphrases differ." if differs else None)
        self.changed.emit()

    @Slot(bool)
    def _on_show_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.passphrase.setEchoMode(mode)
        self.repeat.setEchoMode(mode)
