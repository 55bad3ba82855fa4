"""The practice's compliance documents: the records of processing and the AI disclosure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from coachdesk.domain.compliance import AiTask, Category, Purpose, describe_months
from coachdesk.services import compliance, documents, practice, vault_settings
from coachdesk.settings import BACKUP_EVERY, BACKUP_FOLDER
from coachdesk.store.tables import ClientTable, ErasureTable
from coachdesk.store.vault import Vault

# What the practice holds, why, and which retention rule decides how long (None: as long
# as the client's record is kept).
PROCESSING: tuple[tuple[str, str, Category | None], ...] = (
    (
        "Names and contact details (e-mail, phone, company, role, time zone)",
        "To coach the client and arrange sessions",
        None,
    ),
    ("Session and general notes", "To prepare sessions and follow progress", Category.NOTES),
    (
        "Session transcripts",
        "Accurate notes, only with consent to recording",
        Category.TRANSCRIPTS,
    ),
    ("Goals, milestones, follow-ups and pipeline history", "To run the coaching plan", None),
    ("Sessions, offers and enrolments", "To deliver what the client bought", None),
    ("Documents made for the client", "Plans, summaries, reports they receive", Category.DOCUMENTS),
    ("Invoices and payments", "Tax and accounting records the law requires", Category.INVOICES),
    ("Consent records", "Proof of what the client agreed to, and when", None),
    ("Enquiries from people who did not become clients", "To answer them", Category.LEADS),
    (
        "Audit trail (what changed and when; never the content)",
        "Accountability and security",
        Category.AUDIT,
    ),
    ("Encrypted backups of all of the above", "Recovery after loss or damage", Category.BACKUPS),
)


def _practice(vault: Vault) -> dict[str, Any]:
    profile = practice.get_profile(vault)
    coach = profile.coach_name or "your coach"  # before the practice profile is filled in
    return {
        "name": profile.business_name or profile.coach_name or "Your coach",
        "coach_name": coach,
        "business_name": profile.business_name,
    }


def _policy(vault: Vault) -> dict[str, Any]:
    policy = compliance.ai_policy(vault)
    return {
        "version": policy.version,
        "allowed": [t.label for t in AiTask if t in policy.allowed],
        "not_allowed": [t.label for t in AiTask if t not in policy.allowed],
        "always_reviewed": [t.label for t in AiTask if t in policy.review_always],
        "prohibited": list(policy.prohibited),
        "escalation": list(policy.escalation),
    }


def _records_context(vault: Vault) -> dict[str, Any]:
    rules = compliance.retention_rules(vault)
    with vault.reading() as session:
        by_status = {
            str(s): int(n)
            for s, n in session.execute(
                select(ClientTable.status, func.count()).group_by(ClientTable.status)
            )
        }
        erased = int(session.scalar(select(func.count()).select_from(ErasureTable)) or 0)
    counts = compliance.consent_counts(vault)
    folder = str(vault_settings.get(vault, BACKUP_FOLDER))
    every = str(vault_settings.get(vault, BACKUP_EVERY))
    return {
        "practice": _practice(vault),
        "rows": [
            {
                "what": what,
                "why": why,
                "kept": (
                    f"{describe_months(rules[category])}, counted from {category.counted_from}"
                    if category is not None
                    else "While the client's record is kept; erased on request"
                ),
            }
            for what, why, category in PROCESSING
        ],
        "people": {
            # As retention counts them: "lost" people never became clients either.
            "clients": sum(n for s, n in by_status.items() if s not in ("lead", "lost")),
            "leads": by_status.get("lead", 0) + by_status.get("lost", 0),
            "erased": erased,
        },
        "consents": [{"label": p.label, "count": counts[p]} for p in Purpose],
        "policy": _policy(vault),
        "backups": (
            f"{'Daily' if every == 'daily' else 'Weekly'} to {folder}"
            if folder and every != "off"
            else (f"By hand, to {folder}" if folder else "No backup folder chosen yet")
        ),
    }


def records_of_processing_pdf(vault: Vault) -> bytes:
    """What the practice holds, why and for how long, as a PDF."""
    return documents.practice_pdf(
        vault, "records_of_processing.html.j2", _records_context(vault), "Records of processing"
    )


def _disclosure(vault: Vault) -> dict[str, Any]:
    return {"practice": _practice(vault), "policy": _policy(vault)}


def ai_disclosure_pdf(vault: Vault) -> bytes:
    """How the practice uses AI, for clients, generated from the policy in force."""
    return documents.practice_pdf(
        vault, "ai_disclosure.html.j2", _disclosure(vault), "How we use AI"
    )


def ai_disclosure_text(vault: Vault) -> str:
    """The same disclosure as plain text (for an e-mail or a website)."""
    document = documents.practice_document(
        vault, "ai_disclosure.html.j2", _disclosure(vault), "How we use AI"
    )
    return document.text()
