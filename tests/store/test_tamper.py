"""Tampering is found: 1,000 random edits of the audit trail, byte flips in the database file.

Also proves the decrypting page scan of tests/store/pages.py against a real vault, so
the canary tests that rely on it are not vacuous.
"""

from __future__ import annotations

import random
import re
import shutil
import string
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from coachdesk.domain.audit import chain_hash
from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.crm import FollowUpDraft, NoteDraft, NoteKind
from coachdesk.domain.errors import VaultDamagedError, WrongPassphraseError
from coachdesk.services import audit_trail, clients, crm, vaults
from coachdesk.store import audit
from coachdesk.store.keys import KEY_FILE
from coachdesk.store.vault import DB_FILE, Vault
from tests.conftest import PASSPHRASE
from tests.store import pages
from tests.store.util import canary, flip_byte, sample_draft, sql

MUTATIONS = 1_000
FLIPS = 100
PRUNED = 20
COLUMNS = ("seq", "at", "actor", "entity", "entity_id", "action", "fields", "prev_hash", "hash")
TEXT_COLUMNS = ("actor", "entity", "entity_id", "action", "fields")

Row = tuple[object, ...]


def fill(vault: Vault, count: int = 100) -> int:
    """Clients with a note and a follow-up each, through the services; returns the event count."""
    due = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3)
    for index in range(count):
        client = clients.create_client(vault, sample_draft(index))
        crm.add_note(
            vault,
            client.id,
            NoteDraft(NoteKind.SESSION, due.date() - timedelta(days=5), f"Session {index}."),
        )
        crm.add_follow_up(vault, client.id, FollowUpDraft(f"Call back #{index}", due))
    result = audit_trail.verify(vault)
    assert result.intact
    return result.events


@pytest.fixture
def busy(vault: Vault) -> Vault:
    """A vault whose audit trail holds a few hundred events."""
    assert fill(vault) >= 300
    return vault


# The audit trail ---------------------------------------------------------------------------


def prune_oldest(vault: Vault, count: int) -> None:
    """Let retention remove the `count` oldest entries, as the store does it."""
    with vault.reading() as session:
        events = audit.all_events(session)
    with vault.writing() as session:
        removed = audit.prune_through(session, events[count - 1].seq)
    assert removed == count


def test_legitimate_prune_still_verifies(busy: Vault) -> None:
    before = audit_trail.verify(busy).events

    prune_oldest(busy, PRUNED)

    result = audit_trail.verify(busy)
    assert result.intact, result.problem
    assert result.events == before - PRUNED
    assert sql(busy, "SELECT base_seq FROM audit_head") == [(PRUNED,)]
    clients.create_client(busy, sample_draft(999))
    assert audit_trail.verify(busy).intact


