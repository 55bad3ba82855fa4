"""ORM tables: typed, with named constraints so Alembic can batch-alter SQLite."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CLIENT_STATUSES = ("lead", "active", "paused", "alumni", "lost")


# The full-text index is an FTS5 virtual table (with its shadow tables) that the
# migrations create by hand; the ORM and autogenerate comparisons leave it alone.
SEARCH_TABLE = "search_index"


def orm_managed(name: str | None, type_: str, _parents: object = None) -> bool:
    """Alembic `include_name` hook: everything except the search index's tables."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLE))


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=False)}


class ClientTable(Base):
    """A lead or client."""

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint(
            "status IN ('lead', 'active', 'paused', 'alumni', 'lost')", name="status_known"
        ),
        CheckConstraint(
            "client_type IN ('individual', 'sponsored', 'group')", name="client_type_known"
        ),
        Index("ix_clients_deleted_at", "deleted_at"),
        Index("ix_clients_last_name", "last_name", "first_name"),
        Index("ix_clients_stage_id", "stage_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    preferred_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="")
    locale: Mapped[str] = mapped_column(String(16), default="")
    lead_source: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="lead")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    client_type: Mapped[str] = mapped_column(String(16), default="individual")
    objective: Mapped[str] = mapped_column(String(20), default="")
    birthday: Mapped[str] = mapped_column(String(10), default="")
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("pipeline_stages.id", ondelete="SET NULL")
    )
    stage_since: Mapped[datetime | None]
    lost_reason: Mapped[str] = mapped_column(Text, default="")
    last_contact_at: Mapped[datetime | None]
    photo_attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL")
    )

    emails: Mapped[list[ClientEmailTable]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ClientEmailTable.position"
    )
    phones: Mapped[list[ClientPhoneTable]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ClientPhoneTable.position"
    )
    tags: Mapped[list[TagTable]] = relationship(secondary="client_tags", lazy="raise")


