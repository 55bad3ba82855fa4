"""Documents on a real encrypted vault: templates and versions, making, exporting, e-mailing."""

from __future__ import annotations

import email
import io
import tempfile
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path

import docx
import pytest
import time_machine
from pypdf import PdfReader

from coachdesk.documents.sandbox import BrokenTemplateError
from coachdesk.documents.types import DOC_TYPES, EMAIL_TEMPLATE
from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.domain.crm import (
    FollowUpDraft,
    GoalDraft,
    GoalStatus,
    MilestoneDraft,
    NoteDraft,
    NoteKind,
)
from coachdesk.domain.documents import TemplateOrigin, diff
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import audit_trail, clients, crm, documents, handoff, practice
from coachdesk.store.vault import Vault
from tests.store.util import canary, files_under, image_bytes, leaks


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def setup_practice(vault: Vault, coach: str = "Sam Rivera") -> None:
    practice.save_profile(
        vault,
        PracticeProfile(coach, "Brightpath Coaching", "Europe/London", "EUR"),
        logo=image_bytes(),
    )


def add_client(vault: Vault, first: str = "Łucja", last: str = "Wróbel-Öztürk") -> int:
    client = clients.create_client(
        vault,
        ClientDraft(
            first_name=first,
            last_name=last,
            emails=("lucja@example.org",),
            company="Nordlicht GmbH",
            status=ClientStatus.ACTIVE,
        ),
    )
    crm.add_goal(
        vault,
        client.id,
        GoalDraft(
            objective="Land a product lead role",
            measure="Signed offer",
            target_on=date.today() + timedelta(days=60),
            status=GoalStatus.ON_TRACK,
            progress=55,
        ),
        (MilestoneDraft("Portfolio reviewed", done=True), MilestoneDraft("Mock interview")),
    )
    crm.add_note(
        vault,
        client.id,
        NoteDraft(NoteKind.SESSION, date.today(), "Practised the STAR stories.\nFelt ready."),
    )
    crm.add_follow_up(
        vault,
        client.id,
        FollowUpDraft("Send two STAR stories", datetime.now(UTC).replace(tzinfo=None)),
    )
    return client.id


@pytest.fixture
def client_id(vault: Vault) -> int:
    setup_practice(vault)
    return add_client(vault)


@pytest.mark.parametrize("kind", [kind.key for kind in DOC_TYPES])
def test_every_type_makes_a_pdf_and_a_docx_with_the_clients_data(
    vault: Vault, client_id: int, kind: str
) -> None:
    info = documents.create_document(vault, client_id, kind)
    pdf_bytes = documents.document_pdf(vault, info.id)
    pdf = pdf_text(pdf_bytes)
    word = docx_text(documents.document_docx(vault, info.id))
    for text in (pdf, word):
        assert "Wróbel-Öztürk" in text
        assert "Sam Rivera" in text
    assert info.template_version == 1
    metadata = PdfReader(io.BytesIO(pdf_bytes)).metadata
    assert metadata is not None and metadata.title == info.title


def test_progress_report_holds_goals_milestones_notes_and_actions(
    vault: Vault, client_id: int
) -> None:
    info = documents.create_document(vault, client_id, "progress_report")
    pdf = pdf_text(documents.document_pdf(vault, info.id))
    word = docx_text(documents.document_docx(vault, info.id))
    for text in (pdf, word):
        for expected in (
            "Land a product lead role",
            "Signed offer",
            "55%",
            "Portfolio reviewed",
            "Mock interview",
            "Practised the STAR stories.",
            "Send two STAR stories",
        ):
            assert expected in text, expected


def test_blank_intake_form_holds_no_client_data(vault: Vault, client_id: int) -> None:
    filled = documents.create_document(vault, client_id, "intake_form")
    blank = documents.create_document(vault, client_id, "intake_form", {"prefill": "no"})
    assert "lucja@example.org" in pdf_text(documents.document_pdf(vault, filled.id))
    text = pdf_text(documents.document_pdf(vault, blank.id))
    assert "lucja@example.org" not in text and "Wróbel" not in text
    assert "Brightpath Coaching" in text


