"""The GUI's event loop while the assistant writes a draft with the bundled model, and the
process's memory.

A real QApplication (offscreen unless QT_QPA_PLATFORM says otherwise), a real vault, a
consenting client and the app's own `AiOps` over a `VaultOps` db lane. A 5 ms timer
records the gap between its ticks from the moment `ai.draft(...)` is called until the
run's `finished`, while a slot appends each streamed piece to a QPlainTextEdit through a
QTextCursor, as the assistant's view does. The first draft in the process includes the
imports and the model load; then `--runs` drafts with the model loaded (each on a
different note, so llama.cpp's prompt cache cannot help); then `--reloads` drafts after
`settings_changed()` dropped the model, so they load it again. Prints the figures and
PASS/FAIL against "no stall over 100 ms"; asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Slot  # noqa: E402
from PySide6.QtGui import QTextCursor  # noqa: E402
from PySide6.QtWidgets import QApplication, QPlainTextEdit  # noqa: E402

from coachdesk.domain.clients import ClientDraft  # noqa: E402
from coachdesk.domain.compliance import AiTask, ConsentMethod, Purpose  # noqa: E402
from coachdesk.domain.crm import NoteDraft, NoteKind  # noqa: E402
from coachdesk.services import clients, compliance, crm, vaults  # noqa: E402
from coachdesk.settings import AI_THREADS, MachineSettings  # noqa: E402
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402
from coachdesk.store.vault import Vault  # noqa: E402
from coachdesk.ui.assistant_ops import AiOps, DraftRun  # noqa: E402
from coachdesk.ui.lanes import Failure, Lane  # noqa: E402
from coachdesk.ui.ops import UnlockMode, VaultOps  # noqa: E402

PASSPHRASE = "bench vault passphrase for figures"
TICK_MS = 5
STALL_MS = 100.0
TIMEOUT_MS = 300_000

TOPICS = (
    ("her CV", "the two-page version", "rewrite the summary section"),
    ("interview answers", "the leadership question", "practise three STAR stories"),
    ("salary talks", "the offer from Brightwell", "write down her walk-away number"),
    ("her network", "five former colleagues", "send two messages a week"),
    ("time management", "Monday planning", "block two mornings for applications"),
    ("confidence", "the panel interview", "record herself answering aloud"),
    ("career direction", "product roles", "talk to two product managers"),
    ("her portfolio", "the case studies", "finish the logistics case study"),
)


def session_note(run: int, sentences: int) -> str:
    """A long-ish session note that opens differently on every run."""
    day = date.today() - timedelta(days=run)
    lines = [f"Session {run + 1} on {day:%A %d %B}: Ada arrived {10 + run} minutes early."]
    for i in range(sentences):
        topic, detail, action = TOPICS[(run * 3 + i) % len(TOPICS)]
        lines.append(
            f"We spent about {5 + (run + i) % 7} minutes on {topic}, mostly {detail}. "
            f"Ada said it felt {('easier', 'harder', 'clearer', 'slower')[(run + i) % 4]} "
            f"than last time, and she will {action} before our next call."
        )
    lines.append("I will send her the notes and two job ads by Friday.")
    return "\n".join(lines)


def rss_mb() -> float | None:
    """The resident memory now (Linux), or None where /proc is not there."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576


def peak_mb() -> float:
    """The peak resident memory so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1_048_576 if sys.platform == "darwin" else peak / 1024


def mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} MB"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def thread_clocks() -> tuple[float, float]:
    """(CPU seconds, seconds waiting for a CPU) of the calling thread; the second is 0 where
    /proc/thread-self/schedstat is not there."""
    try:
        waited = int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        waited = 0.0
    return time.thread_time(), waited


class Ticker(QObject):
    """A 5 ms timer whose tick times show how long the event loop was kept from running.

    Each tick also notes the GUI thread's CPU time and its time waiting for a CPU, so a
    long gap can be split into the GUI thread's own work, waiting for a CPU (other busy
    processes) and being blocked (waiting for the GIL).

    Args:
        parent: the owning QObject.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ticks: list[float] = []
        self.clocks: list[tuple[float, float]] = []
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.clocks = [thread_clocks()]
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.ticks.append(time.perf_counter())
        self.clocks.append(thread_clocks())

    def gaps(self, start: float = 0.0, end: float = float("inf")) -> list[tuple[float, float]]:
        """(gap in ms, time it ended) for the gaps ending between `start` and `end`."""
        return [
            ((b - a) * 1000, b)
            for a, b in zip(self.ticks, self.ticks[1:], strict=False)
            if start < b <= end
        ]

    def split(self) -> dict[float, tuple[float, float]]:
        """For each gap, by the time it ended: (GUI thread's CPU ms, ms waiting for a CPU)."""
        return {
            end: ((b[0] - a[0]) * 1000, (b[1] - a[1]) * 1000)
            for end, a, b in zip(self.ticks[1:], self.clocks, self.clocks[1:], strict=False)
        }

    @Slot()
    def _on_tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.clocks.append(thread_clocks())