class ClientEmailTable(Base):
    """One of a client's e-mail addresses; position 0 is the primary."""

    __tablename__ = "client_emails"
    __table_args__ = (UniqueConstraint("client_id", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(254))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ClientPhoneTable(Base):
    """One of a client's phone numbers; position 0 is the primary."""

    __tablename__ = "client_phones"
    __table_args__ = (UniqueConstraint("client_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)


class TagTable(Base):
    """A label shared by many clients."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class ClientTagTable(Base):
    """Which client carries which tag."""

    __tablename__ = "client_tags"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PracticeTable(Base):
    """The single practice profile row (id is always 1)."""

    __tablename__ = "practice"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coach_name: Mapped[str] = mapped_column(String(100), default="")
    business_name: Mapped[str] = mapped_column(String(100), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    logo_attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]


class AttachmentTable(Base):
    """A file kept encrypted in the vault's attachments folder."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    blob_name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SettingTable(Base):
    """A vault-level setting (JSON value), declared in coachdesk.settings."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEventTable(Base):
    """An append-only, hash-chained record of one change (no client content)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    fields: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadTable(Base):
    """The chain's anchor: the last sequence number and hash, written with each append."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    # Where the kept trail starts: entries up to base_seq were removed by a retention
    # run, and entry base_seq + 1 must follow base_hash. Only that prefix may be deleted.
    base_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    base_hash: Mapped[str] = mapped_column(String(64), default="0" * 64, server_default="0" * 64)


class StageTable(Base):
    """A pipeline stage; `key` names the built-in ones so code can find them after a rename."""

    __tablename__ = "pipeline_stages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    stall_days: Mapped[int | None] = mapped_column(Integer)
    is_lost: Mapped[bool] = mapped_column(Boolean, default=False)


class StageChangeTable(Base):
    """One move of a client between stages: the pipeline's history."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_client_id", "client_id", "at"),
        Index("ix_stage_changes_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("pipeline_stages.id", ondelete="SET NULL")
    )
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stages.id"))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")


class NoteTable(Base):
    """A discovery-call, session or general note; older versions live in note_versions."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('discovery', 'session', 'general', 'transcript')", name="kind_known"
        ),
        Index("ix_notes_client_id", "client_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    themes: Mapped[str] = mapped_column(Text, default="[]")
    blockers: Mapped[str] = mapped_column(Text, default="[]")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NoteVersionTable(Base):
    """A note as it read before an edit."""

    __tablename__ = "note_versions"
    __table_args__ = (UniqueConstraint("note_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    themes: Mapped[str] = mapped_column(Text, default="[]")
    blockers: Mapped[str] = mapped_column(Text, default="[]")
    saved_at: Mapped[datetime]


class GoalTable(Base):
    """A client's goal."""

    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint(
            "status IN ('not_started', 'on_track', 'at_risk', 'achieved', 'dropped')",
            name="status_known",
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    objective: Mapped[str] = mapped_column(String(200))
    measure: Mapped[str] = mapped_column(Text, default="")
    target_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    milestones: Mapped[list[MilestoneTable]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="MilestoneTable.position"
    )


class MilestoneTable(Base):
    """A step towards a goal."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None]
    position: Mapped[int] = mapped_column(Integer, default=0)


class FollowUpTable(Base):
    """Something to do for a client by a time (UTC)."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        CheckConstraint(
            "recurrence IN ('', 'daily', 'weekly', 'fortnightly', 'monthly')",
            name="recurrence_known",
        ),
        Index("ix_follow_ups_due", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    recurrence: Mapped[str] = mapped_column(String(16), default="")
    done_at: Mapped[datetime | None]
    snoozed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class SegmentTable(Base):
    """A saved client filter."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    filter: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class TemplateVersionTable(Base):
    """One saved version of a document template; the highest number is in use."""

    __tablename__ = "template_versions"
    __table_args__ = (
        UniqueConstraint("doc_type", "number"),
        CheckConstraint("origin IN ('built-in', 'edited', 'reverted')", name="origin_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))
    builtin_sha: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class GeneratedDocumentTable(Base):
    """A document made for a client: its structure, its PDF, and where it came from."""

    __tablename__ = "generated_documents"
    __table_args__ = (Index("ix_generated_documents_client", "client_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    doc_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    template_version_id: Mapped[int] = mapped_column(ForeignKey("template_versions.id"))
    options: Mapped[str] = mapped_column(Text, default="{}")
    structure: Mapped[str] = mapped_column(Text)
    pdf_attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    # The letterhead it was made with (practice and coach name, paper), and the logo,
    # so a later "Save as Word" matches the PDF even after the profile changed.
    letterhead: Mapped[str] = mapped_column(Text, default="{}")
    logo_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    created_at: Mapped[datetime]


class OfferTable(Base):
    """An offer in the service catalog; its terms live in versions."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


class OfferVersionTable(Base):
    """The terms of an offer as they were from one save on; enrolments point here."""

    __tablename__ = "offer_versions"
    __table_args__ = (
        UniqueConstraint("offer_id", "number"),
        CheckConstraint("tier IN ('self_serve', 'group', 'premium')", name="tier_known"),
        CheckConstraint(
            "payment_terms IN ('upfront', 'instalments', 'per_session')", name="terms_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    tier: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(Text, default="")
    included: Mapped[str] = mapped_column(Text, default="[]")
    excluded: Mapped[str] = mapped_column(Text, default="[]")
    timeline: Mapped[str] = mapped_column(String(200), default="")
    session_count: Mapped[int] = mapped_column(Integer)
    session_minutes: Mapped[int] = mapped_column(Integer)
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    payment_terms: Mapped[str] = mapped_column(String(16))
    instalments: Mapped[int] = mapped_column(Integer, default=1)
    notice_hours: Mapped[int] = mapped_column(Integer)
    late_cancel_counts: Mapped[bool] = mapped_column(Boolean)
    no_show_counts: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]


class CohortTable(Base):
    """A group programme: many clients enrolled in one offer, sharing its sessions."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    offer_version_id: Mapped[int] = mapped_column(ForeignKey("offer_versions.id"))
    start_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]


class EnrolmentTable(Base):
    """A client bought an offer version: the allowance and price they were sold."""

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    offer_version_id: Mapped[int] = mapped_column(ForeignKey("offer_versions.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    sessions_allowed: Mapped[int] = mapped_column(Integer)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class SessionTable(Base):
    """A booked session: UTC time plus the coach's and the client's zones."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('scheduled', 'done', 'no_show', 'late_cancel', 'cancelled', 'rescheduled')",
            name="status_known",
        ),
        CheckConstraint("(client_id IS NULL) != (cohort_id IS NULL)", name="client_or_cohort"),
        Index("ix_sessions_starts_at", "starts_at"),
        Index("ix_sessions_client", "client_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL")
    )
    series_id: Mapped[str] = mapped_column(String(32), default="")
    starts_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(Integer)
    coach_zone: Mapped[str] = mapped_column(String(64))
    client_zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    location: Mapped[str] = mapped_column(String(200), default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    rescheduled_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WorkingHoursTable(Base):
    """A stretch of a weekday the coach works, in the coach's zone."""

    __tablename__ = "working_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class BlockedDateTable(Base):
    """A day the coach does not take sessions."""

    __tablename__ = "blocked_dates"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class BusyTimeTable(Base):
    """A busy time imported from another calendar (times only, no titles)."""

    __tablename__ = "busy_times"
    __table_args__ = (
        UniqueConstraint("source", "uid", "starts_at"),
        Index("ix_busy_times_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(120))
    uid: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class InvoiceTable(Base):
    """An invoice or credit note; numbered (without gaps) when it is issued."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("number_year", "number_seq"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_known"),
        CheckConstraint(
            "status IN ('draft', 'sent', 'partly_paid', 'paid', 'overdue', 'void')",
            name="status_known",
        ),
        Index("ix_invoices_client", "client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No cascade: an issued invoice is a legal record. Erasing its client keeps it for the
    # tax retention period with `billed_to` (who it was made out to) and no client row.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    billed_to: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16), default="invoice")
    number_year: Mapped[int | None] = mapped_column(Integer)
    number_seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    credits_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    currency: Mapped[str] = mapped_column(String(3))
    issued_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InvoiceLineTable(Base):
    """One line of an invoice."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_minor: Mapped[int] = mapped_column(Integer)
    tax_rate_bp: Mapped[int] = mapped_column(Integer)
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL")
    )
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))


class PaymentTable(Base):
    """Money received against an invoice."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    paid_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class ConsentNoticeTable(Base):
    """The wording a consent was asked for with; a new edit is a new version."""

    __tablename__ = "consent_notices"
    __table_args__ = (UniqueConstraint("purpose", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ConsentTable(Base):
    """One grant of consent for one purpose, and its withdrawal if it was withdrawn."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_client", "client_id", "purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    notice_id: Mapped[int] = mapped_column(ForeignKey("consent_notices.id"))
    given_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(32))
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_method: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime]


