"""Encrypted backups: take, verify and restore a whole vault as one file.

A backup is a zip (stored, not compressed: everything in it is ciphertext) holding

- `coachdesk.db`: a consistent copy of the SQLCipher database (SQLite's online backup),
- `vault.key`: the key file, so the backup opens on a fresh install with the
  passphrase the vault had when it was taken,
- `attachments/…`: the encrypted blobs as they are in the vault,
- `manifest.enc`: schema version, row counts per table, the audit trail's head and a
  SHA-256 of every other member, sealed with AES-256-GCM under a key derived from the
  data key (so it cannot be read or forged without the passphrase),
- `backup.json`: the same checksums in the clear, so a cut-short or damaged copy is
  refused even before the passphrase is asked for.

The file is written beside its final name and renamed when complete: a crash or a
full disk leaves no half backup under a backup's name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from coachdesk import __version__
from coachdesk.domain.compliance import Category, keep_until
from coachdesk.domain.errors import KnownError, VaultDamagedError, WrongPassphraseError
from coachdesk.services.files import sha256_of
from coachdesk.settings import BACKUP_EVERY, BACKUP_FOLDER
from coachdesk.store import audit
from coachdesk.store.attachments import AttachmentStore
from coachdesk.store.engine import make_engine, open_raw
from coachdesk.store.keys import KEY_FILE, KeyFile, fsync_dir
from coachdesk.store.migrate import SCHEMA_HEAD
from coachdesk.store.tables import BackupTable, Base
from coachdesk.store.vault import DB_FILE, Vault, VaultPaths

FORMAT = "coachdesk-backup"
VERSION = 1
SUFFIX = ".cdbackup"
HEADER = "backup.json"
MANIFEST = "manifest.enc"
BLOB_NAME = re.compile(r"[0-9a-f]{32}")  # what AttachmentStore.put names a blob
Progress = Callable[[int, int, str], bool]


class BackupError(KnownError):
    """A backup cannot be used: missing, cut short, damaged, altered or for another vault."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _manifest_key(data_key: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"coachdesk backup manifest v1"
    ).derive(data_key)


