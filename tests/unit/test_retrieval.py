"""Ranking the coach's passages against a client's goals (FTS5 bm25, in memory)."""

from __future__ import annotations

from coachdesk.ai.retrieval import Passage, query_words, rank, split_passages

PASSAGES = [
    Passage("note:1", "Session note, 1 Oct", "We talked about her commute and the weather."),
    Passage("note:2", "Session note, 8 Oct", "Mock interview: STAR answers, salary questions."),
    Passage("document:3", "Interview worksheet", "Interview preparation: research the company."),
    Passage("note:4", "Session note, 15 Oct", "Budget spreadsheet for the team offsite."),
]


def test_the_passages_sharing_the_goal_words_come_first() -> None:
    ranked = rank(PASSAGES, "Pass the final interview at Acme; practise interview answers")
    assert [p.ref for p in ranked][:2] in (["document:3", "note:2"], ["note:2", "document:3"])
    assert "note:1" not in {p.ref for p in ranked}


def test_no_telling_words_or_no_match_gives_nothing() -> None:
    assert rank(PASSAGES, "the and with for") == []
    assert rank(PASSAGES, "astronomy telescope") == []
    assert rank([], "interview") == []


def test_query_words_skip_common_words_and_repeats() -> None:
    assert query_words("The interview, the INTERVIEW and a salary") == ["interview", "salary"]


def test_quotes_and_operators_in_the_query_are_only_words() -> None:
    tricky = 'interview" OR budget NEAR(x y) AND -commute *'
    ranked = rank(PASSAGES, tricky)
    assert {p.ref for p in ranked} >= {"note:2", "document:3", "note:4"}


def test_long_material_is_cut_at_paragraphs_and_keeps_its_title() -> None:
    body = "\n".join(f"Paragraph {n}" + " word" * 60 for n in range(6))
    parts = split_passages(Passage("document:9", "Plan", body), words=150)
    assert len(parts) == 3
    assert [p.title for p in parts] == ["Plan (part 1)", "Plan (part 2)", "Plan (part 3)"]
    assert "\n".join(p.text for p in parts) == body
    short = Passage("note:1", "Note", "One line.")
    assert split_passages(short) == [short]
