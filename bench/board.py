"""Pipeline board figures on a vault of 2,000 clients spread over the stages.

Prints figures; asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import text  # noqa: E402

from coachdesk.services import clients, demo, pipeline, vaults  # noqa: E402
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402
from coachdesk.store.vault import Vault  # noqa: E402

PASSPHRASE = "bench vault passphrase for figures"
LOST_REASONS = ("Chose another coach", "Budget", "Timing", "No reply")


def spread(samples: list[float]) -> str:
    median, low, high = statistics.median(samples), min(samples), max(samples)
    return f"median {median:8.1f} ms  (min {low:.1f}, max {high:.1f}, n={len(samples)})"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def build_vault(root: Path, count: int, seed: int = 11) -> Vault:
    """A vault whose clients went through the pipeline: each stage keeps some, loses some.

    Everyone enters the first stage; at each later stage a quarter stay behind and
    an eighth are lost (with a reason). Time in stage is then spread over the
    last 60 days, so some clients are stalled, as on a real board.
    """
    started = time.perf_counter()
    vault = vaults.create_vault(root, PASSPHRASE, "coach@bench", kdf=FAST_KDF_FOR_TESTS)
    demo.fill(vault, count)
    rng = random.Random(seed)
    stages = pipeline.list_stages(vault)
    open_stages = [s for s in stages if not s.is_lost]
    lost = next(s for s in stages if s.is_lost)
    current = [row.id for row in clients.list_clients(vault)]
    pipeline.move_clients(vault, current, open_stages[0].id)
    for stage in open_stages[1:]:
        rng.shuffle(current)
        lost_count = len(current) // 8
        for i, reason in enumerate(LOST_REASONS):
            batch = current[i : lost_count : len(LOST_REASONS)]
            if batch:
                pipeline.move_clients(vault, batch, lost.id, reason)
        rest = current[lost_count:]
        current = rest[len(rest) // 4 :]
        pipeline.move_clients(vault, current, stage.id)
    now = datetime.now(UTC).replace(tzinfo=None)
    backdated = [
        {"id": row.id, "since": now - timedelta(days=rng.uniform(0, 60))}
        for row in clients.list_clients(vault)
    ]
    with vault.writing() as session:
        session.execute(text("UPDATE clients SET stage_since = :since WHERE id = :id"), backdated)
    elapsed = time.perf_counter() - started
    print(f"built a {count:,}-client vault with pipeline history in {elapsed:.1f} s at {root}")
    return vault


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--png", type=Path, help="also save the board as a PNG here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vault = build_vault(Path(tmp) / "vault", args.clients)
        try:
            run(vault, args.repeats, args.png)
        finally:
            vault.close()
    return 0


def run(vault: Vault, repeats: int, png: Path | None) -> None:
    board = pipeline.board(vault)
    cards = sum(len(c) for c in board.cards.values()) + len(board.unplaced)
    per_stage = ", ".join(f"{s.name} {len(board.cards_in(s.id))}" for s in board.stages)
    print(f"board: {cards:,} cards ({per_stage}); {len(board.stalled):,} stalled")
    loads = timed(lambda: pipeline.board(vault), repeats)
    print(f"services.pipeline.board():            {spread(loads)}")
    funnel = timed(lambda: pipeline.funnel_report(vault), repeats)
    print(f"services.pipeline.funnel_report():    {spread(funnel)}")

    from PySide6.QtWidgets import QApplication

    from coachdesk.ui.lanes import Lane
    from coachdesk.ui.ops import VaultOps
    from coachdesk.ui.views.pipeline import PipelineView

    app = QApplication.instance() or QApplication([])
    lane = Lane("db")
    # No vault handed to the view: it shows what set_board gives it and reads nothing itself.
    ops = VaultOps(lane)
    view = PipelineView(ops)
    view.resize(1440, 900)
    view.show()
    app.processEvents()

    started = time.perf_counter()
    view.set_board(board)
    first = (time.perf_counter() - started) * 1000
    print(f"PipelineView.set_board(), first (makes the columns): {first:8.1f} ms")
    fills = timed(lambda: view.set_board(board), repeats)
    print(f"PipelineView.set_board(), again:      {spread(fills)}")
    app.processEvents()

    view.grab()  # the first paint loads fonts and glyph caches
    grabs = timed(view.grab, repeats)
    print(f"full repaint of the board (grab()):   {spread(grabs)}")

    column = max(view.columns, key=lambda c: c.model.rowCount())
    view.board_scroll.ensureWidgetVisible(column)
    app.processEvents()
    bar = column.cards.verticalScrollBar()
    steps = []
    viewport = column.cards.viewport()
    for value in range(0, bar.maximum() + 1, max(1, bar.singleStep() * 3)):
        bar.setValue(value)
        started = time.perf_counter()
        viewport.repaint()
        steps.append((time.perf_counter() - started) * 1000)
    print(
        f"scrolling {column.stage.name if column.stage else 'a column'} "
        f"({column.model.rowCount():,} cards), repaint per wheel step over {len(steps)} steps: "
        f"p50 {percentile(steps, 50):.2f} ms, p95 {percentile(steps, 95):.2f} ms, "
        f"max {max(steps):.2f} ms (a 60 Hz frame is 16.7 ms)"
    )
    if png is not None:
        bar.setValue(0)
        view.grab().save(str(png))
        print(f"saved the board to {png}")
    view.close()
    lane.shutdown()
    del app


if __name__ == "__main__":
    sys.exit(main())
