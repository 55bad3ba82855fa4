"""Settings → Assistant: the model in use, choosing another, the numbers, and a real test run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from coachdesk.ai.models import ModelInfo, default_model_path, inspect_model
from coachdesk.paths import models_dir
from coachdesk.services import ai as ai_service
from coachdesk.settings import AI_CONTEXT, AI_IDLE_MINUTES, AI_MODEL, AI_THREADS, MachineSettings
from coachdesk.store.keychain import MemoryStore
from coachdesk.ui.assistant_ops import AiOps
from coachdesk.ui.lanes import Lane
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.views.ai_settings import PRIVACY_NOTE, AiSettings
from coachdesk.ui.views.settings import SettingsView

MODEL_MS = 120_000
# Reading a model file's header takes a few seconds on a busy machine.
LANE_MS = 60_000


@pytest.fixture
def machine(tmp_path: Path) -> MachineSettings:
    return MachineSettings(tmp_path / "settings.json")


@pytest.fixture
def ai(qtbot: QtBot, machine: MachineSettings) -> Iterator[AiOps]:
    lane = Lane("db")
    made = AiOps(VaultOps(lane), machine)
    yield made
    made.shutdown()
    lane.shutdown(wait=True)


@pytest.fixture(scope="module")
def bundled() -> ModelInfo:
    return inspect_model(default_model_path())


def section(qtbot: QtBot, ai: AiOps) -> AiSettings:
    widget = AiSettings(ai)
    qtbot.addWidget(widget)
    widget.resize(760, 900)
    widget.show()
    qtbot.waitUntil(lambda: widget.is_loaded, timeout=LANE_MS)
    return widget


def answer_file_dialog(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[tuple[object, ...]]:
    asked: list[tuple[object, ...]] = []

    def fake(*args: object) -> tuple[str, str]:
        asked.append(args)
        return str(path), "GGUF models (*.gguf)"

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake))
    return asked


def item_texts(widget: AiSettings) -> list[str]:
    return [widget.models.item(row).text() for row in range(widget.models.count())]


def test_the_bundled_model_is_listed_and_shown_in_use(
    qtbot: QtBot, ai: AiOps, bundled: ModelInfo
) -> None:
    widget = section(qtbot, ai)

    assert widget.model_name.text() == bundled.name
    assert widget.model_kind.text() == f"{bundled.parameters} parameters · llama"
    assert widget.model_size.text() == bundled.size_text
    assert widget.model_trained.text() == f"{bundled.trained_context:,} tokens of context"
    assert widget.model_source.text() == "Bundled with CoachDesk"
    assert widget.model_path.text() == str(default_model_path())
    assert not widget.banner.isVisible()
    first = item_texts(widget)[0]
    assert first.startswith(f"{bundled.name}  ✓ in use")
    assert "bundled with CoachDesk" in first
    assert not widget.bundled_button.isEnabled()  # it is the bundled one already
    assert widget.test_button.isEnabled()
    notes = [label.text() for label in widget.findChildren(QLabel)]
    assert PRIVACY_NOTE in notes


def test_models_in_the_folder_are_listed_and_unusable_ones_greyed(qtbot: QtBot, ai: AiOps) -> None:
    folder = models_dir()
    folder.mkdir(parents=True)
    (folder / "notes.gguf").write_bytes(b"hello")

    widget = section(qtbot, ai)

    texts = item_texts(widget)
    assert len(texts) == 2
    assert texts[1].startswith("notes.gguf\n“notes.gguf” is not a GGUF model.")
    assert not widget.models.item(1).flags() & Qt.ItemFlag.ItemIsEnabled
    assert widget.models.item(0).flags() & Qt.ItemFlag.ItemIsEnabled


def test_a_file_that_is_not_a_model_is_refused_and_nothing_changes(
    qtbot: QtBot,
    ai: AiOps,
    machine: MachineSettings,
    bundled: ModelInfo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = tmp_path / "x.gguf"
    fake.write_bytes(b"hello")
    asked = answer_file_dialog(monkeypatch, fake)
    widget = section(qtbot, ai)
    changes: list[None] = []
    ai.model_changed.connect(lambda: changes.append(None))

    qtbot.mouseClick(widget.choose_button, Qt.MouseButton.LeftButton)

    assert asked and asked[0][3] == "GGUF models (*.gguf);;All files (*)"
    qtbot.waitUntil(lambda: "is not a GGUF model" in widget.choose_status.text(), timeout=LANE_MS)
    assert widget.choose_status.text().startswith("“x.gguf” is not a GGUF model.")
    assert widget.choose_status.text().endswith("Nothing was changed.")
    assert widget.choose_button.isEnabled()
    assert machine.get(AI_MODEL) == ""
    assert widget.model_name.text() == bundled.name
    assert not changes


def test_choosing_the_bundled_file_by_path_puts_it_in_use(
    qtbot: QtBot,
    ai: AiOps,
    machine: MachineSettings,
    bundled: ModelInfo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    machine.set(AI_MODEL, str(tmp_path / "gone.gguf"))
    widget = section(qtbot, ai)
    assert widget.banner.isVisible()
    assert widget.banner.text().startswith(f"There is no model file at “{tmp_path / 'gone.gguf'}”")
    assert "writes drafts by rules" in widget.banner.text()
    assert widget.model_name.text() == "gone.gguf (cannot run now)"
    assert not widget.test_button.isEnabled()
    assert item_texts(widget)[-1].startswith("gone.gguf  (chosen, cannot run)")

    answer_file_dialog(monkeypatch, default_model_path())
    with qtbot.waitSignal(ai.model_changed, timeout=LANE_MS):
        qtbot.mouseClick(widget.choose_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: widget.model_name.text() == bundled.name, timeout=LANE_MS)
    assert widget.choose_status.text() == f"Now using “{bundled.name}”. The next draft uses it."
    assert not widget.banner.isVisible()
    assert widget.model_source.text() == "Bundled with CoachDesk"
    assert ai_service.model_in_use(machine).info is not None
    assert ai_service.current_model_path(machine) == default_model_path()
    assert item_texts(widget)[0].startswith(f"{bundled.name}  ✓ in use")
    assert widget.test_button.isEnabled()


def test_use_this_one_and_back_to_the_bundled_model(
    qtbot: QtBot, ai: AiOps, machine: MachineSettings, bundled: ModelInfo, tmp_path: Path
) -> None:
    machine.set(AI_MODEL, str(tmp_path / "gone.gguf"))
    widget = section(qtbot, ai)
    assert widget.bundled_button.isEnabled()
    assert not widget.use_button.isEnabled()  # nothing selected

    first = widget.models.visualItemRect(widget.models.item(0)).center()
    qtbot.mouseClick(widget.models.viewport(), Qt.MouseButton.LeftButton, pos=first)
    assert widget.use_button.isEnabled()
    last = widget.models.visualItemRect(widget.models.item(1)).center()
    qtbot.mouseClick(widget.models.viewport(), Qt.MouseButton.LeftButton, pos=last)
    assert not widget.models.item(1).isSelected()  # greyed: cannot be picked

    with qtbot.waitSignal(ai.model_changed, timeout=LANE_MS):
        qtbot.mouseClick(widget.use_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: widget.model_name.text() == bundled.name, timeout=LANE_MS)
    assert machine.get(AI_MODEL) == ""
    assert not widget.use_button.isEnabled()  # the selected one is in use now
    assert not widget.bundled_button.isEnabled()

    machine.set(AI_MODEL, str(tmp_path / "gone.gguf"))
    widget.reload()
    qtbot.waitUntil(widget.bundled_button.isEnabled, timeout=LANE_MS)
    with qtbot.waitSignal(ai.model_changed, timeout=LANE_MS):
        qtbot.mouseClick(widget.bundled_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: widget.model_name.text() == bundled.name, timeout=LANE_MS)
    assert machine.get(AI_MODEL) == ""


def test_threads_context_and_idle_time_are_stored(
    qtbot: QtBot, ai: AiOps, machine: MachineSettings
) -> None:
    widget = section(qtbot, ai)
    assert widget.threads.text() == "Automatic (all but one core)"
    assert widget.threads.maximum() == (os.cpu_count() or 1)
    assert widget.context.value() == 4096
    assert widget.idle.value() == 5

    qtbot.keyClick(widget.threads, Qt.Key.Key_Up)
    widget.context.selectAll()
    qtbot.keyClicks(widget.context, "16384")
    with qtbot.waitSignal(ai.model_changed, timeout=LANE_MS):
        qtbot.keyClick(widget.context, Qt.Key.Key_Return)
        qtbot.keyClick(widget.idle, Qt.Key.Key_Up)

    assert machine.get(AI_THREADS) == 1
    assert machine.get(AI_CONTEXT) == 16384
    assert machine.get(AI_IDLE_MINUTES) == 6
    host = ai_service.make_host(machine)
    assert (host.threads, host.requested_context, host.idle_seconds) == (1, 16384, 360.0)

    fresh = section(qtbot, ai)
    assert (fresh.threads.value(), fresh.context.value(), fresh.idle.value()) == (1, 16384, 6)


def test_a_pending_change_is_stored_when_the_section_hides(
    qtbot: QtBot, ai: AiOps, machine: MachineSettings
) -> None:
    widget = section(qtbot, ai)
    with qtbot.waitSignal(ai.model_changed, timeout=LANE_MS):
        qtbot.keyClick(widget.idle, Qt.Key.Key_Down)
        widget.hide()
    assert machine.get(AI_IDLE_MINUTES) == 4


def test_testing_the_model_shows_the_context_it_really_runs_with(
    qtbot: QtBot, ai: AiOps, machine: MachineSettings, bundled: ModelInfo
) -> None:
    machine.set(AI_CONTEXT, 131072)
    widget = section(qtbot, ai)
    assert widget.context.text() == "131,072 tokens"

    qtbot.mouseClick(widget.test_button, Qt.MouseButton.LeftButton)
    assert widget.test_progress.isVisible() and widget.cancel_button.isVisible()
    assert not widget.test_button.isEnabled() and not widget.choose_button.isEnabled()
    qtbot.waitUntil(lambda: widget.test_result.text().startswith("Loaded in"), timeout=MODEL_MS)

    real = min(131072, bundled.trained_context)
    text = widget.test_result.text()
    assert f"runs with {real:,} tokens of context (trained for {bundled.trained_context:,})" in text
    assert "tokens per second" in text
    assert f"You asked for 131,072 tokens of context; it runs with {real:,}" in text
    check = widget.last_check
    assert check is not None and check.context == real and check.tokens > 0
    assert not widget.test_progress.isVisible() and not widget.cancel_button.isVisible()
    assert widget.test_button.isEnabled()


def test_testing_with_a_small_context_says_nothing_about_a_cap(
    qtbot: QtBot, ai: AiOps, machine: MachineSettings
) -> None:
    machine.set(AI_CONTEXT, 1024)
    widget = section(qtbot, ai)
    qtbot.mouseClick(widget.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: widget.test_result.text().startswith("Loaded in"), timeout=MODEL_MS)
    assert "runs with 1,024 tokens of context" in widget.test_result.text()
    assert "You asked for" not in widget.test_result.text()


def test_a_test_run_can_be_cancelled(qtbot: QtBot, ai: AiOps) -> None:
    widget = section(qtbot, ai)
    qtbot.mouseClick(widget.test_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(widget.cancel_button, Qt.MouseButton.LeftButton)
    assert widget.test_result.text() == "Stopping…"
    qtbot.waitUntil(lambda: widget.test_button.isEnabled(), timeout=MODEL_MS)
    assert widget.test_result.text() == "Test cancelled. The model was unloaded."
    assert widget.last_check is None
    assert not widget.test_progress.isVisible()


def test_settings_shows_the_section_when_given_the_assistant(qtbot: QtBot, ai: AiOps) -> None:
    view = SettingsView(ai.ops, MemoryStore(available=False), ai=ai)
    qtbot.addWidget(view)
    assert view.assistant is not None
    section = view.assistant
    qtbot.waitUntil(lambda: section.is_loaded, timeout=LANE_MS)
    plain = SettingsView(ai.ops, MemoryStore(available=False))
    qtbot.addWidget(plain)
    assert plain.assistant is None
