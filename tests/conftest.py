"""Shared fixtures: every test gets its own COACHDESK_HOME and never the real keychain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coachdesk.services import vaults
from coachdesk.store.keychain import MemoryStore
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.vault import Vault

PASSPHRASE = "correct horse battery staple"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="run the long forms of the crash and soak proofs (COACHDESK_LONG=1 does the same)",
    )


def long_run(config: pytest.Config) -> bool:
    """Whether the long forms were asked for: `--long` (make soak) or COACHDESK_LONG=1."""
    return bool(config.getoption("--long")) or os.environ.get("COACHDESK_LONG") == "1"


def skip_unless_long(config: pytest.Config, what: str) -> None:
    """Skip the calling test unless the long forms were asked for."""
    if not long_run(config):
        pytest.skip(f"{what} runs with --long (make soak)")


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A fresh COACHDESK_HOME; no passphrase in the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COACHDESK_HOME", str(home))
    monkeypatch.delenv("COACHDESK_PASSPHRASE", raising=False)
    return home


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    """Where a test's vault goes."""
    return tmp_path / "vault"


@pytest.fixture
def secrets() -> MemoryStore:
    """An in-memory keychain that behaves like a secure one."""
    return MemoryStore(available=True)


@pytest.fixture
def vault(vault_dir: Path) -> Iterator[Vault]:
    """A new, unlocked vault on disk (cheap KDF so tests stay quick)."""
    opened = vaults.create_vault(vault_dir, PASSPHRASE, "coach@test", kdf=FAST_KDF_FOR_TESTS)
    yield opened
    opened.close()
