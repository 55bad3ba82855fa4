"""Segments beyond the Clients list: the picker, and the board, Due and At risk narrowed by it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.domain.crm import FollowUpDraft
from coachdesk.domain.segments import ClientFilter, Segment
from coachdesk.services import clients, crm, pipeline, segments
from coachdesk.store.vault import Vault
from coachdesk.ui.models.crm_lists import LEVEL_LABELS
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.at_risk import AtRiskView
from coachdesk.ui.views.due import DueView
from coachdesk.ui.views.pipeline import PipelineView
from coachdesk.ui.views.segment_picker import Scoped, SegmentPicker
from tests.ui.conftest import WAIT_MS
from tests.ui.test_client_page import utc_now
from tests.ui.test_pipeline_view import (
    backdate_stage,
    card_point,
    column,
    drop_cards,
    names_in,
    on_lane,
    ops,
    stored_stage,
)

__all__ = ["ops"]

LEFT = Qt.MouseButton.LeftButton
SPRING = ClientFilter(tags=frozenset({"spring"}))
NOBODY = ClientFilter(tags=frozenset({"alumni-2019"}))


@pytest.fixture
def people(qtbot: QtBot, ops: VaultOps) -> dict[str, int]:
    """Four clients, two of them tagged "spring"; each with a follow-up overdue or coming up."""
    now = utc_now()

    def make(vault: Vault) -> dict[str, int]:
        made = {}
        for first, last, status, tags in (
            ("Ada", "Lovelace", ClientStatus.LEAD, ("spring",)),
            ("Grace", "Hopper", ClientStatus.LEAD, ()),
            ("Alan", "Turing", ClientStatus.ACTIVE, ("spring",)),
            ("Barbara", "Liskov", ClientStatus.ACTIVE, ("exec",)),
        ):
            draft = ClientDraft(first_name=first, last_name=last, status=status, tags=tags)
            made[first] = clients.create_client(vault, draft).id
        for first, title, due in (
            ("Ada", "Send the reading list", now - timedelta(days=1)),
            ("Grace", "Call back", now - timedelta(hours=3)),
            ("Alan", "Book the next session", now + timedelta(days=2)),
            ("Barbara", "Send the invoice", now - timedelta(days=2)),
        ):
            crm.add_follow_up(vault, made[first], FollowUpDraft(title, due.replace(microsecond=0)))
        return made

    return on_lane(qtbot, ops, make)


@pytest.fixture
def saved(qtbot: QtBot, ops: VaultOps, people: dict[str, int]) -> dict[str, Segment]:
    """Two segments saved through the service: "Spring cohort" and "Exec team"."""

    def save(vault: Vault) -> dict[str, Segment]:
        return {
            "Spring cohort": segments.save_segment(vault, "Spring cohort", SPRING),
            "Exec team": segments.save_segment(
                vault, "Exec team", ClientFilter(tags=frozenset({"exec"}))
            ),
        }

    return on_lane(qtbot, ops, save, changes="segments")


def shown(qtbot: QtBot, widget: QWidget, signal: Any = None) -> None:
    qtbot.addWidget(widget)
    widget.resize(1300, 700)
    if signal is None:
        widget.show()
        return
    with qtbot.waitSignal(signal, timeout=WAIT_MS):
        widget.show()


def wait_for_segments(qtbot: QtBot, picker: SegmentPicker, count: int) -> None:
    qtbot.waitUntil(lambda: len(picker.segments()) == count, timeout=WAIT_MS)


def choose(qtbot: QtBot, picker: SegmentPicker, name: str | None, loaded: Any) -> None:
    """Pick an item of the picker's menu, as the coach does, and wait for the list to reload."""
    action = picker.action_for(name)
    assert action is not None and action.isEnabled()
    with qtbot.waitSignal(loaded, timeout=WAIT_MS):
        action.trigger()


