"""A full disk: the coach is told in plain words, nothing is half-written, the vault opens after.

Two ways to fill it: SQLite's own page limit (`PRAGMA max_page_count`, always run), and
a real tiny tmpfs (run where this process may mount one, as root on Linux).
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.domain.errors import KnownError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import audit_trail, clients, crm, documents, practice, vaults
from coachdesk.store.engine import DiskFullError
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.vault import Vault
from tests.conftest import PASSPHRASE
from tests.store.util import files_under, sample_draft

PROFILE = PracticeProfile("Sam Rivera", "Brightpath Coaching", "Europe/London", "EUR")
KINDS = ("client", "note", "document", "logo")
MAX_CALLS = 400
WORDS = ("goal", "habit", "review", "energy", "career", "boundary", "focus", "plan", "values")
# Room left before each kind of write fills the database: a few writes go through first.
HEADROOM_PAGES = {"client": 40, "note": 40, "document": 64, "logo": 2}

Writer = Callable[[Vault, int, int], object]


def long_text(index: int) -> str:
    words = random.Random(index).choices(WORDS, k=3_000)
    return f"Entry {index}: " + " ".join(words)


def noise_png(index: int, side: int) -> bytes:
    """A PNG of random pixels, so it does not compress: about 3 * side * side bytes."""
    from PIL import Image

    pixels = random.Random(index).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG")
    return buffer.getvalue()


def writers(logo_side: int) -> dict[str, Writer]:
    """Each kind of write the coach can make, as one service call."""
    return {
        "client": lambda v, _c, i: clients.create_client(
            v, sample_draft(i, notes=long_text(i), emails=(f"full{i}@example.org",))
        ),
        "note": lambda v, c, i: crm.add_note(
            v, c, NoteDraft(NoteKind.SESSION, date.today(), long_text(i))
        ),
        "document": lambda v, c, _i: documents.create_document(v, c, "progress_report"),
        "logo": lambda v, _c, i: practice.save_profile(v, PROFILE, logo=noise_png(i, logo_side)),
    }


def row_counts(vault: Vault) -> dict[str, int]:
    """Rows in every table, the search index's own tables included."""
    with vault.reading() as session:
        names = session.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ).scalars()
        return {
            name: int(session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())  # noqa: S608
            for name in list(names)
        }


def blobs(vault: Vault) -> list[str]:
    """Every file in the attachments folder, temporary ones included."""
    return [
        str(p.relative_to(vault.paths.attachments)) for p in files_under(vault.paths.attachments)
    ]


def assert_plain_disk_full(error: KnownError) -> None:
    assert isinstance(error, DiskFullError), f"{type(error).__name__}: {error}"
    assert error.message == (
        "The disk is full, so the change was not saved. Free some space and try again."
    )


def write_until_full(vault: Vault, client_id: int, kind: str, write: Writer) -> int:
    """Call `write` until the disk is full; check the failing call left nothing. Returns calls."""
    for index in range(MAX_CALLS):
        counts, files = row_counts(vault), blobs(vault)
        events = audit_trail.verify(vault).events
        try:
            write(vault, client_id, index)
        except DiskFullError as exc:
            assert_plain_disk_full(exc)
            assert row_counts(vault) == counts, f"{kind}: the failed write left rows behind"
            assert blobs(vault) == files, f"{kind}: the failed write left files behind"
            after = audit_trail.verify(vault)
            assert after.intact, after.problem
            assert after.events == events
            return index + 1
        except OSError as exc:
            pytest.fail(f"{kind}: the coach would see a raw {type(exc).__name__}: {exc}")
    pytest.fail(f"{kind}: {MAX_CALLS} writes and the disk never filled up")


def assert_reopens_and_writes(root: Path) -> None:
    vault = vaults.unlock(root, PASSPHRASE, "coach@test")
    try:
        assert vault.check_integrity() == []
        assert audit_trail.verify(vault).intact
        before = row_counts(vault)
        client = clients.create_client(vault, ClientDraft(first_name="After", notes="Room again."))
        crm.add_note(vault, client.id, NoteDraft(NoteKind.GENERAL, date.today(), "It works."))
        documents.create_document(vault, client.id, "progress_report")
        after = row_counts(vault)
        assert after["clients"] == before["clients"] + 1
        assert after["notes"] == before["notes"] + 1
        assert after["generated_documents"] == before["generated_documents"] + 1
        assert vault.check_integrity() == []
        assert audit_trail.verify(vault).intact
    finally:
        vault.close()


