"""Pipeline stages, the history of stage changes, and the figures drawn from it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from coachdesk.domain.errors import ValidationError

MAX_STAGE_NAME = 40
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Stage:
    """One column of the board.

    `stall_days` is how long a client may sit in the stage with no stage change
    and no contact before they are flagged as stalled; None means never (Alumni).
    """

    id: int
    name: str
    position: int
    stall_days: int | None
    is_lost: bool = False
    key: str = ""


@dataclass(frozen=True, slots=True)
class StageChange:
    """A client moved from one stage to another (from None when first placed)."""

    client_id: int
    from_stage_id: int | None
    to_stage_id: int
    at: datetime
    reason: str = ""


def check_stage_name(name: str, others: Iterable[str]) -> str:
    """The trimmed name, or ValidationError when it is empty, too long or taken."""
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError({"name": "A stage needs a name."})
    if len(clean) > MAX_STAGE_NAME:
        raise ValidationError({"name": f"Keep stage names under {MAX_STAGE_NAME} characters."})
    if clean.casefold() in {o.casefold() for o in others}:
        raise ValidationError({"name": f"There is already a stage called “{clean}”."})
    return clean


def check_stall_days(days: int | None) -> int | None:
    """None (never stalls) or a whole number of days from 1 to 365."""
    if days is not None and not 1 <= days <= 365:
        raise ValidationError({"stall_days": "Stalled after 1 to 365 days, or never."})
    return days


def is_stalled(
    stage: Stage, stage_since: datetime | None, last_contact: datetime | None, now: datetime
) -> bool:
    """No stage change and no contact for longer than the stage allows."""
    if stage.stall_days is None or stage_since is None:
        return False
    latest = max(stage_since, last_contact) if last_contact else stage_since
    return now - latest > timedelta(days=stage.stall_days)


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """How many clients reached a stage within the range, and how many went on."""

    stage: Stage
    entered: int
    moved_on: int
    lost_here: int
    median_days: float | None

    @property
    def conversion(self) -> float | None:
        """The share of those who entered that moved further down the pipeline."""
        return self.moved_on / self.entered if self.entered else None

    @property
    def drop_off(self) -> float | None:
        """The share of those who entered that went to Lost from here."""
        return self.lost_here / self.entered if self.entered else None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def funnel(
    stages: Sequence[Stage],
    changes: Iterable[StageChange],
    start: date | None,
    end: date | None,
    now: datetime,
) -> list[FunnelStep]:
    """Entered, moved on, lost and median time in stage, for the open stages in order.

    A client counts for a stage when they entered it inside [start, end]; they
    "moved on" when their next change took them to a later, non-lost stage, and
    were "lost here" when the next change went to a lost stage.  Time in stage
    runs to the next change, or to `now` for clients still there.
    """
    order = {s.id: s.position for s in stages}
    lost = {s.id for s in stages if s.is_lost}
    by_client: dict[int, list[StageChange]] = {}
    for change in changes:
        by_client.setdefault(change.client_id, []).append(change)
    entered: dict[int, int] = {}
    moved: dict[int, int] = {}
    lost_here: dict[int, int] = {}
    durations: dict[int, list[float]] = {}
    for history in by_client.values():
        history.sort(key=lambda c: c.at)
        for index, change in enumerate(history):
            day = change.at.date()
            if (start and day < start) or (end and day > end):
                continue
            stage = change.to_stage_id
            entered[stage] = entered.get(stage, 0) + 1
            following = history[index + 1] if index + 1 < len(history) else None
            until = following.at if following else now
            durations.setdefault(stage, []).append((until - change.at).total_seconds() / 86400)
            if following is None:
                continue
            if following.to_stage_id in lost:
                lost_here[stage] = lost_here.get(stage, 0) + 1
            elif order.get(following.to_stage_id, -1) > order.get(stage, -1):
                moved[stage] = moved.get(stage, 0) + 1
    return [
        FunnelStep(
            stage=s,
            entered=entered.get(s.id, 0),
            moved_on=moved.get(s.id, 0),
            lost_here=lost_here.get(s.id, 0),
            median_days=_median(durations.get(s.id, [])),
        )
        for s in sorted(stages, key=lambda s: s.position)
        if not s.is_lost
    ]
