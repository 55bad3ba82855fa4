"""Starting a group programme from the Offers tab: members, weekly group sessions, errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QListWidgetItem
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.domain.scheduling import OfferTerms, Tier
from coachdesk.services import clients, offers, sessions
from coachdesk.store.vault import Vault
from coachdesk.ui.dialogs.cohort_dialog import CohortDialog
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.billing import BillingView
from tests.ui.conftest import WAIT_MS, on_lane
from tests.ui.test_billing_view import click, retype, view

__all__ = ["view"]  # a fixture, imported for pytest to find

PEOPLE = (
    ("Ada", ClientStatus.ACTIVE),
    ("Ben", ClientStatus.LEAD),
    ("Cleo", ClientStatus.ACTIVE),
    ("Dan", ClientStatus.ACTIVE),
    ("Old", ClientStatus.ALUMNI),
)


def setup_offer(qtbot: QtBot, ops: VaultOps) -> dict[str, int]:
    def make(vault: Vault) -> dict[str, int]:
        terms = OfferTerms(
            name="Leaders Circle", tier=Tier.GROUP, session_count=6, session_minutes=90
        )
        offers.create_offer(vault, terms)
        return {
            name: clients.create_client(vault, ClientDraft(first_name=name, status=status)).id
            for name, status in PEOPLE
        }

    return on_lane(qtbot, ops, make)


def open_dialog(qtbot: QtBot, view: BillingView) -> CohortDialog:
    view.reload()
    qtbot.waitUntil(lambda: view.offer_model.rowCount() == 1, timeout=WAIT_MS)
    assert not view.cohort_button.isEnabled()
    view.offer_table.selectRow(0)
    click(qtbot, view.cohort_button)
    dialog = view.dialog
    assert isinstance(dialog, CohortDialog)
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=WAIT_MS)
    return dialog


def item(dialog: CohortDialog, name: str) -> QListWidgetItem:
    found = dialog.client_list.findItems(name, Qt.MatchFlag.MatchStartsWith)
    assert len(found) == 1, name
    return found[0]


def tick(qtbot: QtBot, dialog: CohortDialog, name: str) -> None:
    row = item(dialog, name)
    rect = dialog.client_list.visualItemRect(row)
    box = rect.topLeft() + (rect.bottomLeft() - rect.topLeft()) / 2
    box.setX(rect.left() + 10)
    qtbot.mouseClick(dialog.client_list.viewport(), Qt.MouseButton.LeftButton, pos=box)
    assert row.checkState() == Qt.CheckState.Checked, name


def test_a_group_programme_enrols_members_and_books_weekly_sessions(
    qtbot: QtBot, ops: VaultOps, view: BillingView
) -> None:
    ids = setup_offer(qtbot, ops)
    dialog = open_dialog(qtbot, view)
    start = date.today() + timedelta(days=7)
    assert dialog.name_edit.text() == f"Leaders Circle, {start:%B %Y}"
    assert dialog.count_spin.value() == 6
    assert dialog.minutes_spin.value() == 90
    names = [dialog.client_list.item(i).text() for i in range(dialog.client_list.count())]
    assert [n.split()[0] for n in names] == ["Ada", "Ben", "Cleo", "Dan"]

    click(qtbot, dialog.create_button)
    assert dialog.errors.message("clients") == "Tick at least one client to enrol."
    assert dialog.isVisible()

    qtbot.keyClicks(dialog.filter_edit, "cl")
    assert [dialog.client_list.item(i).isHidden() for i in range(4)] == [True, True, False, True]
    tick(qtbot, dialog, "Cleo")
    dialog.filter_edit.clear()
    tick(qtbot, dialog, "Ada")
    tick(qtbot, dialog, "Ben")
    assert dialog.chosen_label.text() == "3 clients ticked"
    assert dialog.errors.message("clients") == ""
    retype(qtbot, dialog.count_spin.lineEdit(), "4")
    assert dialog.book_check.isChecked()

    notices: list[str] = []
    view.notice.connect(lambda text, _undo: notices.append(text))
    click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: bool(notices), timeout=WAIT_MS)
    name = f"Leaders Circle, {start:%B %Y}"
    assert notices == [f"Started {name} with 3 clients and 4 sessions."]
    assert view.message.text() == notices[0]
    assert view.dialog is None

    def check(vault: Vault) -> tuple[list[int], list[int], dict[int, set[int]]]:
        members = [e for e in offers.list_enrolments(vault) if e.cohort_id is not None]
        cohort = members[0].cohort_id
        begin, end = datetime(2000, 1, 1), datetime(2100, 1, 1)
        group = [s.id for s in sessions.list_sessions(vault, begin, end) if s.cohort_id == cohort]
        own = {
            client_id: {s.id for s in sessions.list_sessions(vault, begin, end, client_id)}
            for client_id in ids.values()
        }
        return sorted(e.client_id for e in members), group, own

    members, group, own = on_lane(qtbot, ops, check)
    assert members == sorted([ids["Ada"], ids["Ben"], ids["Cleo"]])
    assert len(group) == 4
    for name_ in ("Ada", "Ben", "Cleo"):
        assert set(group) <= own[ids[name_]]
    assert not own[ids["Dan"]]


def test_the_name_follows_the_start_until_typed_and_must_not_be_empty(
    qtbot: QtBot, ops: VaultOps, view: BillingView
) -> None:
    setup_offer(qtbot, ops)
    dialog = open_dialog(qtbot, view)
    dialog.start_edit.setDate(QDate(2027, 3, 1))
    assert dialog.name_edit.text() == "Leaders Circle, March 2027"
    assert dialog.weekday_label.text() == "on Mondays at"
    retype(qtbot, dialog.name_edit, "   ")
    dialog.start_edit.setDate(QDate(2027, 4, 1))
    assert dialog.name_edit.text() == "   "
    tick(qtbot, dialog, "Dan")
    dialog.book_check.setChecked(False)
    assert not dialog.weekly_box.isEnabled()
    click(qtbot, dialog.create_button)
    assert dialog.errors.message("name").startswith("Give the programme a name")
    retype(qtbot, dialog.name_edit, "Spring circle")
    notices: list[str] = []
    view.notice.connect(lambda text, _undo: notices.append(text))
    click(qtbot, dialog.create_button)
    qtbot.waitUntil(lambda: bool(notices), timeout=WAIT_MS)
    assert notices == ["Started Spring circle with 1 client."]
