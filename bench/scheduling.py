"""Scheduling figures: a vault with 5,000 sessions; the week's sessions query, the week view
read and painted, ICS export of all 5,000 (parsed back), importing it as busy times, and
free times over two weeks.

Prints figures; asserts nothing.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import icalendar  # noqa: E402

from coachdesk.domain.clients import ClientDraft  # noqa: E402
from coachdesk.domain.practice import PracticeProfile  # noqa: E402
from coachdesk.domain.scheduling import WorkingHours  # noqa: E402
from coachdesk.services import calendar, clients, practice, sessions, vaults  # noqa: E402
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402
from coachdesk.store.tables import SessionTable  # noqa: E402
from coachdesk.store.vault import Vault  # noqa: E402

PASSPHRASE = "bench vault passphrase for figures"
ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Europe/Berlin")
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    times = [timed(fn)[1] * 1000 for _ in range(repeats)]
    return statistics.median(times), max(times) - min(times)


def fill(vault: Vault, count: int, client_count: int) -> datetime:
    """`count` sessions over two years around now, for `client_count` clients."""
    practice.save_profile(vault, PracticeProfile("Sam", "Bench", "Europe/London", "GBP"))
    calendar.set_working_hours(vault, [WorkingHours(d, 9 * 60, 18 * 60) for d in range(5)])
    rng = random.Random(5)
    ids = [
        clients.create_client(
            vault, ClientDraft(first_name=f"Client{i}", time_zone=rng.choice(ZONES))
        ).id
        for i in range(client_count)
    ]
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    start = now - timedelta(days=365)
    with vault.writing() as session:
        for _ in range(count):
            at = start + timedelta(hours=rng.randrange(0, 2 * 365 * 24))
            session.add(
                SessionTable(
                    uid=f"{uuid.uuid4().hex}@coachdesk",
                    client_id=rng.choice(ids),
                    starts_at=at,
                    minutes=rng.choice((45, 60, 90)),
                    coach_zone="Europe/London",
                    client_zone=rng.choice(ZONES),
                    status="scheduled" if at > now else rng.choice(("done", "done", "no_show")),
                    created_at=now,
                    updated_at=now,
                )
            )
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vault = vaults.create_vault(Path(tmp) / "v", PASSPHRASE, "bench", kdf=FAST_KDF_FOR_TESTS)
        try:
            run(vault, args)
        finally:
            vault.close()


def run(vault: Vault, args: argparse.Namespace) -> None:
    now, fill_s = timed(lambda: fill(vault, args.sessions, args.clients))
    print(f"{args.sessions:,} sessions for {args.clients} clients (filled in {fill_s:.1f} s)")
    monday = now - timedelta(days=now.weekday(), hours=now.hour)
    week = sessions.list_sessions(vault, monday, monday + timedelta(days=7))
    query_ms, spread = median_ms(
        lambda: sessions.list_sessions(vault, monday, monday + timedelta(days=7)), args.repeats
    )
    print(f"  the week's sessions ({len(week)}): list_sessions", end=" ")
    print(f"{query_ms:.1f} ms (spread {spread:.1f})")
    week_view(vault, args.repeats)
    data = calendar.export_calendar(vault, now - timedelta(days=400))
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    export_ms, spread = median_ms(
        lambda: calendar.export_calendar(vault, now - timedelta(days=400)), args.repeats
    )
    print(
        f"  ICS export of {len(events):,} sessions: {export_ms:.0f} ms (spread {spread:.0f}), "
        f"{len(data) / 1024:.0f} KiB; parsed back with icalendar"
    )
    _, import_s = timed(lambda: calendar.import_busy(vault, data, "Round trip"))
    print(f"  the same file imported as busy times: {import_s * 1000:.0f} ms")
    free_ms, spread = median_ms(lambda: calendar.free_times(vault, 14, 60), args.repeats)
    print(f"  free times over two weeks: {free_ms:.1f} ms (spread {spread:.1f})")


def week_view(vault: Vault, repeats: int) -> None:
    """The Calendar area's week: reading it (the db-lane function) and painting it."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from coachdesk.ui.views import calendar as calendar_view

    data = calendar_view.load_days(vault, None, 7)
    load_ms, load_spread = median_ms(lambda: calendar_view.load_days(vault, None, 7), repeats)
    pane = calendar_view.CalendarPane(7)
    pane.resize(1100, 720)
    pane.show()
    pane.set_data(data)
    app.processEvents()
    paint_ms, paint_spread = median_ms(lambda: pane.grab(), repeats)
    fill_ms, fill_spread = median_ms(lambda: pane.set_data(data), repeats)
    print(
        f"  week view ({len(data.sessions)} sessions): read {load_ms:.1f} ms "
        f"(spread {load_spread:.1f}), set {fill_ms:.2f} ms (spread {fill_spread:.2f}), "
        f"full repaint {paint_ms:.1f} ms (spread {paint_spread:.1f}) at 1100x720"
    )


if __name__ == "__main__":
    main()
