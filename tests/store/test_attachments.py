"""Encrypted attachments and the practice profile's logo: round trip, tampering, validation."""

from __future__ import annotations

import secrets

import pytest

from coachdesk.domain.errors import NotFoundError, ValidationError, VaultDamagedError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import practice
from coachdesk.store.attachments import AttachmentStore
from coachdesk.store.vault import Vault
from tests.store.util import canary, flip_byte, image_bytes, leaks, sql

PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
PROFILE = PracticeProfile("Sam Rivera", "Rivera Career Coaching", "Europe/London", "gbp")


def test_round_trip_leaves_only_ciphertext(vault: Vault) -> None:
    mark = canary()
    data = mark.encode() * 100
    name = vault.attachments.put(data)

    assert vault.attachments.get(name) == data
    assert sorted(p.name for p in vault.paths.attachments.iterdir()) == [name]
    assert leaks([mark], vault.paths.attachments) == []
    # Another vault's key cannot read it.
    stranger = AttachmentStore(vault.paths.attachments, secrets.token_bytes(32))
    with pytest.raises(VaultDamagedError):
        stranger.get(name)


def test_same_content_twice_gives_different_blobs(vault: Vault) -> None:
    first, second = vault.attachments.put(b"same"), vault.attachments.put(b"same")
    assert first != second
    assert (vault.paths.attachments / first).read_bytes() != (
        vault.paths.attachments / second
    ).read_bytes()


@pytest.mark.parametrize("where", ["magic", "nonce", "body", "tag"])
def test_tampered_blob_is_damage(vault: Vault, where: str) -> None:
    name = vault.attachments.put(b"session recording transcript" * 20)
    blob = vault.paths.attachments / name
    size = blob.stat().st_size
    offset = {"magic": 0, "nonce": 5, "body": 40, "tag": size - 1}[where]
    flip_byte(blob, offset, 0x01)
    with pytest.raises(VaultDamagedError, match="damaged"):
        vault.attachments.get(name)


def test_swapped_blob_is_damage(vault: Vault) -> None:
    first, second = vault.attachments.put(b"first file"), vault.attachments.put(b"second file")
    (vault.paths.attachments / first).write_bytes((vault.paths.attachments / second).read_bytes())
    with pytest.raises(VaultDamagedError, match="replaced"):
        vault.attachments.get(first)


def test_truncated_blob_is_damage(vault: Vault) -> None:
    name = vault.attachments.put(b"a longer piece of content" * 4)
    blob = vault.paths.attachments / name
    blob.write_bytes(blob.read_bytes()[:20])
    with pytest.raises(VaultDamagedError):
        vault.attachments.get(name)


def test_missing_blob_is_not_found(vault: Vault) -> None:
    name = vault.attachments.put(b"x")
    vault.attachments.delete(name)
    vault.attachments.delete(name)
    with pytest.raises(NotFoundError):
        vault.attachments.get(name)


def test_profile_with_logo_round_trip(vault: Vault) -> None:
    assert practice.get_profile(vault) == PracticeProfile()
    assert not practice.get_profile(vault).is_complete
    assert practice.logo_bytes(vault) is None

    saved = practice.save_profile(vault, PROFILE, logo=PNG)
    assert saved.currency == "GBP"
    assert saved.logo_attachment_id is not None
    assert practice.get_profile(vault) == saved
    assert practice.get_profile(vault).is_complete
    assert practice.logo_bytes(vault) == PNG

    # A new logo replaces the old one; saving without a logo keeps it.
    practice.save_profile(vault, PROFILE, logo=JPEG)
    assert practice.logo_bytes(vault) == JPEG
    # ...and the old one is gone: one attachment row, one encrypted file.
    assert sql(vault, "SELECT count(*) FROM attachments") == [(1,)]
    assert [p.name for p in vault.paths.attachments.iterdir()] == [
        sql(vault, "SELECT blob_name FROM attachments")[0][0]
    ]
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/Paris", "EUR")
    )
    assert practice.logo_bytes(vault) == JPEG
    assert practice.get_profile(vault).business_name == "Rivera Coaching"

    events = sql(
        vault, "SELECT action, fields FROM audit_events WHERE entity = 'practice' ORDER BY seq"
    )
    assert events == [
        ("create", "business_name,coach_name,currency,logo,time_zone"),
        ("update", "logo"),
        ("update", "business_name,currency,time_zone"),
    ]


def test_tampered_logo_is_damage(vault: Vault) -> None:
    practice.save_profile(vault, PROFILE, logo=PNG)
    [(blob_name,)] = sql(vault, "SELECT blob_name FROM attachments")
    flip_byte(vault.paths.attachments / str(blob_name), 30, 0x01)
    with pytest.raises(VaultDamagedError):
        practice.logo_bytes(vault)


@pytest.mark.parametrize(
    ("profile", "logo", "field"),
    [
        (PROFILE, b"GIF89a not a png", "logo"),
        (PROFILE, PNG[:40], "logo"),
        (PROFILE, b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "logo"),
        (PracticeProfile("", "Biz", "Europe/London", "GBP"), PNG, "coach_name"),
        (PracticeProfile("Sam", "Biz", "Europe/Atlantis", "GBP"), PNG, "time_zone"),
        (PracticeProfile("Sam", "Biz", "Europe/London", "POUNDS"), PNG, "currency"),
    ],
    ids=["gif", "truncated-png", "too-large", "no-name", "bad-zone", "bad-currency"],
)
def test_invalid_profile_or_logo_stores_nothing(
    vault: Vault, profile: PracticeProfile, logo: bytes, field: str
) -> None:
    before = sql(vault, "SELECT count(*) FROM audit_events")
    with pytest.raises(ValidationError) as caught:
        practice.save_profile(vault, profile, logo=logo)
    assert field in caught.value.errors
    assert practice.get_profile(vault) == PracticeProfile()
    assert list(vault.paths.attachments.iterdir()) == []
    assert sql(vault, "SELECT count(*) FROM attachments") == [(0,)]
    assert sql(vault, "SELECT count(*) FROM audit_events") == before
