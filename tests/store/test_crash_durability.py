"""A kill -9 at any moment during writes: no damage, no half transaction, no lost commit.

A child process writes transactions through `vault.writing()` until it is killed. Each
transaction adds one client with its e-mails, phones, tag and stage, three notes, one
follow-up and an audit event for each, all tagged with the transaction's number, and
the child says "committed N" once the commit has returned. After each kill the vault
is opened again and must pass its integrity checks; every transaction in it must be
whole, and every one the child acknowledged must be there.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text

import coachdesk
from coachdesk.domain.errors import KnownError
from coachdesk.services import audit_trail, vaults
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.vault import DB_FILE
from tests.conftest import PASSPHRASE, skip_unless_long

SHORT_TRIALS = 20
LONG_TRIALS = 1_000
# The long run starts a fresh vault now and then, so the checks after each kill stay quick.
TRIALS_PER_VAULT = 100
NOTES = 3
WAL_HEADER = 32
FRAME_HEADER = 24
# emails, phones, tags, stage moves, notes, follow-ups, audit events: per transaction.
WHOLE = (2, 2, 1, 1, NOTES, 1, 1 + NOTES + 1)

CHILD = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.crm import FollowUpDraft, NoteDraft, NoteKind
from coachdesk.services import vaults
from coachdesk.services.clients import place_new
from coachdesk.store import audit, crm
from coachdesk.store import clients as repo

root, number, passphrase, notes = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
vault = vaults.unlock(root, passphrase, "coach@crash")
words = "steady progress toward the goal with honest reflection and small weekly steps".split()
print("ready", flush=True)
while True:
    filler = " ".join(words[(number + i) % len(words)] for i in range(200))
    with vault.writing() as session:
        now = datetime.now(UTC).replace(tzinfo=None)
        draft = ClientDraft(
            first_name="Txn",
            last_name=str(number),
            emails=(f"t{number}a@example.org", f"t{number}b@example.org"),
            phones=("+44 20 7946 0958", "+1 555 010 7788"),
            tags=("crash-test",),
            notes=filler,
        ).validated()
        row = repo.insert(session, draft, now)
        place_new(session, row, now)
        audit.append(session, vault.actor, "client", row.id, "create")
        for index in range(notes):
            text = f"txn {number} note {index}: {filler}"
            draft = NoteDraft(NoteKind.SESSION, now.date(), text).validated()
            note = crm.add_note(session, row.id, draft, now)
            audit.append(session, vault.actor, "note", note.id, "create")
        due = now + timedelta(days=1)
        follow_up = crm.add_follow_up(
            session, row.id, FollowUpDraft(f"txn {number} follow-up", due).validated(), now
        )
        audit.append(session, vault.actor, "follow_up", follow_up.id, "create")
    print(f"committed {number}", flush=True)
    number += 1
"""

# One row per transaction found: its number and how many of each part it has.
PARTS = """
SELECT CAST(c.last_name AS INTEGER),
  (SELECT count(*) FROM client_emails e WHERE e.client_id = c.id),
  (SELECT count(*) FROM client_phones p WHERE p.client_id = c.id),
  (SELECT count(*) FROM client_tags t WHERE t.client_id = c.id),
  (SELECT count(*) FROM stage_changes s WHERE s.client_id = c.id),
  (SELECT count(*) FROM notes n
     WHERE n.client_id = c.id AND n.text LIKE 'txn ' || c.last_name || ' note %'),
  (SELECT count(*) FROM follow_ups f
     WHERE f.client_id = c.id AND f.title = 'txn ' || c.last_name || ' follow-up'),
  (SELECT count(*) FROM audit_events a
     WHERE a.entity = 'client' AND a.entity_id = CAST(c.id AS TEXT))
  + (SELECT count(*) FROM audit_events a JOIN notes n
       ON a.entity = 'note' AND a.entity_id = CAST(n.id AS TEXT) WHERE n.client_id = c.id)
  + (SELECT count(*) FROM audit_events a JOIN follow_ups f
       ON a.entity = 'follow_up' AND a.entity_id = CAST(f.id AS TEXT) WHERE f.client_id = c.id)
FROM clients c WHERE c.first_name = 'Txn'
"""

# Parts that no whole transaction accounts for would show up in these totals.
TOTALS = """
SELECT (SELECT count(*) FROM notes WHERE text LIKE 'txn %'),
       (SELECT count(*) FROM follow_ups WHERE title LIKE 'txn %'),
       (SELECT count(*) FROM audit_events WHERE actor = 'coach@crash')
"""


