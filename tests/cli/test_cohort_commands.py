"""Group programmes from the command line: create with weekly group sessions, and list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.scheduling import OfferTerms, Tier, from_wall_clock
from coachdesk.services import clients, offers, sessions
from coachdesk.store.vault import Vault
from tests.cli.test_scheduling_commands import as_json, coach, run

__all__ = ["coach"]

FROZEN = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def people(vault: Vault, *names: str) -> list[int]:
    return [clients.create_client(vault, ClientDraft(first_name=n)).id for n in names]


def circle(vault: Vault) -> int:
    terms = OfferTerms(name="Leaders Circle", tier=Tier.GROUP, session_count=6, session_minutes=90)
    return offers.create_offer(vault, terms).id


@time_machine.travel(FROZEN, tick=False)
def test_cohorts_create_enrols_members_and_books_weekly_group_sessions(
    coach: Vault, capsys: pytest.CaptureFixture[str]
) -> None:
    ada, ben, cy, _dee = people(coach, "Ada", "Ben", "Cy", "Dee")
    circle(coach)
    made = as_json(
        coach,
        capsys,
        "cohorts",
        "create",
        "Winter circle",
        "Leaders Circle",
        "--start",
        "2026-11-02",
        "--clients",
        f"{ada},{ben},{cy}",
        "--weekly",
        "4",
        "--at",
        "18:30",
    )
    cohort_id = made["id"]
    assert made["name"] == "Winter circle"
    members = [e for e in offers.list_enrolments(coach) if e.cohort_id == cohort_id]
    assert sorted(e.client_id for e in members) == [ada, ben, cy]
    booked = sessions.list_sessions(coach, datetime(2026, 10, 1), datetime(2027, 1, 1))
    group = [s for s in booked if s.cohort_id == cohort_id]
    assert len(group) == 4
    assert [s.coach_time().strftime("%a %d %b %H:%M") for s in group] == [
        "Mon 02 Nov 18:30",
        "Mon 09 Nov 18:30",
        "Mon 16 Nov 18:30",
        "Mon 23 Nov 18:30",
    ]
    assert {s.minutes for s in group} == {90}
    assert group[0].starts_at == from_wall_clock(date(2026, 11, 2), time(18, 30), "Europe/London")
    for member in (ada, ben, cy):
        own = sessions.list_sessions(coach, datetime(2026, 10, 1), datetime(2027, 1, 1), member)
        assert {s.id for s in group} <= {s.id for s in own}
    others = sessions.list_sessions(coach, datetime(2026, 10, 1), datetime(2027, 1, 1), _dee)
    assert not others

    code, out, _err = run(coach, capsys, "cohorts", "list")
    assert code == 0
    assert f"#{cohort_id}" in out and "Leaders Circle" in out and "3 members: " in out
    listed = as_json(coach, capsys, "cohorts", "list")
    assert listed == [
        {
            "id": cohort_id,
            "offer_id": members[0].offer_id,
            "offer_name": "Leaders Circle",
            "start_on": "2026-11-02",
            "client_ids": [e["client_id"] for e in made["enrolments"]],
            "enrolment_ids": [e["id"] for e in made["enrolments"]],
        }
    ]


@time_machine.travel(FROZEN, tick=False)
def test_cohorts_create_without_sessions_and_bad_input(
    coach: Vault, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(coach, capsys, "cohorts", "list")
    assert code == 0 and "No group programmes yet" in out
    (ada,) = people(coach, "Ada")
    circle(coach)
    code, out, _err = run(
        coach,
        capsys,
        "cohorts",
        "create",
        "Solo",
        "Leaders Circle",
        "--start",
        "2026-11-02",
        "--clients",
        str(ada),
    )
    assert code == 0
    assert "with 1 client: Ada." in out and "Booked" not in out
    with pytest.raises(SystemExit, match="not a list of client ids"):
        run(
            coach,
            capsys,
            "cohorts",
            "create",
            "X",
            "1",
            "--start",
            "2026-11-02",
            "--clients",
            "a,b",
        )
    with pytest.raises(SystemExit, match="not a time"):
        run(
            coach,
            capsys,
            "cohorts",
            "create",
            "X",
            "1",
            "--start",
            "2026-11-02",
            "--clients",
            "1",
            "--weekly",
            "2",
            "--at",
            "7pm",
        )
