"""Global search over clients, notes, goals and follow-ups."""

from __future__ import annotations

from coachdesk.store import audit, search
from coachdesk.store.search import SearchHit
from coachdesk.store.vault import Vault

__all__ = ["SearchHit", "reindex", "search_everything"]


def search_everything(vault: Vault, query: str, limit: int = 30) -> list[SearchHit]:
    """Ranked hits for the words typed, tolerant of small typos in names."""
    with vault.reading() as session:
        return search.search(session, query, limit)


def reindex(vault: Vault) -> int:
    """Rebuild the search index from the records; returns how many entries it holds."""
    with vault.writing() as session:
        count = search.reindex(session)
        audit.append(session, vault.actor, "search_index", "all", "rebuild")
        return count
