"""Document figures: one 3-page progress report as PDF and DOCX, and 100 certificates.

Each step of the pipeline is timed on its own (filling the template in the sandbox
worker, parsing the markup, writing the PDF, writing the DOCX) and end to end through
the service (which also reads the record and stores the encrypted PDF).  Prints
figures; asserts nothing.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from coachdesk.documents import markup, sandbox  # noqa: E402
from coachdesk.documents.context import Record, build  # noqa: E402
from coachdesk.documents.docx import write_docx  # noqa: E402
from coachdesk.documents.model import Letterhead  # noqa: E402
from coachdesk.documents.pdf import write_pdf  # noqa: E402
from coachdesk.documents.types import doc_type  # noqa: E402
from coachdesk.domain.clients import ClientDraft, ClientStatus  # noqa: E402
from coachdesk.domain.crm import (  # noqa: E402
    FollowUpDraft,
    GoalDraft,
    GoalStatus,
    MilestoneDraft,
    NoteDraft,
    NoteKind,
)
from coachdesk.domain.practice import PracticeProfile  # noqa: E402
from coachdesk.services import clients, crm, documents, practice, vaults  # noqa: E402
from coachdesk.store import clients as client_store  # noqa: E402
from coachdesk.store import crm as crm_store  # noqa: E402
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402
from coachdesk.store.vault import Vault  # noqa: E402

PASSPHRASE = "bench vault passphrase for figures"
T = TypeVar("T")
NOTE = (
    "We went through the stakeholder map for the reorganisation and picked the two "
    "conversations that matter most this month. {name} rehearsed the opening of the "
    "conversation with the finance director and we worked on saying no to the extra "
    "project without closing the door. Homework: write the one-page proposal and book "
    "the meeting."
)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and spread (max - min) in milliseconds over `repeats` runs."""
    times = [timed(fn)[1] * 1000 for _ in range(repeats)]
    return statistics.median(times), max(times) - min(times)


def logo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 120), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 110, 110), fill=(31, 78, 121))
    draw.rectangle((130, 45, 350, 75), fill=(31, 78, 121))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def fill(vault: Vault, goals: int, notes: int, certificates: int) -> int:
    practice.save_profile(
        vault,
        PracticeProfile("Sam Rivera", "Brightpath Coaching", "Europe/London", "EUR"),
        logo=logo(),
    )
    client = clients.create_client(
        vault,
        ClientDraft(
            first_name="Łucja",
            last_name="Wróbel-Öztürk",
            emails=("lucja@example.org",),
            company="Nordlicht GmbH",
            status=ClientStatus.ACTIVE,
        ),
    )
    today = date.today()
    for index in range(goals):
        crm.add_goal(
            vault,
            client.id,
            GoalDraft(
                objective=f"Goal {index + 1}: lead the planning for quarter {index % 4 + 1}",
                measure="Runs the meeting and the plan is signed off",
                target_on=today + timedelta(days=30 * (index + 1)),
                status=GoalStatus.ON_TRACK,
                progress=(index * 17) % 100,
            ),
            tuple(
                MilestoneDraft(f"Milestone {m + 1} of goal {index + 1}", done=m < 2)
                for m in range(4)
            ),
        )
    for index in range(notes):
        crm.add_note(
            vault,
            client.id,
            NoteDraft(
                NoteKind.SESSION,
                today - timedelta(days=7 * index),
                NOTE.format(name="Łucja"),
                ("stakeholders", "boundaries"),
            ),
        )
    for index in range(4):
        crm.add_follow_up(
            vault,
            client.id,
            FollowUpDraft(
                f"Action {index + 1}: send the proposal draft",
                datetime.now(UTC).replace(tzinfo=None) + timedelta(days=index + 1),
            ),
        )
    for index in range(certificates - 1):
        clients.create_client(
            vault,
            ClientDraft(
                first_name=f"Graduate{index:03d}",
                last_name="Cohort",
                status=ClientStatus.ACTIVE,
            ),
        )
    return client.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--certificates", type=int, default=100)
    parser.add_argument("--goals", type=int, default=4, help="goals in the report")
    parser.add_argument("--notes", type=int, default=5, help="session notes in the report")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        vault = vaults.create_vault(
            Path(tmp) / "vault", PASSPHRASE, "bench", kdf=FAST_KDF_FOR_TESTS
        )
        try:
            run(vault, args)
        finally:
            vault.close()


