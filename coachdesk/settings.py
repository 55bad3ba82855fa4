"""Typed settings, declared once with their defaults (no Qt, no secrets).

Two scopes: `vault` settings live in the encrypted database and travel with
the vault; `machine` settings live in a small JSON file in the config folder
and hold nothing about clients (which vault was last opened, for instance).
Window geometry alone is left to QSettings by the UI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from coachdesk.domain.errors import ValidationError
from coachdesk.paths import config_dir

Scope = Literal["vault", "machine"]


@dataclass(frozen=True, slots=True)
class Setting:
    """One declared setting."""

    key: str
    default: int | str | bool
    scope: Scope
    doc: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def parse(self, raw: Any) -> int | str | bool:
        """`raw` converted to this setting's type, or ValidationError."""
        kind = type(self.default)
        if raw is None:
            return self.default
        try:
            if kind is bool:
                value: int | str | bool = (
                    raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
                )
            elif kind is int:
                value = int(raw)
            else:
                value = str(raw)
        except (TypeError, ValueError):
            wanted = {int: "a whole number", str: "text", bool: "yes or no"}[kind]
            raise ValidationError({self.key: f"Expected {wanted}, got {raw!r}."}) from None
        if self.choices and value not in self.choices:
            raise ValidationError({self.key: f"Choose one of: {', '.join(self.choices)}."})
        if isinstance(value, int) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                raise ValidationError({self.key: f"Must be at least {self.minimum}."})
            if self.maximum is not None and value > self.maximum:
                raise ValidationError({self.key: f"Must be at most {self.maximum}."})
        return value


AUTO_LOCK_MINUTES = Setting(
    "auto_lock_minutes",
    10,
    "vault",
    "Lock the vault after this many idle minutes (0: never).",
    0,
    480,
)
PAPER_SIZE = Setting(
    "paper_size",
    "A4",
    "vault",
    "The paper size of generated documents.",
    choices=("A4", "Letter"),
)
BOOKING_GATE = Setting(
    "booking_gate",
    "warn",
    "vault",
    "Booking for a client with an overdue invoice or no sessions left: block, warn or off.",
    choices=("block", "warn", "off"),
)
INVOICE_PREFIX = Setting("invoice_prefix", "INV", "vault", "What invoice numbers start with.")
INVOICE_DUE_DAYS = Setting(
    "invoice_due_days", 14, "vault", "Days from issue to an invoice's due date.", 0, 365
)
REMINDER_HOURS = Setting(
    "reminder_hours", 24, "vault", "Remind the coach this many hours before a session.", 1, 168
)
BACKUP_FOLDER = Setting(
    "backup_folder", "", "vault", "The folder scheduled backups are written to (empty: none)."
)
BACKUP_EVERY = Setting(
    "backup_every",
    "weekly",
    "vault",
    "How often a backup is taken while CoachDesk is open.",
    choices=("daily", "weekly", "off"),
)
AI_MODEL = Setting(
    "ai_model", "", "machine", "The GGUF model file the assistant runs (empty: the bundled one)."
)
AI_THREADS = Setting(
    "ai_threads", 0, "machine", "CPU threads for the model (0: all but one).", 0, 256
)
AI_CONTEXT = Setting(
    "ai_context", 4096, "machine", "The context size to ask the model for, in tokens.", 512, 131072
)
AI_IDLE_MINUTES = Setting(
    "ai_idle_minutes",
    5,
    "machine",
    "Minutes without a draft after which the model is unloaded to free memory.",
    1,
    240,
)
LAST_VAULT = Setting("last_vault", "", "machine", "The vault folder opened last time.")

REGISTRY: dict[str, Setting] = {
    s.key: s
    for s in (
        AUTO_LOCK_MINUTES,
        PAPER_SIZE,
        BOOKING_GATE,
        INVOICE_PREFIX,
        INVOICE_DUE_DAYS,
        REMINDER_HOURS,
        BACKUP_FOLDER,
        BACKUP_EVERY,
        AI_MODEL,
        AI_THREADS,
        AI_CONTEXT,
        AI_IDLE_MINUTES,
        LAST_VAULT,
    )
}


class MachineSettings:
    """Machine-scope settings in `config_dir()/settings.json`.

    Args:
        path: the JSON file (defaults to the config folder's).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "settings.json"

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, setting: Setting) -> int | str | bool:
        """The stored value, or the default when absent or invalid."""
        raw = self._load().get(setting.key, setting.default)
        try:
            return setting.parse(raw)
        except ValidationError:
            return setting.default

    def set(self, setting: Setting, value: Any) -> None:
        """Store a validated value (atomically)."""
        if setting.scope != "machine":
            raise ValueError(f"{setting.key} is a vault setting")
        data = self._load()
        data[setting.key] = setting.parse(value)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".new")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(self.path)
