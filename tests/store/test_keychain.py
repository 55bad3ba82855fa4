"""The keychain: insecure keyring backends are refused; a remembered key unlocks the vault."""

from __future__ import annotations

from pathlib import Path

import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest

from coachdesk import APP_NAME
from coachdesk.domain.errors import (
    KeychainUnavailableError,
    PassphraseNeededError,
    ValidationError,
)
from coachdesk.services import clients, vaults
from coachdesk.store.keychain import KeyringStore, MemoryStore, backend_name, is_secure_backend
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.vault import Vault
from tests.conftest import PASSPHRASE
from tests.store.util import sample_draft


class FakeBackend:
    """A keyring backend with a dict for storage; its module name decides what it passes for."""

    priority = 5
    name = "fake keychain"

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.passwords[(service, username)]


def fake_backend(module: str) -> FakeBackend:
    cls = type("Keyring", (FakeBackend,), {"__module__": module})
    return cls()


def empty_chainer(monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", list)
    chainer = keyring.backends.chainer.ChainerBackend()
    assert list(chainer.backends) == []
    return chainer


def chainer_of(monkeypatch: pytest.MonkeyPatch, *inner: object) -> object:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: list(inner))
    return keyring.backends.chainer.ChainerBackend()


INSECURE = {
    "fail": lambda mp: keyring.backends.fail.Keyring(),
    "null": lambda mp: keyring.backends.null.Keyring(),
    "empty chainer": empty_chainer,
    "plaintext file": lambda mp: fake_backend("keyrings.alt.file"),
    "chainer with plaintext": lambda mp: chainer_of(
        mp, fake_backend("keyring.backends.SecretService"), fake_backend("keyrings.alt.file")
    ),
}


@pytest.mark.parametrize("make", INSECURE.values(), ids=INSECURE.keys())
def test_insecure_backends_are_refused(monkeypatch: pytest.MonkeyPatch, make: object) -> None:
    backend = make(monkeypatch)  # type: ignore[operator]
    store = KeyringStore(backend=backend)

    status = store.status()
    assert not status.available
    assert "passphrase" in status.description
    assert not is_secure_backend(backend)
    with pytest.raises(KeychainUnavailableError):
        store.put("vault-id", b"\x01" * 32)
    assert store.get("vault-id") is None
    store.forget("vault-id")
    if isinstance(backend, FakeBackend):
        assert backend.passwords == {}


@pytest.mark.parametrize(
    "make",
    [
        lambda mp: fake_backend("keyring.backends.SecretService"),
        lambda mp: fake_backend("keyring.backends.macOS"),
        lambda mp: chainer_of(mp, fake_backend("keyring.backends.SecretService")),
    ],
    ids=["secret service", "macos", "chainer of secure"],
)
def test_secure_backend_keeps_the_key(monkeypatch: pytest.MonkeyPatch, make: object) -> None:
    backend = make(monkeypatch)  # type: ignore[operator]
    store = KeyringStore(backend=backend)
    assert store.status().available
    key = bytes(range(32))

    store.put("vault-id", key)
    assert store.get("vault-id") == key
    store.forget("vault-id")
    assert store.get("vault-id") is None
    store.forget("vault-id")  # forgetting twice is fine


def test_stored_secret_is_hex_under_the_app_name() -> None:
    backend = fake_backend("keyring.backends.SecretService")
    KeyringStore(backend=backend).put("abc", b"\xde\xad")
    assert backend.passwords == {(APP_NAME, "abc"): "dead"}
    assert backend_name(backend) == "keyring.backends.SecretService.Keyring"


def test_garbage_in_the_keychain_reads_as_nothing() -> None:
    backend = fake_backend("keyring.backends.SecretService")
    backend.passwords[(APP_NAME, "abc")] = "not hex"
    assert KeyringStore(backend=backend).get("abc") is None


def test_remembered_key_unlocks_without_passphrase(vault: Vault, secrets: MemoryStore) -> None:
    clients.create_client(vault, sample_draft(0))
    vaults.remember(vault, secrets)
    assert vaults.is_remembered(vault, secrets)
    root = vault.paths.root
    vault.close()

    opened = vaults.unlock(root, None, "coach@test", secrets=secrets)
    try:
        assert len(clients.list_clients(opened)) == 1
        vaults.forget(opened, secrets)
        assert not vaults.is_remembered(opened, secrets)
    finally:
        opened.close()
    with pytest.raises(PassphraseNeededError, match="passphrase"):
        vaults.unlock(root, None, "coach@test", secrets=secrets)


@pytest.mark.parametrize("store", [None, MemoryStore(available=True), MemoryStore(available=False)])
def test_no_key_no_passphrase_is_refused(vault: Vault, store: MemoryStore | None) -> None:
    root = vault.paths.root
    vault.close()
    with pytest.raises(PassphraseNeededError, match="COACHDESK_PASSPHRASE"):
        vaults.unlock(root, None, "coach@test", secrets=store)
    assert not (root / "coachdesk.db-wal").exists()


def test_create_with_remember_needs_a_secure_keychain(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    with pytest.raises(ValidationError) as caught:
        vaults.create_vault(
            root,
            PASSPHRASE,
            "coach@test",
            secrets=MemoryStore(available=False),
            remember=True,
            kdf=FAST_KDF_FOR_TESTS,
        )
    assert "remember" in caught.value.errors
    assert not root.exists()


def test_create_with_remember_stores_the_key(tmp_path: Path, secrets: MemoryStore) -> None:
    created = vaults.create_vault(
        tmp_path / "vault",
        PASSPHRASE,
        "coach@test",
        secrets=secrets,
        remember=True,
        kdf=FAST_KDF_FOR_TESTS,
    )
    try:
        assert secrets.secrets == {created.vault_id: created.data_key}
    finally:
        created.close()
    opened = vaults.unlock(tmp_path / "vault", None, "coach@test", secrets=secrets)
    opened.close()
