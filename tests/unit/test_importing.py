"""CSV and vCard import: decoding, sniffing, column guessing, dates, validation and fuzzing."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachdesk.domain.clients import ClientStatus, ClientType, Objective
from coachdesk.domain.errors import KnownError
from coachdesk.domain.exporting import csv_headers
from coachdesk.domain.importing import (
    IMPORT_FIELDS,
    DateColumn,
    ImportFormatError,
    ImportRecord,
    Parsed,
    RawTable,
    RowError,
    build_records,
    decode,
    detect_dates,
    guess_mapping,
    read_csv,
    read_vcards,
    split_full_name,
)

DATA = Path(__file__).parent.parent / "data" / "import"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse_csv(data: bytes, **orders: str) -> Parsed:
    table = read_csv(data)
    return build_records(table, guess_mapping(table.headers), orders or None)


def table_of(*lines: str) -> RawTable:
    return read_csv("\n".join(lines).encode())


def only_record(parsed: Parsed) -> ImportRecord:
    assert parsed.errors == ()
    assert len(parsed.records) == 1
    return parsed.records[0]


# --- decode ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("Zoë,Müller\n".encode(), "Zoë,Müller\n", "utf-8"),
        (codecs.BOM_UTF8 + "Zoë\r\n".encode(), "Zoë\n", "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "Zoë\r\nA".encode("utf-16-le"), "Zoë\nA", "utf-16"),
        (codecs.BOM_UTF16_BE + "Zoë".encode("utf-16-be"), "Zoë", "utf-16"),
        ("Zoë;1.200 €\r".encode("cp1252"), "Zoë;1.200 €\n", "cp1252"),
        (b"caf\xe9 \x81", "café \x81", "latin-1"),
        (b"a\r\nb\rc\n", "a\nb\nc\n", "utf-8"),
    ],
)
def test_decode(data: bytes, text: str, encoding: str) -> None:
    assert decode(data) == (text, encoding)


def test_decode_keeps_a_bom_file_as_utf8_despite_one_bad_byte() -> None:
    text, encoding = decode(codecs.BOM_UTF8 + "Zoë ".encode() + b"\xff")
    assert (text, encoding) == ("Zoë \ufffd", "utf-8-sig")


# --- read_csv -------------------------------------------------------------------------


def test_google_sheets_export() -> None:
    table = read_csv(sample("google_sheets.csv"))
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert table.headers[:3] == ("Name", "Email", "Phone")
    # Row 5 is blank in the sheet: skipped, but the rows after it keep their numbers.
    assert table.row_numbers == (2, 3, 4, 6, 7)
    assert table.rows[0][-1] == "Prefers mornings.\nAsk about the portfolio review."


def test_excel_semicolon_cp1252_export() -> None:
    table = read_csv(sample("excel_semicolon_cp1252.csv"))
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.headers[0] == "Vorname"
    assert [row[0] for row in table.rows] == ["Zoë", "François", "Søren", "José"]
    assert table.rows[1][-1] == "Budget 1.200 €"
    assert table.rows[2][-1] == 'Notiz mit "Anführungszeichen" und; Semikolon'


def test_utf8_bom_export() -> None:
    table = read_csv(sample("outlook_utf8_bom.csv"))
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "First Name"
    assert table.rows[0][0] == "Łukasz"


@pytest.mark.parametrize("delimiter", ["\t", "|", ";", ","])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    lines = ["First name", "Last name", "Notes"], ["Ann", "Lee", "a, b; c | d"]
    text = "\n".join(
        delimiter.join(f'"{c}"' if delimiter in c or "," in c else c for c in line)
        for line in lines
    )
    table = read_csv(text.encode())
    assert table.delimiter == delimiter
    assert table.rows == (("Ann", "Lee", "a, b; c | d"),)


def test_utf16_tab_separated_unicode_text() -> None:
    # What Excel writes for "Unicode Text".
    data = codecs.BOM_UTF16_LE + "Vorname\tNachname\r\nZoë\tMüller\r\n".encode("utf-16-le")
    table = read_csv(data)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.rows == (("Zoë", "Müller"),)


def test_short_rows_are_padded_and_long_ones_remembered() -> None:
    table = table_of(
        "First name,Last name,E-mail,Phone,Notes,",
        "Ann,Lee",
        "Bo,Chen,bo@example.com,,,,,",
        "Cy,Diaz,cy@example.com,,,x,,y",
    )
    assert table.headers == ("First name", "Last name", "E-mail", "Phone", "Notes")
    assert table.rows[0] == ("Ann", "Lee", "", "", "")
    assert table.rows[1] == ("Bo", "Chen", "bo@example.com", "", "")
    assert table.ragged == ((2, 8),)
    parsed = build_records(table, guess_mapping(table.headers))
    assert [r.row for r in parsed.records] == [2, 3]
    assert parsed.errors == (RowError(4, "", "Row 4 has 8 cells, expected 5."),)


def test_headers_are_made_unique_and_named() -> None:
    table = table_of("Email,,email,Name", "a@example.com,x,b@example.com,Ann Lee")
    assert table.headers == ("Email", "Column 2", "email (2)", "Name")
    mapping = guess_mapping(table.headers)
    assert mapping == {"Email": "email", "Column 2": "", "email (2)": "email", "Name": "full_name"}
    record = only_record(build_records(table, mapping))
    assert record.draft.emails == ("a@example.com", "b@example.com")


def test_header_rows_may_follow_blank_lines() -> None:
    table = read_csv(b"\n,,\nName,Email\nAnn Lee,ann@example.com\n")
    assert table.first_row_number == 4
    assert table.row_number(0) == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b" \r\n\t\n", "The file is empty."),
        (codecs.BOM_UTF8, "The file is empty."),
        (b",,,\n\n  ,\n", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", "Excel workbook; save it as CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "Excel workbook; save it as CSV"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF"),
        (b"Name,Email\x00\nAnn,a@example.com", "not a CSV text file"),
        (bytes(range(256)) * 4, "not a CSV text file"),
        (b"ann@example.com,Ann\nbob@example.com,Bob\n", "first row should name the columns"),
    ],
)
def test_unreadable_files_say_why(data: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message) as caught:
        read_csv(data)
    assert isinstance(caught.value, KnownError)


def test_formula_guard_apostrophe_is_removed() -> None:
    table = table_of(
        "Name,Phone,Notes,Tags", "Ann Lee,'+44 20 7946 0958,'=1+1,'Tis the season", "''Bo,,'',"
    )
    assert table.rows[0] == ("Ann Lee", "+44 20 7946 0958", "=1+1", "'Tis the season")
    assert table.rows[1][0] == "'Bo"


# --- guess_mapping --------------------------------------------------------------------


def test_own_export_headers_map_back() -> None:
    mapping = guess_mapping(csv_headers(3, 2))
    assert mapping == {
        "First name": "first_name",
        "Last name": "last_name",
        "Preferred name": "preferred_name",
        "E-mail": "email",
        "E-mail 2": "email",
        "E-mail 3": "email",
        "Phone": "phone",
        "Phone 2": "phone",
        "Company": "company",
        "Role": "role",
        "Time zone": "time_zone",
        "Locale": "locale",
        "Lead source": "lead_source",
        "Status": "status",
        "Client type": "client_type",
        "Objective": "objective",
        "Stage": "stage",
        "Tags": "tags",
        "Birthday": "birthday",
        "Notes": "notes",
    }


def test_google_contacts_headers() -> None:
    table = read_csv(sample("google_contacts.csv"))
    mapped = {h: f for h, f in guess_mapping(table.headers).items() if f}
    assert mapped == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Nickname": "preferred_name",
        "Organization Name": "company",
        "Organization Title": "role",
        "Birthday": "birthday",
        "Notes": "notes",
        "Labels": "tags",
        "E-mail 1 - Value": "email",
        "E-mail 2 - Value": "email",
        "Phone 1 - Value": "phone",
        "Phone 2 - Value": "phone",
    }


def test_outlook_title_is_an_honorific_when_there_is_a_job_title() -> None:
    table = read_csv(sample("outlook_utf8_bom.csv"))
    mapping = guess_mapping(table.headers)
    assert mapping["Title"] == ""
    assert mapping["Job Title"] == "role"
    assert [h for h, f in mapping.items() if f == "email"] == [
        "E-mail Address",
        "E-mail 2 Address",
        "E-mail 3 Address",
    ]
    assert mapping["Categories"] == "tags"
    assert guess_mapping(["Name", "Title"]) == {"Name": "full_name", "Title": "role"}


def test_hubspot_headers() -> None:
    mapping = guess_mapping(read_csv(sample("hubspot.csv")).headers)
    assert mapping["Email"] == "email"
    assert mapping["Phone Number"] == mapping["Mobile Phone Number"] == "phone"
    assert mapping["Company Name"] == "company"
    assert mapping["Job Title"] == "role"
    assert mapping["Lifecycle Stage"] == "stage"
    assert mapping["Original Source"] == "lead_source"
    assert mapping["Lead Status"] == mapping["Record ID"] == mapping["Create Date"] == ""


@pytest.mark.parametrize(
    ("headers", "fields"),
    [
        (
            ["Vorname", "Name", "E-Mail", "Telefon", "Firma", "Geburtstag", "Notizen"],
            ["first_name", "last_name", "email", "phone", "company", "birthday", "notes"],
        ),
        (
            ["Prénom", "Nom", "Courriel", "Téléphone", "Société", "Date de naissance"],
            ["first_name", "last_name", "email", "phone", "company", "birthday"],
        ),
        (
            ["Nombre", "Apellidos", "Correo electrónico", "Teléfono", "Empresa", "Cumpleaños"],
            ["first_name", "last_name", "email", "phone", "company", "birthday"],
        ),
        (
            ["Full Name", "EMAIL", "first_name", "Company", "Employer", "Shoe size"],
            ["full_name", "email", "first_name", "company", "", ""],
        ),
    ],
)
def test_guessing_in_several_languages(headers: list[str], fields: list[str]) -> None:
    assert list(guess_mapping(headers).values()) == fields


def test_every_field_has_a_label() -> None:
    assert IMPORT_FIELDS[""]
    assert {"first_name", "full_name", "email", "phone", "stage", "birthday"} <= set(IMPORT_FIELDS)
    # Every label guesses back to its field, so a re-imported mapping file works.
    for field, label in IMPORT_FIELDS.items():
        if field:
            assert guess_mapping([label]) == {label: field}


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["1990-03-15", "--03-15", "19880704"], "iso"),
        (["15 March 1990", "March 15", "Mar 15, 1990", "1er mars 1985", "15. März 1990"], "iso"),
        (["03/04/1990", "25/12/1985"], "dmy"),
        (["03/04/1990", "12/25/1985"], "mdy"),
        (["03/04/1990", "04/05/1985"], "ambiguous"),
        (["25/04/1990", "04/25/1985"], "ambiguous"),
        (["05.05.1990", "1990-01-01"], "iso"),
        (["someday", "n/a"], "unparsed"),
        (["someday", "25.12.1980"], "dmy"),
        ([], "iso"),
    ],
)
def test_detect_date_order(values: list[str], order: str) -> None:
    table = RawTable(("Name", "DOB"), tuple(("X", v) for v in values), "utf-8", ",")
    columns = detect_dates(table, {"Name": "full_name", "DOB": "birthday"})
    assert columns == {"DOB": DateColumn("DOB", order, columns["DOB"].samples)}
    if order == "ambiguous":
        assert columns["DOB"].samples[0] in values


def test_detect_dates_ignores_other_columns() -> None:
    table = RawTable(("A", "B"), (("03/04/1990", "x"),), "utf-8", ",")
    assert detect_dates(table, {"A": "notes", "B": ""}) == {}


def test_ambiguous_birthdays_need_a_decision() -> None:
    data = b"Name,Birthday\nAnn Lee,03/04/1990\nBo Chen,1985-07-01\nCy Diaz,05/06/1979\n"
    parsed = parse_csv(data)
    assert [r.row for r in parsed.records] == [3]
    assert [(e.row, e.field) for e in parsed.errors] == [(2, "birthday"), (4, "birthday")]
    assert "choose the date order for the “Birthday” column" in parsed.errors[0].message
    decided = parse_csv(data, Birthday="dmy")
    assert [r.draft.birthday for r in decided.records] == ["1990-04-03", "1985-07-01", "1979-06-05"]
    decided = parse_csv(data, Birthday="mdy")
    assert [r.draft.birthday for r in decided.records] == ["1990-03-04", "1985-07-01", "1979-05-06"]


@pytest.mark.parametrize(
    ("value", "birthday"),
    [
        ("15/03/1990", "1990-03-15"),
        ("3/25/1982", "1982-03-25"),
        ("15.03.", "--03-15"),
        ("1990/3/5", "1990-03-05"),
        ("--0229", "--02-29"),
        ("March 15th, 1990", "1990-03-15"),
        ("15 de marzo de 1990", "1990-03-15"),
        ("1990 Mar 15", "1990-03-15"),
        ("15-Mar-90", "1990-03-15"),
        ("3/25/1982 0:00", "1982-03-25"),
        ("0/0/00", ""),
        ("00.00.0000", ""),
    ],
)
def test_birthday_formats(value: str, birthday: str) -> None:
    record = only_record(parse_csv(f'Name,Birthday\nAnn Lee,"{value}"\n'.encode()))
    assert record.draft.birthday == birthday


@pytest.mark.parametrize("value", ["31/02/1990", "1990-13-01", "soon", "13/13/1990"])
def test_impossible_birthdays_are_errors(value: str) -> None:
    parsed = parse_csv(f"Name,Birthday\nAnn Lee,{value}\n".encode())
    assert parsed.records == ()
    assert parsed.errors == (RowError(2, "birthday", parsed.errors[0].message),)
    assert parsed.errors[0].message.startswith(f"Not a date: “{value}”")


def test_a_chosen_order_that_contradicts_a_value_is_an_error() -> None:
    parsed = parse_csv(b"Name,Birthday\nAnn Lee,25/03/1990\n", Birthday="mdy")
    assert parsed.errors[0].message.startswith("Not a date: “25/03/1990”")


# --- build_records --------------------------------------------------------------------


def test_sample_exports_import() -> None:
    sheets = parse_csv(sample("google_sheets.csv"))
    assert [r.draft.first_name for r in sheets.records] == ["Aoife", "Marcus", "Priya", "Chloé"]
    aoife, marcus, priya, chloe = sheets.records
    assert aoife.draft.status is ClientStatus.ACTIVE
    assert aoife.draft.tags == ("returner", "design")
    assert aoife.draft.birthday == "1988-04-03"  # the column proves day-month order
    assert marcus.draft.emails == ("marcus@example.com", "m.whitfield@work.example")
    assert priya.draft.status is ClientStatus.PAUSED
    assert chloe.draft.tags == ("alumni", "2023")
    assert sheets.errors == (RowError(6, "email", "Not an e-mail address: “jonas@@example.com”"),)
    assert sheets.total_rows == 5

    excel = parse_csv(sample("excel_semicolon_cp1252.csv"))
    assert excel.errors == ()
    assert [r.draft.last_name for r in excel.records] == [
        "Müller",
        "Dupont-Lefèvre",
        "Ærø",
        "Núñez",
    ]
    assert excel.records[0].draft.birthday == "1985-03-15"
    assert excel.records[3].draft.birthday == "1988-02-29"

    outlook = parse_csv(sample("outlook_utf8_bom.csv"))
    lukasz, siobhan = outlook.records
    assert lukasz.draft.tags == ("clients", "vip")
    assert lukasz.draft.phones == ("+48 600 123 456", "+48 22 123 45 67")
    assert lukasz.draft.role == "Architekt"
    assert lukasz.draft.birthday == "1982-03-25"
    assert (siobhan.draft.preferred_name, siobhan.draft.birthday) == ("Shiv", "")

    google = parse_csv(sample("google_contacts.csv"))
    hannah, ravi = google.records
    assert hannah.draft.tags == ("clients", "leadership")
    assert ravi.draft.tags == ()
    assert ravi.draft.birthday == "--06-21"


def test_hubspot_export() -> None:
    parsed = parse_csv(sample("hubspot.csv"))
    dana, miguel, brightwave = parsed.records
    assert (dana.stage, dana.draft.lead_source) == ("Lead", "Organic Search")
    assert dana.draft.phones == ("+1 (212) 555-0188",)
    assert miguel.draft.phones == ("+52 55 5555 0101",)
    assert brightwave.draft.preferred_name == brightwave.draft.company == "Brightwave Ltd"
    assert brightwave.stage == "Customer"
    assert [(e.row, e.field) for e in parsed.errors] == [(5, "first_name")]
    assert parsed.errors[0].message.startswith("No name")


def test_enum_fields_take_values_or_labels_in_any_case() -> None:
    data = (
        b"Name,Status,Client type,Objective\n"
        b"Ann Lee,Active,Employer-sponsored,Interview prep\n"
        b"Bo Chen,ALUMNI,group programme,career_change\n"
        b"Cy Diaz,lost,sponsored,Not set\n"
        b"Di Eng,,,\n"
        b"Ed Fox,Hot,Corporate,Fame\n"
    )
    parsed = parse_csv(data)
    drafts = [r.draft for r in parsed.records]
    assert [(d.status, d.client_type, d.objective) for d in drafts] == [
        (ClientStatus.ACTIVE, ClientType.SPONSORED, Objective.INTERVIEW_PREP),
        (ClientStatus.ALUMNI, ClientType.GROUP, Objective.CAREER_CHANGE),
        (ClientStatus.LOST, ClientType.SPONSORED, Objective.NONE),
        (ClientStatus.LEAD, ClientType.INDIVIDUAL, Objective.NONE),
    ]
    assert [(e.row, e.field) for e in parsed.errors] == [
        (6, "status"),
        (6, "client_type"),
        (6, "objective"),
    ]
    assert parsed.errors[0].message == (
        "Unknown status “Hot”; use one of Lead, Active, Paused, Alumni, Lost."
    )


def test_several_emails_and_phones_per_cell() -> None:
    data = (
        b'Name,Email,Work email,Phones\nAnn Lee,"ann@example.com; Ann <ann@work.example>\n'
        b'mailto:ann@home.example","ANN@example.com",'
        b'"+44 20 7946 0958, tel:+1 415 555 0134;ext=12"\n'
    )
    record = only_record(parse_csv(data))
    assert record.draft.emails == (
        "ann@example.com",
        "ann@work.example",
        "ann@home.example",
        "ANN@example.com",
    )
    assert record.draft.phones == ("+44 20 7946 0958", "+1 415 555 0134 ext. 12")


def test_bad_values_are_named() -> None:
    data = (
        "Name,Email,Phone,Time zone,Locale,Tags\n"
        "Ann Lee,bob@,12,Mars/Olympus,klingon!," + "x" * 41 + "\n"
    ).encode()
    parsed = parse_csv(data)
    assert parsed.records == ()
    messages = {e.field: e.message for e in parsed.errors}
    assert messages["email"] == "Not an e-mail address: “bob@”"
    assert messages["phone"] == "Not a phone number: “12”"
    assert "Mars/Olympus" in messages["time_zone"]
    assert "klingon!" in messages["locale"]
    assert "40 characters" in messages["tags"]
    assert {e.row for e in parsed.errors} == {2}


def test_names() -> None:
    data = (
        b"Name,First,Last,Company\n"
        b'"Smith, Ann",,,\n'
        b"Anna van der Berg,,,\n"
        b"Madonna,,,\n"
        b"Ignored Full,Bo,,\n"
        b",,,Acme Ltd\n"
    )
    parsed = parse_csv(data)
    names = [
        (r.draft.first_name, r.draft.last_name, r.draft.preferred_name) for r in parsed.records
    ]
    assert names == [
        ("Ann", "Smith", ""),
        ("Anna", "van der Berg", ""),
        ("Madonna", "", ""),
        ("Bo", "", ""),
        ("", "", "Acme Ltd"),
    ]
    assert parsed.errors == ()
    assert split_full_name("  Jean   Claude  Van Damme ") == ("Jean Claude", "Van Damme")
    assert split_full_name("Mary Anne Smith") == ("Mary Anne", "Smith")
    assert split_full_name("Ludwig van Beethoven") == ("Ludwig", "van Beethoven")


def test_time_zone_and_locale_case_is_fixed() -> None:
    record = only_record(parse_csv(b"Name,Time zone,Locale\nAnn Lee,europe/london,EN-gb\n"))
    assert (record.draft.time_zone, record.draft.locale) == ("Europe/London", "en-GB")


def test_repeated_columns_join_notes_and_tags() -> None:
    data = b"Name,Notes,Comments,Tags,Labels,Company,Employer\nAnn Lee,one,two,a;b,c,Acme,Other\n"
    table = read_csv(data)
    mapping = guess_mapping(table.headers)
    mapping["Employer"] = "company"
    record = only_record(build_records(table, mapping))
    assert record.draft.notes == "one\n\ntwo"
    assert record.draft.tags == ("a", "b", "c")
    assert record.draft.company == "Acme"


def test_unknown_mapping_field_is_a_bug() -> None:
    table = table_of("Name", "Ann")
    with pytest.raises(ValueError, match="shoe_size"):
        build_records(table, {"Name": "shoe_size"})


def test_unmapped_table_reports_every_row() -> None:
    parsed = build_records(table_of("A,B", "1,2", "3,4"), {})
    assert parsed.records == ()
    assert [e.row for e in parsed.errors] == [2, 3]
    assert parsed.total_rows == 2


# --- read_vcards ----------------------------------------------------------------------


def test_vcard_30_sample() -> None:
    parsed = read_vcards(sample("contacts_v30.vcf"))
    assert parsed.errors == ()
    assert parsed.total_rows == 5
    aoife, okonkwo, harbour, sven, tolu = parsed.records
    assert [r.row for r in parsed.records] == [1, 2, 3, 4, 5]
    d = aoife.draft
    assert (d.first_name, d.last_name, d.preferred_name) == ("Aoife Máire", "Brennan", "Eefa")
    assert (d.company, d.role) == ("Brennan Design", "Creative Director")
    assert d.emails == ("aoife@brennandesign.example", "aoife.home@example.ie")
    assert d.phones == ("+353 87 555 0199", "+353 1 555 0100")
    # The NOTE is folded across two lines in the file.
    assert d.notes == (
        "Met at the Dublin design meetup. Wants to move into leadership, maybe within a year."
        "\nFollow up in spring."
    )
    assert d.tags == ("design", "returner")
    assert d.birthday == "--03-15"  # Apple's year 1604 means "no year"
    assert (aoife.photo, aoife.photo_type) == (sample("photo.jpg"), "image/jpeg")
    assert (okonkwo.draft.first_name, okonkwo.draft.last_name) == ("", "Okonkwo")
    assert okonkwo.draft.birthday == "1979-08-22"
    assert harbour.draft.preferred_name == harbour.draft.company == "Harbour Lights Ltd"
    assert harbour.draft.first_name == harbour.draft.last_name == ""
    assert sven.draft.birthday == "--07-04"
    assert sven.draft.emails == ("sven@example.se", "sven.lindqvist@work.example")
    assert (sven.photo, sven.photo_type) == (sample("photo.png"), "image/png")
    assert (tolu.photo, tolu.photo_type, tolu.draft.birthday) == (None, "", "1990-03-15")


def test_vcard_40_sample() -> None:
    parsed = read_vcards(sample("contacts_v40.vcf"))
    assert parsed.total_rows == 5
    mariana, tomasz, ingrid = parsed.records
    d = mariana.draft
    assert (d.first_name, d.last_name) == ("Mariana", "Costa")
    assert d.emails == ("mariana@example.br", "mariana.costa@clinic.example.br")
    assert d.phones == ("+55-11-5555-0123", "+55-11-5555-0100 ext. 204")
    assert d.birthday == "--03-15"
    assert d.time_zone == "America/Sao_Paulo"
    assert d.notes == "Prefers WhatsApp, evenings"
    assert d.tags == ("leadership", "referral")
    assert (mariana.photo, mariana.photo_type) == (sample("photo.png"), "image/png")
    assert (tomasz.draft.birthday, tomasz.photo) == ("1990-03-15", None)
    assert ingrid.draft.birthday == ""
    assert [(e.row, e.field) for e in parsed.errors] == [(4, ""), (5, "email")]
    assert "this line has no colon" in parsed.errors[0].message
    assert parsed.errors[1].message == "Not an e-mail address: “kenji@”"


def card(*lines: str, version: str = "3.0") -> bytes:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""]).encode()


def read_card(*lines: str, version: str = "3.0") -> ImportRecord:
    return only_record(read_vcards(card(*lines, version=version)))


def test_folded_lines_unfold() -> None:
    record = read_card(
        "N:Fitzgerald-Ó Súilleabháin;Caoimhe",
        "NOTE:A long note that an exporter folded at seventy-five octets so that",
        "  it needs unfolding,\\n and one that a tab",
        "\tfolded.",
        "EMAIL:caoimhe@exa",
        " mple.ie",
    )
    assert record.draft.notes == (
        "A long note that an exporter folded at seventy-five octets so that it needs unfolding,"
        "\n and one that a tabfolded."
    )
    assert record.draft.emails == ("caoimhe@example.ie",)


@pytest.mark.parametrize(
    ("lines", "names"),
    [
        (["FN:Ann Lee"], ("Ann", "Lee", "")),
        (["N:;;;;", "FN:Ann Lee"], ("Ann", "Lee", "")),
        (["N:;;;;", "FN:Acme", "ORG:Acme"], ("", "", "Acme")),
        (["ORG:Acme;Sales"], ("", "", "Acme")),
        (["FN:Ann Lee", "NICKNAME:Annie,A"], ("Ann", "Lee", "Annie")),
        (["FN:Annie", "NICKNAME:Annie"], ("", "", "Annie")),
        (["N:Lee;Ann,Marie;Jo;Dr.;PhD"], ("Ann Marie Jo", "Lee", "")),
        (["N:Lee\\;Smith;Ann\\, Jr"], ("Ann, Jr", "Lee;Smith", "")),
    ],
)
def test_vcard_names(lines: list[str], names: tuple[str, str, str]) -> None:
    d = read_card(*lines).draft
    assert (d.first_name, d.last_name, d.preferred_name) == names


def test_vcard_with_no_name_is_an_error() -> None:
    parsed = read_vcards(card("FN:bob@example.com", "EMAIL:bob@example.com"))
    assert parsed.records == ()
    assert parsed.errors[0].message.startswith("No name")


@pytest.mark.parametrize(
    ("bday", "birthday"),
    [
        ("BDAY:1990-03-15", "1990-03-15"),
        ("BDAY:19900315", "1990-03-15"),
        ("BDAY:--0315", "--03-15"),
        ("BDAY:--03-15", "--03-15"),
        ("BDAY;VALUE=date:1990-03-15T00:00:00Z", "1990-03-15"),
        ("BDAY;VALUE=text:circa 1800", ""),
        ("BDAY;VALUE=text:15 March 1990", "1990-03-15"),
    ],
)
def test_vcard_birthdays(bday: str, birthday: str) -> None:
    assert read_card("FN:Ann Lee", bday).draft.birthday == birthday


def test_vcard_birthday_that_is_not_a_date_is_an_error() -> None:
    parsed = read_vcards(card("FN:Ann Lee", "BDAY:someday"))
    assert parsed.errors[0].field == "birthday"


def test_vcard_21_quoted_printable() -> None:
    data = card(
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;Zo=C3=AB",
        "NOTE;ENCODING=QUOTED-PRINTABLE:Line one=0D=0ALine=",
        " two",
        "TEL;CELL;PREF:+49 30 1234567",
        "TEL;HOME:+49 30 7654321",
        "PHOTO;JPEG;ENCODING=BASE64:/9j/4AAQSkZJRgABAQEASABIAAD//gATQ29hY2hEZXNrIHNh",
        " bXBsZQD/2Q==",
        version="2.1",
    )
    record = only_record(read_vcards(data))
    assert (record.draft.first_name, record.draft.last_name) == ("Zoë", "Müller")
    assert record.draft.notes == "Line one\nLine two"
    assert record.draft.phones == ("+49 30 1234567", "+49 30 7654321")
    assert (record.photo, record.photo_type) == (sample("photo.jpg"), "image/jpeg")


def test_vcard_x_properties_and_bad_values() -> None:
    record = read_card(
        "FN:Ann Lee",
        "X-COACHDESK-STATUS:Active",
        "X-COACHDESK-TYPE:group",
        "X-COACHDESK-OBJECTIVE:Exam prep",
        "X-COACHDESK-STAGE:Proposal  sent",
        "X-COACHDESK-LEAD-SOURCE:Podcast\\, episode 4",
    )
    d = record.draft
    assert (d.status, d.client_type, d.objective) == (
        ClientStatus.ACTIVE,
        ClientType.GROUP,
        Objective.EXAM_PREP,
    )
    assert (record.stage, d.lead_source) == ("Proposal sent", "Podcast, episode 4")
    parsed = read_vcards(card("FN:Ann Lee", "X-COACHDESK-STATUS:gone"))
    assert [e.field for e in parsed.errors] == ["status"]


def test_photo_links_and_damaged_photos_are_ignored() -> None:
    record = read_card(
        "FN:Ann Lee",
        "PHOTO;VALUE=uri:http://example.com/ann.jpg",
        "PHOTO:data:image/png,not-base64",
        "PHOTO;ENCODING=b:!!!",
    )
    assert (record.photo, record.photo_type) == (None, "")


def test_one_broken_card_does_not_stop_the_rest() -> None:
    data = (
        card("FN:Ann Lee")
        + card("FN:Bo Chen", "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=x-klingon:=C3=BC")
        + b"junk between cards\r\n"
        + card("FN:Cy Diaz")
        + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Di Eng\r\n"
    )
    parsed = read_vcards(data)
    assert [r.draft.first_name for r in parsed.records] == ["Ann", "Cy"]
    assert [(e.row, e.field) for e in parsed.errors] == [(2, ""), (4, "")]
    assert "cut short" in parsed.errors[1].message
    assert parsed.total_rows == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n  \r\n", "empty"),
        (b"Name,Email\nAnn,ann@example.com\n", "not a vCard"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a vCard"),
    ],
)
def test_unreadable_vcard_files(data: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        read_vcards(data)


# --- never crash ----------------------------------------------------------------------


def check_accounting(parsed: Parsed, expected_rows: list[int]) -> None:
    """Every row is in exactly one of records and errors; row numbers are real."""
    record_rows = [r.row for r in parsed.records]
    error_rows = {e.row for e in parsed.errors}
    assert len(record_rows) == len(set(record_rows))
    assert not set(record_rows) & error_rows
    assert sorted(set(record_rows) | error_rows) == expected_rows
    assert parsed.total_rows == len(expected_rows)
    for record in parsed.records:
        assert record.draft.problems() == {}
        assert record.draft == record.draft.cleaned()


def import_csv_or_refuse(data: bytes) -> None:
    try:
        table = read_csv(data)
    except ImportFormatError:
        return
    parsed = build_records(table, guess_mapping(table.headers))
    check_accounting(parsed, [table.row_number(i) for i in range(len(table.rows))])
    for column in detect_dates(table, guess_mapping(table.headers)):
        build_records(table, guess_mapping(table.headers), {column: "dmy"})


def import_vcards_or_refuse(data: bytes) -> None:
    try:
        parsed = read_vcards(data)
    except ImportFormatError:
        return
    check_accounting(parsed, list(range(1, parsed.total_rows + 1)))


SAMPLES = sorted(p.name for p in DATA.glob("*.csv"))
VCARDS = sorted(p.name for p in DATA.glob("*.vcf"))
CSV_NOISE = st.sampled_from([b",", b";", b"\t", b"|", b'"', b"\n", b"\r", b"'", b"=", b"\x00"])
VCARD_NOISE = st.sampled_from(
    [b":", b";", b",", b"\\", b"\r\n", b"\r\n ", b"BEGIN:VCARD\r\n", b"END:VCARD\r\n", b"="]
)


def mutate(data: bytes, seed: int, noise: list[bytes]) -> bytes:
    """`data` cut short, with bytes flipped and separators dropped in, all at random."""
    rng = random.Random(seed)
    buffer = bytearray(data[: rng.randint(0, len(data))] if rng.random() < 0.3 else data)
    for _ in range(rng.randint(1, 8)):
        where = rng.randint(0, len(buffer))
        if rng.random() < 0.5 and buffer:
            buffer[min(where, len(buffer) - 1)] = rng.randint(0, 255)
        else:
            buffer[where:where] = rng.choice(noise)
    return bytes(buffer)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_csv_reader(data: bytes) -> None:
    import_csv_or_refuse(data)


@FUZZ
@given(st.lists(st.one_of(CSV_NOISE, st.binary(max_size=12)), max_size=40).map(b"".join))
def test_csv_like_noise_never_crashes(data: bytes) -> None:
    import_csv_or_refuse(data)


@FUZZ
@given(st.sampled_from(SAMPLES), st.integers(0, 2**32))
def test_damaged_csv_files_never_crash(name: str, seed: int) -> None:
    noise = [b",", b";", b"\t", b"|", b'"', b"\r\n", b"'", b"=", b"/"]
    import_csv_or_refuse(mutate(sample(name), seed, noise))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_vcard_reader(data: bytes) -> None:
    import_vcards_or_refuse(data)


@FUZZ
@given(st.lists(st.one_of(VCARD_NOISE, st.binary(max_size=12)), max_size=40).map(b"".join))
def test_vcard_like_noise_never_crashes(data: bytes) -> None:
    import_vcards_or_refuse(b"BEGIN:VCARD\r\n" + data)


@FUZZ
@given(st.sampled_from(VCARDS), st.integers(0, 2**32))
def test_damaged_vcard_files_never_crash(name: str, seed: int) -> None:
    noise = [b":", b";", b",", b"\\", b"\r\n", b"\r\n ", b"=", b"BEGIN:VCARD\r\n"]
    import_vcards_or_refuse(mutate(sample(name), seed, noise))
