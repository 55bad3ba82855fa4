"""CRM services on a real encrypted vault: pipeline, notes, goals, follow-ups, segments, risk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from coachdesk.domain.clients import ClientDraft, ClientStatus, Objective
from coachdesk.domain.crm import (
    FollowUpDraft,
    GoalDraft,
    GoalStatus,
    MilestoneDraft,
    NoteDraft,
    NoteKind,
    Recurrence,
)
from coachdesk.domain.errors import NotFoundError, ValidationError
from coachdesk.domain.segments import ClientFilter
from coachdesk.services import audit_trail, clients, crm, pipeline, risk, segments
from coachdesk.store.vault import Vault
from tests.store.util import sql

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def stage_id(vault: Vault, name: str) -> int:
    return next(s.id for s in pipeline.list_stages(vault) if s.name == name)


def add(vault: Vault, first: str, **fields: object) -> int:
    return clients.create_client(vault, ClientDraft(first_name=first, **fields)).id  # type: ignore[arg-type]


def test_new_clients_start_in_the_stage_their_status_implies(vault: Vault) -> None:
    lead = clients.create_client(vault, ClientDraft(first_name="Ana"))
    active = clients.create_client(vault, ClientDraft(first_name="Ben", status=ClientStatus.ACTIVE))
    assert lead.stage_name == "Inquiry"
    assert active.stage_name == "Active"
    assert [c.from_stage_id for c in pipeline.history(vault, lead.id)] == [None]


def test_moves_are_dated_audited_and_keep_status_in_step(vault: Vault) -> None:
    with time_machine.travel(START, tick=False):
        client_id = add(vault, "Ana")
    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert pipeline.move_client(vault, client_id, stage_id(vault, "Discovery call"))
        assert not pipeline.move_client(vault, client_id, stage_id(vault, "Discovery call"))
    with time_machine.travel(START + timedelta(days=10), tick=False):
        pipeline.move_client(vault, client_id, stage_id(vault, "Active"))

    history = pipeline.history(vault, client_id)
    assert [h.at for h in history] == [
        utc(START),
        utc(START + timedelta(days=3)),
        utc(START + timedelta(days=10)),
    ]
    client = clients.get_client(vault, client_id)
    assert client.status == ClientStatus.ACTIVE
    assert client.stage_since == utc(START + timedelta(days=10))
    moves = [e for e in audit_trail.recent_events(vault, 50) if e.action == "move"]
    assert len(moves) == 2
    assert "status" in moves[0].fields


def test_lost_needs_a_reason_and_keeps_it(vault: Vault) -> None:
    client_id = add(vault, "Ana")
    lost = stage_id(vault, "Lost")
    with pytest.raises(ValidationError) as caught:
        pipeline.move_client(vault, client_id, lost)
    assert "reason" in caught.value.errors
    assert clients.get_client(vault, client_id).stage_name == "Inquiry"

    pipeline.move_client(vault, client_id, lost, "  Chose another coach ")
    client = clients.get_client(vault, client_id)
    assert (client.stage_name, client.lost_reason, client.status) == (
        "Lost",
        "Chose another coach",
        ClientStatus.LOST,
    )


def test_funnel_counts_conversion_drop_off_and_time_in_stage(vault: Vault) -> None:
    discovery, proposal, lost = (
        stage_id(vault, n) for n in ("Discovery call", "Proposal sent", "Lost")
    )
    with time_machine.travel(START, tick=False):
        ids = [add(vault, f"C{i}") for i in range(4)]
    with time_machine.travel(START + timedelta(days=2), tick=False):
        pipeline.move_clients(vault, ids[:3], discovery)
        pipeline.move_client(vault, ids[3], lost, "Budget")
    with time_machine.travel(START + timedelta(days=6), tick=False):
        pipeline.move_client(vault, ids[0], proposal)
        pipeline.move_client(vault, ids[1], lost, "No reply")
    with time_machine.travel(START + timedelta(days=8), tick=False):
        steps = {s.stage.name: s for s in pipeline.funnel_report(vault)}
        later = pipeline.funnel_report(vault, start=date(2026, 3, 5))

    inquiry = steps["Inquiry"]
    assert (inquiry.entered, inquiry.moved_on, inquiry.lost_here) == (4, 3, 1)
    assert inquiry.conversion == 0.75
    assert inquiry.median_days == 2
    call = steps["Discovery call"]
    assert (call.entered, call.moved_on, call.lost_here) == (3, 1, 1)
    # Two left after 4 days; the third is still there after 6.
    assert call.median_days == 4
    assert "Lost" not in steps
    assert {s.stage.name: s.entered for s in later if s.entered} == {"Proposal sent": 1}


def test_stalled_after_the_stage_limit_without_contact(vault: Vault) -> None:
    with time_machine.travel(START, tick=False):
        quiet, busy = add(vault, "Quiet"), add(vault, "Busy")
    with time_machine.travel(START + timedelta(days=2), tick=False):
        crm.log_contact(vault, busy)
    with time_machine.travel(START + timedelta(days=4), tick=False):
        stalled = [c.client.id for c in pipeline.board(vault).stalled]
    assert stalled == [quiet]

    pipeline.set_stall_days(vault, stage_id(vault, "Inquiry"), None)
    with time_machine.travel(START + timedelta(days=40), tick=False):
        assert pipeline.board(vault).stalled == []
    with pytest.raises(ValidationError):
        pipeline.set_stall_days(vault, stage_id(vault, "Inquiry"), 0)


def test_stages_rename_reorder_add_and_delete(vault: Vault) -> None:
    stages = pipeline.list_stages(vault)
    assert [s.name for s in stages] == [
        "Inquiry",
        "Discovery call",
        "Proposal sent",
        "Active",
        "Completed",
        "Alumni",
        "Lost",
    ]
    pipeline.rename_stage(vault, stages[1].id, "Chemistry call")
    with pytest.raises(ValidationError, match="already"):
        pipeline.rename_stage(vault, stages[2].id, "chemistry CALL")
    new = pipeline.add_stage(vault, "Waiting list", 30)
    assert [s.name for s in pipeline.list_stages(vault)][-3:] == ["Alumni", "Waiting list", "Lost"]
    order = [s.id for s in pipeline.list_stages(vault)]
    order.insert(0, order.pop(order.index(new.id)))
    assert pipeline.reorder_stages(vault, order)[0].name == "Waiting list"
    with pytest.raises(ValidationError):
        pipeline.reorder_stages(vault, order[:-1])
    with pytest.raises(ValidationError, match="built in"):
        pipeline.delete_stage(vault, stages[0].id)

    client_id = add(vault, "Ana")
    pipeline.move_client(vault, client_id, new.id)
    with pytest.raises(ValidationError, match="history"):
        pipeline.delete_stage(vault, new.id)
    spare = pipeline.add_stage(vault, "Spare", None)
    pipeline.delete_stage(vault, spare.id)
    assert "Spare" not in [s.name for s in pipeline.list_stages(vault)]
    # The renamed built-in stage still drives status.
    pipeline.move_client(vault, client_id, stages[1].id)
    assert clients.get_client(vault, client_id).stage_name == "Chemistry call"


def test_note_edits_keep_every_version(vault: Vault) -> None:
    client_id = add(vault, "Ana")
    draft = NoteDraft(NoteKind.DISCOVERY, date(2026, 3, 2), "First take", ("confidence",))
    note = crm.add_note(vault, client_id, draft)
    crm.edit_note(vault, note.id, NoteDraft(NoteKind.SESSION, date(2026, 3, 3), "Second take"))
    unchanged = crm.edit_note(
        vault, note.id, NoteDraft(NoteKind.SESSION, date(2026, 3, 3), " Second take ")
    )
    assert unchanged.version == 2
    crm.edit_note(vault, note.id, NoteDraft(NoteKind.SESSION, date(2026, 3, 3), "Third take"))

    assert crm.list_notes(vault, client_id)[0].text == "Third take"
    history = crm.note_history(vault, note.id)
    assert [(v.version, v.text, v.kind) for v in history] == [
        (2, "Second take", NoteKind.SESSION),
        (1, "First take", NoteKind.DISCOVERY),
    ]
    assert history[1].themes == ("confidence",)
    with pytest.raises(ValidationError):
        crm.add_note(vault, client_id, NoteDraft(NoteKind.GENERAL, date(2026, 3, 2), "   "))
    crm.delete_note(vault, note.id)
    assert crm.list_notes(vault, client_id) == []
    assert sql(vault, "SELECT count(*) FROM note_versions") == [(0,)]


def test_a_note_counts_as_contact_on_its_date_never_backwards(vault: Vault) -> None:
    client_id = add(vault, "Ana")
    crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date(2026, 3, 10), "Session"))
    crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date(2026, 3, 1), "Typed up late"))
    assert clients.get_client(vault, client_id).last_contact_at == datetime(2026, 3, 10, 12)


def test_goals_with_milestones(vault: Vault) -> None:
    client_id = add(vault, "Ana")
    goal = crm.add_goal(
        vault,
        client_id,
        GoalDraft("Land a PM role", "Offer signed", date(2026, 9, 1)),
        (MilestoneDraft("CV rewrite", date(2026, 4, 1)), MilestoneDraft("Five applications")),
    )
    assert [m.title for m in goal.milestones] == ["CV rewrite", "Five applications"]
    updated = crm.update_goal(
        vault,
        goal.id,
        GoalDraft("Land a PM role", "Offer signed", date(2026, 9, 1), GoalStatus.ON_TRACK, 40),
        (MilestoneDraft("CV rewrite", date(2026, 4, 1), done=True),),
    )
    assert updated.progress == 40
    assert [(m.title, m.done_at is not None) for m in updated.milestones] == [("CV rewrite", True)]
    twice = crm.update_goal(
        vault,
        goal.id,
        updated.draft(),
        (MilestoneDraft("Call", done=True), MilestoneDraft("Call"), MilestoneDraft("Call")),
    )
    assert [m.done_at is not None for m in twice.milestones] == [True, False, False]
    with pytest.raises(ValidationError) as caught:
        crm.update_goal(vault, goal.id, GoalDraft("x", progress=140))
    assert "progress" in caught.value.errors
    events = [e for e in audit_trail.recent_events(vault, 20) if e.entity == "goal"]
    assert {"progress", "status", "milestones"} <= set(events[1].fields.split(","))


def test_follow_ups_overdue_snooze_done_and_repeat(vault: Vault) -> None:
    client_id = add(vault, "Ana")
    with time_machine.travel(START, tick=False):
        weekly = crm.add_follow_up(
            vault,
            client_id,
            FollowUpDraft("Check in", utc(START) - timedelta(hours=2), Recurrence.WEEKLY),
        )
        later = crm.add_follow_up(
            vault, client_id, FollowUpDraft("Send proposal", utc(START) + timedelta(days=2))
        )
        due = crm.due_follow_ups(vault)
        assert [f.id for f in due.overdue] == [weekly.id]
        assert [f.id for f in due.upcoming] == [later.id]
        row = clients.list_clients(vault)[0]
        assert row.overdue_follow_ups == 1

        snoozed = crm.snooze_follow_up(vault, weekly.id, timedelta(days=1))
        assert snoozed.due_at == utc(START) + timedelta(days=1)
        assert crm.due_follow_ups(vault).overdue == ()

        following = crm.complete_follow_up(vault, weekly.id)
        assert following is not None
        assert following.due_at == utc(START) + timedelta(days=8)
        assert clients.get_client(vault, client_id).last_contact_at == utc(START)
        assert crm.complete_follow_up(vault, weekly.id) is None
        assert crm.complete_follow_up(vault, later.id) is None
    with pytest.raises(NotFoundError):
        crm.snooze_follow_up(vault, 999, timedelta(hours=1))


def test_monthly_repeat_clamps_to_month_end() -> None:
    assert Recurrence.MONTHLY.next_after(datetime(2027, 1, 31, 9)) == datetime(2027, 2, 28, 9)
    assert Recurrence.NONE.next_after(datetime(2027, 1, 31, 9)) is None


def test_segments_save_filter_and_bulk_tag(vault: Vault) -> None:
    ana = add(vault, "Ana", tags=("vip",), lead_source="Podcast", objective=Objective.LEADERSHIP)
    ben = add(vault, "Ben", lead_source="podcast", status=ClientStatus.ACTIVE)
    add(vault, "Cy", lead_source="Referral")
    podcast = ClientFilter().with_(lead_sources=["podcast"])
    saved = segments.save_segment(vault, "From the podcast", podcast)
    with pytest.raises(ValidationError, match="already"):
        segments.save_segment(vault, "from the PODCAST", podcast)
    with pytest.raises(ValidationError):
        segments.save_segment(vault, "Everyone", ClientFilter())

    found = segments.find_segment(vault, "from the podcast")
    assert found.filter == podcast
    assert [r.id for r in segments.clients_in(vault, found.filter)] == [ana, ben]

    assert segments.tag_clients(vault, [ana, ben], add=["Spring 2026"], remove=["vip"]) == 2
    assert segments.tag_clients(vault, [ana, ben], add=["spring 2026"]) == 0
    rows = {r.id: r for r in clients.list_clients(vault)}
    assert rows[ana].tags == rows[ben].tags == ("spring 2026",)
    assert sql(vault, "SELECT name FROM tags") == [("spring 2026",)]

    leadership = ClientFilter().with_(objectives=[Objective.LEADERSHIP], text="ana")
    assert [r.id for r in segments.clients_in(vault, leadership)] == [ana]
    renamed = segments.update_segment(vault, saved.id, name="Podcast listeners")
    assert renamed.name == "Podcast listeners"
    segments.delete_segment(vault, saved.id)
    with pytest.raises(NotFoundError, match="no segment"):
        segments.find_segment(vault, "Podcast listeners")


def test_filter_round_trips_through_json() -> None:
    original = ClientFilter().with_(
        stage_ids=[3, 1], tags=["vip"], statuses=[ClientStatus.ACTIVE], overdue_only=True
    )
    assert ClientFilter.from_json(original.to_json()) == original


def test_risk_scores_active_clients_with_reasons(vault: Vault) -> None:
    with time_machine.travel(START, tick=False):
        calm = add(vault, "Calm", status=ClientStatus.ACTIVE)
        worried = add(vault, "Worried", status=ClientStatus.ACTIVE)
        add(vault, "Lead")
        crm.add_goal(vault, calm, GoalDraft("Goal", target_on=date(2026, 6, 1), progress=0))
        crm.add_goal(vault, worried, GoalDraft("Goal", target_on=date(2026, 4, 1), progress=5))
        crm.add_follow_up(vault, worried, FollowUpDraft("Call", utc(START) + timedelta(days=1)))
    with time_machine.travel(START + timedelta(days=25), tick=False):
        crm.log_contact(vault, calm)
        crm.add_goal(vault, calm, GoalDraft("Second", progress=50))
        risks = risk.renewal_risks(vault)
    assert [r.client_name for r in risks] == ["Worried", "Calm"]
    top = risks[0]
    assert top.level == "high"
    assert "No contact recorded yet" in top.why
    assert "1 overdue follow-up" in top.why
    assert "1 goal behind schedule" in top.why
    assert "Stalled in Active" in top.why
    assert risks[1].score < top.score
