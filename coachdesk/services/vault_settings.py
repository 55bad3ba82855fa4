"""Vault-scope settings, stored encrypted with the vault."""

from __future__ import annotations

import json
from typing import Any

from coachdesk.settings import Setting
from coachdesk.store import audit
from coachdesk.store.tables import SettingTable
from coachdesk.store.vault import Vault


def get(vault: Vault, setting: Setting) -> int | str | bool:
    """The stored value or the declared default."""
    with vault.reading() as session:
        row = session.get(SettingTable, setting.key)
    if row is None:
        return setting.default
    return setting.parse(json.loads(row.value))


def put(vault: Vault, setting: Setting, value: Any) -> int | str | bool:
    """Validate and store a value; audited by name (values are not client data, but kept out)."""
    if setting.scope != "vault":
        raise ValueError(f"{setting.key} is not a vault setting")
    parsed = setting.parse(value)
    with vault.writing() as session:
        row = session.get(SettingTable, setting.key)
        if row is None:
            session.add(SettingTable(key=setting.key, value=json.dumps(parsed)))
        else:
            row.value = json.dumps(parsed)
        audit.append(session, vault.actor, "setting", setting.key, "update")
    return parsed
