"""CRM figures: global search over 10,000 clients and 100,000 notes, CSV import and
export of 10,000 rows, and the list, board, risk and funnel queries at that size.

Prints figures and ratios; asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coachdesk.services import (  # noqa: E402
    clients,
    demo,
    pipeline,
    risk,
    search,
    transfer,
    vaults,
)
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402
from coachdesk.store.vault import Vault  # noqa: E402

PASSPHRASE = "bench vault passphrase for figures"
T = TypeVar("T")
# What a coach types: names (some misspelt), words from notes, two-word queries, prefixes.
QUERIES = [
    "kowalski",
    "kowlaski",
    "nakamura",
    "nakamrua",
    "priya",
    "margret",
    "salary",
    "negotiation",
    "portfolio case",
    "interview stories",
    "harbourview",
    "stakeholders reorganisation",
    "exam mock",
    "linkedin",
    "delegation",
    "visa",
    "pm role",
    "reading list",
    "inter",
    "sven vasquez",
]


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1000


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def build(root: Path, count: int, notes: int) -> Vault:
    print(f"building {count:,} clients with {notes} notes each …", flush=True)
    vault, ms = timed(lambda: demo.create_demo_vault(root, 0, PASSPHRASE, kdf=FAST_KDF_FOR_TESTS))
    _, ms = timed(lambda: demo.fill(vault, count, notes_per_client=(notes, notes), batch=1000))
    print(f"  seeded in {ms / 1000:.1f} s", flush=True)
    return vault


def bench_search(vault: Vault, rounds: int) -> None:
    with vault.reading() as session:
        from sqlalchemy import text

        entries = session.execute(text("SELECT count(*) FROM search_index")).scalar()
    print(f"\nsearch ({entries:,} index entries, {len(QUERIES)} queries x {rounds} rounds)")
    for query in QUERIES:  # warm the page cache once
        search.search_everything(vault, query)
    samples: list[float] = []
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    hits: dict[str, int] = {}
    for _ in range(rounds):
        for query in QUERIES:
            found, ms = timed(lambda q=query: search.search_everything(vault, q))  # type: ignore[misc]
            samples.append(ms)
            per_query[query].append(ms)
            hits[query] = len(found)
    print(
        f"  p50 {percentile(samples, 50):6.1f} ms   p95 {percentile(samples, 95):6.1f} ms   "
        f"max {max(samples):6.1f} ms   (target p95 ≤ 30 ms)"
    )
    slowest = sorted(per_query, key=lambda q: -statistics.median(per_query[q]))[:5]
    for query in slowest:
        print(
            f"  slowest: {query!r:32} median {statistics.median(per_query[query]):6.1f} ms, "
            f"{hits[query]} hits"
        )
    _, ms = timed(lambda: search.reindex(vault))
    print(f"  full reindex: {ms / 1000:.1f} s")


def bench_queries(vault: Vault) -> None:
    print("\nlists at this size (median of 5)")
    for label, fn in (
        ("client list rows", lambda: clients.list_clients(vault)),
        ("board", lambda: pipeline.board(vault)),
        ("renewal risk", lambda: risk.renewal_risks(vault)),
        ("funnel, all time", lambda: pipeline.funnel_report(vault)),
    ):
        runs = [timed(fn)[1] for _ in range(5)]  # type: ignore[arg-type]
        print(f"  {label:18} {statistics.median(runs):8.1f} ms")


def bench_import(vault: Vault, tmp: Path, rows: int) -> None:
    ids = [r.id for r in clients.list_clients(vault)][:rows]
    data, export_ms = timed(lambda: transfer.export_clients(vault, ids, "csv"))
    print(f"\nCSV ({len(ids):,} rows, {len(data) / 1e6:.1f} MB)")
    print(f"  export:                  {export_ms:8.0f} ms")
    fresh = vaults.create_vault(tmp / "import", PASSPHRASE, "bench", kdf=FAST_KDF_FOR_TESTS)
    try:
        _, ms = timed(lambda: transfer.preview(data, "clients.csv"))
        print(f"  preview (parse + map):   {ms:8.0f} ms")
        report, ms = timed(lambda: transfer.import_clients(fresh, data, "clients.csv"))
        print(
            f"  import into empty vault: {ms:8.0f} ms   ({report.created:,} created, "
            f"{len(report.errors)} errors) → {len(ids) / (ms / 1000):,.0f} rows/s"
        )
        report, ms = timed(lambda: transfer.import_clients(fresh, data, "clients.csv"))
        print(
            f"  same file again:         {ms:8.0f} ms   ({report.created} created, "
            f"{report.unchanged:,} unchanged)"
        )
        vcf = transfer.export_clients(vault, ids, "vcf")
        report, ms = timed(lambda: transfer.import_clients(fresh, vcf, "clients.vcf"))
        print(
            f"  vCard of the same:       {ms:8.0f} ms   ({report.created} created, "
            f"{report.unchanged:,} unchanged)"
        )
    finally:
        fresh.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--notes", type=int, default=10, help="notes per client (default 10)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vault = build(Path(tmp) / "vault", args.clients, args.notes)
        try:
            bench_search(vault, args.rounds)
            bench_queries(vault)
            bench_import(vault, Path(tmp), args.import_rows)
        finally:
            vault.close()


if __name__ == "__main__":
    main()