def test_options_are_checked_and_named(vault: Vault, client_id: int) -> None:
    with pytest.raises(ValidationError) as unknown:
        documents.create_document(vault, client_id, "certificate", {"colour": "red"})
    assert "colour" in unknown.value.errors
    with pytest.raises(ValidationError) as bad_date:
        documents.create_document(vault, client_id, "certificate", {"completed_on": "soon"})
    assert "Completed on" in bad_date.value.errors["completed_on"]
    with pytest.raises(ValidationError):
        documents.create_document(vault, client_id, "session_summary", {"note": "999"})
    with pytest.raises(NotFoundError):
        documents.create_document(vault, client_id, "invoice")
    with pytest.raises(NotFoundError):
        documents.create_document(vault, 999, "certificate")
    assert documents.list_documents(vault, client_id) == []


def test_certificate_uses_its_options(vault: Vault, client_id: int) -> None:
    info = documents.create_document(
        vault,
        client_id,
        "certificate",
        {"programme": "Interview Mastery", "completed_on": "2026-10-31"},
    )
    text = pdf_text(documents.document_pdf(vault, info.id))
    assert "Interview Mastery" in text and "31 October 2026" in text
    page = PdfReader(io.BytesIO(documents.document_pdf(vault, info.id))).pages[0]
    assert page.mediabox.width > page.mediabox.height


def test_documents_are_listed_regenerated_and_deleted_with_their_pdf(
    vault: Vault, client_id: int
) -> None:
    first = documents.create_document(vault, client_id, "coaching_plan", {"sessions": "8"})
    crm.add_goal(vault, client_id, GoalDraft(objective="Negotiate the salary"))
    again = documents.regenerate(vault, first.id)
    assert [d.id for d in documents.list_documents(vault, client_id)] == [again.id, first.id]
    assert dict(again.options)["sessions"] == "8"
    assert "Negotiate the salary" in pdf_text(documents.document_pdf(vault, again.id))
    assert "Negotiate the salary" not in pdf_text(documents.document_pdf(vault, first.id))

    blobs_before = set(files_under(vault.paths.attachments))
    documents.delete_document(vault, first.id)
    assert [d.id for d in documents.list_documents(vault, client_id)] == [again.id]
    assert len(set(files_under(vault.paths.attachments)) - blobs_before) == 0
    assert len(blobs_before - set(files_under(vault.paths.attachments))) == 1
    with pytest.raises(NotFoundError):
        documents.document_pdf(vault, first.id)


def test_purging_a_client_deletes_their_documents_pdfs(vault: Vault, client_id: int) -> None:
    documents.create_document(vault, client_id, "certificate")
    logo_only = len(files_under(vault.paths.attachments))
    documents.create_document(vault, client_id, "progress_report")
    assert len(files_under(vault.paths.attachments)) == logo_only + 1
    clients.trash_clients(vault, [client_id])
    clients.empty_trash(vault)
    assert len(files_under(vault.paths.attachments)) == 1  # the practice logo


def test_saving_a_template_makes_a_version_that_new_documents_use(
    vault: Vault, client_id: int
) -> None:
    original = documents.template_in_use(vault, "certificate")
    assert (original.number, original.origin) == (1, TemplateOrigin.BUILT_IN)
    old_doc = documents.create_document(vault, client_id, "certificate")
    edited = original.source.replace("Certificate of Completion", "Certificate of Achievement")
    saved = documents.save_template(vault, "certificate", edited, "Warmer title")
    assert (saved.number, saved.origin, saved.note) == (2, TemplateOrigin.EDITED, "Warmer title")
    assert documents.save_template(vault, "certificate", edited).number == 2  # unchanged
    new_doc = documents.create_document(vault, client_id, "certificate")
    assert new_doc.template_version == 2
    assert "Certificate of Achievement" in pdf_text(documents.document_pdf(vault, new_doc.id))
    assert "Certificate of Completion" in pdf_text(documents.document_pdf(vault, old_doc.id))

    history = documents.template_history(vault, "certificate")
    assert [v.number for v in history] == [2, 1]
    changes = diff(history[1], history[0])
    assert any(line.startswith("+") and "Achievement" in line for line in changes)
    assert any(line.startswith("-") and "Completion" in line for line in changes)

    reverted = documents.revert_template(vault, "certificate", 1)
    assert (reverted.number, reverted.origin) == (3, TemplateOrigin.REVERTED)
    assert reverted.source == original.source
    assert [e.action for e in audit_trail.recent_events(vault, 10) if e.entity == "template"] == [
        "reverted",
        "edited",
    ]


