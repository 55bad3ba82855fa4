"""The At risk list: active clients by renewal-risk score, the reasons in words."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientStatus
from coachdesk.domain.crm import FollowUpDraft, GoalDraft
from coachdesk.domain.risk import Risk, RiskFactor
from coachdesk.services import crm
from coachdesk.store.vault import Vault
from coachdesk.ui.models.crm_lists import LEVEL_COLORS, RiskModel
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.at_risk import AtRiskView
from tests.ui.conftest import WAIT_MS
from tests.ui.test_client_page import (
    add_client,
    click_row,
    double_click_row,
    on_lane,
    ops,
    utc_now,
)

__all__ = ["ops"]


def show_at_risk(qtbot: QtBot, ops: VaultOps) -> AtRiskView:
    view = AtRiskView(ops)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.show()
    return view


def row_texts(view: AtRiskView, row: int) -> list[str]:
    model = view.model
    return [model.data(model.index(row, column)) for column in range(model.columnCount())]


def test_empty_list_explains_what_makes_a_client_at_risk(qtbot: QtBot, ops: VaultOps) -> None:
    add_client(qtbot, ops, "Lee", "Lead", ClientStatus.LEAD)
    view = show_at_risk(qtbot, ops)
    assert view.empty.isVisible()
    assert view.empty.title.text() == "No active clients"
    text = view.empty.text.text()
    for factor in ("last in touch", "overdue follow-ups", "goals behind schedule", "stalled"):
        assert factor in text


def test_clients_are_ordered_by_score_with_the_reasons_in_words(
    qtbot: QtBot, ops: VaultOps
) -> None:
    now = utc_now()
    quiet = add_client(qtbot, ops, "Quinn", "Quiet")
    drifting = add_client(qtbot, ops, "Dana", "Drifting")
    fine = add_client(qtbot, ops, "Fran", "Fine")
    add_client(qtbot, ops, "Lee", "Lead", ClientStatus.LEAD)

    def prepare(vault: Vault) -> None:
        crm.log_contact(vault, quiet.id, now - timedelta(days=30))
        late = FollowUpDraft("Send the offer", now - timedelta(days=2))
        crm.add_follow_up(vault, quiet.id, late)
        crm.log_contact(vault, drifting.id, now - timedelta(days=20))
        crm.log_contact(vault, fine.id, now)
        goal = GoalDraft("Lead the team", target_on=date.today() + timedelta(days=90))
        crm.add_goal(vault, fine.id, goal)

    on_lane(qtbot, ops, prepare)
    view = show_at_risk(qtbot, ops)

    assert [r.client_name for r in view.model.risks()] == [
        "Quinn Quiet",
        "Dana Drifting",
        "Fran Fine",
    ]
    scores = [r.score for r in view.model.risks()]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] > scores[2]
    name, _score, level, why = row_texts(view, 0)
    assert name == "Quinn Quiet"
    assert level == "Medium"
    assert "No contact for 30 days" in why
    assert "1 overdue follow-up" in why
    color = view.model.data(view.model.index(0, 2), Qt.ItemDataRole.ForegroundRole)
    assert color == LEVEL_COLORS["medium"]
    assert "No contact for 20 days" in row_texts(view, 1)[3]
    assert row_texts(view, 2)[1:] == ["0", "Low", "Nothing stands out."]
    assert view.count.text() == "1 medium · 2 low"

    assert "No contact for 30 days" in view.reasons.text()
    click_row(qtbot, view.table, view.model.index(1, 0))
    assert "Dana Drifting" in view.reasons.text()
    assert "No contact for 20 days" in view.reasons.text()

    opened: list[int] = []
    view.open_client_requested.connect(opened.append)
    double_click_row(qtbot, view.table, view.model.index(0, 0))
    assert opened == [quiet.id]


def test_a_follow_up_done_elsewhere_lowers_the_score(qtbot: QtBot, ops: VaultOps) -> None:
    client = add_client(qtbot, ops, "Ada", "Lovelace")
    late = FollowUpDraft("Call back", utc_now() - timedelta(days=1))
    made = on_lane(qtbot, ops, lambda vault: crm.add_follow_up(vault, client.id, late))
    view = show_at_risk(qtbot, ops)
    assert "1 overdue follow-up" in view.model.risk_at(0).why
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        ops.run(lambda vault: crm.complete_follow_up(vault, made.id), changes="crm")
    assert "overdue" not in view.model.risk_at(0).why


def test_risk_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = RiskModel()
    model.set_risks(
        [
            Risk(1, "Ada", 70, (RiskFactor(40, "No contact for 44 days"), RiskFactor(30, "x"))),
            Risk(2, "Grace", 0, ()),
        ]
    )
    qtmodeltester.check(model)
    assert model.data(model.index(0, 2)) == "High"
    assert model.data(model.index(1, 3)) == "Nothing stands out."
    tooltip = model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole)
    assert tooltip.splitlines()[0] == "• No contact for 44 days (+40)"
    assert model.row_of(2) == 1
