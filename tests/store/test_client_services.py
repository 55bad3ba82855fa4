"""Client use cases on a real vault: round trips, validation, audit events, Trash, two writers."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.domain.errors import NotFoundError, ValidationError
from coachdesk.services import audit_trail, clients, vaults
from coachdesk.store import audit
from coachdesk.store.vault import Vault
from tests.conftest import PASSPHRASE
from tests.store.util import sample_draft, sql


def audit_rows(vault: Vault) -> list[tuple[object, ...]]:
    return sql(vault, "SELECT * FROM audit_events ORDER BY seq")


def events_since(vault: Vault, seq: int) -> list[audit.AuditEvent]:
    with vault.reading() as session:
        return [e for e in audit.all_events(session) if e.seq > seq]


def last_seq(vault: Vault) -> int:
    with vault.reading() as session:
        return audit.head(session)[0]


def client_values(draft: ClientDraft) -> list[str]:
    """Every piece of client content in a draft (status excluded: it is a fixed word)."""
    values = [
        draft.first_name,
        draft.last_name,
        draft.preferred_name,
        draft.company,
        draft.role,
        draft.time_zone,
        draft.locale,
        draft.lead_source,
        draft.notes,
        *draft.emails,
        *draft.phones,
        *draft.tags,
    ]
    return [v for v in values if v]


def test_create_and_read_back_every_field(vault: Vault) -> None:
    draft = sample_draft(0, status=ClientStatus.ACTIVE, tags=("  Career   Change ", "VIP", "vip"))
    created = clients.create_client(vault, draft)

    stored = clients.get_client(vault, created.id)
    assert stored == created
    assert stored.draft() == draft.validated()
    assert stored.tags == ("career change", "vip")
    assert stored.status is ClientStatus.ACTIVE
    assert stored.created_at == stored.updated_at
    assert stored.deleted_at is None

    [row] = clients.list_clients(vault)
    assert (row.id, row.name, row.email, row.phone, row.company) == (
        created.id,
        "Margo Okonkwo-Lindqvist",
        "margo0@example.org",
        "+44 20 7946 0958",
        "Kestrel Design",
    )
    assert row.tags == ("career change", "vip")
    assert "kestrel design" in row.search_text


def test_update_replaces_children_and_keeps_created(vault: Vault) -> None:
    created = clients.create_client(vault, sample_draft(0))
    edited = replace(
        created.draft(),
        emails=("margo0@example.org", "new@example.net"),  # one kept, one replaced
        phones=(),
        tags=("leadership",),
        notes="Promoted.",
        status=ClientStatus.ALUMNI,
    )
    updated = clients.update_client(vault, created.id, edited)

    stored = clients.get_client(vault, created.id)
    assert stored == updated
    assert stored.draft() == edited
    assert stored.created_at == created.created_at
    assert stored.updated_at >= created.updated_at
    # The tag nobody uses any more is not in the way of the next client.
    other = clients.create_client(vault, sample_draft(1))
    assert clients.get_client(vault, other.id).tags == ("career change", "vip")


def test_missing_client_is_not_found(vault: Vault) -> None:
    with pytest.raises(NotFoundError, match="#4242"):
        clients.get_client(vault, 4242)
    with pytest.raises(NotFoundError):
        clients.update_client(vault, 4242, sample_draft(0))
    with pytest.raises(NotFoundError):
        clients.trash_clients(vault, [4242])
    assert audit_trail.verify(vault).events == 1


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"emails": ("not-an-address",)}, {"emails"}),
        ({"time_zone": "Mars/Olympus_Mons"}, {"time_zone"}),
        ({"locale": "english"}, {"locale"}),
        ({"phones": ("call me",)}, {"phones"}),
        ({"first_name": " ", "last_name": "", "preferred_name": ""}, {"first_name"}),
        ({"tags": ("a,b",), "emails": ("x@",)}, {"tags", "emails"}),
        ({"notes": "x" * 100_001}, {"notes"}),
    ],
)
def test_invalid_drafts_store_nothing(
    vault: Vault, changes: dict[str, object], bad_fields: set[str]
) -> None:
    existing = clients.create_client(vault, sample_draft(0))
    before_rows, before_audit = clients.list_clients(vault), audit_rows(vault)
    draft = replace(sample_draft(1), **changes)  # type: ignore[arg-type]

    with pytest.raises(ValidationError) as on_create:
        clients.create_client(vault, draft)
    with pytest.raises(ValidationError) as on_update:
        clients.update_client(vault, existing.id, draft)

    assert set(on_create.value.errors) == set(on_update.value.errors) == bad_fields
    assert clients.list_clients(vault) == before_rows
    assert clients.get_client(vault, existing.id) == existing
    assert audit_rows(vault) == before_audit


def test_each_change_writes_one_event_with_names_only(vault: Vault) -> None:
    draft = sample_draft(0)
    start = last_seq(vault)

    created = clients.create_client(vault, draft)
    [create] = events_since(vault, start)
    assert (create.actor, create.entity, create.entity_id, create.action, create.fields) == (
        "coach@test",
        "client",
        str(created.id),
        "create",
        "",
    )

    edited = replace(
        draft, notes="Second session: salary talk.", emails=("z@example.com",), locale="en-GB"
    )
    clients.update_client(vault, created.id, edited)
    [update] = events_since(vault, create.seq)
    assert update.action == "update"
    assert update.fields == "emails,locale,notes"

    clients.update_client(vault, created.id, edited)
    assert events_since(vault, update.seq) == []  # nothing changed, nothing recorded

    for action, call in (
        ("trash", lambda: clients.trash_clients(vault, [created.id])),
        ("restore", lambda: clients.restore_clients(vault, [created.id])),
    ):
        seq = last_seq(vault)
        call()
        [event] = events_since(vault, seq)
        assert (event.entity, event.entity_id, event.action) == ("client", str(created.id), action)

    seq = last_seq(vault)
    assert clients.restore_clients(vault, [created.id]) == []  # not in the Trash: no event
    assert events_since(vault, seq) == []

    clients.trash_clients(vault, [created.id])
    seq = last_seq(vault)
    clients.empty_trash(vault)
    [purge] = events_since(vault, seq)
    assert (purge.entity_id, purge.action) == (str(created.id), "purge")

    text_of_trail = "\n".join("|".join(map(str, r)) for r in audit_rows(vault))
    for value in client_values(draft) + client_values(edited):
        assert value not in text_of_trail
    assert audit_trail.verify(vault).intact


def test_trash_restore_and_empty(vault: Vault) -> None:
    kept, gone, back = (clients.create_client(vault, sample_draft(i)) for i in range(3))

    assert clients.trash_clients(vault, [gone.id, back.id, gone.id]) == [gone.id, back.id]
    assert clients.trash_clients(vault, [gone.id]) == []
    assert [r.id for r in clients.list_clients(vault)] == [kept.id]
    assert sorted(r.id for r in clients.list_clients(vault, trashed=True)) == [gone.id, back.id]
    assert clients.get_client(vault, gone.id).deleted_at is not None

    assert clients.restore_clients(vault, [back.id]) == [back.id]
    assert clients.get_client(vault, back.id) == replace(
        back, updated_at=clients.get_client(vault, back.id).updated_at
    )
    assert clients.empty_trash(vault) == 1
    assert clients.empty_trash(vault) == 0

    with pytest.raises(NotFoundError):
        clients.get_client(vault, gone.id)
    assert sorted(r.id for r in clients.list_clients(vault)) == [kept.id, back.id]
    assert clients.list_clients(vault, trashed=True) == []
    # Children went with the purged row.
    for table in ("client_emails", "client_phones", "client_tags"):
        rows = sql(vault, f"SELECT count(*) FROM {table} WHERE client_id = :c", c=gone.id)  # noqa: S608
        assert rows == [(0,)]
    assert audit_trail.verify(vault).intact


def test_emptying_the_trash_drops_tags_nobody_uses(vault: Vault) -> None:
    only = clients.create_client(vault, sample_draft(0, tags=("one-off",)))
    shared = clients.create_client(vault, sample_draft(1, tags=("vip",)))
    clients.create_client(vault, sample_draft(2, tags=("vip",)))
    clients.trash_clients(vault, [only.id, shared.id])
    clients.empty_trash(vault)
    assert sql(vault, "SELECT name FROM tags ORDER BY name") == [("vip",)]


def test_two_writers_on_one_vault_keep_the_chain(vault: Vault) -> None:
    second = vaults.unlock(vault.paths.root, PASSPHRASE, "coach@cli")
    per_writer = 25
    start = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def write(writer: Vault, offset: int) -> None:
        try:
            start.wait()
            for index in range(per_writer):
                created = clients.create_client(writer, sample_draft(offset + index))
                clients.update_client(
                    writer, created.id, replace(created.draft(), notes=f"n{index}")
                )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(v, o)) for v, o in ((vault, 0), (second, 1000))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        second.close()

    assert failures == []
    result = audit_trail.verify(vault)
    assert result.intact
    assert result.events == 1 + 2 * 2 * per_writer
    with vault.reading() as session:
        events = audit.all_events(session)
    assert [e.seq for e in events] == list(range(1, result.events + 1))
    assert {e.actor for e in events[1:]} == {"coach@test", "coach@cli"}
    assert len(clients.list_clients(vault)) == 2 * per_writer


def test_values_read_in_a_scope_stay_readable_after_it(vault: Vault) -> None:
    from coachdesk import settings
    from coachdesk.services import vault_settings

    vault_settings.put(vault, settings.AUTO_LOCK_MINUTES, 25)
    assert vault_settings.get(vault, settings.AUTO_LOCK_MINUTES) == 25


def test_a_full_disk_is_a_plain_error_and_writes_nothing(vault: Vault) -> None:
    from sqlalchemy import event

    from coachdesk.store.engine import DiskFullError

    clients.create_client(vault, ClientDraft(first_name="Before"))
    with vault.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    def ceiling(dbapi: object, _record: object) -> None:
        # SQLite's page ceiling makes the file "full" as a full disk would.
        dbapi.execute(f"PRAGMA max_page_count = {pages + 2}")  # type: ignore[attr-defined]

    event.listen(vault.engine, "connect", ceiling)
    vault.engine.dispose()
    with pytest.raises(DiskFullError, match="disk is full"):
        clients.create_client(vault, ClientDraft(first_name="Big", notes="x" * 90_000))
    assert [r.name for r in clients.list_clients(vault)] == ["Before"]
    assert audit_trail.verify(vault).events == 2  # vault created, Before created; nothing for Big

    event.remove(vault.engine, "connect", ceiling)
    vault.engine.dispose()
    clients.create_client(vault, ClientDraft(first_name="Big", notes="x" * 90_000))
    assert audit_trail.verify(vault).intact
