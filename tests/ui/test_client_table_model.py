"""The client list model, without a window: Qt's model tester, filtering and sorting 10,000 rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientRow, ClientStatus, ClientType, Objective
from coachdesk.domain.segments import ClientFilter
from coachdesk.services.demo import COMPANIES, FIRST, LAST, TAGS
from coachdesk.ui.models.client_table import (
    ID_ROLE,
    OVERDUE_COLOR,
    ClientTableModel,
    Column,
    due_text,
)

START = datetime(2024, 1, 1, 9, 0)
# Board position → (stage id, name): ids deliberately out of board order.
STAGES = [(7, "Inquiry"), (3, "Discovery call"), (5, "Proposal sent"), (1, "Active"), (9, "Lost")]
SOURCES = ["Referral", "LinkedIn", "Website", ""]


def make_rows(count: int, seed: int = 3) -> list[ClientRow]:
    """`count` believable rows with their search text built as the store builds it."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        email = f"{first}.{last}{i}@example.com".lower() if rng.random() < 0.9 else ""
        phone = f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}" if i % 3 else ""
        company = rng.choice(COMPANIES) if rng.random() < 0.8 else ""
        status = rng.choice(list(ClientStatus))
        tags = tuple(sorted(rng.sample(TAGS, k=rng.randint(0, 2))))
        stage_id, stage = rng.choice(STAGES) if rng.random() < 0.9 else (None, "")
        overdue = rng.choice((0, 0, 0, 1, 2))
        due = START + timedelta(hours=rng.randint(-2000, 2000))
        next_due = due if overdue or rng.random() < 0.5 else None
        search = " ".join((name, first, email, phone, company, status.value, stage, *tags)).lower()
        rows.append(
            ClientRow(
                id=i + 1,
                name=name,
                email=email,
                phone=phone,
                company=company,
                status=status,
                tags=tags,
                updated_at=START + timedelta(minutes=rng.randint(0, 500_000)),
                search_text=search,
                client_type=rng.choice(list(ClientType)),
                objective=rng.choice(list(Objective)),
                lead_source=rng.choice(SOURCES),
                stage_id=stage_id,
                stage_name=stage,
                stage_since=START,
                overdue_follow_ups=overdue,
                next_follow_up=next_due,
            )
        )
    return rows


def shown(model: ClientTableModel) -> list[ClientRow]:
    return model.visible_rows()


def brute_force(
    rows: list[ClientRow], text: str, conditions: ClientFilter | None = None
) -> set[int]:
    words = text.lower().split()
    passing = conditions or ClientFilter()
    return {r.id for r in rows if all(w in r.search_text for w in words) and passing.matches(r)}


@pytest.fixture(scope="module")
def rows() -> list[ClientRow]:
    """Ten thousand rows, made once: rows are frozen and no test changes the list."""
    return make_rows(10_000)


def test_qt_model_tester_finds_nothing_wrong(qtbot: QtBot, qtlog: object) -> None:
    model = ClientTableModel()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_rows(make_rows(50))
    model.set_filter("an")
    model.sort(Column.COMPANY, Qt.SortOrder.DescendingOrder)
    model.set_filter("an lead")
    model.set_client_filter(ClientFilter(statuses=frozenset({ClientStatus.LEAD})))
    model.sort(Column.NEXT_FOLLOW_UP, Qt.SortOrder.AscendingOrder)
    model.set_filter("")
    model.set_stage_order({7: 0, 3: 1})
    model.sort(Column.STAGE, Qt.SortOrder.DescendingOrder)
    model.set_client_filter(ClientFilter())
    model.sort(Column.UPDATED, Qt.SortOrder.AscendingOrder)
    model.set_rows(make_rows(20, seed=9))
    model.clear()
    del tester
    records = qtlog.records  # type: ignore[attr-defined]
    failures = [r.message for r in records if r.context and r.context.category == "qt.modeltest"]
    assert failures == []


def test_columns_show_the_row(qtbot: QtBot) -> None:
    model = ClientTableModel()
    row = make_rows(1)[0]
    model.set_rows([row])
    cells = [model.data(model.index(0, c)) for c in Column]
    assert cells[:4] == [row.name, row.email, row.phone, row.company]
    assert cells[Column.STATUS] == row.status.value.capitalize()
    assert cells[Column.STAGE] == row.stage_name
    assert cells[Column.TAGS] == ", ".join(row.tags)
    assert model.columnCount() == len(Column) == 9
    assert model.headerData(Column.NEXT_FOLLOW_UP, Qt.Orientation.Horizontal) == "Next follow-up"
    assert model.data(model.index(0, 0), ID_ROLE) == row.id
    assert model.headerData(Column.EMAIL, Qt.Orientation.Horizontal) == "E-mail"
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


