"""The SQLCipher engine: the key first on every connection, then the pragmas.

SQLAlchemy's pysqlite dialect drives the `sqlcipher3` module (same DB-API).
The key is set inside the connection factory, so no statement, not even one
of SQLAlchemy's own first-connect queries, can run before it. Everything
else about a connection is set in the one `connect` listener.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import QueuePool

from coachdesk.domain.errors import KnownError, VaultDamagedError

WRITE_OPTION = "coachdesk_write"
BUSY_TIMEOUT_MS = 10_000

DAMAGE_MARKERS = (
    "file is not a database",
    "database disk image is malformed",
    "hmac check failed",
)


DISK_FULL_MESSAGE = "The disk is full, so the change was not saved. Free some space and try again."


class DiskFullError(KnownError):
    """The disk has no room for the change; nothing was written."""


# Indirection so tests can watch the statements a raw connection receives.
connect_dbapi: Callable[..., Any] = sqlcipher3.connect


def key_pragma(data_key: bytes) -> str:
    """The PRAGMA that hands SQLCipher a raw 256-bit key (no second KDF pass)."""
    return f"PRAGMA key = \"x'{data_key.hex()}'\""


def _is_damage(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in DAMAGE_MARKERS)


def damaged_message(db_path: Path) -> str:
    """The message shown when the database file fails its integrity checks."""
    return (
        f"The vault database {db_path} is damaged (its pages fail the integrity check). "
        "The passphrase is right; restore the vault from a backup."
    )


@cache
def _quiet_sqlcipher_log() -> None:
    """SQLCipher logs page errors to stderr; we report them ourselves, in words.

    The log level is process-wide, so it is set once on a keyless in-memory
    connection that never holds data.
    """
    probe = sqlcipher3.connect(":memory:")
    try:
        probe.execute("PRAGMA cipher_log_level = NONE").fetchall()
    finally:
        probe.close()


def open_raw(db_path: Path, data_key: bytes) -> Any:
    """A DB-API connection with the key set first and proven against the file."""
    _quiet_sqlcipher_log()
    conn = connect_dbapi(str(db_path), check_same_thread=False, isolation_level=None)
    try:
        conn.execute(key_pragma(data_key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        if _is_damage(str(exc)):
            raise VaultDamagedError(damaged_message(db_path)) from None
        raise
    return conn


def make_engine(db_path: Path, data_key: bytes, pool_size: int = 2) -> Engine:
    """An engine over the encrypted database file at `db_path`."""
    engine = create_engine(
        "sqlite://",
        module=sqlcipher3.dbapi2,
        creator=lambda: open_raw(db_path, data_key),
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=4,
        pool_pre_ping=False,
        # Statement parameters are client data: never in exception text or logs.
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = FULL",
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            # Sorts and temporary tables stay in memory: no plaintext temp files.
            "PRAGMA temp_store = MEMORY",
            # Freed pages are zeroed so deleted text does not linger (even encrypted).
            "PRAGMA secure_delete = ON",
        ):
            dbapi_conn.execute(pragma).fetchall()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Writers take the write lock up front, so two writers (the app and a
        # CLI run) queue on busy_timeout instead of failing mid-transaction.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> None:
        message = str(context.original_exception)
        if _is_damage(message):
            raise VaultDamagedError(damaged_message(db_path)) from context.original_exception
        if "database or disk is full" in message.lower():
            raise DiskFullError(DISK_FULL_MESSAGE) from context.original_exception

    return engine
