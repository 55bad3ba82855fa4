"""Consent, policy, retention, export, erasure, backups and restore as a script drives them."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.compliance import Purpose
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.domain.errors import WrongPassphraseError
from coachdesk.services import clients, compliance, crm, documents, vault_settings, vaults
from coachdesk.settings import BACKUP_FOLDER
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.vault import Vault
from tests.cli.test_commands import run
from tests.conftest import PASSPHRASE


def cli(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "--vault", str(root), "--no-keychain", *argv)


def ok(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> str:
    code, out, err = cli(capsys, root, *argv)
    assert code == 0, err
    return out


def as_json(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> Any:
    return json.loads(ok(capsys, root, *argv, "--json"))


@contextmanager
def opened(root: Path) -> Iterator[Vault]:
    vault = vaults.unlock(root, PASSPHRASE, "test")
    try:
        yield vault
    finally:
        vault.close()


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A closed vault on disk whose passphrase is in COACHDESK_PASSPHRASE."""
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "vault"
    vaults.create_vault(folder, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS).close()
    return folder


@pytest.fixture
def client_id(root: Path) -> int:
    with opened(root) as vault:
        return clients.create_client(vault, ClientDraft(first_name="Lin", last_name="Okafor")).id


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder


def take_backup(capsys: pytest.CaptureFixture[str], root: Path, folder: Path) -> Path:
    return Path(as_json(capsys, root, "backup", "--out", str(folder))["path"])


# Consent ---------------------------------------------------------------------------------