class Tamperer:
    """Applies one random change to the audit tables of an open transaction.

    Args:
        conn: the connection the transaction runs on.
        rng: where the randomness comes from.
    """

    def __init__(self, conn: Connection, rng: random.Random) -> None:
        self._conn = conn
        self._rng = rng
        self.rows: list[Row] = []
        self.head: Row = ()

    def run(self, kind: str) -> None:
        """Read the current trail, then apply the change called `kind`."""
        self.rows = self._select("SELECT * FROM audit_events ORDER BY seq")
        self.head = self._select("SELECT seq, hash, base_seq, base_hash FROM audit_head")[0]
        actions: dict[str, Callable[[], None]] = {
            "edit": self.edit,
            "delete": self.delete,
            "swap contents": self.swap_contents,
            "swap seqs": self.swap_seqs,
            "insert forged": self.insert_forged,
            "forge in place": self.forge_in_place,
            "truncate": self.truncate,
            "move base": self.move_base,
        }
        actions[kind]()

    def _select(self, statement: str) -> list[Row]:
        return [tuple(row) for row in self._conn.execute(text(statement))]

    def _exec(self, statement: str, **params: object) -> None:
        self._conn.execute(text(statement), params)

    def _seqs(self) -> set[int]:
        return {int(str(row[0])) for row in self.rows}

    def _other(self, value: str, column: int) -> str:
        """A value for a text column that differs from `value`."""
        how = self._rng.choice(("char", "append", "borrow", "empty"))
        if how == "borrow":
            others = {str(row[column]) for row in self.rows} - {value}
            if others:
                return self._rng.choice(sorted(others))
        if how == "empty" and value:
            return ""
        if how == "char" and value:
            at = self._rng.randrange(len(value))
            pool = string.ascii_letters + string.digits + ",@._-"
            new = self._rng.choice(pool.replace(value[at], ""))
            return value[:at] + new + value[at + 1 :]
        return value + self._rng.choice(string.ascii_lowercase)

    def _other_hash(self, value: str) -> str:
        at = self._rng.randrange(len(value))
        new = self._rng.choice("0123456789abcdef".replace(value[at], ""))
        return value[:at] + new + value[at + 1 :]

    def _free_seq(self) -> int:
        taken = self._seqs()
        low, high = min(taken), max(taken)
        candidates = [low - 1 - self._rng.randrange(4), high + 1 + self._rng.randrange(4), -1, 0]
        return self._rng.choice([c for c in candidates if c not in taken])

    def edit(self) -> None:
        """Change one column of one row to a different value."""
        row = self._rng.choice(self.rows)
        column = self._rng.randrange(len(COLUMNS))
        name, old = COLUMNS[column], row[column]
        new: object
        if name == "seq":
            new = self._free_seq()
        elif name == "at":
            moved = datetime.fromisoformat(str(old)) + timedelta(
                microseconds=self._rng.choice((-1, 1)) * self._rng.randint(1, 10**8)
            )
            new = moved.isoformat(timespec="microseconds")
        elif name in ("hash", "prev_hash"):
            new = self._other_hash(str(old))
        else:
            new = self._other(str(old), column)
        assert new != old
        self._exec(
            f"UPDATE audit_events SET {name} = :new WHERE seq = :seq",  # noqa: S608
            new=new,
            seq=row[0],
        )

    def delete(self) -> None:
        """Remove one row anywhere in the trail."""
        self._exec("DELETE FROM audit_events WHERE seq = :seq", seq=self._rng.choice(self.rows)[0])

    def _two(self) -> tuple[Row, Row]:
        first, second = self._rng.sample(self.rows, 2)
        return first, second

    def swap_contents(self) -> None:
        """Swap everything but the seq of two rows, so the stored order changes."""
        first, second = self._two()
        names = ", ".join(f"{c} = :{c}" for c in COLUMNS[1:])
        for target, source in ((first, second), (second, first)):
            values = dict(zip(COLUMNS[1:], source[1:], strict=True))
            self._exec(
                f"UPDATE audit_events SET {names} WHERE seq = :target",  # noqa: S608
                target=target[0],
                **values,
            )

    def swap_seqs(self) -> None:
        """Give two rows each other's seq (seq is the rowid: this reorders the table)."""
        first, second = self._two()
        self._exec("UPDATE audit_events SET seq = -999 WHERE seq = :s", s=first[0])
        self._exec("UPDATE audit_events SET seq = :a WHERE seq = :b", a=first[0], b=second[0])
        self._exec("UPDATE audit_events SET seq = :b WHERE seq = -999", b=second[0])

    def _insert(self, values: Row) -> None:
        self._exec(
            "INSERT INTO audit_events VALUES (:v0, :v1, :v2, :v3, :v4, :v5, :v6, :v7, :v8)",
            **{f"v{i}": v for i, v in enumerate(values)},
        )

    def _made_up(self, seq: int, prev: str) -> Row:
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        event = (
            seq,
            at,
            self._rng.choice(("coach@test", "coach@cli", "intruder")),
            self._rng.choice(("client", "note", "invoice")),
            str(self._rng.randint(1, 500)),
            self._rng.choice(("create", "update", "delete", "export")),
            self._rng.choice(("", "notes", "emails,phones")),
            prev,
        )
        return (*event, chain_hash(*event))

    def insert_forged(self) -> None:
        """Add a made-up event whose own hash is right, after the end or outside the range."""
        last_seq, last_hash = int(str(self.head[0])), str(self.head[1])
        where = self._rng.choice(("linked at the end", "unlinked at the end", "gap", "free"))
        if where == "linked at the end":
            self._insert(self._made_up(last_seq + 1, last_hash))
        elif where == "unlinked at the end":
            self._insert(self._made_up(last_seq + 1, self._other_hash(last_hash)))
        elif where == "gap":
            self._insert(self._made_up(last_seq + self._rng.randint(2, 5), last_hash))
        else:
            seq = self._free_seq()
            self._insert(self._made_up(seq, str(self._rng.choice(self.rows)[8])))

    def forge_in_place(self) -> None:
        """Replace a row with a made-up event that links to its predecessor and hashes right."""
        row = self._rng.choice(self.rows)
        forged = self._made_up(int(str(row[0])), str(row[7]))
        self._exec("DELETE FROM audit_events WHERE seq = :seq", seq=row[0])
        self._insert(forged)

    def truncate(self) -> None:
        """Cut the last k rows."""
        k = self._rng.randint(1, min(20, len(self.rows)))
        cut = sorted(self._seqs())[-k]
        self._exec("DELETE FROM audit_events WHERE seq >= :cut", cut=cut)

    def move_base(self) -> None:
        """Move where the kept trail starts, in every way a retention run would not."""
        base_seq, base_hash = int(str(self.head[2])), str(self.head[3])
        how = self._rng.choice(("forward", "back", "hash", "prefix with a wrong hash"))
        if how == "forward":
            new_seq = base_seq + self._rng.randint(1, 10)
            self._exec("UPDATE audit_head SET base_seq = :s", s=new_seq)
        elif how == "back":
            new_seq = base_seq - self._rng.randint(1, base_seq) if base_seq else -1
            self._exec("UPDATE audit_head SET base_seq = :s", s=new_seq)
        elif how == "hash":
            self._exec("UPDATE audit_head SET base_hash = :h", h=self._other_hash(base_hash))
        else:
            k = self._rng.randint(1, 10)
            cut = self.rows[k - 1]
            wrong = self._rng.choice(
                [str(r[8]) for r in self.rows[: k - 1]] + [self._other_hash(str(cut[8]))]
            )
            self._exec("DELETE FROM audit_events WHERE seq <= :s", s=cut[0])
            self._exec("UPDATE audit_head SET base_seq = :s, base_hash = :h", s=cut[0], h=wrong)


