"""Where CoachDesk keeps things: resolved once, overridable, frozen-aware."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from coachdesk import APP_NAME

HOME_ENV = "COACHDESK_HOME"


def home() -> Path | None:
    """The COACHDESK_HOME override, or None when the platform folders apply."""
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def _platform_dirs() -> platformdirs.PlatformDirs:
    return platformdirs.PlatformDirs(APP_NAME, appauthor=False, roaming=False)


def data_dir() -> Path:
    """The folder that holds vaults by default."""
    root = home()
    return root if root else Path(_platform_dirs().user_data_dir)


def default_vault_dir() -> Path:
    """The vault used when no --vault is given."""
    return data_dir() / "vault"


def demo_vault_dir() -> Path:
    """The separate vault `coachdesk demo` fills."""
    return data_dir() / "demo-vault"


def handoff_dir() -> Path:
    """Where e-mail drafts wait briefly for the mail client to open them (see services/handoff)."""
    return data_dir() / "handoff"


def models_dir() -> Path:
    """Where the coach's own GGUF models may be kept (the default one ships in resources/)."""
    return data_dir() / "models"


def config_dir() -> Path:
    """Machine-level settings (never client data)."""
    root = home()
    return root / "config" if root else Path(_platform_dirs().user_config_dir)


def log_dir() -> Path:
    """Log files (ids and events only, never client content)."""
    root = home()
    return root / "logs" if root else Path(_platform_dirs().user_log_dir)


def resource_path(*parts: str) -> Path:
    """A file shipped in `resources/` or `migrations/`, also inside a frozen build."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    base = Path(frozen_root) if frozen_root else Path(__file__).resolve().parent.parent
    return base.joinpath(*parts)