def _counts(session: Session) -> dict[str, int]:
    counts = {}
    for name, table in sorted(Base.metadata.tables.items()):
        if isinstance(table, Table):
            counts[name] = int(session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """A backup that was written."""

    path: Path
    taken_at: datetime
    size: int
    sha256: str
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class BackupRecord:
    """A backup CoachDesk remembers taking, as the Backups list shows it."""

    id: int
    path: Path
    taken_at: datetime
    size: int
    scheduled: bool
    present: bool
    expires_on: date | None


def _check_folder(vault: Vault, folder: Path) -> Path:
    folder = folder.expanduser()
    if not folder.is_dir():
        raise BackupError(
            f"The backup folder “{folder}” does not exist. Choose a folder, such as one on "
            "an external drive, and try again."
        )
    root = vault.paths.root.resolve()
    if folder.resolve() == root or root in folder.resolve().parents:
        raise BackupError("Choose a folder outside the vault: a backup inside it is lost with it.")
    return folder


def set_backup_folder(vault: Vault, folder: Path) -> Path:
    """Choose where scheduled backups go (refused when missing or inside the vault)."""
    from coachdesk.services import vault_settings

    folder = _check_folder(vault, folder)
    vault_settings.put(vault, BACKUP_FOLDER, str(folder))
    return folder


def _file_name(now: datetime) -> str:
    local = now.replace(tzinfo=UTC).astimezone()
    return f"CoachDesk backup {local:%Y-%m-%d %H%M%S}{SUFFIX}"


def create_backup(
    vault: Vault, folder: Path, scheduled: bool = False, progress: Progress | None = None
) -> BackupInfo:
    """Write an encrypted backup of the whole vault into `folder`.

    Raises:
        BackupError: the folder is missing or unsuitable, the disk is full, or the coach
            cancelled (nothing is left behind in any of these cases).
    """
    folder = _check_folder(vault, folder)
    taken_at = _now()
    target = folder / _file_name(taken_at)
    for number in range(2, 100):  # two backups within a second keep both
        if not target.exists():
            break
        target = folder / _file_name(taken_at).replace(SUFFIX, f"-{number}{SUFFIX}")
    partial = folder / f".{target.name}.partial"
    staging = vault.paths.root / ".backup-staging"
    staging.mkdir(mode=0o700, exist_ok=True)
    db_copy = staging / DB_FILE
    try:
        db_copy.unlink(missing_ok=True)
        src = open_raw(vault.paths.db, vault.data_key)
        dst = open_raw(db_copy, vault.data_key)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        engine = make_engine(db_copy, vault.data_key, pool_size=1)
        try:
            with Session(engine) as session:
                counts = _counts(session)
                head_seq, head_hash = audit.head(session)
        finally:
            engine.dispose()
        blobs = sorted(
            p
            for p in vault.paths.attachments.iterdir()
            if p.is_file() and BLOB_NAME.fullmatch(p.name)
        )
        members: list[tuple[str, Path]] = [
            (DB_FILE, db_copy),
            (KEY_FILE, vault.paths.key_file),
            *((f"attachments/{p.name}", p) for p in blobs),
        ]
        sums: dict[str, str] = {}
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
            for done, (name, path) in enumerate(members, 1):
                if progress is not None and not progress(done, len(members) + 1, "Copying"):
                    raise BackupError("The backup was cancelled; nothing was written.")
                archive.write(path, name)
                sums[name] = sha256_of(path)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "app_version": __version__,
                "vault_id": vault.vault_id,
                "taken_at": taken_at.isoformat(),
                "schema": SCHEMA_HEAD,
                "counts": counts,
                "audit_head": {"seq": head_seq, "hash": head_hash},
                "files": sums,
            }
            nonce = secrets.token_bytes(12)
            sealed = nonce + AESGCM(_manifest_key(vault.data_key)).encrypt(
                nonce, json.dumps(manifest, sort_keys=True).encode(), vault.vault_id.encode()
            )
            archive.writestr(MANIFEST, sealed)
            sums[MANIFEST] = hashlib.sha256(sealed).hexdigest()
            header = {
                "format": FORMAT,
                "version": VERSION,
                "vault_id": vault.vault_id,
                "taken_at": taken_at.isoformat(),
                "files": sums,
            }
            archive.writestr(HEADER, json.dumps(header, indent=2, sort_keys=True))
        with partial.open("rb+") as fh:
            os.fsync(fh.fileno())
        partial.replace(target)
        fsync_dir(folder)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        from coachdesk.services.files import why_not_saved

        raise BackupError(why_not_saved(exc, target)) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    size = target.stat().st_size
    digest = sha256_of(target)
    with vault.writing() as session:
        row = BackupTable(
            taken_at=taken_at, path=str(target), size=size, sha256=digest, scheduled=scheduled
        )
        session.add(row)
        session.flush()
        audit.append(session, vault.actor, "backup", row.id, "create")
    return BackupInfo(target, taken_at, size, digest, counts)


# Checking a backup ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackupCheck:
    """What verifying a backup found.

    Args:
        path: the backup file.
        vault_id: the vault it was taken of.
        taken_at: when (UTC).
        deep: whether the passphrase (or key) was given, so the database was opened and
            the manifest's counts and audit head compared; without it only the file's
            checksums were checked.
        schema, counts, audit_entries: from the opened backup (empty when not deep).
    """

    path: Path
    vault_id: str
    taken_at: datetime
    deep: bool
    schema: str = ""
    counts: dict[str, int] | None = None
    audit_entries: int = 0


def _damaged(path: Path, what: str) -> BackupError:
    return BackupError(
        f"The backup “{path.name}” is damaged: {what}. It cannot be restored; use another backup."
    )


def _open_archive(path: Path) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    if not path.is_file():
        raise BackupError(f"There is no backup at “{path}”.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise BackupError(
            f"“{path.name}” is not a complete CoachDesk backup: it is cut short (an unfinished "
            "copy?) or is another kind of file. Use another backup."
        ) from None
    try:
        header = json.loads(archive.read(HEADER))
        if header.get("format") != FORMAT:
            raise ValueError("format")
        if int(header.get("version", 0)) > VERSION:
            archive.close()
            raise BackupError(
                f"“{path.name}” was made by a newer CoachDesk. Update CoachDesk to restore it."
            )
        files: dict[str, str] = dict(header["files"])
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile):
        archive.close()
        raise BackupError(f"“{path.name}” is not a CoachDesk backup.") from None
    names = {i.filename for i in archive.infolist()} - {HEADER}
    if names != set(files):
        archive.close()
        missing, extra = sorted(set(files) - names), sorted(names - set(files))
        raise _damaged(path, f"files {missing or extra} do not match its list")
    return archive, header