@dataclass
class Tally:
    """What the trials found."""

    trials: int = 0
    acknowledged: int = 0
    kept_unacknowledged: int = 0
    torn: int = 0
    corrupt: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def line(self, elapsed: float) -> str:
        """The summary printed after the run."""
        return (
            f"crash trials: {self.trials} kills in {elapsed:.1f} s; "
            f"corrupt {len(self.corrupt)}, partial {len(self.partial)}, lost {len(self.lost)}; "
            f"{self.acknowledged} acknowledged commits all kept, "
            f"{self.kept_unacknowledged} kept that were in flight when killed; "
            f"{self.torn} kills left a half-written commit in the WAL"
        )


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    repo = str(Path(coachdesk.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
    return env


def kill_while_writing(root: Path, first: int, pause: float) -> list[int]:
    """Start the writer, kill it `pause` seconds after it is ready; the numbers it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(first), PASSPHRASE, str(NOTES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        line = child.stdout.readline()
        if line != b"ready\n":
            child.kill()
            child.wait()
            pytest.fail(f"the writer did not start: {child.stderr.read().decode()}")
        # A random moment inside the write loop; not a timing assertion.
        time.sleep(pause)
        child.send_signal(signal.SIGKILL)
        child.wait()
        output = child.stdout.read().decode()
        errors = child.stderr.read().decode()
    finally:
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL, f"the writer stopped by itself: {errors}"
    return [int(line.split()[1]) for line in output.splitlines() if line.startswith("committed ")]


def torn_frames(db: Path) -> int:
    """Frames of the current WAL generation after its last commit frame (a commit cut short)."""
    wal_path = db.with_name(db.name + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    if len(wal) < WAL_HEADER:
        return 0
    page_size = int.from_bytes(wal[8:12], "big")
    salts = wal[16:24]
    after_commit = 0
    for offset in range(
        WAL_HEADER, len(wal) - FRAME_HEADER - page_size + 1, FRAME_HEADER + page_size
    ):
        frame = wal[offset : offset + FRAME_HEADER]
        if frame[8:16] != salts:
            break
        after_commit = 0 if int.from_bytes(frame[4:8], "big") else after_commit + 1
    return after_commit


def examine(root: Path) -> tuple[list[str], dict[int, tuple[int, ...]], tuple[int, ...]]:
    """Open the vault after a kill: (problems, transaction → its part counts, totals)."""
    try:
        vault = vaults.unlock(root, PASSPHRASE, "coach@test")
    except KnownError as exc:
        return [f"did not open: {exc.message}"], {}, ()
    try:
        problems = list(vault.check_integrity())
        verification = audit_trail.verify(vault)
        if not verification.intact:
            problems.append(f"audit trail: {verification.problem}")
        with vault.reading() as session:
            found = {
                int(row[0]): tuple(int(v) for v in row[1:]) for row in session.execute(text(PARTS))
            }
            totals = tuple(int(v) for v in session.execute(text(TOTALS)).one())
    finally:
        vault.close()
    return problems, found, totals


def new_vault(root: Path) -> None:
    vaults.create_vault(root, PASSPHRASE, "coach@test", kdf=FAST_KDF_FOR_TESTS).close()


def run_trials(base: Path, trials: int, seed: int) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    acknowledged: set[int] = set()
    root = base / "vault0"
    new_vault(root)
    following = 1
    for trial in range(trials):
        if trial and trial % TRIALS_PER_VAULT == 0:
            root = base / f"vault{trial // TRIALS_PER_VAULT}"
            new_vault(root)
            acknowledged, following = set(), 1
        acked = kill_while_writing(root, following, rng.uniform(0.0, 0.3))
        acknowledged.update(acked)
        tally.trials += 1
        tally.acknowledged += len(acked)
        tally.torn += torn_frames(root / DB_FILE) > 0
        where = f"trial {trial} ({root.name})"

        problems, found, totals = examine(root)
        if problems:
            tally.corrupt.append(f"{where}: {problems}")
            break
        in_flight = max(acked, default=following - 1) + 1
        for number, parts in sorted(found.items()):
            if parts != WHOLE:
                tally.partial.append(f"{where}: transaction {number} has {parts}, not {WHOLE}")
            if number not in acknowledged and number != in_flight:
                tally.partial.append(f"{where}: transaction {number} was never written")
        expected_totals = (NOTES * len(found), len(found), WHOLE[-1] * len(found))
        if totals != expected_totals:
            tally.partial.append(f"{where}: stray parts {totals}, expected {expected_totals}")
        tally.lost.extend(f"{where}: transaction {n}" for n in sorted(acknowledged - set(found)))
        if in_flight in found and in_flight not in acknowledged:
            tally.kept_unacknowledged += 1
            acknowledged.add(in_flight)
        following = max(found, default=following - 1) + 1
    return tally


def check(tally: Tally, started: float) -> None:
    print("\n" + tally.line(time.perf_counter() - started))
    assert not tally.corrupt, tally.corrupt
    assert not tally.partial, tally.partial[:10]
    assert not tally.lost, tally.lost[:10]
    assert tally.acknowledged > tally.trials, "the kills came before any writing"


def test_kill_during_writes_loses_nothing(tmp_path: Path) -> None:
    started = time.perf_counter()
    tally = run_trials(tmp_path, SHORT_TRIALS, seed=20261207)
    check(tally, started)
    assert tally.trials == SHORT_TRIALS


@pytest.mark.slow
def test_kill_during_writes_loses_nothing_long(tmp_path: Path, pytestconfig: pytest.Config) -> None:
    skip_unless_long(pytestconfig, "the 1,000-kill run")
    started = time.perf_counter()
    tally = run_trials(tmp_path, LONG_TRIALS, seed=7)
    check(tally, started)
    assert tally.trials == LONG_TRIALS
