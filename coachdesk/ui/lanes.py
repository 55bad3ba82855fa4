"""Background lanes: one worker thread each, results delivered by signal to the GUI thread.

A lane runs one job at a time, in submission order (the `db` lane owns every
database connection; a future `llm` lane will own the model). The GUI thread
only submits jobs and receives their outcome through queued signals, so it
never waits on the work itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

from coachdesk.domain.errors import CancelledError, KnownError, ValidationError
from coachdesk.ui.compat import delete_soon

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a job did not finish.

    `known` failures (KnownError) are shown as their plain message; the
    others are bugs, already logged with their traceback in `log_path`.
    """

    error: BaseException
    known: bool
    context: str
    log_path: Path | None = None

    @property
    def message(self) -> str:
        """The text to show the coach."""
        if isinstance(self.error, KnownError):
            return self.error.message
        return str(self.error)

    @property
    def inline_text(self) -> str:
        """The message for inside a dialog: field problems joined, without field names."""
        if isinstance(self.error, ValidationError):
            return " ".join(self.error.errors.values())
        return self.message


class Job(QObject, Generic[T]):
    """One unit of work on a lane; lives on the GUI thread.

    The function receives this job and may call `report_progress` and check
    `cancel_event` (or `raise_if_cancelled`) from the worker thread.

    Args:
        context: what the job does, in words, for logs and error dialogs.

    Signals:
        progressed: (done, total) reported by the function.
        succeeded: the function's return value.
        failed: a Failure.
        cancelled: the job was cancelled before or while it ran.
        finished: emitted last, whatever the outcome.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, context: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.cancel_event = threading.Event()
        self._lane: Lane | None = None
        self._handles_errors = False
        self.done = False

    def cancel(self) -> None:
        """Ask the function to stop; a job that has not started will not run."""
        self.cancel_event.set()

    @property
    def is_cancelled(self) -> bool:
        """Whether cancellation was asked for (safe from any thread)."""
        return self.cancel_event.is_set()

    def raise_if_cancelled(self) -> None:
        """For the worker: stop here when the coach cancelled."""
        if self.cancel_event.is_set():
            raise CancelledError()

    def report_progress(self, done: int, total: int) -> None:
        """For the worker: tell the GUI how far the job is (queued to the GUI thread)."""
        if self._lane is not None:
            self._lane._progress_ready.emit(self, done, total)


@dataclass(slots=True)
class _Outcome:
    job: Job[Any]
    value: Any = None
    failure: Failure | None = None
    cancelled: bool = False


class Lane(QObject):
    """A single-worker executor whose results come back as queued signals.

    Args:
        name: the lane's name ("db", "llm"), used for the worker thread.
        parent: the owning QObject.

    Signals:
        busy_changed: True while a job is queued or running, False when idle.
        unhandled_failure: a Failure of a job that had no `on_error` handler.
    """

    busy_changed = Signal(bool)
    unhandled_failure = Signal(object)

    # Private relays: emitted on the worker, delivered on the GUI thread.
    _outcome_ready = Signal(object)
    _progress_ready = Signal(object, int, int)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._executor: ThreadPoolExecutor | None = None  # made by the first job
        self._pending = 0
        self._closed = False
        self._outcome_ready.connect(self._on_outcome_ready, Qt.ConnectionType.QueuedConnection)
        self._progress_ready.connect(self._on_progress_ready, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """Whether any job is queued or running."""
        return self._pending > 0

    def run(
        self,
        fn: Callable[[Job[T]], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Failure], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        owner: QObject | None = None,
        context: str = "",
    ) -> Job[T]:
        """Queue `fn(job)` on the worker; the callbacks run later on the GUI thread.

        When `owner` is given and has been deleted by the time the job ends,
        the callbacks are skipped (the widget that asked is gone).
        """
        if self._closed:
            raise RuntimeError(f"lane {self.name} is shut down")
        job: Job[T] = Job(context or getattr(fn, "__name__", "a task"), self)
        job._lane = self
        job._handles_errors = on_error is not None

        def alive() -> bool:
            return owner is None or shiboken6.isValid(owner)

        if on_done is not None:
            job.succeeded.connect(lambda value: alive() and on_done(value))
        if on_error is not None:
            job.failed.connect(lambda failure: alive() and on_error(failure))
        if on_progress is not None:
            job.progressed.connect(lambda done, total: alive() and on_progress(done, total))
        if on_cancelled is not None:
            job.cancelled.connect(lambda: alive() and on_cancelled())

        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"lane-{self.name}")
        future = self._executor.submit(self._execute, job, fn)
        future.add_done_callback(self._check_crash)
        return job

    def _execute(self, job: Job[T], fn: Callable[[Job[T]], T]) -> None:
        """Worker side: run the function and hand its outcome to the GUI thread."""
        outcome = _Outcome(job)
        if job.is_cancelled:
            outcome.cancelled = True
        else:
            try:
                outcome.value = fn(job)
            except CancelledError:
                outcome.cancelled = True
            except KnownError as exc:
                outcome.cancelled = job.is_cancelled
                outcome.failure = Failure(exc, True, job.context)
            except Exception as exc:  # noqa: BLE001 - every bug is logged and shown, never lost
                outcome.cancelled = job.is_cancelled
                from coachdesk.logs import log_failure

                path = log_failure(f"{self.name} lane: {job.context}")
                outcome.failure = Failure(exc, False, job.context, path)
        self._outcome_ready.emit(outcome)

    @staticmethod
    def _check_crash(future: Future[None]) -> None:
        # _execute catches everything a job raises; anything left is a lane bug.
        if not future.cancelled() and future.exception() is not None:
            log.error("lane worker failed: %r", future.exception())

    @Slot(object)
    def _on_outcome_ready(self, outcome: _Outcome) -> None:
        job = outcome.job
        job.done = True
        self._pending -= 1
        try:
            if outcome.cancelled:
                job.cancelled.emit()
            elif outcome.failure is not None:
                job.failed.emit(outcome.failure)
                if not job._handles_errors:
                    self.unhandled_failure.emit(outcome.failure)
            else:
                job.succeeded.emit(outcome.value)
            job.finished.emit()
        finally:
            if self._pending == 0:
                self.busy_changed.emit(False)
            delete_soon(job, self)

    @Slot(object, int, int)
    def _on_progress_ready(self, job: Job[Any], done: int, total: int) -> None:
        if shiboken6.isValid(job) and not job.done:
            job.progressed.emit(done, total)

    def shutdown(self, wait: bool = True, cancel_pending: bool = False) -> None:
        """Stop taking jobs; by default let the queued ones finish (saves the coach asked for)."""
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=cancel_pending)
