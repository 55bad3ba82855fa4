"""AiOps: a draft prepared and stored on the db lane, written on the llm lane, streamed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from coachdesk.domain.compliance import AiTask, ConsentMethod, Purpose
from coachdesk.domain.crm import NoteDraft, NoteKind
from coachdesk.services import assistant, clients, compliance, crm
from coachdesk.settings import AI_MODEL, AI_THREADS, MachineSettings
from coachdesk.store.vault import Vault
from coachdesk.ui.assistant_ops import AiOps, DraftRun
from coachdesk.ui.ops import VaultOps
from tests.store.util import sample_draft

NOTE = "Ada will update her CV by Friday. I will send her two job ads on Monday."
MODEL_MS = 300_000


@pytest.fixture
def ada(vault: Vault) -> int:
    client = clients.create_client(vault, sample_draft(1, first_name="Ada", preferred_name=""))
    compliance.give_consent(vault, client.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    crm.add_note(vault, client.id, NoteDraft(NoteKind.SESSION, date.today(), NOTE))
    return client.id


def make_ai(ops: VaultOps, settings: MachineSettings) -> Iterator[AiOps]:
    made = AiOps(ops, settings)
    yield made
    made.shutdown()


@pytest.fixture
def real(ops: VaultOps, tmp_path: Path) -> Iterator[AiOps]:
    settings = MachineSettings(tmp_path / "machine.json")
    settings.set(AI_THREADS, 2)
    yield from make_ai(ops, settings)


@pytest.fixture
def no_model(ops: VaultOps, tmp_path: Path) -> Iterator[AiOps]:
    settings = MachineSettings(tmp_path / "machine.json")
    settings.set(AI_MODEL, str(tmp_path / "gone.gguf"))
    yield from make_ai(ops, settings)


class Watch:
    """What a run emitted, in order, and on which thread."""

    def __init__(self, run: DraftRun) -> None:
        self.events: list[str] = []
        self.pieces: list[str] = []
        self.threads: set[int] = set()
        self.result: object = None
        run.piece.connect(self._piece)
        run.succeeded.connect(lambda d: self._end("succeeded", d))
        run.failed.connect(lambda f: self._end("failed", f))
        run.cancelled.connect(lambda: self._end("cancelled", None))
        run.finished.connect(lambda: self.events.append("finished"))

    def _piece(self, text: str) -> None:
        self.threads.add(threading.get_ident())
        if not self.pieces:
            self.events.append("piece")
        self.pieces.append(text)

    def _end(self, name: str, value: object) -> None:
        self.events.append(name)
        self.result = value


def test_without_a_model_the_rules_write_it_and_say_why(
    qtbot: QtBot, no_model: AiOps, ada: int, vault: Vault
) -> None:
    run = no_model.draft(AiTask.ACTION_ITEMS, ada)
    watch = Watch(run)
    qtbot.waitUntil(lambda: "finished" in watch.events, timeout=30_000)
    assert watch.events == ["succeeded", "finished"]
    draft = watch.result
    assert isinstance(draft, assistant.Draft) and draft.flags.fallback
    assert "no model file" in run.model_problem
    assert [d.id for d in assistant.list_drafts(vault)] == [draft.id]


def test_a_blocked_task_fails_with_the_reason_and_never_reaches_the_model(
    qtbot: QtBot, no_model: AiOps, vault: Vault
) -> None:
    bo = clients.create_client(vault, sample_draft(2, first_name="Bo", preferred_name="")).id
    run = no_model.draft(AiTask.SESSION_SUMMARY, bo)
    watch = Watch(run)
    qtbot.waitUntil(lambda: "finished" in watch.events, timeout=30_000)
    assert watch.events == ["failed", "finished"]
    assert "has not agreed to AI assistance" in watch.result.message  # type: ignore[attr-defined]
    assert not no_model.lane.busy and assistant.list_drafts(vault) == []


def test_the_model_streams_to_the_gui_thread_before_the_draft_is_kept(
    qtbot: QtBot, real: AiOps, ada: int, vault: Vault
) -> None:
    run = real.draft(AiTask.SESSION_SUMMARY, ada)
    watch = Watch(run)
    qtbot.waitUntil(lambda: "finished" in watch.events, timeout=MODEL_MS)
    assert watch.events == ["piece", "succeeded", "finished"]
    assert watch.threads == {threading.get_ident()}  # delivered on the GUI thread
    draft = watch.result
    assert isinstance(draft, assistant.Draft) and not draft.flags.fallback
    assert draft.output.strip() and "".join(watch.pieces).strip()


def test_cancel_after_the_first_piece_keeps_nothing(
    qtbot: QtBot, real: AiOps, ada: int, vault: Vault
) -> None:
    run = real.draft(AiTask.SESSION_SUMMARY, ada)
    watch = Watch(run)
    run.piece.connect(lambda _t: run.cancel())
    qtbot.waitUntil(lambda: "finished" in watch.events, timeout=MODEL_MS)
    assert watch.events == ["piece", "cancelled", "finished"]
    qtbot.waitUntil(lambda: not real.lane.busy, timeout=MODEL_MS)
    assert assistant.list_drafts(vault) == []


def test_changing_the_settings_unloads_the_model(qtbot: QtBot, real: AiOps, ada: int) -> None:
    watch = Watch(real.draft(AiTask.SESSION_PREP, ada))
    qtbot.waitUntil(lambda: "finished" in watch.events, timeout=MODEL_MS)
    host = real._host
    assert host is not None and host.loaded
    with qtbot.waitSignal(real.model_changed):
        real.settings_changed()
    qtbot.waitUntil(lambda: not real.lane.busy, timeout=MODEL_MS)
    assert real._host is None and not host.loaded


def test_the_model_state_is_read_while_a_draft_holds_the_model(
    qtbot: QtBot, no_model: AiOps
) -> None:
    release = threading.Event()
    no_model.lane.run(lambda _job: release.wait(60), context="a long draft")
    states: list[object] = []
    no_model.model_state(states.append)
    try:
        qtbot.waitUntil(lambda: bool(states), timeout=30_000)
        assert no_model.lane.busy  # the llm lane was still busy with the "draft"
    finally:
        release.set()
    qtbot.waitUntil(lambda: not no_model.lane.busy, timeout=30_000)