def state(conn: Connection) -> tuple[list[Row], list[Row]]:
    """Everything the chain check reads, in stored order."""
    events = [tuple(r) for r in conn.execute(text("SELECT * FROM audit_events ORDER BY seq"))]
    head = [tuple(r) for r in conn.execute(text("SELECT * FROM audit_head"))]
    return events, head


def audit_triggers(conn: Connection) -> list[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit%'"
    return sorted(str(r[0]) for r in conn.execute(text(query)))


def test_random_audit_tampering_is_always_found(busy: Vault) -> None:
    prune_oldest(busy, PRUNED)
    rng = random.Random(20261207)
    kinds = Counter[str]()
    detected = Counter[str]()
    reasons = Counter[str]()
    started = time.perf_counter()
    with busy.engine.connect() as conn:
        triggers = audit_triggers(conn)
        assert len(triggers) == 3, triggers
        conn.commit()
        clean = state(conn)
        conn.commit()
        for _ in range(MUTATIONS):
            kind = rng.choice(
                (
                    "edit",
                    "delete",
                    "swap contents",
                    "swap seqs",
                    "insert forged",
                    "forge in place",
                    "truncate",
                    "move base",
                )
            )
            trans = conn.begin()
            try:
                for name in triggers:
                    conn.execute(text(f"DROP TRIGGER {name}"))
                Tamperer(conn, rng).run(kind)
                assert state(conn) != clean, f"{kind} changed nothing"
                with Session(bind=conn) as session:
                    _, problem = audit.check(session)
            finally:
                trans.rollback()
            kinds[kind] += 1
            if problem is not None:
                detected[kind] += 1
                reasons[re.sub(r"#\d+", "#n", problem.reason)] += 1
        assert state(conn) == clean
        assert audit_triggers(conn) == triggers
        conn.commit()
    elapsed = time.perf_counter() - started

    found = sum(detected.values())
    print(
        f"\naudit tampering: {found}/{MUTATIONS} detected in {elapsed:.1f} s; "
        + ", ".join(f"{k} {detected[k]}/{n}" for k, n in sorted(kinds.items()))
    )
    print("  as reported: " + ", ".join(f"{r!r} {n}" for r, n in reasons.most_common()))
    assert found == MUTATIONS, {k: n - detected[k] for k, n in kinds.items() if detected[k] < n}
    assert set(kinds) == {
        "edit",
        "delete",
        "swap contents",
        "swap seqs",
        "insert forged",
        "forge in place",
        "truncate",
        "move base",
    }
    assert audit_trail.verify(busy).intact


# Byte flips in the database file ------------------------------------------------------------


def test_byte_flips_are_damage_never_a_wrong_passphrase(busy: Vault, tmp_path: Path) -> None:
    busy.close()
    source = busy.paths.root
    assert not (source / f"{DB_FILE}-wal").exists()
    size = (source / DB_FILE).stat().st_size
    assert size % pages.PAGE_SIZE == 0
    page_count = size // pages.PAGE_SIZE
    rng = random.Random(4096)
    # Page 1 and the last page always; the rest at random offsets across the file.
    offsets = [rng.randrange(pages.PAGE_SIZE), size - 1 - rng.randrange(pages.PAGE_SIZE)]
    offsets += [rng.randrange(size) for _ in range(FLIPS - len(offsets))]
    outcomes = Counter[str]()
    started = time.perf_counter()
    for trial, offset in enumerate(offsets):
        copy = tmp_path / f"flip{trial}"
        copy.mkdir()
        shutil.copy2(source / KEY_FILE, copy / KEY_FILE)
        shutil.copy2(source / DB_FILE, copy / DB_FILE)
        flip_byte(copy / DB_FILE, offset, rng.randint(1, 255))
        where = f"flip {trial} at byte {offset} (page {offset // pages.PAGE_SIZE + 1})"
        try:
            opened = vaults.unlock(copy, PASSPHRASE, "coach@test")
        except WrongPassphraseError:
            pytest.fail(f"{where}: reported as a wrong passphrase")
        except VaultDamagedError as exc:
            assert "passphrase is right" in exc.message
            outcomes["damaged on opening"] += 1
        else:
            try:
                problems = opened.check_integrity()
            finally:
                opened.close()
            assert problems, f"{where}: the vault opened and checked as fine"
            outcomes["found by the integrity check"] += 1
        shutil.rmtree(copy)
    elapsed = time.perf_counter() - started

    print(
        f"\nbyte flips: {sum(outcomes.values())}/{len(offsets)} detected over {page_count} pages "
        f"in {elapsed:.1f} s; "
        + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items()))
        + "; wrong passphrase 0, silently fine 0"
    )
    assert sum(outcomes.values()) == len(offsets)