def test_the_picker_lists_the_saved_segments_and_says_what_is_chosen(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int]
) -> None:
    picker = SegmentPicker(ops)
    shown(qtbot, picker)
    assert len(picker.menu_.actions()) == 3
    texts = [a.text() for a in picker.menu_.actions()]
    assert texts == ["All clients", "", "No segments yet: save one with the filter bar in Clients"]
    assert not picker.menu_.actions()[2].isEnabled()

    on_lane(qtbot, ops, lambda v: segments.save_segment(v, "Spring cohort", SPRING), "segments")
    on_lane(qtbot, ops, lambda v: segments.save_segment(v, "Exec team", NOBODY), "segments")
    wait_for_segments(qtbot, picker, 2)
    assert [a.text() for a in picker.menu_.actions()] == [
        "All clients",
        "",
        "Exec team",
        "Spring cohort",
    ]
    assert picker.text() == "All clients"
    assert picker.current() is None
    assert picker.all_action.isChecked()

    chosen: list[Segment | None] = []
    picker.segment_changed.connect(chosen.append)
    action = picker.action_for("Spring cohort")
    assert action is not None
    action.trigger()
    current = picker.current()
    assert current is not None and current.name == "Spring cohort" and current.filter == SPRING
    assert chosen == [current]
    assert picker.text() == "Segment: Spring cohort"
    assert picker.font().bold()
    assert action.isChecked() and not picker.all_action.isChecked()

    action.trigger()  # choosing it again changes nothing
    assert chosen == [current]
    assert picker.set_segment("no such segment") is False
    assert picker.set_segment("  EXEC   team ")
    assert picker.text() == "Segment: Exec team"
    assert picker.set_segment(None)
    assert [s.name if s else None for s in chosen] == ["Spring cohort", "Exec team", None]
    assert picker.text() == "All clients" and not picker.font().bold()

    with qtbot.waitSignal(ops.closed, timeout=WAIT_MS):
        ops.close()
    assert picker.segments() == [] and picker.current() is None


def segment_of(view: PipelineView) -> Segment | None:
    return view.segment


def test_a_segment_on_the_board_hides_other_clients_and_cards_still_move(
    qtbot: QtBot,
    ops: VaultOps,
    vault: Vault,
    people: dict[str, int],
    saved: dict[str, Segment],
) -> None:
    stage_ids = {s.key: s.id for s in pipeline.list_stages(vault)}
    view = PipelineView(ops)
    shown(qtbot, view, view.loaded)
    wait_for_segments(qtbot, view.segment_picker, 2)
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace", "Grace Hopper"]
    assert view.summary.text() == "4 clients"

    choose(qtbot, view.segment_picker, "Spring cohort", view.loaded)
    assert segment_of(view) == saved["Spring cohort"]
    inquiry, active = column(view, stage_ids["inquiry"]), column(view, stage_ids["active"])
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace"]
    assert names_in(view, stage_ids["active"]) == ["Alan Turing"]
    assert inquiry.count.text() == "1 of 2 clients"
    assert active.count.text() == "1 of 2 clients"
    assert column(view, stage_ids["proposal"]).count.text() == "0 clients"
    assert view.summary.text() == "2 of 4 clients"

    # A drag still moves a visible card, and Undo puts it back, the segment staying on.
    discovery = column(view, stage_ids["discovery"])
    notices: list[tuple[str, Any]] = []
    view.notice.connect(lambda message, undo: notices.append((message, undo)))
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        drop_cards(inquiry, [people["Ada"]], discovery)
    assert names_in(view, stage_ids["discovery"]) == ["Ada Lovelace"]
    assert names_in(view, stage_ids["inquiry"]) == []
    assert inquiry.count.text() == "0 of 1 client"
    assert discovery.count.text() == "1 of 1 client"
    assert discovery.cards.selected_ids() == [people["Ada"]]
    assert stored_stage(qtbot, ops, people["Ada"]) == stage_ids["discovery"]
    assert stored_stage(qtbot, ops, people["Grace"]) == stage_ids["inquiry"]
    message, undo = notices[-1]
    assert message == "Moved Ada Lovelace to Discovery call."
    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        undo()
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace"]
    assert stored_stage(qtbot, ops, people["Ada"]) == stage_ids["inquiry"]
    assert view.segment_picker.text() == "Segment: Spring cohort"

    # Double-click opens a visible card's client.
    opened: list[int] = []
    view.open_client_requested.connect(opened.append)
    where = card_point(active, people["Alan"])
    qtbot.mouseClick(active.cards.viewport(), LEFT, pos=where)
    qtbot.mouseDClick(active.cards.viewport(), LEFT, pos=where)
    assert opened == [people["Alan"]]

    # Stalled only and the Stalled tab count the segment's clients alone.
    def quiet(v: Vault) -> None:
        backdate_stage(v, people["Ada"], 12)
        backdate_stage(v, people["Grace"], 12)

    with qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        on_lane(qtbot, ops, quiet, changes="clients")
    assert view.tabs.tabText(view.STALLED) == "Stalled (1)"
    assert view.stalled_model.rowCount() == 1
    assert view.stalled_model.text_at(0).startswith("Ada Lovelace")
    assert view.summary.text() == "2 of 4 clients · 1 stalled"
    qtbot.mouseClick(view.stalled_only, LEFT)
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace"]
    assert names_in(view, stage_ids["active"]) == []
    assert inquiry.count.text() == "1 of 2 clients · 1 stalled"

    choose(qtbot, view.segment_picker, None, view.loaded)
    assert segment_of(view) is None
    assert view.tabs.tabText(view.STALLED) == "Stalled (2)"
    assert names_in(view, stage_ids["inquiry"]) == ["Ada Lovelace", "Grace Hopper"]
    assert inquiry.count.text() == "2 clients · 2 stalled"
    qtbot.mouseClick(view.stalled_only, LEFT)
    assert view.summary.text() == "4 clients · 2 stalled"

    # The funnel counts everyone: the picker is greyed out there, and says why.
    view.tabs.setCurrentIndex(view.FUNNEL)
    assert not view.segment_picker.isEnabled()
    assert view.segment_picker.toolTip() == "The funnel always counts every client."
    view.tabs.setCurrentIndex(view.BOARD)
    assert view.segment_picker.isEnabled()


