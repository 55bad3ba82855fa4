"""Compliance figures on a 500-client demo vault: backups (take, verify, restore), one
client's export, erasure (preview and erase) and a retention run that removes a good
share of the notes.

Each figure is a median over repeats, with its spread; destructive steps run on
different clients or on fresh copies of the vault.  Prints figures; asserts nothing.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from coachdesk.domain.clients import ClientStatus  # noqa: E402
from coachdesk.domain.compliance import Category, describe_months  # noqa: E402
from coachdesk.services import (  # noqa: E402
    backups,
    clients,
    compliance,
    demo,
    documents,
    privacy,
    vaults,
)
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402
from coachdesk.store.tables import GeneratedDocumentTable, NoteTable  # noqa: E402
from coachdesk.store.vault import Vault  # noqa: E402

PASSPHRASE = "bench vault passphrase for figures"
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1000


def folder_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def mb(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB"


class Table:
    """The figures, printed as one compact table at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def times(self, name: str, samples: list[float], note: str = "") -> None:
        spread = max(samples) - min(samples)
        self.rows.append(
            (name, f"{statistics.median(samples):9.1f} ms", f"±{spread:7.1f}", f"n={len(samples)}")
        )
        if note:
            self.rows.append(("", note, "", ""))

    def value(self, name: str, value: str) -> None:
        self.rows.append((name, value, "", ""))

    def print(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print()
        print(f"{'step':<{width}}  {'median':>12}  {'spread':>8}")
        for name, first, spread, n in self.rows:
            print(f"{name:<{width}}  {first:>12}  {spread:>8}  {n}".rstrip())


def build(root: Path, count: int, extra_documents: int) -> tuple[Vault, int]:
    """The demo vault, with consent forms for some clients; returns the richest client."""
    print(f"building a demo vault of {count:,} clients …", flush=True)
    vault, ms = timed(
        lambda: demo.create_demo_vault(root, count, PASSPHRASE, kdf=FAST_KDF_FOR_TESTS)
    )
    print(f"  built in {ms / 1000:.1f} s", flush=True)
    with vault.reading() as session:
        ids = list(session.scalars(select(GeneratedDocumentTable.client_id)))
    richest = max(set(ids), key=ids.count)
    actives = [r.id for r in clients.list_clients(vault) if r.status is ClientStatus.ACTIVE]
    for_forms = [richest, *[i for i in actives if i != richest][: max(0, extra_documents - 1)]]
    _, ms = timed(
        lambda: [documents.create_document(vault, i, "consent_form", {}) for i in for_forms]
    )
    print(f"  {len(for_forms)} consent forms made in {ms / 1000:.1f} s", flush=True)
    return vault, richest


def notes_rule(vault: Vault, share: float) -> tuple[int, int, int]:
    """The longest notes rule (months) that removes at least `share` of the notes."""
    with vault.reading() as session:
        total = int(session.scalar(select(func.count()).select_from(NoteTable)) or 0)
    months, going = 1, 0
    for months in range(12, 0, -1):
        compliance.set_retention_rule(vault, Category.NOTES, months)
        going = compliance.plan_retention(vault).counts()[Category.NOTES]
        if going >= share * total:
            break
    return months, going, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--documents", type=int, default=20, help="consent forms to add")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), args)
    print(f"\n(whole run {time.perf_counter() - started:.0f} s)")


def run(tmp: Path, args: argparse.Namespace) -> None:
    repeats = args.repeats
    table = Table()
    vault, richest = build(tmp / "vault", args.clients, args.documents)
    try:
        months, going, total = notes_rule(vault, 0.4)
        privacy.scrub(vault)  # the write-ahead log into the database, as it is at rest
        vault_bytes = folder_size(vault.paths.root)
        with vault.reading() as session:
            docs = int(
                session.scalar(select(func.count()).select_from(GeneratedDocumentTable)) or 0
            )
        table.value("vault", f"{args.clients} clients, {total:,} notes, {docs} documents")

        print("backups …", flush=True)
        out = tmp / "backups"
        out.mkdir()
        taken = [timed(lambda: backups.create_backup(vault, out)) for _ in range(repeats)]
        info = taken[-1][0]
        table.times("create_backup", [ms for _, ms in taken])
        table.value("backup file size", mb(info.size))
        table.value("vault folder size", mb(vault_bytes))
        table.value("backup / vault folder", f"{info.size / vault_bytes:.2f}x")

        verify = [
            timed(lambda: backups.verify_backup(info.path, PASSPHRASE))[1] for _ in range(repeats)
        ]
        table.times("verify_backup (deep, with passphrase)", verify)
        shallow = [timed(lambda: backups.verify_backup(info.path))[1] for _ in range(repeats)]
        table.times("verify_backup (checksums only)", shallow)

        copies = [tmp / f"copy-{i}" for i in range(repeats)]
        restore = [
            timed(partial(backups.restore_backup, info.path, PASSPHRASE, c))[1] for c in copies
        ]
        table.times("restore_backup (fresh folder)", restore)

        print("export and erasure …", flush=True)
        exported = [
            timed(partial(privacy.export_client, vault, richest, tmp / f"export-{i}.zip"))
            for i in range(repeats)
        ]
        summary = exported[-1][0]
        table.times(
            "export_client",
            [ms for _, ms in exported],
            f"{summary.total_rows} rows, {summary.files} PDFs, "
            f"zip {summary.path.stat().st_size / 1000:.0f} kB",
        )

        active = [
            r.id
            for r in clients.list_clients(vault)
            if r.status is ClientStatus.ACTIVE and r.id != richest
        ]
        victims = active[-repeats:]
        previews = [timed(partial(privacy.erasure_preview, vault, c))[1] for c in victims]
        table.times("erasure_preview", previews)
        erased = [timed(partial(privacy.erase_client, vault, c)) for c in victims]
        rows = statistics.median(sum(r.rows.values()) for r, _ in erased)
        table.times(
            "erase_client (different clients)",
            [ms for _, ms in erased],
            f"median {rows:.0f} rows each, secure_delete + WAL truncate",
        )

        print("retention …", flush=True)
        plans = [timed(lambda: compliance.plan_retention(vault)) for _ in range(repeats)]
        table.times(
            f"plan_retention (notes kept {describe_months(months)})",
            [ms for _, ms in plans],
            f"{plans[-1][0].counts()[Category.NOTES]:,} of {total:,} notes would go",
        )
    finally:
        vault.close()

    applied: list[float] = []
    removed = 0
    for copy in copies:
        fresh = vaults.unlock(copy, PASSPHRASE, "bench")
        try:
            plan = compliance.plan_retention(fresh)
            result, ms = timed(partial(compliance.apply_retention, fresh, plan))
            applied.append(ms)
            removed = result.total
        finally:
            fresh.close()
        shutil.rmtree(copy)
    table.times(
        "apply_retention (fresh copies)",
        applied,
        f"{removed:,} of {going:,} planned removed each (copies from before the erasures)",
    )
    table.print()


if __name__ == "__main__":
    main()
