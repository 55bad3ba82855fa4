"""Invoice commands: drafts, issuing, payments, credit notes, PDFs, overdue and revenue."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from coachdesk.cli import output
from coachdesk.domain.billing import LineDraft, PaymentMethod, format_money, parse_money
from coachdesk.domain.errors import ValidationError
from coachdesk.services import files, invoices
from coachdesk.store.vault import Vault


def parse_line(text: str) -> LineDraft:
    """A line from "Description:qty:unit_price[:tax%]" (the description may hold colons)."""
    parts = text.rsplit(":", 3)
    if len(parts) == 4:
        try:
            Decimal(parts[2].replace(",", ""))
        except InvalidOperation:
            parts = [":".join(parts[:2]), parts[2], parts[3]]
    if len(parts) < 3:
        raise ValidationError(
            {"line": f'Write a line as "Description:qty:unit_price[:tax%]", not "{text}".'}
        )
    description, quantity, price = parts[0], parts[1], parts[2]
    tax = parts[3] if len(parts) == 4 else "0"
    try:
        count = int(quantity)
    except ValueError:
        raise ValidationError({"quantity": f"'{quantity}' is not a whole number."}) from None
    try:
        rate = Decimal(tax.strip().rstrip("%").strip() or "0")
    except InvalidOperation:
        raise ValidationError({"tax_rate": f"'{tax}' is not a tax rate such as 20."}) from None
    return LineDraft(description, count, parse_money(price), int(rate * 100))


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def _row_dict(row: invoices.InvoiceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "kind": row.kind.value,
        "client_id": row.client_id,
        "client": row.client_name,
        "issued_on": _day(row.issued_on),
        "due_on": _day(row.due_on),
        "currency": row.currency,
        "gross_minor": row.gross_minor,
        "due_minor": row.due_minor,
        "status": row.status.value,
        "days_overdue": row.days_overdue,
    }


def _invoice_dict(invoice: invoices.Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "kind": invoice.kind.value,
        "client_id": invoice.client_id,
        "client": invoice.client_name,
        "currency": invoice.currency,
        "issued_on": _day(invoice.issued_on),
        "due_on": _day(invoice.due_on),
        "status": invoice.status.value,
        "note": invoice.note,
        "credits_number": invoice.credits_number,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_minor": line.unit_minor,
                "tax_rate_bp": line.tax_rate_bp,
                "net_minor": line.net_minor,
                "tax_minor": line.tax_minor,
            }
            for line in invoice.lines
        ],
        "payments": [_payment_dict(p) for p in invoice.payments],
        "net_minor": invoice.totals.net_minor,
        "tax_minor": invoice.totals.tax_minor,
        "gross_minor": invoice.totals.gross_minor,
        "paid_minor": invoice.payments_minor,
        "credited_minor": invoice.credited_minor,
        "due_minor": invoice.totals.due_minor,
    }


def _payment_dict(payment: invoices.Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "paid_on": _day(payment.paid_on),
        "amount_minor": payment.amount_minor,
        "method": payment.method.value,
        "note": payment.note,
    }


def _name(invoice: invoices.Invoice | invoices.InvoiceRow) -> str:
    kind = "Credit note" if invoice.kind.value == "credit_note" else "Invoice"
    return f"{kind} {invoice.number}" if invoice.number else f"Draft #{invoice.id}"


def _print_invoice(invoice: invoices.Invoice) -> None:
    cur = invoice.currency
    print(f"{_name(invoice)}  {invoice.client_name}  ({invoice.status.label})")
    if invoice.issued_on:
        print(
            f"  issued {invoice.issued_on}" + (f", due {invoice.due_on}" if invoice.due_on else "")
        )
    for line in invoice.lines:
        print(
            f"  {line.quantity} x {line.description}  {format_money(line.unit_minor, cur)}"
            f"  tax {line.tax_rate_bp / 100:g}%  = {format_money(line.net_minor, cur)}"
        )
    print(f"  total {format_money(invoice.totals.gross_minor, cur)}", end="")
    print(f" (tax {format_money(invoice.totals.tax_minor, cur)})", end="")
    if invoice.kind.value == "invoice":
        print(f", due {format_money(max(invoice.totals.due_minor, 0), cur)}")
    else:
        print(f", credits {invoice.credits_number}")


def _print_rows(rows: list[invoices.InvoiceRow], empty: str) -> None:
    if not rows:
        print(empty)
    for row in rows:
        late = f"  {row.days_overdue} days late" if row.days_overdue else ""
        print(
            f"#{row.id:<5} {row.number or 'draft':<16} {row.client_name:<24} "
            f"{format_money(row.gross_minor, row.currency):>16}  "
            f"due {format_money(row.due_minor, row.currency):>16}  {row.status.label}{late}"
        )


def _show(invoice: invoices.Invoice, as_json: bool) -> None:
    if as_json:
        output.json_out(_invoice_dict(invoice))
    else:
        _print_invoice(invoice)


def cmd_invoices(vault: Vault, args: argparse.Namespace) -> int:
    action = args.action
    if action == "create":
        if args.enrolment is not None:
            invoice = invoices.invoice_from_enrolment(vault, args.enrolment, args.client)
        else:
            lines = [parse_line(text) for text in args.line]
            invoice = invoices.create_invoice(vault, args.client, lines, args.currency, args.note)
        if args.issue:
            invoice = invoices.issue(vault, invoice.id)
        _show(invoice, args.json)
    elif action == "list":
        rows = invoices.list_invoices(vault, args.client, args.status)
        if args.json:
            output.json_out([_row_dict(r) for r in rows])
        else:
            _print_rows(rows, "No invoices.")
    elif action == "show":
        _show(invoices.get_invoice(vault, args.id), args.json)
    elif action == "issue":
        _show(invoices.issue(vault, args.id, args.on), args.json)
    elif action == "pay":
        payment = invoices.record_payment(
            vault,
            args.id,
            parse_money(args.amount),
            args.on,
            PaymentMethod(args.method),
            args.note,
        )
        if args.receipt:
            files.write_file(args.receipt, invoices.receipt_pdf(vault, payment.id))
        invoice = invoices.get_invoice(vault, args.id)
        if args.json:
            output.json_out({**_payment_dict(payment), "status": invoice.status.value})
        else:
            amount = format_money(payment.amount_minor, invoice.currency)
            print(f"Recorded {amount} on {_name(invoice)}: {invoice.status.label}.")
            if args.receipt:
                print(f"Saved {args.receipt}")
    elif action == "pdf":
        files.write_file(args.out, invoices.invoice_pdf(vault, args.id))
        print(f"Saved {args.out}")
    elif action == "credit":
        note = invoices.credit_note(vault, args.id, reason=args.reason)
        _show(note, args.json)
    elif action == "void":
        voided = invoices.void(vault, args.id, args.reason)
        print(f"{_name(voided)} is void.")
    elif action == "delete":
        invoices.delete_draft(vault, args.id)
        print(f"Deleted draft #{args.id}.")
    elif action == "overdue":
        rows = invoices.overdue(vault)
        if args.json:
            output.json_out([_row_dict(r) for r in rows])
        else:
            _print_rows(rows, "Nothing is overdue.")
    elif action == "revenue":
        months = invoices.revenue_by_month(vault, args.year)
        if args.json:
            output.json_out([m._asdict() for m in months])
        else:
            for m in months:
                print(
                    f"{m.month:>2}  invoiced {format_money(m.invoiced_minor, m.currency):>18}"
                    f"  paid {format_money(m.paid_minor, m.currency):>18}"
                )
    return 0


HANDLERS: dict[str, Callable[[Vault, argparse.Namespace], int]] = {
    "invoices": cmd_invoices,
}