def test_a_segment_nobody_on_the_board_is_in_says_so(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int], saved: dict[str, Segment]
) -> None:
    on_lane(qtbot, ops, lambda v: segments.save_segment(v, "Class of 2019", NOBODY), "segments")
    view = PipelineView(ops)
    shown(qtbot, view, view.loaded)
    wait_for_segments(qtbot, view.segment_picker, 3)
    assert view.board_scroll.isVisible()

    choose(qtbot, view.segment_picker, "Class of 2019", view.loaded)
    assert view.board_empty.isVisible()
    assert view.board_empty.title.text() == "No one in “Class of 2019” is on the board"
    assert view.board_empty.text.text().startswith("Choose All clients above to see everyone")
    assert not view.stalled_only.isEnabled()
    assert view.summary.text() == "0 of 4 clients"
    view.tabs.setCurrentIndex(view.STALLED)
    assert view.stalled_empty.title.text() == "No one in “Class of 2019” is stalled"

    view.tabs.setCurrentIndex(view.BOARD)
    choose(qtbot, view.segment_picker, None, view.loaded)
    assert view.board_scroll.isVisible()
    assert view.stalled_empty.title.text() == "Nobody is stalled"


def follow_up_clients(view: DueView) -> list[str]:
    return [f.client_name for f in view.model.follow_ups()]


def test_due_and_at_risk_show_only_the_segments_clients(
    qtbot: QtBot, ops: VaultOps, people: dict[str, int], saved: dict[str, Segment]
) -> None:
    due = DueView(ops)
    shown(qtbot, due, due.loaded)
    wait_for_segments(qtbot, due.segment_picker, 2)
    assert sorted(follow_up_clients(due)) == [
        "Ada Lovelace",
        "Alan Turing",
        "Barbara Liskov",
        "Grace Hopper",
    ]
    assert due.count.text() == "3 overdue · 1 in the next 7 days"

    choose(qtbot, due.segment_picker, "Spring cohort", due.loaded)
    assert follow_up_clients(due) == ["Ada Lovelace", "Alan Turing"]
    assert due.model.section_titles() == ["Overdue", "Next 7 days"]
    assert due.count.text() == "1 overdue · 1 in the next 7 days"
    opened: list[int] = []
    due.open_client_requested.connect(opened.append)
    index = due.model.index_of(due.model.follow_ups()[1].id, 1)
    rect = due.tree.visualRect(index)
    qtbot.mouseClick(due.tree.viewport(), LEFT, pos=rect.center())
    qtbot.mouseDClick(due.tree.viewport(), LEFT, pos=rect.center())
    assert opened == [people["Alan"]]

    # A follow-up done elsewhere re-reads the list with the segment still applied.
    ada_due = due.model.follow_ups()[0]
    with qtbot.waitSignal(due.loaded, timeout=WAIT_MS):
        ops.run(lambda v: crm.complete_follow_up(v, ada_due.id), changes="crm")
    assert follow_up_clients(due) == ["Alan Turing"]
    assert due.count.text() == "1 in the next 7 days"

    choose(qtbot, due.segment_picker, "Exec team", due.loaded)
    assert follow_up_clients(due) == ["Barbara Liskov"]
    assert due.count.text() == "1 overdue"

    on_lane(qtbot, ops, lambda v: segments.save_segment(v, "Class of 2019", NOBODY), "segments")
    wait_for_segments(qtbot, due.segment_picker, 3)
    choose(qtbot, due.segment_picker, "Class of 2019", due.loaded)
    assert due.empty.isVisible()
    assert due.empty.title.text() == "No one in “Class of 2019” is due"
    assert due.count.text() == ""

    at_risk = AtRiskView(ops)
    shown(qtbot, at_risk, at_risk.loaded)
    wait_for_segments(qtbot, at_risk.segment_picker, 3)
    assert sorted(r.client_name for r in at_risk.model.risks()) == [
        "Alan Turing",
        "Barbara Liskov",
    ]
    choose(qtbot, at_risk.segment_picker, "Spring cohort", at_risk.loaded)
    assert [r.client_name for r in at_risk.model.risks()] == ["Alan Turing"]
    level = LEVEL_LABELS[at_risk.model.risk_at(0).level].lower()
    assert at_risk.count.text() == f"1 {level}"
    assert "Alan Turing" in at_risk.reasons.text()
    choose(qtbot, at_risk.segment_picker, "Class of 2019", at_risk.loaded)
    assert at_risk.empty.isVisible()
    assert at_risk.empty.title.text() == "No one in “Class of 2019” is an active client"
    assert at_risk.count.text() == ""
    assert due.segment_picker.current() is not None  # each list has its own choice


