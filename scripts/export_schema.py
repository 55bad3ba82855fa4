"""Write resources/compliance/client-export.schema.json from the tables (run after a migration)."""

from __future__ import annotations

import json

from coachdesk.paths import resource_path
from coachdesk.services.privacy import SCHEMA_FILE, export_schema

if __name__ == "__main__":
    path = resource_path(*SCHEMA_FILE)
    path.write_text(json.dumps(export_schema(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