# The decrypting page scan -------------------------------------------------------------------


def raw_contains(db_path: Path, needle: bytes) -> bool:
    """A plain byte scan of the database file and its WAL."""
    wal = db_path.with_name(db_path.name + "-wal")
    return any(needle in p.read_bytes() for p in (db_path, wal) if p.exists())


def test_page_layout_matches_the_real_file(vault: Vault) -> None:
    with vault.engine.connect() as conn:
        settings = [str(r[0]) for r in conn.execute(text("PRAGMA cipher_settings"))]
        page_size = conn.execute(text("PRAGMA page_size")).scalar()
    assert f"PRAGMA cipher_page_size = {pages.PAGE_SIZE};" in settings
    assert "PRAGMA cipher_use_hmac = 1;" in settings
    assert "PRAGMA cipher_hmac_algorithm = HMAC_SHA512;" in settings
    assert "PRAGMA cipher_plaintext_header_size = 0;" in settings
    assert int(str(page_size)) == pages.PAGE_SIZE

    clients.create_client(vault, sample_draft(1))
    first = next(pages.plaintext_pages(vault.paths.db, vault.data_key))
    assert first.startswith(pages.SQLITE_MAGIC)
    assert int.from_bytes(first[16:18], "big") == pages.PAGE_SIZE
    assert first[20] == pages.RESERVE
    good, bad = pages.count_pages(vault.paths.db, vault.data_key)
    assert good > 10
    assert bad == 0


def test_canary_is_found_by_the_decrypting_scan_only(vault: Vault) -> None:
    mark = canary()
    needle = mark.encode()
    db = vault.paths.db
    clients.create_client(vault, ClientDraft(first_name="Ada", notes=f"Prefers {mark} calls."))

    assert (db.with_name(DB_FILE + "-wal")).exists()
    assert pages.contains(db, vault.data_key, needle), "the scan missed the WAL frame"
    assert not raw_contains(db, needle)

    data_key = vault.data_key
    vault.close()
    assert not (db.with_name(DB_FILE + "-wal")).exists()
    assert pages.contains(db, data_key, needle), "the scan missed the database page"
    assert not raw_contains(db, needle)
    assert not pages.contains(db, data_key, canary().encode())
    assert not pages.contains(db, bytes(32), needle), "a wrong key must decrypt nothing"


def test_scan_keeps_pages_that_do_not_decrypt(vault: Vault) -> None:
    clients.create_client(vault, sample_draft(2))
    data_key = vault.data_key
    vault.close()
    db = vault.paths.db
    flip_byte(db, pages.PAGE_SIZE + 100)
    raw_second_page = db.read_bytes()[pages.PAGE_SIZE : 2 * pages.PAGE_SIZE]

    scanned = list(pages.plaintext_pages(db, data_key))

    assert scanned[1] == raw_second_page
    assert pages.count_pages(db, data_key)[1] == 1
