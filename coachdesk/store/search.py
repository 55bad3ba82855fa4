"""The full-text index: an FTS5 table inside the encrypted database, kept in step by
the store in the same transaction as each change.

Each indexed thing gets the rowid `ref_id * 4 + kind`, so replacing or dropping
one entry is a rowid lookup rather than a scan of the unindexed columns.
"""

from __future__ import annotations

import json
import re
import unicodedata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from coachdesk.domain.clients import ClientDraft, display_name
from coachdesk.domain.crm import NoteKind
from coachdesk.store.tables import (
    ClientEmailTable,
    ClientPhoneTable,
    ClientTable,
    ClientTagTable,
    FollowUpTable,
    GoalTable,
    MilestoneTable,
    NoteTable,
    TagTable,
)

KINDS = ("client", "note", "goal", "follow_up")
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
# Marks around matched words in snippets; front ends turn them into bold or brackets.
HIT_START, HIT_END = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)


def rowid(kind: str, ref_id: int) -> int:
    """The index rowid for one entry."""
    return ref_id * len(KINDS) + _KIND_CODE[kind]


def _put(
    session: Session, kind: str, ref_id: int, client_id: int, name: str, title: str, body: str
) -> None:
    key = rowid(kind, ref_id)
    session.execute(text("DELETE FROM search_index WHERE rowid = :r"), {"r": key})
    session.execute(
        text(
            "INSERT INTO search_index (rowid, kind, ref_id, client_id, name, title, body) "
            "VALUES (:r, :k, :i, :c, :n, :t, :b)"
        ),
        {"r": key, "k": kind, "i": ref_id, "c": client_id, "n": name, "t": title, "b": body},
    )


def drop(session: Session, kind: str, ref_id: int) -> None:
    """Remove one entry."""
    session.execute(text("DELETE FROM search_index WHERE rowid = :r"), {"r": rowid(kind, ref_id)})


def drop_many(session: Session, kind: str, ref_ids: Sequence[int]) -> None:
    """Remove many entries of one kind in one statement."""
    if ref_ids:
        session.execute(
            text("DELETE FROM search_index WHERE rowid = :r"),
            [{"r": rowid(kind, ref_id)} for ref_id in ref_ids],
        )


def drop_clients(session: Session, client_ids: list[int]) -> None:
    """Remove every entry belonging to these clients (before they are deleted for good)."""
    _forget_names(session)
    keys = [rowid("client", c) for c in client_ids]
    keys += [rowid("note", i) for i in _ids(session, NoteTable, client_ids)]
    keys += [rowid("goal", i) for i in _ids(session, GoalTable, client_ids)]
    keys += [rowid("follow_up", i) for i in _ids(session, FollowUpTable, client_ids)]
    session.execute(text("DELETE FROM search_index WHERE rowid = :r"), [{"r": k} for k in keys])


def _ids(
    session: Session, table: type[NoteTable | GoalTable | FollowUpTable], client_ids: list[int]
) -> list[int]:
    return list(session.scalars(select(table.id).where(table.client_id.in_(client_ids))))


def index_client(session: Session, client_id: int) -> None:
    """(Re)index a client's record: names weigh most, then contact details and notes."""
    row = session.get(ClientTable, client_id)
    if row is None:
        drop(session, "client", client_id)
        return
    emails = session.scalars(
        select(ClientEmailTable.address).where(ClientEmailTable.client_id == client_id)
    )
    phones = session.scalars(
        select(ClientPhoneTable.number).where(ClientPhoneTable.client_id == client_id)
    )
    tags = session.scalars(
        select(TagTable.name)
        .join(ClientTagTable, ClientTagTable.tag_id == TagTable.id)
        .where(ClientTagTable.client_id == client_id)
    )
    index_client_draft(session, client_id, _draft_of(row, list(emails), list(phones), list(tags)))


def _draft_of(
    row: ClientTable, emails: list[str], phones: list[str], tags: list[str]
) -> ClientDraft:
    return ClientDraft(
        first_name=row.first_name,
        last_name=row.last_name,
        preferred_name=row.preferred_name,
        emails=tuple(emails),
        phones=tuple(phones),
        company=row.company,
        role=row.role,
        lead_source=row.lead_source,
        tags=tuple(tags),
        notes=row.notes,
    )


def index_client_draft(session: Session, client_id: int, draft: ClientDraft) -> None:
    """Index a client from a draft already in hand (bulk imports skip the re-reading)."""
    name = " ".join(p for p in (draft.first_name, draft.last_name, draft.preferred_name) if p)
    body = " ".join(
        p
        for p in (
            draft.company,
            draft.role,
            draft.lead_source,
            *draft.emails,
            *(f"{n} {re.sub(r'[^0-9]', '', n)}" for n in draft.phones),
            *draft.tags,
            draft.notes,
        )
        if p
    )
    _put(session, "client", client_id, client_id, name, draft.company, body)
    _forget_names(session)


