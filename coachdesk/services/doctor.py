"""`coachdesk doctor`: checks a coach (or support) can read without knowing SQLite."""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import text

from coachdesk.domain.errors import KnownError
from coachdesk.services import audit_trail
from coachdesk.store.keychain import SecretStore
from coachdesk.store.migrate import current_revision, head_revision
from coachdesk.store.vault import Vault, VaultPaths

MIN_FREE_BYTES = 200 * 1024 * 1024


class Outcome(StrEnum):
    """How a check went."""

    OK = "ok"
    INFO = "info"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    outcome: Outcome
    detail: str


def check_files(root: Path) -> list[Check]:
    """Checks that need no key: folder, key file, permissions, disk space."""
    paths = VaultPaths(root)
    checks = []
    if not paths.exists():
        return [Check("vault", Outcome.FAIL, f"No vault at {root}; run `coachdesk init`.")]
    checks.append(Check("vault", Outcome.OK, str(root)))
    try:
        key_file = paths.read_key_file()
        checks.append(Check("key file", Outcome.OK, f"intact, vault id {key_file.vault_id}"))
        mode = stat.S_IMODE(paths.key_file.stat().st_mode)
        if mode & 0o077:
            checks.append(
                Check(
                    "key file permissions",
                    Outcome.FAIL,
                    f"{oct(mode)}: others can read it; run `chmod 600 {paths.key_file}`.",
                )
            )
    except KnownError as exc:
        checks.append(Check("key file", Outcome.FAIL, exc.message))
    free = shutil.disk_usage(root).free
    checks.append(
        Check(
            "disk",
            Outcome.OK if free >= MIN_FREE_BYTES else Outcome.FAIL,
            f"{free / 2**30:.1f} GiB free"
            + ("" if free >= MIN_FREE_BYTES else "; free some space before working"),
        ),
    )
    return checks


def check_keychain(secrets: SecretStore) -> Check:
    """Which keychain backend is in use (missing is information, not a failure)."""
    status = secrets.status()
    return Check("keychain", Outcome.OK if status.available else Outcome.INFO, status.description)


def check_vault(vault: Vault) -> list[Check]:
    """Checks on the unlocked database: cipher, pragmas, integrity, migrations, audit."""
    checks = []
    with vault.engine.connect() as conn:
        version = conn.execute(text("PRAGMA cipher_version")).scalar()
        provider = conn.execute(text("PRAGMA cipher_provider")).scalar()
        page = conn.execute(text("PRAGMA cipher_page_size")).scalar()
        hmac = conn.execute(text("PRAGMA cipher_hmac_algorithm")).scalar()
        journal = conn.execute(text("PRAGMA journal_mode")).scalar()
        foreign = conn.execute(text("PRAGMA foreign_keys")).scalar()
        sync = conn.execute(text("PRAGMA synchronous")).scalar()
    encrypted = bool(version) and str(version).startswith("4.")
    checks.append(
        Check(
            "cipher",
            Outcome.OK if encrypted else Outcome.FAIL,
            f"SQLCipher {version} ({provider}), page {page} B, {hmac}",
        )
    )
    pragmas_ok = str(journal).lower() == "wal" and foreign == 1 and sync == 2
    checks.append(
        Check(
            "connection settings",
            Outcome.OK if pragmas_ok else Outcome.FAIL,
            f"journal={journal}, foreign_keys={foreign}, synchronous={sync}",
        )
    )
    problems = vault.check_integrity()
    checks.append(
        Check(
            "integrity",
            Outcome.FAIL if problems else Outcome.OK,
            "; ".join(problems[:3]) if problems else "every page authenticates",
        )
    )
    current, head = current_revision(vault.engine), head_revision()
    checks.append(
        Check(
            "migrations",
            Outcome.OK if current == head else Outcome.FAIL,
            f"schema {current}" + ("" if current == head else f", expected {head}"),
        )
    )
    result = audit_trail.verify(vault)
    checks.append(
        Check(
            "audit trail",
            Outcome.OK if result.intact else Outcome.FAIL,
            f"{result.events} entries intact"
            if result.problem is None
            else f"tampered: {result.problem.reason}",
        )
    )
    return checks
