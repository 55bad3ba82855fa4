"""The client list model, without a window: Qt's model tester, filtering and sorting 10,000 rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientRow, ClientStatus
from coachdesk.services.demo import COMPANIES, FIRST, LAST, TAGS
from coachdesk.ui.models.client_table import ID_ROLE, ClientTableModel, Column

START = datetime(2024, 1, 1, 9, 0)


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
        search = " ".join((name, first, email, phone, company, status.value, *tags)).lower()
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
            )
        )
    return rows


def shown(model: ClientTableModel) -> list[ClientRow]:
    return model.visible_rows()


def brute_force(rows: list[ClientRow], text: str) -> set[int]:
    words = text.lower().split()
    return {r.id for r in rows if all(w in r.search_text for w in words)}


@pytest.fixture
def rows() -> list[ClientRow]:
    return make_rows(10_000)


def test_qt_model_tester_finds_nothing_wrong(qtbot: QtBot, qtlog: object) -> None:
    model = ClientTableModel()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_rows(make_rows(50))
    model.set_filter("an")
    model.sort(Column.COMPANY, Qt.SortOrder.DescendingOrder)
    model.set_filter("an lead")
    model.set_filter("")
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
    assert cells[Column.TAGS] == ", ".join(row.tags)
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
