"""`coachdesk invoices …` as a script drives it: parsed by `add_commands`, run on a real vault."""

from __future__ import annotations

import argparse
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader

from coachdesk.cli import args_billing, billing
from coachdesk.domain.billing import LineDraft
from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.errors import KnownError, ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import clients, practice
from coachdesk.store.vault import Vault
from tests.store.test_invoices import add_offer

NOW = datetime(2026, 6, 1, 10, 0)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="coachdesk")
    sub = root.add_subparsers(dest="command", required=True)
    args_billing.add_commands(sub, argparse.ArgumentParser)
    return root


def run(vault: Vault, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    args = parser().parse_args(list(argv))
    capsys.readouterr()
    assert billing.HANDLERS[args.command](vault, args) == 0
    return capsys.readouterr().out


def as_json(vault: Vault, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run(vault, capsys, *argv, "--json"))


@pytest.fixture
def client_id(vault: Vault) -> int:
    practice.save_profile(vault, PracticeProfile("Sam Rivera", "", "Europe/London", "GBP"))
    return clients.create_client(vault, ClientDraft(first_name="Lin", last_name="Okafor")).id


def test_parse_line_reads_description_quantity_price_and_tax() -> None:
    assert billing.parse_line("Coaching: deep dive:2:150.50:20%") == LineDraft(
        "Coaching: deep dive", 2, 15050, 2000
    )
    assert billing.parse_line("Workbook:1:25") == LineDraft("Workbook", 1, 2500, 0)
    with pytest.raises(ValidationError):
        billing.parse_line("Workbook:one:25")
    with pytest.raises(ValidationError):
        billing.parse_line("Workbook")


@time_machine.travel(NOW, tick=False)
def test_round_trip_create_issue_pay_pdf_credit_overdue_revenue(
    vault: Vault, client_id: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    created = as_json(
        vault,
        capsys,
        "invoices",
        "create",
        str(client_id),
        "--line",
        "Coaching session:4:150:20",
        "--line",
        "Workbook:1:25",
        "--issue",
    )
    assert created["number"] == "INV-2026-0001"
    assert (created["gross_minor"], created["currency"], created["status"]) == (
        74500,
        "GBP",
        "sent",
    )
    draft = as_json(vault, capsys, "invoices", "create", str(client_id), "--line", "Extra:1:10")
    assert draft["number"] is None and draft["status"] == "draft"
    issued = as_json(vault, capsys, "invoices", "issue", str(draft["id"]))
    assert issued["number"] == "INV-2026-0002"

    paid = as_json(
        vault,
        capsys,
        "invoices",
        "pay",
        str(created["id"]),
        "300",
        "--method",
        "card",
        "--receipt",
        str(tmp_path / "receipt.pdf"),
    )
    assert (paid["amount_minor"], paid["method"], paid["status"]) == (30000, "card", "partly_paid")
    assert "Receipt" in PdfReader(tmp_path / "receipt.pdf").pages[0].extract_text()
    with pytest.raises(ValidationError, match="Only"):
        run(vault, capsys, "invoices", "pay", str(created["id"]), "1000")

    out = run(
        vault, capsys, "invoices", "pdf", str(created["id"]), "--out", str(tmp_path / "i.pdf")
    )
    assert "Saved" in out
    text = PdfReader(io.BytesIO((tmp_path / "i.pdf").read_bytes())).pages[0].extract_text()
    assert "INV-2026-0001" in text and "Lin Okafor" in text and "745.00 GBP" in text

    credit = as_json(
        vault, capsys, "invoices", "credit", str(issued["id"]), "--reason", "Not delivered"
    )
    assert (credit["number"], credit["kind"], credit["gross_minor"]) == (
        "INV-2026-0003",
        "credit_note",
        1000,
    )
    listed = as_json(vault, capsys, "invoices", "list", "--client", str(client_id))
    assert [row["number"] for row in listed] == ["INV-2026-0003", "INV-2026-0002", "INV-2026-0001"]
    assert [row["status"] for row in listed] == ["sent", "paid", "partly_paid"]
    assert as_json(vault, capsys, "invoices", "list", "--status", "paid")[0]["id"] == issued["id"]

    assert as_json(vault, capsys, "invoices", "overdue") == []
    june = as_json(vault, capsys, "invoices", "revenue", "--year", "2026")[5]
    assert june == {"month": 6, "invoiced_minor": 74500, "paid_minor": 30000, "currency": "GBP"}
    with time_machine.travel(datetime(2026, 7, 1, 10, 0), tick=False):
        late = as_json(vault, capsys, "invoices", "overdue")
        assert [(r["number"], r["days_overdue"], r["due_minor"]) for r in late] == [
            ("INV-2026-0001", 16, 44500)
        ]
        assert "16 days late" in run(vault, capsys, "invoices", "overdue")


def test_create_from_an_enrolment_checks_the_client(
    vault: Vault, client_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    enrolment = add_offer(vault, client_id, "upfront", price=50000)
    made = as_json(
        vault, capsys, "invoices", "create", str(client_id), "--enrolment", str(enrolment)
    )
    assert [line["description"] for line in made["lines"]] == ["Leadership Sprint"]
    assert made["gross_minor"] == 59500
    other = clients.create_client(vault, ClientDraft(first_name="Ana")).id
    with pytest.raises(ValidationError, match="not client"):
        run(vault, capsys, "invoices", "create", str(other), "--enrolment", str(enrolment))
    with pytest.raises(SystemExit):
        parser().parse_args(["invoices", "create", str(client_id)])


def test_void_and_delete_print_plain_messages(
    vault: Vault, client_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = as_json(
        vault, capsys, "invoices", "create", str(client_id), "--line", "A:1:10", "--issue"
    )
    assert "is void" in run(vault, capsys, "invoices", "void", str(sent["id"]), "--reason", "Typo")
    draft = as_json(vault, capsys, "invoices", "create", str(client_id), "--line", "B:1:10")
    assert "Deleted" in run(vault, capsys, "invoices", "delete", str(draft["id"]))
    with pytest.raises(KnownError, match="stays"):
        run(vault, capsys, "invoices", "delete", str(sent["id"]))
    text = run(vault, capsys, "invoices", "list")
    assert "Void" in text and "INV-" in text


@time_machine.travel(NOW, tick=False)
def test_text_output_shows_number_lines_totals_and_months(
    vault: Vault, client_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    line = ["--line", "Coaching session:2:100:20"]
    shown = run(vault, capsys, "invoices", "create", str(client_id), *line, "--issue")
    assert "Invoice INV-2026-0001  Lin Okafor  (Sent)" in shown
    assert "2 x Coaching session  100.00 GBP  tax 20%  = 200.00 GBP" in shown
    assert "total 240.00 GBP (tax 40.00 GBP), due 240.00 GBP" in shown
    credit = run(vault, capsys, "invoices", "credit", "1", "--reason", "Cancelled")
    assert "Credit note INV-2026-0002" in credit and "credits INV-2026-0001" in credit
    assert "Paid" in run(vault, capsys, "invoices", "show", "1")
    months = run(vault, capsys, "invoices", "revenue", "--year", "2026").splitlines()
    assert len(months) == 12
    assert months[5].split() == ["6", "invoiced", "0.00", "GBP", "paid", "0.00", "GBP"]
    assert months[0].split()[2] == "0.00"
