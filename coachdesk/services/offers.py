"""The service catalog, enrolments and cohorts: one function per thing the coach does.

Offers are versioned: every save of an offer's terms adds a version, and an enrolment
points at the version it was sold under, so later price or policy changes never touch
what a client already bought.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coachdesk.domain.clients import display_name
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.scheduling import Enrolment, Offer, OfferTerms
from coachdesk.store import audit
from coachdesk.store import scheduling as store
from coachdesk.store.tables import (
    ClientTable,
    CohortTable,
    EnrolmentTable,
    OfferTable,
    OfferVersionTable,
)
from coachdesk.store.vault import Vault


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _offer_row(session: Session, offer_id: int) -> OfferTable:
    row = session.get(OfferTable, offer_id)
    if row is None:
        raise NotFoundError(f"There is no offer #{offer_id}.")
    return row


def current_version(session: Session, offer_id: int) -> OfferVersionTable:
    """The newest version of an offer."""
    row = session.scalars(
        select(OfferVersionTable)
        .where(OfferVersionTable.offer_id == offer_id)
        .order_by(OfferVersionTable.number.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFoundError(f"There is no offer #{offer_id}.")
    return row


def _to_offer(offer: OfferTable, version: OfferVersionTable) -> Offer:
    return Offer(
        offer.id, version.id, version.number, store.to_terms(version), offer.archived_at is not None
    )


def _add_version(
    session: Session, offer_id: int, number: int, terms: OfferTerms, now: datetime
) -> OfferVersionTable:
    columns: dict[str, Any] = store.terms_columns(terms)
    row = OfferVersionTable(offer_id=offer_id, number=number, created_at=now, **columns)
    session.add(row)
    session.flush()
    return row


def create_offer(vault: Vault, terms: OfferTerms) -> Offer:
    """Add an offer to the catalog (its version 1)."""
    clean = terms.validated()
    now = _now()
    with vault.writing() as session:
        offer = OfferTable(created_at=now, archived_at=None)
        session.add(offer)
        session.flush()
        version = _add_version(session, offer.id, 1, clean, now)
        audit.append(session, vault.actor, "offer", offer.id, "create")
        return _to_offer(offer, version)


def update_offer(vault: Vault, offer_id: int, terms: OfferTerms) -> Offer:
    """Save new terms as a new version; existing enrolments keep the version they bought."""
    clean = terms.validated()
    with vault.writing() as session:
        offer = _offer_row(session, offer_id)
        latest = current_version(session, offer_id)
        before = store.terms_columns(store.to_terms(latest))
        after = store.terms_columns(clean)
        changed = [name for name in after if after[name] != before[name]]
        if not changed:
            return _to_offer(offer, latest)
        version = _add_version(session, offer_id, latest.number + 1, clean, _now())
        audit.append(session, vault.actor, "offer", offer_id, "update", changed)
        return _to_offer(offer, version)


def list_offers(vault: Vault, include_archived: bool = False) -> list[Offer]:
    """The catalog at each offer's current version, by name."""
    with vault.reading() as session:
        newest = (
            select(OfferVersionTable.offer_id, func.max(OfferVersionTable.number).label("number"))
            .group_by(OfferVersionTable.offer_id)
            .subquery()
        )
        query = (
            select(OfferTable, OfferVersionTable)
            .join(OfferVersionTable, OfferVersionTable.offer_id == OfferTable.id)
            .join(
                newest,
                (newest.c.offer_id == OfferVersionTable.offer_id)
                & (newest.c.number == OfferVersionTable.number),
            )
        )
        if not include_archived:
            query = query.where(OfferTable.archived_at.is_(None))
        offers = [_to_offer(o, v) for o, v in session.execute(query)]
    return sorted(offers, key=lambda o: (o.terms.name.casefold(), o.id))


def get_offer(vault: Vault, offer_id: int) -> Offer:
    """One offer at its current version."""
    with vault.reading() as session:
        return _to_offer(_offer_row(session, offer_id), current_version(session, offer_id))


def archive_offer(vault: Vault, offer_id: int) -> Offer:
    """Take an offer off the catalog; enrolments in it carry on."""
    with vault.writing() as session:
        offer = _offer_row(session, offer_id)
        if offer.archived_at is None:
            offer.archived_at = _now()
            audit.append(session, vault.actor, "offer", offer_id, "archive", ["archived_at"])
        return _to_offer(offer, current_version(session, offer_id))


def find_offer(vault: Vault, name_or_id: str) -> Offer:
    """An offer by its number or its name (any case), for the command line."""
    text = name_or_id.strip().lstrip("#")
    if text.isdigit():
        return get_offer(vault, int(text))
    offers = list_offers(vault, include_archived=True)
    matches = [o for o in offers if o.terms.name.casefold() == text.casefold()]
    live = [o for o in matches if not o.archived]
    if live or matches:
        return (live or matches)[0]
    names = ", ".join(o.terms.name for o in offers if not o.archived) or "none yet"
    raise NotFoundError(f"There is no offer called “{name_or_id}” (offers: {names}).")


# Enrolments and cohorts ---------------------------------------------------------------------


def _live_client(session: Session, client_id: int) -> ClientTable:
    row = session.get(ClientTable, client_id)
    if row is None:
        raise NotFoundError(f"There is no client #{client_id}.")
    if row.deleted_at is not None:
        raise KnownError(f"Client #{client_id} is in the Trash; restore them first.")
    return row


