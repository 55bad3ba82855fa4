"""The vault key file: a random data key, wrapped by the coach's passphrase.

The data key (32 random bytes) is what SQLCipher and the attachment store use.
It is stored only wrapped: AES-256-GCM under a key derived from the passphrase
with Argon2id (RFC 9106's second recommended parameter set: t=3, 64 MiB).
Because the data key never changes when the passphrase does, a passphrase
change rewrites this small file and nothing else; the rewrite is an atomic
rename, so after a crash the file holds either the old or the new wrapping.

A SHA-256 over the file's fields tells a damaged key file apart from a wrong
passphrase (both would otherwise fail the same GCM tag check).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from coachdesk.domain.errors import VaultDamagedError, WrongPassphraseError

KEY_FILE = "vault.key"
FORMAT = 1
DATA_KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost; stored in the key file so it can be raised later."""

    iterations: int = 3
    memory_kib: int = 64 * 1024
    lanes: int = 1


# Tests and benchmarks that create hundreds of vaults use this cheaper setting.
FAST_KDF_FOR_TESTS = KdfParams(iterations=1, memory_kib=8 * 1024, lanes=1)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    kdf = Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(passphrase.encode("utf-8"))


def _checksum(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _wrap(data_key: bytes, passphrase: str, vault_id: str, params: KdfParams) -> dict[str, Any]:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    wrapped = AESGCM(_derive(passphrase, salt, params)).encrypt(nonce, data_key, vault_id.encode())
    body: dict[str, Any] = {
        "format": FORMAT,
        "vault_id": vault_id,
        "kdf": {
            "name": "argon2id",
            "salt": _b64(salt),
            "iterations": params.iterations,
            "memory_kib": params.memory_kib,
            "lanes": params.lanes,
        },
        "cipher": "aes-256-gcm",
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
    }
    return {**body, "check": _checksum(body)}


def _write_atomically(path: Path, content: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".new")
    data = json.dumps(content, indent=2, sort_keys=True).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where the OS cannot open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class KeyFile:
    """The parsed key file (no secrets in the clear)."""

    path: Path
    vault_id: str
    content: dict[str, Any]

    @classmethod
    def read(cls, path: Path) -> KeyFile:
        """Parse and integrity-check the key file."""
        return cls.parse(path.read_bytes(), path)

    @classmethod
    def parse(cls, data: bytes, path: Path) -> KeyFile:
        """Parse and integrity-check key-file bytes (`path` names it in messages)."""
        try:
            content = json.loads(data.decode("utf-8"))
            body = {k: v for k, v in content.items() if k != "check"}
            if content.get("check") != _checksum(body) or content.get("format") != FORMAT:
                raise ValueError("checksum")
            vault_id = str(content["vault_id"])
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise VaultDamagedError(
                f"The vault's key file {path} is damaged; restore it from a backup."
            ) from exc
        return cls(path, vault_id, content)

    def unlock(self, passphrase: str) -> bytes:
        """The data key, or WrongPassphraseError."""
        kdf = self.content["kdf"]
        params = KdfParams(int(kdf["iterations"]), int(kdf["memory_kib"]), int(kdf["lanes"]))
        kek = _derive(passphrase, _unb64(kdf["salt"]), params)
        try:
            return AESGCM(kek).decrypt(
                _unb64(self.content["nonce"]),
                _unb64(self.content["wrapped_key"]),
                self.vault_id.encode(),
            )
        except InvalidTag:
            raise WrongPassphraseError("That passphrase does not unlock this vault.") from None

    def rewrap(
        self, data_key: bytes, new_passphrase: str, params: KdfParams | None = None
    ) -> KeyFile:
        """Replace the passphrase; crash-safe (old or new wrapping, never neither)."""
        content = _wrap(data_key, new_passphrase, self.vault_id, params or KdfParams())
        _write_atomically(self.path, content)
        return KeyFile(self.path, self.vault_id, content)


def create_key_file(
    path: Path, passphrase: str, params: KdfParams | None = None
) -> tuple[KeyFile, bytes]:
    """Make a new random data key and store it wrapped by `passphrase`."""
    data_key = secrets.token_bytes(DATA_KEY_BYTES)
    vault_id = str(uuid.uuid4())
    content = _wrap(data_key, passphrase, vault_id, params or KdfParams())
    _write_atomically(path, content)
    return KeyFile(path, vault_id, content), data_key
