"""Offers, enrolments and sessions from the command line (parser and handlers, real vault)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from coachdesk.cli import scheduling
from coachdesk.cli.args_scheduling import add_commands
from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.errors import KnownError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import clients, offers, practice, sessions, vault_settings
from coachdesk.settings import BOOKING_GATE
from coachdesk.store.vault import Vault


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise SystemExit(f"usage error: {message}")


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="coachdesk")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_commands(sub, _Parser)
    return top


def run(vault: Vault, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    args = parser().parse_args(argv)
    code = scheduling.HANDLERS[args.command](vault, args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_json(vault: Vault, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(vault, capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def coach(vault: Vault) -> Vault:
    practice.save_profile(vault, PracticeProfile("Coach", "Practice", "Europe/London", "GBP"))
    return vault


def client(vault: Vault, zone: str = "America/New_York") -> int:
    return clients.create_client(vault, ClientDraft(first_name="Ada", time_zone=zone)).id


FROZEN = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


@time_machine.travel(FROZEN, tick=False)
def test_offers_add_and_list(coach: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    added = as_json(
        coach,
        capsys,
        "offers",
        "add",
        "Career Sprint",
        "--sessions",
        "6",
        "--minutes",
        "50",
        "--price",
        "1,200.50",
        "--tier",
        "group",
        "--notice-hours",
        "48",
        "--tax-rate",
        "20",
        "--late-cancel-free",
        "--include",
        "Workbook",
    )
    assert isinstance(added, dict)
    assert (added["name"], added["session_count"], added["session_minutes"]) == (
        "Career Sprint",
        6,
        50,
    )
    assert (added["price_minor"], added["currency"], added["tax_rate_bp"]) == (120_050, "GBP", 2000)
    assert (added["tier"], added["notice_hours"], added["version"]) == ("group", 48, 1)
    assert (added["late_cancel_counts"], added["no_show_counts"]) == (False, True)
    assert added["included"] == ["Workbook"]
    listed = as_json(coach, capsys, "offers", "list")
    assert [o["name"] for o in listed] == ["Career Sprint"]
    code, out, _ = run(coach, capsys, "offers", "list")
    assert code == 0 and "Career Sprint" in out and "1,200.50 GBP" in out
    with pytest.raises(KnownError, match="price"):
        run(coach, capsys, "offers", "add", "Bad", "--price", "12.345")


@time_machine.travel(FROZEN, tick=False)
def test_enrol_by_name_then_book_a_series_and_list_both_wall_clocks(
    coach: Vault, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = client(coach)
    run(coach, capsys, "offers", "add", "Career Sprint", "--sessions", "6", "--minutes", "45")
    enrolled = as_json(coach, capsys, "enrol", str(ada), "career sprint")
    assert isinstance(enrolled, dict)
    assert (enrolled["sessions_left"], enrolled["offer_name"]) == (6, "Career Sprint")

    booked = as_json(
        coach, capsys, "sessions", "add", str(ada), "--at", "2026-10-19 09:30", "--weekly", "3"
    )
    assert isinstance(booked, list) and len(booked) == 3
    # London and New York leave summer time a week apart.
    assert [(s["coach_time"], s["client_time"]) for s in booked] == [
        ("2026-10-19T09:30+01:00", "2026-10-19T04:30-04:00"),
        ("2026-10-26T09:30+00:00", "2026-10-26T05:30-04:00"),
        ("2026-11-02T09:30+00:00", "2026-11-02T04:30-05:00"),
    ]
    assert {s["minutes"] for s in booked} == {45}
    assert [s["starts_at_utc"] for s in booked] == [
        "2026-10-19T08:30:00",
        "2026-10-26T09:30:00",
        "2026-11-02T09:30:00",
    ]
    listed = as_json(
        coach,
        capsys,
        "sessions",
        "list",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-26",
        "--client",
        str(ada),
    )
    assert [s["id"] for s in listed] == [s["id"] for s in booked[:2]]
    code, out, _ = run(coach, capsys, "sessions", "list", "--from", "2026-10-19")
    assert code == 0
    assert "Mon 19 Oct 2026 09:30 Europe/London" in out
    assert "Mon 19 Oct 04:30 America/New_York" in out
    assert offers.list_enrolments(coach, ada)[0].sessions_left == 3


@time_machine.travel(FROZEN, tick=False)
def test_reschedule_needs_override_inside_notice_and_mark(
    coach: Vault, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = client(coach, "Europe/London")
    session = as_json(coach, capsys, "sessions", "add", str(ada), "--at", "2026-10-02 09:00")
    assert isinstance(session, list)
    first = session[0]
    with pytest.raises(KnownError, match="24 hours' notice"):
        run(coach, capsys, "sessions", "reschedule", str(first["id"]), "--at", "2026-10-05 10:00")
    moved = as_json(
        coach,
        capsys,
        "sessions",
        "reschedule",
        str(first["id"]),
        "--at",
        "2026-10-05 10:00",
        "--zone",
        "America/New_York",
        "--override",
        "Client travelling",
    )
    assert isinstance(moved, dict)
    assert (moved["uid"], moved["sequence"]) == (first["uid"], 1)
    assert moved["starts_at_utc"] == "2026-10-05T14:00:00"
    assert moved["override_reason"] == "2026-10-01 12:00 UTC: Client travelling"
    marked = as_json(coach, capsys, "sessions", "mark", str(first["id"]), "no_show")
    assert marked["status"] == "no_show"
    with pytest.raises(SystemExit):
        parser().parse_args(["sessions", "mark", "1", "rescheduled"])
    with pytest.raises(SystemExit):
        parser().parse_args(["sessions", "add", "1", "--at", "tomorrow"])


@time_machine.travel(FROZEN, tick=False)
def test_sessions_add_blocked_warned_and_overridden(
    coach: Vault, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = client(coach)
    run(coach, capsys, "offers", "add", "Single", "--sessions", "1")
    run(coach, capsys, "enrol", str(ada), "Single")
    run(coach, capsys, "sessions", "add", str(ada), "--at", "2026-10-10 09:00")
    vault_settings.put(coach, BOOKING_GATE, "block")
    with pytest.raises(sessions.BookingBlockedError, match="No sessions left on Single"):
        run(coach, capsys, "sessions", "add", str(ada), "--at", "2026-10-17 09:00")
    code, out, _ = run(
        coach,
        capsys,
        "sessions",
        "add",
        str(ada),
        "--at",
        "2026-10-17 09:00",
        "--override",
        "Paid in cash",
    )
    assert code == 0 and "Booked 1 session" in out
    vault_settings.put(coach, BOOKING_GATE, "warn")
    code, out, err = run(coach, capsys, "sessions", "add", str(ada), "--at", "2026-10-24 09:00")
    assert code == 0 and "Booked 1 session" in out
    assert "Warning: No sessions left on Single." in err
    assert offers.list_enrolments(coach, ada)[0].sessions_used == 3
