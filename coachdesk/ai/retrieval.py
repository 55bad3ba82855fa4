"""Which of the coach's passages a draft should draw on: BM25 ranking by SQLite's FTS5.

The passages (one client's notes, their documents) are put into a throwaway in-memory
FTS5 table and ranked with its `bm25()` against the words of the query, so nothing is
written anywhere and no index outlives the call. Ranking is by words only: the passages
the model sees are the ones that share the most telling words with the client's goals.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
# Words too common to say anything about which passage fits.
_STOP_WORDS = (
    "about after again also and any are been before being but can could did does doing done "
    "for from had has have her hers him his how into its just more most not now off once only "
    "other our out over own same she should some such than that the their them then there "
    "these they this those through too under until very was were what when where which while "
    "who whom why will with would you your yours want wants get got make made per"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Passage:
    """A piece of the coach's material that can be cited.

    Args:
        ref: a stable reference ("note:12", "document:3").
        title: how the draft cites it ("Session note, 3 Oct 2026").
        text: the words themselves.
    """

    ref: str
    title: str
    text: str


def query_words(text: str, limit: int = 48) -> list[str]:
    """The distinct telling words of `text`, lower-cased, in order of first use."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in _STOP:
            seen.setdefault(word, None)
    return list(seen)[:limit]


def split_passages(passage: Passage, words: int = 160) -> list[Passage]:
    """Long material cut at paragraph breaks into pieces of about `words` words, each
    keeping the title it is cited by."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in (p.strip() for p in passage.text.split("\n")):
        if not paragraph:
            continue
        count = len(paragraph.split())
        if current and size + count > words:
            pieces.append("\n".join(current))
            current, size = [], 0
        current.append(paragraph)
        size += count
    if current:
        pieces.append("\n".join(current))
    if len(pieces) <= 1:
        return [passage]
    return [
        Passage(f"{passage.ref}#{n}", f"{passage.title} (part {n})", text)
        for n, text in enumerate(pieces, 1)
    ]


def rank(passages: Sequence[Passage], query: str, limit: int = 5) -> list[Passage]:
    """The `limit` passages that best match the words of `query`, best first; none when
    the query has no telling words or nothing matches."""
    words = query_words(query)
    if not words or not passages:
        return []
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE VIRTUAL TABLE p USING fts5(body, tokenize='unicode61')")
        db.executemany(
            "INSERT INTO p (rowid, body) VALUES (?, ?)",
            ((n, f"{p.title}\n{p.text}") for n, p in enumerate(passages)),
        )
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT rowid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (match, limit)
        ).fetchall()
    return [passages[row[0]] for row in rows]
