"""A vault: a folder with the encrypted database, its key file and attachments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from coachdesk.domain.errors import VaultDamagedError, VaultExistsError, VaultNotFoundError
from coachdesk.store.attachments import AttachmentStore
from coachdesk.store.engine import WRITE_OPTION, make_engine
from coachdesk.store.keys import KEY_FILE, KdfParams, KeyFile, create_key_file
from coachdesk.store.migrate import upgrade

DB_FILE = "coachdesk.db"


@dataclass(frozen=True, slots=True)
class VaultPaths:
    """The files of a vault folder."""

    root: Path

    @property
    def db(self) -> Path:
        """The SQLCipher database."""
        return self.root / DB_FILE

    @property
    def key_file(self) -> Path:
        """The wrapped data key."""
        return self.root / KEY_FILE

    @property
    def attachments(self) -> Path:
        """Encrypted attachment blobs."""
        return self.root / "attachments"

    @property
    def backups(self) -> Path:
        """Automatic copies taken before migrations."""
        return self.root / "backups"

    def exists(self) -> bool:
        """Whether a vault (key file or database) is present."""
        return self.key_file.exists() or self.db.exists()

    def read_key_file(self) -> KeyFile:
        """The key file, or a plain error saying the vault is missing or half there."""
        if not self.exists():
            raise VaultNotFoundError(
                f"There is no vault at {self.root}. Create one with `coachdesk init` or the app."
            )
        if not self.key_file.exists():
            raise VaultDamagedError(f"The vault at {self.root} has lost its key file ({KEY_FILE}).")
        if not self.db.exists():
            raise VaultDamagedError(f"The vault at {self.root} has lost its database ({DB_FILE}).")
        return KeyFile.read(self.key_file)


class Vault:
    """An unlocked vault: the engine, the attachment store and who is acting.

    Args:
        paths: the vault's files.
        key_file: its parsed key file.
        data_key: the unwrapped data key.
        actor: recorded in the audit trail ("coach@app", "coach@cli").
    """

    def __init__(self, paths: VaultPaths, key_file: KeyFile, data_key: bytes, actor: str) -> None:
        self.paths = paths
        self.key_file = key_file
        self.actor = actor
        self._data_key = data_key
        self.engine: Engine = make_engine(paths.db, data_key)
        self._writer = self.engine.execution_options(**{WRITE_OPTION: True})
        self.attachments = AttachmentStore(paths.attachments, data_key)
        self.last_backup: Path | None = None

    @property
    def vault_id(self) -> str:
        """The vault's random identifier (not secret)."""
        return self.key_file.vault_id

    @property
    def data_key(self) -> bytes:
        """The data key (for re-wrapping and the keychain; never logged)."""
        return self._data_key

    def migrate(self) -> Path | None:
        """Bring the schema to head (backup first); returns the backup path if one was taken."""
        self.last_backup = upgrade(self.engine, self.paths.db, self._data_key, self.paths.backups)
        return self.last_backup

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session scope for one user action."""
        # Closing (not rolling back) ends the read transaction and leaves the loaded
        # objects readable after the scope; a rollback would expire them.
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A read-write scope: takes the write lock up front, commits at the end."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def check_integrity(self) -> list[str]:
        """Problems found by SQLCipher's page HMAC check and SQLite's integrity check."""
        with self.engine.connect() as conn:
            cipher = [str(row[0]) for row in conn.execute(text("PRAGMA cipher_integrity_check"))]
            if cipher:
                # SQLite's own check aborts on a page that fails its HMAC; this report says it all.
                return cipher
            sqlite = [str(row[0]) for row in conn.execute(text("PRAGMA integrity_check"))]
        return cipher + [msg for msg in sqlite if msg != "ok"]

    def close(self) -> None:
        """Close every connection and forget the key (as far as Python allows)."""
        self.engine.dispose()
        self._data_key = b""


def create(root: Path, passphrase: str, actor: str, kdf: KdfParams | None = None) -> Vault:
    """Create a new vault at `root` (refused when one is already there)."""
    paths = VaultPaths(root)
    if paths.exists():
        raise VaultExistsError(f"A vault already exists at {root}; open it instead.")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.attachments.mkdir(exist_ok=True, mode=0o700)
    try:
        key_file, data_key = create_key_file(paths.key_file, passphrase, kdf)
        vault = Vault(paths, key_file, data_key, actor)
        vault.migrate()
        paths.db.chmod(0o600)
    except BaseException:
        for leftover in (
            paths.db,
            paths.key_file,
            paths.db.with_name(DB_FILE + "-wal"),
            paths.db.with_name(DB_FILE + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        raise
    return vault


def open_with_key(root: Path, data_key: bytes, actor: str) -> Vault:
    """Open an existing vault with its data key (from the passphrase or the keychain)."""
    paths = VaultPaths(root)
    key_file = paths.read_key_file()
    vault = Vault(paths, key_file, data_key, actor)
    try:
        vault.migrate()
    except BaseException:
        vault.close()
        raise
    return vault
