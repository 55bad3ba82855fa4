"""Calendar commands: ICS export and import, invites, free times, proposals, availability."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date

from coachdesk.cli import output
from coachdesk.domain.errors import ValidationError
from coachdesk.domain.scheduling import WorkingHours, in_zone
from coachdesk.services import calendar, clients, files, practice
from coachdesk.store.vault import Vault

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_STRETCH = re.compile(r"^(\w{3})\w*\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def _stretch(text: str) -> WorkingHours:
    match = _STRETCH.match(text.strip().lower())
    if match is None or match.group(1) not in DAYS:
        raise ValidationError({"hours": f"'{text}' is not like \"mon 09:00-12:00\"."})
    day, h1, m1, h2, m2 = match.groups()
    return WorkingHours(DAYS.index(day), int(h1) * 60 + int(m1), int(h2) * 60 + int(m2))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"day": f"'{text}' is not a date like 2026-12-24."}) from None


def cmd_calendar(vault: Vault, args: argparse.Namespace) -> int:
    zone = practice.get_profile(vault).time_zone or "UTC"
    if args.action == "export":
        files.write_file(args.out, calendar.export_calendar(vault))
        print(f"Saved {args.out}")
    elif args.action == "import":
        result = calendar.import_busy_file(vault, args.file, args.source or "")
        print(f"Imported {result.busy} busy times from “{result.source}”", end="")
        print(f" ({result.replaced} replaced).")
    elif args.action == "invite":
        files.write_file(args.out, calendar.session_invite(vault, args.session))
        print(f"Saved {args.out}")
    elif args.action == "remind":
        _name, data = calendar.reminder_email(vault, args.session)
        files.write_file(args.out, data)
        print(f"Saved the reminder draft {args.out}")
    elif args.action == "free":
        slots = calendar.free_times(vault, args.days, args.minutes)
        if args.json:
            output.json_out([in_zone(s, zone).isoformat() for s in slots])
        else:
            for slot in slots:
                print(f"{in_zone(slot, zone):%a %d %b %H:%M}")
            if not slots:
                print("No free times: set your working hours with `availability set`.")
    else:
        proposal = calendar.propose_times(vault, args.client, args.days, args.count, args.minutes)
        print(f"To: {proposal.to or '(no address on the record)'}")
        print(f"Subject: {proposal.subject}\n")
        print(proposal.body, end="")
        if args.eml:
            name = clients.get_client(vault, args.client).display_name
            files.write_file(args.eml, calendar.proposal_eml(proposal, name))
            print(f"\nSaved the draft {args.eml}")
    return 0


def cmd_availability(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "set":
        calendar.set_working_hours(vault, [_stretch(s) for s in args.stretches])
        args.action, args.json = "show", False
    if args.action == "show":
        hours = calendar.working_hours(vault)
        if getattr(args, "json", False):
            output.json_out([output.plain(h) for h in hours])
        else:
            for h in hours:
                start, end = divmod(h.start_minute, 60), divmod(h.end_minute, 60)
                print(f"{DAYS[h.weekday]} {start[0]:02d}:{start[1]:02d}-{end[0]:02d}:{end[1]:02d}")
            if not hours:
                print("No working hours yet.")
    elif args.action == "block":
        calendar.block_dates(vault, [_day(d) for d in args.days], args.note)
        print(f"Blocked {len(args.days)} day(s).")
    else:
        calendar.unblock_dates(vault, [_day(d) for d in args.days])
        print(f"Unblocked {len(args.days)} day(s).")
    return 0


HANDLERS: dict[str, Callable[[Vault, argparse.Namespace], int]] = {
    "calendar": cmd_calendar,
    "availability": cmd_availability,
}