@pytest.mark.parametrize(
    "text",
    ["an", "ANNA", "  lead  ", "lead interview", "northwind active", "@example.com 7", "zzz-none"],
)
def test_filter_matches_every_word_anywhere(qtbot: QtBot, rows: list[ClientRow], text: str) -> None:
    model = ClientTableModel()
    model.set_rows(rows)
    model.set_filter(text)
    assert {r.id for r in shown(model)} == brute_force(rows, text)
    assert model.rowCount() == len(shown(model))


def test_filter_as_you_type_narrows_and_widens(qtbot: QtBot, rows: list[ClientRow]) -> None:
    model = ClientTableModel()
    model.set_rows(rows)
    counts: list[tuple[int, int]] = []
    model.counts_changed.connect(lambda a, b: counts.append((a, b)))
    typed = ""
    for ch in "chloé lead":
        typed += ch
        model.set_filter(typed)
        assert {r.id for r in shown(model)} == brute_force(rows, typed)
    while typed:
        typed = typed[:-1]
        model.set_filter(typed)
        assert {r.id for r in shown(model)} == brute_force(rows, typed)
    assert model.rowCount() == 10_000
    assert counts[-1] == (10_000, 10_000)


def test_sorting_keeps_the_filter_and_puts_empty_values_last(
    qtbot: QtBot, rows: list[ClientRow]
) -> None:
    model = ClientTableModel()
    model.set_rows(rows)
    model.set_filter("a")
    expected = brute_force(rows, "a")

    model.sort(Column.EMAIL, Qt.SortOrder.AscendingOrder)
    emails = [r.email for r in shown(model)]
    filled = [e for e in emails if e]
    assert filled == sorted(filled, key=str.casefold)
    assert emails[len(filled) :] == [""] * (len(emails) - len(filled))

    model.sort(Column.UPDATED, Qt.SortOrder.DescendingOrder)
    times = [r.updated_at for r in shown(model)]
    assert times == sorted(times, reverse=True)

    model.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    names = [r.name.casefold() for r in shown(model)]
    assert names == sorted(names, reverse=True)
    assert {r.id for r in shown(model)} == expected

    model.sort(Column.STATUS, Qt.SortOrder.AscendingOrder)
    order = list(ClientStatus)
    assert [order.index(r.status) for r in shown(model)] == sorted(
        order.index(r.status) for r in shown(model)
    )


def test_new_rows_keep_sort_and_filter(qtbot: QtBot, rows: list[ClientRow]) -> None:
    model = ClientTableModel()
    model.set_rows(rows[:5000])
    model.sort(Column.COMPANY, Qt.SortOrder.AscendingOrder)
    model.set_filter("lead")
    model.set_rows(rows)
    assert model.filter_text == "lead"
    assert model.sort_column is Column.COMPANY
    assert {r.id for r in shown(model)} == brute_force(rows, "lead")
    companies = [r.company.casefold() for r in shown(model) if r.company]
    assert companies == sorted(companies)


def test_sort_keeps_the_selection_on_the_same_client(qtbot: QtBot) -> None:
    from PySide6.QtCore import QPersistentModelIndex

    model = ClientTableModel()
    model.set_rows(make_rows(200))
    marked = QPersistentModelIndex(model.index(17, 2))
    client_id = model.id_at(17)
    model.sort(Column.UPDATED, Qt.SortOrder.DescendingOrder)
    assert marked.isValid()
    assert model.id_at(marked.row()) == client_id
    assert marked.column() == 2


def test_clear_forgets_rows_and_filter(qtbot: QtBot, rows: list[ClientRow]) -> None:
    model = ClientTableModel()
    model.set_rows(rows)
    model.set_filter("lead")
    model.clear()
    assert model.rowCount() == 0
    assert model.total_count == 0
    assert model.filter_text == ""


def follow_up_row(overdue: int, due: datetime | None) -> ClientRow:
    return ClientRow(
        1,
        "Ada",
        "",
        "",
        "",
        ClientStatus.ACTIVE,
        (),
        START,
        overdue_follow_ups=overdue,
        next_follow_up=due,
    )