def test_a_segment_changed_or_deleted_elsewhere_is_followed(
    qtbot: QtBot,
    ops: VaultOps,
    vault: Vault,
    people: dict[str, int],
    saved: dict[str, Segment],
) -> None:
    board, due, at_risk = PipelineView(ops), DueView(ops), AtRiskView(ops)
    shown(qtbot, board, board.loaded)
    shown(qtbot, due, due.loaded)
    shown(qtbot, at_risk, at_risk.loaded)
    for view in (board, due, at_risk):
        wait_for_segments(qtbot, view.segment_picker, 2)
        choose(qtbot, view.segment_picker, "Spring cohort", view.loaded)
    at_risk.hide()  # a hidden list still hears that its segment went
    stage_ids = {s.key: s.id for s in pipeline.list_stages(vault)}
    assert names_in(board, stage_ids["inquiry"]) == ["Ada Lovelace"]

    # Its conditions change: the lists follow the new ones.
    spring = saved["Spring cohort"]
    wider = ClientFilter(tags=frozenset({"spring", "exec"}))
    with qtbot.waitSignal(due.loaded, timeout=WAIT_MS):
        on_lane(
            qtbot,
            ops,
            lambda v: segments.update_segment(v, spring.id, client_filter=wider),
            "segments",
        )
    assert sorted(follow_up_clients(due)) == ["Ada Lovelace", "Alan Turing", "Barbara Liskov"]
    qtbot.waitUntil(
        lambda: names_in(board, stage_ids["active"]) == ["Alan Turing", "Barbara Liskov"],
        timeout=WAIT_MS,
    )
    current = board.segment_picker.current()
    assert current is not None and current.filter == wider

    # Deleted: back to All clients, and the full lists come back.
    on_lane(qtbot, ops, lambda v: segments.delete_segment(v, spring.id), "segments")
    pickers = [board.segment_picker, due.segment_picker, at_risk.segment_picker]
    qtbot.waitUntil(lambda: all(p.current() is None for p in pickers), timeout=WAIT_MS)
    for view in (board, due, at_risk):
        assert view.segment_picker.text() == "All clients"
        assert [s.name for s in view.segment_picker.segments()] == ["Exec team"]
    qtbot.waitUntil(
        lambda: names_in(board, stage_ids["inquiry"]) == ["Ada Lovelace", "Grace Hopper"],
        timeout=WAIT_MS,
    )
    assert board.summary.text() == "4 clients"
    qtbot.waitUntil(lambda: len(due.model.follow_ups()) == 4, timeout=WAIT_MS)
    assert due.count.text() == "3 overdue · 1 in the next 7 days"
    with qtbot.waitSignal(at_risk.loaded, timeout=WAIT_MS):
        at_risk.show()
    assert sorted(r.client_name for r in at_risk.model.risks()) == [
        "Alan Turing",
        "Barbara Liskov",
    ]


def test_scoped_results_keep_everyone_without_a_segment() -> None:
    everyone: Scoped[list[int]] = Scoped([1, 2])
    assert everyone.shows(1) and everyone.shows(99)
    narrowed = Scoped([1, 2], Segment(1, "Spring cohort", SPRING), frozenset({2}))
    assert [i for i in narrowed.data if narrowed.shows(i)] == [2]
