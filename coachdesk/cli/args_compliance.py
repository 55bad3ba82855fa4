"""Parsers for consent, policy, retention, erasure, backups and restore (argparse, domain)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from coachdesk.domain.compliance import Category, ConsentMethod, Purpose


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """`coachdesk consent|policy|retention|erase|backup|restore|records …`."""
    co = sub.add_parser("consent", help="a client's consent, purpose by purpose")
    csub = co.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    clist = csub.add_parser("list", help="where each purpose stands for a client")
    clist.add_argument("client", type=int, metavar="CLIENT_ID")
    clist.add_argument("--json", action="store_true")
    for name, text in (("give", "record consent"), ("withdraw", "record a withdrawal")):
        cmd = csub.add_parser(name, help=text)
        cmd.add_argument("client", type=int, metavar="CLIENT_ID")
        cmd.add_argument("purpose", choices=[p.value for p in Purpose])
        cmd.add_argument(
            "--method", choices=[m.value for m in ConsentMethod], default="signed_form"
        )
        cmd.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD")
        cmd.add_argument("--json", action="store_true")

    po = sub.add_parser("policy", help="the practice's AI policy and its client disclosure")
    psub = po.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    psub.add_parser("show", help="the policy in force").add_argument("--json", action="store_true")
    disclosure = psub.add_parser("disclosure", help="save the client disclosure (PDF or text)")
    disclosure.add_argument("--out", type=Path, required=True, metavar="FILE.pdf|FILE.txt")

    re = sub.add_parser("retention", help="how long each kind of data is kept; remove what expired")
    rsub = re.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    rules = rsub.add_parser("rules", help="show (or change) the rules")
    rules.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="CATEGORY=MONTHS",
        help=f"0 keeps for ever; categories: {', '.join(c.value for c in Category)}",
    )
    rules.add_argument("--json", action="store_true")
    run = rsub.add_parser("run", help="remove what the rules say has expired")
    run.add_argument("--dry-run", action="store_true", help="list what would go; change nothing")
    run.add_argument("--json", action="store_true")

    er = sub.add_parser("erase", help="erase a client for good, everywhere in the vault")
    er.add_argument("what", choices=["client"])
    er.add_argument("id", type=int, metavar="CLIENT_ID")
    er.add_argument("--confirm", action="store_true", help="without it, only show what would go")
    er.add_argument("--json", action="store_true")

    bk = sub.add_parser("backup", help="take, verify or list encrypted backups")
    bk.add_argument("action", nargs="?", choices=["verify", "list"], help="default: take one")
    bk.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the backup to verify")
    bk.add_argument("--out", type=Path, metavar="DIR", help="the folder (default: the one set)")
    bk.add_argument(
        "--checksums-only",
        action="store_true",
        help="verify without the passphrase (finds damage, not tampering)",
    )
    bk.add_argument("--json", action="store_true")

    rs = sub.add_parser("restore", help="restore a vault from a backup file")
    rs.add_argument("file", type=Path, metavar="FILE")
    rs.add_argument(
        "--to", type=Path, metavar="DIR", help="where the vault goes (default: --vault)"
    )
    rs.add_argument(
        "--replace", action="store_true", help="keep an existing vault aside and replace it"
    )

    rec = sub.add_parser("records", help="save the records of processing as a PDF")
    rec.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
