"""Logging to a file in the log folder. Records ids and events, never client content."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from coachdesk.paths import log_dir

LOG_FILE = "coachdesk.log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Send log records to a rotating file; returns its path."""
    folder = log_dir()
    path = folder / LOG_FILE
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return path
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return path


def log_failure(context: str) -> Path:
    """Log the exception being handled, with its traceback; returns the log file."""
    path = setup_logging()
    logging.getLogger("coachdesk").exception("Unexpected failure in %s", context)
    return path
