"""Handing a decrypted file to another program (the mail client), and taking it back.

A mail client can only open a draft that exists as a file, so the .eml (with the
PDF inside it) must be written out decrypted.  It goes to one private folder
(`paths.handoff_dir()`, owner-only permissions, never the system temp folder),
and is deleted again: by the app's sweep once the mail client has had time to
read it (`KEEP_FOR`), when the vault locks, when the app quits, and at the next
start if the app was killed.  Nothing else in CoachDesk writes decrypted files
except where the coach chooses ("Save as…", exports).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from coachdesk.domain.errors import KnownError
from coachdesk.paths import handoff_dir

log = logging.getLogger(__name__)
KEEP_FOR = timedelta(minutes=10)


def _folder() -> Path:
    folder = handoff_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    return folder


def write(name: str, data: bytes) -> Path:
    """Write `data` for another program to open; it is swept away later.

    Each file goes into its own random sub-folder, so its name can stay the
    one the coach will see in the mail client.

    Raises:
        KnownError: the draft could not be written (a full disk, say).
    """
    try:
        folder = _folder() / secrets.token_hex(8)
        folder.mkdir(mode=0o700)
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as error:
        raise KnownError(
            f"The e-mail draft could not be prepared: {error.strerror or error}. "
            "Save the file instead and attach it in your mail app."
        ) from error
    return path


def sweep(older_than: timedelta | None = None) -> int:
    """Delete handed-off files (all of them, or those older than `older_than`).

    Returns how many files were deleted.
    """
    root = handoff_dir()
    if not root.exists():
        return 0
    cutoff = time.time() - older_than.total_seconds() if older_than is not None else None
    removed = 0
    for path in sorted(root.rglob("*"), reverse=True):  # files before their folders
        try:
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
                continue
            if cutoff is not None and path.stat().st_mtime > cutoff:
                continue
            path.unlink(missing_ok=True)
            removed += 1
        except OSError:
            # Still open in the mail client (Windows refuses), or gone meanwhile: the next
            # sweep tries again. The name is not logged: it is a document's title.
            log.warning("a draft handed to the mail client could not be deleted yet")
    return removed
