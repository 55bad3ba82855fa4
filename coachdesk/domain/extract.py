"""Facts read from session notes, transcripts and inquiries without a model.

The extractor is deterministic: the same text and `today` always give the same
facts. Its output feeds the on-device model's prompts and, when no model is
available, is the first draft of action items and a summary.

"I" is the coach unless a speaker label ("Client: ...", "[00:12:03] Ada: ...")
says otherwise; "she", "he", "they" and the client's name are the client.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

CLIENT = "client"
COACH = "coach"

# Undated days and months are read inside a window that starts this long before today.
PAST_WINDOW = timedelta(days=92)


@dataclass(frozen=True, slots=True)
class Commitment:
    """Something someone said they would do.

    Args:
        who: "client", "coach" or the name of another person.
        action: what they will do, tidied ("update her CV").
        due: the date it is due, or None when there is none or it is ambiguous.
        due_text: the words the due date came from ("by Friday"), or "".
        sentence: the sentence it was found in, exactly as it appears in the text.
    """

    who: str
    action: str
    due: date | None
    due_text: str
    sentence: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """The facts found in one text, each in the order it first appears.

    Args:
        dates: the words of each date and the day they mean.
        commitments: who will do what, and by when.
        names: capitalised names of people (best effort).
        numbers: amounts, percentages, scores and counts as written.
        emails: e-mail addresses.
        links: web addresses.
    """

    dates: tuple[tuple[str, date], ...]
    commitments: tuple[Commitment, ...]
    names: tuple[str, ...]
    numbers: tuple[str, ...]
    emails: tuple[str, ...]
    links: tuple[str, ...]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _alternatives(text: str) -> list[str]:
    return text.split("|")


# Dates ------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<y>[0-9]{4})\b)?"
_COUNT = (
    r"(?P<{}>[0-9]{{1,3}}|a\s+couple\s+of|an?|one|two|three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve)"
)
_PREP = r"(?P<prep>\b(?:by|before|on|until|till|due|no\s+later\s+than)\s+)?"

_Resolved = date | None  # None: a date, but an ambiguous one


def _undated(day: int, month: int, today: date) -> date:
    for year in (today.year - 1, today.year, today.year + 1, today.year + 2):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today - PAST_WINDOW:
            return candidate
    raise ValueError("no such day")


def _day_month(m: re.Match[str], today: date) -> _Resolved:
    if m["m"] == "may":
        raise ValueError("the verb, not the month")
    month = _MONTHS[m["m"][:3].lower()]
    if m["y"]:
        return date(int(m["y"]), month, int(m["d"]))
    return _undated(int(m["d"]), month, today)


def _iso(m: re.Match[str], today: date) -> _Resolved:
    return date(int(m["y"]), int(m["mo"]), int(m["d"]))


def _slashed(m: re.Match[str], today: date) -> _Resolved:
    first, second = int(m["a"]), int(m["b"])
    if second == 10 and first <= 10 and not m["y"]:
        raise ValueError("a score out of ten")
    if first <= 12 and second <= 12 and first != second:
        return None
    day, month = (second, first) if second > 12 else (first, second)
    if not m["y"]:
        return _undated(day, month, today)
    year = int(m["y"])
    return date(year + 2000 if year < 100 else year, month, day)


def _relative_day(m: re.Match[str], today: date) -> _Resolved:
    word = " ".join(m["w"].lower().split())
    offset = {"tomorrow": 1, "yesterday": -1, "the day after tomorrow": 2, "eod": 0}
    return today + timedelta(days=offset.get(word, 0))


def _weekday(m: re.Match[str], today: date) -> _Resolved:
    wanted = _WEEKDAYS.index(m["wd"].lower())
    return today + timedelta(days=(wanted - today.weekday() - 1) % 7 + 1)


def _friday(today: date) -> date:
    return today + timedelta(days=(4 - today.weekday()) % 7)


def _week(m: re.Match[str], today: date) -> _Resolved:
    words = m["core"].lower()
    if "end" in words or words == "eow":
        return _friday(today) + timedelta(days=7 if "next" in words else 0)
    return today + timedelta(days=7)


def _month(m: re.Match[str], today: date) -> _Resolved:
    words = m["core"].lower()
    ahead = today + relativedelta(months=1) if "next" in words else today
    if "end" in words or words == "eom":
        return ahead + relativedelta(day=31)
    return ahead


def _span(m: re.Match[str], today: date) -> _Resolved:
    number = m["n"] or m["n2"] or "a"
    count = _NUMBER_WORDS.get(" ".join(number.lower().split()))
    amount = int(number) if count is None else count
    unit = (m["u"] or m["u2"]).lower()
    if unit == "fortnight":
        return today + timedelta(weeks=2 * amount)
    if unit == "month":
        return today + relativedelta(months=amount)
    return today + timedelta(days=amount * (7 if unit == "week" else 1))


def _date_pattern(core: str) -> re.Pattern[str]:
    return re.compile(rf"{_PREP}(?P<core>{core})", re.IGNORECASE)


_DATE_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], date], _Resolved]], ...] = (
    (_date_pattern(r"\b(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})\b"), _iso),
    (
        _date_pattern(
            rf"\b(?:the\s+)?(?P<d>[0-9]{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m>{_MONTH}){_YEAR}"
        ),
        _day_month,
    ),
    (
        _date_pattern(rf"\b(?P<m>{_MONTH})\.?\s+(?P<d>[0-9]{{1,2}}){_ORDINAL}\b(?!:){_YEAR}"),
        _day_month,
    ),
    (
        # 7/10 without a year is a score, not the 7th of October.
        _date_pattern(
            r"\b(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})(?:/(?P<y>[0-9]{4}|[0-9]{2}))?\b(?![/.]?[0-9])"
        ),
        _slashed,
    ),
    (
        _date_pattern(
            r"\b(?P<w>the\s+day\s+after\s+tomorrow|today|tonight|tomorrow|yesterday|eod)\b"
        ),
        _relative_day,
    ),
    (
        _date_pattern(
            r"\b(?:(?:next|this|coming|this\s+coming)\s+)?"
            r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
        ),
        _weekday,
    ),
    (
        _date_pattern(
            r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?week|(?:next|the\s+following)\s+week|eow)\b"
        ),
        _week,
    ),
    (
        _date_pattern(
            r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?month|next\s+month|eom)\b"
        ),
        _month,
    ),
    (
        _date_pattern(
            rf"\b(?:(?:in|within)\s+(?:{_COUNT.format('n')}\s+)?(?P<u>day|week|month|fortnight)s?"
            rf"|{_COUNT.format('n2')}\s+(?P<u2>day|week|month)s?\s+from\s+(?:now|today))\b"
        ),
        _span,
    ),
)


@dataclass(frozen=True, slots=True)
class _DateHit:
    start: int
    end: int
    core_start: int
    words: str
    due_text: str
    value: date | None


def _find_dates(masked: str, today: date) -> list[_DateHit]:
    hits: list[_DateHit] = []
    for pattern, resolve in _DATE_RULES:
        for m in pattern.finditer(masked):
            try:
                value = resolve(m, today)
            except (ValueError, OverflowError):
                continue
            hits.append(
                _DateHit(
                    m.start(),
                    m.end(),
                    m.start("core"),
                    " ".join(m["core"].split()),
                    " ".join(m[0].split()),
                    value,
                )
            )
    hits.sort(key=lambda h: (h.core_start, -(h.end - h.core_start)))
    kept: list[_DateHit] = []
    for hit in hits:
        if kept and hit.core_start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


# Sentences and speakers --------------------------------------------------------------

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_LINK = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_SPEAKER = re.compile(
    r"^[ \t]*(?:[\[(]?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:[.,][0-9]+)?[\])]?[ \t]*(?:-[ \t]*)?)?"
    r"(?:(?P<label>(?i:coach|client|me)"
    r"|[A-ZÀ-ÖØ-Þ][\w.'\u2019-]*(?:[ \t](?:[A-ZÀ-ÖØ-Þ][\w.'\u2019-]*|[0-9]+)){0,2})"
    r"[ \t]*:(?:[ \t]+|$))?"
)
_MARKER = re.compile(
    r"^(?:action(?:\s+items?|\s+points?)?|actions|todo|to[- ]do|next\s+steps?|homework"
    r"|follow[- ]ups?|tasks?|ap)\s*(?::|-|\u2013)\s*",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^(?:action(?:\s+items?|\s+points?)?|actions|todos?|to[- ]dos?|next\s+steps?|homework"
    r"|follow[- ]ups?|tasks?|agreed\s+actions?)\s*:?\s*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?:[-*•‣◦·]+|[0-9]{1,2}[.)]|\[[ xX]?\])\s+")
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)")
_ABBREVIATIONS = _words("e.g i.e etc dr mr mrs ms prof vs approx st no cf al inc ltd jr sr")
_NON_SPEAKER_LABELS = frozenset(
    " ".join(line.split())
    for line in _alternatives(
        "action|actions|action item|action items|action point|action points|todo|to do|"
        "to-do|next step|next steps|homework|follow-up|follow up|task|tasks|ap|note|notes|"
        "goal|goals|summary|agenda|re|subject|from|to|cc|bcc|date|sent|time|ps|p.s|tip|"
        "important|reminder|update|outcome|outcomes|decision|decisions|takeaway|takeaways|"
        "topic|topics|context|background|progress|challenges|wins|blockers|focus|mood|"
        "energy|location|duration|attendees|participants|fee|fees|price|rate|budget|phone|"
        "email|e-mail|website|http|https|www|agreed actions|key points|observations"
    )
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    start: int
    end: int
    text: str
    speaker: str  # "client", "coach", a name, or "" (the writer: the coach)
    label: str  # the speaker label as written, or ""
    marked: bool


@dataclass(frozen=True, slots=True)
class _People:
    client_parts: frozenset[str]
    coach_parts: frozenset[str]
    client_name: str
    coach_name: str

    def role(self, name: str) -> str:
        """ "client", "coach" or the name itself."""
        words = name.casefold().split()
        if name.casefold() in {"client", "the client", "my client", "coachee", "the coachee"}:
            return CLIENT
        if name.casefold() in {"coach", "the coach", "me", "interviewer"}:
            return COACH
        if words and all(w in self.client_parts for w in words):
            return CLIENT
        if words and all(w in self.coach_parts for w in words):
            return COACH
        return name


def _people(client_name: str, coach_name: str) -> _People:
    return _People(
        frozenset(client_name.casefold().split()),
        frozenset(coach_name.casefold().split()),
        " ".join(client_name.split()),
        " ".join(coach_name.split()),
    )


def _lines(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in re.finditer(r"\n", text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def _sentences(
    text: str, masked: str, people: _People
) -> tuple[list[_Sentence], list[tuple[int, int]]]:
    """Split the text into sentences, and return the spans of speaker labels too."""
    sentences: list[_Sentence] = []
    labels: list[tuple[int, int]] = []
    speaker, label, in_list = "", "", False
    for line_start, line_end in _lines(masked):
        line = masked[line_start:line_end]
        if not line.strip():
            speaker, label, in_list = "", "", False
            continue
        content_start = line_start
        m = _SPEAKER.match(line)
        if m and m.end() > 0:
            name = " ".join((m["label"] or "").split())
            speaking = name.casefold() not in _NON_SPEAKER_LABELS | _STOP_WORDS
            if m["label"] is None or speaking or name.casefold() in {"coach", "client"}:
                labels.append((line_start, line_start + m.end()))
                content_start = line_start + m.end()
                if name:
                    role = people.role(name)
                    speaker, label = (
                        role,
                        text[line_start + m.start("label") : line_start + m.end("label")],
                    )
        content = masked[content_start:line_end]
        if _HEADER.match(content.strip()):
            in_list = True
            continue
        bullet = _BULLET.match(content.lstrip())
        if in_list and not bullet:
            in_list = False
        marked_line = in_list and bullet is not None
        piece_start = content_start
        for end_m in _SENTENCE_END.finditer(content):
            stop = content_start + end_m.end()
            word = re.search(r"([\w.]+)$", masked[piece_start : content_start + end_m.start()])
            if (
                end_m.group().startswith(".")
                and word
                and (word[1].casefold().rstrip(".") in _ABBREVIATIONS or len(word[1]) == 1)
            ):
                continue
            sentences.extend(_sentence(text, piece_start, stop, speaker, label, marked_line))
            piece_start = stop
        sentences.extend(_sentence(text, piece_start, line_end, speaker, label, marked_line))
    return sentences, labels


def _sentence(
    text: str, start: int, end: int, speaker: str, label: str, marked: bool
) -> list[_Sentence]:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return []
    start += len(piece) - len(piece.lstrip())
    return [_Sentence(start, start + len(stripped), stripped, speaker, label, marked)]


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            start = last
        if end <= start:
            continue
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


# Names ------------------------------------------------------------------------------

_STOP_WORDS = _words(
    """a about above according actually after afternoon again agenda agreed ai all also
    although always am american an and another any anyway apparently april are around as
    at august back background be because been before best both british but by call calls
    can cheers christmas client clients coach coachee coaching cool could covid cv daily
    date day dear december decided despite did discovery discussed discussion do does
    done due during each easter email english even evening every excel fee feedback
    february few finally first focus follow following for friday from fwd gave generally
    goal goals good google got great had has have he hello her here hey hi him his hmm
    homework how however i if in instead interestingly intro introduction is it its
    january july june just kind last lastly later let lets linkedin ll many march may me
    meanwhile meeting microsoft mind monday month more morning most mr mrs ms much my
    next no none nonetheless not note notes nothing november now october of oh ok okay on
    once one or other otherwise our outcome overall perhaps please plan plans powerpoint
    prof progress re really recap regards reminder review right saturday second see
    september session sessions several she should since sincerely sir slack so some
    sorry speaker still subject summary sunday sure teams thank thanks that the their
    them then there these they third this those though thursday to today todo tomorrow
    tonight topic topics tuesday uh um under until update us very was we wednesday week
    well went were what when where whereas which while who whom whose why will with
    word would yeah year yes yesterday yet you your zoom dr miss madam ma am pm action
    actions steps step task tasks spoke talked met asked said told felt wanted
    warm warmly kindly hope"""
)
_NAME_WORD = (
    r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?(?:[-'\u2019][A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+)?"
)
_NAME_RUN = re.compile(rf"(?<![\w'\u2019@./-]){_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}}(?![\w@])")
_FOLLOWERS = _words(
    """will would said says agreed agrees is was has had wants wanted feels felt mentioned
    asked shared can could needs and 's 'll thinks thought told explained
    described reported completed started finished sent booked applied got works worked
    joined left hopes plans should must might may did does called emailed wrote
    replied met talked spoke came went starts begins"""
)


def _name_runs(masked: str, lower_words: set[str], people: _People) -> Iterator[tuple[int, str]]:
    for m in _NAME_RUN.finditer(masked):
        run: list[str] = []
        run_start = m.start()
        offset = m.start()
        for token_m in re.finditer(r"\S+", m.group()):
            token = token_m.group()
            known = (
                token.casefold() in people.client_parts or token.casefold() in people.coach_parts
            )
            if known or not (token.casefold() in _STOP_WORDS or token.casefold() in lower_words):
                if not run:
                    run_start = offset + token_m.start()
                run.append(token)
                continue
            if run:
                yield run_start, " ".join(run)
            run = []
        if run:
            yield run_start, " ".join(run)


def _find_names(
    masked: str,
    sentences: list[_Sentence],
    speakers: list[str],
    people: _People,
) -> tuple[str, ...]:
    lower_words = set(re.findall(r"(?<![\w'\u2019])[a-zß-öø-ÿ][a-zß-öø-ÿ'\u2019-]*", masked))
    starts = [s.start for s in sentences]
    candidates = [(start, name) for start, name in _name_runs(masked, lower_words, people)]
    mid_sentence: set[str] = set()
    initial: dict[int, bool] = {}
    for start, name in candidates:
        i = bisect.bisect_right(starts, start) - 1
        before = masked[starts[i] : start] if i >= 0 else masked[:start]
        at_start = not re.search(r"[^\W\d_]", before) or bool(
            re.search(r"[:;\"\u201c(]\s*$", before)
        )
        initial[start] = at_start
        if not at_start:
            mid_sentence.add(name)
    found: list[str] = list(speakers)
    for start, name in candidates:
        if initial[start] and " " not in name and name not in mid_sentence:
            known = name.casefold() in people.client_parts | people.coach_parts
            follower = re.match(
                r"\s*(['\u2019]s|['\u2019]ll|[a-z]+)",
                masked[start + len(name) : start + len(name) + 20],
            )
            alone = not masked[start + len(name) :].split("\n", 1)[0].strip(" ,.!")
            if not (
                known or alone or (follower and follower[1].replace("\u2019", "'") in _FOLLOWERS)
            ):
                continue
        if re.search(r"(?:ed|ing|ly)$", name) and len(name) > 5 and " " not in name:
            continue
        found.append(name)
    names: dict[str, None] = {}
    for name in found:
        role = people.role(name)
        full = {CLIENT: people.client_name, COACH: people.coach_name}.get(role, name)
        if full and full.casefold() not in {"client", "coach"}:
            names[full or name] = None
    return tuple(names)


# Numbers ----------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?:[£$€¥]|\b(?:USD|GBP|EUR|AUD|CAD|NZD)\s?)[0-9][0-9,]*(?:\.[0-9]+)?(?:\s?(?:k|m|bn)\b)?"
    r"(?:\s?(?:/|per\s+|an?\s+)(?:hour|hr|session|month|week|year|day)\b)?"
    r"|\b[0-9][0-9,]*(?:\.[0-9]+)?\s?(?:%|(?:percent|per\s+cent|pounds|dollars|euros|GBP|USD|EUR)\b)"
    r"|\b[0-9]{1,2}\s?/\s?10\b(?![/.]?[0-9])|\b[0-9]{1,2}\s+out\s+of\s+10\b"
    r"|(?<![\w.,])(?:[0-9][0-9,]*(?:\.[0-9]+)?|(?i:two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|fifteen|twenty|thirty|fifty|hundred))"
    r"\s+(?:(?:more|new|extra|other|further|different)\s+)?(?P<noun>[a-z][a-z-]+)\b"
)
_NOT_NOUNS = _words(
    """of and or to the a an in on at for by with is are was were am pm from than more
    times but so as if that this it i you he she they we be been has have had will would
    can could should may might must do does did not no yes"""
)


def _find_numbers(masked: str, dates: list[_DateHit]) -> tuple[str, ...]:
    spans = [(h.core_start, h.end) for h in dates]
    starts = [s for s, _ in spans]
    found: dict[str, None] = {}
    for m in _NUMBER.finditer(masked):
        if m["noun"] and m["noun"] in _NOT_NOUNS:
            continue
        i = bisect.bisect_right(starts, m.end()) - 1
        if i >= 0 and spans[i][1] > m.start():
            continue
        found[" ".join(m.group().split())] = None
    return tuple(found)


# Commitments ------------------------------------------------------------------------

_SUBJECT = (
    r"(?<![\w'\u2019-])(?P<subj>(?i:(?:i|we|you|he|she|they|(?:the|my|our)\s+(?:client|coach|coachee)"
    rf"|client|coach|coachee)\b)|{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})"
)
_MODAL = (
    r"(?P<modal>(?i:['\u2019]ll|\s+(?:will|shall)|\s+(?:is|are|am)\s+going\s+to|['\u2019](?:m|s|re)\s+going\s+to"
    r"|(?:\s+(?:has|have|had))?\s+(?:agreed|promised|committed|offered|undertook|volunteered|decided)\s+to"
    r"|\s+(?:agrees|promises|commits|offers|plans|intends|needs|has|have|is|are)\s+to"
    r"|\s+(?:plan|intend|need)\s+to|\s+must|\s+would))"
)
_ADVERBS = r"(?:\s+(?i:also|definitely|then|first|now|certainly|both|each|all|still))*"
_VERB = r"\s+(?P<verb>[A-Za-z][A-Za-z'\u2019-]*)"
_PROMISE = re.compile(_SUBJECT + _MODAL + _ADVERBS + _VERB)
_SHORTHAND = re.compile(
    r"(?P<subj>(?i:(?:the|my)\s+(?:client|coach)\b|client\b|coach\b)|"
    + rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})"
    + r"(?:\s+(?i:to|will|should|must|needs\s+to|['\u2019]ll))?"
    + _VERB
)
_NOT_ACTIONS = _words(
    """not never no probably possibly maybe perhaps likely unlikely hardly be been feel
    seem say admit think wonder guess bet see have the a an his her their my our your
    this that it some any be"""
)
_HEDGES = re.compile(
    r"\b(?:maybe|perhaps|hopefully|if|unless|whether|possibly|might|wonder)\b", re.I
)
_AGREEMENT = re.compile(r"\b(?:agreed|promised|committed|said|confirmed|decided|offered)\b", re.I)
_QUESTION = re.compile(
    r"^(?:will|would|shall|can|could|should|do|does|did|are|is|won['\u2019]t)\s+(?:i|you|we|he|she|they)\b",
    re.I,
)
_CLAUSE_BREAK = re.compile(
    r";|\s[-\u2013\u2014]\s|\b(?:but|because|although|though|unless|if|whereas)\b"
    r"|,\s*(?:so|which|while|and\s+then|as|see|ok|okay|right|please)\b"
    r"|\band\s+(?:we|i|you|he|she|they)\b",
    re.I,
)
_TRAILING = re.compile(
    r"(?:[\s,;:.!?\"\u201c\u201d'\u2019()-]|\b(?:and|but|so|then|or|also)\b)+$", re.I
)


def _who(subject: str, sentence: _Sentence, people: _People) -> str:
    word = " ".join(subject.casefold().split())
    me = sentence.speaker or COACH
    if word in {"i", "we"}:
        return me
    if word == "you":
        return COACH if me == CLIENT else CLIENT
    if word in {"he", "she", "they"}:
        return CLIENT
    return people.role(" ".join(subject.split()))


def _clean_subject(subject: str, people: _People) -> str:
    words = subject.split()
    if words[0].casefold() in {"i", "we", "you", "he", "she", "they", "the", "my", "our"}:
        return subject
    while (
        words
        and words[0].casefold() in _STOP_WORDS
        and people.role(" ".join(words)) not in (CLIENT, COACH)
    ):
        words.pop(0)
    if any(re.search(r"(?:ed|ing|ly)$", w) and len(w) > 5 for w in words):
        return ""
    return " ".join(words)


def _third_person_to_base(verb: str) -> str:
    if len(verb) <= 3 or verb.endswith("ss"):
        return verb
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if re.search(r"(?:ch|sh|x|z|ss|o)es$", verb):
        return verb[:-2]
    if verb.endswith("s") and not verb.endswith(("us", "is")):
        return verb[:-1]
    return verb


def _commitments(
    text: str, masked: str, sentence: _Sentence, dates: list[_DateHit], people: _People
) -> list[Commitment]:
    body = masked[sentence.start : sentence.end]
    if body.rstrip("\"'\u201d\u2019) ").endswith("?"):
        return []
    lead = _BULLET.match(body)
    offset = lead.end() if lead else 0
    marker = _MARKER.match(body[offset:])
    marked = sentence.marked or marker is not None
    if marker:
        offset += marker.end()
    if _QUESTION.match(body[offset:]):
        return []
    found: list[tuple[int, int, str, int]] = []  # subject start, verb start, who, action end
    for m in _PROMISE.finditer(body, offset):
        subject = _clean_subject(m["subj"], people)
        verb = m["verb"]
        if not subject or verb.casefold() in _NOT_ACTIONS or not verb[0].islower():
            continue
        clause = body[: m.start("subj")]
        clause = clause[max((b.start() for b in _CLAUSE_BREAK.finditer(clause)), default=0) :]
        if _HEDGES.search(clause):
            continue
        if m["modal"].strip().casefold() == "would" and not _AGREEMENT.search(body[: m.start()]):
            continue
        found.append((m.start("subj"), m.start("verb"), _who(subject, sentence, people), 0))
    if not found:
        short = _SHORTHAND.match(body, offset)
        if short and (
            marked or re.match(r"\s+(?i:to|will|should|must|needs)\b", body[short.end("subj") :])
        ):
            subject = _clean_subject(short["subj"], people)
            verb = short["verb"]
            if subject and verb[0].islower() and verb.casefold() not in _NOT_ACTIONS:
                found.append(
                    (short.start("subj"), short.start("verb"), _who(subject, sentence, people), 0)
                )
        if not found and marked:
            first = re.match(r"[A-Za-z][A-Za-z'\u2019-]*", body[offset:])
            if (
                first
                and first.group().casefold() not in _NOT_ACTIONS
                and not re.search(r"[^e]ed$", first.group())
            ):
                found.append((offset, offset, sentence.speaker or COACH, 0))
    result: list[Commitment] = []
    sentence_hits = [h for h in dates if sentence.start <= h.core_start < sentence.end]
    for index, (subject_at, verb_at, who, _) in enumerate(found):
        end = found[index + 1][0] if index + 1 < len(found) else len(body)
        breaker = _CLAUSE_BREAK.search(body, verb_at, end)
        if breaker:
            end = breaker.start()
        start_abs, end_abs = sentence.start + verb_at, sentence.start + end
        due = next((h for h in sentence_hits if start_abs <= h.core_start < end_abs), None)
        if due is None and len(found) == 1:
            due = next(
                (h for h in sentence_hits if h.core_start < sentence.start + subject_at), None
            )
        action = text[start_abs:end_abs]
        if due is not None and start_abs <= due.start < end_abs:
            cut_start, cut_end = due.start - start_abs, min(due.end, end_abs) - start_abs
            action = action[:cut_start] + " " + action[cut_end:]
        action = _TRAILING.sub("", " ".join(action.split()))
        if action.casefold().startswith("to "):
            action = action[3:]
        if marked and subject_at != verb_at and " " in action + " ":
            verb, _, rest = action.partition(" ")
            action = f"{_third_person_to_base(verb)} {rest}".strip()
        if not action:
            continue
        result.append(
            Commitment(
                who=who,
                action=action,
                due=due.value if due else None,
                due_text=due.due_text if due else "",
                sentence=sentence.text,
            )
        )
    return result


# The public functions ---------------------------------------------------------------


def extract(text: str, today: date, client_name: str = "", coach_name: str = "") -> Extracted:
    """Read dates, commitments, names, numbers, e-mails and links from a text.

    Args:
        text: session notes, a pasted transcript or an inquiry e-mail.
        today: the day relative dates ("tomorrow", "next week") count from.
        client_name: the client's name, so "Ada will ..." is read as the client.
        coach_name: the coach's name, for transcripts labelled with it.
    """
    people = _people(client_name, coach_name)
    emails = list(_EMAIL.finditer(text))
    links = list(_LINK.finditer(text))
    link_texts = [m.group().rstrip(".,;:!?") for m in links]
    spans = [(m.start(), m.end()) for m in [*emails, *links]]
    masked = _masked(text, spans)
    sentences, labels = _sentences(text, masked, people)
    speaker_names = [" ".join(text[s:e].split()) for s, e in labels]
    speakers = []
    for raw in speaker_names:
        label = _SPEAKER.match(raw)
        name = " ".join((label["label"] or "").split()) if label else ""
        if (
            name
            and re.fullmatch(rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,2}}", name)
            and name.casefold() not in _STOP_WORDS
        ):
            speakers.append(name)
    masked = _masked(masked, labels)
    dates = _find_dates(masked, today)
    commitments: list[Commitment] = []
    for sentence in sentences:
        commitments.extend(_commitments(text, masked, sentence, dates, people))
    return Extracted(
        dates=tuple(dict.fromkeys((h.words, h.value) for h in dates if h.value is not None)),
        commitments=tuple(commitments),
        names=_find_names(masked, sentences, speakers, people),
        numbers=_find_numbers(masked, dates),
        emails=tuple(dict.fromkeys(m.group() for m in emails)),
        links=tuple(dict.fromkeys(t for t in link_texts if len(t) > 4)),
    )


def action_items(extracted: Extracted) -> list[dict[str, str]]:
    """A first draft of action items from the commitments, without a model.

    Each item has "action", "owner" ("client" or "coach") and "due" (an ISO
    date or ""). Another person's commitment is the client's to follow up and
    names that person ("Sam to book a mock interview").
    """
    items: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for commitment in extracted.commitments:
        owner = COACH if commitment.who == COACH else CLIENT
        action = commitment.action
        if commitment.who not in (CLIENT, COACH):
            action = f"{commitment.who} to {action}"
        action = action[:1].upper() + action[1:]
        key = (action.casefold(), owner)
        if key in seen:
            continue
        seen.add(key)
        due = commitment.due.isoformat() if commitment.due else ""
        items.append({"action": action, "owner": owner, "due": due})
    return items


_INFORMATIVE = re.compile(
    r"\b(?:goals?|agreed|decided|plan|priorit\w*|challeng\w*|struggl\w*|worr\w*|concern\w*"
    r"|progress|achiev\w*|confiden\w*|because|important|want\w*|budget|price|fee|package"
    r"|deadline|interview\w*|offer|role|job|career|promotion|feedback|blocker\w*)\b",
    re.I,
)
_FILLER = re.compile(
    r"^(?:hi|hello|hey|dear|thanks|thank\s+you|ok|okay|yeah|yes|no|um|uh|right|great|sure"
    r"|cool|best|regards|cheers|kind\s+regards|sounds\s+good)\b",
    re.I,
)


def summary_draft(text: str, extracted: Extracted, max_sentences: int = 5) -> str:
    """An extractive summary: the most informative sentences, in their original order.

    Sentences score for commitments, dates, numbers, names and a few telling
    words, a little for coming first or last, and lose for being greetings or
    very short. Each sentence appears once; transcript lines keep their speaker.
    """
    if max_sentences <= 0:
        return ""
    people = _people("", "")
    emails = [(m.start(), m.end()) for m in _EMAIL.finditer(text)]
    links = [(m.start(), m.end()) for m in _LINK.finditer(text)]
    sentences, _ = _sentences(text, _masked(text, emails + links), people)
    committed = {c.sentence for c in extracted.commitments}
    date_words = {w for w, _ in extracted.dates}
    scored: list[tuple[float, int, str]] = []
    seen: set[str] = set()
    last = len(sentences) - 1
    for position, sentence in enumerate(sentences):
        key = " ".join(sentence.text.casefold().split())
        if key in seen or not re.search(r"[^\W\d_]", key):
            continue
        seen.add(key)
        words = len(sentence.text.split())
        score = 0.0
        score += 3 if sentence.text in committed else 0
        score += 2 if any(w in sentence.text for w in date_words) else 0
        score += min(2, sum(1 for n in extracted.numbers if n in sentence.text))
        score += 1 if any(n in sentence.text for n in extracted.names) else 0
        score += min(2, len(_INFORMATIVE.findall(sentence.text)))
        score += 1.5 if position == 0 else 0.5 if position == last else 0
        score -= 3 if words < 4 else 1 if words > 60 else 0
        score -= 2 if _FILLER.match(_MARKER.sub("", sentence.text)) else 0
        shown = f"{sentence.label}: {sentence.text}" if sentence.label else sentence.text
        scored.append((score, position, shown))
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[:max_sentences]
    return " ".join(shown for _, _, shown in sorted(best, key=lambda s: s[1]))
