"""Renewal risk for active clients, with the reasons in words."""

from __future__ import annotations

from datetime import UTC, datetime

from coachdesk.domain.clients import ClientStatus
from coachdesk.domain.pipeline import is_stalled
from coachdesk.domain.risk import Risk, RiskInputs, assess, goal_gap
from coachdesk.services import invoices, offers
from coachdesk.store import clients as client_repo
from coachdesk.store import crm, pipeline
from coachdesk.store.vault import Vault


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def renewal_risks(vault: Vault, now: datetime | None = None) -> list[Risk]:
    """Every active client's risk, highest first (ties by name)."""
    now = now or _now()
    today = now.date()
    with vault.reading() as session:
        rows = [
            r for r in client_repo.list_rows(session, now=now) if r.status == ClientStatus.ACTIVE
        ]
        stages = {s.id: s for s in pipeline.stages(session)}
        goals = crm.open_goals(session)
    overdue: dict[int, int] = {}
    for invoice in invoices.overdue(vault):
        if invoice.client_id is not None:
            overdue[invoice.client_id] = overdue.get(invoice.client_id, 0) + 1
    left: dict[int, tuple[int, str]] = {}
    for enrolment in offers.list_enrolments(vault):  # newest first: the first one wins
        if enrolment.active and enrolment.client_id not in left:
            left[enrolment.client_id] = (enrolment.sessions_left, enrolment.offer_name)
    by_client: dict[int, list[int]] = {}
    open_goals: dict[int, int] = {}
    for goal in goals:
        if not goal.status.is_open:
            continue
        open_goals[goal.client_id] = open_goals.get(goal.client_id, 0) + 1
        gap = goal_gap(goal.expected_progress(today), goal.progress, today, goal.target_on)
        if gap >= 15:
            by_client.setdefault(goal.client_id, []).append(gap)
    risks = []
    for row in rows:
        stage = stages.get(row.stage_id) if row.stage_id is not None else None
        gaps = by_client.get(row.id, [])
        inputs = RiskInputs(
            client_id=row.id,
            client_name=row.name,
            last_contact_at=row.last_contact_at,
            overdue_follow_ups=row.overdue_follow_ups,
            open_goals=open_goals.get(row.id, 0),
            goals_behind=len(gaps),
            worst_goal_gap=max(gaps, default=0),
            stage_name=stage.name if stage else "",
            stalled=bool(stage and is_stalled(stage, row.stage_since, row.last_contact_at, now)),
            stall_limit=(stage.stall_days or 0) if stage else 0,
            sessions_left=left[row.id][0] if row.id in left else None,
            offer_name=left[row.id][1] if row.id in left else "",
            overdue_invoices=overdue.get(row.id, 0),
        )
        risks.append(assess(inputs, now))
    risks.sort(key=lambda r: (-r.score, r.client_name.casefold()))
    return risks
