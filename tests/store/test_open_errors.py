"""Opening a vault: wrong passphrase, missing vault, flipped bytes in the database or key file."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from sqlalchemy import text

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.errors import (
    KnownError,
    VaultDamagedError,
    VaultNotFoundError,
    WrongPassphraseError,
)
from coachdesk.services import audit_trail, clients, search, vaults
from coachdesk.store.keys import KeyFile, _checksum
from coachdesk.store.vault import DB_FILE, Vault, open_with_key
from tests.conftest import PASSPHRASE
from tests.store.util import flip_byte, sample_draft, snapshot

PAGE = 4096
SALT = 16


def wrong_passphrase_message(root: Path) -> str:
    with pytest.raises(WrongPassphraseError) as caught:
        vaults.unlock(root, "not the passphrase at all", "coach@test")
    return caught.value.message


@pytest.fixture
def closed_vault(vault: Vault) -> Path:
    """A vault with a few clients, closed (no WAL left); returns its folder."""
    for index in range(20):
        clients.create_client(vault, sample_draft(index))
    vault.close()
    return vault.paths.root


def read_everything(vault: Vault) -> None:
    """Touch every stored row through the services."""
    for row in clients.list_clients(vault) + clients.list_clients(vault, trashed=True):
        clients.get_client(vault, row.id)
        search.search_everything(vault, row.name)
    audit_trail.verify(vault)
    with vault.reading() as session:
        # The index's own pages: search only reads the parts a query touches.
        session.execute(text("SELECT * FROM search_index_data")).all()


def test_wrong_passphrase_opens_nothing_and_creates_nothing(closed_vault: Path) -> None:
    before = snapshot(closed_vault)
    assert not any(name.endswith(("-wal", "-shm", "-journal")) for name in before)

    message = wrong_passphrase_message(closed_vault)

    assert "passphrase" in message.lower()
    assert snapshot(closed_vault) == before
    assert issubclass(WrongPassphraseError, KnownError)
    assert not issubclass(WrongPassphraseError, VaultDamagedError)


@pytest.mark.parametrize("make_folder", [False, True], ids=["missing", "empty"])
def test_no_vault_here(tmp_path: Path, make_folder: bool) -> None:
    root = tmp_path / "nowhere" / "vault"
    if make_folder:
        root.mkdir(parents=True)

    with pytest.raises(VaultNotFoundError, match="no vault"):
        vaults.unlock(root, PASSPHRASE, "coach@test")
    with pytest.raises(VaultNotFoundError):
        open_with_key(root, secrets.token_bytes(32), "coach@test")

    if make_folder:
        assert list(root.iterdir()) == []
    else:
        assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("offset", [0, SALT, SALT + 4, 100, PAGE // 2, PAGE - 1])
def test_flipped_byte_in_first_page_is_damage_not_wrong_passphrase(
    closed_vault: Path, offset: int
) -> None:
    wrong = wrong_passphrase_message(closed_vault)
    flip_byte(closed_vault / DB_FILE, offset)

    with pytest.raises(VaultDamagedError) as caught:
        vaults.unlock(closed_vault, PASSPHRASE, "coach@test")

    assert not isinstance(caught.value, WrongPassphraseError)
    assert caught.value.message != wrong
    assert "damaged" in caught.value.message
    assert "passphrase is right" in caught.value.message


def test_flipped_byte_in_a_middle_page_is_found(vault: Vault) -> None:
    # Long notes fill most pages of the file, so a page in the middle holds client text.
    for index in range(12):
        clients.create_client(vault, ClientDraft(first_name=f"C{index}", notes=f"{index}" * 30_000))
    vault.close()
    db = vault.paths.db
    pages = db.stat().st_size // PAGE
    assert pages > 60
    wrong = wrong_passphrase_message(vault.paths.root)
    middle = (pages // 2) * PAGE + 1000
    flip_byte(db, middle)

    try:
        opened = vaults.unlock(vault.paths.root, PASSPHRASE, "coach@test")
    except VaultDamagedError as exc:
        assert exc.message != wrong
        return
    try:
        problems = opened.check_integrity()
        assert any(f"page {pages // 2 + 1}" in problem for problem in problems), problems
        with pytest.raises(VaultDamagedError) as caught:
            read_everything(opened)
        assert caught.value.message != wrong
    finally:
        opened.close()


def test_intact_vault_passes_integrity_check(closed_vault: Path) -> None:
    opened = vaults.unlock(closed_vault, PASSPHRASE, "coach@test")
    try:
        assert opened.check_integrity() == []
        read_everything(opened)
    finally:
        opened.close()


def test_every_flipped_byte_in_the_key_file_is_damage(closed_vault: Path) -> None:
    key_path = closed_vault / "vault.key"
    original = key_path.read_bytes()
    for offset in range(len(original)):
        for mask in (0x01, 0xFF):
            flip_byte(key_path, offset, mask)
            with pytest.raises(VaultDamagedError) as caught:
                vaults.unlock(closed_vault, PASSPHRASE, "coach@test")
            assert "key file" in caught.value.message, (offset, mask)
            key_path.write_bytes(original)
    opened = vaults.unlock(closed_vault, PASSPHRASE, "coach@test")
    opened.close()


def test_key_file_with_a_forged_checksum_still_fails_safely(closed_vault: Path) -> None:
    """Someone who recomputes the checksum after editing the wrapped key gets no data key."""
    key_path = closed_vault / "vault.key"
    content = json.loads(key_path.read_text())
    wrapped = bytearray(content["wrapped_key"].encode())
    wrapped[5] = ord("A") if wrapped[5] != ord("A") else ord("B")
    content["wrapped_key"] = wrapped.decode()
    body = {k: v for k, v in content.items() if k != "check"}
    content["check"] = _checksum(body)
    key_path.write_text(json.dumps(content))

    with pytest.raises((WrongPassphraseError, VaultDamagedError)):
        KeyFile.read(key_path).unlock(PASSPHRASE)


@pytest.mark.parametrize(
    "content", [b"", b"{", b"[]", b"null", b"42", b'"text"', b'{"format": 1}', b"\xff\xfe garbage"]
)
def test_unreadable_key_file_is_damage(closed_vault: Path, content: bytes) -> None:
    (closed_vault / "vault.key").write_bytes(content)
    with pytest.raises(VaultDamagedError, match="key file"):
        vaults.unlock(closed_vault, PASSPHRASE, "coach@test")


@pytest.mark.parametrize("lost", ["vault.key", DB_FILE])
def test_half_a_vault_is_damage(closed_vault: Path, lost: str) -> None:
    (closed_vault / lost).unlink()
    with pytest.raises(VaultDamagedError, match="lost its"):
        vaults.unlock(closed_vault, PASSPHRASE, "coach@test")
    assert not (closed_vault / f"{DB_FILE}-wal").exists()


def test_right_passphrase_after_a_wrong_one_opens(closed_vault: Path) -> None:
    wrong_passphrase_message(closed_vault)
    opened = vaults.unlock(closed_vault, PASSPHRASE, "coach@test")
    try:
        assert len(clients.list_clients(opened)) == 20
    finally:
        opened.close()
