"""Consent rows and the notices they were given against: queries and plain records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coachdesk.domain.compliance import (
    DEFAULT_NOTICES,
    Consent,
    ConsentLine,
    ConsentMethod,
    ConsentState,
    Notice,
    Purpose,
)
from coachdesk.store.tables import ConsentNoticeTable, ConsentTable


def to_notice(row: ConsentNoticeTable) -> Notice:
    """The plain record of a notice row."""
    return Notice(row.id, Purpose(row.purpose), row.version, row.text, row.created_at)


def notices_in_force(session: Session) -> dict[Purpose, Notice]:
    """The newest wording per purpose; the built-in one (id 0, version 1) until saved."""
    stored = {
        n.purpose: n
        for n in map(
            to_notice,
            session.scalars(select(ConsentNoticeTable).order_by(ConsentNoticeTable.version)),
        )
    }
    return {p: stored.get(p) or Notice(0, p, 1, DEFAULT_NOTICES[p], datetime.min) for p in Purpose}


def to_consent(row: ConsentTable, version: int) -> Consent:
    """The plain record of a consent row given against notice `version`."""
    return Consent(
        id=row.id,
        client_id=row.client_id,
        purpose=Purpose(row.purpose),
        notice_version=version,
        given_on=row.given_on,
        method=ConsentMethod(row.method),
        withdrawn_on=row.withdrawn_on,
        withdrawn_method=ConsentMethod(row.withdrawn_method) if row.withdrawn_method else None,
    )


def consents(session: Session, client_id: int) -> list[Consent]:
    """Every grant for a client, newest first."""
    query = (
        select(ConsentTable, ConsentNoticeTable.version)
        .join(ConsentNoticeTable, ConsentNoticeTable.id == ConsentTable.notice_id)
        .where(ConsentTable.client_id == client_id)
        .order_by(ConsentTable.given_on.desc(), ConsentTable.id.desc())
    )
    return [to_consent(row, version) for row, version in session.execute(query)]


def states(session: Session, client_id: int) -> list[ConsentState]:
    """Where every purpose stands for a client."""
    given = consents(session, client_id)
    result = []
    for purpose in Purpose:
        mine = tuple(c for c in given if c.purpose is purpose)
        result.append(ConsentState(purpose, mine[0] if mine else None, mine))
    return result


def lines(session: Session, client_id: int) -> tuple[ConsentLine, ...]:
    """Each purpose's wording in force with the client's state (for the consent form)."""
    in_force = notices_in_force(session)
    return tuple(ConsentLine(in_force[s.purpose], s) for s in states(session, client_id))
