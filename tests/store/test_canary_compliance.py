"""The issue 7 canary proof: after a full run with documents, e-mail drafts, export, backup,
retention and erasure, client text is nowhere outside the vault and the export the coach
chose, and the erased client's text is nowhere inside the vault either, not even in freed
pages, old WAL frames or attachment blobs (every page and blob is decrypted and searched).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from coachdesk.domain.compliance import Category, ConsentMethod, Purpose
from coachdesk.domain.crm import FollowUpDraft, GoalDraft, NoteDraft, NoteKind
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import (
    backups,
    clients,
    compliance,
    crm,
    documents,
    practice,
    privacy,
    search,
    vaults,
)
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.vault import Vault
from tests.store import pages
from tests.store.util import canary, leaks, sample_draft


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files land in the test's folder so the scan sees them."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setenv("SQLITE_TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def client_with_canaries(vault: Vault, index: int) -> tuple[int, list[str]]:
    """A client whose every kind of record carries its own canary; returns (id, canaries)."""
    from datetime import UTC, datetime, timedelta

    marks = [canary() for _ in range(7)]
    first, last, note, goal, follow_up, tag, email_user = marks
    created = clients.create_client(
        vault,
        sample_draft(
            index,
            first_name=first,
            last_name=last,
            preferred_name="",
            emails=(f"{email_user.lower()}@example.org",),
            tags=(tag,),
            notes=f"Background {note}-bg",
        ),
    )
    today = datetime.now(UTC).date()
    crm.add_note(vault, created.id, NoteDraft(NoteKind.SESSION, today, f"Session about {note}"))
    crm.add_goal(vault, created.id, GoalDraft(objective=f"Goal {goal}"))
    crm.add_follow_up(
        vault,
        created.id,
        FollowUpDraft(title=f"Call {follow_up}", due_at=datetime.now() + timedelta(days=3)),
    )
    compliance.give_consent(vault, created.id, Purpose.DATA_PROCESSING, ConsentMethod.EMAIL)
    info = documents.create_document(vault, created.id, "progress_report", {})
    documents.email_draft(vault, info.id)  # a decrypted .eml handed to the mail client
    return created.id, marks


def test_full_run_leaves_no_client_text_outside_and_no_erased_text_inside(
    tmp_path: Path, isolated_home: Path, private_tmp: Path
) -> None:
    root = tmp_path / "vault"
    vault = vaults.create_vault(root, "canary run passphrase", "coach@test", FAST_KDF_FOR_TESTS)
    try:
        practice.save_profile(vault, PracticeProfile("Rita Rivera", "Rivera", "UTC", "EUR"))
        kept_id, kept = client_with_canaries(vault, 1)
        erased_id, erased = client_with_canaries(vault, 2)
        for index in range(3, 12):
            clients.create_client(vault, sample_draft(index))
        # An edit leaves the old text in freed pages and WAL frames for erasure to clear.
        clients.update_client(
            vault,
            erased_id,
            sample_draft(
                2, first_name=erased[0], last_name=erased[1], preferred_name="", notes="edited"
            ),
        )
        exports = tmp_path / "chosen exports"
        exports.mkdir()
        privacy.export_client(vault, kept_id, exports / "kept.zip")
        privacy.export_client(vault, erased_id, exports / "erased.zip")
        backup_folder = tmp_path / "backups"
        backup_folder.mkdir()
        backups.create_backup(vault, backup_folder)
        compliance.set_retention_rule(vault, Category.NOTES, 1)
        compliance.apply_retention(vault, compliance.plan_retention(vault))
        # Before erasure the scan finds every one of their canaries somewhere in the vault.
        for mark in erased:  # tags and e-mail addresses are stored lower-cased
            assert pages.contains(vault.paths.db, vault.data_key, mark.lower().encode()) or (
                pages.contains(vault.paths.db, vault.data_key, mark.encode())
            ), mark
        report = privacy.erase_client(vault, erased_id)
        assert report.done and report.backups  # the backup still holds them, and says so
        assert not search.search_everything(vault, erased[0])
        assert search.search_everything(vault, kept[0])

        # 1. Outside the vault and the chosen export folder: no client text at all.
        everything = kept + erased
        outside = [
            hit
            for hit in leaks(everything, tmp_path, isolated_home)
            if not Path(hit[0]).is_relative_to(exports)
        ]
        assert outside == []
        assert leaks(everything, exports)  # the export does hold them: the scan can see

        # 2. Inside the vault, decrypted page by page: the erased client is gone…
        data_key = vault.data_key
        db = vault.paths.db
        good, bad = pages.count_pages(db, data_key)
        assert good > 10 and bad == 0
        for mark in erased:
            for form in {mark.encode(), mark.lower().encode()}:
                assert not pages.contains(db, data_key, form), mark
        # …while the kept client is still found by the same scan (it is not blind).
        assert pages.contains(db, data_key, kept[0].encode())
        blobs = [
            vault.attachments.get(p.name)
            for p in vault.paths.attachments.iterdir()
            if not p.name.startswith(".")
        ]
        assert blobs
        for mark in erased:
            assert not any(mark.encode() in blob for blob in blobs), mark
    finally:
        vault.close()
    # After closing (final checkpoint) the file still holds no trace of them.
    reopened = vaults.unlock(root, "canary run passphrase", "coach@test")
    try:
        for mark in erased:
            assert not pages.contains(reopened.paths.db, reopened.data_key, mark.encode())
    finally:
        reopened.close()
