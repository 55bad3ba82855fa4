"""Command-line options for offers, enrolments and sessions: light imports only."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from typing import TypeVar

from coachdesk.domain.scheduling import PaymentTerms, SessionStatus, Tier

P = TypeVar("P", bound=argparse.ArgumentParser)

MARK_CHOICES = tuple(s.value for s in SessionStatus if s is not SessionStatus.RESCHEDULED)


def wall_clock(text: str) -> datetime:
    """A wall-clock date and time as typed: "2026-12-01 09:30" (or with a T)."""
    try:
        return datetime.strptime(text.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date and time such as \"2026-12-01 09:30\""
        ) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date such as 2026-12-01") from None


def _ids(text: str) -> list[int]:
    try:
        found = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a list of client ids such as 1,2,3"
        ) from None
    if not found:
        raise argparse.ArgumentTypeError("give at least one client id, such as 1,2,3")
    return found


def _clock(text: str) -> time:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a time such as 18:30") from None


def add_commands(
    sub: argparse._SubParsersAction[P],
    parser_class: type[P],
) -> None:
    """Add `offers`, `enrol`, `sessions` and `cohorts` to the command tree."""
    of = sub.add_parser("offers", help="the service catalog: list or add offers")
    osub: argparse._SubParsersAction[P] = of.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    ol = osub.add_parser("list", help="list offers")
    ol.add_argument("--all", action="store_true", help="include archived offers")
    ol.add_argument("--json", action="store_true")
    oa = osub.add_parser("add", help="add an offer")
    oa.add_argument("name")
    oa.add_argument("--sessions", type=int, default=6, help="number of sessions")
    oa.add_argument("--minutes", type=int, default=60, help="length of a session")
    oa.add_argument("--price", default="0", help="price, e.g. 1200.00")
    oa.add_argument("--currency", default="", help="three-letter code (default: the practice's)")
    oa.add_argument("--tier", choices=[t.value for t in Tier], default=Tier.PREMIUM.value)
    oa.add_argument("--tax-rate", default="0", help="tax in percent, e.g. 20 or 7.7")
    oa.add_argument(
        "--payment", choices=[p.value for p in PaymentTerms], default=PaymentTerms.UPFRONT.value
    )
    oa.add_argument("--instalments", type=int, default=1)
    oa.add_argument("--notice-hours", type=int, default=24, help="minimum notice to reschedule")
    oa.add_argument(
        "--late-cancel-free", action="store_true", help="a late cancel does not use a session"
    )
    oa.add_argument("--no-show-free", action="store_true", help="a no-show does not use a session")
    oa.add_argument("--outcome", default="", help="the outcome promised")
    oa.add_argument("--include", action="append", default=[], help="what is included (repeatable)")
    oa.add_argument("--exclude", action="append", default=[], help="what is not (repeatable)")
    oa.add_argument("--timeline", default="", help="delivery timeline")
    oa.add_argument("--valid-from", type=_day)
    oa.add_argument("--valid-until", type=_day)
    oa.add_argument("--json", action="store_true")

    en = sub.add_parser("enrol", help="enrol a client in an offer")
    en.add_argument("client_id", type=int)
    en.add_argument("offer", help="offer id or name")
    en.add_argument("--start", type=_day, help="first day (default: today)")
    en.add_argument("--json", action="store_true")

    se = sub.add_parser("sessions", help="book, list, reschedule and mark sessions")
    ssub: argparse._SubParsersAction[P] = se.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    sa = ssub.add_parser("add", help="book a session or a series for a client")
    sa.add_argument("client_id", type=int)
    sa.add_argument("--at", type=wall_clock, required=True, help='"2026-12-01 09:30"')
    sa.add_argument("--zone", default="", help="zone of --at (default: the coach's)")
    sa.add_argument("--minutes", type=int, help="default: the offer's session length, else 60")
    repeat = sa.add_mutually_exclusive_group()
    repeat.add_argument("--weekly", type=int, metavar="N", help="book N weekly sessions")
    repeat.add_argument("--fortnightly", type=int, metavar="N", help="book N fortnightly sessions")
    sa.add_argument("--enrolment", type=int, dest="enrolment_id", help="enrolment id")
    sa.add_argument("--location", default="")
    sa.add_argument("--override", default="", metavar="REASON", help="book past a booking block")
    sa.add_argument("--json", action="store_true")
    sl = ssub.add_parser("list", help="sessions in a date range (default: the next 14 days)")
    sl.add_argument("--from", dest="start", type=_day, help="first day (coach's zone)")
    sl.add_argument("--to", dest="end", type=_day, help="last day (coach's zone)")
    sl.add_argument("--client", dest="client_id", type=int)
    sl.add_argument("--json", action="store_true")
    sr = ssub.add_parser("reschedule", help="move a session")
    sr.add_argument("session_id", type=int)
    sr.add_argument("--at", type=wall_clock, required=True, help='"2026-12-01 09:30"')
    sr.add_argument("--zone", default="", help="zone of --at (default: the coach's)")
    sr.add_argument("--override", default="", metavar="REASON", help="move inside the notice")
    sr.add_argument("--json", action="store_true")
    sm = ssub.add_parser("mark", help="record how a session went")
    sm.add_argument("session_id", type=int)
    sm.add_argument("status", choices=MARK_CHOICES)
    sm.add_argument("--json", action="store_true")

    co = sub.add_parser("cohorts", help="group programmes: start one or list them")
    csub: argparse._SubParsersAction[P] = co.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    cc = csub.add_parser("create", help="start a group programme and enrol its members")
    cc.add_argument("name")
    cc.add_argument("offer", help="offer id or name")
    cc.add_argument("--start", type=_day, required=True, help="first day, e.g. 2026-12-01")
    cc.add_argument("--clients", type=_ids, required=True, help="client ids, e.g. 1,2,3")
    cc.add_argument("--weekly", type=int, metavar="N", help="book N weekly group sessions")
    cc.add_argument("--at", type=_clock, default=time(18, 0), help='coach-local time, "18:00"')
    cc.add_argument("--minutes", type=int, help="default: the offer's session length")
    cc.add_argument("--json", action="store_true")
    cl = csub.add_parser("list", help="list group programmes and their members")
    cl.add_argument("--json", action="store_true")
