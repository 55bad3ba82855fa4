"""The assistant in the app: drafts written on the llm lane, read and stored on the db lane.

A draft takes three steps. `assistant.prepare` checks the policy and consent and reads
the source on the db lane; `assistant.generate` runs the model on the llm lane (one
model, one call at a time, never touching the database), streaming its text back as
signals; `assistant.store` flags and keeps the draft on the db lane. The GUI thread only
starts the run and receives its pieces, so it stays free while the model writes.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance, Slot

from coachdesk.ui.lanes import Failure, Job, Lane

if TYPE_CHECKING:
    from coachdesk.ai.runtime import ModelHost
    from coachdesk.domain.compliance import AiTask
    from coachdesk.services.ai import ModelChoice
    from coachdesk.services.assistant import Draft, Generated, Prepared
    from coachdesk.settings import MachineSettings
    from coachdesk.store.vault import Vault
    from coachdesk.ui.ops import VaultOps

log = logging.getLogger(__name__)
IDLE_CHECK_MS = 30_000


def _prepare(
    vault: Vault,
    task: AiTask,
    client_id: int,
    note_id: int | None,
    text: str | None,
    session_id: int | None,
) -> Prepared:
    """Db lane: the policy, consent and source of a draft."""
    from coachdesk.services import assistant

    return assistant.prepare(vault, task, client_id, note_id, text, session_id)


def _store(vault: Vault, prepared: Prepared, made: Generated) -> Draft:
    """Db lane: keep a written draft (consent and policy checked again)."""
    from coachdesk.services import assistant

    return assistant.store(vault, prepared, made)


class DraftRun(QObject):
    """One draft being written; lives on the GUI thread.

    Signals:
        piece: a piece of text as the model streams it.
        progressed: (parts done, parts) while a long source is condensed.
        stage: what is happening now, in words ("Reading the notes…", "Writing…").
        succeeded: the stored Draft.
        failed: a Failure (blocked by policy or consent, an unusable model, a bug).
        cancelled: the coach cancelled; nothing was kept.
        finished: emitted last, whatever the outcome.
    """

    piece = Signal(str)
    progressed = Signal(int, int)
    stage = Signal(str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    _piece_ready = Signal(str)  # emitted on the llm worker, delivered here

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self.done = False
        self.model_problem = ""
        self._piece_ready.connect(self._on_piece_ready, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        """Stop between two tokens (or before the model starts); nothing is kept."""
        self.cancel_event.set()

    @Slot(str)
    def _on_piece_ready(self, text: str) -> None:
        if not self.done and not self.cancel_event.is_set():
            self.piece.emit(text)

    def _end(self, signal: SignalInstance, *args: Any) -> None:
        if self.done:
            return
        self.done = True
        signal.emit(*args)
        self.finished.emit()


class AiOps(QObject):
    """The llm lane, the model host, and draft runs across the db and llm lanes.

    Args:
        ops: the vault operations (db lane).
        settings: machine settings (which model, threads, context, idle minutes).
        parent: the owning QObject.

    Signals:
        model_changed: the model settings changed (views re-read the model's state).
        busy_changed: True while the model is writing.
    """

    model_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(
        self, ops: VaultOps, settings: MachineSettings, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.ops = ops
        self.settings = settings
        self.lane = Lane("llm", self)
        self.lane.busy_changed.connect(self.busy_changed)
        # Model files' headers and the machine settings: quick, and never behind a draft.
        self.files = Lane("model-files", self)
        self._host: ModelHost | None = None
        self._runs: list[DraftRun] = []
        ops.closed.connect(self._on_vault_closed)
        ops.opened.connect(self._warm_up)
        if ops.is_open:
            self._warm_up()
        self._idle = QTimer(self)
        self._idle.setInterval(IDLE_CHECK_MS)
        self._idle.timeout.connect(self._on_idle_check)
        self._idle.start()

    # The model ------------------------------------------------------------------------

    def _host_for(self) -> ModelHost | None:
        """llm lane: the host for the chosen model, or None when it cannot run."""
        from coachdesk.services import ai

        path = ai.current_model_path(self.settings)
        if self._host is not None and self._host.path == path and self._host.loaded:
            return self._host  # in memory already: its own size is not free memory
        choice = ai.model_in_use(self.settings)
        if choice.info is None:
            if self._host is not None:
                self._host.unload()
            return None
        if self._host is None or self._host.path != choice.path:
            if self._host is not None:
                self._host.unload()
            self._host = ai.make_host(self.settings)
        return self._host

    def model_state(
        self, on_done: Callable[[ModelChoice], None], owner: QObject | None = None
    ) -> None:
        """Read the chosen model's header (or why it cannot run) on the files lane."""
        from coachdesk.services import ai

        self.files.run(
            lambda _job: ai.model_in_use(self.settings),
            on_done=on_done,
            owner=owner,
            context="checking the model",
        )

    def settings_changed(self) -> None:
        """The model, threads, context or idle time changed: the next draft loads afresh."""

        def drop(_job: Job[None]) -> None:
            host, self._host = self._host, None
            if host is not None:
                host.unload()

        self.lane.run(drop, context="unloading the model")
        self.model_changed.emit()

    @Slot()
    def _on_idle_check(self) -> None:
        if self.lane.busy or self._host is None:
            return
        host = self._host
        self.lane.run(lambda _job: host.unload_if_idle(), context="unloading an idle model")

    # Drafts ---------------------------------------------------------------------------

    def draft(
        self,
        task: AiTask,
        client_id: int,
        *,
        note_id: int | None = None,
        text: str | None = None,
        session_id: int | None = None,
        owner: QObject | None = None,
    ) -> DraftRun:
        """Start writing a draft; connect to the returned run's signals to follow it.

        The service module is imported on the lanes, never here: it pulls in the document
        engine, whose import alone would hold the GUI thread for over a second.
        """
        run = DraftRun(owner or self)
        self._runs.append(run)
        run.finished.connect(lambda: self._runs.remove(run) if run in self._runs else None)

        def alive() -> bool:
            return shiboken6.isValid(run) and not run.done

        def failed(failure: Failure) -> None:
            if alive():
                run._end(run.failed, failure)

        def cancelled() -> None:
            if alive():
                run._end(run.cancelled)

        def stored(draft: Draft) -> None:
            if alive():
                run._end(run.succeeded, draft)

        def write(prepared: Prepared) -> None:
            if not alive():
                return
            if run.cancel_event.is_set():
                run._end(run.cancelled)
                return
            run.stage.emit("Writing…")

            def generate(job: Job[Generated]) -> Generated:
                host = self._host_for()
                if host is None:
                    from coachdesk.services import ai

                    run.model_problem = ai.model_in_use(self.settings).problem
                from coachdesk.services import assistant

                return assistant.generate(
                    prepared,
                    host,
                    run.cancel_event,
                    run._piece_ready.emit,
                    job.report_progress,
                )

            def keep(made: Generated) -> None:
                if not alive():
                    return
                if run.cancel_event.is_set():  # cancelled after the last token
                    cancelled()
                    return
                job = self.ops.run(
                    lambda vault: _store(vault, prepared, made),
                    on_done=stored,
                    on_error=failed,
                    changes="ai_draft",
                    context="keeping the draft",
                )
                if job is None:  # locked while the model wrote: nothing is kept
                    cancelled()

            def progressed(done: int, total: int) -> None:
                if alive():
                    run.progressed.emit(done, total)

            self.lane.run(
                generate,
                on_done=keep,
                on_error=failed,
                on_progress=progressed,
                on_cancelled=cancelled,
                context=f"writing {task.label.lower()}",
            )

        run.stage.emit("Reading the record…")
        job = self.ops.run(
            lambda vault: _prepare(vault, task, client_id, note_id, text, session_id),
            on_done=write,
            on_error=failed,
            context=f"preparing {task.label.lower()}",
        )
        if job is None:
            QTimer.singleShot(0, cancelled)
        return run

    @Slot()
    def _warm_up(self) -> None:
        """Load the assistant's services on the db lane as the vault opens, not with the
        first draft. Python's full garbage collections hold the GIL (and so the GUI) for as
        long as they take to walk every object; what exists by now lives as long as the app,
        so it is frozen out of them first (gc.freeze), and the import's passes stay short."""

        def load(_vault: Vault) -> None:
            gc.freeze()
            import coachdesk.services.assistant  # noqa: F401

            gc.freeze()

        self.ops.run(load, context="loading the assistant")

    @Slot()
    def _on_vault_closed(self) -> None:
        """Locking: stop drafts and free the model, whose context still holds the last
        client's prompt."""
        self.cancel_all()
        host = self._host
        if host is not None:
            self.lane.run(lambda _job: host.unload(), context="unloading the model")

    @Slot()
    def cancel_all(self) -> None:
        """Stop every draft being written (the vault is locking)."""
        for run in list(self._runs):
            run.cancel()

    def shutdown(self) -> None:
        """Cancel drafts in progress, stop the llm lane and free the model."""
        self.cancel_all()
        self._idle.stop()
        host, self._host = self._host, None
        if host is not None:
            self.lane.run(lambda _job: host.unload(), context="unloading the model")
        self.lane.shutdown(wait=True, cancel_pending=False)
        self.files.shutdown(wait=True)