def test_a_broken_template_is_refused_with_its_line_and_nothing_is_saved(
    vault: Vault, client_id: int
) -> None:
    source = documents.template_in_use(vault, "progress_report").source
    lines = source.splitlines()
    lines[3] = "<h1>{{ client.frist_name }}</h1>"
    cases = {
        "\n".join(lines): (4, "frist_name"),
        source.replace("{% endif %}", "", 1): (None, "endif"),
        source + "\n<tabel>x</tabel>\n": (len(source.splitlines()) + 2, "tabel"),
        source + "\n{{ clinet.name }}\n": (len(source.splitlines()) + 2, "clinet"),
    }
    for broken, (line, name) in cases.items():
        with pytest.raises(BrokenTemplateError) as problem:
            documents.save_template(vault, "progress_report", broken)
        assert name in problem.value.message
        assert "Traceback" not in problem.value.message
        if line is not None:
            assert problem.value.line == line, problem.value.message
        else:
            assert problem.value.line is not None
    assert [v.number for v in documents.template_history(vault, "progress_report")] == [1]


def test_a_runaway_template_is_stopped_with_a_plain_message(vault: Vault, client_id: int) -> None:
    loop = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    with pytest.raises(BrokenTemplateError, match="stopped it"):
        documents.save_template(vault, "certificate", loop)
    assert documents.create_document(vault, client_id, "certificate").template_version == 1


