"""Encrypted backups: taken whole, verified, restored onto a fresh install, refused when bad."""

from __future__ import annotations

import errno
import json
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from coachdesk.domain.errors import WrongPassphraseError
from coachdesk.services import audit_trail, backups, clients, documents, vault_settings, vaults
from coachdesk.settings import BACKUP_EVERY, BACKUP_FOLDER
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.vault import DB_FILE, Vault
from tests.conftest import PASSPHRASE
from tests.store.util import canary, leaks, sample_draft


@pytest.fixture
def filled(vault: Vault) -> Vault:
    for index in range(12):
        clients.create_client(vault, sample_draft(index))
    documents.create_document(vault, clients.list_clients(vault)[0].id, "certificate", {})
    return vault


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "backups"
    path.mkdir()
    return path


@pytest.fixture
def taken(filled: Vault, folder: Path) -> backups.BackupInfo:
    return backups.create_backup(filled, folder)


def test_a_backup_is_one_file_with_everything_sealed(
    filled: Vault, taken: backups.BackupInfo, folder: Path
) -> None:
    assert [p.name for p in folder.iterdir()] == [taken.path.name]
    with zipfile.ZipFile(taken.path) as archive:
        names = set(archive.namelist())
        header = json.loads(archive.read("backup.json"))
    blobs = {f"attachments/{p.name}" for p in filled.paths.attachments.iterdir()}
    assert names == {"backup.json", "manifest.enc", DB_FILE, "vault.key", *blobs}
    assert header["vault_id"] == filled.vault_id and "counts" not in header
    assert taken.counts["clients"] == 12
    [listed] = backups.list_backups(filled)
    assert listed.path == taken.path and listed.present and listed.size == taken.size
    assert audit_trail.recent_events(filled, 1)[0].entity == "backup"


def test_no_client_text_in_a_backup(filled: Vault, folder: Path) -> None:
    mark = canary()
    clients.create_client(filled, sample_draft(40, first_name=mark, notes=f"About {mark}"))
    backups.create_backup(filled, folder)
    assert leaks([mark], folder) == []


def test_deep_verify_opens_and_checks_everything(filled: Vault, taken: backups.BackupInfo) -> None:
    check = backups.verify_backup(taken.path, PASSPHRASE)
    assert check.deep and check.schema and check.counts == taken.counts
    assert check.audit_entries == audit_trail.verify(filled).events - 1  # the backup's own entry
    assert backups.verify_backup(taken.path, data_key=filled.data_key).deep
    shallow = backups.verify_backup(taken.path)
    assert not shallow.deep and shallow.vault_id == filled.vault_id


def test_wrong_passphrase_says_so_and_names_when_it_was_taken(taken: backups.BackupInfo) -> None:
    with pytest.raises(WrongPassphraseError, match="passphrase the vault had when"):
        backups.verify_backup(taken.path, "not the passphrase at all")


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.9, 0.999])
def test_truncated_backups_are_refused(
    taken: backups.BackupInfo, tmp_path: Path, keep: float
) -> None:
    cut = tmp_path / "cut.cdbackup"
    data = taken.path.read_bytes()
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(backups.BackupError, match=r"cut short|not a CoachDesk backup"):
        backups.verify_backup(cut)


def member_span(path: Path, name: str) -> tuple[int, int]:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    # Local header: 30 bytes plus the name and extra field, then the stored bytes.
    with path.open("rb") as fh:
        fh.seek(info.header_offset + 26)
        name_len = int.from_bytes(fh.read(2), "little")
        extra_len = int.from_bytes(fh.read(2), "little")
    start = info.header_offset + 30 + name_len + extra_len
    return start, start + info.compress_size


@pytest.mark.parametrize("member", [DB_FILE, "vault.key", "manifest.enc"])
def test_flipped_bytes_in_any_member_are_damage(
    taken: backups.BackupInfo, tmp_path: Path, member: str
) -> None:
    rng = random.Random(member)
    start, end = member_span(taken.path, member)
    for trial in range(8):
        copy = tmp_path / f"flip{trial}.cdbackup"
        data = bytearray(taken.path.read_bytes())
        data[rng.randrange(start, end)] ^= 1 << rng.randrange(8)
        copy.write_bytes(bytes(data))
        with pytest.raises(backups.BackupError, match="damaged"):
            backups.verify_backup(copy, PASSPHRASE)


