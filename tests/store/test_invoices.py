"""Invoices on a real vault: totals, numbers without gaps, credit notes, payments, PDFs."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from coachdesk.domain.billing import InvoiceKind, InvoiceStatus, LineDraft, PaymentMethod
from coachdesk.domain.clients import ClientDraft
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import audit_trail, clients, invoices, practice, vaults
from coachdesk.store.tables import (
    EnrolmentTable,
    InvoiceTable,
    OfferTable,
    OfferVersionTable,
    SessionTable,
)
from coachdesk.store.vault import Vault
from tests.conftest import PASSPHRASE

NOW = datetime(2026, 3, 10, 9, 0)


@pytest.fixture
def client_id(vault: Vault) -> int:
    practice.save_profile(
        vault,
        PracticeProfile("Ada Coach", "Northwind Coaching", "Europe/Berlin", "EUR"),
    )
    return clients.create_client(
        vault,
        ClientDraft(first_name="Grace", last_name="Hopper", company="Navy", emails=("g@navy.mil",)),
    ).id


def draft(vault: Vault, client_id: int, *prices: int) -> invoices.Invoice:
    lines = [LineDraft(f"Session {i}", 1, price, 2000) for i, price in enumerate(prices, 1)]
    return invoices.create_invoice(vault, client_id, lines or [LineDraft("Session", 1, 10000)])


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def add_offer(
    vault: Vault, client_id: int, terms: str, price: int = 120000, instalments: int = 1
) -> int:
    with vault.writing() as session:
        offer = OfferTable(created_at=NOW)
        session.add(offer)
        session.flush()
        version = OfferVersionTable(
            offer_id=offer.id,
            number=1,
            name="Leadership Sprint",
            tier="premium",
            session_count=6,
            session_minutes=60,
            price_minor=price,
            currency="EUR",
            tax_rate_bp=1900,
            payment_terms=terms,
            instalments=instalments,
            notice_hours=24,
            late_cancel_counts=True,
            no_show_counts=True,
            created_at=NOW,
        )
        session.add(version)
        session.flush()
        enrolment = EnrolmentTable(
            client_id=client_id,
            offer_version_id=version.id,
            sessions_allowed=6,
            start_on=NOW.date(),
            price_minor=price,
            currency="EUR",
            created_at=NOW,
        )
        session.add(enrolment)
        session.flush()
        return enrolment.id


def add_session(vault: Vault, client_id: int, enrolment_id: int | None, day: int) -> int:
    with vault.writing() as session:
        row = SessionTable(
            uid=f"s{day}@test",
            client_id=client_id,
            enrolment_id=enrolment_id,
            starts_at=datetime(2026, 3, day, 23, 30),
            minutes=60,
            coach_zone="Europe/Berlin",
            client_zone="Europe/Berlin",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(row)
        session.flush()
        return row.id


# Totals ---------------------------------------------------------------------------------


def test_tax_is_rounded_half_up_per_line_and_totals_add_the_printed_lines(
    vault: Vault, client_id: int
) -> None:
    # 0.05 at 10 % is 0.005 tax: half up makes each line's tax one cent.
    lines = [LineDraft(f"Worksheet {i}", 1, 5, 1000) for i in range(30)]
    lines.append(LineDraft("Workshop", 3, 33333, 1900))  # 999.99 net, 189.9981 tax
    invoice = invoices.create_invoice(vault, client_id, lines)
    assert invoice.status is InvoiceStatus.DRAFT and invoice.number is None
    assert invoice.currency == "EUR"
    assert invoice.totals.net_minor == 30 * 5 + 99999
    assert invoice.totals.tax_minor == 30 * 1 + 19000
    assert invoice.totals.gross_minor == 150 + 99999 + 30 + 19000
    assert invoice.totals.due_minor == invoice.totals.gross_minor


def test_a_line_without_a_description_or_with_a_negative_price_is_refused(
    vault: Vault, client_id: int
) -> None:
    with pytest.raises(ValidationError):
        invoices.create_invoice(vault, client_id, [LineDraft(" ", 1, 100)])
    with pytest.raises(ValidationError):
        invoices.create_invoice(vault, client_id, [LineDraft("Refund", 1, -100)])
    with pytest.raises(ValidationError):
        invoices.create_invoice(vault, client_id, [])
    with pytest.raises(NotFoundError):
        invoices.create_invoice(vault, 999, [LineDraft("Session", 1, 100)])


# Numbers --------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_numbers_follow_the_year_without_gaps_and_a_deleted_draft_leaves_none(
    vault: Vault, client_id: int
) -> None:
    first, doomed, second = (draft(vault, client_id, 1000) for _ in range(3))
    invoices.delete_draft(vault, doomed.id)
    issued = invoices.issue(vault, first.id)
    assert issued.number == "INV-2026-0001"
    assert issued.issued_on == date(2026, 3, 10)
    assert issued.due_on == date(2026, 3, 24)
    assert issued.status is InvoiceStatus.SENT
    assert invoices.issue(vault, second.id).number == "INV-2026-0002"
    next_year = invoices.issue(vault, draft(vault, client_id).id, issued_on=date(2027, 1, 2))
    assert next_year.number == "INV-2027-0001"
    with pytest.raises(KnownError, match="already issued"):
        invoices.issue(vault, first.id)
    with pytest.raises(NotFoundError):
        invoices.get_invoice(vault, doomed.id)


def test_concurrent_issuing_from_separate_vault_objects_gives_each_number_once(
    vault: Vault, client_id: int, vault_dir: Path
) -> None:
    drafts = [draft(vault, client_id, 1000 + i).id for i in range(40)]
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(ids: list[int]) -> None:
        mine = vaults.unlock(vault_dir, PASSPHRASE, "thread")
        try:
            start.wait()
            for invoice_id in ids:
                number = invoices.issue(mine, invoice_id, issued_on=date(2026, 5, 1)).number
                assert number is not None
                with lock:
                    results.append(number)
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            mine.close()

    threads = [threading.Thread(target=worker, args=(drafts[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [f"INV-2026-{n:04d}" for n in range(1, 41)]
    with vault.reading() as session:
        seqs = sorted(s or 0 for s in session.scalars(select(InvoiceTable.number_seq)))
    assert seqs == list(range(1, 41))


@time_machine.travel(NOW, tick=False)
def test_a_sent_invoice_refuses_edits_and_deletion(vault: Vault, client_id: int) -> None:
    sent = invoices.issue(vault, draft(vault, client_id, 5000).id)
    with pytest.raises(KnownError, match="corrected with a credit note"):
        invoices.update_draft(vault, sent.id, [LineDraft("Cheaper", 1, 100)])
    with pytest.raises(KnownError, match="credit it"):
        invoices.delete_draft(vault, sent.id)
    assert invoices.get_invoice(vault, sent.id).lines[0].unit_minor == 5000


def test_a_draft_can_be_edited(vault: Vault, client_id: int) -> None:
    invoice = draft(vault, client_id, 5000)
    changed = invoices.update_draft(
        vault, invoice.id, [LineDraft("Two sessions", 2, 7000, 0)], "Thanks"
    )
    assert [(x.description, x.net_minor) for x in changed.lines] == [("Two sessions", 14000)]
    assert changed.note == "Thanks" and changed.totals.gross_minor == 14000


# Credit notes and voiding ---------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_credit_notes_continue_the_sequence_and_subtract_in_revenue(
    vault: Vault, client_id: int
) -> None:
    first = invoices.issue(vault, draft(vault, client_id, 10000, 5000).id)  # 180.00 gross
    with pytest.raises(ValidationError):
        invoices.credit_note(vault, first.id, reason=" ")
    partial = invoices.credit_note(
        vault, first.id, [LineDraft("Session 2 cancelled", 1, 5000, 2000)], reason="Cancelled"
    )
    assert partial.kind is InvoiceKind.CREDIT_NOTE
    assert partial.number == "INV-2026-0002"
    assert partial.credits_number == "INV-2026-0001"
    assert partial.totals.gross_minor == 6000
    after = invoices.get_invoice(vault, first.id)
    assert after.credited_minor == 6000 and after.totals.due_minor == 12000
    with pytest.raises(ValidationError, match="more than is left"):
        invoices.credit_note(vault, first.id, [LineDraft("Too much", 1, 20000)], reason="x")
    second = invoices.issue(vault, draft(vault, client_id, 1000).id)
    assert second.number == "INV-2026-0003"

    march = invoices.revenue_by_month(vault, 2026)[2]
    assert march == (3, 18000 - 6000 + 1200, 0, "EUR")
    with pytest.raises(KnownError, match="credit it instead"):
        invoices.void(vault, first.id, "Mistake")
    voided = invoices.void(vault, second.id, "Sent twice")
    assert voided.status is InvoiceStatus.VOID
    assert invoices.revenue_by_month(vault, 2026)[2].invoiced_minor == 12000
    assert invoices.list_invoices(vault, status="void")[0].id == second.id


@time_machine.travel(NOW, tick=False)
def test_a_full_credit_settles_the_invoice(vault: Vault, client_id: int) -> None:
    sent = invoices.issue(vault, draft(vault, client_id, 10000).id)
    note = invoices.credit_note(vault, sent.id, reason="Programme cancelled")
    assert [line.description for line in note.lines] == ["Session 1"]
    assert invoices.get_invoice(vault, sent.id).status is InvoiceStatus.PAID
    with pytest.raises(KnownError):
        invoices.credit_note(vault, note.id, reason="again")


# Payments -------------------------------------------------------------------------------


def test_payments_drive_partly_paid_then_paid_and_overdue_follows_the_clock(
    vault: Vault, client_id: int
) -> None:
    with time_machine.travel(NOW, tick=False):
        older = invoices.issue(vault, draft(vault, client_id, 100).id, issued_on=date(2026, 3, 1))
        late = invoices.issue(vault, draft(vault, client_id, 10000).id)  # 120.00, due 24 March
        paid = invoices.issue(vault, draft(vault, client_id, 5000).id)
        with pytest.raises(ValidationError, match="numbers follow dates"):
            invoices.issue(vault, draft(vault, client_id, 100).id, issued_on=date(2026, 2, 1))
        with pytest.raises(KnownError, match="Issue the invoice"):
            invoices.record_payment(vault, draft(vault, client_id).id, 100)
        part = invoices.record_payment(
            vault, late.id, 2000, date(2026, 3, 10), PaymentMethod.CARD, "deposit"
        )
        assert part.method is PaymentMethod.CARD
        assert invoices.get_invoice(vault, late.id).status is InvoiceStatus.PARTLY_PAID
        with pytest.raises(ValidationError, match=r"Only 100\.00 EUR is due"):
            invoices.record_payment(vault, late.id, 10001)
        with pytest.raises(ValidationError):
            invoices.record_payment(vault, late.id, 0)
        invoices.record_payment(vault, paid.id, 6000)
        assert invoices.get_invoice(vault, paid.id).status is InvoiceStatus.PAID
        assert invoices.overdue(vault) == []
    with time_machine.travel(datetime(2026, 4, 3, 12, 0), tick=False):
        rows = invoices.overdue(vault)
        assert [(r.number, r.days_overdue, r.due_minor) for r in rows] == [
            (older.number, 19, 120),
            (late.number, 10, 10000),
        ]
        assert invoices.get_invoice(vault, paid.id).status is InvoiceStatus.PAID
        invoices.record_payment(vault, late.id, 10000)
        assert invoices.get_invoice(vault, late.id).status is InvoiceStatus.PAID
        assert [r.number for r in invoices.overdue(vault)] == [older.number]
        april = invoices.revenue_by_month(vault, 2026)[3]
        assert april == (4, 0, 10000, "EUR")
        assert invoices.revenue_by_month(vault, 2026)[2].paid_minor == 8000


def test_every_change_is_audited_by_field_name(vault: Vault, client_id: int) -> None:
    invoice = invoices.issue(vault, draft(vault, client_id, 10000).id)
    invoices.record_payment(vault, invoice.id, 100)
    entries = [(e.entity, e.action, e.fields) for e in audit_trail.recent_events(vault, 3)]
    assert [e[:2] for e in entries] == [
        ("payment", "create"),
        ("invoice", "issue"),
        ("invoice", "create"),
    ]
    assert "amount" in entries[0][2] and "100" not in entries[0][2]
    assert audit_trail.verify(vault).intact


# From enrolments and sessions -----------------------------------------------------------


def test_an_upfront_enrolment_becomes_one_line_with_the_offers_tax(
    vault: Vault, client_id: int
) -> None:
    enrolment = add_offer(vault, client_id, "upfront")
    invoice = invoices.invoice_from_enrolment(vault, enrolment)
    (line,) = invoice.lines
    assert (line.description, line.unit_minor, line.tax_rate_bp) == (
        "Leadership Sprint",
        120000,
        1900,
    )
    assert invoice.totals.gross_minor == 142800 and line.enrolment_id == enrolment


def test_instalments_bill_the_first_with_one_of_n(vault: Vault, client_id: int) -> None:
    enrolment = add_offer(vault, client_id, "instalments", price=100000, instalments=3)
    (line,) = invoices.invoice_from_enrolment(vault, enrolment).lines
    assert line.description == "Leadership Sprint, instalment 1 of 3"
    assert line.unit_minor == 33334  # the odd cent goes on the first


def test_sessions_are_billed_one_line_each_and_never_twice(vault: Vault, client_id: int) -> None:
    enrolment = add_offer(vault, client_id, "per_session", price=100000)
    with pytest.raises(ValidationError, match="per session"):
        invoices.invoice_from_enrolment(vault, enrolment)
    one = add_session(vault, client_id, enrolment, 3)
    two = add_session(vault, client_id, enrolment, 4)
    loose = add_session(vault, client_id, None, 5)
    invoice = invoices.invoice_from_sessions(vault, client_id, [one, two])
    assert [(line.description, line.unit_minor, line.session_id) for line in invoice.lines] == [
        ("Leadership Sprint: session on 4 Mar 2026", 16667, one),
        ("Leadership Sprint: session on 5 Mar 2026", 16667, two),
    ]
    with pytest.raises(ValidationError, match="already on an invoice"):
        invoices.invoice_from_sessions(vault, client_id, [two])
    with pytest.raises(ValidationError, match="give a price"):
        invoices.invoice_from_sessions(vault, client_id, [loose])
    priced = invoices.invoice_from_sessions(vault, client_id, [loose], unit_minor=9000)
    assert priced.lines[0].unit_minor == 9000


# PDFs -----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_invoice_and_receipt_pdfs_show_number_client_lines_and_totals(
    vault: Vault, client_id: int
) -> None:
    invoice = invoices.create_invoice(
        vault,
        client_id,
        [LineDraft("Coaching session", 4, 15000, 2000), LineDraft("Workbook", 1, 2500, 0)],
    )
    invoice = invoices.issue(vault, invoice.id)
    payment = invoices.record_payment(vault, invoice.id, 30000, method=PaymentMethod.BANK_TRANSFER)
    pdf = invoices.invoice_pdf(vault, invoice.id)
    (Path("/tmp/inv") / "invoice.pdf").write_bytes(pdf)
    text = text_of(pdf)
    for expected in (
        "INV-2026-0001",
        "Grace Hopper",
        "Coaching session",
        "Workbook",
        "600.00 EUR",
        "745.00 EUR",  # 600 + 120 tax + 25
        "445.00 EUR",
        "Partly paid",
        "Northwind Coaching",
    ):
        assert expected in text
    receipt = text_of(invoices.receipt_pdf(vault, payment.id))
    for expected in ("Receipt", "INV-2026-0001", "Grace Hopper", "300.00 EUR", "445.00 EUR"):
        assert expected in receipt
    credit = invoices.credit_note(vault, invoice.id, [LineDraft("Workbook", 1, 2500)], "Returned")
    credit_pdf = invoices.invoice_pdf(vault, credit.id)
    (Path("/tmp/inv") / "credit.pdf").write_bytes(credit_pdf)
    credit_text = text_of(credit_pdf)
    assert "Credit note INV-2026-0002" in credit_text
    assert "INV-2026-0001" in credit_text and "Returned" in credit_text
    with pytest.raises(NotFoundError):
        invoices.receipt_pdf(vault, 999)


def test_an_enrolment_is_billed_once_instalment_by_instalment(vault: Vault, client_id: int) -> None:
    enrolment = add_offer(vault, client_id, "instalments", price=100000, instalments=3)
    parts = [invoices.invoice_from_enrolment(vault, enrolment) for _ in range(3)]
    assert [p.lines[0].description for p in parts] == [
        f"Leadership Sprint, instalment {i} of 3" for i in (1, 2, 3)
    ]
    assert sum(p.lines[0].unit_minor for p in parts) == 100000
    with pytest.raises(ValidationError, match="already fully invoiced"):
        invoices.invoice_from_enrolment(vault, enrolment)

    upfront = add_offer(vault, client_id, "upfront")
    first = invoices.issue(vault, invoices.invoice_from_enrolment(vault, upfront).id)
    with pytest.raises(ValidationError, match="already fully invoiced"):
        invoices.invoice_from_enrolment(vault, upfront)
    invoices.void(vault, first.id, "Wrong client address")
    assert invoices.invoice_from_enrolment(vault, upfront).lines[0].unit_minor == 120000


def test_a_client_who_was_invoiced_cannot_be_purged_and_numbers_are_never_reused(
    vault: Vault, client_id: int
) -> None:
    other = clients.create_client(vault, ClientDraft(first_name="Grace", last_name="Hopper")).id
    invoices.issue(vault, draft(vault, client_id, 10_000).id)
    second = invoices.issue(vault, draft(vault, other, 20_000).id)
    draft(vault, other, 5_000)  # a draft goes with its client
    clients.trash_clients(vault, [other])
    with pytest.raises(KnownError, match="Grace Hopper has been sent invoices"):
        clients.empty_trash(vault)
    assert invoices.get_invoice(vault, second.id).number == second.number
    third = invoices.issue(vault, draft(vault, client_id, 30_000).id)
    assert third.number is not None and third.number.endswith("-0003")

    drafts_only = clients.create_client(vault, ClientDraft(first_name="Alan")).id
    draft(vault, drafts_only, 1_000)
    clients.restore_clients(vault, [other])
    clients.trash_clients(vault, [drafts_only])
    assert clients.empty_trash(vault) == 1
