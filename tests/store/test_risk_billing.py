"""Renewal risk weighs sessions left and overdue invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine

from coachdesk.domain.billing import LineDraft
from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.domain.practice import PracticeProfile
from coachdesk.domain.scheduling import OfferTerms, SessionDraft, SessionStatus
from coachdesk.services import clients, invoices, offers, practice, risk, sessions
from coachdesk.store.vault import Vault

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_no_sessions_left_and_an_overdue_invoice_raise_the_risk(vault: Vault) -> None:
    practice.save_profile(vault, PracticeProfile("Sam", "Rivera", "Europe/London", "GBP"))
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        ada = clients.create_client(
            vault, ClientDraft(first_name="Ada", status=ClientStatus.ACTIVE)
        ).id
        offer = offers.create_offer(
            vault, OfferTerms(name="Two Calls", session_count=2, price_minor=30_000, currency="GBP")
        )
        offers.enrol(vault, ada, offer.id)
        start = datetime(2026, 10, 20, 9, 0)
        for day in (0, 7):
            booked = sessions.book(
                vault, SessionDraft(ada, start + timedelta(days=day), 60, "Europe/London")
            )
            sessions.mark(vault, booked.id, SessionStatus.DONE)
        draft = invoices.create_invoice(vault, ada, [LineDraft("Two Calls", 1, 30_000)])
        invoices.issue(vault, draft.id, issued_on=date(2026, 10, 15))

    before = {r.client_id: r for r in risk.renewal_risks(vault, NOW.replace(tzinfo=None))}
    reasons = [f.reason for f in before[ada].factors]
    assert "No sessions left on Two Calls" in reasons
    assert "1 overdue invoice" in reasons

    with time_machine.travel(NOW, tick=False):
        due = invoices.get_invoice(vault, draft.id).totals.due_minor
        invoices.record_payment(vault, draft.id, due)
    after = {r.client_id: r for r in risk.renewal_risks(vault, NOW.replace(tzinfo=None))}
    assert "1 overdue invoice" not in [f.reason for f in after[ada].factors]
    assert after[ada].score < before[ada].score
