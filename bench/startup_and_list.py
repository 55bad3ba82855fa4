"""Start-up, client list and SQLCipher-overhead figures on a 10,000-client vault.

Prints figures and ratios; asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coachdesk.domain.clients import ClientDraft  # noqa: E402
from coachdesk.services import clients, demo, unlocking, vaults  # noqa: E402
from coachdesk.store import engine as engine_module  # noqa: E402
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402

PASSPHRASE = "bench vault passphrase for figures"

BARE_WINDOW = """
import os, sys, time
t0 = float(os.environ["COACHDESK_T0"])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication(sys.argv)
win = QMainWindow()
win.setCentralWidget(QLabel("hello"))
win.resize(1100, 700)
win.show()
def shown():
    print(f"window_ms={(time.time() - t0) * 1000:.1f}", flush=True)
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


def env_for_gui(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(
        COACHDESK_HOME=str(home), COACHDESK_PASSPHRASE=PASSPHRASE, COACHDESK_BENCH_STARTUP="1"
    )
    return env


def startup_ms(argv: list[str], env: dict[str, str], names: tuple[str, ...]) -> dict[str, float]:
    """Milliseconds from spawning a process to each of its `<name>=<ms>` lines."""
    env = {**env, "COACHDESK_T0": repr(time.time())}
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    figures: dict[str, float] = {}
    for line in proc.stdout.splitlines():
        name, sep, value = line.partition("=")
        if sep and name in names:
            figures[name] = float(value)
    if set(figures) != set(names):
        raise RuntimeError(
            f"no {', '.join(n for n in names if n not in figures)} figure from {argv}: "
            f"{proc.stdout[-500:]} {proc.stderr[-2000:]}"
        )
    return figures


def spread(samples: list[float]) -> str:
    median = statistics.median(samples)
    low, high = min(samples), max(samples)
    return f"median {median:8.1f} ms  (min {low:.1f}, max {high:.1f}, n={len(samples)})"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def build_vault(root: Path, count: int) -> None:
    started = time.perf_counter()
    vault = demo.create_demo_vault(root, count, PASSPHRASE)
    vault.close()
    print(f"built a {count:,}-client vault in {time.perf_counter() - started:.1f} s at {root}")


def argon2_ms(vault_dir: Path, repeats: int) -> float:
    """Median time of the vault's Argon2id key derivation alone, in this process."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        unlocking.derive_key(vault_dir, PASSPHRASE)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_startup(vault_dir: Path, home: Path, repeats: int) -> None:
    env = env_for_gui(home)
    app = [sys.executable, "-m", "coachdesk", "--vault", str(vault_dir), "--no-keychain"]
    bare = [sys.executable, "-c", BARE_WINDOW]
    ours_names, bare_names = ("window_ms", "startup_ms"), ("window_ms",)
    # Warm the OS file cache once for both, as a second launch would be.
    startup_ms(app, env, ours_names)
    startup_ms(bare, env, bare_names)
    shown, ready, plain = [], [], []
    for _ in range(repeats):
        figures = startup_ms(app, env, ours_names)
        shown.append(figures["window_ms"])
        ready.append(figures["startup_ms"])
        plain.append(startup_ms(bare, env, bare_names)["window_ms"])
    ratio = statistics.median(shown) / statistics.median(plain)
    kdf = argon2_ms(vault_dir, max(3, repeats // 2))
    share = kdf / statistics.median(ready) * 100
    print(f"cold start, CoachDesk main window shown:  {spread(shown)}")
    print(f"cold start, bare PySide6 window:          {spread(plain)}")
    print(f"  ratio {ratio:.2f}x (target <= 2x; the window opens before the vault is unlocked)")
    print(f"cold start, CoachDesk client list ready:  {spread(ready)}")
    print(
        f"  Argon2id unlock with the passphrase, timed alone: {kdf:.1f} ms ({share:.0f} % of "
        "that; the app derives the key while it imports its database code)"
    )


def bench_list_and_filter(vault_dir: Path, repeats: int) -> None:
    vault = vaults.unlock(vault_dir, PASSPHRASE, "coach@bench")
    try:
        loads = []
        for _ in range(repeats):
            started = time.perf_counter()
            rows = clients.list_clients(vault)
            loads.append((time.perf_counter() - started) * 1000)
        print(f"client list load ({len(rows):,} rows, service): {spread(loads)}")
    finally:
        vault.close()
    try:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        from coachdesk.ui.models.client_table import ClientTableModel
    except ImportError as exc:
        print(f"filter-as-you-type: skipped ({exc})")
        return
    app = QApplication.instance() or QApplication([])
    model = ClientTableModel()
    started = time.perf_counter()
    model.set_rows(rows)
    fill_ms = (time.perf_counter() - started) * 1000
    print(f"client list model fill ({len(rows):,} rows): {fill_ms:.1f} ms")
    typed = []
    sample_names = [r.name for r in rows[:: max(1, len(rows) // 20)]][:20]
    for name in sample_names:
        for i in range(1, len(name) + 1):
            started = time.perf_counter()
            model.set_filter(name[:i])
            model.rowCount()
            typed.append((time.perf_counter() - started) * 1000)
        for i in range(len(name) - 1, -1, -1):  # and deleting it again, back to all rows
            started = time.perf_counter()
            model.set_filter(name[:i])
            typed.append((time.perf_counter() - started) * 1000)
    print(
        f"filter-as-you-type, per keystroke over {len(typed)} keystrokes: "
        f"p50 {percentile(typed, 50):.2f} ms, p95 {percentile(typed, 95):.2f} ms, "
        f"max {max(typed):.2f} ms (target p95 <= 30 ms)"
    )
    del app


def workload(root: Path) -> dict[str, float]:
    """The same store workload: bulk seed, single writes, edits, reads, list loads."""
    times: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], object]) -> None:
        started = time.perf_counter()
        fn()
        times[name] = time.perf_counter() - started

    vault = vaults.create_vault(root, PASSPHRASE, "coach@bench", kdf=FAST_KDF_FOR_TESTS)
    try:
        timed("seed 5,000 clients (10 transactions)", lambda: demo.fill(vault, 5000, batch=500))
        created: list[int] = []
        timed(
            "300 single-client creates (300 commits)",
            lambda: created.extend(
                clients.create_client(
                    vault,
                    ClientDraft(
                        first_name=f"N{i}", last_name="Bench", emails=(f"n{i}@example.com",)
                    ),
                ).id
                for i in range(300)
            ),
        )
        timed(
            "300 edits (300 commits)",
            lambda: [
                clients.update_client(
                    vault, cid, ClientDraft(first_name="Edited", last_name=str(cid))
                )
                for cid in created
            ],
        )
        timed(
            "2,000 client reads",
            lambda: [clients.get_client(vault, 1 + (i * 37) % 5000) for i in range(2000)],
        )
        timed("20 full list loads", lambda: [clients.list_clients(vault) for _ in range(20)])
    finally:
        vault.close()
    return times


def bench_cipher_overhead(repeats: int) -> None:
    cipher_runs: list[dict[str, float]] = []
    plain_runs: list[dict[str, float]] = []
    real_connect = engine_module.connect_dbapi
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cipher_runs.append(workload(Path(tmp) / "cipher"))
            # Same code path, stdlib sqlite3 underneath: SQLite ignores the unknown key pragma.
            engine_module.connect_dbapi = sqlite3.connect
            try:
                plain_runs.append(workload(Path(tmp) / "plain"))
            finally:
                engine_module.connect_dbapi = real_connect
    print(f"store workload, SQLCipher {sqlite_versions()} (median of {repeats}):")
    total_c = total_p = 0.0
    for phase in cipher_runs[0]:
        c = statistics.median(r[phase] for r in cipher_runs)
        p = statistics.median(r[phase] for r in plain_runs)
        total_c, total_p = total_c + c, total_p + p
        print(
            f"  {phase:42} SQLCipher {c * 1000:8.1f} ms   SQLite {p * 1000:8.1f} ms   "
            f"ratio {c / p:.2f}x"
        )
    print(
        f"  {'total':42} SQLCipher {total_c * 1000:8.1f} ms   SQLite {total_p * 1000:8.1f} ms   "
        f"ratio {total_c / total_p:.2f}x (target <= 1.3x)"
    )


def sqlite_versions() -> str:
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    cipher_sqlite = conn.execute("select sqlite_version()").fetchone()[0]
    conn.close()
    return f"(its SQLite {cipher_sqlite}) vs plain SQLite {sqlite3.sqlite_version}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the big vault in this folder")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["startup", "list", "cipher"]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        vault_dir = args.keep or Path(tmp) / "vault"
        if not (vault_dir / "vault.key").exists():
            build_vault(vault_dir, args.clients)
        if "startup" not in args.skip:
            bench_startup(vault_dir, home, args.repeats)
        if "list" not in args.skip:
            bench_list_and_filter(vault_dir, args.repeats)
        if "cipher" not in args.skip:
            bench_cipher_overhead(max(1, args.repeats // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
