"""Scheduling commands: offers, enrolments and sessions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from coachdesk.cli import output
from coachdesk.domain.billing import format_money, parse_money
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.scheduling import (
    Enrolment,
    Offer,
    OfferTerms,
    PaymentTerms,
    Repeat,
    SessionDraft,
    SessionStatus,
    Tier,
    check_zone,
    from_wall_clock,
)
from coachdesk.domain.scheduling import Session as BookedSession
from coachdesk.services import offers, practice, sessions
from coachdesk.store.vault import Vault


def _coach_zone(vault: Vault) -> str:
    return practice.get_profile(vault).time_zone or "UTC"


def _money(text: str, field: str) -> int:
    try:
        return parse_money(text)
    except ValidationError as error:
        raise ValidationError({field: next(iter(error.errors.values()))}) from None


def offer_dict(offer: Offer) -> dict[str, Any]:
    """An offer for --json."""
    return {
        "id": offer.id,
        "version": offer.version,
        "archived": offer.archived,
        **output.plain(offer.terms),
    }


def enrolment_dict(enrolment: Enrolment) -> dict[str, Any]:
    """An enrolment for --json, with sessions left."""
    data = output.plain(enrolment)
    data["policy"] = output.plain(enrolment.policy)
    data["start_on"] = enrolment.start_on.isoformat()
    data["end_on"] = enrolment.end_on.isoformat() if enrolment.end_on else None
    data["sessions_left"] = enrolment.sessions_left
    return data


def session_dict(session: BookedSession) -> dict[str, Any]:
    """A session for --json: UTC plus the coach's and the client's wall clocks."""
    data = output.plain(session)
    data["starts_at_utc"] = data.pop("starts_at")
    data["coach_time"] = session.coach_time().isoformat(timespec="minutes")
    data["client_time"] = session.client_time().isoformat(timespec="minutes")
    return data


def _session_line(session: BookedSession) -> str:
    coach = session.coach_time()
    client = session.client_time()
    who = session.client_name or f"cohort #{session.cohort_id}"
    client_part = (
        f"{client:%a %d %b %H:%M} {session.client_zone}"
        if session.client_zone != session.coach_zone
        else "same zone"
    )
    return (
        f"#{session.id:<5} {coach:%a %d %b %Y %H:%M} {session.coach_zone:<20} "
        f"client: {client_part:<34} {session.minutes:>3} min  "
        f"{session.status.label:<11} {who}"
    )


def cmd_offers(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "list":
        found = offers.list_offers(vault, include_archived=args.all)
        if args.json:
            output.json_out([offer_dict(o) for o in found])
            return 0
        if not found:
            print("No offers yet. Add one with `coachdesk offers add NAME`.")
        for offer in found:
            t = offer.terms
            flag = "  (archived)" if offer.archived else ""
            print(
                f"#{offer.id:<4} {t.name:<28} {t.tier.label:<10} {t.session_count:>3} x "
                f"{t.session_minutes} min  {format_money(t.price_minor, t.currency):>14}  "
                f"v{offer.version}{flag}"
            )
        return 0
    terms = OfferTerms(
        name=args.name,
        tier=Tier(args.tier),
        outcome=args.outcome,
        included=tuple(args.include),
        excluded=tuple(args.exclude),
        timeline=args.timeline,
        session_count=args.sessions,
        session_minutes=args.minutes,
        price_minor=_money(args.price, "price"),
        currency=args.currency or practice.get_profile(vault).currency or "EUR",
        tax_rate_bp=_money(args.tax_rate, "tax_rate"),
        payment_terms=PaymentTerms(args.payment),
        instalments=args.instalments,
        notice_hours=args.notice_hours,
        late_cancel_counts=not args.late_cancel_free,
        no_show_counts=not args.no_show_free,
        valid_from=args.valid_from,
        valid_until=args.valid_until,
    )
    offer = offers.create_offer(vault, terms)
    if args.json:
        output.json_out(offer_dict(offer))
    else:
        print(f"Added offer #{offer.id}: {offer.terms.name}.")
    return 0


def cmd_enrol(vault: Vault, args: argparse.Namespace) -> int:
    offer = offers.find_offer(vault, args.offer)
    enrolment = offers.enrol(vault, args.client_id, offer.id, args.start)
    if args.json:
        output.json_out(enrolment_dict(enrolment))
    else:
        print(
            f"Enrolled {enrolment.client_name} in {enrolment.offer_name} "
            f"(enrolment #{enrolment.id}, {enrolment.sessions_allowed} sessions, "
            f"{format_money(enrolment.price_minor, enrolment.currency)})."
        )
    return 0


def _minutes(vault: Vault, args: argparse.Namespace) -> int:
    if args.minutes is not None:
        return int(args.minutes)
    if args.enrolment_id is not None:
        enrolment = offers.get_enrolment(vault, args.enrolment_id)
        return offers.get_offer(vault, enrolment.offer_id).terms.session_minutes
    for enrolment in offers.list_enrolments(vault, args.client_id):
        if enrolment.active and enrolment.sessions_left > 0:
            return offers.get_offer(vault, enrolment.offer_id).terms.session_minutes
    return 60


def _sessions_add(vault: Vault, args: argparse.Namespace) -> list[BookedSession]:
    zone = check_zone(args.zone, "zone") if args.zone else _coach_zone(vault)
    minutes = _minutes(vault, args)
    count = args.weekly or args.fortnightly
    if count:
        repeat = Repeat.WEEKLY if args.weekly else Repeat.FORTNIGHTLY
        return sessions.book_series(
            vault,
            args.client_id,
            args.at.date(),
            args.at.time(),
            zone,
            repeat,
            count,
            minutes,
            args.enrolment_id,
            args.location,
            args.override,
        )
    draft = SessionDraft(
        args.client_id,
        from_wall_clock(args.at.date(), args.at.time(), zone),
        minutes,
        enrolment_id=args.enrolment_id,
        location=args.location,
    )
    return [sessions.book(vault, draft, args.override)]


def cmd_sessions(vault: Vault, args: argparse.Namespace) -> int:
    found: list[BookedSession]
    if args.action == "add":
        warning = sessions.gate(
            vault, args.client_id, args.weekly or args.fortnightly or 1, args.enrolment_id
        )
        found = _sessions_add(vault, args)
        if warning.warns:
            for reason in warning.reasons:
                print(f"Warning: {reason}", file=sys.stderr)
        if not args.json:
            print(f"Booked {len(found)} session{'s' if len(found) != 1 else ''}:")
    elif args.action == "list":
        zone = _coach_zone(vault)
        today = datetime.now(UTC).astimezone().date()
        start = args.start or today
        end = args.end or start + timedelta(days=13)
        if end < start:
            raise ValidationError({"to": "--to must not come before --from."})
        found = sessions.list_sessions(
            vault,
            from_wall_clock(start, time(0), zone),
            from_wall_clock(end + timedelta(days=1), time(0), zone),
            args.client_id,
        )
        if not found and not args.json:
            print("No sessions in that range.")
    elif args.action == "reschedule":
        zone = check_zone(args.zone, "zone") if args.zone else _coach_zone(vault)
        moved = sessions.reschedule(
            vault,
            args.session_id,
            from_wall_clock(args.at.date(), args.at.time(), zone),
            args.override,
        )
        found = [moved]
        if not args.json:
            print("Moved:")
    else:
        found = [sessions.mark(vault, args.session_id, SessionStatus(args.status))]
    if args.json:
        data = [session_dict(s) for s in found]
        output.json_out(data if args.action in ("add", "list") else data[0])
        return 0
    for session in found:
        print(_session_line(session))
    return 0


def _cohorts_create(vault: Vault, args: argparse.Namespace) -> int:
    offer = offers.find_offer(vault, args.offer)
    count = args.weekly or 0
    if count < 0:
        raise ValidationError({"weekly": "--weekly must be a number of sessions, such as 6."})
    minutes = args.minutes if args.minutes is not None else offer.terms.session_minutes
    cohort_id = offers.create_cohort(vault, args.name, offer.id, args.start, args.clients)
    zone = _coach_zone(vault)
    booked = [
        sessions.book(
            vault,
            SessionDraft(
                None,
                from_wall_clock(args.start + timedelta(weeks=week), args.at, zone),
                minutes,
                zone,
                cohort_id=cohort_id,
            ),
        )
        for week in range(count)
    ]
    members = [e for e in offers.list_enrolments(vault) if e.cohort_id == cohort_id]
    if args.json:
        output.json_out(
            {
                "id": cohort_id,
                "name": " ".join(args.name.split()),
                "offer_id": offer.id,
                "start_on": args.start.isoformat(),
                "enrolments": [enrolment_dict(e) for e in members],
                "sessions": [session_dict(s) for s in booked],
            }
        )
        return 0
    names = ", ".join(e.client_name for e in members)
    print(
        f"Started cohort #{cohort_id} on {offer.terms.name} with {len(members)} "
        f"client{'s' if len(members) != 1 else ''}: {names}."
    )
    if booked:
        print(f"Booked {len(booked)} group session{'s' if len(booked) != 1 else ''}:")
    for session in booked:
        print(_session_line(session))
    return 0


def _cohorts_list(vault: Vault, args: argparse.Namespace) -> int:
    groups: dict[int, list[Enrolment]] = {}
    for enrolment in offers.list_enrolments(vault):
        if enrolment.cohort_id is not None:
            groups.setdefault(enrolment.cohort_id, []).append(enrolment)
    if args.json:
        output.json_out(
            [
                {
                    "id": cohort_id,
                    "offer_id": members[0].offer_id,
                    "offer_name": members[0].offer_name,
                    "start_on": min(e.start_on for e in members).isoformat(),
                    "client_ids": [e.client_id for e in members],
                    "enrolment_ids": [e.id for e in members],
                }
                for cohort_id, members in sorted(groups.items())
            ]
        )
        return 0
    if not groups:
        print(
            "No group programmes yet. Start one with "
            "`coachdesk cohorts create NAME OFFER --start YYYY-MM-DD --clients 1,2,3`."
        )
    for cohort_id, members in sorted(groups.items()):
        first = members[0]
        names = ", ".join(e.client_name for e in members)
        print(
            f"#{cohort_id:<4} {first.offer_name:<28} from {min(e.start_on for e in members)}  "
            f"{len(members)} member{'s' if len(members) != 1 else ''}: {names}"
        )
    return 0


def cmd_cohorts(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "create":
        return _cohorts_create(vault, args)
    return _cohorts_list(vault, args)


HANDLERS: dict[str, Callable[[Vault, argparse.Namespace], int]] = {
    "offers": cmd_offers,
    "enrol": cmd_enrol,
    "sessions": cmd_sessions,
    "cohorts": cmd_cohorts,
}