def test_overdue_follow_ups_stand_out(qtbot: QtBot) -> None:
    model = ClientTableModel()
    model.set_rows([follow_up_row(2, START)])
    cell = model.index(0, Column.NEXT_FOLLOW_UP)
    assert cell.data() == "Overdue (2)"
    assert cell.data(Qt.ItemDataRole.ForegroundRole) == OVERDUE_COLOR
    assert cell.data(Qt.ItemDataRole.FontRole).bold()
    assert "2 follow-ups are overdue" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, Column.NAME).data(Qt.ItemDataRole.FontRole) is None

    soon = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=40)
    model.set_rows([follow_up_row(0, soon)])
    cell = model.index(0, Column.NEXT_FOLLOW_UP)
    assert cell.data() == due_text(soon)
    assert cell.data(Qt.ItemDataRole.ForegroundRole) is None
    assert cell.data(Qt.ItemDataRole.ToolTipRole).startswith("Next follow-up due ")

    model.set_rows([follow_up_row(0, None)])
    assert model.index(0, Column.NEXT_FOLLOW_UP).data() == ""


def test_due_text_is_local_and_relative(qtbot: QtBot) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    local = now.replace(tzinfo=UTC).astimezone()
    assert due_text(now) == f"Today {local:%H:%M}"
    assert due_text(now + timedelta(days=1)).startswith("Tomorrow ")
    far = datetime(2031, 3, 12, 9, 30)
    far_local = far.replace(tzinfo=UTC).astimezone()
    assert due_text(far) == f"{far_local.day} {far_local:%b %Y, %H:%M}"


FILTERS = [
    ClientFilter(statuses=frozenset({ClientStatus.LEAD, ClientStatus.ACTIVE})),
    ClientFilter(stage_ids=frozenset({3, 5}), types=frozenset({ClientType.GROUP})),
    ClientFilter(tags=frozenset({TAGS[0]}), lead_sources=frozenset({"referral", ""})),
    ClientFilter(objectives=frozenset({Objective.NONE}), overdue_only=True),
]


@pytest.mark.parametrize("conditions", FILTERS)
@pytest.mark.parametrize("text", ["", "an", "lead proposal", "zzz-none"])
def test_client_filter_and_typed_words_combine(
    qtbot: QtBot, rows: list[ClientRow], conditions: ClientFilter, text: str
) -> None:
    model = ClientTableModel()
    model.set_rows(rows)
    model.set_filter(text)
    model.set_client_filter(conditions)
    assert {r.id for r in shown(model)} == brute_force(rows, text, conditions)
    model.set_filter(text + "a")
    assert {r.id for r in shown(model)} == brute_force(rows, text + "a", conditions)
    model.set_filter("")
    assert {r.id for r in shown(model)} == brute_force(rows, "", conditions)
    assert model.total_count == 10_000


def test_typing_with_a_client_filter_narrows_and_widens(
    qtbot: QtBot, rows: list[ClientRow]
) -> None:
    model = ClientTableModel()
    model.set_rows(rows)
    conditions = FILTERS[0]
    model.set_client_filter(conditions.with_(text="ignored by the model: set_filter has words"))
    assert model.client_filter.text == ""
    counts: list[tuple[int, int]] = []
    model.counts_changed.connect(lambda a, b: counts.append((a, b)))
    typed = ""
    for ch in "chloé":
        typed += ch
        model.set_filter(typed)
        assert {r.id for r in shown(model)} == brute_force(rows, typed, conditions)
    while typed:
        typed = typed[:-1]
        model.set_filter(typed)
    assert {r.id for r in shown(model)} == brute_force(rows, "", conditions)
    assert counts[-1] == (len(brute_force(rows, "", conditions)), 10_000)

    model.set_rows(rows[:100])
    assert {r.id for r in shown(model)} == brute_force(rows[:100], "", conditions)
    model.clear()
    assert model.client_filter.is_empty


def test_sorting_by_stage_follows_the_board_and_by_follow_up_puts_none_last(
    qtbot: QtBot, rows: list[ClientRow]
) -> None:
    model = ClientTableModel()
    model.set_rows(rows)
    model.set_stage_order({stage_id: i for i, (stage_id, _name) in enumerate(STAGES)})
    model.sort(Column.STAGE, Qt.SortOrder.AscendingOrder)
    order = [stage_id for stage_id, _name in STAGES]
    staged = [r.stage_id for r in shown(model)]
    placed = [s for s in staged if s is not None]
    assert placed == sorted(placed, key=order.index)
    assert staged[len(placed) :] == [None] * (len(staged) - len(placed))

    model.set_stage_order({stage_id: -i for i, (stage_id, _name) in enumerate(STAGES)})
    placed = [r.stage_id for r in shown(model) if r.stage_id is not None]
    assert placed == sorted(placed, key=order.index, reverse=True)

    model.sort(Column.NEXT_FOLLOW_UP, Qt.SortOrder.DescendingOrder)
    dues = [r.next_follow_up for r in shown(model)]
    filled = [d for d in dues if d is not None]
    assert filled == sorted(filled, reverse=True)
    assert dues[len(filled) :] == [None] * (len(dues) - len(filled))