class AiPolicyTable(Base):
    """A version of the practice's AI policy (JSON); the newest is in force."""

    __tablename__ = "ai_policies"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class RetentionRuleTable(Base):
    """How long one category of data is kept (months; 0 keeps it for ever)."""

    __tablename__ = "retention_rules"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    months: Mapped[int] = mapped_column(Integer)


class RetentionRunTable(Base):
    """One retention run: when, what started it and how much each category lost."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ran_at: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(16))
    removed: Mapped[str] = mapped_column(Text)


class BackupTable(Base):
    """A backup CoachDesk wrote: where, when, and the digest its file must still match."""

    __tablename__ = "backups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_at: Mapped[datetime]
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)


class ErasureTable(Base):
    """A tombstone: a client was erased. No name, no content, only the dates that say
    which backups still hold them."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer)
    client_since: Mapped[datetime]
    erased_at: Mapped[datetime]


class AiDraftTable(Base):
    """A draft the on-device assistant wrote for a client, and the coach's decision on it.

    The text (source, output, edits) lives here, encrypted with the vault, and is exported
    and erased with the client; the audit trail keeps only digests of it.
    """

    __tablename__ = "ai_drafts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'needs_review', 'approved', 'rejected')", name="status_known"
        ),
        Index("ix_ai_drafts_client", "client_id"),
        Index("ix_ai_drafts_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    template: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    model_sha256: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text)
    edited: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[str] = mapped_column(Text, default="{}")
    override_note: Mapped[str] = mapped_column(Text, default="")
    generation_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # What the approved draft became ("follow_ups:4,5", "objective:leadership", "email"),
    # so one click cannot make it twice.
    applied: Mapped[str] = mapped_column(Text, default="", server_default="")
    applied_at: Mapped[datetime | None]
