"""Settings → Scheduling and billing: working hours, days off, booking rules, calendar files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import icalendar
import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import WorkingHours
from coachdesk.services import calendar, practice, vault_settings
from coachdesk.settings import BOOKING_GATE, INVOICE_PREFIX
from coachdesk.store.vault import Vault
from coachdesk.ui.lanes import Lane
from coachdesk.ui.ops import UnlockMode, VaultOps
from coachdesk.ui.views.schedule_settings import ScheduleSettingsSection
from tests.ui.conftest import WAIT_MS
from tests.unit.test_calendar_files import BUSY_ICS


@pytest.fixture
def ops(qtbot: QtBot, vault: Vault) -> Iterator[VaultOps]:
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP")
    )
    lane = Lane("db")
    made = VaultOps(lane)
    made.open(vault, UnlockMode.PASSPHRASE)
    yield made
    made.close()
    lane.shutdown(wait=True)


def shown(qtbot: QtBot, ops: VaultOps) -> ScheduleSettingsSection:
    section = ScheduleSettingsSection(ops)
    qtbot.addWidget(section)
    section.show()
    section.reload()
    qtbot.waitUntil(lambda: section.prefix.text() != "", timeout=WAIT_MS)
    return section


def test_hours_days_off_and_rules_are_saved(qtbot: QtBot, ops: VaultOps, vault: Vault) -> None:
    section = shown(qtbot, ops)
    assert section.prefix.text() == "INV" and section.gate.currentData() == "warn"
    monday = section.days[0]
    qtbot.mouseClick(monday.works, Qt.MouseButton.LeftButton)
    monday.start.setTime(QTime(8, 30))
    monday.end.setTime(QTime(12, 0))
    section.block_date.setDate(QDate(2026, 12, 24))
    qtbot.mouseClick(section.add_day, Qt.MouseButton.LeftButton)
    section.gate.setCurrentIndex(section.gate.findData("block"))
    section.prefix.setText("RC")
    qtbot.mouseClick(section.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.status.text() == "Saved.", timeout=WAIT_MS)
    assert calendar.working_hours(vault) == [WorkingHours(0, 8 * 60 + 30, 12 * 60)]
    assert vault_settings.get(vault, BOOKING_GATE) == "block"
    assert vault_settings.get(vault, INVOICE_PREFIX) == "RC"
    assert date(2026, 12, 24) in section.wanted().blocked

    section.blocked.setCurrentRow(0)
    qtbot.mouseClick(section.remove_day, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(section.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.blocked.count() == 0, timeout=WAIT_MS)


def test_calendar_files_out_and_in(
    qtbot: QtBot, ops: VaultOps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = shown(qtbot, ops)
    target = tmp_path / "mine"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a: (str(target), "")))
    qtbot.mouseClick(section.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.status.text() == "Saved mine.ics.", timeout=WAIT_MS)
    assert icalendar.Calendar.from_ical((tmp_path / "mine.ics").read_bytes())

    busy = tmp_path / "work.ics"
    busy.write_bytes(BUSY_ICS)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_a: (str(busy), "")))
    qtbot.mouseClick(section.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "busy times from “work”" in section.status.text(), timeout=WAIT_MS)

    bad = tmp_path / "contacts.ics"
    bad.write_text("Name,Email\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_a: (str(bad), "")))
    qtbot.mouseClick(section.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not a calendar file" in section.error.text(), timeout=WAIT_MS)
