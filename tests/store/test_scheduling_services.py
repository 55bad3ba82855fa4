"""Offers, enrolments, cohorts, sessions across time zones, policy and payment gating."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import time_machine

from coachdesk.domain.billing import GateMode
from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import OfferTerms, Repeat, SessionDraft, SessionStatus, Tier
from coachdesk.services import audit_trail, clients, offers, practice, sessions, vault_settings
from coachdesk.settings import BOOKING_GATE
from coachdesk.store.tables import InvoiceLineTable, InvoiceTable, PaymentTable
from coachdesk.store.vault import Vault

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def sprint(**changes: Any) -> OfferTerms:
    base = OfferTerms(
        name="Career Sprint",
        tier=Tier.PREMIUM,
        session_count=3,
        session_minutes=60,
        price_minor=120_000,
        currency="EUR",
        notice_hours=24,
    )
    return replace(base, **changes)


def new_client(vault: Vault, first: str = "Ada", zone: str = "") -> int:
    return clients.create_client(vault, ClientDraft(first_name=first, time_zone=zone)).id


@time_machine.travel(NOW, tick=False)
def test_offer_versions_and_enrolment_keeps_the_terms_it_was_sold_under(vault: Vault) -> None:
    offer = offers.create_offer(vault, sprint())
    assert (offer.version, offer.terms.price_minor) == (1, 120_000)
    ada = new_client(vault)
    first = offers.enrol(vault, ada, offer.id)
    assert (first.sessions_allowed, first.price_minor, first.offer_version) == (3, 120_000, 1)

    updated = offers.update_offer(
        vault, offer.id, sprint(session_count=5, price_minor=150_000, notice_hours=48)
    )
    assert updated.version == 2
    assert offers.get_offer(vault, offer.id).terms.session_count == 5
    kept = offers.list_enrolments(vault, ada)[0]
    assert (kept.sessions_allowed, kept.price_minor, kept.offer_version) == (3, 120_000, 1)
    assert kept.policy.notice_hours == 24
    later = offers.enrol(vault, new_client(vault, "Bo"), offer.id)
    assert (later.sessions_allowed, later.price_minor, later.policy.notice_hours) == (
        5,
        150_000,
        48,
    )
    assert offers.find_offer(vault, "career sprint").id == offer.id
    assert offers.find_offer(vault, str(offer.id)).id == offer.id
    with pytest.raises(NotFoundError, match="Career Sprint"):
        offers.find_offer(vault, "Nope")
    update = next(e for e in audit_trail.recent_events(vault) if e.action == "update")
    assert update.entity == "offer"
    for field in ("session_count", "price_minor", "notice_hours"):
        assert field in update.fields
    assert "150" not in update.fields


@time_machine.travel(NOW, tick=False)
def test_enrol_refuses_archived_off_sale_and_trashed(vault: Vault) -> None:
    with pytest.raises(ValidationError):
        offers.create_offer(vault, sprint(name=" "))
    old = offers.create_offer(vault, sprint(name="Old", valid_until=date(2025, 12, 31)))
    ada = new_client(vault)
    with pytest.raises(KnownError, match="not on sale"):
        offers.enrol(vault, ada, old.id)
    live = offers.create_offer(vault, sprint())
    offers.archive_offer(vault, live.id)
    assert [o.id for o in offers.list_offers(vault)] == [old.id]
    with pytest.raises(KnownError, match="archived"):
        offers.enrol(vault, ada, live.id)
    fresh = offers.create_offer(vault, sprint(name="Fresh"))
    clients.trash_clients(vault, [ada])
    with pytest.raises(KnownError, match="Trash"):
        offers.enrol(vault, ada, fresh.id)


@time_machine.travel(NOW, tick=False)
def test_cohort_enrols_every_member_and_end_enrolment(vault: Vault) -> None:
    offer = offers.create_offer(vault, sprint(tier=Tier.GROUP))
    members = [new_client(vault, n) for n in ("Ada", "Bo", "Cy")]
    cohort = offers.create_cohort(vault, "Spring 2026", offer.id, date(2026, 2, 1), members)
    found = offers.list_enrolments(vault)
    assert sorted(e.client_id for e in found) == sorted(members)
    assert {e.cohort_id for e in found} == {cohort}
    with pytest.raises(ValidationError):
        offers.end_enrolment(vault, found[0].id)
    ended = offers.end_enrolment(vault, found[0].id, date(2026, 3, 1))
    assert (ended.active, ended.end_on) == (False, date(2026, 3, 1))


# Sessions across time zones -------------------------------------------------------------------


def coach_in(vault: Vault, zone: str) -> None:
    practice.save_profile(vault, PracticeProfile("Coach", "Practice", zone, "EUR"))


def wall(moment: datetime) -> tuple[int, int, int, int]:
    return (moment.month, moment.day, moment.hour, moment.minute)


SERIES_FROM = date(2026, 3, 2)  # a Monday, before every 2026 change on either side


@time_machine.travel(datetime(2026, 2, 1, 12, 0, tzinfo=UTC), tick=False)
def test_weekly_series_london_coach_new_york_client_across_both_changes(vault: Vault) -> None:
    coach_in(vault, "Europe/London")
    ada = new_client(vault, "Ada", "America/New_York")
    offer = offers.create_offer(vault, sprint(session_count=40))
    offers.enrol(vault, ada, offer.id)
    booked = sessions.book_series(
        vault, ada, SERIES_FROM, time(9, 0), "Europe/London", Repeat.WEEKLY, 37, 60
    )
    assert len(booked) == 37
    assert len({s.series_id for s in booked}) == 1 and booked[0].series_id
    assert len({s.uid for s in booked}) == 37
    assert all(s.uid.endswith("@coachdesk") for s in booked)
    stored = sessions.list_sessions(vault, datetime(2026, 3, 1), datetime(2026, 12, 1), ada)
    assert [s.id for s in stored] == [s.id for s in booked]
    assert {(s.coach_zone, s.client_zone) for s in stored} == {
        ("Europe/London", "America/New_York")
    }
    assert {(s.coach_time().hour, s.coach_time().minute) for s in stored} == {(9, 0)}
    by_day = {s.coach_time().date(): s for s in stored}
    expected = {
        # coach's day: (UTC hour, client's wall clock)
        date(2026, 3, 2): (9, (3, 2, 4, 0)),  # GMT / EST
        date(2026, 3, 9): (9, (3, 9, 5, 0)),  # GMT / EDT: New York moved first
        date(2026, 3, 30): (8, (3, 30, 4, 0)),  # BST / EDT
        date(2026, 10, 19): (8, (10, 19, 4, 0)),  # BST / EDT
        date(2026, 10, 26): (9, (10, 26, 5, 0)),  # GMT / EDT: London moved back first
        date(2026, 11, 2): (9, (11, 2, 4, 0)),  # GMT / EST
    }
    for day, (utc_hour, client_wall) in expected.items():
        session = by_day[day]
        assert session.starts_at == datetime.combine(day, time(utc_hour)), day
        assert wall(session.client_time()) == client_wall, day
    assert offers.list_enrolments(vault, ada)[0].sessions_left == 3


@time_machine.travel(datetime(2026, 2, 1, 12, 0, tzinfo=UTC), tick=False)
def test_weekly_series_sydney_coach_berlin_client_southern_hemisphere(vault: Vault) -> None:
    coach_in(vault, "Australia/Sydney")
    kai = new_client(vault, "Kai", "Europe/Berlin")
    booked = sessions.book_series(
        vault, kai, SERIES_FROM, time(9, 0), "Australia/Sydney", Repeat.WEEKLY, 37, 45
    )
    assert {(s.coach_time().hour, s.coach_time().minute) for s in booked} == {(9, 0)}
    assert {s.coach_time().weekday() for s in booked} == {0}
    by_day = {s.coach_time().date(): s for s in booked}
    expected = {
        date(2026, 3, 2): (datetime(2026, 3, 1, 22), (3, 1, 23, 0)),  # AEDT / CET
        date(2026, 3, 30): (datetime(2026, 3, 29, 22), (3, 30, 0, 0)),  # AEDT / CEST
        date(2026, 4, 6): (datetime(2026, 4, 5, 23), (4, 6, 1, 0)),  # AEST / CEST
        date(2026, 9, 28): (datetime(2026, 9, 27, 23), (9, 28, 1, 0)),  # AEST / CEST
        date(2026, 10, 5): (datetime(2026, 10, 4, 22), (10, 5, 0, 0)),  # AEDT / CEST
        date(2026, 10, 26): (datetime(2026, 10, 25, 22), (10, 25, 23, 0)),  # AEDT / CET
    }
    for day, (utc, client_wall) in expected.items():
        assert by_day[day].starts_at == utc, day
        assert wall(by_day[day].client_time()) == client_wall, day
    assert {s.minutes for s in booked} == {45}


@time_machine.travel(datetime(2026, 2, 1, 12, 0, tzinfo=UTC), tick=False)
def test_book_uses_the_client_zone_else_the_coach_zone(vault: Vault) -> None:
    coach_in(vault, "Europe/London")
    ada = new_client(vault, "Ada", "America/New_York")
    bo = new_client(vault, "Bo")
    at = datetime(2026, 2, 10, 15, 0)
    one = sessions.book(vault, SessionDraft(ada, at))
    two = sessions.book(vault, SessionDraft(bo, at, minutes=30))
    assert (one.coach_zone, one.client_zone, one.client_time().hour) == (
        "Europe/London",
        "America/New_York",
        10,
    )
    assert (two.client_zone, two.enrolment_id, two.minutes) == ("Europe/London", None, 30)
    assert [s.id for s in sessions.agenda(vault, days=14)] == [one.id, two.id]
    assert sessions.agenda(vault, days=7) == []


# Reschedule and policy -------------------------------------------------------------------------

FROZEN = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@time_machine.travel(FROZEN, tick=False)
def test_reschedule_inside_notice_is_refused_unless_overridden_and_keeps_the_uid(
    vault: Vault,
) -> None:
    ada = new_client(vault)
    offers.enrol(vault, ada, offers.create_offer(vault, sprint(notice_hours=24)).id)
    soon = sessions.book(vault, SessionDraft(ada, datetime(2026, 1, 6, 9, 0)))
    with pytest.raises(KnownError, match="24 hours' notice") as refused:
        sessions.reschedule(vault, soon.id, datetime(2026, 1, 8, 9, 0))
    assert "starts in 21 hours" in refused.value.message
    assert sessions.get_session(vault, soon.id).starts_at == datetime(2026, 1, 6, 9, 0)
    with pytest.raises(KnownError, match="notice"):
        sessions.move(vault, soon.id, datetime(2026, 1, 8, 9, 0), "  ")

    moved = sessions.reschedule(vault, soon.id, datetime(2026, 1, 8, 9, 0), "Client is ill")
    assert (moved.uid, moved.id) == (soon.uid, soon.id)
    assert (moved.starts_at, moved.sequence) == (datetime(2026, 1, 8, 9, 0), 1)
    assert moved.override_reason == "2026-01-05 12:00 UTC: Client is ill"
    assert moved.status is SessionStatus.SCHEDULED
    event = audit_trail.recent_events(vault)[0]
    assert (event.entity, event.entity_id, event.action) == ("session", str(soon.id), "reschedule")
    assert "override_reason" in event.fields and "ill" not in event.fields

    # Outside the window no reason is needed.
    again = sessions.move(vault, soon.id, datetime(2026, 1, 9, 10, 0))
    assert (again.uid, again.sequence, again.starts_at) == (soon.uid, 2, datetime(2026, 1, 9, 10))
    with pytest.raises(ValidationError):
        sessions.reschedule(vault, soon.id, datetime(2026, 1, 1, 9, 0))
    sessions.mark(vault, soon.id, SessionStatus.DONE)
    with pytest.raises(KnownError, match="done"):
        sessions.reschedule(vault, soon.id, datetime(2026, 1, 20, 9, 0))


@pytest.mark.parametrize(
    ("late_counts", "no_show_counts", "left"),
    [(True, True, 2), (False, True, 3), (True, False, 3), (False, False, 4)],
)
@time_machine.travel(FROZEN, tick=False)
def test_sessions_left_follow_the_policy(
    vault: Vault, late_counts: bool, no_show_counts: bool, left: int
) -> None:
    ada = new_client(vault)
    offer = offers.create_offer(
        vault,
        sprint(session_count=5, late_cancel_counts=late_counts, no_show_counts=no_show_counts),
    )
    offers.enrol(vault, ada, offer.id)
    days = [datetime(2026, 1, 10 + i, 9, 0) for i in range(4)]
    booked = [sessions.book(vault, SessionDraft(ada, d)) for d in days]
    sessions.mark(vault, booked[0].id, SessionStatus.DONE)
    sessions.mark(vault, booked[1].id, SessionStatus.LATE_CANCEL)
    sessions.mark(vault, booked[2].id, SessionStatus.NO_SHOW)
    sessions.mark(vault, booked[3].id, SessionStatus.CANCELLED)
    enrolment = offers.list_enrolments(vault, ada)[0]
    assert enrolment.sessions_left == left
    assert enrolment.sessions_used == 5 - left


@time_machine.travel(FROZEN, tick=False)
def test_cancel_is_late_inside_the_notice_window(vault: Vault) -> None:
    ada = new_client(vault)
    offers.enrol(vault, ada, offers.create_offer(vault, sprint(notice_hours=48)).id)
    soon = sessions.book(vault, SessionDraft(ada, datetime(2026, 1, 7, 9, 0)))
    later = sessions.book(vault, SessionDraft(ada, datetime(2026, 1, 7, 13, 0)))
    assert sessions.cancel(vault, soon.id).status is SessionStatus.LATE_CANCEL
    assert sessions.cancel(vault, later.id).status is SessionStatus.CANCELLED
    assert offers.list_enrolments(vault, ada)[0].sessions_left == 2


@time_machine.travel(FROZEN, tick=False)
def test_cohort_sessions_count_for_every_member(vault: Vault) -> None:
    offer = offers.create_offer(vault, sprint(tier=Tier.GROUP, session_count=6))
    members = [new_client(vault, n) for n in ("Ada", "Bo", "Cy")]
    cohort = offers.create_cohort(vault, "Spring", offer.id, date(2026, 1, 5), members)
    for day in (12, 19):
        sessions.book(vault, SessionDraft(None, datetime(2026, 1, day, 18, 0), cohort_id=cohort))
    ada_own = sessions.book(vault, SessionDraft(members[0], datetime(2026, 1, 14, 9, 0)))
    assert ada_own.enrolment_id is not None
    left = {e.client_id: e.sessions_left for e in offers.list_enrolments(vault)}
    assert left == {members[0]: 3, members[1]: 4, members[2]: 4}
    # Each member's list shows the group's sessions along with their own.
    window = (datetime(2026, 1, 1), datetime(2026, 2, 1))
    ada_list = sessions.list_sessions(vault, *window, client_id=members[0])
    bo_list = sessions.list_sessions(vault, *window, client_id=members[1])
    assert [s.starts_at.day for s in ada_list] == [12, 14, 19]
    assert [s.starts_at.day for s in bo_list] == [12, 19]


# Payment gating ----------------------------------------------------------------------------------

GATE_DAY = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def overdue_invoice(vault: Vault, client_id: int, paid_minor: int = 0) -> None:
    now = datetime(2026, 10, 1)
    with vault.writing() as session:
        invoice = InvoiceTable(
            client_id=client_id,
            kind="invoice",
            number_year=2026,
            number_seq=3,
            number="INV-2026-0003",
            currency="EUR",
            issued_on=date(2026, 10, 18),
            due_on=date(2026, 11, 1),
            status="sent",
            created_at=now,
            updated_at=now,
        )
        session.add(invoice)
        session.flush()
        session.add(
            InvoiceLineTable(
                invoice_id=invoice.id,
                position=1,
                description="Coaching",
                quantity=2,
                unit_minor=17_500,
                tax_rate_bp=0,
            )
        )
        if paid_minor:
            session.add(
                PaymentTable(
                    invoice_id=invoice.id,
                    paid_on=date(2026, 11, 2),
                    amount_minor=paid_minor,
                    method="card",
                    created_at=now,
                )
            )


OVERDUE = "An invoice is overdue (INV-2026-0003, 350.00 EUR, due 1 Nov 2026)."


@time_machine.travel(GATE_DAY, tick=False)
def test_gate_blocks_warns_or_ignores_an_overdue_invoice(vault: Vault) -> None:
    ada = new_client(vault)
    overdue_invoice(vault, ada)
    at = datetime(2026, 11, 20, 9, 0)

    vault_settings.put(vault, BOOKING_GATE, "block")
    assert sessions.gate(vault, ada).reasons == (OVERDUE,)
    assert sessions.gate(vault, ada).blocks
    with pytest.raises(sessions.BookingBlockedError) as blocked:
        sessions.book(vault, SessionDraft(ada, at))
    assert OVERDUE in blocked.value.message
    with pytest.raises(sessions.BookingBlockedError):
        sessions.book_series(vault, ada, date(2026, 11, 20), time(9), "UTC", Repeat.WEEKLY, 3, 60)
    assert sessions.list_sessions(vault, datetime(2026, 1, 1), datetime(2027, 6, 1)) == []

    vault_settings.put(vault, BOOKING_GATE, "warn")
    warned = sessions.gate(vault, ada)
    assert (warned.mode, warned.warns, warned.blocks) == (GateMode.WARN, True, False)
    assert sessions.book(vault, SessionDraft(ada, at)).status is SessionStatus.SCHEDULED

    vault_settings.put(vault, BOOKING_GATE, "off")
    assert not sessions.gate(vault, ada).warns
    assert (
        len(
            sessions.book_series(
                vault, ada, date(2026, 11, 21), time(9), "UTC", Repeat.FORTNIGHTLY, 2, 60
            )
        )
        == 2
    )


@time_machine.travel(GATE_DAY, tick=False)
def test_a_partly_paid_invoice_still_gates_a_paid_one_does_not(vault: Vault) -> None:
    vault_settings.put(vault, BOOKING_GATE, "block")
    part = new_client(vault, "Part")
    overdue_invoice(vault, part, paid_minor=10_000)
    assert sessions.gate(vault, part).reasons == (
        "An invoice is overdue (INV-2026-0003, 250.00 EUR, due 1 Nov 2026).",
    )
    with vault.writing() as session:
        session.query(InvoiceTable).delete()
    full = new_client(vault, "Full")
    overdue_invoice(vault, full, paid_minor=35_000)
    assert sessions.gate(vault, full).reasons == ()
    assert sessions.book(vault, SessionDraft(full, datetime(2026, 11, 20, 9))).id > 0


@time_machine.travel(GATE_DAY, tick=False)
def test_gate_on_no_sessions_left(vault: Vault) -> None:
    vault_settings.put(vault, BOOKING_GATE, "block")
    ada = new_client(vault)
    offers.enrol(vault, ada, offers.create_offer(vault, sprint(session_count=3)).id)
    with pytest.raises(sessions.BookingBlockedError, match="Only 3 sessions left on Career Sprint"):
        sessions.book_series(vault, ada, date(2026, 11, 20), time(9), "UTC", Repeat.WEEKLY, 4, 60)
    assert sessions.list_sessions(vault, datetime(2026, 11, 1), datetime(2027, 1, 1)) == []
    booked = sessions.book_series(
        vault, ada, date(2026, 11, 20), time(9), "UTC", Repeat.WEEKLY, 3, 60
    )
    assert len(booked) == 3
    assert sessions.gate(vault, ada).reasons == ("No sessions left on Career Sprint.",)
    with pytest.raises(sessions.BookingBlockedError, match="No sessions left on Career Sprint"):
        sessions.book(vault, SessionDraft(ada, datetime(2026, 12, 30, 9)))
    sessions.mark(vault, booked[0].id, SessionStatus.CANCELLED)
    assert sessions.gate(vault, ada).reasons == ()
    vault_settings.put(vault, BOOKING_GATE, "warn")
    sessions.book(vault, SessionDraft(ada, datetime(2026, 12, 30, 9)))
    over = sessions.book(vault, SessionDraft(ada, datetime(2026, 12, 31, 9)))
    assert over.enrolment_id == booked[0].enrolment_id
    assert offers.list_enrolments(vault, ada)[0].sessions_used == 4


def test_marking_a_session_cancelled_inside_the_notice_is_a_late_cancel(vault: Vault) -> None:
    from coachdesk.domain.clients import ClientDraft
    from coachdesk.domain.practice import PracticeProfile
    from coachdesk.domain.scheduling import OfferTerms, SessionDraft, SessionStatus
    from coachdesk.services import clients, offers, practice, sessions

    practice.save_profile(vault, PracticeProfile("Sam", "Rivera", "Europe/London", "GBP"))
    client = clients.create_client(vault, ClientDraft(first_name="Ada")).id
    offer = offers.create_offer(
        vault, OfferTerms(name="Strict", session_count=4, notice_hours=48, currency="GBP")
    )
    enrolment = offers.enrol(vault, client, offer.id)
    from datetime import timedelta

    soon = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) + timedelta(hours=5)
    booked = sessions.book(vault, SessionDraft(client, soon, 60, "Europe/London"))
    marked = sessions.mark(vault, booked.id, SessionStatus.CANCELLED)
    assert marked.status is SessionStatus.LATE_CANCEL
    assert offers.get_enrolment(vault, enrolment.id).sessions_used == 1


def test_moving_a_session_to_a_time_inside_the_notice_needs_a_reason(vault: Vault) -> None:
    from datetime import timedelta

    from coachdesk.domain.clients import ClientDraft
    from coachdesk.domain.practice import PracticeProfile
    from coachdesk.domain.scheduling import NoticeRequiredError, OfferTerms, SessionDraft
    from coachdesk.services import clients, offers, practice, sessions

    practice.save_profile(vault, PracticeProfile("Sam", "Rivera", "Europe/London", "GBP"))
    client = clients.create_client(vault, ClientDraft(first_name="Ada")).id
    offer = offers.create_offer(
        vault, OfferTerms(name="Strict", session_count=4, notice_hours=48, currency="GBP")
    )
    offers.enrol(vault, client, offer.id)
    now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    booked = sessions.book(vault, SessionDraft(client, now + timedelta(days=30), 60, "UTC"))
    with pytest.raises(NoticeRequiredError, match="the new time is in"):
        sessions.reschedule(vault, booked.id, now + timedelta(hours=3))
    moved = sessions.reschedule(vault, booked.id, now + timedelta(hours=3), "Client asked")
    assert moved.override_reason.endswith(" UTC: Client asked")