def _check_members(path: Path, archive: zipfile.ZipFile, files: dict[str, str]) -> None:
    for name, expected in files.items():
        digest = hashlib.sha256()
        try:
            with archive.open(name) as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except (zipfile.BadZipFile, OSError, EOFError):
            raise _damaged(path, f"{name} cannot be read") from None
        if digest.hexdigest() != expected:
            raise _damaged(path, f"{name} does not match its checksum")


def _unlock_key(path: Path, key_bytes: bytes, passphrase: str) -> bytes:
    try:
        return KeyFile.parse(key_bytes, path / KEY_FILE).unlock(passphrase)
    except VaultDamagedError:
        raise _damaged(path, "its key file is unreadable") from None
    except WrongPassphraseError:
        raise WrongPassphraseError(
            f"That passphrase does not open “{path.name}”. A backup opens with the "
            "passphrase the vault had when the backup was taken."
        ) from None


def _extract(archive: zipfile.ZipFile, into: Path) -> None:
    for info in archive.infolist():
        name = info.filename
        if name in (HEADER, MANIFEST):
            continue
        target = into / name
        if into.resolve() not in target.resolve().parents:  # a crafted "../" name
            raise BackupError("The backup holds a file that would land outside the vault.")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with archive.open(info) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())


def _deep_check(
    path: Path, archive: zipfile.ZipFile, header: dict[str, Any], data_key: bytes, into: Path
) -> BackupCheck:
    vault_id = str(header["vault_id"])
    sealed = archive.read(MANIFEST)
    try:
        plain = AESGCM(_manifest_key(data_key)).decrypt(sealed[:12], sealed[12:], vault_id.encode())
        manifest: dict[str, Any] = json.loads(plain)
    except (InvalidTag, ValueError):
        raise BackupError(
            f"The backup “{path.name}” was altered after it was made (its sealed manifest "
            "does not match). It cannot be trusted; use another backup."
        ) from None
    if manifest["files"] != {k: v for k, v in header["files"].items() if k != MANIFEST}:
        raise BackupError(
            f"The backup “{path.name}” was altered after it was made (its file list differs "
            "from the sealed one). Use another backup."
        )
    _extract(archive, into)
    db = into / DB_FILE
    try:
        conn = open_raw(db, data_key)
    except VaultDamagedError:
        raise _damaged(path, "its database fails the integrity check") from None
    try:
        cipher = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        sqlite = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()
    if cipher or sqlite != ["ok"]:
        raise _damaged(path, "its database fails the integrity check")
    engine = make_engine(db, data_key, pool_size=1)
    try:
        with Session(engine) as session:
            counts = {k: v for k, v in _counts(session).items() if k in manifest["counts"]}
            entries, problem = audit.check(session)
            head = audit.head(session)
            schema = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    if counts != manifest["counts"]:
        raise _damaged(path, "its row counts differ from its manifest")
    if problem is not None or list(head) != [
        manifest["audit_head"]["seq"],
        manifest["audit_head"]["hash"],
    ]:
        raise _damaged(path, "its audit trail does not match its manifest")
    blobs = AttachmentStore(into / "attachments", data_key)
    for name in header["files"]:
        if name.startswith("attachments/"):
            try:
                blobs.get(name.split("/", 1)[1])
            except (VaultDamagedError, KnownError):
                raise _damaged(path, f"{name} does not decrypt") from None
    return BackupCheck(
        path,
        vault_id,
        datetime.fromisoformat(header["taken_at"]),
        True,
        str(schema),
        counts,
        entries,
    )


