"""Session reminders while the app runs: each coming session announced once, without notes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import clients, crm, practice
from coachdesk.store.tables import SessionTable
from coachdesk.store.vault import Vault
from coachdesk.ui.lanes import Lane
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.reminders import ReminderWatcher
from tests.store.test_calendar_services import insert_session
from tests.ui.conftest import WAIT_MS


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
    )
    lane = Lane("db")
    made = VaultOps(lane)
    yield made
    made.close()
    lane.shutdown(wait=True)


def test_a_coming_session_is_announced_once_and_again_when_moved(
    qtbot: QtBot, ops: VaultOps, vault: Vault
) -> None:
    client = clients.create_client(vault, ClientDraft(first_name="Ada", last_name="Lovelace"))
    crm.add_note(vault, client.id, NoteDraft(NoteKind.SESSION, date.today(), "PRIVATE-9"))
    soon = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) + timedelta(hours=3)
    session_id = insert_session(vault, client.id, soon)
    insert_session(vault, client.id, soon + timedelta(days=3))  # outside the 24-hour window

    watcher = ReminderWatcher(ops)
    heard: list[str] = []
    watcher.reminded.connect(heard.append)
    with qtbot.waitSignal(watcher.reminded, timeout=WAIT_MS):
        ops.open(vault, UnlockMode.PASSPHRASE)
    assert len(heard) == 1
    assert heard[0].startswith("Session with Ada Lovelace at ")
    assert "PRIVATE-9" not in heard[0]

    watcher.check()
    settled: list[bool] = []
    ops.run(lambda _vault: True, on_done=settled.append)  # queued behind the check
    qtbot.waitUntil(lambda: settled == [True], timeout=WAIT_MS)
    with vault.writing() as session:
        row = session.get(SessionTable, session_id)
        assert row is not None
        row.starts_at += timedelta(hours=1)
        row.sequence += 1
    assert len(heard) == 1
    with qtbot.waitSignal(watcher.reminded, timeout=WAIT_MS):
        watcher.check()
    assert len(heard) == 2
