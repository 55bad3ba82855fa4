"""`coachdesk calendar …` and `availability …` as a script drives them."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import icalendar
import pytest
import time_machine

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import clients, practice, vaults
from tests.cli.test_commands import run
from tests.conftest import PASSPHRASE
from tests.store.test_calendar_services import insert_session
from tests.unit.test_calendar_files import BUSY_ICS

NOW = datetime(2026, 10, 16, 12, 0, tzinfo=UTC)


def cli(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "--vault", str(root), "--no-keychain", *argv)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COACHDESK_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "vault"
    from coachdesk.store.keys import FAST_KDF_FOR_TESTS

    vault = vaults.create_vault(folder, PASSPHRASE, "test", kdf=FAST_KDF_FOR_TESTS)
    try:
        practice.save_profile(
            vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
        )
        client = clients.create_client(
            vault,
            ClientDraft(first_name="Ada", emails=("ada@example.org",), time_zone="Asia/Tokyo"),
        )
        insert_session(vault, client.id, datetime(2026, 10, 20, 8, 0))
    finally:
        vault.close()
    return folder


def test_availability_free_times_propose_export_and_import(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys, root, "availability", "set", "mon 09:00-12:00", "tuesday 09:00-10:00"
    )
    assert code == 0, err
    assert out.splitlines() == ["mon 09:00-12:00", "tue 09:00-10:00"]
    code, _, err = cli(capsys, root, "availability", "set", "someday 9-5")
    assert code == 2 and "mon 09:00-12:00" in err

    with time_machine.travel(NOW, tick=False):
        code, out, _ = cli(capsys, root, "calendar", "free", "--days", "5", "--json")
        free = json.loads(out)
        # Tue 20 Oct 09:00-10:00 London is taken by the session (08:00 UTC).
        assert not any(s.startswith("2026-10-20") for s in free)
        assert free[0] == "2026-10-19T09:00:00+01:00"
        eml = tmp_path / "times.eml"
        code, out, err = cli(capsys, root, "calendar", "propose", "1", "--eml", str(eml))
    assert code == 0, err
    assert "Monday 19 October, 17:00" in out  # 09:00 London is 17:00 Tokyo
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["X-Unsent"] == "1"

    ics = tmp_path / "sessions.ics"
    code, _, err = cli(capsys, root, "calendar", "export", "--out", str(ics))
    assert code == 0, err
    (event,) = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert event["dtstart"].dt == datetime(2026, 10, 20, 8, 0, tzinfo=UTC)

    reminder = tmp_path / "reminder.eml"
    code, _, err = cli(capsys, root, "calendar", "remind", "1", "--out", str(reminder))
    assert code == 0, err
    draft = email.message_from_bytes(reminder.read_bytes(), policy=policy.default)
    assert draft["Subject"].startswith("Reminder: our session on 20 October")
    assert [a.get_content_type() for a in draft.iter_attachments()] == ["text/calendar"]

    busy = tmp_path / "work.ics"
    busy.write_bytes(BUSY_ICS)
    with time_machine.travel(NOW, tick=False):
        code, out, err = cli(capsys, root, "calendar", "import", str(busy))
    assert code == 0, err
    assert "Imported 4 busy times from “work”" in out
    code, _, err = cli(capsys, root, "calendar", "import", str(tmp_path / "missing.ics"))
    assert code == 1 and "Could not read" in err


def test_invoices_run_through_the_entry_point(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys,
        root,
        "invoices",
        "create",
        "1",
        "--line",
        "Coaching session:2:150.00:20",
        "--issue",
        "--json",
    )
    assert code == 0, err
    created = json.loads(out)
    code, out, err = cli(capsys, root, "invoices", "list", "--json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["number"] == created["number"] and row["number"].endswith("-0001")
    pdf = tmp_path / "invoice.pdf"
    code, _, err = cli(capsys, root, "invoices", "pdf", str(row["id"]), "--out", str(pdf))
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF")


def test_offer_enrol_book_list_and_export_through_the_entry_point(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(
        capsys,
        root,
        "offers",
        "add",
        "Career Sprint",
        "--sessions",
        "4",
        "--minutes",
        "45",
        "--price",
        "600.00",
        "--currency",
        "GBP",
    )
    assert code == 0, err
    code, _, err = cli(capsys, root, "enrol", "1", "career sprint")
    assert code == 0, err
    with time_machine.travel(NOW, tick=False):
        code, _, err = cli(
            capsys, root, "sessions", "add", "1", "--at", "2026-10-21 09:00", "--weekly", "3"
        )
        assert code == 0, err
        code, out, err = cli(
            capsys,
            root,
            "sessions",
            "list",
            "--from",
            "2026-10-21",
            "--to",
            "2026-11-10",
            "--json",
        )
    assert code == 0, err
    listed = json.loads(out)
    assert len(listed) == 3
    ics = tmp_path / "all.ics"
    code, _, err = cli(capsys, root, "calendar", "export", "--out", str(ics))
    assert code == 0, err
    events = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    # The one inserted session plus the series; London 09:00 is 08:00 UTC, then 09:00 UTC.
    starts = sorted(e["dtstart"].dt for e in events)
    assert starts[-3:] == [
        datetime(2026, 10, 21, 8, 0, tzinfo=UTC),
        datetime(2026, 10, 28, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
    ]
