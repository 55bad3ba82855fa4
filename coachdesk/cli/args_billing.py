"""Parsers for the invoice commands (imported at start-up: argparse and domain only)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from coachdesk.domain.billing import InvoiceStatus, PaymentMethod


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """`coachdesk invoices …`."""
    inv = sub.add_parser("invoices", help="invoices, credit notes, payments and revenue")
    isub = inv.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    create = isub.add_parser("create", help="a draft invoice from an enrolment or from lines")
    create.add_argument("client", type=int, metavar="CLIENT_ID")
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--enrolment", type=int, metavar="ID", help="bill this enrolment")
    source.add_argument(
        "--line",
        action="append",
        metavar="DESCRIPTION:QTY:UNIT_PRICE[:TAX%]",
        help='a line, e.g. "Coaching session:4:150:20" (repeat for more lines)',
    )
    create.add_argument("--note", default="", help="a note printed on the invoice")
    create.add_argument("--currency", help="default: your practice's currency")
    create.add_argument("--issue", action="store_true", help="issue it at once (gives a number)")
    create.add_argument("--json", action="store_true")

    ls = isub.add_parser("list", help="invoices and credit notes, newest first")
    ls.add_argument("--client", type=int, metavar="ID")
    ls.add_argument("--status", choices=[s.value for s in InvoiceStatus])
    ls.add_argument("--json", action="store_true")

    show = isub.add_parser("show", help="one invoice with its lines and payments")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")

    issue = isub.add_parser("issue", help="number and date a draft, and mark it sent")
    issue.add_argument("id", type=int)
    issue.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD")
    issue.add_argument("--json", action="store_true")

    pay = isub.add_parser("pay", help="record a payment against an invoice")
    pay.add_argument("id", type=int)
    pay.add_argument("amount", help="such as 250 or 1,250.50")
    pay.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="default: today")
    pay.add_argument("--method", choices=[m.value for m in PaymentMethod], default="bank_transfer")
    pay.add_argument("--note", default="")
    pay.add_argument("--receipt", type=Path, metavar="FILE.pdf", help="also save a receipt")
    pay.add_argument("--json", action="store_true")

    pdf = isub.add_parser("pdf", help="save an invoice or credit note as PDF")
    pdf.add_argument("id", type=int)
    pdf.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")

    credit = isub.add_parser("credit", help="issue a credit note for a whole sent invoice")
    credit.add_argument("id", type=int)
    credit.add_argument("--reason", required=True)
    credit.add_argument("--json", action="store_true")

    void = isub.add_parser("void", help="void an issued invoice nobody has paid")
    void.add_argument("id", type=int)
    void.add_argument("--reason", required=True)

    delete = isub.add_parser("delete", help="delete a draft")
    delete.add_argument("id", type=int)

    overdue = isub.add_parser("overdue", help="unpaid invoices past their due date, oldest first")
    overdue.add_argument("--json", action="store_true")

    revenue = isub.add_parser("revenue", help="invoiced and paid per month")
    revenue.add_argument("--year", type=int, help="default: this year")
    revenue.add_argument("--json", action="store_true")