def index_note(session: Session, note: NoteTable) -> None:
    """(Re)index a note: its themes and blockers as the title, its text as the body."""
    title = " · ".join([NoteKind(note.kind).label, *json.loads(note.themes)])
    body = " ".join([note.text, *json.loads(note.blockers)])
    _put(session, "note", note.id, note.client_id, "", title, body)


def index_goal(session: Session, goal: GoalTable, milestones: list[MilestoneTable]) -> None:
    """(Re)index a goal with its measure and milestones."""
    body = " ".join([goal.measure, *(m.title for m in milestones)])
    _put(session, "goal", goal.id, goal.client_id, "", goal.objective, body)


def index_follow_up(session: Session, follow_up: FollowUpTable) -> None:
    """(Re)index a follow-up by its title."""
    _put(session, "follow_up", follow_up.id, follow_up.client_id, "", follow_up.title, "")


def reindex(session: Session) -> int:
    """Rebuild the whole index from the tables; returns how many entries it holds."""
    session.execute(text("DELETE FROM search_index"))
    count = 0
    for client_id in session.scalars(select(ClientTable.id)):
        index_client(session, client_id)
        count += 1
    for note in session.scalars(select(NoteTable)):
        index_note(session, note)
        count += 1
    milestones: dict[int, list[MilestoneTable]] = {}
    for milestone in session.scalars(select(MilestoneTable).order_by(MilestoneTable.position)):
        milestones.setdefault(milestone.goal_id, []).append(milestone)
    for goal in session.scalars(select(GoalTable)):
        index_goal(session, goal, milestones.get(goal.id, []))
        count += 1
    for follow_up in session.scalars(select(FollowUpTable)):
        index_follow_up(session, follow_up)
        count += 1
    session.execute(text("INSERT INTO search_index (search_index) VALUES ('optimize')"))
    return count


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: what it is, whose it is, and a snippet with the matches marked."""

    kind: str
    ref_id: int
    client_id: int
    client_name: str
    title: str
    snippet: str
    rank: float

    def parts(self) -> list[tuple[str, bool]]:
        """The snippet as (text, is_match) pieces, for highlighting."""
        pieces: list[tuple[str, bool]] = []
        for chunk in self.snippet.split(HIT_START):
            if HIT_END in chunk:
                hit, rest = chunk.split(HIT_END, 1)
                pieces.append((hit, True))
                if rest:
                    pieces.append((rest, False))
            elif chunk:
                pieces.append((chunk, False))
        return pieces

    @property
    def plain_snippet(self) -> str:
        """The snippet without marks."""
        return self.snippet.replace(HIT_START, "").replace(HIT_END, "")


# Name terms for typo matching, per engine.  Reading 10,000 names costs more than the
# search itself, so they are kept until a client's index entry changes.  Every write
# runs on one thread per process (the GUI's db lane, or the CLI), so dropping the cache
# at the write is enough.
_NAME_CACHE: weakref.WeakKeyDictionary[object, list[str]] = weakref.WeakKeyDictionary()


def _forget_names(session: Session) -> None:
    _NAME_CACHE.pop(session.get_bind(), None)


def _name_terms(session: Session) -> list[str]:
    engine = session.get_bind()
    cached = _NAME_CACHE.get(engine)
    if cached is not None:
        return cached
    words: set[str] = set()
    for first, last, preferred in session.execute(
        select(ClientTable.first_name, ClientTable.last_name, ClientTable.preferred_name).where(
            ClientTable.deleted_at.is_(None)
        )
    ):
        words.update(_fold(w) for w in _WORD.findall(f"{first} {last} {preferred}"))
    terms = sorted(words)
    _NAME_CACHE[engine] = terms
    return terms


def _typo_budget(word: str) -> int:
    # Optimal string alignment counts a swapped pair as one edit ("okonkow" → "okonkwo").
    if len(word) >= 7:
        return 2
    return 1 if len(word) >= 4 else 0


def corrections(words: list[str], names: list[str]) -> dict[str, list[str]]:
    """For each word long enough, the client-name terms within its typo budget."""
    found: dict[str, list[str]] = {}
    for word in words:
        budget = _typo_budget(word)
        if budget:
            found[word] = [
                term
                for term, _distance, _index in process.extract(
                    word, names, scorer=OSA.distance, score_cutoff=budget, limit=5
                )
                if term != word
            ]
    return found


def build_query(words: list[str], fixes: dict[str, list[str]], names_only: bool = False) -> str:
    """An FTS5 query: every word must match, as a prefix or as one of its name corrections.

    Every word is quoted, so nothing the coach types is read as FTS5 syntax.
    """
    clauses = []
    for word in words:
        column = "" if names_only else "name:"
        options = [f'"{word}"*', *(f'{column}"{term}"' for term in fixes.get(word, ()))]
        clauses.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    expression = " AND ".join(clauses)
    return f"name : ({expression})" if names_only else expression


# Ranking reads only the index (BM25 over the doclists); columns, client names and
# snippets are fetched for the few rows shown.  Touching a column of every match (a join,
# snippet(), an UNINDEXED filter) costs a content-table read per match, which is what
# makes a common word slow over 100,000 notes.
_RANK = (
    "SELECT rowid, bm25(search_index, 0, 0, 0, 10.0, 4.0, 1.0) AS score FROM search_index "
    "WHERE search_index MATCH :q ORDER BY score LIMIT :n"
)
_ROWS = text(
    "SELECT rowid, kind, ref_id, client_id, name, title, body FROM search_index "
    "WHERE rowid IN :keys"
).bindparams(bindparam("keys", expanding=True))
_SNIPPET_WORDS = 12


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def snippet(text_: str, words: list[str], exact: set[str]) -> str | None:
    """A window of `text_` around its first match, matches marked; None without a match.

    A token matches when it starts with a query word (as FTS5's prefix query does) or
    equals one of the typo-corrected name terms in `exact`.
    """
    tokens = list(_WORD.finditer(text_))
    hits = [
        i
        for i, token in enumerate(tokens)
        if (folded := _fold(token.group())) in exact or any(folded.startswith(w) for w in words)
    ]
    if not hits:
        return None
    first = max(0, min(hits[0] - 3, len(tokens) - _SNIPPET_WORDS))
    last = min(len(tokens), first + _SNIPPET_WORDS)
    marked = set(hits)
    out = ["…" if first > 0 else ""]
    cursor = tokens[first].start()
    for i in range(first, last):
        token = tokens[i]
        out.append(text_[cursor : token.start()])
        out.append(f"{HIT_START}{token.group()}{HIT_END}" if i in marked else token.group())
        cursor = token.end()
    out.append("…" if last < len(tokens) else text_[cursor:])
    return "".join(out).strip()


def _hits(
    session: Session, match: str, limit: int, words: list[str], exact: set[str]
) -> list[SearchHit]:
    hits: list[SearchHit] = []
    fetch = limit + 10
    while True:
        ranked = session.execute(text(_RANK), {"q": match, "n": fetch}).all()
        if not ranked:
            return []
        scores = {rowid_: score for rowid_, score in ranked}
        rows = session.execute(_ROWS, {"keys": list(scores)}).all()
        client_ids = {r.client_id for r in rows}
        names = {
            cid: display_name(first, last, preferred)
            for cid, first, last, preferred in session.execute(
                select(
                    ClientTable.id,
                    ClientTable.first_name,
                    ClientTable.last_name,
                    ClientTable.preferred_name,
                ).where(ClientTable.id.in_(client_ids), ClientTable.deleted_at.is_(None))
            )
        }
        hits = []
        for r in sorted(rows, key=lambda r: scores[r.rowid]):
            if r.client_id not in names:
                continue
            shown = next(
                (
                    found
                    # A note's text says more than its themes; a goal's objective more
                    # than its measure.
                    for field in (
                        (r.name, r.body, r.title) if r.kind == "note" else (r.name, r.title, r.body)
                    )
                    if field and (found := snippet(field, words, exact)) is not None
                ),
                r.name or r.title or r.body[:80],
            )
            hits.append(
                SearchHit(
                    kind=r.kind,
                    ref_id=r.ref_id,
                    client_id=r.client_id,
                    client_name=names[r.client_id],
                    title=r.title,
                    snippet=shown,
                    rank=scores[r.rowid],
                )
            )
        # Trashed clients' entries stay indexed; when they crowd the top, look further.
        if len(hits) >= limit or len(ranked) < fetch:
            return hits[:limit]
        fetch *= 4


def search(session: Session, query: str, limit: int = 30) -> list[SearchHit]:
    """Ranked hits for what the coach typed (trashed clients and their things excluded):
    clients whose names match first, then everything else by relevance."""
    words = [_fold(w) for w in _WORD.findall(query)][:12]
    if not words:
        return []
    names = _name_terms(session) if any(_typo_budget(w) for w in words) else []
    fixes = corrections(words, names)
    exact = {term for terms in fixes.values() for term in terms}
    hits = _hits(session, build_query(words, fixes, names_only=True), limit, words, exact)
    seen = {(h.kind, h.ref_id) for h in hits}
    rest = _hits(session, build_query(words, fixes), limit + len(hits), words, exact)
    hits += [h for h in rest if (h.kind, h.ref_id) not in seen]
    return hits[:limit]