def test_an_unedited_template_follows_a_new_built_in_one(
    vault: Vault, client_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = documents.builtin_source("certificate")
    assert documents.template_in_use(vault, "certificate").number == 1
    updated = shipped.replace("Certificate of Completion", "Certificate of Completion 2027")
    monkeypatch.setattr(documents, "builtin_source", lambda key: updated)
    in_use = documents.template_in_use(vault, "certificate")
    assert (in_use.number, in_use.source, in_use.note) == (2, updated, "Updated with CoachDesk")
    # Once the coach edits it, new built-in texts no longer replace their work.
    documents.save_template(vault, "certificate", updated.replace("2027", "(edited)"))
    monkeypatch.setattr(documents, "builtin_source", lambda key: shipped)
    assert documents.template_in_use(vault, "certificate").number == 3
    restored = documents.restore_builtin(vault, "certificate")
    assert (restored.number, restored.source) == (4, shipped)


def test_email_draft_is_unsent_addressed_and_carries_the_pdf(vault: Vault, client_id: int) -> None:
    info = documents.create_document(vault, client_id, "session_summary")
    draft = documents.email_draft(vault, info.id)
    message = email.message_from_bytes(draft.data, policy=policy.default)
    assert message["X-Unsent"] == "1"
    assert "lucja@example.org" in message["To"]
    assert message["Subject"] == "Session summary from Brightpath Coaching"
    body = message.get_body(("plain",))
    assert body is not None and "Hi Łucja" in body.get_content()
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{info.title}.pdf".replace(":", " ").replace("  ", " ")
    assert attachment.get_content() == documents.document_pdf(vault, info.id)
    assert draft.file_name.endswith(".eml")


def test_a_broken_email_template_is_refused(vault: Vault, client_id: int) -> None:
    with pytest.raises(BrokenTemplateError, match="Subject"):
        documents.save_template(vault, EMAIL_TEMPLATE, "Hello {{ client.name }}\n")
    with pytest.raises(BrokenTemplateError) as problem:
        documents.save_template(vault, EMAIL_TEMPLATE, "Subject: x\n\n{{ client.nmae }}\n")
    assert problem.value.line == 3


def test_export_writes_the_whole_file_or_nothing(
    vault: Vault, client_id: int, tmp_path: Path
) -> None:
    info = documents.create_document(vault, client_id, "progress_report")
    out = documents.export_document(vault, info.id, "docx", tmp_path / "report.docx")
    assert "Land a product lead role" in docx_text(out.read_bytes())
    with pytest.raises(KnownError, match="no longer exists"):
        documents.export_document(vault, info.id, "pdf", tmp_path / "missing" / "report.pdf")
    assert not (tmp_path / "missing").exists()
    with pytest.raises(ValidationError):
        documents.export_document(vault, info.id, "odt", tmp_path / "report.odt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx", "vault"]


def test_batch_makes_one_per_client_keeps_what_was_made_when_cancelled(
    vault: Vault, client_id: int, tmp_path: Path
) -> None:
    others = [add_client(vault, f"Client{i}", "Batch") for i in range(4)]
    ids = [client_id, *others, 999]
    seen: list[tuple[int, int]] = []
    result = documents.create_batch(
        vault,
        "certificate",
        ids,
        {"programme": "Leadership Lab"},
        folder=tmp_path,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert len(result.made) == 5 and not result.cancelled
    assert [c for c, _ in result.failed] == [999]
    assert seen[-1] == (6, 6)
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 5
    assert all("Leadership Lab" in pdf_text(p.read_bytes()) for p in pdfs)

    calls = iter(range(100))
    stopped = documents.create_batch(
        vault, "certificate", others, cancelled=lambda: next(calls) >= 2
    )
    assert stopped.cancelled and len(stopped.made) == 2


def test_no_decrypted_copy_is_left_behind(
    vault: Vault, tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    setup_practice(vault)
    mark = canary()
    client_id = add_client(vault, first=mark, last="Canary")
    info = documents.create_document(vault, client_id, "progress_report")
    documents.preview_pdf(
        vault,
        "progress_report",
        documents.template_in_use(vault, "progress_report").source,
        client_id,
    )
    documents.document_docx(vault, info.id)
    draft = documents.email_draft(vault, info.id)
    assert leaks([mark], vault.paths.root, isolated_home, private_tmp) == []

    handed = handoff.write(draft.file_name, draft.data)
    assert handed.is_relative_to(isolated_home)
    assert handed.stat().st_mode & 0o077 == 0
    assert leaks([mark], isolated_home) != [], "the scan must see the hand-off file"
    assert handoff.sweep(older_than=handoff.KEEP_FOR) == 0  # too fresh to go yet
    assert handoff.sweep() == 1
    assert leaks([mark], vault.paths.root, isolated_home, private_tmp) == []
    assert list(isolated_home.joinpath("handoff").iterdir()) == []


def test_make_again_keeps_the_session_and_dates_but_moves_an_offer_on(
    vault: Vault, client_id: int
) -> None:
    summary = documents.create_document(vault, client_id, "session_summary")
    first_note = dict(summary.options)["note"]
    crm.add_note(vault, client_id, NoteDraft(NoteKind.SESSION, date.today(), "A later session."))
    again = documents.regenerate(vault, summary.id)
    assert dict(again.options)["note"] == first_note
    assert "A later session." not in pdf_text(documents.document_pdf(vault, again.id))

    certificate = documents.create_document(vault, client_id, "certificate")
    proposal = documents.create_document(vault, client_id, "renewal_proposal", {"price": "900"})
    later = datetime.now() + timedelta(days=45)
    with time_machine.travel(later, tick=False):
        remade = documents.regenerate(vault, certificate.id)
        offer = documents.regenerate(vault, proposal.id)
    assert dict(remade.options)["completed_on"] == dict(certificate.options)["completed_on"]
    assert "valid_until" not in dict(proposal.options)
    assert dict(offer.options)["price"] == "900"
    expiry = (later.date() + timedelta(days=30)).strftime("%-d %B %Y")
    assert expiry in pdf_text(documents.document_pdf(vault, offer.id))


def test_a_template_must_also_work_for_a_new_lead(vault: Vault, client_id: int) -> None:
    source = documents.template_in_use(vault, "coaching_plan").source
    needs_a_goal = source.replace("<h1>Coaching plan</h1>", "<h1>{{ goals[0].objective }}</h1>")
    with pytest.raises(BrokenTemplateError) as problem:
        documents.save_template(vault, "coaching_plan", needs_a_goal)
    assert problem.value.line == source.splitlines().index("<h1>Coaching plan</h1>") + 1


def test_the_email_template_can_quote_the_document_title(vault: Vault, client_id: int) -> None:
    source = documents.template_in_use(vault, EMAIL_TEMPLATE).source
    documents.save_template(
        vault, EMAIL_TEMPLATE, source.replace("{{ document.name }}", "{{ document.title }}", 1)
    )
    info = documents.create_document(vault, client_id, "certificate")
    draft = documents.email_draft(vault, info.id)
    assert draft.subject.startswith(info.title)


def test_a_batch_goes_on_when_the_template_fails_for_one_client(
    vault: Vault, client_id: int
) -> None:
    source = documents.template_in_use(vault, "certificate").source
    fragile = source.replace(
        "<h2>{{ client.full_name }}</h2>",
        "<h2>{{ client.full_name }}</h2>{% if client.company == 'Fragile Ltd' %}"
        "{{ 1 // 0 }}{% endif %}",
    )
    documents.save_template(vault, "certificate", fragile)
    fragile_id = clients.create_client(
        vault, ClientDraft(first_name="Fred", company="Fragile Ltd")
    ).id
    other = add_client(vault, "Olga", "Other")
    result = documents.create_batch(vault, "certificate", [client_id, fragile_id, other])
    assert [d.client_id for d in result.made] == [client_id, other]
    assert [c for c, _ in result.failed] == [fragile_id]
    assert "The template failed for this client: Line" in result.failed[0][1]
    assert not result.template_problem

    stopped = documents.create_batch(vault, "certificate", [fragile_id, other])
    assert stopped.made == () and "division" in stopped.template_problem


def test_save_as_word_later_keeps_the_letterhead_the_pdf_was_made_with(
    vault: Vault, client_id: int
) -> None:
    first_logo = practice.logo_bytes(vault)
    info = documents.create_document(vault, client_id, "progress_report")
    blobs = len(files_under(vault.paths.attachments))
    practice.save_profile(
        vault,
        PracticeProfile("Sam Rivera", "Northstar Mentoring", "Europe/London", "EUR"),
        logo=image_bytes("JPEG", size=(80, 40)),
    )
    assert len(files_under(vault.paths.attachments)) == blobs + 1  # the old logo is kept
    word = docx.Document(io.BytesIO(documents.document_docx(vault, info.id)))
    header = word.sections[0].header.part.blob.decode()
    assert "Brightpath Coaching" in header and "Northstar" not in header
    images = [
        rel.target_part.blob
        for rel in word.sections[0].header.part.rels.values()
        if "image" in rel.reltype
    ]
    assert images == [first_logo]

    newer = documents.create_document(vault, client_id, "certificate")
    assert "Northstar Mentoring" in pdf_text(documents.document_pdf(vault, newer.id))
    assert len(files_under(vault.paths.attachments)) == blobs + 2  # + the certificate
    documents.delete_document(vault, info.id)  # the last document with the old logo
    assert len(files_under(vault.paths.attachments)) == blobs  # its PDF and the old logo went


def test_a_renewal_proposal_fills_in_the_clients_offer(vault: Vault, client_id: int) -> None:
    from coachdesk.domain.scheduling import OfferTerms
    from coachdesk.store.scheduling import terms_columns
    from coachdesk.store.tables import EnrolmentTable, OfferTable, OfferVersionTable

    generic = pdf_text(
        documents.document_pdf(
            vault, documents.create_document(vault, client_id, "renewal_proposal").id
        )
    )
    assert "Coaching programme, next term" in generic
    terms = OfferTerms(
        name="Interview Mastery",
        included=("Mock panel interview",),
        session_count=5,
        price_minor=125_000,
        currency="GBP",
    )
    now = datetime(2026, 1, 5)
    with vault.writing() as session:
        offer = OfferTable(created_at=now)
        session.add(offer)
        session.flush()
        version = OfferVersionTable(
            offer_id=offer.id, number=1, created_at=now, **terms_columns(terms)
        )
        session.add(version)
        session.flush()
        session.add(
            EnrolmentTable(
                client_id=client_id,
                offer_version_id=version.id,
                sessions_allowed=5,
                start_on=date(2026, 1, 5),
                price_minor=125_000,
                currency="GBP",
                created_at=now,
            )
        )
    text = pdf_text(
        documents.document_pdf(
            vault, documents.create_document(vault, client_id, "renewal_proposal").id
        )
    )
    for expected in ("Interview Mastery", "1,250.00 GBP", "Mock panel interview"):
        assert expected in text
    chosen = pdf_text(
        documents.document_pdf(
            vault,
            documents.create_document(
                vault, client_id, "renewal_proposal", {"programme": "Custom plan", "price": "999"}
            ).id,
        )
    )
    assert "Custom plan" in chosen and "999.00 GBP" in chosen