class GcWatch:
    """Times every garbage-collection pass and the thread it ran on: a pass holds the GIL,
    so a long one on a worker thread keeps the GUI thread from running too."""

    def __init__(self) -> None:
        self.passes: list[tuple[float, float, int, str]] = []  # start, end, generation, thread
        self._started = 0.0

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
        else:
            thread = threading.current_thread().name
            self.passes.append((self._started, now, int(info["generation"]), thread))

    def long_passes(self, ms: float) -> list[tuple[float, float, int, str]]:
        return [p for p in self.passes if (p[1] - p[0]) * 1000 >= ms]


@dataclass
class RunFigures:
    """One draft, as the GUI thread saw it (times are time.perf_counter())."""

    label: str
    called: float = 0.0
    call_ms: float = 0.0
    writing: float = 0.0
    first_piece: float = 0.0
    last_piece: float = 0.0
    ended: float = 0.0
    pieces: int = 0
    problem: str = ""
    gaps: list[tuple[float, float]] = field(default_factory=list)
    split: dict[float, tuple[float, float]] = field(default_factory=dict)

    @property
    def gap_ms(self) -> list[float]:
        return [g for g, _end in self.gaps] or [0.0]

    @property
    def max_stall(self) -> float:
        return max(self.gap_ms)

    @property
    def over(self) -> int:
        return sum(g > STALL_MS for g in self.gap_ms)

    @property
    def rate(self) -> float:
        span = self.last_piece - self.first_piece
        return (self.pieces - 1) / span if self.pieces > 1 and span > 0 else 0.0

    @property
    def first_ms(self) -> float:
        return (self.first_piece - self.called) * 1000 if self.first_piece else 0.0

    def phase(self, at: float) -> str:
        """What the draft was doing when a gap ended."""
        if at <= self.called + self.call_ms / 1000:
            return "ai.draft() call"
        if not self.writing or at <= self.writing:
            return "prepare (db lane)"
        if not self.first_piece or at <= self.first_piece:
            return "load + prompt (llm lane)"
        if at <= self.last_piece:
            return "streaming"
        return "store (db lane)"


