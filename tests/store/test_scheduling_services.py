"""Offers, enrolments, cohorts, sessions across time zones, policy and payment gating."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.scheduling import OfferTerms, Tier
from coachdesk.services import audit_trail, clients, offers
from coachdesk.store.vault import Vault

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def sprint(**changes: object) -> OfferTerms:
    base = OfferTerms(
        name="Career Sprint",
        tier=Tier.PREMIUM,
        session_count=3,
        session_minutes=60,
        price_minor=120_000,
        currency="EUR",
        notice_hours=24,
    )
    return offers.with_terms(offers.Offer(0, 0, 1, base), **changes) if changes else base


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
