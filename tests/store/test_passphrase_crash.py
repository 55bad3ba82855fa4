"""Changing the passphrase survives a kill at any moment: the old or the new one opens the vault."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import coachdesk
from coachdesk.domain.errors import WrongPassphraseError
from coachdesk.services import audit_trail, clients, vaults
from coachdesk.store.keys import FAST_KDF_FOR_TESTS, KEY_FILE
from coachdesk.store.vault import Vault
from tests.conftest import skip_unless_long
from tests.store.util import sample_draft

OLD = "lantern osmosis fjord ribbon"
NEW = "quartz meadow violin harbour"
CLIENTS = 3

# The child loops A→B→A… until it is killed; it says "ready" once the vault is open.
CHILD = """
import sys
from pathlib import Path
from coachdesk.domain.errors import WrongPassphraseError
from coachdesk.services import vaults
from coachdesk.store.keys import KdfParams

root, first, second = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
kdf = KdfParams(iterations=1, memory_kib=8 * 1024, lanes=1)
try:
    vault = vaults.unlock(root, first, "coach@crash")
    current, other = first, second
except WrongPassphraseError:
    vault = vaults.unlock(root, second, "coach@crash")
    current, other = second, first
print("ready", flush=True)
while True:
    vaults.change_passphrase(vault, current, other, kdf=kdf)
    current, other = other, current
"""


def open_with_either(root: Path) -> tuple[Vault, str]:
    try:
        return vaults.unlock(root, OLD, "coach@test"), OLD
    except WrongPassphraseError:
        return vaults.unlock(root, NEW, "coach@test"), NEW


def assert_vault_whole(root: Path) -> str:
    """Open with either passphrase, check clients and audit trail; returns the one that opened."""
    vault, which = open_with_either(root)
    try:
        assert len(clients.list_clients(vault)) == CLIENTS
        assert audit_trail.verify(vault).intact
        assert vault.check_integrity() == []
    finally:
        vault.close()
    return which


@pytest.fixture
def crash_vault(vault_dir: Path) -> Path:
    created = vaults.create_vault(vault_dir, OLD, "coach@test", kdf=FAST_KDF_FOR_TESTS)
    for index in range(CLIENTS):
        clients.create_client(created, sample_draft(index))
    created.close()
    return vault_dir


def kill_during_changes(root: Path, trials: int, seed: int) -> set[str]:
    rng = random.Random(seed)
    env = dict(os.environ)
    repo = str(Path(coachdesk.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
    opened_with = set()
    for trial in range(trials):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), OLD, NEW],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert child.stdout is not None and child.stderr is not None
        try:
            line = child.stdout.readline()
            if line != b"ready\n":
                child.kill()
                child.wait()
                pytest.fail(f"trial {trial}: child did not start: {child.stderr.read().decode()}")
            # A random moment inside the loop; not a timing assertion.
            time.sleep(rng.uniform(0.0, 0.12))
            child.send_signal(signal.SIGKILL)
            child.wait()
        finally:
            child.stdout.close()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL, f"trial {trial}: the child stopped by itself"
        opened_with.add(assert_vault_whole(root))
    return opened_with


def test_passphrase_change_survives_kill(crash_vault: Path) -> None:
    opened_with = kill_during_changes(crash_vault, trials=20, seed=20261124)
    assert opened_with <= {OLD, NEW}


@pytest.mark.slow
def test_passphrase_change_survives_kill_long(
    crash_vault: Path, pytestconfig: pytest.Config
) -> None:
    skip_unless_long(pytestconfig, "the 200-kill run")
    opened_with = kill_during_changes(crash_vault, trials=200, seed=7)
    assert opened_with <= {OLD, NEW}


@pytest.mark.parametrize(
    "leftover", [b"", b'{"format": 1, "vault_', b"\x00" * 64], ids=["empty", "half", "zeros"]
)
def test_stray_new_key_file_does_not_break_opening(crash_vault: Path, leftover: bytes) -> None:
    stray = crash_vault / f"{KEY_FILE}.new"
    stray.write_bytes(leftover)

    assert assert_vault_whole(crash_vault) == OLD

    vault = vaults.unlock(crash_vault, OLD, "coach@test")
    try:
        vaults.change_passphrase(vault, OLD, NEW, kdf=FAST_KDF_FOR_TESTS)
    finally:
        vault.close()
    assert not stray.exists()
    assert assert_vault_whole(crash_vault) == NEW
    with pytest.raises(WrongPassphraseError):
        vaults.unlock(crash_vault, OLD, "coach@test")


def test_change_passphrase_needs_the_old_one(crash_vault: Path) -> None:
    vault = vaults.unlock(crash_vault, OLD, "coach@test")
    before = (crash_vault / KEY_FILE).read_bytes()
    try:
        with pytest.raises(WrongPassphraseError):
            vaults.change_passphrase(vault, NEW, OLD, kdf=FAST_KDF_FOR_TESTS)
    finally:
        vault.close()
    assert (crash_vault / KEY_FILE).read_bytes() == before
    assert (crash_vault / KEY_FILE).stat().st_mode & 0o077 == 0