def rewrite(source: Path, target: Path, change: dict[str, bytes], fix_header: bool) -> None:
    """Copy a backup, replacing members, optionally updating the plaintext checksums too."""
    import hashlib

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        header = json.loads(old.read("backup.json"))
        for info in old.infolist():
            if info.filename == "backup.json":
                continue
            data = change.get(info.filename, old.read(info.filename))
            new.writestr(info.filename, data)
            if fix_header:
                header["files"][info.filename] = hashlib.sha256(data).hexdigest()
        new.writestr("backup.json", json.dumps(header))


def test_a_forger_who_fixes_the_checksums_is_caught_by_the_sealed_manifest(
    filled: Vault, taken: backups.BackupInfo, folder: Path, tmp_path: Path
) -> None:
    clients.create_client(filled, sample_draft(30, first_name="Later"))
    newer = backups.create_backup(filled, folder)
    assert newer.path != taken.path
    with zipfile.ZipFile(newer.path) as archive:
        other_db = archive.read(DB_FILE)
    forged = tmp_path / "forged.cdbackup"
    rewrite(taken.path, forged, {DB_FILE: other_db}, fix_header=True)
    backups.verify_backup(forged)  # the checksums alone agree now…
    with pytest.raises(backups.BackupError, match="altered"):
        backups.verify_backup(forged, PASSPHRASE)  # …the sealed manifest does not


def test_a_swapped_member_without_fixing_checksums_is_damage(
    taken: backups.BackupInfo, tmp_path: Path
) -> None:
    swapped = tmp_path / "swapped.cdbackup"
    rewrite(taken.path, swapped, {"vault.key": b"{}"}, fix_header=False)
    with pytest.raises(backups.BackupError, match=r"damaged: vault\.key"):
        backups.verify_backup(swapped)