def _sellable(session: Session, offer_id: int, day: date) -> OfferVersionTable:
    offer = _offer_row(session, offer_id)
    version = current_version(session, offer_id)
    if offer.archived_at is not None:
        raise KnownError(f"“{version.name}” is archived; it can no longer be sold.")
    if not store.to_terms(version).on_sale(day):
        raise KnownError(f"“{version.name}” is not on sale on {day:%d %b %Y}; check its dates.")
    return version


def _enrol_row(
    session: Session,
    actor: str,
    client_id: int,
    version: OfferVersionTable,
    start_on: date,
    cohort_id: int | None,
    now: datetime,
) -> EnrolmentTable:
    row = EnrolmentTable(
        client_id=client_id,
        offer_version_id=version.id,
        cohort_id=cohort_id,
        sessions_allowed=version.session_count,
        start_on=start_on,
        end_on=None,
        price_minor=version.price_minor,
        currency=version.currency,
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.append(session, actor, "enrolment", row.id, "create")
    return row


def to_enrolment(
    session: Session, row: EnrolmentTable, client: ClientTable | None = None
) -> Enrolment:
    """The plain form of an enrolment, with sessions used under its version's policy."""
    version = session.get(OfferVersionTable, row.offer_version_id)
    assert version is not None
    client = client or session.get(ClientTable, row.client_id)
    assert client is not None
    policy = store.policy_of(version)
    return Enrolment(
        id=row.id,
        client_id=row.client_id,
        client_name=display_name(client.first_name, client.last_name, client.preferred_name),
        offer_id=version.offer_id,
        offer_name=version.name,
        offer_version=version.number,
        policy=policy,
        sessions_allowed=row.sessions_allowed,
        sessions_used=store.sessions_counted(session, row, policy),
        start_on=row.start_on,
        end_on=row.end_on,
        price_minor=row.price_minor,
        currency=row.currency,
        cohort_id=row.cohort_id,
        active=row.active,
    )


def enrol(
    vault: Vault,
    client_id: int,
    offer_id: int,
    start_on: date | None = None,
    cohort_id: int | None = None,
) -> Enrolment:
    """Sell a client the current version of an offer; its allowance and price are pinned."""
    now = _now()
    with vault.writing() as session:
        client = _live_client(session, client_id)
        day = start_on or now.date()
        if cohort_id is not None:
            cohort = session.get(CohortTable, cohort_id)
            if cohort is None:
                raise NotFoundError(f"There is no cohort #{cohort_id}.")
            version = session.get(OfferVersionTable, cohort.offer_version_id)
            assert version is not None
        else:
            version = _sellable(session, offer_id, day)
        row = _enrol_row(session, vault.actor, client_id, version, day, cohort_id, now)
        return to_enrolment(session, row, client)


def list_enrolments(vault: Vault, client_id: int | None = None) -> list[Enrolment]:
    """Enrolments (one client's, or everyone's not in the Trash), newest first."""
    with vault.reading() as session:
        query = (
            select(EnrolmentTable, ClientTable)
            .join(ClientTable, ClientTable.id == EnrolmentTable.client_id)
            .order_by(EnrolmentTable.start_on.desc(), EnrolmentTable.id.desc())
        )
        if client_id is not None:
            if session.get(ClientTable, client_id) is None:
                raise NotFoundError(f"There is no client #{client_id}.")
            query = query.where(EnrolmentTable.client_id == client_id)
        else:
            query = query.where(ClientTable.deleted_at.is_(None))
        return [to_enrolment(session, e, c) for e, c in session.execute(query)]


def get_enrolment(vault: Vault, enrolment_id: int) -> Enrolment:
    """One enrolment with its sessions used and left."""
    with vault.reading() as session:
        row = session.get(EnrolmentTable, enrolment_id)
        if row is None:
            raise NotFoundError(f"There is no enrolment #{enrolment_id}.")
        return to_enrolment(session, row)


def end_enrolment(vault: Vault, enrolment_id: int, end_on: date | None = None) -> Enrolment:
    """Close an enrolment: no more sessions are booked on it."""
    with vault.writing() as session:
        row = session.get(EnrolmentTable, enrolment_id)
        if row is None:
            raise NotFoundError(f"There is no enrolment #{enrolment_id}.")
        day = end_on or _now().date()
        if day < row.start_on:
            raise ValidationError({"end_on": "An enrolment cannot end before it starts."})
        row.active = False
        row.end_on = day
        audit.append(session, vault.actor, "enrolment", row.id, "end", ["active", "end_on"])
        return to_enrolment(session, row)


def create_cohort(
    vault: Vault, name: str, offer_id: int, start_on: date, client_ids: list[int]
) -> int:
    """Start a group programme on an offer and enrol each client in it; the cohort's id."""
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError({"name": "Give the cohort a name."})
    if len(clean) > 120:
        raise ValidationError({"name": "Keep the name under 120 characters."})
    now = _now()
    with vault.writing() as session:
        version = _sellable(session, offer_id, start_on)
        cohort = CohortTable(
            name=clean, offer_version_id=version.id, start_on=start_on, created_at=now
        )
        session.add(cohort)
        session.flush()
        audit.append(session, vault.actor, "cohort", cohort.id, "create")
        for client_id in dict.fromkeys(client_ids):
            _live_client(session, client_id)
            _enrol_row(session, vault.actor, client_id, version, start_on, cohort.id, now)
        return cohort.id