def verify_backup(
    path: Path, passphrase: str | None = None, data_key: bytes | None = None
) -> BackupCheck:
    """Check a backup: its checksums always; with the passphrase (or the data key), also
    its sealed manifest, the database's integrity, row counts and audit trail.

    Raises:
        BackupError: what is wrong with it, in words.
        WrongPassphraseError: the passphrase does not open this backup.
    """
    archive, header = _open_archive(path)
    with archive:
        _check_members(path, archive, header["files"])
        if passphrase is None and data_key is None:
            return BackupCheck(
                path, str(header["vault_id"]), datetime.fromisoformat(header["taken_at"]), False
            )
        key = data_key
        if key is None:
            assert passphrase is not None
            key = _unlock_key(path, archive.read(KEY_FILE), passphrase)
        try:
            with tempfile.TemporaryDirectory(prefix="coachdesk-verify-") as scratch:
                return _deep_check(path, archive, header, key, Path(scratch))
        except OSError as exc:
            raise BackupError(
                f"“{path.name}” could not be checked: there is not enough room for a "
                f"temporary copy ({exc.strerror or exc}). Free some space and try again."
            ) from exc


def _aside_name(target: Path) -> Path:
    """A free "<folder>.before-restore-<time>[-n]" beside `target`."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = target.with_name(f"{target.name}.before-restore-{stamp}")
    number = 2
    while aside.exists():
        aside = target.with_name(f"{target.name}.before-restore-{stamp}-{number}")
        number += 1
    return aside


def restore_backup(path: Path, passphrase: str, target: Path, replace: bool = False) -> Path:
    """Restore a backup as the vault at `target` (checked in full first).

    An existing vault there is refused, or with `replace` kept aside as
    `<folder>.before-restore-<time>` rather than deleted.
    """
    archive, header = _open_archive(path)
    with archive:
        _check_members(path, archive, header["files"])
        key = _unlock_key(path, archive.read(KEY_FILE), passphrase)
        target = target.expanduser()
        paths = VaultPaths(target)
        if paths.exists() and not replace:
            raise BackupError(
                f"There is already a vault at “{target}”. Restore into another folder, "
                "or choose to replace it (the current one is kept aside, not deleted)."
            )
        if not paths.exists() and target.is_dir() and any(target.iterdir()):
            raise BackupError(
                f"“{target}” already has other files in it. Restore into an empty or new folder."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.restoring"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        aside: Path | None = None
        try:
            _deep_check(path, archive, header, key, staging)
            (staging / "attachments").mkdir(exist_ok=True, mode=0o700)
            if paths.exists():
                aside = _aside_name(target)
                target.rename(aside)
            elif target.exists():
                target.rmdir()  # an empty folder
            try:
                staging.rename(target)
            except OSError:
                if aside is not None:
                    aside.rename(target)  # put the vault that was there back
                raise
            fsync_dir(target.parent)
        except OSError as exc:
            from coachdesk.services.files import why_not_saved

            raise BackupError(why_not_saved(exc, target)) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


# The list and the schedule --------------------------------------------------------------------


def list_backups(vault: Vault) -> list[BackupRecord]:
    """Backups CoachDesk took, newest first, with whether the file is still there."""
    from coachdesk.services import compliance

    months = compliance.retention_rules(vault)[Category.BACKUPS]
    with vault.reading() as session:
        rows = list(session.scalars(select(BackupTable).order_by(BackupTable.taken_at.desc())))
    return [
        BackupRecord(
            r.id,
            Path(r.path),
            r.taken_at,
            r.size,
            r.scheduled,
            Path(r.path).is_file(),
            keep_until(r.taken_at.date(), months),
        )
        for r in rows
    ]


def delete_if_ours(path: str, digest: str) -> bool:
    """Delete a backup file if it is still the one CoachDesk wrote; True when it is gone."""
    file = Path(path)
    if not file.exists():
        return True
    try:
        if sha256_of(file) != digest:
            return False
        file.unlink()
    except OSError:
        return False
    return True


def backup_due(vault: Vault, now: datetime | None = None) -> bool:
    """Whether a scheduled backup should be taken now."""
    from coachdesk.services import vault_settings

    every = str(vault_settings.get(vault, BACKUP_EVERY))
    if every == "off" or not str(vault_settings.get(vault, BACKUP_FOLDER)):
        return False
    with vault.reading() as session:
        last = session.scalar(select(func.max(BackupTable.taken_at)))
    gap = timedelta(days=1 if every == "daily" else 7)
    return last is None or (now or _now()) - last >= gap


def run_scheduled_backup(vault: Vault) -> BackupInfo | None:
    """Take the scheduled backup if one is due."""
    from coachdesk.services import vault_settings

    if not backup_due(vault):
        return None
    folder = Path(str(vault_settings.get(vault, BACKUP_FOLDER)))
    return create_backup(vault, folder, scheduled=True)