class Viewer(QObject):
    """Appends streamed pieces to a plain-text editor through a QTextCursor, as the view does.

    Args:
        edit: the editor the draft is written into.
    """

    def __init__(self, edit: QPlainTextEdit) -> None:
        super().__init__(edit)
        self.edit = edit
        self.figures = RunFigures("")
        self.loop: QEventLoop | None = None

    @Slot(str)
    def _on_piece(self, text: str) -> None:
        now = time.perf_counter()
        cursor = QTextCursor(self.edit.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self.edit.ensureCursorVisible()
        if not self.figures.pieces:
            self.figures.first_piece = now
        self.figures.last_piece = now
        self.figures.pieces += 1

    @Slot(str)
    def _on_stage(self, text: str) -> None:
        if text.startswith("Writing"):
            self.figures.writing = time.perf_counter()

    @Slot(object)
    def _on_failed(self, failure: Failure) -> None:
        self.figures.problem = failure.message

    @Slot()
    def _on_finished(self) -> None:
        self.figures.ended = time.perf_counter()
        if self.loop is not None:
            self.loop.quit()


def wait(ms: int) -> None:
    """Run the event loop for `ms` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def draft_once(
    ai: AiOps, viewer: Viewer, ticker: Ticker, label: str, client_id: int, note_id: int
) -> RunFigures:
    """Write one session summary while the ticker runs; its figures."""
    viewer.edit.setPlainText("")
    figures = viewer.figures = RunFigures(label)
    ticker.start()
    wait(50)
    loop = viewer.loop = QEventLoop()
    timeout = QTimer()
    timeout.setSingleShot(True)
    timeout.timeout.connect(loop.quit)
    timeout.start(TIMEOUT_MS)
    figures.called = time.perf_counter()
    run: DraftRun = ai.draft(AiTask.SESSION_SUMMARY, client_id, note_id=note_id)
    figures.call_ms = (time.perf_counter() - figures.called) * 1000
    run.stage.connect(viewer._on_stage)
    run.piece.connect(viewer._on_piece)
    run.failed.connect(viewer._on_failed)
    run.finished.connect(viewer._on_finished)
    loop.exec()
    timeout.stop()
    ticker.stop()
    if not figures.ended:
        figures.problem = figures.problem or f"no result after {TIMEOUT_MS // 1000} s"
        run.cancel()
    elif run.model_problem:
        figures.problem = f"written by rules: {run.model_problem}"
    figures.gaps = ticker.gaps(figures.called, figures.ended or float("inf"))
    figures.split = ticker.split()
    return figures


def window_line(name: str, ticker_gaps: list[tuple[float, float]]) -> str:
    gaps = [g for g, _ in ticker_gaps] or [0.0]
    return (
        f"  {name:<38} max {max(gaps):7.1f}  p99 {percentile(gaps, 99):6.1f}  "
        f"p50 {percentile(gaps, 50):5.1f}  >100 ms: {sum(g > STALL_MS for g in gaps)}  "
        f"({len(ticker_gaps)} ticks)"
    )


HEADER = (
    f"{'draft':<14}{'max stall':>10}{'p99 gap':>9}{'p50 gap':>9}{'>100ms':>8}"
    f"{'pieces':>8}{'pieces/s':>10}{'1st piece':>11}{'total':>9}  worst gap during"
)


def row(f: RunFigures) -> str:
    worst_gap, worst_at = max(f.gaps, default=(0.0, f.called))
    return (
        f"{f.label:<14}{f.max_stall:10.1f}{percentile(f.gap_ms, 99):9.1f}"
        f"{percentile(f.gap_ms, 50):9.1f}{f.over:8d}{f.pieces:8d}{f.rate:10.1f}"
        f"{f.first_ms:11.0f}{(f.ended - f.called) * 1000:9.0f}  "
        f"{f.phase(worst_at) if worst_gap else '-'}"
    )


def median_row(label: str, runs: list[RunFigures]) -> str:
    med = statistics.median
    return (
        f"{label:<14}{med(f.max_stall for f in runs):10.1f}"
        f"{med(percentile(f.gap_ms, 99) for f in runs):9.1f}"
        f"{med(percentile(f.gap_ms, 50) for f in runs):9.1f}{med(f.over for f in runs):8.0f}"
        f"{med(f.pieces for f in runs):8.0f}{med(f.rate for f in runs):10.1f}"
        f"{med(f.first_ms for f in runs):11.0f}"
        f"{med((f.ended - f.called) * 1000 for f in runs):9.0f}"
    )


def make_vault(root: Path, notes: int, sentences: int) -> tuple[Vault, int, list[int]]:
    """A vault with one consenting client and `notes` session notes; (vault, client, notes)."""
    vault = vaults.create_vault(root, PASSPHRASE, "coach@bench", kdf=FAST_KDF_FOR_TESTS)
    client = clients.create_client(vault, ClientDraft(first_name="Ada", last_name="Lovelace"))
    compliance.give_consent(vault, client.id, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
    note_ids = [
        crm.add_note(
            vault,
            client.id,
            NoteDraft(
                NoteKind.SESSION, date.today() - timedelta(days=i), session_note(i, sentences)
            ),
        ).id
        for i in range(notes)
    ]
    return vault, client.id, note_ids


def report_stalls(runs: list[RunFigures], watch: GcWatch) -> None:
    """Where the stalls over 100 ms fell, and which of them a long GC pass explains."""
    stalls = [(g, end, f) for f in runs for g, end in f.gaps if g > STALL_MS]
    phases = Counter(f.phase(end) for _g, end, f in stalls)
    print(
        f"stalls over {STALL_MS:.0f} ms by what the draft was doing: "
        + (", ".join(f"{phase} {n}" for phase, n in phases.most_common()) or "none")
    )
    long = watch.long_passes(20)
    by_thread: dict[str, list[float]] = {}
    for start, end, _generation, thread in long:
        by_thread.setdefault(thread, []).append((end - start) * 1000)
    print(
        "garbage-collection passes of 20 ms or more (each holds the GIL): "
        + (
            "; ".join(
                f"{len(times)} on {thread}, longest {max(times):.0f} ms"
                for thread, times in sorted(by_thread.items())
            )
            or "none"
        )
    )
    if stalls:
        overlapping = sum(
            any(start < end and end - gap / 1000 < gc_end for start, gc_end, _, _ in long)
            for gap, end, _f in stalls
        )
        print(f"  {overlapping} of the {len(stalls)} stalls overlap one of those passes")
        total = sum(g for g, _e, _f in stalls)
        own = sum(f.split.get(e, (0.0, 0.0))[0] for _g, e, f in stalls)
        queued = sum(f.split.get(e, (0.0, 0.0))[1] for _g, e, f in stalls)
        print(
            f"  of the {total:.0f} ms those stalls lasted, the GUI thread was working "
            f"{own / total:.0%}, waiting for a CPU {queued / total:.0%} and blocked "
            f"(waiting for the GIL) {max(0.0, total - own - queued) / total:.0%}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="drafts with the model loaded")
    parser.add_argument("--reloads", type=int, default=2, help="drafts that load the model again")
    parser.add_argument("--threads", type=int, default=0, help="AI_THREADS (0: all but one)")
    parser.add_argument("--sentences", type=int, default=24, help="sentences per session note")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as tmp:
        settings = MachineSettings(Path(tmp) / "settings.json")
        settings.set(AI_THREADS, args.threads)
        drafts = 1 + args.runs + args.reloads
        vault, client_id, note_ids = make_vault(Path(tmp) / "vault", drafts, args.sentences)
        ops = VaultOps(Lane("db"))
        ops.open(vault, UnlockMode.PASSPHRASE)
        ai = AiOps(ops, settings)
        edit = QPlainTextEdit()
        edit.resize(720, 480)
        edit.show()
        viewer = Viewer(edit)
        ticker = Ticker()

        ticker.start()
        wait(1000)
        ticker.stop()
        idle = ticker.gaps()
        words = len(session_note(0, args.sentences).split())
        print(
            f"platform {app.platformName()}, {os.cpu_count()} CPUs, llama.cpp threads "
            f"{args.threads or max(1, (os.cpu_count() or 2) - 1)}, notes of about {words} words"
        )
        print(window_line("idle event loop, 1 s", idle))
        rss_before = rss_mb()

        with GcWatch() as watch:
            cold = draft_once(ai, viewer, ticker, "cold (load)", client_id, note_ids[0])
            rss_loaded = rss_mb()
            loaded = [
                draft_once(ai, viewer, ticker, f"loaded {i}", client_id, note_ids[i])
                for i in range(1, 1 + args.runs)
            ]
            reloads: list[RunFigures] = []
            for i in range(args.reloads):
                ai.settings_changed()
                reloads.append(
                    draft_once(
                        ai,
                        viewer,
                        ticker,
                        f"reload {i + 1}",
                        client_id,
                        note_ids[1 + args.runs + i],
                    )
                )
        everything = [cold, *loaded, *reloads]
        sample = edit.toPlainText()

        print()
        print(HEADER)
        for figures in everything:
            print(row(figures))
            if figures.problem:
                print(f"  ! {figures.problem}")
        if loaded:
            print(median_row(f"median of {len(loaded)}", loaded))
        print()
        print("the same gaps, by what the draft was doing:")
        streaming = [
            (g, e) for f in everything for g, e in f.gaps if f.first_piece < e <= f.last_piece
        ]
        print(window_line("streaming, all drafts", streaming))
        print(window_line("cold: imports + load + prompt", window(cold)))
        for f in reloads:
            print(window_line(f"{f.label}: load + prompt", window(f)))
        print(window_line("loaded: prompt only", [g for f in loaded for g in window(f)]))
        later = (
            statistics.median(f.call_ms for f in (*loaded, *reloads)) if len(everything) > 1 else 0
        )
        print(
            f"  ai.draft() call on the GUI thread: first {cold.call_ms:.1f} ms, then {later:.1f} ms"
        )
        report_stalls(everything, watch)
        print()
        print(
            f"memory: RSS before the first draft {mb(rss_before)}, with the model loaded "
            f"{mb(rss_loaded)}, at the end {mb(rss_mb())}; peak (ru_maxrss) {peak_mb():.1f} MB"
        )
        print(f"last draft shown ({len(sample.split())} words): {sample[:100]!r}…")

        worst = max(f.max_stall for f in everything)
        failed = [f.label for f in everything if f.problem]
        verdict = "PASS" if worst <= STALL_MS and not failed else "FAIL"
        print()
        print(
            f"{verdict}: longest event-loop stall {worst:.1f} ms over {len(everything)} drafts "
            f"(target: no stall over {STALL_MS:.0f} ms)"
            + (f"; drafts with a problem: {', '.join(failed)}" if failed else "")
        )

        ai.shutdown()
        ops.close()
        ops.lane.shutdown(wait=True)
        edit.close()
    return 0


def window(f: RunFigures) -> list[tuple[float, float]]:
    """The gaps from 'Writing…' to the first piece: the model loading and reading the prompt."""
    return [(g, e) for g, e in f.gaps if f.writing and f.writing < e <= f.first_piece]


if __name__ == "__main__":
    sys.exit(main())
