"""Renewal risk: a score per active client from factors the coach can read in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """What the vault knows about one active client that bears on renewal."""

    client_id: int
    client_name: str
    last_contact_at: datetime | None
    overdue_follow_ups: int
    open_goals: int
    goals_behind: int
    worst_goal_gap: int
    stage_name: str
    stalled: bool
    stall_limit: int
    # The newest active enrolment's sessions left and offer (None: no active enrolment).
    sessions_left: int | None = None
    offer_name: str = ""
    overdue_invoices: int = 0


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One reason a client may not renew, with the points it adds."""

    points: int
    reason: str


@dataclass(frozen=True, slots=True)
class Risk:
    """A client's score (0 to 100, higher is riskier) and the reasons behind it."""

    client_id: int
    client_name: str
    score: int
    factors: tuple[RiskFactor, ...]

    @property
    def level(self) -> str:
        """ "high", "medium" or "low", for colouring."""
        if self.score >= 60:
            return "high"
        if self.score >= 30:
            return "medium"
        return "low"

    @property
    def why(self) -> str:
        """The reasons as one sentence list, biggest first."""
        return "; ".join(f.reason for f in self.factors) or "Nothing stands out."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def assess(inputs: RiskInputs, now: datetime) -> Risk:
    """Score one client.  Weights: contact gap up to 40, overdue follow-ups up to 25,
    goals behind schedule up to 20, a stalled stage 15, no sessions left 20 (one left 10),
    overdue invoices up to 25.  The sum is capped at 100."""
    factors: list[RiskFactor] = []
    if inputs.last_contact_at is None:
        factors.append(RiskFactor(30, "No contact recorded yet"))
    else:
        days = (now - inputs.last_contact_at).days
        if days >= 14:
            factors.append(
                RiskFactor(min(40, 10 + (days - 14)), f"No contact for {_plural(days, 'day')}")
            )
    if inputs.overdue_follow_ups:
        factors.append(
            RiskFactor(
                min(25, 10 * inputs.overdue_follow_ups),
                _plural(inputs.overdue_follow_ups, "overdue follow-up"),
            )
        )
    if inputs.goals_behind:
        factors.append(
            RiskFactor(
                min(20, 5 + inputs.worst_goal_gap // 4),
                f"{_plural(inputs.goals_behind, 'goal')} behind schedule "
                f"(up to {inputs.worst_goal_gap} points short)",
            )
        )
    elif inputs.open_goals == 0:
        factors.append(RiskFactor(10, "No open goals"))
    if inputs.stalled:
        factors.append(
            RiskFactor(
                15,
                f"Stalled in {inputs.stage_name} (quiet for more than the "
                f"{_plural(inputs.stall_limit, 'day')} allowed)",
            )
        )
    if inputs.sessions_left is not None and inputs.sessions_left <= 1:
        offer = f" on {inputs.offer_name}" if inputs.offer_name else ""
        if inputs.sessions_left == 0:
            factors.append(RiskFactor(20, f"No sessions left{offer}"))
        else:
            factors.append(RiskFactor(10, f"Only 1 session left{offer}"))
    if inputs.overdue_invoices:
        factors.append(
            RiskFactor(
                min(25, 15 * inputs.overdue_invoices),
                _plural(inputs.overdue_invoices, "overdue invoice"),
            )
        )
    factors.sort(key=lambda f: -f.points)
    score = min(100, sum(f.points for f in factors))
    return Risk(inputs.client_id, inputs.client_name, score, tuple(factors))


def goal_gap(expected: int | None, actual: int, today: date, target: date | None) -> int:
    """How many percentage points a goal is behind where it should be (0 if not behind)."""
    if expected is None:
        return 0
    if target is not None and today > target:
        return 100 - actual
    return max(0, expected - actual)