def run(vault: Vault, args: argparse.Namespace) -> None:
    client_id = fill(vault, args.goals, args.notes, args.certificates)
    kind = doc_type("progress_report")
    source = documents.template_in_use(vault, kind.key).source
    profile = practice.get_profile(vault)
    with vault.reading() as session:
        client = client_store.get(session, client_id)
        assert client is not None
        record = Record(
            client,
            tuple(crm_store.goals(session, client_id)),
            tuple(crm_store.notes(session, client_id)),
            tuple(crm_store.follow_ups(session, client_id)),
        )
    options = kind.resolve_options({}, date.today())
    context = build(kind, profile, record, options, date.today())
    letterhead = Letterhead(profile.business_name, profile.coach_name, practice.logo_bytes(vault))

    _, start_s = timed(lambda: sandbox.render("warm-up {{ 1 }}", {}))
    text = sandbox.render(source, context)
    document = markup.parse(text)
    pdf = write_pdf(document, letterhead)
    word = write_docx(document, letterhead)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)

    print(f"Progress report: {args.goals} goals, {args.notes} session notes, {pages} pages")
    sizes = f"PDF {len(pdf) / 1024:.0f} KiB, DOCX {len(word) / 1024:.0f} KiB"
    print(f"  {sizes}, markup {len(text):,} characters")
    print(f"  template worker start (first render)  {start_s * 1000:8.1f} ms")
    steps = {
        "fill template (sandbox worker)": lambda: sandbox.render(source, context),
        "parse markup": lambda: markup.parse(text),
        "write PDF": lambda: write_pdf(document, letterhead),
        "write DOCX": lambda: write_docx(document, letterhead),
        "service: create_document (PDF, stored)": lambda: documents.create_document(
            vault, client_id, kind.key
        ),
    }
    figures = {name: median_ms(fn, args.repeats) for name, fn in steps.items()}
    for name, (median, spread) in figures.items():
        print(f"  {name:<40} {median:8.1f} ms  (spread {spread:.1f})")
    info = documents.list_documents(vault, client_id)[0]
    docx_ms, docx_spread = median_ms(lambda: documents.document_docx(vault, info.id), args.repeats)
    label = "service: document_docx (from stored)"
    print(f"  {label:<40} {docx_ms:8.1f} ms  (spread {docx_spread:.1f})")
    pipeline = sum(
        figures[n][0] for n in ("fill template (sandbox worker)", "parse markup", "write PDF")
    )
    service = figures["service: create_document (PDF, stored)"][0]
    print(f"  service overhead over the pipeline: {service / pipeline:.2f}x")

    ids = [row.id for row in clients.list_clients(vault)][: args.certificates]
    made, seconds = timed(
        lambda: documents.create_batch(vault, "certificate", ids, {"programme": "Leadership Lab"})
    )
    with tempfile.TemporaryDirectory() as folder:
        saved, saved_s = timed(
            lambda: documents.create_batch(
                vault, "certificate", ids, {"programme": "Leadership Lab"}, folder=Path(folder)
            )
        )
        files = len(list(Path(folder).iterdir()))
    print(f"{len(made.made)} certificates (batch, stored in the vault)")
    print(f"  total {seconds:6.2f} s   per certificate {seconds / len(made.made) * 1000:6.1f} ms")
    print(f"{len(saved.made)} certificates, also saved as {files} PDF files")
    print(f"  total {saved_s:6.2f} s   per certificate {saved_s / len(saved.made) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
