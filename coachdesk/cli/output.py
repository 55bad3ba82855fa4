"""How the CLI prints records: aligned text for people, JSON for scripts."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from coachdesk.domain.clients import Client, ClientRow

FIELD_LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "preferred_name": "preferred name",
    "emails": "e-mail",
    "phones": "phone",
    "time_zone": "time zone",
    "lead_source": "lead source",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def plain(record: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict."""
    return {f.name: _jsonable(getattr(record, f.name)) for f in dataclasses.fields(record)}


def json_out(value: Any) -> None:
    """Print JSON to stdout."""
    print(json.dumps(_jsonable(value), indent=2, ensure_ascii=False))


def row_dict(row: ClientRow) -> dict[str, Any]:
    """A list row for --json (the internal search text left out)."""
    data = plain(row)
    data.pop("search_text", None)
    return data


def client_dict(client: Client) -> dict[str, Any]:
    """A full client record for --json."""
    return {**plain(client), "display_name": client.display_name}


def table(rows: list[ClientRow]) -> None:
    """Aligned columns for a terminal."""
    if not rows:
        print("No clients.", file=sys.stderr)
        return
    width = min(max(len(r.name) for r in rows), 32)
    for r in rows:
        print(f"{r.id:>6}  {r.name[:32]:<{width}}  {r.status.value:<7} {r.email}")


def client_text(client: Client) -> None:
    """One client, field by field."""
    lines = [
        ("Name", client.display_name),
        ("First name", client.first_name),
        ("Last name", client.last_name),
        ("Preferred", client.preferred_name),
        ("E-mail", ", ".join(client.emails)),
        ("Phone", ", ".join(client.phones)),
        ("Company", " · ".join(p for p in (client.role, client.company) if p)),
        ("Time zone", client.time_zone),
        ("Locale", client.locale),
        ("Lead source", client.lead_source),
        ("Status", client.status.value),
        ("Tags", ", ".join(client.tags)),
        ("Created", client.created_at.isoformat(timespec="seconds")),
        ("Updated", client.updated_at.isoformat(timespec="seconds")),
    ]
    print(f"Client #{client.id}")
    for label, value in lines:
        if value:
            print(f"  {label:<12} {value}")
    if client.notes:
        print("  Notes")
        for line in client.notes.splitlines():
            print(f"    {line}")


def local_time(when: datetime | None) -> str:
    """A stored UTC time as the coach's local "YYYY-MM-DD HH:MM"."""
    if when is None:
        return ""
    return when.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
