"""CRM commands as a script drives them: import, export, search, pipeline, follow-ups, risk."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from coachdesk.services import audit_trail, clients, vaults
from tests.cli.test_commands import run
from tests.conftest import PASSPHRASE

DATA = Path(__file__).resolve().parent.parent / "data" / "import"


def cli(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "--vault", str(root), "--no-keychain", *argv)


def as_json(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> object:
    code, out, err = cli(capsys, root, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "vault"
    from coachdesk.store.keys import FAST_KDF_FOR_TESTS

    vaults.create_vault(folder, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS).close()
    return folder


def count_clients(root: Path) -> int:
    vault = vaults.unlock(root, PASSPHRASE, "test")
    try:
        return len(clients.list_clients(vault))
    finally:
        vault.close()


def test_import_reports_counts_and_row_errors_then_creates_nothing_twice(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = DATA / "google_sheets.csv"
    dry = as_json(capsys, root, "import", str(source), "--dry-run")
    assert dry["dry_run"] is True
    assert count_clients(root) == 0

    first = as_json(capsys, root, "import", str(source))
    assert (first["created"], first["merged"]) == (dry["created"], 0)
    assert first["created"] == count_clients(root) > 0
    assert [e["row"] for e in first["errors"]] == [e["row"] for e in dry["errors"]]
    assert all(e["message"] for e in first["errors"])

    again = as_json(capsys, root, "import", str(source))
    assert again["created"] == 0
    assert again["unchanged"] == first["created"]
    skipped = as_json(capsys, root, "import", str(source), "--on-duplicate", "skip")
    assert skipped["skipped"] == first["created"]
    assert count_clients(root) == first["created"]


@pytest.mark.parametrize("fmt", ["csv", "vcf"])
def test_export_then_import_into_a_new_vault_loses_nothing(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    for sample in ("google_sheets.csv", "contacts_v30.vcf", "excel_semicolon_cp1252.csv"):
        assert cli(capsys, root, "import", str(DATA / sample))[0] == 0
    out = tmp_path / f"clients.{fmt}"
    code, text, err = cli(capsys, root, "export", "clients", "--format", fmt, "--out", str(out))
    assert code == 0, err
    assert "Exported" in text

    other = tmp_path / "other"
    from coachdesk.store.keys import FAST_KDF_FOR_TESTS

    vaults.create_vault(other, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS).close()
    result = as_json(capsys, other, "import", str(out))
    assert result["errors"] == []

    def records(folder: Path) -> list[object]:
        vault = vaults.unlock(folder, PASSPHRASE, "test")
        try:
            rows = clients.list_clients(vault)
            full = [clients.get_client(vault, r.id) for r in rows]
            # CSV has no place for a photo; vCard carries it.
            return sorted(
                (
                    (c.draft(), c.stage_name, fmt == "vcf" and c.photo_attachment_id is not None)
                    for c in full
                ),
                key=repr,
            )
        finally:
            vault.close()

    assert records(other) == records(root)


def test_import_maps_columns_and_date_order(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "odd.csv"
    source.write_text(
        "Who,Contact,Born\nAda Lovelace,ada@example.org,03/04/1990\n"
        "Alan Turing,alan@example.org,05/06/1991\n",
        encoding="utf-8",
    )
    code, _, err = cli(capsys, root, "import", str(source), "--map", "Who=full_name")
    assert code == 2
    assert "day/month" in err and "--date-order" in err
    assert count_clients(root) == 0

    result = as_json(
        capsys,
        root,
        "import",
        str(source),
        "--map",
        "Who=full_name",
        "--map",
        "Contact=email",
        "--map",
        "Born=birthday",
        "--date-order",
        "dmy",
    )
    assert result["created"] == 2
    (ada,) = [c for c in as_json(capsys, root, "clients", "list") if c["name"] == "Ada Lovelace"]  # type: ignore[union-attr]
    shown = as_json(capsys, root, "clients", "show", str(ada["id"]))
    assert shown["birthday"] == "1990-04-03"  # type: ignore[index]
    assert shown["emails"] == ["ada@example.org"]  # type: ignore[index]

    code, _, err = cli(capsys, root, "import", str(source), "--map", "Nope=email")
    assert code == 2 and "no column “Nope”" in err


def test_a_file_that_is_not_csv_is_refused_plainly(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, root, "import", str(DATA / "photo.png"))
    assert code != 0
    assert err.count("\n") == 1 and "CSV" in err
    code, _, err = cli(capsys, root, "import", str(DATA / "missing.csv"))
    assert code != 0 and "Cannot read" in err


def test_search_pipeline_follow_ups_and_risk(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = as_json(
        capsys,
        root,
        "clients",
        "add",
        "--first",
        "Margaret",
        "--last",
        "Okonkwo",
        "--status",
        "active",
    )
    cid = str(added["id"])  # type: ignore[index]
    assert (
        cli(
            capsys,
            root,
            "notes",
            "add",
            cid,
            "Rehearsed the salary negotiation",
            "--kind",
            "session",
        )[0]
        == 0
    )
    assert cli(capsys, root, "goals", "add", cid, "Land a PM role", "--milestone", "CV")[0] == 0
    assert (
        cli(
            capsys, root, "followups", "add", cid, "Send reading list", "--due", "2020-01-01 09:00"
        )[0]
        == 0
    )

    hits = as_json(capsys, root, "search", "margret")
    assert [(h["kind"], h["client"]) for h in hits] == [("client", "Margaret Okonkwo")]  # type: ignore[index,union-attr]
    hits = as_json(capsys, root, "search", "salary")
    assert hits[0]["kind"] == "note" and hits[0]["matches"] == ["salary"]  # type: ignore[index]
    code, out, _ = cli(capsys, root, "search", "reindex")
    assert code == 0 and "4 entries" in out

    due = as_json(capsys, root, "followups", "due")
    assert [f["title"] for f in due["overdue"]] == ["Send reading list"]  # type: ignore[index]
    risks = as_json(capsys, root, "risk")
    assert "1 overdue follow-up" in risks[0]["why"]  # type: ignore[index]

    code, _, err = cli(capsys, root, "pipeline", "move", "Lost", cid)
    assert code == 2 and "why" in err
    assert cli(capsys, root, "pipeline", "move", "lost", cid, "--reason", "Budget")[0] == 0
    stages = as_json(capsys, root, "pipeline", "stages")
    assert {s["name"]: s["clients"] for s in stages}["Lost"] == 1  # type: ignore[index,union-attr]
    funnel = as_json(capsys, root, "pipeline", "funnel")
    assert funnel[3]["stage"] == "Active" and funnel[3]["entered"] == 1  # type: ignore[index]
    code, _, err = cli(capsys, root, "pipeline", "move", "Nowhere", cid)
    assert code != 0 and "no stage called" in err

    assert cli(capsys, root, "segments", "save", "Lost ones", "--stage", "Lost")[0] == 0
    shown = as_json(capsys, root, "segments", "show", "lost ones")
    assert [c["id"] for c in shown] == [int(cid)]  # type: ignore[index,union-attr]
    vault = vaults.unlock(root, PASSPHRASE, "test")
    try:
        assert audit_trail.verify(vault).intact
    finally:
        vault.close()


def test_export_a_segment_as_csv(root: Path, tmp_path: Path, capsys) -> None:
    for name, tag in (("Ana", "vip"), ("Ben", "vip"), ("Cy", "")):
        extra = ["--tag", tag] if tag else []
        assert cli(capsys, root, "clients", "add", "--first", name, *extra)[0] == 0
    assert cli(capsys, root, "segments", "save", "VIPs", "--tag", "vip")[0] == 0
    out = tmp_path / "vips.csv"
    code, _, err = cli(capsys, root, "export", "clients", "--segment", "VIPs", "--out", str(out))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert sorted(r["First name"] for r in rows) == ["Ana", "Ben"]
    code, _, err = cli(capsys, root, "export", "clients", "--segment", "Nope", "--out", str(out))
    assert code != 0 and "VIPs" in err
