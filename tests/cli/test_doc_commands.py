"""`coachdesk doc …` as a script drives it: types, render, email, list, batch, templates."""

from __future__ import annotations

import email
import io
import json
from email import policy
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from coachdesk.domain.clients import ClientStatus
from coachdesk.domain.segments import ClientFilter
from coachdesk.services import segments, vaults
from tests.cli.test_commands import run
from tests.conftest import PASSPHRASE
from tests.store.test_documents import add_client, setup_practice


def cli(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "--vault", str(root), "--no-keychain", *argv)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "vault"
    from coachdesk.store.keys import FAST_KDF_FOR_TESTS

    vault = vaults.create_vault(folder, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS)
    try:
        setup_practice(vault)
        add_client(vault)
        add_client(vault, "Ana", "Lima")
        segments.save_segment(
            vault, "Everyone active", ClientFilter(statuses=frozenset({ClientStatus.ACTIVE}))
        )
    finally:
        vault.close()
    return folder


def test_types_need_no_vault_and_list_every_type_with_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(capsys, tmp_path / "nowhere", "doc", "types", "--json")
    assert code == 0, err
    listed = {entry["type"]: entry for entry in json.loads(out)}
    assert set(listed) == {
        "intake_form",
        "coaching_plan",
        "session_summary",
        "progress_report",
        "renewal_proposal",
        "consent_form",
        "certificate",
    }
    assert [o["key"] for o in listed["certificate"]["options"]] == ["programme", "completed_on"]
    code, out, _ = cli(capsys, tmp_path / "nowhere", "doc", "types")
    assert "--set programme=" in out


def test_render_pdf_and_docx(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf_path = tmp_path / "report.pdf"
    code, out, err = cli(
        capsys, root, "doc", "render", "progress_report", "--client", "1", "--out", str(pdf_path)
    )
    assert code == 0, err
    assert "template version 1" in out
    text = "".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    assert "Wróbel-Öztürk" in text and "Land a product lead role" in text

    docx_path = tmp_path / "plan.word"
    code, _, err = cli(
        capsys,
        root,
        "doc",
        "render",
        "coaching_plan",
        "--client",
        "1",
        "--format",
        "docx",
        "--out",
        str(docx_path),
        "--set",
        "sessions=10",
    )
    assert code == 0, err
    paragraphs = [p.text for p in docx.Document(str(docx_path)).paragraphs]
    assert any("over 10 sessions" in p for p in paragraphs)

    code, out, _ = cli(capsys, root, "doc", "list", "--client", "1", "--json")
    assert [d["doc_type"] for d in json.loads(out)] == ["coaching_plan", "progress_report"]


def test_bad_input_is_named(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.pdf")
    code, _, err = cli(capsys, root, "doc", "render", "certificate", "--client", "9", "--out", out)
    assert code != 0 and "client #9" in err
    code, _, err = cli(
        capsys, root, "doc", "render", "certificate", "--client", "1", "--out", out, "--set", "x=1"
    )
    assert code != 0 and "no option 'x'" in err
    code, _, err = cli(
        capsys, root, "doc", "render", "certificate", "--client", "1", "--out", "a.txt"
    )
    assert code != 0 and "pdf or docx" in err
    code, _, err = cli(capsys, root, "doc", "render", "invoice", "--client", "1", "--out", out)
    assert code != 0 and "invalid choice" in err
    assert not Path(out).exists()


def test_email_writes_an_unsent_draft_with_the_pdf(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eml = tmp_path / "certificate.eml"
    code, out, err = cli(
        capsys, root, "doc", "email", "certificate", "--client", "2", "--out", str(eml)
    )
    assert code == 0, err
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["X-Unsent"] == "1"
    assert message["Subject"] == "Certificate of completion from Brightpath Coaching"
    (attachment,) = message.iter_attachments()
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    assert "Ana Lima" in reader.pages[0].extract_text()
    assert "lucja@example.org" in out


def test_batch_for_a_segment(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "certificates"
    code, out, err = cli(
        capsys,
        root,
        "doc",
        "batch",
        "certificate",
        "--segment",
        "Everyone active",
        "--out-dir",
        str(folder),
        "--set",
        "programme=Career Sprint",
    )
    assert code == 0, err
    assert "Made 2 documents" in out
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and all(n.endswith(".pdf") for n in names)


def test_template_save_history_diff_revert(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, source, _ = cli(capsys, root, "doc", "template", "show", "certificate")
    assert code == 0 and "Certificate of Completion" in source
    edited = tmp_path / "certificate.html.j2"
    edited.write_text(source.replace("Completion", "Achievement"), "utf-8")
    code, out, err = cli(
        capsys, root, "doc", "template", "save", "certificate", str(edited), "--note", "New title"
    )
    assert code == 0, err
    assert "version 2" in out

    broken = tmp_path / "broken.html.j2"
    broken.write_text("<h1>\n{{ client.nmae }}\n</h1>\n", "utf-8")
    code, _, err = cli(capsys, root, "doc", "template", "save", "certificate", str(broken))
    assert code != 0
    assert "Line 2" in err and "nmae" in err and "Traceback" not in err

    code, out, _ = cli(capsys, root, "doc", "template", "history", "certificate")
    assert [line.split()[0] for line in out.splitlines()] == ["v2", "v1"]
    assert "New title" in out
    code, out, _ = cli(capsys, root, "doc", "template", "diff", "certificate", "1", "2")
    assert "-<h1>Certificate of Completion</h1>" in out
    assert "+<h1>Certificate of Achievement</h1>" in out
    code, out, _ = cli(capsys, root, "doc", "template", "revert", "certificate", "1")
    assert code == 0 and "now version 3" in out
    code, source_now, _ = cli(capsys, root, "doc", "template", "show", "certificate")
    assert source_now == source


def test_file_mistakes_are_plain_and_store_nothing(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "report.pdf"
    code, _, err = cli(
        capsys, root, "doc", "render", "progress_report", "--client", "1", "--out", str(missing)
    )
    assert code == 1 and "does not exist" in err
    code, _, err = cli(
        capsys, root, "doc", "email", "certificate", "--client", "1", "--out", str(tmp_path)
    )
    assert code == 1 and "is a folder" in err
    code, out, _ = cli(capsys, root, "doc", "list", "--client", "1", "--json")
    assert json.loads(out) == []

    code, _, err = cli(
        capsys, root, "doc", "template", "save", "certificate", str(tmp_path / "x.j2")
    )
    assert code == 1 and "Could not read" in err and "internal error" not in err
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    code, _, err = cli(
        capsys, root, "doc", "batch", "certificate", "--clients", "1", "--out-dir", str(a_file)
    )
    assert code == 1 and "internal error" not in err
