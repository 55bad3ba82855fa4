"""The search palette as a coach uses it: type a word, see ranked hits, open one with Enter."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.services import clients, crm, vaults
from coachdesk.ui.app import AppController
from coachdesk.ui.dialogs.search_palette import HIT_ROLE, HTML_ROLE, SearchPalette
from coachdesk.ui.main_window import MainWindow
from tests.conftest import PASSPHRASE
from tests.ui.conftest import WAIT_MS, MakeController, activate, open_app


@dataclass(frozen=True)
class Seeded:
    margaret: int
    tom: int
    first_note: int
    second_note: int


@pytest.fixture
def seeded(existing_vault: Path) -> Seeded:
    """Two clients and two of Tom's session notes, stored before the app opens the vault."""
    vault = vaults.unlock(existing_vault, PASSPHRASE, "coach@test")
    try:
        margaret = clients.create_client(
            vault, ClientDraft(first_name="Margaret", last_name="Okonkwo", company="Northwind")
        )
        tom = clients.create_client(vault, ClientDraft(first_name="Tom", last_name="Baker"))
        first = crm.add_note(
            vault,
            tom.id,
            NoteDraft(NoteKind.SESSION, date(2025, 3, 3), "We rehearsed the salary talk <twice>."),
        )
        second = crm.add_note(
            vault,
            tom.id,
            NoteDraft(NoteKind.SESSION, date(2025, 3, 10), "He asked for a salary review & won."),
        )
    finally:
        vault.close()
    return Seeded(margaret.id, tom.id, first.id, second.id)


@pytest.fixture
def app(make_controller: MakeController, seeded: Seeded, qtbot: QtBot) -> AppController:
    """The app unlocked on the seeded vault."""
    controller = make_controller(passphrase=PASSPHRASE)
    open_app(qtbot, controller)
    return controller


@pytest.fixture
def palette(qtbot: QtBot, app: AppController, window: MainWindow) -> SearchPalette:
    """The palette over the main window, shown and focused."""
    activate(qtbot, window)
    palette = SearchPalette(app.ops, window)
    palette.popup()
    qtbot.waitUntil(palette.isVisible, timeout=WAIT_MS)
    return palette


def test_a_misspelt_name_finds_the_client_with_the_name_in_bold(
    qtbot: QtBot, palette: SearchPalette, seeded: Seeded
) -> None:
    assert palette.message_title.text() == "Search everything"
    assert "small typos are fine" in palette.message.text()

    qtbot.keyClicks(palette.edit, "margret")
    qtbot.waitUntil(lambda: bool(palette.hits), timeout=WAIT_MS)
    hit = palette.hits[0]
    assert (hit.kind, hit.client_id, hit.client_name) == (
        "client",
        seeded.margaret,
        "Margaret Okonkwo",
    )
    assert "<b>Margaret</b>" in palette.results.item(0).data(HTML_ROLE)
    assert palette.results.currentRow() == 0
    assert palette.found.text() == "1 result"


def test_a_word_from_a_note_finds_the_note_and_enter_opens_the_chosen_one(
    qtbot: QtBot, palette: SearchPalette, seeded: Seeded
) -> None:
    qtbot.keyClicks(palette.edit, "salary")
    qtbot.waitUntil(lambda: len(palette.hits) == 2, timeout=WAIT_MS)
    assert {h.kind for h in palette.hits} == {"note"}
    assert {h.ref_id for h in palette.hits} == {seeded.first_note, seeded.second_note}
    assert all(h.client_name == "Tom Baker" for h in palette.hits)
    for row in range(2):
        text = palette.results.item(row).data(HTML_ROLE)
        assert "<b>salary</b>" in text
        assert "<twice>" not in text and "& won" not in text  # escaped, never markup

    qtbot.keyClick(palette.edit, Qt.Key.Key_Down)
    assert palette.results.currentRow() == 1
    chosen = palette.results.item(1).data(HIT_ROLE)
    with qtbot.waitSignal(palette.open_requested, timeout=WAIT_MS) as opened:
        qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    assert opened.args == ["note", seeded.tom, chosen.ref_id]
    assert not palette.isVisible()


def test_enter_typed_before_the_hits_arrive_opens_the_best_one(
    qtbot: QtBot, palette: SearchPalette, seeded: Seeded
) -> None:
    qtbot.keyClicks(palette.edit, "okonkwo")
    with qtbot.waitSignal(palette.open_requested, timeout=WAIT_MS) as opened:
        qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    assert opened.args == ["client", seeded.margaret, seeded.margaret]


def test_popup_with_text_searches_it_and_reopening_keeps_the_last_search(
    qtbot: QtBot, palette: SearchPalette, seeded: Seeded
) -> None:
    palette.hide()
    palette.popup("salary")
    qtbot.waitUntil(lambda: len(palette.hits) == 2, timeout=WAIT_MS)
    palette.hide()
    palette.popup()
    assert palette.isVisible()
    assert palette.edit.selectedText() == "salary"
    qtbot.waitUntil(lambda: len(palette.hits) == 2, timeout=WAIT_MS)


def test_no_matches_says_so_and_escape_closes(qtbot: QtBot, palette: SearchPalette) -> None:
    qtbot.keyClicks(palette.edit, "xyzzy")
    qtbot.waitUntil(lambda: palette.message_title.text() == "No matches", timeout=WAIT_MS)
    assert palette.message.text() == "No matches for “xyzzy”. Try fewer words."
    assert palette.message.isVisible()
    assert not palette.results.isVisible()

    palette.edit.clear()
    assert palette.message_title.text() == "Search everything"
    qtbot.keyClick(palette.edit, Qt.Key.Key_Escape)
    assert not palette.isVisible()


def test_only_the_latest_query_is_shown(
    qtbot: QtBot, app: AppController, palette: SearchPalette, seeded: Seeded
) -> None:
    release = threading.Event()
    app.lane.run(lambda _job: release.wait(WAIT_MS / 1000), context="holding the lane")
    shown: list[str] = []
    palette.results.model().rowsInserted.connect(
        lambda *_a: shown.append(palette.results.item(0).data(HIT_ROLE).kind)
    )
    try:
        qtbot.keyClicks(palette.edit, "salary")
        qtbot.wait(400)  # the pause has passed: "salary" waits on the lane
        palette.edit.clear()
        qtbot.keyClicks(palette.edit, "okonkwo")
        qtbot.wait(400)
    finally:
        release.set()
    qtbot.waitUntil(lambda: bool(palette.hits), timeout=WAIT_MS)
    qtbot.wait(100)
    assert [h.client_id for h in palette.hits] == [seeded.margaret]
    assert shown == ["client"]


def test_locking_closes_the_palette_and_forgets_the_query(
    qtbot: QtBot, app: AppController, window: MainWindow, palette: SearchPalette
) -> None:
    qtbot.keyClicks(palette.edit, "margret")
    qtbot.waitUntil(lambda: bool(palette.hits), timeout=WAIT_MS)
    app.lock()
    assert not palette.isVisible()
    assert palette.edit.text() == ""
    assert palette.results.count() == 0
