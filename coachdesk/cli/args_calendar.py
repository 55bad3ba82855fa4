"""Parsers for the calendar commands (imported at start-up: argparse and domain only)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """`coachdesk calendar …` and `coachdesk availability …`."""
    cal = sub.add_parser("calendar", help="ICS out and in, free times, proposing times")
    csub = cal.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    export = csub.add_parser("export", help="every session as one .ics file")
    export.add_argument("--out", type=Path, required=True)
    imp = csub.add_parser("import", help="busy times from another calendar's .ics file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--source", help="a name for that calendar (default: the file's name)")
    invite = csub.add_parser("invite", help="an .ics invite for one session")
    invite.add_argument("session", type=int)
    invite.add_argument("--out", type=Path, required=True)
    remind = csub.add_parser("remind", help="a reminder e-mail draft for one session")
    remind.add_argument("session", type=int)
    remind.add_argument("--out", type=Path, required=True)
    free = csub.add_parser("free", help="free times in your working hours")
    free.add_argument("--days", type=int, default=14)
    free.add_argument("--minutes", type=int, default=60)
    free.add_argument("--json", action="store_true")
    propose = csub.add_parser("propose", help="a message offering free times to a client")
    propose.add_argument("client", type=int)
    propose.add_argument("--days", type=int, default=14)
    propose.add_argument("--count", type=int, default=6)
    propose.add_argument("--minutes", type=int, default=60)
    propose.add_argument("--eml", type=Path, help="also save it as an .eml draft")

    av = sub.add_parser("availability", help="weekly working hours and blocked days")
    asub = av.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    show = asub.add_parser("show", help="your working hours")
    show.add_argument("--json", action="store_true")
    hours = asub.add_parser(
        "set", help='working hours, e.g. "mon 09:00-12:00" "mon 14:00-17:00" "wed 10:00-16:00"'
    )
    hours.add_argument("stretches", nargs="+", metavar="DAY HH:MM-HH:MM")
    block = asub.add_parser("block", help="days without sessions")
    block.add_argument("days", nargs="+", metavar="YYYY-MM-DD")
    block.add_argument("--note", default="")
    unblock = asub.add_parser("unblock", help="make blocked days available again")
    unblock.add_argument("days", nargs="+", metavar="YYYY-MM-DD")
