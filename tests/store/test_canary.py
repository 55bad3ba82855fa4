"""No client content in plaintext anywhere on disk: database, WAL, attachments, logs, settings."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from coachdesk import settings
from coachdesk.domain.practice import PracticeProfile
from coachdesk.logs import LOG_FILE, log_failure, setup_logging
from coachdesk.paths import log_dir
from coachdesk.services import clients, practice, vault_settings, vaults
from coachdesk.store.tables import TagTable
from coachdesk.store.vault import DB_FILE, Vault
from tests.conftest import PASSPHRASE
from tests.store.util import canary, image_bytes, leaks, sample_draft


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Take back the file handler `setup_logging` adds to the root logger."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point temporary files into the test's folder so the scan sees them too."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setenv("SQLITE_TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def write_canaries(vault: Vault) -> list[str]:
    """Store one canary in every kind of field through the services; returns what to look for."""
    marks = {
        name: canary()
        for name in (
            "first",
            "last",
            "preferred",
            "company",
            "role",
            "source",
            "notes",
            "tag",
            "coach",
            "business",
            "logo",
        )
    }
    email = f"{marks['first'].lower()}@example.org"
    phone = "+44 7700 913 572 846"
    created = clients.create_client(
        vault,
        sample_draft(
            first_name=marks["first"],
            last_name=marks["last"],
            preferred_name=marks["preferred"],
            emails=(email,),
            phones=(phone,),
            company=marks["company"],
            role=marks["role"],
            lead_source=marks["source"],
            tags=(marks["tag"],),
            notes=f"Session notes: {marks['notes']} " + "x" * 3000,
        ),
    )
    # An edit leaves old page images in the WAL: they must be ciphertext as well.
    clients.update_client(
        vault,
        created.id,
        sample_draft(
            first_name=marks["first"],
            last_name=marks["last"],
            emails=(email,),
            phones=(phone,),
            notes=f"Edited: {marks['notes']}",
            tags=(marks["tag"],),
            company=marks["company"],
            role=marks["role"],
            lead_source=marks["source"],
            preferred_name=marks["preferred"],
        ),
    )
    for index in range(30):
        clients.create_client(vault, sample_draft(index, notes=f"{marks['notes']} #{index}"))
    practice.save_profile(
        vault,
        PracticeProfile(marks["coach"], marks["business"], "Europe/London", "GBP"),
        logo=image_bytes("PNG", text=marks["logo"]),
    )
    vault_settings.put(vault, settings.AUTO_LOCK_MINUTES, 15)
    settings.MachineSettings().set(settings.LAST_VAULT, str(vault.paths.root))
    # Everything went in: the scan below would find it if it were stored in the clear.
    stored = clients.get_client(vault, created.id)
    assert stored.first_name == marks["first"]
    assert stored.tags == (marks["tag"].lower(),)
    assert practice.logo_bytes(vault) == image_bytes("PNG", text=marks["logo"])
    return [*marks.values(), email, phone]


@pytest.mark.usefixtures("restore_logging")
def test_no_canary_on_disk_while_open_and_after_close(
    vault: Vault, tmp_path: Path, isolated_home: Path, private_tmp: Path
) -> None:
    needles = write_canaries(vault)

    wal = vault.paths.root / f"{DB_FILE}-wal"
    assert wal.exists() and wal.stat().st_size > 0, "the WAL should hold the recent writes"
    assert leaks(needles, vault.paths.root, isolated_home, tmp_path) == []

    vault.close()
    reopened = vaults.unlock(vault.paths.root, PASSPHRASE, "coach@test")
    try:
        assert {row.company for row in clients.list_clients(reopened)} >= {needles[3]}
    finally:
        reopened.close()
    assert leaks(needles, vault.paths.root, isolated_home, tmp_path) == []


@pytest.mark.usefixtures("restore_logging")
def test_failure_logged_with_traceback_holds_no_canary(vault: Vault, isolated_home: Path) -> None:
    mark = canary()
    setup_logging()
    # A bug-like path: a raw insert that breaks a unique key, with client text as parameters.
    with pytest.raises(IntegrityError) as caught, vault.writing() as session:
        session.add_all([TagTable(name=mark), TagTable(name=mark)])
        session.flush()
    assert mark not in str(caught.value)
    try:
        raise caught.value
    except IntegrityError:
        log_path = log_failure("canary test")
    for handler in logging.getLogger().handlers:
        handler.flush()

    assert log_path == log_dir() / LOG_FILE
    logged = log_path.read_text(encoding="utf-8")
    assert "IntegrityError" in logged and "Traceback" in logged
    assert leaks([mark], log_dir(), isolated_home) == []


def test_scan_finds_plaintext(tmp_path: Path) -> None:
    """The scanner itself: a canary written in the clear is found, in any case."""
    mark = canary()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "plain.bin").write_bytes(b"\x00prefix" + mark.lower().encode())
    assert leaks([mark], tmp_path) == [(str(tmp_path / "deep" / "er" / "plain.bin"), mark)]
