"""Remembering a vault's key in the operating system's keychain.

Only keychains that keep secrets encrypted under the user's login are used.
keyring's fail, null and plaintext backends (and anything from keyrings.alt)
are refused: without a secure keychain the coach types the passphrase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from coachdesk import APP_NAME
from coachdesk.domain.errors import KeychainUnavailableError

# Backends that store secrets encrypted and tied to the user's session.
SECURE_BACKENDS = (
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
)


@dataclass(frozen=True, slots=True)
class KeychainStatus:
    """Whether a secure keychain is there, and in words which one or why not."""

    available: bool
    description: str


class SecretStore(Protocol):
    """Where a vault's data key may be remembered."""

    def status(self) -> KeychainStatus:
        """Whether secrets can be stored securely here."""
        ...

    def get(self, vault_id: str) -> bytes | None:
        """The remembered data key, or None."""
        ...

    def put(self, vault_id: str, key: bytes) -> None:
        """Remember the data key (KeychainUnavailableError when there is no secure keychain)."""
        ...

    def forget(self, vault_id: str) -> None:
        """Remove the remembered key, if any."""
        ...


def backend_name(backend: object) -> str:
    """The dotted class name of a keyring backend."""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_secure_backend(backend: object) -> bool:
    """Whether a keyring backend keeps secrets encrypted (chainers: all of theirs must)."""
    inner = getattr(backend, "backends", None)
    if backend_name(backend).startswith("keyring.backends.chainer"):
        return bool(inner) and all(is_secure_backend(b) for b in inner or ())
    return backend_name(backend).startswith(SECURE_BACKENDS)


class KeyringStore:
    """The OS keychain through `keyring`, refusing insecure backends.

    Args:
        backend: a keyring backend to use instead of the one keyring picks.
    """

    def __init__(self, backend: object | None = None) -> None:
        self._backend = backend

    def _keyring(self) -> object:
        if self._backend is None:
            import keyring

            self._backend = keyring.get_keyring()
        return self._backend

    def status(self) -> KeychainStatus:
        """Whether secrets can be stored securely here."""
        try:
            backend = self._keyring()
        except Exception as exc:  # noqa: BLE001 - any backend failure means "not available"
            return KeychainStatus(False, f"No keychain could be opened ({type(exc).__name__}).")
        name = backend_name(backend)
        if is_secure_backend(backend):
            return KeychainStatus(True, getattr(backend, "name", name))
        return KeychainStatus(
            False,
            "No secure keychain on this computer (keyring offers only "
            f"{name.rsplit('.', 2)[-2]}); CoachDesk will ask for the passphrase each time.",
        )

    def get(self, vault_id: str) -> bytes | None:
        """The remembered data key, or None."""
        if not self.status().available:
            return None
        try:
            value = self._keyring().get_password(APP_NAME, vault_id)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a locked or broken keychain: fall back to the passphrase
            return None
        try:
            return bytes.fromhex(value) if value else None
        except ValueError:
            return None

    def put(self, vault_id: str, key: bytes) -> None:
        """Remember the data key (KeychainUnavailableError when there is no secure keychain)."""
        status = self.status()
        if not status.available:
            raise KeychainUnavailableError(status.description)
        self._keyring().set_password(APP_NAME, vault_id, key.hex())  # type: ignore[attr-defined]

    def forget(self, vault_id: str) -> None:
        """Remove the remembered key, if any."""
        if not self.status().available:
            return
        try:
            self._keyring().delete_password(APP_NAME, vault_id)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - nothing remembered is the goal; absence is fine
            return


class MemoryStore:
    """An in-memory keychain for tests and for `--no-keychain` runs.

    Args:
        available: whether to behave like a computer with a secure keychain.
    """

    def __init__(self, available: bool = True) -> None:
        self._available = available
        self.secrets: dict[str, bytes] = {}

    def status(self) -> KeychainStatus:
        """Whether secrets can be stored securely here."""
        if self._available:
            return KeychainStatus(True, "in-memory test keychain")
        return KeychainStatus(False, "No secure keychain on this computer.")

    def get(self, vault_id: str) -> bytes | None:
        """The remembered data key, or None."""
        return self.secrets.get(vault_id)

    def put(self, vault_id: str, key: bytes) -> None:
        """Remember the data key."""
        if not self._available:
            raise KeychainUnavailableError(self.status().description)
        self.secrets[vault_id] = key

    def forget(self, vault_id: str) -> None:
        """Remove the remembered key, if any."""
        self.secrets.pop(vault_id, None)