def test_a_path_outside_the_vault_is_refused(taken: backups.BackupInfo, tmp_path: Path) -> None:
    import hashlib

    evil = tmp_path / "evil.cdbackup"
    with zipfile.ZipFile(taken.path) as old, zipfile.ZipFile(evil, "w") as new:
        header = json.loads(old.read("backup.json"))
        for info in old.infolist():
            if info.filename != "backup.json":
                new.writestr(info.filename, old.read(info.filename))
        new.writestr("../escaped.txt", b"x")
        header["files"]["../escaped.txt"] = hashlib.sha256(b"x").hexdigest()
        new.writestr("backup.json", json.dumps(header))
    with pytest.raises(backups.BackupError):
        backups.restore_backup(evil, PASSPHRASE, tmp_path / "target" / "vault")
    assert not (tmp_path / "target" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_restore_onto_a_fresh_install_opens_with_the_old_passphrase(
    filled: Vault, taken: backups.BackupInfo, tmp_path: Path
) -> None:
    names = sorted(r.name for r in clients.list_clients(filled))
    doc = documents.list_documents(filled, clients.list_clients(filled)[0].id)[0]
    pdf = documents.document_pdf(filled, doc.id)
    vaults.change_passphrase(filled, PASSPHRASE, "a brand new passphrase", kdf=FAST_KDF_FOR_TESTS)
    target = tmp_path / "fresh" / "CoachDesk"
    assert backups.restore_backup(taken.path, PASSPHRASE, target) == target
    restored = vaults.unlock(target, PASSPHRASE, "coach@test")
    try:
        assert sorted(r.name for r in clients.list_clients(restored)) == names
        assert documents.document_pdf(restored, doc.id) == pdf
        assert restored.check_integrity() == []
        assert audit_trail.verify(restored).intact
    finally:
        restored.close()
    assert not any(p.name.endswith(".restoring") for p in target.parent.iterdir())


def test_restore_refuses_an_existing_vault_unless_replacing_and_keeps_it_aside(
    filled: Vault, taken: backups.BackupInfo
) -> None:
    root = filled.paths.root
    clients.create_client(filled, sample_draft(50, first_name="After the backup"))
    filled.close()
    with pytest.raises(backups.BackupError, match="already a vault"):
        backups.restore_backup(taken.path, PASSPHRASE, root)
    backups.restore_backup(taken.path, PASSPHRASE, root, replace=True)
    [aside] = [p for p in root.parent.iterdir() if ".before-restore-" in p.name]
    kept = vaults.unlock(aside, PASSPHRASE, "coach@test")
    restored = vaults.unlock(root, PASSPHRASE, "coach@test")
    try:
        assert len(clients.list_clients(kept)) == 13
        assert len(clients.list_clients(restored)) == 12
    finally:
        kept.close()
        restored.close()


def test_wrong_passphrase_restores_nothing(taken: backups.BackupInfo, tmp_path: Path) -> None:
    target = tmp_path / "nothing"
    with pytest.raises(WrongPassphraseError):
        backups.restore_backup(taken.path, "wrong wrong wrong", target)
    assert not target.exists()
    assert not any(p.name.startswith(".nothing") for p in tmp_path.iterdir())


def test_a_full_disk_leaves_no_half_backup(
    filled: Vault, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = zipfile.ZipFile.write
    calls = {"n": 0}

    def write(self: zipfile.ZipFile, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "write", write)
    with pytest.raises(backups.BackupError, match="disk is full"):
        backups.create_backup(filled, folder)
    assert list(folder.iterdir()) == []
    assert backups.list_backups(filled) == []
    assert not (filled.paths.root / ".backup-staging").exists()


def test_cancelling_leaves_nothing(filled: Vault, folder: Path) -> None:
    with pytest.raises(backups.BackupError, match="cancelled"):
        backups.create_backup(filled, folder, progress=lambda done, total, _what: done < 2)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("where", ["missing", "vault"])
def test_unsuitable_folders_are_refused_plainly(filled: Vault, tmp_path: Path, where: str) -> None:
    target = tmp_path / "nope" if where == "missing" else filled.paths.root
    with pytest.raises(backups.BackupError, match=r"does not exist|outside the vault"):
        backups.create_backup(filled, target)


def test_schedule(filled: Vault, folder: Path) -> None:
    assert not backups.backup_due(filled)  # no folder chosen yet
    vault_settings.put(filled, BACKUP_FOLDER, str(folder))
    assert backups.backup_due(filled)
    info = backups.run_scheduled_backup(filled)
    assert info is not None and info.path.parent == folder
    assert not backups.backup_due(filled)
    assert backups.run_scheduled_backup(filled) is None
    [record] = backups.list_backups(filled)
    assert record.scheduled
    from datetime import timedelta

    assert backups.backup_due(filled, now=record.taken_at + timedelta(days=7))
    vault_settings.put(filled, BACKUP_EVERY, "daily")
    assert backups.backup_due(filled, now=record.taken_at + timedelta(days=1))
    vault_settings.put(filled, BACKUP_EVERY, "off")
    assert not backups.backup_due(filled, now=record.taken_at + timedelta(days=30))


def test_a_deleted_backup_shows_as_missing(filled: Vault, taken: backups.BackupInfo) -> None:
    shutil.copy(taken.path, taken.path.with_suffix(".copy"))
    taken.path.unlink()
    [record] = backups.list_backups(filled)
    assert not record.present


def test_the_backup_folder_is_checked_when_chosen(filled: Vault, folder: Path) -> None:
    assert backups.set_backup_folder(filled, folder) == folder
    assert vault_settings.get(filled, BACKUP_FOLDER) == str(folder)
    for bad in (folder / "missing", filled.paths.root):
        with pytest.raises(backups.BackupError):
            backups.set_backup_folder(filled, bad)
    assert vault_settings.get(filled, BACKUP_FOLDER) == str(folder)


def test_a_folder_inside_the_vault_is_refused(filled: Vault) -> None:
    with pytest.raises(backups.BackupError, match="outside the vault"):
        backups.create_backup(filled, filled.paths.attachments)


def test_restore_refuses_a_folder_with_other_files(
    taken: backups.BackupInfo, tmp_path: Path
) -> None:
    target = tmp_path / "Documents"
    target.mkdir()
    (target / "letter.txt").write_text("mine")
    with pytest.raises(backups.BackupError, match="already has other files"):
        backups.restore_backup(taken.path, PASSPHRASE, target)
    assert [p.name for p in target.iterdir()] == ["letter.txt"]


def test_a_failed_swap_puts_the_old_vault_back(
    filled: Vault, taken: backups.BackupInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = filled.paths.root
    filled.close()
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        if self.name.endswith(".restoring"):
            raise OSError(errno.EIO, "Input/output error")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(backups.BackupError):
        backups.restore_backup(taken.path, PASSPHRASE, root, replace=True)
    monkeypatch.undo()
    reopened = vaults.unlock(root, PASSPHRASE, "coach@test")
    try:
        assert len(clients.list_clients(reopened)) == 12
    finally:
        reopened.close()
    assert not any(".before-restore-" in p.name for p in root.parent.iterdir())


def test_no_room_to_check_is_a_plain_message(
    taken: backups.BackupInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(backups.BackupError, match="not enough room"):
        backups.verify_backup(taken.path, PASSPHRASE)
