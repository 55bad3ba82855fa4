"""CSV and vCard export: file shape, formula guard and lossless round trips through the importer."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachdesk.domain.clients import ClientDraft, ClientStatus, ClientType, Objective
from coachdesk.domain.exporting import (
    CSV_HEADERS,
    ExportRecord,
    csv_headers,
    enum_label,
    guard_formula,
    join_tags,
    photo_type_param,
    sniff_image_type,
    unguard_formula,
    write_csv,
    write_vcards,
)
from coachdesk.domain.importing import (
    ImportRecord,
    build_records,
    guess_mapping,
    read_csv,
    read_vcards,
    split_tags,
)

DATA = Path(__file__).parent.parent / "data" / "import"
JPEG = (DATA / "photo.jpg").read_bytes()

AOIFE = ClientDraft(
    first_name="Aoife",
    last_name="O'Brien, Jr",
    preferred_name="=Eefa",
    emails=("aoife@example.ie", "a.obrien@work.example"),
    phones=("+353 1 555 0199", "-555 0100"),
    company='Brennan "Design"; Studio',
    role="@Director",
    time_zone="Europe/Dublin",
    locale="en-IE",
    lead_source="Podcast, episode 4",
    status=ClientStatus.ACTIVE,
    tags=("returner", "design;ux"),
    notes='Line one\nLine two, with "quotes"\n=SUM(A1:A9)',
    client_type=ClientType.SPONSORED,
    objective=Objective.INTERVIEW_PREP,
    birthday="--03-15",
)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def through_csv(records: list[ExportRecord]) -> list[ImportRecord]:
    table = read_csv(write_csv(records))
    parsed = build_records(table, guess_mapping(table.headers))
    assert parsed.errors == ()
    return list(parsed.records)


def through_vcard(records: list[ExportRecord]) -> list[ImportRecord]:
    parsed = read_vcards(write_vcards(records))
    assert parsed.errors == ()
    return list(parsed.records)


# --- CSV ------------------------------------------------------------------------------


def test_csv_file_shape() -> None:
    data = write_csv([ExportRecord(AOIFE, stage="Proposal sent")])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 2  # header and row; newlines inside notes stay "\n"
    header, row = csv_rows(data)
    assert tuple(header) == csv_headers(2, 2)
    cells = dict(zip(header, row, strict=True))
    assert cells["Preferred name"] == "'=Eefa"
    assert (cells["Phone"], cells["Phone 2"]) == ("'+353 1 555 0199", "'-555 0100")
    assert cells["Role"] == "'@Director"
    assert (cells["Status"], cells["Client type"], cells["Objective"]) == (
        "Active",
        "Employer-sponsored",
        "Interview prep",
    )
    assert cells["Stage"] == "Proposal sent"
    assert cells["Tags"] == "returner, design;ux"
    assert cells["Birthday"] == "'--03-15"
    assert cells["Notes"] == 'Line one\nLine two, with "quotes"\n=SUM(A1:A9)'


def test_csv_columns_grow_with_the_most_emails_and_phones() -> None:
    many = ClientDraft(first_name="Bo", emails=("a@x.io", "b@x.io", "c@x.io"), phones=())
    none = ClientDraft(last_name="Chen")
    header, bo, chen = csv_rows(write_csv([ExportRecord(many), ExportRecord(none)]))
    assert tuple(header) == csv_headers(3, 1)
    assert bo[3:7] == ["a@x.io", "b@x.io", "c@x.io", ""]
    assert chen[3:7] == ["", "", "", ""]
    assert bo[header.index("Objective")] == ""


def test_empty_export_has_just_the_headers() -> None:
    assert csv_rows(write_csv([])) == [list(CSV_HEADERS)]


def test_csv_drops_control_characters() -> None:
    draft = ClientDraft(first_name="A\x00n\x1bn", notes="one\r\ntwo\rthree\x07")
    (record,) = through_csv([ExportRecord(draft)])
    assert (record.draft.first_name, record.draft.notes) == ("Ann", "one\ntwo\nthree")


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0958", "'+44 20 7946 0958"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1+1", "''=1+1"),
        ("''", "'''"),
        ("'\n", "''\n"),
        ("'Tis", "'Tis"),
        ("'", "'"),
        ("Ann", "Ann"),
        ("", ""),
        (" =1", " =1"),
    ],
)
def test_formula_guard(value: str, guarded: str) -> None:
    assert guard_formula(value) == guarded
    assert unguard_formula(guarded) == value


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=8))
def test_formula_guard_round_trips(value: str) -> None:
    assert unguard_formula(guard_formula(value)) == value


@pytest.mark.parametrize(
    "tags",
    [("a", "b"), ("a;b",), ("x ::: y",), ("a;b", "c"), ("solo",), ()],
)
def test_tags_cell_splits_back(tags: tuple[str, ...]) -> None:
    assert tuple(split_tags(join_tags(tags))) == tags


def test_enum_labels() -> None:
    assert enum_label(ClientStatus.ALUMNI) == "Alumni"
    assert enum_label(ClientType.GROUP) == "Group programme"
    assert enum_label(Objective.CAREER_CHANGE) == "Career change"


# --- vCard ----------------------------------------------------------------------------


def test_vcard_file_shape() -> None:
    long_notes = "Ünïcödé " * 40
    draft = ClientDraft(first_name="Aoife", emails=("a@x.io", "b@x.io"), notes=long_notes)
    data = write_vcards([ExportRecord(AOIFE, "Proposal sent", JPEG, "image/jpeg")])
    data += write_vcards([ExportRecord(draft, photo=b"\x89PNG\r\n\x1a\n" + bytes(200))])
    assert b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)
    text = data.decode()
    assert text.count("BEGIN:VCARD\r\nVERSION:3.0\r\n") == 2
    for expected in [
        "N:O'Brien\\, Jr;Aoife;;;",
        "FN:=Eefa O'Brien\\, Jr",
        "NICKNAME:=Eefa",
        'ORG:Brennan "Design"\\; Studio',
        "TITLE:@Director",
        "EMAIL;TYPE=INTERNET,PREF:aoife@example.ie",
        "EMAIL;TYPE=INTERNET:a.obrien@work.example",
        "TEL;TYPE=VOICE,PREF:+353 1 555 0199",
        "CATEGORIES:returner,design\\;ux",
        "BDAY:--03-15",
        "PHOTO;ENCODING=b;TYPE=JPEG:",
        "PHOTO;ENCODING=b;TYPE=PNG:",
        "X-COACHDESK-STATUS:active",
        "X-COACHDESK-TYPE:sponsored",
        "X-COACHDESK-OBJECTIVE:interview_prep",
        "X-COACHDESK-LEAD-SOURCE:Podcast\\, episode 4",
        "X-COACHDESK-TIME-ZONE:Europe/Dublin",
        "X-COACHDESK-LOCALE:en-IE",
        "X-COACHDESK-STAGE:Proposal sent",
    ]:
        assert f"\r\n{expected}" in text
    (_, second) = read_vcards(data).records
    assert second.draft.notes == long_notes.strip()
    assert second.photo_type == "image/png"


def test_vcard_omits_what_is_empty() -> None:
    text = write_vcards([ExportRecord(ClientDraft(last_name="Chen"))]).decode()
    assert "\r\nFN:Chen\r\n" in text
    assert "\r\nN:Chen;;;;\r\n" in text
    for absent in ["NICKNAME", "ORG", "EMAIL", "TEL", "PHOTO", "BDAY", "OBJECTIVE", "STAGE"]:
        assert absent not in text
    assert "X-COACHDESK-STATUS:lead" in text


@pytest.mark.parametrize(
    ("media_type", "param"),
    [("image/jpeg", "JPEG"), ("image/png", "PNG"), ("IMAGE/webp", "WEBP"), ("text/html", "")],
)
def test_photo_type_param(media_type: str, param: str) -> None:
    assert photo_type_param(media_type) == param


def test_sniff_image_type() -> None:
    assert sniff_image_type(JPEG) == "image/jpeg"
    assert sniff_image_type((DATA / "photo.png").read_bytes()) == "image/png"
    assert sniff_image_type(b"GIF89a...") == "image/gif"
    assert sniff_image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"hello") == ""


# --- round trips ----------------------------------------------------------------------


def test_example_round_trips() -> None:
    record = ExportRecord(AOIFE, "Proposal sent", JPEG, "image/jpeg")
    (from_csv,) = through_csv([record])
    assert (from_csv.draft, from_csv.stage, from_csv.photo) == (AOIFE, "Proposal sent", None)
    (from_vcard,) = through_vcard([record])
    assert from_vcard == ImportRecord(1, AOIFE, "Proposal sent", JPEG, "image/jpeg")


def test_round_trip_of_clients_known_by_one_name() -> None:
    drafts = [
        ClientDraft(preferred_name="Acme Ltd", company="Acme Ltd"),
        ClientDraft(preferred_name="Madonna"),
        ClientDraft(last_name="Okonkwo"),
        ClientDraft(first_name="Cher", birthday="1946-05-20"),
    ]
    records = [ExportRecord(d) for d in drafts]
    assert [r.draft for r in through_csv(records)] == drafts
    assert [r.draft for r in through_vcard(records)] == drafts


# Any printable text: accents, quotes, commas, semicolons, backslashes, emoji.
TEXT = st.characters(blacklist_categories=("Cc", "Cs"))
TRICKY = st.sampled_from(
    ["=SUM(A1)", "+44", "-", "@home", "'=x", "''", "'", 'Say "hi"', "a, b; c", "\\n", "Zoë"]
)


def words(max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(st.text(TEXT, max_size=max_size), TRICKY)


EMAILS = st.from_regex(
    r"[A-Za-z0-9=+'._%-]{1,12}@[a-z0-9]{1,8}\.(com|ie|de|co\.uk)", fullmatch=True
)
PHONES = st.from_regex(r"\+?[0-9]{2,4}( [0-9]{2,4}){1,3}( ext\. [0-9]{1,4})?", fullmatch=True)
TAGS = st.one_of(st.text(TEXT, min_size=1, max_size=20), TRICKY).filter(
    lambda t: "," not in t and t.strip()
)
BIRTHDAYS = st.one_of(
    st.just(""),
    st.dates(date(1000, 1, 1), date(2030, 12, 31)).map(date.isoformat),
    st.dates(date(2000, 1, 1), date(2000, 12, 31)).map(lambda d: f"--{d:%m-%d}"),
)
DRAFTS = st.builds(
    ClientDraft,
    first_name=words(30),
    last_name=words(30),
    preferred_name=words(20),
    emails=st.lists(EMAILS, max_size=3).map(tuple),
    phones=st.lists(PHONES, max_size=3).map(tuple),
    company=words(30),
    role=words(20),
    time_zone=st.sampled_from(["", "Europe/London", "America/Sao_Paulo", "Asia/Kolkata", "UTC"]),
    locale=st.sampled_from(["", "en-GB", "de", "fr_FR", "zh-Hant-TW", "es-419"]),
    lead_source=words(20),
    status=st.sampled_from(ClientStatus),
    tags=st.lists(TAGS, max_size=4).map(tuple),
    notes=st.one_of(st.text(st.one_of(TEXT, st.just("\n")), max_size=200), TRICKY),
    client_type=st.sampled_from(ClientType),
    objective=st.sampled_from(Objective),
    birthday=BIRTHDAYS,
).map(ClientDraft.cleaned)
VALID_DRAFTS = DRAFTS.filter(lambda d: not d.problems())
STAGES = st.one_of(st.just(""), words(30)).map(lambda s: " ".join(s.split()))
RECORDS = st.builds(
    ExportRecord,
    draft=VALID_DRAFTS,
    stage=STAGES,
    photo=st.one_of(st.none(), st.binary(min_size=1, max_size=300)),
    photo_type=st.sampled_from(["image/jpeg", "image/png", "image/webp"]),
)
ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(st.lists(RECORDS, min_size=1, max_size=3))
def test_csv_round_trip_is_lossless(records: list[ExportRecord]) -> None:
    back = through_csv(records)
    assert [(r.draft, r.stage) for r in back] == [(r.draft, r.stage) for r in records]
    assert [r.row for r in back] == list(range(2, len(records) + 2))


@ROUND_TRIP
@given(st.lists(RECORDS, min_size=1, max_size=3))
def test_vcard_round_trip_is_lossless(records: list[ExportRecord]) -> None:
    back = through_vcard(records)
    assert [(r.draft, r.stage, r.photo) for r in back] == [
        (r.draft, r.stage, r.photo) for r in records
    ]
    for sent, received in zip(records, back, strict=True):
        if sent.photo:
            assert received.photo_type == sent.photo_type
