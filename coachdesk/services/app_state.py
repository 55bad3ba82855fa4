"""What the app reads in one trip to the vault: at unlock, and for the Settings screen."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import practice, vaults
from coachdesk.settings import AUTO_LOCK_MINUTES, Setting
from coachdesk.store.keychain import KeychainStatus, SecretStore
from coachdesk.store.tables import SettingTable
from coachdesk.store.vault import Vault


@dataclass(frozen=True, slots=True)
class StartFacts:
    """What the app needs to know right after unlocking."""

    profile_complete: bool
    auto_lock_minutes: int


@dataclass(frozen=True, slots=True)
class SettingsSnapshot:
    """Everything the Settings screen shows."""

    profile: PracticeProfile
    logo: bytes | None
    auto_lock_minutes: int
    remembered: bool
    keychain: KeychainStatus


def _setting(session: Session, setting: Setting) -> int | str | bool:
    """A vault setting read inside the caller's session (the default when unset)."""
    raw = session.scalar(select(SettingTable.value).where(SettingTable.key == setting.key))
    return setting.default if raw is None else setting.parse(json.loads(raw))


def _auto_lock_minutes(vault: Vault) -> int:
    with vault.reading() as session:
        return int(_setting(session, AUTO_LOCK_MINUTES))


def start_facts(vault: Vault) -> StartFacts:
    """Whether first-run set-up finished, and the auto-lock time."""
    return StartFacts(practice.get_profile(vault).is_complete, _auto_lock_minutes(vault))


def settings_snapshot(vault: Vault, secrets: SecretStore) -> SettingsSnapshot:
    """Profile and logo, auto-lock time, the keychain and whether it holds the key."""
    return SettingsSnapshot(
        profile=practice.get_profile(vault),
        logo=practice.logo_bytes(vault),
        auto_lock_minutes=_auto_lock_minutes(vault),
        remembered=vaults.is_remembered(vault, secrets),
        keychain=secrets.status(),
    )
