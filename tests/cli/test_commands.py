"""The command line, driven as a script would: exit codes, one-line errors, JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from coachdesk.__main__ import main
from coachdesk.services import audit_trail
from coachdesk.store.vault import Vault
from tests.conftest import PASSPHRASE


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `coachdesk ARGV` in-process; returns (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits for usage errors and --version
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def unlocked(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A vault on disk (closed) whose passphrase is in COACHDESK_PASSPHRASE."""
    vault.close()
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    return vault.paths.root


def test_init_creates_a_vault_once(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    root = tmp_path / "v"
    code, out, _ = run(capsys, "--vault", str(root), "init", "--json")
    assert code == 0
    assert json.loads(out)["vault"] == str(root)
    assert (root / "coachdesk.db").exists() and (root / "vault.key").exists()
    code, _, err = run(capsys, "--vault", str(root), "init")
    assert code != 0
    assert err.count("\n") == 1 and "already exists" in err


def test_init_refuses_a_weak_passphrase_and_creates_nothing(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COACHDESK_PASSPHRASE", "short")
    root = tmp_path / "v"
    code, _, err = run(capsys, "--vault", str(root), "init")
    assert code == 2
    assert "at least 10 characters" in err
    assert not root.exists() or not any(root.iterdir())


def test_clients_round_trip_in_json(unlocked: Path, capsys) -> None:
    v = ["--vault", str(unlocked)]
    code, out, _ = run(
        capsys,
        *v,
        "clients",
        "add",
        "--first",
        "Ada",
        "--last",
        "Lovelace",
        "--email",
        "ada@example.com",
        "--email",
        "ada@work.example.org",
        "--tz",
        "Europe/London",
        "--tag",
        "VIP",
        "--status",
        "active",
        "--json",
    )
    assert code == 0
    added = json.loads(out)
    assert added["emails"] == ["ada@example.com", "ada@work.example.org"]
    assert added["tags"] == ["vip"] and added["status"] == "active"

    code, out, _ = run(
        capsys, *v, "clients", "edit", str(added["id"]), "--company", "Engines Ltd", "--json"
    )
    assert code == 0 and json.loads(out)["company"] == "Engines Ltd"
    assert json.loads(out)["last_name"] == "Lovelace"  # fields not given are kept

    code, out, _ = run(capsys, *v, "clients", "list", "--json")
    assert [r["name"] for r in json.loads(out)] == ["Ada Lovelace"]

    code, out, _ = run(capsys, *v, "clients", "delete", str(added["id"]))
    assert code == 0 and "Trash" in out
    assert json.loads(run(capsys, *v, "clients", "list", "--json")[1]) == []
    assert len(json.loads(run(capsys, *v, "clients", "list", "--trash", "--json")[1])) == 1

    assert run(capsys, *v, "clients", "restore", str(added["id"]))[0] == 0
    assert len(json.loads(run(capsys, *v, "clients", "list", "--json")[1])) == 1

    run(capsys, *v, "clients", "delete", str(added["id"]))
    code, _, err = run(capsys, *v, "clients", "empty-trash")
    assert code != 0 and "--confirm" in err
    code, out, _ = run(capsys, *v, "clients", "empty-trash", "--confirm")
    assert code == 0 and "Deleted 1" in out
    code, _, err = run(capsys, *v, "clients", "show", str(added["id"]))
    assert code == 1 and f"no client #{added['id']}" in err


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--email", "ada@"], "e-mail: Not an e-mail address: ada@"),
        (["--tz", "Mars/Olympus_Mons"], "time zone: Unknown time zone"),
        (["--phone", "call me"], "phone: Not a phone number"),
    ],
)
def test_bad_field_prints_one_line_and_stores_nothing(unlocked, capsys, flags, needle) -> None:
    code, _out, err = run(
        capsys, "--vault", str(unlocked), "clients", "add", "--first", "Ada", *flags
    )
    assert code == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert json.loads(run(capsys, "--vault", str(unlocked), "clients", "list", "--json")[1]) == []


