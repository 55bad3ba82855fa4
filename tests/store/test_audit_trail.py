"""The audit table: append-only in the database, and every kind of tampering is named by seq."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from coachdesk.domain.audit import chain_hash
from coachdesk.services import audit_trail, clients
from coachdesk.store.vault import Vault
from tests.store.util import drop_audit_triggers, sample_draft, sql

EVENTS = 8


@pytest.fixture
def chained(vault: Vault) -> Vault:
    """A vault whose trail holds EVENTS entries: the vault's creation and seven clients."""
    for index in range(EVENTS - 1):
        clients.create_client(vault, sample_draft(index))
    result = audit_trail.verify(vault)
    assert result.intact and result.events == EVENTS
    return vault


@pytest.fixture
def unguarded(chained: Vault) -> Vault:
    """The same vault after someone with the key dropped the append-only triggers."""
    drop_audit_triggers(chained)
    return chained


def problem_seq(vault: Vault) -> int:
    result = audit_trail.verify(vault)
    assert result.problem is not None, "tampering went unnoticed"
    return result.problem.seq


def row(vault: Vault, seq: int) -> tuple[object, ...]:
    return sql(vault, "SELECT * FROM audit_events WHERE seq = :s", s=seq)[0]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'someone else' WHERE seq = 3",
        "UPDATE audit_events SET seq = seq + 100",
        "DELETE FROM audit_events WHERE seq = 3",
        "DELETE FROM audit_events",
    ],
)
def test_triggers_reject_changes(chained: Vault, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        sql(chained, statement)
    assert audit_trail.verify(chained).intact
    assert audit_trail.verify(chained).events == EVENTS


def test_triggers_allow_appending(chained: Vault) -> None:
    clients.create_client(chained, sample_draft(99))
    assert audit_trail.verify(chained).events == EVENTS + 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "'intruder'"),
        ("action", "'purge'"),
        ("entity_id", "'999'"),
        ("at", "'2020-01-01'"),
        ("fields", "'notes'"),
        ("hash", "printf('%064d', 0)"),
        ("prev_hash", "printf('%064d', 1)"),
    ],
)
def test_edited_field_is_named(unguarded: Vault, column: str, value: str) -> None:
    sql(unguarded, f"UPDATE audit_events SET {column} = {value} WHERE seq = 4")  # noqa: S608
    assert problem_seq(unguarded) == 4


def test_deleted_middle_row_is_named(unguarded: Vault) -> None:
    sql(unguarded, "DELETE FROM audit_events WHERE seq = 5")
    assert problem_seq(unguarded) == 5
    assert "missing" in (audit_trail.verify(unguarded).problem.reason)  # type: ignore[union-attr]


def test_swapped_rows_are_named(unguarded: Vault) -> None:
    """seq is the rowid, so swapping two rows' seq is what reordering the table means."""
    sql(unguarded, "UPDATE audit_events SET seq = -1 WHERE seq = 3")
    sql(unguarded, "UPDATE audit_events SET seq = 3 WHERE seq = 6")
    sql(unguarded, "UPDATE audit_events SET seq = 6 WHERE seq = -1")
    assert problem_seq(unguarded) == 3


def forge(vault: Vault, seq: int, prev: str, action: str, fields: str) -> None:
    """Insert an entry whose hash is right for its content and predecessor."""
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    digest = chain_hash(seq, at, "coach@test", "client", "1", action, fields, prev)
    sql(
        vault,
        "INSERT INTO audit_events VALUES "
        "(:seq, :at, 'coach@test', 'client', '1', :action, :fields, :prev, :hash)",
        seq=seq,
        at=at,
        action=action,
        fields=fields,
        prev=prev,
        hash=digest,
    )


def test_forged_row_at_the_end_is_named(unguarded: Vault) -> None:
    """A forger who knows the hash recipe still cannot move the head without being seen."""
    forge(unguarded, EVENTS + 1, str(row(unguarded, EVENTS)[-1]), "purge", "")
    assert problem_seq(unguarded) == EVENTS + 1


def test_forged_row_in_the_middle_is_named(unguarded: Vault) -> None:
    """Renumber the tail, slip a well-formed entry in at 4: the old #4 no longer follows it."""
    for seq in range(EVENTS, 3, -1):
        sql(unguarded, "UPDATE audit_events SET seq = :n WHERE seq = :o", n=seq + 1, o=seq)
    forge(unguarded, 4, str(row(unguarded, 3)[-1]), "update", "notes")
    assert problem_seq(unguarded) == 5


def test_truncated_tail_is_named(unguarded: Vault) -> None:
    sql(unguarded, "DELETE FROM audit_events WHERE seq > :keep", keep=EVENTS - 2)
    result = audit_trail.verify(unguarded)
    assert result.events == EVENTS - 2
    assert problem_seq(unguarded) == EVENTS - 1
    assert "removed" in result.problem.reason  # type: ignore[union-attr]


def test_emptied_trail_is_named(unguarded: Vault) -> None:
    sql(unguarded, "DELETE FROM audit_events")
    assert problem_seq(unguarded) == 1


def test_moved_head_is_named(chained: Vault) -> None:
    sql(chained, "UPDATE audit_head SET seq = seq - 1")
    assert problem_seq(chained) == EVENTS
