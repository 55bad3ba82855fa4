"""Client filters, and segments: filters the coach saved under a name."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from coachdesk.domain.clients import ClientRow, ClientStatus, ClientType, Objective
from coachdesk.domain.errors import ValidationError

MAX_SEGMENT_NAME = 60


@dataclass(frozen=True, slots=True)
class ClientFilter:
    """Which clients to show.  Empty sets match everyone; a row must pass every set.

    Stages are kept by id so renaming a stage does not break a saved segment;
    tags and lead sources compare case-insensitively.
    """

    types: frozenset[ClientType] = frozenset()
    stage_ids: frozenset[int] = frozenset()
    objectives: frozenset[Objective] = frozenset()
    tags: frozenset[str] = frozenset()
    lead_sources: frozenset[str] = frozenset()
    statuses: frozenset[ClientStatus] = frozenset()
    text: str = ""
    overdue_only: bool = False

    @property
    def is_empty(self) -> bool:
        """Whether this filter lets every client through."""
        return self == ClientFilter()

    def matches(self, row: ClientRow) -> bool:
        """Whether `row` passes the filter."""
        if self.types and row.client_type not in self.types:
            return False
        if self.stage_ids and row.stage_id not in self.stage_ids:
            return False
        if self.objectives and row.objective not in self.objectives:
            return False
        if self.tags and not self.tags.intersection(row.tags):
            return False
        if self.lead_sources and row.lead_source.casefold() not in self.lead_sources:
            return False
        if self.statuses and row.status not in self.statuses:
            return False
        if self.overdue_only and not row.overdue_follow_ups:
            return False
        text = self.text.strip().lower()
        return not text or all(word in row.search_text for word in text.split())

    def to_json(self) -> str:
        """A stable JSON form for storing the filter."""
        data: dict[str, Any] = asdict(self)
        for key, value in data.items():
            if isinstance(value, frozenset):
                data[key] = sorted(str(v) if not isinstance(v, int) else v for v in value)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ClientFilter:
        """The filter stored by `to_json` (unknown keys and values are ignored)."""
        data = json.loads(text)
        return cls(
            types=frozenset(ClientType(v) for v in data.get("types", ()) if v in _TYPES),
            stage_ids=frozenset(int(v) for v in data.get("stage_ids", ())),
            objectives=frozenset(
                Objective(v) for v in data.get("objectives", ()) if v in _OBJECTIVES
            ),
            tags=frozenset(str(v).lower() for v in data.get("tags", ())),
            lead_sources=frozenset(str(v).casefold() for v in data.get("lead_sources", ())),
            statuses=frozenset(ClientStatus(v) for v in data.get("statuses", ()) if v in _STATUSES),
            text=str(data.get("text", "")),
            overdue_only=bool(data.get("overdue_only", False)),
        )

    def with_(self, **changes: Any) -> ClientFilter:
        """A copy with some fields replaced (lists become frozensets)."""
        values = {
            k: frozenset(v) if isinstance(v, list | tuple | set) else v for k, v in changes.items()
        }
        return ClientFilter(**{**{f: getattr(self, f) for f in _FIELDS}, **values})


_TYPES = {t.value for t in ClientType}
_OBJECTIVES = {o.value for o in Objective}
_STATUSES = {s.value for s in ClientStatus}
_FIELDS = tuple(ClientFilter.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Segment:
    """A saved filter."""

    id: int
    name: str
    filter: ClientFilter = field(default_factory=ClientFilter)
    created_at: datetime | None = None


def check_segment_name(name: str, others: list[str]) -> str:
    """The trimmed name, or ValidationError when it is empty, too long or taken."""
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError({"name": "A segment needs a name."})
    if len(clean) > MAX_SEGMENT_NAME:
        raise ValidationError({"name": f"Keep the name under {MAX_SEGMENT_NAME} characters."})
    if clean.casefold() in {o.casefold() for o in others}:
        raise ValidationError({"name": f"There is already a segment called “{clean}”."})
    return clean
