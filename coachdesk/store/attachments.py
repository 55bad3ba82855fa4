"""The vault's attachments area: files encrypted one by one with AES-256-GCM.

Each blob has a random name and is sealed under a key derived (HKDF) from the
vault's data key, with its name as associated data, so a blob swapped for
another is detected. Only ciphertext ever touches the disk.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from coachdesk.domain.errors import NotFoundError, VaultDamagedError
from coachdesk.store.engine import DISK_FULL_MESSAGE, DiskFullError
from coachdesk.store.tables import AttachmentTable

MAGIC = b"CDA1"


def _subkey(data_key: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"coachdesk attachments v1"
    ).derive(data_key)


class AttachmentStore:
    """Encrypted files under `folder`.

    Args:
        folder: the vault's attachments folder.
        data_key: the vault's data key.
    """

    def __init__(self, folder: Path, data_key: bytes) -> None:
        self._folder = folder
        self._aead = AESGCM(_subkey(data_key))

    def put(self, data: bytes) -> str:
        """Encrypt and store `data`; returns the blob's name.

        Raises:
            DiskFullError: no room for the blob; no part of it is left on disk.
        """
        name = secrets.token_hex(16)
        nonce = secrets.token_bytes(12)
        sealed = MAGIC + nonce + self._aead.encrypt(nonce, data, name.encode())
        self._folder.mkdir(parents=True, exist_ok=True)
        tmp = self._folder / f".{name}.tmp"
        try:
            with tmp.open("wb") as fh:
                fh.write(sealed)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(self._folder / name)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFullError(DISK_FULL_MESSAGE) from exc
            raise
        return name

    def get(self, name: str) -> bytes:
        """Decrypt a stored blob."""
        path = self._folder / name
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"The attachment {name} is missing from the vault.") from None
        if not sealed.startswith(MAGIC):
            raise VaultDamagedError(f"The attachment {path} is damaged.")
        nonce, body = sealed[4:16], sealed[16:]
        try:
            return self._aead.decrypt(nonce, body, name.encode())
        except InvalidTag:
            raise VaultDamagedError(f"The attachment {path} is damaged or was replaced.") from None

    def delete(self, name: str) -> None:
        """Remove a blob (missing is fine)."""
        (self._folder / name).unlink(missing_ok=True)


def add_row(
    session: Session, blob_name: str, data: bytes, media_type: str, now: datetime
) -> AttachmentTable:
    """Record a blob already written by `AttachmentStore.put`; flushed, so it has an id."""
    row = AttachmentTable(
        blob_name=blob_name,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row