def test_consent_give_list_withdraw_round_trip(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = str(client_id)
    given_on = (date.today() - timedelta(days=10)).isoformat()
    given = as_json(
        capsys, root, "consent", "give", cid, "marketing", "--method", "email", "--on", given_on
    )
    assert (given["purpose"], given["method"], given["given_on"]) == (
        "marketing",
        "email",
        given_on,
    )
    assert given["withdrawn_on"] is None and given["notice_version"] == 1

    out = ok(capsys, root, "consent", "give", cid, "ai_assistance")
    assert out == "Recorded consent: AI assistance on this laptop.\n"

    states = {s["purpose"]: s for s in as_json(capsys, root, "consent", "list", cid)}
    assert set(states) == {"data_processing", "session_recording", "ai_assistance", "marketing"}
    assert states["marketing"]["given"] and states["ai_assistance"]["given"]
    assert not states["data_processing"]["given"] and states["data_processing"]["history"] == []
    text = ok(capsys, root, "consent", "list", cid)
    assert "Not asked yet" in text and "(by e-mail, notice v1)" in text

    withdrawn = as_json(capsys, root, "consent", "withdraw", cid, "marketing", "--method", "verbal")
    assert withdrawn["withdrawn_on"] == date.today().isoformat()
    assert withdrawn["withdrawn_method"] == "verbal"
    states = {s["purpose"]: s for s in as_json(capsys, root, "consent", "list", cid)}
    assert not states["marketing"]["given"] and states["ai_assistance"]["given"]
    assert states["marketing"]["history"][0]["withdrawn_method"] == "verbal"
    assert "Withdrawn" in ok(capsys, root, "consent", "list", cid)

    # Giving again after a withdrawal is as easy as the first time.
    assert ok(capsys, root, "consent", "give", cid, "marketing").startswith("Recorded consent")


def test_giving_twice_or_withdrawing_nothing_is_refused_plainly(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = str(client_id)
    ok(capsys, root, "consent", "give", cid, "session_recording")
    code, out, err = cli(capsys, root, "consent", "give", cid, "session_recording")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "already stands" in err and "Traceback" not in err

    code, _, err = cli(capsys, root, "consent", "withdraw", cid, "marketing")
    assert code == 1
    assert err.startswith("coachdesk: Lin Okafor has no consent for") and "to withdraw" in err

    code, _, err = cli(capsys, root, "consent", "list", "999")
    assert code == 1 and "no client #999" in err
    future = (date.today() + timedelta(days=3)).isoformat()
    code, _, err = cli(capsys, root, "consent", "give", cid, "marketing", "--on", future)
    assert code == 2 and "future" in err
    with opened(root) as vault:
        assert not compliance.has_consent(vault, client_id, Purpose.MARKETING)


# AI policy and the records ---------------------------------------------------------------


def test_policy_show_and_the_disclosure_as_pdf_and_text(
    root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shown = as_json(capsys, root, "policy", "show")
    assert shown["version"] == 1
    assert set(shown["review_always"]) <= set(shown["allowed"])
    assert shown["prohibited"] and shown["escalation"]
    assert 0 < shown["min_confidence"] <= 100
    text = ok(capsys, root, "policy", "show")
    assert text.startswith("AI policy, version 1") and "prohibited topics:" in text

    pdf = tmp_path / "disclosure.pdf"
    out = ok(capsys, root, "policy", "disclosure", "--out", str(pdf))
    assert str(pdf) in out
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "How we use AI" in pdf_text(pdf)

    txt = tmp_path / "disclosure.txt"
    ok(capsys, root, "policy", "disclosure", "--out", str(txt))
    words = txt.read_text("utf-8")
    assert words.startswith("How we use AI") and not words.startswith("%PDF")


def test_records_of_processing_pdf(
    root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "records.pdf"
    assert "records of processing" in ok(capsys, root, "records", "--out", str(out_file))
    assert "Records of processing" in pdf_text(out_file)


# Retention ---------------------------------------------------------------------------------


def test_retention_rules_show_set_and_refuse_bad_values(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = as_json(capsys, root, "retention", "rules")
    assert rules["notes"] == 72 and set(rules) >= {"notes", "transcripts", "backups", "audit"}
    changed = as_json(capsys, root, "retention", "rules", "--set", "notes=1", "--set", "leads=0")
    assert (changed["notes"], changed["leads"]) == (1, 0)
    text = ok(capsys, root, "retention", "rules")
    assert "Session and general notes" in text and "1 month (the note's date)" in text
    assert "Leads that never became clients" in text and "for ever" in text

    for bad, needle in (
        ("notes=abc", '"notes=abc"'),
        ("notes=-1", "notes: Keep for 0"),
        ("notes=99999", "notes: Keep for 0"),
        ("letters=3", '"letters=3"'),
        ("notes", '"notes"'),
    ):
        code, out, err = cli(capsys, root, "retention", "rules", "--set", bad)
        assert code == 2, bad
        assert out == "" and needle in err and err.count("\n") == 1, err
    assert as_json(capsys, root, "retention", "rules")["notes"] == 1


def test_retention_dry_run_lists_the_old_note_then_the_run_removes_exactly_it(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with opened(root) as vault:
        old = crm.add_note(
            vault,
            client_id,
            NoteDraft(NoteKind.SESSION, date.today() - timedelta(days=730), "Old session talk"),
        )
        recent = crm.add_note(
            vault, client_id, NoteDraft(NoteKind.GENERAL, date.today(), "Fresh thought")
        )
    ok(capsys, root, "retention", "rules", "--set", "notes=1")

    plan = as_json(capsys, root, "retention", "run", "--dry-run")
    assert plan["dry_run"] is True
    assert [(i["category"], i["id"]) for i in plan["items"]] == [("notes", old.id)]
    assert plan["counts"]["notes"] == 1 and sum(plan["counts"].values()) == 1
    assert "Lin Okafor" in plan["items"][0]["label"]
    text = ok(capsys, root, "retention", "run", "--dry-run")
    assert "1 item(s) would be removed; nothing was changed." in text
    with opened(root) as vault:
        assert {n.id for n in crm.list_notes(vault, client_id)} == {old.id, recent.id}
        assert compliance.last_retention_run(vault) is None

    done = as_json(capsys, root, "retention", "run")
    assert done["dry_run"] is False
    assert done["removed"]["notes"] == 1 and sum(done["removed"].values()) == 1
    assert done["kept_files"] == []
    with opened(root) as vault:
        assert [n.id for n in crm.list_notes(vault, client_id)] == [recent.id]
        assert compliance.last_retention_run(vault) is not None

    again = as_json(capsys, root, "retention", "run")
    assert again["items"] == [] and sum(again["removed"].values()) == 0
    assert ok(capsys, root, "retention", "run").endswith("0 item(s) removed.\n")


# Export and erasure ------------------------------------------------------------------------


def test_export_client_writes_json_csv_and_documents(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with opened(root) as vault:
        crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date.today(), "Mock interview"))
        documents.create_document(vault, client_id, "consent_form", {})
    target = tmp_path / "lin.zip"
    out = ok(capsys, root, "export", "client", str(client_id), "--out", str(target))
    assert out.startswith("Exported ") and "1 file(s)" in out and str(target) in out

    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        record = json.loads(archive.read("client.json"))
        notes_csv = archive.read("tables/notes.csv").decode("utf-8-sig")
        pdfs = [n for n in names if n.startswith("documents/") and n.endswith(".pdf")]
        first_pdf = archive.read(pdfs[0]) if pdfs else b""
    assert record["client_id"] == client_id
    assert record["tables"]["clients"][0]["first_name"] == "Lin"
    assert "client-export.schema.json" in names
    assert {"tables/clients.csv", "tables/notes.csv", "tables/audit.csv"} <= set(names)
    assert [r["text"] for r in csv.DictReader(io.StringIO(notes_csv))] == ["Mock interview"]
    assert len(pdfs) == 1 and first_pdf.startswith(b"%PDF")


def test_export_client_needs_a_known_id(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "x.zip"
    code, _, err = cli(capsys, root, "export", "client", "--out", str(target))
    assert code == 2 and "Say which client" in err
    code, _, err = cli(capsys, root, "export", "client", "999", "--out", str(target))
    assert code == 1 and err == "coachdesk: There is no client #999.\n"
    assert not target.exists()


def test_erase_previews_without_confirm_and_erases_with_it(
    root: Path,
    client_id: int,
    capsys: pytest.CaptureFixture[str],
    backup_dir: Path,
) -> None:
    cid = str(client_id)
    with opened(root) as vault:
        crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date.today(), "Salary talk"))
    backup = take_backup(capsys, root, backup_dir)

    code, out, _ = cli(capsys, root, "erase", "client", cid)
    assert code == 3
    assert out.startswith("Would erase Lin Okafor:") and "Nothing was changed" in out
    assert str(backup) in out
    code, out, _ = cli(capsys, root, "erase", "client", cid, "--json")
    assert code == 3 and json.loads(out)["erased"] is False
    assert ok(capsys, root, "clients", "show", cid)

    report = as_json(capsys, root, "erase", "client", cid, "--confirm")
    assert report["erased"] is True and report["rows"]["notes"] == 1
    assert [b["path"] for b in report["backups"]] == [str(backup)]
    assert report["backups"][0]["present"] is True and report["backups"][0]["expires_on"]
    code, _, err = cli(capsys, root, "clients", "show", cid)
    assert code == 1 and f"no client #{client_id}" in err
    code, _, err = cli(capsys, root, "erase", "client", cid, "--confirm")
    assert code == 1 and f"no client #{client_id}" in err


# Backups and restore ---------------------------------------------------------------------


def test_backup_take_list_and_verify(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str], backup_dir: Path
) -> None:
    assert "No backups yet" in ok(capsys, root, "backup", "list")
    out = ok(capsys, root, "backup", "--out", str(backup_dir))
    assert out.startswith("Backed up to ")
    (file,) = backup_dir.glob("*.cdbackup")
    assert str(file) in out

    listed = as_json(capsys, root, "backup", "list")
    assert [(r["path"], r["present"], r["scheduled"]) for r in listed] == [(str(file), True, False)]
    assert listed[0]["size"] == file.stat().st_size and listed[0]["expires_on"]
    assert file.name in ok(capsys, root, "backup", "list")

    deep = as_json(capsys, root, "backup", "verify", str(file))
    assert deep["deep"] is True and deep["counts"]["clients"] == 1 and deep["audit_entries"] > 0
    text = ok(capsys, root, "backup", "verify", str(file))
    assert "checksums match" in text and "Opened with the passphrase" in text
    shallow = as_json(capsys, root, "backup", "verify", str(file), "--checksums-only")
    assert shallow["deep"] is False and shallow["counts"] is None
    assert "Opened" not in ok(capsys, root, "backup", "verify", str(file), "--checksums-only")


def test_backup_goes_to_the_folder_set_and_needs_one(
    root: Path, capsys: pytest.CaptureFixture[str], backup_dir: Path
) -> None:
    code, _, err = cli(capsys, root, "backup")
    assert code == 2 and "--out FOLDER" in err
    code, _, err = cli(capsys, root, "backup", "--out", str(backup_dir / "missing"))
    assert code == 1 and "does not exist" in err
    code, _, err = cli(capsys, root, "backup", "verify")
    assert code == 2 and "which backup" in err
    with opened(root) as vault:
        vault_settings.put(vault, BACKUP_FOLDER, str(backup_dir))
    ok(capsys, root, "backup")
    assert len(list(backup_dir.glob("*.cdbackup"))) == 1


def _member_offset(path: Path, name: str) -> tuple[int, int]:
    """Where a stored member's bytes start in the zip, and how many there are."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    with path.open("rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
    name_len = int.from_bytes(local[26:28], "little")
    extra_len = int.from_bytes(local[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def test_verify_refuses_a_cut_short_or_damaged_copy(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str], backup_dir: Path, tmp_path: Path
) -> None:
    file = take_backup(capsys, root, backup_dir)
    data = file.read_bytes()

    short = tmp_path / "short.cdbackup"
    short.write_bytes(data[: len(data) // 2])
    for extra in ((), ("--checksums-only",)):
        code, out, err = cli(capsys, root, "backup", "verify", str(short), *extra)
        assert (code, out) == (1, "")
        assert "cut short" in err and err.count("\n") == 1

    start, size = _member_offset(file, "coachdesk.db")
    flipped = bytearray(data)
    flipped[start + size // 2] ^= 0x01
    damaged = tmp_path / "damaged.cdbackup"
    damaged.write_bytes(bytes(flipped))
    for extra in ((), ("--checksums-only",)):
        code, _, err = cli(capsys, root, "backup", "verify", str(damaged), *extra)
        assert code == 1
        assert "is damaged" in err and "coachdesk.db" in err and err.count("\n") == 1

    code, _, err = cli(capsys, root, "restore", str(damaged), "--to", str(tmp_path / "r"))
    assert code == 1 and "is damaged" in err
    assert not (tmp_path / "r").exists()
    assert ok(capsys, root, "backup", "verify", str(file))  # the original is untouched


def test_restore_onto_a_fresh_folder_then_clients_list(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str], backup_dir: Path, tmp_path: Path
) -> None:
    file = take_backup(capsys, root, backup_dir)
    target = tmp_path / "restored"
    out = ok(capsys, root, "restore", str(file), "--to", str(target))
    assert out.startswith(f"Restored the vault to {target}.")
    listed = as_json(capsys, target, "clients", "list")
    assert [(r["id"], r["name"]) for r in listed] == [(client_id, "Lin Okafor")]
    assert as_json(capsys, target, "backup", "verify", str(file))["deep"] is True


def test_restore_with_a_wrong_passphrase_creates_nothing(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str], backup_dir: Path, tmp_path: Path
) -> None:
    file = take_backup(capsys, root, backup_dir)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n", "utf-8")
    target = tmp_path / "restored"
    code, out, err = run(
        capsys, "--passphrase-file", str(wrong), "restore", str(file), "--to", str(target)
    )
    assert (code, out) == (WrongPassphraseError.exit_code, "")
    assert "does not open" in err and err.count("\n") == 1
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backups", "vault", "wrong.txt"]

    code, _, err = run(
        capsys, "--passphrase-file", str(wrong), "backup", "verify", str(file), "--json"
    )
    assert code == WrongPassphraseError.exit_code and "does not open" in err


def test_restore_onto_an_existing_vault_needs_replace_and_keeps_the_old_one(
    root: Path, client_id: int, capsys: pytest.CaptureFixture[str], backup_dir: Path, tmp_path: Path
) -> None:
    file = take_backup(capsys, root, backup_dir)
    ok(capsys, root, "clients", "add", "--first", "Noor", "--last", "Haddad")
    assert len(as_json(capsys, root, "clients", "list")) == 2

    code, _, err = cli(capsys, root, "restore", str(file))
    assert code == 1 and "already a vault" in err
    assert len(as_json(capsys, root, "clients", "list")) == 2
    assert not list(tmp_path.glob("*.before-restore-*"))
    assert not list(tmp_path.glob(".*restoring"))

    ok(capsys, root, "restore", str(file), "--replace")
    assert [r["name"] for r in as_json(capsys, root, "clients", "list")] == ["Lin Okafor"]
    (kept,) = tmp_path.glob("vault.before-restore-*")
    assert len(as_json(capsys, kept, "clients", "list")) == 2
    shutil.rmtree(kept)
