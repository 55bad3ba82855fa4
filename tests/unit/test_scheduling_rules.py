"""Scheduling rules without a vault: wall-clock times across DST, series, policy, free slots."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from coachdesk.domain.billing import (
    InvoiceStatus,
    LineDraft,
    format_money,
    parse_money,
    status_of,
    tax_of,
    totals,
)
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.scheduling import (
    Busy,
    OfferTerms,
    Policy,
    Repeat,
    SessionStatus,
    WorkingHours,
    cancel_status,
    free_slots,
    from_wall_clock,
    in_zone,
    series_starts,
    uses_allowance,
)


@pytest.mark.parametrize(
    ("zone", "first", "expected_utc_hours"),
    [
        # London: BST ends 25 Oct 2026 → 09:00 local is 08:00 UTC, then 09:00 UTC.
        ("Europe/London", date(2026, 10, 19), [8, 9, 9]),
        # New York: EDT ends 1 Nov 2026 → 09:00 local is 13:00 UTC, then 14:00 UTC.
        ("America/New_York", date(2026, 10, 26), [13, 14, 14]),
        # Sydney: AEDT starts 4 Oct 2026 → 09:00 local is 23:00 UTC (day before), then 22:00.
        ("Australia/Sydney", date(2026, 9, 28), [23, 22, 22]),
    ],
)
def test_a_weekly_series_keeps_the_wall_clock_time_across_dst(
    zone: str, first: date, expected_utc_hours: list[int]
) -> None:
    starts = series_starts(first, time(9, 0), zone, Repeat.WEEKLY, 3)
    assert [s.hour for s in starts] == expected_utc_hours
    assert all(in_zone(s, zone).time() == time(9, 0) for s in starts)
    assert [in_zone(s, zone).date() for s in starts] == [
        first + timedelta(weeks=i) for i in range(3)
    ]


def test_the_client_sees_the_shift_when_only_the_coachs_zone_changes() -> None:
    # Coach in London, client in New York: between 25 Oct and 1 Nov 2026 the gap is 4 h.
    starts = series_starts(date(2026, 10, 19), time(15, 0), "Europe/London", Repeat.WEEKLY, 3)
    client = [in_zone(s, "America/New_York").time() for s in starts]
    assert client == [time(10, 0), time(11, 0), time(10, 0)]


def test_a_time_skipped_by_spring_forward_moves_on_and_an_ambiguous_one_is_the_first() -> None:
    skipped = from_wall_clock(date(2026, 3, 29), time(1, 30), "Europe/London")
    assert in_zone(skipped, "Europe/London").time() == time(2, 30)
    ambiguous = from_wall_clock(date(2026, 10, 25), time(1, 30), "Europe/London")
    assert ambiguous == datetime(2026, 10, 25, 0, 30)  # 01:30 BST, the first one


def test_series_size_is_bounded() -> None:
    with pytest.raises(ValidationError):
        series_starts(date(2026, 1, 5), time(9), "UTC", Repeat.FORTNIGHTLY, 0)
    fortnightly = series_starts(date(2026, 1, 5), time(9), "UTC", Repeat.FORTNIGHTLY, 3)
    assert [s.date() for s in fortnightly] == [
        date(2026, 1, 5),
        date(2026, 1, 19),
        date(2026, 2, 2),
    ]


def test_policy_decides_what_uses_a_session() -> None:
    strict = Policy(notice_hours=48, late_cancel_counts=True, no_show_counts=True)
    kind = Policy(notice_hours=12, late_cancel_counts=False, no_show_counts=False)
    for status, counted_strict, counted_kind in (
        (SessionStatus.DONE, True, True),
        (SessionStatus.SCHEDULED, True, True),
        (SessionStatus.NO_SHOW, True, False),
        (SessionStatus.LATE_CANCEL, True, False),
        (SessionStatus.CANCELLED, False, False),
        (SessionStatus.RESCHEDULED, False, False),
    ):
        assert uses_allowance(status, strict) is counted_strict
        assert uses_allowance(status, kind) is counted_kind
    start = datetime(2026, 5, 4, 9)
    assert cancel_status(start, start - timedelta(hours=47), strict) is SessionStatus.LATE_CANCEL
    assert cancel_status(start, start - timedelta(hours=49), strict) is SessionStatus.CANCELLED


def test_offer_terms_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        OfferTerms(name=" ", session_minutes=5, currency="euro", tax_rate_bp=20_000).validated()
    assert set(caught.value.errors) == {"name", "session_minutes", "currency", "tax_rate"}
    terms = OfferTerms(name=" Career Sprint ", currency="gbp", included=("Calls", " ")).validated()
    assert (terms.name, terms.currency, terms.included) == ("Career Sprint", "GBP", ("Calls",))


def test_free_slots_respect_hours_blocked_days_busy_times_and_dst() -> None:
    hours = [WorkingHours(0, 9 * 60, 12 * 60), WorkingHours(2, 14 * 60, 16 * 60)]
    monday = date(2026, 10, 19)
    busy = [Busy(datetime(2026, 10, 19, 9, 0), datetime(2026, 10, 19, 10, 0))]  # 10:00-11:00 BST
    slots = list(
        free_slots(hours, [monday + timedelta(days=7)], busy, "Europe/London", monday, 14, 60)
    )
    local = [in_zone(s, "Europe/London") for s in slots]
    assert [(d.date(), d.time()) for d in local] == [
        (monday, time(9, 0)),
        (monday, time(11, 0)),
        (date(2026, 10, 21), time(14, 0)),
        (date(2026, 10, 21), time(14, 30)),
        (date(2026, 10, 21), time(15, 0)),
        # 26 Oct blocked; after the change (GMT) the same local hours apply.
        (date(2026, 10, 28), time(14, 0)),
        (date(2026, 10, 28), time(14, 30)),
        (date(2026, 10, 28), time(15, 0)),
    ]
    assert slots[-1] == datetime(2026, 10, 28, 15, 0)  # GMT: local = UTC


def test_money_tax_and_invoice_status() -> None:
    assert parse_money("1,250.50") == 125_050
    assert format_money(-125_050, "EUR") == "-1,250.50 EUR"
    for silly in ("12.345", "1e400", "99999999999999999999", "nan", "ten"):
        with pytest.raises(ValidationError):
            parse_money(silly)
    with pytest.raises(ValidationError):
        LineDraft("Forever", 10_000, 10**10).validated()
    assert tax_of(1_005, 1_000) == 101  # 100.5 rounds half up
    lines = (LineDraft("Session", 3, 15_000, 2_000), LineDraft("Workbook", 1, 2_499, 700))
    sums = totals(lines, paid_minor=10_000)
    assert (sums.net_minor, sums.tax_minor, sums.gross_minor) == (47_499, 9_175, 56_674)
    today = date(2026, 11, 24)
    assert (
        status_of(InvoiceStatus.SENT, sums, date(2026, 12, 1), today) is InvoiceStatus.PARTLY_PAID
    )
    assert status_of(InvoiceStatus.SENT, sums, date(2026, 11, 1), today) is InvoiceStatus.OVERDUE
    paid = totals(lines, paid_minor=56_674)
    assert status_of(InvoiceStatus.SENT, paid, date(2026, 11, 1), today) is InvoiceStatus.PAID
    assert status_of(InvoiceStatus.DRAFT, paid, None, today) is InvoiceStatus.DRAFT
