"""The key is the first statement on every raw connection, whoever opens it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from sqlalchemy import text

from coachdesk.services import clients, vaults
from coachdesk.store import engine as engine_module
from coachdesk.store.keys import FAST_KDF_FOR_TESTS
from coachdesk.store.migrate import migrate_to
from coachdesk.store.vault import Vault
from tests.conftest import PASSPHRASE
from tests.store.util import sample_draft


class TracedConnections:
    """A stand-in for `sqlcipher3.connect` that records every statement each connection runs."""

    def __init__(self) -> None:
        self.traces: list[list[str]] = []
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        conn = sqlcipher3.connect(*args, **kwargs)
        trace: list[str] = []
        conn.set_trace_callback(trace.append)
        with self._lock:
            self.traces.append(trace)
        return conn


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> TracedConnections:
    """Every raw connection the store opens from now on is traced."""
    spy = TracedConnections()
    monkeypatch.setattr(engine_module, "connect_dbapi", spy)
    return spy


def busy_sessions(vault: Vault) -> None:
    """A writer and a reader on two threads and the main thread, all holding connections at once."""
    together = threading.Barrier(3, timeout=30)
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with vault.writing() as session:
                session.execute(text("SELECT count(*) FROM clients")).scalar()
                together.wait()
            clients.create_client(vault, sample_draft(1))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    def reader() -> None:
        try:
            with vault.reading() as session:
                session.execute(text("SELECT count(*) FROM audit_events")).scalar()
                together.wait()
            clients.list_clients(vault)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    with vault.engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM tags")).scalar()
        together.wait()
    for thread in threads:
        thread.join()
    assert failures == []


def assert_key_first(traces: list[list[str]]) -> None:
    for number, trace in enumerate(traces):
        assert trace, f"connection {number} ran no statement at all"
        assert trace[0].startswith("PRAGMA key = "), f"connection {number} began with {trace[0]!r}"
        later_keys = [s for s in trace[1:] if s.upper().startswith(("PRAGMA KEY", "PRAGMA REKEY"))]
        assert later_keys == [], f"connection {number} was re-keyed: {later_keys}"


def test_key_is_first_statement_on_every_connection(
    traced: TracedConnections, vault_dir: Path
) -> None:
    created = vaults.create_vault(vault_dir, PASSPHRASE, "coach@test", kdf=FAST_KDF_FOR_TESTS)
    clients.create_client(created, sample_draft(0))
    busy_sessions(created)
    created.close()
    at_creation = len(traced.traces)

    # Opening an older schema also opens the backup's source and target connections.
    downgraded = vaults.unlock(vault_dir, PASSPHRASE, "coach@test")
    migrate_to(downgraded.engine, "0001")
    downgraded.close()
    reopened = vaults.unlock(vault_dir, PASSPHRASE, "coach@test")
    assert reopened.last_backup is not None
    busy_sessions(reopened)
    assert len(clients.list_clients(reopened)) == 3
    reopened.close()

    assert at_creation >= 3, "the writer, the reader and the main thread each need a connection"
    assert len(traced.traces) - at_creation >= 5
    assert_key_first(traced.traces)
    # The trace sees everything after the key: the key check, then the connection pragmas
    # (SQLAlchemy's own first-connect probe, a harmless PRAGMA, may sit among them).
    setup = [
        "PRAGMA journal_mode = WAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA synchronous = FULL",
        f"PRAGMA busy_timeout = {engine_module.BUSY_TIMEOUT_MS}",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA secure_delete = ON",
    ]
    engine_traces = [t for t in traced.traces if setup[0] in t]
    assert len(engine_traces) >= 6
    for trace in engine_traces:
        assert trace[1] == "SELECT count(*) FROM sqlite_master"
        positions = [trace.index(statement) for statement in setup]
        assert positions == sorted(positions)
        before_setup = trace[2 : positions[-1]]
        assert all(s.startswith("PRAGMA") for s in before_setup), before_setup


def test_connection_pragmas_are_in_force(vault: Vault) -> None:
    with vault.engine.connect() as conn:
        values = {
            name: conn.execute(text(f"PRAGMA {name}")).scalar()
            for name in (
                "journal_mode",
                "foreign_keys",
                "synchronous",
                "temp_store",
                "secure_delete",
            )
        }
        version = conn.execute(text("PRAGMA cipher_version")).scalar()
    assert values == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,
        "temp_store": 2,
        "secure_delete": 1,
    }
    assert str(version).startswith("4.")
