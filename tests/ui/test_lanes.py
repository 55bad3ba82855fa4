"""The db lane: work on a worker thread, results by signal on the GUI thread, errors routed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from coachdesk.domain.errors import NotFoundError
from coachdesk.logs import LOG_FILE
from coachdesk.store.vault import Vault
from coachdesk.ui.lanes import Failure, Job, Lane
from coachdesk.ui.ops import UnlockMode, VaultOps


@pytest.fixture
def lane(qtbot: QtBot) -> Iterator[Lane]:
    """A db lane, shut down after the test."""
    made = Lane("test")
    yield made
    made.shutdown(wait=True)


def test_result_arrives_by_signal_on_the_gui_thread(qtbot: QtBot, lane: Lane) -> None:
    gui_thread = threading.get_ident()
    seen: list[tuple[int, int]] = []

    job = lane.run(
        lambda _job: threading.get_ident(),
        on_done=lambda worker: seen.append((worker, threading.get_ident())),
    )
    with qtbot.waitSignal(job.succeeded, timeout=5000) as blocker:
        pass

    worker_thread, callback_thread = seen[0]
    assert worker_thread != gui_thread
    assert callback_thread == gui_thread
    assert blocker.args == [worker_thread]


def test_jobs_run_one_at_a_time_in_order(qtbot: QtBot, lane: Lane) -> None:
    order: list[int] = []
    running = threading.Lock()

    def step(n: int) -> Any:
        def fn(_job: Job[None]) -> None:
            assert running.acquire(blocking=False), "two jobs ran at once"
            order.append(n)
            running.release()

        return fn

    jobs = [lane.run(step(n)) for n in range(5)]
    with qtbot.waitSignal(jobs[-1].finished, timeout=5000):
        pass
    assert order == [0, 1, 2, 3, 4]


def test_known_error_is_a_plain_message(qtbot: QtBot, lane: Lane) -> None:
    failures: list[Failure] = []

    def fail(_job: Job[None]) -> None:
        raise NotFoundError("There is no client #7.")

    job = lane.run(
        fail, on_done=lambda _v: pytest.fail("must not succeed"), on_error=failures.append
    )
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass

    assert failures[0].known
    assert failures[0].message == "There is no client #7."
    assert failures[0].log_path is None


def test_unexpected_error_is_logged_with_its_traceback(
    qtbot: QtBot, lane: Lane, isolated_home: Path
) -> None:
    failures: list[Failure] = []

    def crash(_job: Job[None]) -> None:
        raise RuntimeError("boom in the worker")

    job = lane.run(crash, on_error=failures.append, context="testing a crash")
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass

    failure = failures[0]
    assert not failure.known
    assert failure.log_path == isolated_home / "logs" / LOG_FILE
    log = failure.log_path.read_text(encoding="utf-8")
    assert "Traceback" in log
    assert "boom in the worker" in log
    assert "testing a crash" in log


def test_failures_without_a_handler_reach_the_lane_signal(qtbot: QtBot, lane: Lane) -> None:
    def fail(_job: Job[None]) -> None:
        raise NotFoundError("gone")

    with qtbot.waitSignal(lane.unhandled_failure, timeout=5000) as blocker:
        lane.run(fail)

    assert blocker.args[0].message == "gone"


def test_progress_is_reported_and_cancel_stops_the_job(qtbot: QtBot, lane: Lane) -> None:
    progress: list[tuple[int, int]] = []
    stopped_at: list[int] = []

    def long_task(job: Job[int]) -> int:
        for step in range(1, 1_000_000):
            if job.is_cancelled:
                stopped_at.append(step)
                job.raise_if_cancelled()
            job.report_progress(step, 1_000_000)
            job.cancel_event.wait(0.001)
        return -1

    job = lane.run(
        long_task,
        on_done=lambda _v: pytest.fail("a cancelled job must not succeed"),
        on_progress=lambda done, total: progress.append((done, total)),
    )
    qtbot.waitUntil(lambda: len(progress) >= 3, timeout=5000)
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        job.cancel()

    assert stopped_at
    assert progress[0] == (1, 1_000_000)


def test_a_job_cancelled_before_it_starts_never_runs(qtbot: QtBot, lane: Lane) -> None:
    release = threading.Event()
    ran: list[str] = []
    first = lane.run(lambda _job: release.wait(5))
    second = lane.run(lambda _job: ran.append("second"))
    second.cancel()
    with qtbot.waitSignal(second.cancelled, timeout=5000):
        release.set()
    assert first.done
    assert ran == []


def test_callbacks_are_skipped_when_their_owner_is_gone(qtbot: QtBot, lane: Lane) -> None:
    owner = QObject()
    release = threading.Event()
    called: list[object] = []
    job = lane.run(lambda _job: release.wait(5), on_done=called.append, owner=owner)
    owner.deleteLater()
    qtbot.wait(1)
    with qtbot.waitSignal(job.finished, timeout=5000):
        release.set()
    assert called == []


def test_busy_changes_around_work(qtbot: QtBot, lane: Lane) -> None:
    states: list[bool] = []
    lane.busy_changed.connect(states.append)
    job = lane.run(lambda _job: None)
    assert lane.busy
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert states == [True, False]
    assert not lane.busy


def test_vault_ops_drop_results_that_arrive_after_a_lock(
    qtbot: QtBot, lane: Lane, vault: Vault
) -> None:
    ops = VaultOps(lane)
    ops.open(vault, UnlockMode.PASSPHRASE)
    release = threading.Event()
    delivered: list[object] = []
    changes: list[str] = []
    ops.changed.connect(changes.append)

    job = ops.run(lambda v: release.wait(5) and v.vault_id, on_done=delivered.append, changes="x")
    assert job is not None
    with qtbot.waitSignal(ops.closed, timeout=1000):
        ops.close()
    with qtbot.waitSignal(job.finished, timeout=5000):
        release.set()

    assert delivered == []
    assert changes == []
    assert ops.run(lambda v: v.vault_id) is None