def test_wrong_passphrase_opens_nothing(unlocked, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COACHDESK_PASSPHRASE", "not the passphrase at all")
    before = sorted(p.name for p in unlocked.iterdir())
    code, _, err = run(capsys, "--vault", str(unlocked), "clients", "list")
    assert code == 3 and "passphrase does not unlock" in err
    assert sorted(p.name for p in unlocked.iterdir()) == before


def test_passphrase_file_and_missing_passphrase(unlocked, monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.delenv("COACHDESK_PASSPHRASE")
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    code, _, _ = run(
        capsys, "--vault", str(unlocked), "--passphrase-file", str(secret), "clients", "list"
    )
    assert code == 0
    code, _, err = run(capsys, "--vault", str(unlocked), "--no-keychain", "clients", "list")
    assert code != 0 and "COACHDESK_PASSPHRASE" in err
    code, _, err = run(
        capsys,
        "--vault",
        str(unlocked),
        "--passphrase-file",
        str(tmp_path / "nope"),
        "clients",
        "list",
    )
    assert code == 1 and "Cannot read the passphrase file" in err


def test_change_passphrase(unlocked, tmp_path, monkeypatch, capsys) -> None:
    new = tmp_path / "new.txt"
    new.write_text("orbit lantern pepper violin\n")
    code, out, _ = run(
        capsys, "--vault", str(unlocked), "passphrase", "change", "--new-passphrase-file", str(new)
    )
    assert code == 0 and "changed" in out
    assert run(capsys, "--vault", str(unlocked), "clients", "list")[0] == 3
    monkeypatch.setenv("COACHDESK_PASSPHRASE", "orbit lantern pepper violin")
    assert run(capsys, "--vault", str(unlocked), "clients", "list")[0] == 0


def test_audit_verify_detects_an_edited_row(vault: Vault, monkeypatch, capsys) -> None:
    from coachdesk.domain.clients import ClientDraft
    from coachdesk.services import clients

    for name in ("Ada", "Grace", "Linus"):
        clients.create_client(vault, ClientDraft(first_name=name))
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    root = str(vault.paths.root)
    code, out, _ = run(capsys, "--vault", root, "audit", "verify", "--json")
    assert code == 0 and json.loads(out) == {
        "intact": True,
        "entries": 4,
        "first_bad_entry": None,
        "reason": None,
    }
    with vault.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("UPDATE audit_events SET action = 'read' WHERE seq = 3"))
    assert audit_trail.verify(vault).problem is not None
    vault.close()
    code, out, err = run(capsys, "--vault", root, "audit", "verify")
    assert code != 0
    assert "entry #3" in err and "altered" in err


def test_doctor_reports_health_and_problems(unlocked, tmp_path, capsys) -> None:
    code, out, _ = run(capsys, "--vault", str(unlocked), "doctor", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"]
    names = {c["name"]: c for c in report["checks"]}
    assert names["cipher"]["detail"].startswith("SQLCipher 4.")
    assert names["connection settings"]["detail"] == "journal=wal, foreign_keys=1, synchronous=2"
    assert names["migrations"]["outcome"] == "ok" and names["integrity"]["outcome"] == "ok"
    assert names["keychain"]["outcome"] in ("ok", "info")

    code, out, err = run(capsys, "--vault", str(tmp_path / "nowhere"), "doctor")
    assert code == 1 and "No vault at" in out

    db = unlocked / "coachdesk.db"
    data = bytearray(db.read_bytes())
    data[len(data) // 2] ^= 0xFF
    db.write_bytes(bytes(data))
    code, out, err = run(capsys, "--vault", str(unlocked), "doctor")
    assert code == 1
    assert "damaged" in (out + err) or "FAIL  integrity" in out


def test_demo_vault_is_separate_and_filled(monkeypatch, capsys, isolated_home) -> None:
    code, out, _ = run(capsys, "demo", "--clients", "25", "--json")
    assert code == 0
    info = json.loads(out)
    assert Path(info["vault"]).parent == isolated_home
    monkeypatch.setenv("COACHDESK_PASSPHRASE", info["passphrase"])
    rows = json.loads(run(capsys, "--vault", info["vault"], "clients", "list", "--json")[1])
    assert len(rows) == 25
    assert len({r["email"] for r in rows}) == 25
    assert not (isolated_home / "vault").exists()
    made = [
        json.loads(
            run(
                capsys, "--vault", info["vault"], "doc", "list", "--client", str(r["id"]), "--json"
            )[1]
        )
        for r in rows
    ]
    assert sum(len(m) for m in made) == 6
    offers = json.loads(run(capsys, "--vault", info["vault"], "offers", "list", "--json")[1])
    assert len(offers) == 3
    invoices = json.loads(run(capsys, "--vault", info["vault"], "invoices", "list", "--json")[1])
    assert invoices and all(i["number"] for i in invoices)
    booked = json.loads(
        run(
            capsys,
            "--vault",
            info["vault"],
            "sessions",
            "list",
            "--from",
            "2020-01-01",
            "--to",
            "2030-01-01",
            "--json",
        )[1]
    )
    assert len(booked) > len(invoices)


def test_bug_is_logged_not_shown(unlocked, monkeypatch, capsys, isolated_home) -> None:
    from coachdesk.services import clients

    def explode(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(clients, "list_clients", explode)
    code, _, err = run(capsys, "--vault", str(unlocked), "clients", "list")
    assert code == 70 and "internal error" in err and "Traceback" not in err
    log = (isolated_home / "logs" / "coachdesk.log").read_text()
    assert "Traceback" in log and "RuntimeError: boom" in log


def test_user_mistakes_never_print_tracebacks(tmp_path) -> None:
    env = {**os.environ, "COACHDESK_HOME": str(tmp_path), "COACHDESK_PASSPHRASE": PASSPHRASE}
    for argv in (
        ["clients", "show", "1"],
        ["clients", "frobnicate"],
        ["audit", "verify"],
        ["--vault"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "coachdesk", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode != 0, argv
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip().count("\n") == 0, proc.stderr
        assert proc.stderr.startswith("coachdesk: "), proc.stderr
