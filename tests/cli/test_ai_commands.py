"""`coachdesk ai models` and `ai use`: the bundled model, the coach's own files, bad files."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from coachdesk.__main__ import main
from coachdesk.ai.models import default_model_path
from coachdesk.domain.compliance import ConsentMethod, Purpose
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.paths import models_dir
from coachdesk.services import clients, compliance, crm, vaults
from coachdesk.settings import AI_MODEL, MachineSettings
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from tests.cli.test_compliance_commands import cli, opened
from tests.conftest import PASSPHRASE
from tests.store.util import sample_draft


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_the_bundled_one_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ai", "models", "--json")
    assert code == 0
    [bundled] = json.loads(out)
    assert bundled["bundled"] and bundled["in_use"] and bundled["architecture"] == "llama"
    assert bundled["trained_context"] == 8192


def test_use_a_model_from_the_models_folder_then_go_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = models_dir()
    folder.mkdir(parents=True)
    mine = folder / "mine.gguf"
    shutil.copyfile(default_model_path(), mine)
    (folder / "broken.gguf").write_bytes(b"GGUF" + b"\x00" * 10)
    code, out, err = run(capsys, "ai", "use", str(mine))
    assert code == 0, err
    assert "now runs" in out
    assert MachineSettings().get(AI_MODEL) == str(mine.resolve())
    listed = {Path(c["path"]).name: c for c in json.loads(run(capsys, "ai", "models", "--json")[1])}
    assert listed["mine.gguf"]["in_use"] and not listed[default_model_path().name]["in_use"]
    assert "damaged or incomplete" in listed["broken.gguf"]["problem"]
    code, out, _ = run(capsys, "ai", "models")
    assert "cannot be used" in out and "* mine (yours)" in out
    assert run(capsys, "ai", "use", "--bundled")[0] == 0
    assert MachineSettings().get(AI_MODEL) == ""


@pytest.mark.parametrize("content", [b"not a model", b"GGUF\x03\x00"])
def test_a_bad_file_is_refused_and_nothing_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    code, _, err = run(capsys, "ai", "use", str(bad))
    assert code == 1
    assert err.startswith("coachdesk: ") and "bad.gguf" in err
    assert MachineSettings().get(AI_MODEL) == ""


def test_run_list_approve_reject_as_a_script_would(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "vault"
    vault = vaults.create_vault(folder, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS)
    try:
        ada = clients.create_client(vault, sample_draft(1, first_name="Ada")).id
        note = NoteDraft(NoteKind.SESSION, date.today(), "Ada will update her CV by Friday.")
        crm.add_note(vault, ada, note)
    finally:
        vault.close()
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    run_items = ("ai", "run", "action_items", "--client", str(ada))
    code, _, err = cli(capsys, folder, *run_items)
    assert code == 1 and "has not agreed to AI assistance" in err
    with opened(folder) as vault:
        compliance.give_consent(vault, ada, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    code, out, err = cli(capsys, folder, *run_items, "--no-model", "--json")
    assert code == 0, err
    draft = json.loads(out)
    assert draft["status"] == "draft" and draft["flags"]["fallback"]
    assert json.loads(draft["output"])["items"][0]["owner"] == "client"
    code, out, _ = cli(capsys, folder, "ai", "drafts", "list", "--json")
    assert [d["id"] for d in json.loads(out)] == [draft["id"]]
    edited = tmp_path / "edited.json"
    edited.write_text('{"items": [{"action": "Update the CV", "owner": "client", "due": ""}]}')
    approve = ("ai", "drafts", "approve", str(draft["id"]), "--edited", str(edited))
    code, out, err = cli(capsys, folder, *approve)
    assert code == 0, err
    code, _, err = cli(capsys, folder, "ai", "drafts", "reject", str(draft["id"]))
    assert code == 1 and "already approved" in err


def test_drafts_become_records_only_once_approved_and_the_report_counts_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "vault"
    vault = vaults.create_vault(folder, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS)
    try:
        draft = sample_draft(1, first_name="Ada", preferred_name="", emails=("ada@example.org",))
        ada = clients.create_client(vault, draft).id
        compliance.give_consent(vault, ada, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
        text = "Ada will update her CV by Friday. I will send two job ads."
        crm.add_note(vault, ada, NoteDraft(NoteKind.SESSION, date.today(), text))
    finally:
        vault.close()
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    ids = {}
    for task in ("action_items", "follow_up_email", "session_summary", "session_prep"):
        code, out, err = cli(
            capsys, folder, "ai", "run", task, "--client", str(ada), "--no-model", "--json"
        )
        assert code == 0, err
        ids[task] = json.loads(out)["id"]
    code, _, err = cli(capsys, folder, "ai", "drafts", "use", str(ids["action_items"]))
    assert code == 1 and "Approve draft" in err
    mail = tmp_path / "follow-up.eml"
    code, _, err = cli(
        capsys, folder, "ai", "drafts", "use", str(ids["follow_up_email"]), "--out", str(mail)
    )
    assert code == 1 and "Approve draft" in err and not mail.exists()

    # The follow-up e-mail is always read on its own: it cannot go in a batch.
    batch = ("ai", "drafts", "approve", str(ids["action_items"]), str(ids["follow_up_email"]))
    code, _, err = cli(capsys, folder, *batch)
    assert code == 1 and "must be read and approved on its own" in err
    batch = ("ai", "drafts", "approve", str(ids["action_items"]), str(ids["session_summary"]))
    code, out, err = cli(capsys, folder, *batch)
    assert code == 0 and "Approved 2 drafts" in out, err
    assert cli(capsys, folder, "ai", "drafts", "approve", str(ids["follow_up_email"]))[0] == 0
    code, _, err = cli(capsys, folder, "ai", "drafts", "reject", str(ids["session_prep"]))
    assert code == 0, err

    code, out, err = cli(capsys, folder, "ai", "drafts", "use", str(ids["action_items"]))
    assert code == 0 and "Made 2 follow-ups" in out, err
    code, _, err = cli(capsys, folder, "ai", "drafts", "use", str(ids["action_items"]))
    assert code == 1 and "already used" in err
    code, out, err = cli(
        capsys, folder, "ai", "drafts", "use", str(ids["follow_up_email"]), "--out", str(mail)
    )
    assert code == 0 and "ada@example.org" in out, err
    assert "To: Ada" in mail.read_text() and "<ada@example.org>" in mail.read_text()

    code, out, err = cli(capsys, folder, "ai", "drafts", "show", str(ids["action_items"]), "--json")
    shown = json.loads(out)
    assert shown["applied"].startswith("follow_ups:") and "update her CV" in shown["source"]

    code, out, err = cli(capsys, folder, "ai", "report", "--json")
    assert code == 0, err
    report = {r["task"]: r for r in json.loads(out)}
    assert report["action_items"]["acceptance"] == 1.0
    assert report["session_prep"]["acceptance"] == 0.0
    assert report["follow_up_email"]["approved"] == 1
    assert report["session_summary"]["minutes_saved"] > 0
    code, out, _ = cli(capsys, folder, "ai", "report")
    assert "Session summaries" in out and "Estimated time saved" in out


def test_without_a_usable_model_run_says_so_and_the_rules_write_the_draft(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "vault"
    vault = vaults.create_vault(folder, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS)
    try:
        ada = clients.create_client(vault, sample_draft(1, first_name="Ada")).id
        compliance.give_consent(vault, ada, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
        note = NoteDraft(NoteKind.SESSION, date.today(), "Ada will update her CV by Friday.")
        crm.add_note(vault, ada, note)
    finally:
        vault.close()
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    MachineSettings().set(AI_MODEL, str(tmp_path / "gone.gguf"))
    code, out, err = cli(
        capsys, folder, "ai", "run", "action_items", "--client", str(ada), "--json"
    )
    assert code == 0, err
    assert "There is no model file" in err and "coachdesk ai use" in err
    assert json.loads(out)["flags"]["fallback"]
