"""Files the coach asked for ("Save as…", exports): written whole or not at all."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from coachdesk.domain.errors import KnownError


def write_file(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary neighbour, so a failure leaves no half file.

    Raises:
        KnownError: the folder is missing, read-only or full (the message says what to do).
    """
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise KnownError(why_not_saved(exc, path)) from exc
    return path


def why_not_saved(error: OSError, path: Path) -> str:
    """Why a file could not be saved, and what to do, in plain words."""
    folder = path.parent
    if isinstance(error, PermissionError) or error.errno in (errno.EROFS, errno.EACCES):
        return (
            f"CoachDesk cannot save into the folder “{folder}”: it is read-only, or you do "
            "not have permission to write there. Choose another folder, such as Documents."
        )
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full, so “{path.name}” was not saved. Make some space and try again."
    if isinstance(error, FileNotFoundError):
        return f"The folder “{folder}” no longer exists. Choose another folder and try again."
    reason = error.strerror or str(error)
    return f"“{path.name}” could not be saved: {reason}. Choose another folder and try again."


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MB pieces (backups, model files)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