def starter(vault: Vault) -> int:
    """A practice with a logo and one client to attach notes and documents to."""
    practice.save_profile(vault, PROFILE, logo=noise_png(-1, 16))
    return clients.create_client(vault, sample_draft(-1)).id


# SQLite's page limit -------------------------------------------------------------------------


def limit_pages(vault: Vault, extra: int) -> Callable[[Any, Any], None]:
    """Cap the database at its current size plus `extra` pages, on every pooled connection."""
    with vault.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())

    def _limit(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + extra}").fetchall()

    event.listen(vault.engine, "connect", _limit)
    vault.engine.dispose()
    return _limit


def lift_limit(vault: Vault, limit: Callable[[Any, Any], None]) -> None:
    event.remove(vault.engine, "connect", limit)
    vault.engine.dispose()


def test_full_database_says_so_and_keeps_nothing_half_written(vault: Vault) -> None:
    client_id = starter(vault)
    calls = {}
    for kind, write in writers(logo_side=40).items():
        # Once with room first: the first document also stores the built-in template.
        write(vault, client_id, -1)
        limit = limit_pages(vault, extra=HEADROOM_PAGES[kind])
        try:
            calls[kind] = write_until_full(vault, client_id, kind, write)
        finally:
            lift_limit(vault, limit)
        # Room again: the same kind of write now goes through.
        write(vault, client_id, MAX_CALLS + 1)
    print(f"\ndisk full (SQLite page limit): writes until full {calls}; each failure kept nothing")

    limit = limit_pages(vault, extra=1)
    with pytest.raises(DiskFullError):
        for index in range(MAX_CALLS):
            writers(40)["client"](vault, client_id, index)
    # Closed while full: the next opening has the room.
    vault.close()
    assert_reopens_and_writes(vault.paths.root)


# A real, tiny file system --------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs; skipped where this process may not mount one."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], check=True)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill_disk(disk: Path, leave: int) -> Path:
    """A ballast file that leaves about `leave` bytes free."""
    ballast = disk / "ballast"
    chunk = b"\0" * (1 << 20)
    with ballast.open("ab") as fh:
        while (room := free_bytes(disk) - leave) > 0:
            fh.write(chunk[: min(len(chunk), room)])
            fh.flush()
    return ballast


def test_full_file_system_says_so_and_keeps_nothing_half_written(small_disk: Path) -> None:
    root = small_disk / "vault"
    vault = vaults.create_vault(root, PASSPHRASE, "coach@test", kdf=FAST_KDF_FOR_TESTS)
    calls = {}
    try:
        client_id = starter(vault)
        for kind, write in writers(logo_side=400).items():
            write(vault, client_id, -1)
            ballast = fill_disk(small_disk, leave=640 * 1024)
            try:
                calls[kind] = write_until_full(vault, client_id, kind, write)
            finally:
                ballast.unlink()
            write(vault, client_id, MAX_CALLS + 1)
        ballast = fill_disk(small_disk, leave=16 * 1024)
        with pytest.raises(DiskFullError):
            for index in range(MAX_CALLS):
                writers(400)["client"](vault, client_id, index)
        files = blobs(vault)
        with pytest.raises(DiskFullError) as caught:
            vault.attachments.put(os.urandom(1 << 20))
        assert_plain_disk_full(caught.value)
        assert blobs(vault) == files, "a half-written blob was left behind"
    finally:
        # Closed while the disk is still full: nothing more can be written on the way out.
        vault.close()
    assert not any(name.endswith(".tmp") for name in blobs(vault))
    ballast.unlink()
    print(f"\ndisk full (24 MB tmpfs): writes until full {calls}; each failure kept nothing")
    assert_reopens_and_writes(root)
