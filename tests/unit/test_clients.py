"""Client drafts: cleaning, field-level validation and the audit's changed-field names."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

import pytest

from coachdesk.domain.clients import (
    Client,
    ClientDraft,
    ClientStatus,
    changed_fields,
    display_name,
    is_email,
    is_phone,
    normalise_tag,
)
from coachdesk.domain.errors import KnownError, ValidationError

GOOD = ClientDraft(
    first_name="Aoife",
    last_name="Brennan",
    emails=("aoife@example.ie",),
    phones=("+353 1 555 0199",),
    time_zone="Europe/Dublin",
    locale="en-IE",
    tags=("returner",),
)


def problems_of(**changes: object) -> dict[str, str]:
    draft = replace(GOOD, **changes)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        draft.validated()
    assert isinstance(caught.value, KnownError)
    return caught.value.errors


def test_good_draft_is_valid() -> None:
    assert GOOD.problems() == {}
    assert GOOD.validated() == GOOD


@pytest.mark.parametrize(
    "address",
    [
        "plain",
        "no-domain@",
        "@example.com",
        "two@@example.com",
        "a b@example.com",
        "x@localhost",
        "x@-bad.com",
        "x@bad-.com",
        "x@example..com",
        "<x@example.com>",
        "x@exa mple.com",
        "x" * 250 + "@e.io",
    ],
)
def test_bad_email_is_named(address: str) -> None:
    assert not is_email(address)
    errors = problems_of(emails=("ok@example.com", address))
    assert set(errors) == {"emails"}
    assert address.strip() in errors["emails"]


@pytest.mark.parametrize(
    "address", ["a@b.co", "first.last+tag@sub.example.org", "o'brien@example.ie", "X_Y@EXAMPLE.COM"]
)
def test_good_emails(address: str) -> None:
    assert is_email(address)


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "europe/london", "GMT+25", "London", "Europe/"]
)
def test_unknown_time_zone_is_named(zone: str) -> None:
    errors = problems_of(time_zone=zone)
    assert set(errors) == {"time_zone"}
    assert zone in errors["time_zone"]


@pytest.mark.parametrize("zone", ["", "UTC", "America/Argentina/Buenos_Aires", "Asia/Kolkata"])
def test_known_or_empty_time_zone(zone: str) -> None:
    assert replace(GOOD, time_zone=zone).problems() == {}


@pytest.mark.parametrize("locale", ["english", "EN-gb", "en-gb", "e", "en-GBR", "en GB", "12-34"])
def test_bad_locale_is_named(locale: str) -> None:
    assert set(problems_of(locale=locale)) == {"locale"}


@pytest.mark.parametrize(
    "locale", ["", "en", "en-GB", "en_GB", "pt-BR", "es-419", "zh-Hant-TW", "haw"]
)
def test_good_locales(locale: str) -> None:
    assert replace(GOOD, locale=locale).problems() == {}


@pytest.mark.parametrize(
    "number",
    ["+44 20 7946 0958", "(555) 010-7788", "555.010.7788 ext. 12", "+1 555 010 7788 x3", "12345"],
)
def test_good_phones(number: str) -> None:
    assert is_phone(number)
    assert replace(GOOD, phones=(number,)).problems() == {}


@pytest.mark.parametrize(
    "number", ["1234", "call me", "+44 20 abc 0958", "1" * 21, "++44 20 7946 0958"]
)
def test_bad_phone_is_named(number: str) -> None:
    assert not is_phone(number)
    assert set(problems_of(phones=(number,))) == {"phones"}


def test_cleaning_trims_drops_empties_and_duplicates() -> None:
    messy = ClientDraft(
        first_name="  Aoife ",
        last_name="\tBrennan\n",
        emails=(" aoife@example.ie", "", "aoife@example.ie ", "   ", "work@example.com"),
        phones=("+353 1 555 0199 ", "+353 1 555 0199"),
        tags=("  Career   Change ", "career change", "VIP", "", "  "),
        notes="  keep inner  spacing  ",
        status="active",  # type: ignore[arg-type]
    )
    clean = messy.cleaned()
    assert clean.first_name == "Aoife"
    assert clean.last_name == "Brennan"
    assert clean.emails == ("aoife@example.ie", "work@example.com")
    assert clean.phones == ("+353 1 555 0199",)
    assert clean.tags == ("career change", "vip")
    assert clean.notes == "keep inner  spacing"
    assert clean.status is ClientStatus.ACTIVE
    assert clean.cleaned() == clean
    assert messy.validated() == clean


def test_tags_normalised() -> None:
    assert normalise_tag("  Exam\tPrep  ") == "exam prep"
    assert set(problems_of(tags=("a,b",))) == {"tags"}
    assert set(problems_of(tags=("x" * 41,))) == {"tags"}
    assert replace(GOOD, tags=("x" * 40,)).problems() == {}


def test_a_name_is_required_and_limited() -> None:
    assert set(problems_of(first_name="  ", last_name="", preferred_name="")) == {"first_name"}
    assert replace(GOOD, first_name="", last_name="", preferred_name="Bee").problems() == {}
    assert set(problems_of(company="c" * 101, role="r" * 101)) == {"company", "role"}
    assert replace(GOOD, company="c" * 100).problems() == {}
    assert set(problems_of(notes="n" * 100_001)) == {"notes"}


def test_every_problem_is_reported_at_once() -> None:
    errors = problems_of(emails=("bad",), phones=("bad",), time_zone="Nowhere/City", locale="xx-yy")
    assert set(errors) == {"emails", "phones", "time_zone", "locale"}


def test_validation_error_message_lists_fields() -> None:
    error = ValidationError({"emails": "Not an e-mail address: x", "locale": "Unknown"})
    assert error.message == "emails: Not an e-mail address: x; locale: Unknown"


def test_changed_fields_names_only_what_differs() -> None:
    assert changed_fields(GOOD, GOOD) == ()
    after = replace(GOOD, notes="new", emails=("b@example.com",), status=ClientStatus.PAUSED)
    assert changed_fields(GOOD, after) == ("emails", "status", "notes")
    assert changed_fields(after, GOOD) == ("emails", "status", "notes")
    every = ClientDraft(**{f.name: getattr(GOOD, f.name) for f in fields(ClientDraft)})
    assert changed_fields(GOOD, every) == ()


def test_changed_fields_carry_no_values() -> None:
    after = replace(GOOD, first_name="Zephyrine", notes="private matter")
    names = changed_fields(GOOD, after)
    assert names == ("first_name", "notes")
    assert set(names) <= {f.name for f in fields(ClientDraft)}


@pytest.mark.parametrize(
    ("first", "last", "preferred", "expected"),
    [
        ("Aoife", "Brennan", "", "Aoife Brennan"),
        ("Margaret", "Ng", "Peggy", "Peggy Ng"),
        ("", "Ng", "", "Ng"),
        ("", "", "", "(no name)"),
    ],
)
def test_display_name(first: str, last: str, preferred: str, expected: str) -> None:
    assert display_name(first, last, preferred) == expected


def test_client_record_gives_back_its_draft() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5)
    record = Client(
        id=7,
        created_at=now,
        updated_at=now,
        **{f.name: getattr(GOOD, f.name) for f in fields(ClientDraft)},
    )
    assert record.draft() == GOOD
    assert record.display_name == "Aoife Brennan"
