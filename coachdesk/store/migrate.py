"""Schema migrations, run inside the app at unlock, after a backup copy is taken."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from coachdesk.paths import resource_path
from coachdesk.store.engine import open_raw

if TYPE_CHECKING:
    from alembic.config import Config

# The revision this build's ORM matches. Checked against Alembic's own head by the tests,
# so start-up can compare versions with one query and load Alembic only to migrate.
SCHEMA_HEAD = "0008"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the shipped `migrations/` folder."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resource_path("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision in the shipped `migrations/` folder (loads Alembic)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"Expected one migration head, found {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the vault's schema is at (None for a new, empty vault)."""
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        ).scalar()
        if not exists:  # a new vault
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup_copy(db_path: Path, data_key: bytes, backups_dir: Path, label: str) -> Path:
    """A consistent, still-encrypted copy of the database (SQLite's online backup)."""
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = backups_dir / f"coachdesk-{stamp}-{label}.db"
    src = open_raw(db_path, data_key)
    dst = open_raw(target, data_key)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def upgrade(engine: Engine, db_path: Path, data_key: bytes, backups_dir: Path) -> Path | None:
    """Bring the schema to head; returns the backup taken first, if one was needed."""
    current = current_revision(engine)
    if current == SCHEMA_HEAD:
        return None
    head = head_revision()
    backup = None
    if current is not None:
        backup = backup_copy(db_path, data_key, backups_dir, f"before-{head}")
    migrate_to(engine, head)
    return backup


def migrate_to(engine: Engine, revision: str) -> None:
    """Upgrade or downgrade the schema to `revision` ("head", "base" or an id)."""
    with engine.connect() as outer:
        # Batch migrations rebuild tables by copy, drop and rename; with foreign keys on,
        # dropping `clients` would cascade into every child table.  The pragma is a no-op
        # inside a transaction, so it is set on the raw connection before SQLAlchemy begins.
        raw = outer.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            _migrate_on(outer, revision)
            problems = raw.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(
                    f"Migration to {revision} left {len(problems)} broken references"
                )
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _migrate_on(conn: Connection, revision: str) -> None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with conn.begin():
        config = alembic_config(conn)
        current = MigrationContext.configure(conn).get_current_revision()
        script = ScriptDirectory.from_config(config)
        target = script.get_revision(revision) if revision not in ("head", "base") else None
        going_down = revision == "base" or (
            target is not None
            and current is not None
            and target.revision != current
            and target.revision in {r.revision for r in script.iterate_revisions(current, "base")}
        )
        if going_down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)
