"""Global search: FTS5 inside the encrypted vault, kept in step with every change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.crm import FollowUpDraft, GoalDraft, MilestoneDraft, NoteDraft, NoteKind
from coachdesk.services import clients, crm, search
from coachdesk.store.vault import Vault
from tests.store.util import canary, leaks, sql


def kinds(vault: Vault, query: str) -> list[tuple[str, str]]:
    return [(h.kind, h.client_name) for h in search.search_everything(vault, query)]


@pytest.fixture
def filled(vault: Vault) -> Vault:
    margaret = clients.create_client(
        vault,
        ClientDraft(
            first_name="Margaret",
            last_name="Okonkwo",
            emails=("m.okonkwo@example.org",),
            company="Harbourview Council",
            tags=("leadership",),
        ),
    )
    tomas = clients.create_client(vault, ClientDraft(first_name="Tomás", last_name="Reyes"))
    crm.add_note(
        vault,
        margaret.id,
        NoteDraft(
            NoteKind.SESSION,
            date(2026, 3, 2),
            "Practised the negotiation script for the salary conversation.",
            ("negotiation",),
        ),
    )
    crm.add_goal(
        vault,
        tomas.id,
        GoalDraft("Pass the actuarial exam", "Score of 70"),
        (MilestoneDraft("Mock paper under timed conditions"),),
    )
    due = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    crm.add_follow_up(vault, tomas.id, FollowUpDraft("Send the statistics reading list", due))
    return vault


def test_finds_each_kind_by_any_word(filled: Vault) -> None:
    assert kinds(filled, "okonkwo") == [("client", "Margaret Okonkwo")]
    assert kinds(filled, "harbourview") == [("client", "Margaret Okonkwo")]
    assert kinds(filled, "salary") == [("note", "Margaret Okonkwo")]
    assert kinds(filled, "actuarial") == [("goal", "Tomás Reyes")]
    assert kinds(filled, "timed") == [("goal", "Tomás Reyes")]
    assert kinds(filled, "statistics") == [("follow_up", "Tomás Reyes")]


def test_prefixes_accents_and_every_word(filled: Vault) -> None:
    assert kinds(filled, "negot") == [("note", "Margaret Okonkwo")]
    assert kinds(filled, "tomas") == [("client", "Tomás Reyes")]
    assert kinds(filled, "TOMÁS reyes") == [("client", "Tomás Reyes")]
    assert kinds(filled, "margaret salary") == []  # the note does not name her
    assert kinds(filled, "negotiation salary") == [("note", "Margaret Okonkwo")]


def test_small_typos_in_names_still_find_the_client(filled: Vault) -> None:
    for typo in ("margret", "okonkow", "okonkwoo", "Reyse"):
        assert "client" in {k for k, _ in kinds(filled, typo)}, typo
    assert kinds(filled, "zebra") == []


def test_names_rank_above_mentions(vault: Vault) -> None:
    named = clients.create_client(vault, ClientDraft(first_name="Harper", last_name="Quinn"))
    other = clients.create_client(vault, ClientDraft(first_name="Ivo", last_name="Lind"))
    crm.add_note(
        vault, other.id, NoteDraft(NoteKind.GENERAL, date(2026, 3, 1), "Met Harper at a talk")
    )
    hits = search.search_everything(vault, "harper")
    assert [h.client_id for h in hits] == [named.id, other.id]


def test_snippets_mark_the_matching_words(filled: Vault) -> None:
    (hit,) = search.search_everything(filled, "salary")
    assert ("salary", True) in hit.parts()
    assert "salary conversation" in hit.plain_snippet
    assert hit.title.startswith("Session")


@pytest.mark.parametrize(
    "query",
    [
        '"',
        'salary"',
        "AND",
        "OR salary",
        "NOT",
        "NEAR(salary",
        "*",
        "sal*ary",
        "a:b",
        "(",
        "-x",
        "",
    ],
)
def test_query_syntax_is_never_an_error(filled: Vault, query: str) -> None:
    search.search_everything(filled, query)


def test_index_follows_edits_trash_restore_and_purge(filled: Vault) -> None:
    (client,) = [c for c in clients.list_clients(filled) if c.name == "Margaret Okonkwo"]
    record = clients.get_client(filled, client.id)
    clients.update_client(
        filled,
        client.id,
        replace(record.draft(), last_name="Adeyemi", company="Lakeside Trust", emails=()),
    )
    assert kinds(filled, "okonkwo") == []
    assert kinds(filled, "harbourview") == []
    assert kinds(filled, "lakeside") == [("client", "Margaret Adeyemi")]
    assert kinds(filled, "adeyemi") == [("client", "Margaret Adeyemi")]

    clients.trash_clients(filled, [client.id])
    assert kinds(filled, "adeyemi") == []
    assert kinds(filled, "salary") == []
    clients.restore_clients(filled, [client.id])
    assert kinds(filled, "salary") == [("note", "Margaret Adeyemi")]

    clients.trash_clients(filled, [client.id])
    clients.empty_trash(filled)
    assert sql(filled, "SELECT count(*) FROM search_index WHERE client_id = :c", c=client.id) == [
        (0,)
    ]


def test_rebuild_gives_the_same_index(filled: Vault) -> None:
    query = "SELECT rowid, kind, ref_id, client_id, name, title, body FROM search_index"
    before = sorted(sql(filled, query))
    sql(filled, "DELETE FROM search_index")
    assert kinds(filled, "salary") == []
    assert search.reindex(filled) == len(before)
    assert sorted(sql(filled, query)) == before


def test_indexed_text_stays_encrypted_on_disk(vault: Vault) -> None:
    mark = canary()
    client = clients.create_client(vault, ClientDraft(first_name="Ana"))
    crm.add_note(vault, client.id, NoteDraft(NoteKind.GENERAL, date(2026, 3, 1), f"code {mark}"))
    assert [h.kind for h in search.search_everything(vault, mark)] == ["note"]
    assert leaks([mark], vault.paths.root) == []
