"""Facts read from notes, transcripts and inquiries without a model."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coachdesk.domain.extract import Commitment, Extracted, action_items, extract, summary_draft

TODAY = date(2026, 11, 18)  # a Wednesday


def only(text: str, **names: str) -> Commitment:
    commitments = extract(text, TODAY, **names).commitments
    assert len(commitments) == 1, commitments
    return commitments[0]


@pytest.mark.parametrize(
    ("text", "who", "action", "due", "due_text"),
    [
        (
            "Ada will update her CV by Friday.",
            "client",
            "update her CV",
            date(2026, 11, 20),
            "by Friday",
        ),
        (
            "I'll send the recruiter list tomorrow.",
            "coach",
            "send the recruiter list",
            date(2026, 11, 19),
            "tomorrow",
        ),
        (
            "She agreed to apply to three roles by 5 December.",
            "client",
            "apply to three roles",
            date(2026, 12, 5),
            "by 5 December",
        ),
        (
            "We agreed that Sam will book a mock interview next week.",
            "Sam",
            "book a mock interview",
            TODAY + timedelta(days=7),
            "next week",
        ),
        (
            "Action: coach to share the worksheet by end of month",
            "coach",
            "share the worksheet",
            date(2026, 11, 30),
            "by end of month",
        ),
        (
            "TODO: client finishes the reflection log by 2026-12-01",
            "client",
            "finish the reflection log",
            date(2026, 12, 1),
            "by 2026-12-01",
        ),
        ("I will follow up on Monday.", "coach", "follow up", date(2026, 11, 23), "on Monday"),
        ("He will email the hiring manager.", "client", "email the hiring manager", None, ""),
        (
            "They're going to draft a pitch by the end of the month.",
            "client",
            "draft a pitch",
            date(2026, 11, 30),
            "by the end of the month",
        ),
        ("She'll apply in two weeks.", "client", "apply", date(2026, 12, 2), "in two weeks"),
        ("I'll check in 3 days.", "coach", "check", date(2026, 11, 21), "in 3 days"),
        ("Ada will send it by 5/12.", "client", "send it", None, "by 5/12"),
        ("Ada will send it by 25/12.", "client", "send it", date(2026, 12, 25), "by 25/12"),
        (
            "Ada will call Tom on December 5.",
            "client",
            "call Tom",
            date(2026, 12, 5),
            "on December 5",
        ),
        (
            "By Friday, she will finish the draft.",
            "client",
            "finish the draft",
            date(2026, 11, 20),
            "By Friday",
        ),
        (
            "She said she would ring the recruiter tomorrow.",
            "client",
            "ring the recruiter",
            date(2026, 11, 19),
            "tomorrow",
        ),
        ("The client promised to journal daily.", "client", "journal daily", None, ""),
        (
            "You will send me your CV by Friday.",
            "client",
            "send me your CV",
            date(2026, 11, 20),
            "by Friday",
        ),
        (
            "- Ada to book a coffee chat with Priya",
            "client",
            "book a coffee chat with Priya",
            None,
            "",
        ),
        (
            "I will also send the invoice to ada@example.com.",
            "coach",
            "send the invoice to ada@example.com",
            None,
            "",
        ),
    ],
)
def test_commitments_are_found_with_who_what_and_when(
    text: str, who: str, action: str, due: date | None, due_text: str
) -> None:
    commitment = only(text, client_name="Ada Lovelace" if "Ada" in text else "")
    assert (commitment.who, commitment.action, commitment.due, commitment.due_text) == (
        who,
        action,
        due,
        due_text,
    )
    assert commitment.sentence in text


@pytest.mark.parametrize(
    "text",
    [
        "She will probably be fine.",
        "Will you send it?",
        "I'll send it, ok?",
        "Will you send it by Friday",
        "I won't send it.",
        "I will not send it.",
        "She'll never apply there.",
        "Sent the list.",
        "She sent the recruiter list on Monday.",
        "We talked about her goals.",
        "Maybe she will apply next week.",
        "If it rains I will stay home.",
        "She was going to apply but did not.",
        "The recruiter will call her.",
        "",
    ],
)
def test_not_commitments(text: str) -> None:
    assert extract(text, TODAY).commitments == ()


def test_client_name_matches_first_last_or_full_name() -> None:
    for subject in ("Ada", "Lovelace", "Ada Lovelace"):
        assert only(f"{subject} will ship it.", client_name="Ada Lovelace").who == "client"
    assert only("Priya will ship it.", coach_name="Priya Shah").who == "coach"
    assert only("Tom will ship it.", client_name="Ada").who == "Tom"


def test_two_commitments_in_one_sentence_are_split() -> None:
    found = extract("She'll apply in two weeks and I'll check in 3 days.", TODAY).commitments
    assert [(c.who, c.action, c.due) for c in found] == [
        ("client", "apply", date(2026, 12, 2)),
        ("coach", "check", date(2026, 11, 21)),
    ]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("today", TODAY),
        ("tomorrow", date(2026, 11, 19)),
        ("yesterday", date(2026, 11, 17)),
        ("the day after tomorrow", date(2026, 11, 20)),
        ("Monday", date(2026, 11, 23)),
        ("Wednesday", date(2026, 11, 25)),  # the next one after today, not today
        ("Thursday", date(2026, 11, 19)),
        ("next Friday", date(2026, 11, 20)),
        ("next week", date(2026, 11, 25)),
        ("end of the week", date(2026, 11, 20)),
        ("end of month", date(2026, 11, 30)),
        ("end of the month", date(2026, 11, 30)),
        ("end of next month", date(2026, 12, 31)),
        ("next month", date(2026, 12, 18)),
        ("in two weeks", date(2026, 12, 2)),
        ("in 3 days", date(2026, 11, 21)),
        ("in a month", date(2026, 12, 18)),
        ("in a fortnight", date(2026, 12, 2)),
        ("2 weeks from now", date(2026, 12, 2)),
        ("2026-12-01", date(2026, 12, 1)),
        ("5 December", date(2026, 12, 5)),
        ("5th of December", date(2026, 12, 5)),
        ("December 5", date(2026, 12, 5)),
        ("Dec 5th, 2027", date(2027, 12, 5)),
        ("10 January", date(2027, 1, 10)),
        ("3 October", date(2026, 10, 3)),  # recent past stays in this year
        ("25/12", date(2026, 12, 25)),
        ("12/25/2026", date(2026, 12, 25)),
        ("5/5", date(2027, 5, 5)),
    ],
)
def test_dates_are_found_with_their_words(words: str, expected: date) -> None:
    assert extract(f"We spoke about {words} briefly.", TODAY).dates == ((words, expected),)


@pytest.mark.parametrize(
    "text",
    [
        "on 5/12",
        "on Mondays",
        "scored 7/10",
        "on 31 February",
        "2026-13-01",
        "in May",
        "may 5 people",
    ],
)
def test_ambiguous_recurring_or_impossible_dates_are_left_out(text: str) -> None:
    assert extract(text, TODAY).dates == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ada will update her CV.", ("Ada Lovelace",)),
        ("Priya met Tom Becker on Monday.", ("Priya", "Tom Becker")),
        ("We met on Monday in December. She wants a CV review.", ()),
        ("I told Priya. I think she agreed.", ("Priya",)),
        ("Hi Sam,\nThanks for the call.\nBest,\nJo Marsh", ("Sam", "Jo Marsh")),
        ("Talked about LinkedIn and Zoom.", ()),
        ("Discussed goals. Overall good progress.", ()),
        ("Coach: hello\nAda: hi there", ("Ada Lovelace",)),
    ],
)
def test_names(text: str, expected: tuple[str, ...]) -> None:
    assert extract(text, TODAY, client_name="Ada Lovelace").names == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The package is £1,200 for 6 sessions.", ("£1,200", "6 sessions")),
        ("She wants 20% more pay and a $95k salary.", ("20%", "$95k")),
        ("Apply to 3 roles, then three more roles.", ("3 roles", "three more roles")),
        ("Confidence is 7/10 today, was 4 out of 10.", ("7/10", "4 out of 10")),
        ("Rate is €150/hour or 500 euros a month.", ("€150/hour", "500 euros")),
        ("We meet on 5 December at 10 am.", ()),
        ("[00:12:03] Coach: hi", ()),
    ],
)
def test_numbers_as_written(text: str, expected: tuple[str, ...]) -> None:
    assert extract(text, TODAY).numbers == expected


def test_emails_and_links() -> None:
    text = (
        "Write to ada.l@example.co.uk or jo@x.io. See https://example.com/cv?x=1, "
        "http://a.org and www.coachdesk.app/pricing. Again: jo@x.io"
    )
    found = extract(text, TODAY)
    assert found.emails == ("ada.l@example.co.uk", "jo@x.io")
    assert found.links == (
        "https://example.com/cv?x=1",
        "http://a.org",
        "www.coachdesk.app/pricing",
    )
    assert found.names == ()


@pytest.mark.parametrize(
    ("line", "who"),
    [
        ("Coach: I'll send the list tomorrow.", "coach"),
        ("Client: I'll send the list tomorrow.", "client"),
        ("[00:12:03] Client: I'll send the list tomorrow.", "client"),
        ("00:12:03 Coach: I'll send the list tomorrow.", "coach"),
        ("Ada: I'll send the list tomorrow.", "client"),
        ("Ada Lovelace: I'll send the list tomorrow.", "client"),
        ("Priya: I'll send the list tomorrow.", "coach"),
        ("Ada: You will send the list tomorrow.", "coach"),
        ("Coach: You will send the list tomorrow.", "client"),
        ("Tom: I'll send the list tomorrow.", "Tom"),
    ],
)
def test_the_speaker_label_decides_who_i_is(line: str, who: str) -> None:
    commitment = only(line, client_name="Ada Lovelace", coach_name="Priya Shah")
    assert commitment.who == who
    assert commitment.sentence == "I'll send the list tomorrow." or "You" in commitment.sentence


def test_a_speaker_carries_over_wrapped_lines_until_a_blank_line() -> None:
    text = "Client: Thanks.\nI will draft it by Friday.\n\nI will review it on Monday."
    assert [c.who for c in extract(text, TODAY).commitments] == ["client", "coach"]


def test_labels_that_are_not_speakers_are_kept_in_the_text() -> None:
    found = extract("Note: she will call Tom tomorrow.\nGoal: land a role", TODAY)
    assert [(c.who, c.action) for c in found.commitments] == [("client", "call Tom")]


def test_a_next_steps_list_makes_each_bullet_an_action() -> None:
    text = "Next steps:\n- Update CV by Friday\n- Ada to email Tom\n\nWe talked a lot."
    found = extract(text, TODAY, client_name="Ada")
    assert [(c.who, c.action, c.due) for c in found.commitments] == [
        ("coach", "Update CV", date(2026, 11, 20)),
        ("client", "email Tom", None),
    ]


def test_action_items_draft() -> None:
    text = (
        "Ada will update her CV by Friday. I'll send the recruiter list tomorrow. "
        "We agreed that Sam will book a mock interview next week. Ada will update her CV by Friday."
    )
    assert action_items(extract(text, TODAY, client_name="Ada")) == [
        {"action": "Update her CV", "owner": "client", "due": "2026-11-20"},
        {"action": "Send the recruiter list", "owner": "coach", "due": "2026-11-19"},
        {"action": "Sam to book a mock interview", "owner": "client", "due": "2026-11-25"},
    ]


def test_action_items_of_nothing() -> None:
    assert action_items(extract("Nice chat.", TODAY)) == []


NOTES = (
    "Session three with Ada. "
    "Ok. "
    "She is worried about the gap in her CV because she left her job in March. "
    "We talked about the weather. "
    "She wants a product role paying £60k. "
    "Ada will apply to 3 roles by 5 December. "
    "Nice to see her smile. "
    "I'll send the recruiter list tomorrow. "
    "Thanks."
)


def test_summary_picks_informative_sentences_in_order() -> None:
    summary = summary_draft(NOTES, extract(NOTES, TODAY, client_name="Ada"), max_sentences=4)
    assert summary == (
        "Session three with Ada. "
        "She wants a product role paying £60k. "
        "Ada will apply to 3 roles by 5 December. "
        "I'll send the recruiter list tomorrow."
    )


@pytest.mark.parametrize("limit", [0, 1, 2, 5, 50])
def test_summary_length_and_no_duplicates(limit: int) -> None:
    text = NOTES + " " + NOTES
    summary = summary_draft(text, extract(text, TODAY), max_sentences=limit)
    sentences = [s for s in summary.split(". ") if s]
    assert len(sentences) <= limit
    assert len(set(sentences)) == len(sentences)
    if limit >= 1:
        assert "Ada will apply to 3 roles by 5 December" in summary


def test_summary_keeps_the_speaker_of_transcript_lines() -> None:
    text = "Coach: Hi.\nAda: I will apply to 3 roles by Friday.\nCoach: Great."
    summary = summary_draft(text, extract(text, TODAY), max_sentences=1)
    assert summary == "Ada: I will apply to 3 roles by Friday."


def test_summary_of_nothing() -> None:
    assert summary_draft("", extract("", TODAY)) == ""


def test_extracting_is_deterministic_and_returns_frozen_values() -> None:
    first = extract(NOTES, TODAY, client_name="Ada")
    assert first == extract(NOTES, TODAY, client_name="Ada")
    assert isinstance(first, Extracted)
    with pytest.raises(AttributeError):
        first.names = ()  # type: ignore[misc]


def test_a_15000_word_transcript_extracts_in_one_call() -> None:
    turns = [
        "[{m:02d}:{s:02d}] Coach: So how did the week go with the applications and the plan?",
        "[{m:02d}:{s:02d}] Ada: I applied to 3 roles and asked Tom Becker about the £1,200 course.",
        "[{m:02d}:{s:02d}] Coach: I'll send the recruiter list tomorrow and we can review it.",
        "[{m:02d}:{s:02d}] Ada: I will update my CV by Friday, see https://example.com/cv.",
    ]
    lines: list[str] = []
    words = 0
    i = 0
    while words < 15_000:
        line = turns[i % 4].format(m=(i // 60) % 60, s=i % 60)
        lines.append(line)
        words += len(line.split())
        i += 1
    text = "\n".join(lines)
    found = extract(text, TODAY, client_name="Ada Lovelace", coach_name="Priya Shah")
    assert {(c.who, c.action) for c in found.commitments} == {
        ("coach", "send the recruiter list"),
        ("client", "update my CV"),
    }
    assert len(found.commitments) == i // 2
    assert found.names == ("Ada Lovelace", "Tom Becker")
    assert found.numbers == ("3 roles", "£1,200")
    assert found.links == ("https://example.com/cv",)
    assert (
        summary_draft(text, found).count("Ada:") + summary_draft(text, found).count("Coach:") <= 5
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.sampled_from([" ", "\n", ".", "?", ":", "'", "I", "will", "Ada", "by", "Friday"]),
            st.sampled_from(["5/12", "[00:01] ", "Coach: ", "- ", "TODO: ", "\r\n"]),
        ),
        max_size=80,
    ).map("".join)
)
def test_extract_never_raises_and_sentences_come_from_the_text(text: str) -> None:
    found = extract(text, TODAY, client_name="Ada")
    for commitment in found.commitments:
        assert commitment.sentence in text
        assert commitment.action
    action_items(found)
    summary_draft(text, found)


_WORD_LIST = (
    "I I'll she Ada Sam will won't agreed to apply send the CV list by on next "
    "Friday Monday tomorrow week 5 December 2026-12-01 in two weeks . ? , Coach: Client: "
    "\n - TODO: Action: not probably £1,200 20% 3 roles"
)
WORDS = st.sampled_from(_WORD_LIST.split(" "))


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=60).map(" ".join))
def test_commitment_like_text_never_raises(text: str) -> None:
    found = extract(text, TODAY, client_name="Ada", coach_name="Priya")
    for commitment in found.commitments:
        assert commitment.sentence in text
        assert commitment.who
        assert commitment.due is None or commitment.due_text
