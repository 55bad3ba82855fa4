"""The PDF and DOCX writers, read back with pypdf and python-docx."""

from __future__ import annotations

import io
import logging
import re
from functools import cache
from typing import Any

import docx
import pypdf
import pytest
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Length
from docx.text.paragraph import Paragraph as WordParagraph
from PIL import Image, ImageDraw

from coachdesk.documents import fonts
from coachdesk.documents.docx import write_docx
from coachdesk.documents.model import (
    Align,
    Check,
    Document,
    Field,
    Heading,
    Layout,
    Letterhead,
    ListBlock,
    ListItem,
    PageBreak,
    Paragraph,
    Progress,
    Rule,
    Signature,
    Spacer,
    Span,
    Table,
    Tone,
)
from coachdesk.documents.pdf import LogoError, write_pdf
from coachdesk.domain.errors import KnownError

POLISH = "Łucja Wróbel-Öztürk"
RUSSIAN = "Анна"
VIETNAMESE = "Nguyễn Thị Ánh"
GREEK = "Ελένη Παπαδοπούλου"
LITERAL = "**not bold** __x__ -- <b>tag</b> {nb} ~~strike~~"


def _text(text: str, bold: bool = False, italic: bool = False) -> tuple[Span, ...]:
    return (Span(text, bold, italic),)


def _logo() -> bytes:
    image = Image.new("RGB", (120, 60), (255, 255, 255))
    ImageDraw.Draw(image).ellipse((4, 4, 56, 56), fill=(31, 78, 112))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


LOGO = _logo()
LETTERHEAD = Letterhead("Bright Path Coaching", "Maria Keller", LOGO)
PLAIN_LETTERHEAD = Letterhead(f"{POLISH} Coaching", POLISH)

GOALS = tuple(
    (_text(f"Goal {n} for {VIETNAMESE}"), _text(f"{n % 100}%"), _text(f"status-{n}"))
    for n in range(1, 121)
)

FULL = Document(
    title=f"Progress report — {VIETNAMESE}",
    author="Maria Keller",
    subject=VIETNAMESE,
    blocks=(
        Heading(1, _text("Progress report")),
        Paragraph(
            (
                Span("Client: "),
                Span(VIETNAMESE, bold=True),
                Span(" period "),
                Span("Q1", italic=True),
            )
        ),
        Paragraph(_text(LITERAL)),
        Paragraph(_text(f"Lead text for {RUSSIAN}"), tone=Tone.LEAD),
        Paragraph(_text("Muted aside"), align=Align.RIGHT, tone=Tone.MUTED),
        Paragraph(_text("Fine print here"), align=Align.CENTER, tone=Tone.SMALL),
        Heading(2, _text("Where we are")),
        Progress("Interview readiness", 72),
        Progress("Portfolio polish", 0),
        Heading(3, _text("Milestones")),
        ListBlock(
            (
                ListItem(_text("Mock interview done"), Check.DONE),
                ListItem(_text(f"Referral from {GREEK}"), Check.OPEN),
            )
        ),
        ListBlock(
            (ListItem(_text("Plain bullet")), ListItem(_text("Кириллица курсивом", italic=True)))
        ),
        ListBlock((ListItem(_text("First step")), ListItem(_text("Second step"))), ordered=True),
        ListBlock((ListItem(_text("Restarted step")),), ordered=True),
        Field("Full name", _text(POLISH)),
        Field("Goals in your words", (), 3),
        Rule(),
        Spacer(2),
        Heading(2, _text("Goals")),
        Table((_text("Goal"), _text("Progress"), _text("Status")), GOALS, (5, 1, 2)),
        PageBreak(),
        Heading(2, _text("Agreement")),
        Paragraph((Span("Price "), Span("€1 450", bold=True))),
        Signature(POLISH, "Client"),
        Signature("Maria Keller", "Coach"),
    ),
)

CERTIFICATE = Document(
    title="Certificate of completion",
    author="Maria Keller",
    subject=VIETNAMESE,
    layout=Layout.CERTIFICATE,
    blocks=(
        Heading(1, _text("Certificate of Completion")),
        Paragraph(_text("This certifies that"), tone=Tone.MUTED),
        Heading(2, _text(VIETNAMESE)),
        Paragraph(_text("has completed the Career Transition Programme"), tone=Tone.LEAD),
        Signature("Maria Keller", "Coach"),
    ),
)


# reading back -------------------------------------------------------------


# Writing is pure, so each document is written once per run and read back per test.
_write_pdf = cache(write_pdf)
_write_docx = cache(write_docx)


def _pdf(document: Document, letterhead: Letterhead = LETTERHEAD, paper: str = "A4") -> Any:
    return pypdf.PdfReader(io.BytesIO(_write_pdf(document, letterhead, paper)))


def _pages(reader: Any) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _docx(
    document: Document, letterhead: Letterhead = LETTERHEAD, paper: str = "A4"
) -> WordDocument:
    return docx.Document(io.BytesIO(_write_docx(document, letterhead, paper)))


def _docx_text(word: WordDocument) -> str:
    """Every paragraph of the body, tables included, in order."""
    return "\n".join(WordParagraph(p, word.part).text for p in word.element.body.iter(qn("w:p")))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


def _images(page: Any) -> list[Any]:
    resources = page["/Resources"]
    if "/XObject" not in resources:
        return []
    objects = resources["/XObject"].get_object()
    return [o for o in (objects[k].get_object() for k in objects) if o["/Subtype"] == "/Image"]


# PDF ----------------------------------------------------------------------


def test_pdf_prints_every_value_and_non_latin_names() -> None:
    text = "\n".join(_pages(_pdf(FULL)))
    for value in (
        POLISH,
        RUSSIAN,
        VIETNAMESE,
        GREEK,
        "Кириллица курсивом",
        "Progress report",
        "Interview readiness",
        "72%",
        "Mock interview done",
        "1.",
        "Full name",
        "Goal 120 for",
        "status-57",
        "€1 450",
        "Coach",
    ):
        assert value in text, value


def test_pdf_prints_markup_literally() -> None:
    text = "\n".join(_pages(_pdf(FULL)))
    assert LITERAL in text
    pages = _pages(_pdf(FULL, Letterhead("{nb} **Practice**")))
    assert all(
        text.endswith("{nb} **Practice** Page " + f"{n} of {len(pages)}")
        for n, text in enumerate(pages, 1)
    )


def test_pdf_embeds_its_fonts_and_uses_no_standard_font() -> None:
    reader = _pdf(FULL)
    fonts = {}
    for page in reader.pages:
        for key, ref in page["/Resources"]["/Font"].items():
            fonts[key] = ref.get_object()
    assert len(fonts) >= 3  # regular, bold, italic
    for font in fonts.values():
        assert font["/Subtype"] == "/Type0"
        descendant = font["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]
        assert "SourceSans" in font["/BaseFont"]


def test_pdf_metadata() -> None:
    meta = _pdf(FULL).metadata
    assert meta.title == FULL.title
    assert meta.author == "Maria Keller"
    assert meta.subject == VIETNAMESE
    assert meta.creator == "CoachDesk"


def test_pdf_long_table_repeats_its_header_on_every_page() -> None:
    pages = _pages(_pdf(FULL))
    with_rows = [i for i, text in enumerate(pages) if "status-" in text]
    assert len(with_rows) >= 3
    for index in with_rows:
        assert "Goal Progress Status" in pages[index], index
    # Every row once, in order.
    joined = "\n".join(pages[i] for i in with_rows)
    positions = [joined.index(f"status-{n}\n") for n in range(1, 120)]
    assert positions == sorted(positions)


def test_pdf_numbers_every_page() -> None:
    pages = _pages(_pdf(FULL))
    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Bright Path Coaching" in text


def test_pdf_page_break_starts_a_new_page() -> None:
    pages = _pages(_pdf(FULL))
    agreement = next(i for i, text in enumerate(pages) if "Agreement" in text)
    assert "status-120" in pages[agreement - 1]
    assert "status-" not in pages[agreement]


def test_pdf_paper_sizes() -> None:
    a4 = _pdf(FULL).pages[0].mediabox
    letter = _pdf(FULL, paper="Letter").pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    with pytest.raises(ValueError, match="paper"):
        write_pdf(FULL, LETTERHEAD, "A5")


def test_pdf_logo_is_an_image_only_when_given() -> None:
    with_logo = _pdf(FULL)
    assert all(_images(page) for page in with_logo.pages)
    assert not any(_images(page) for page in _pdf(FULL, PLAIN_LETTERHEAD).pages)
    assert _images(_pdf(CERTIFICATE).pages[0])


def test_pdf_unreadable_logo_is_a_known_error() -> None:
    with pytest.raises(LogoError) as raised:
        write_pdf(FULL, Letterhead("Practice", logo=b"not an image"))
    assert isinstance(raised.value, KnownError)


def test_pdf_certificate_is_one_landscape_page_without_numbers() -> None:
    reader = _pdf(CERTIFICATE)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    text = reader.pages[0].extract_text()
    assert VIETNAMESE in text
    assert "Certificate of Completion" in text
    assert "Page" not in text


FOLLOWERS = {
    "paragraph": Paragraph(_text("Following text " * 30)),
    "table": Table((_text("Following header"),), ((_text("cell " * 40),),)),
    "field": Field("Following field", _text("answer " * 30)),
    "blank field": Field("Following field", (), 4),
    "progress": Progress("Following progress", 40),
    "list": ListBlock((ListItem(_text("Following item " * 10)),)),
    "signature": Signature("Following signer", "Client"),
}


@pytest.mark.parametrize("follower", FOLLOWERS.values(), ids=FOLLOWERS.keys())
def test_pdf_heading_stays_with_what_follows(follower: Any) -> None:
    # Pushing the heading down paragraph by paragraph puts it at the foot of page one
    # at least once.
    for filler in range(21, 28):
        document = Document(
            "Keep",
            (
                *(Paragraph(_text(f"filler {n}")) for n in range(filler)),
                Heading(2, _text("Kept heading")),
                follower,
            ),
        )
        pages = _pages(_pdf(document))
        page = next(p for p in pages if "Kept heading" in p)
        assert "Following" in page, filler


def test_pdf_row_taller_than_a_page_is_split() -> None:
    words = [f"w{n}" for n in range(2500)]
    document = Document(
        "Tall", (Table((_text("Notes"),), ((_text(" ".join(words)),), (_text("after"),))),)
    )
    pages = _pages(_pdf(document))
    assert len(pages) > 1
    text = "\n".join(pages)
    assert _words(" ".join(words)) <= _words(text)
    assert text.index("w2499") < text.index("after")
    assert all("Notes" in page for page in pages)


def test_pdf_marks_letters_the_font_lacks_and_logs_none_of_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = Document("CJK", (Paragraph(_text("Client 王小明 joined")),))
    with caplog.at_level(logging.DEBUG):
        text = _pages(_pdf(document, PLAIN_LETTERHEAD))[0]
    assert "Client ??? joined" in text
    assert not [r for r in caplog.records if "王" in r.getMessage()]
    assert "王小明" in _docx_text(_docx(document))  # Word picks a font that has them


def test_missing_font_is_a_known_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts.font_path.cache_clear()
    monkeypatch.setattr(fonts, "PACKAGE", "no_such_font_package")
    try:
        with pytest.raises(fonts.FontMissingError, match="Reinstall CoachDesk"):
            write_pdf(Document("No font", (Paragraph(_text("text")),)), PLAIN_LETTERHEAD)
    finally:
        fonts.font_path.cache_clear()


def test_pdf_of_an_empty_document_is_one_page() -> None:
    reader = _pdf(Document("Empty", ()))
    assert len(reader.pages) == 1


# DOCX ---------------------------------------------------------------------


def _mm(length: Length | None) -> float:
    assert length is not None
    return float(length.mm)


def _paragraph(word: WordDocument, text: str) -> Any:
    return next(p for p in word.paragraphs if text in p.text)


def test_docx_headings_use_word_heading_styles() -> None:
    word = _docx(FULL)
    assert _paragraph(word, "Progress report").style.name == "Heading 1"
    assert _paragraph(word, "Where we are").style.name == "Heading 2"
    assert _paragraph(word, "Milestones").style.name == "Heading 3"


def test_docx_runs_keep_bold_and_italic() -> None:
    word = _docx(FULL)
    runs = _paragraph(word, "Client:").runs
    assert [(r.text, bool(r.bold), bool(r.italic)) for r in runs] == [
        ("Client: ", False, False),
        (VIETNAMESE, True, False),
        (" period ", False, False),
        ("Q1", False, True),
    ]
    assert _paragraph(word, "Lead text").style.name == "Lead"
    assert _paragraph(word, "Fine print").alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_docx_prints_markup_literally() -> None:
    assert LITERAL in _docx_text(_docx(FULL))


def test_docx_lists_use_list_styles() -> None:
    word = _docx(FULL)
    assert _paragraph(word, "Plain bullet").style.name == "List Bullet"
    first = _paragraph(word, "First step")
    restarted = _paragraph(word, "Restarted step")
    assert first.style.name == restarted.style.name == "List Number"

    def num_id(paragraph: Any) -> int:
        return int(paragraph._p.pPr.numPr.numId.val)

    assert num_id(first) == num_id(_paragraph(word, "Second step"))
    assert num_id(first) != num_id(restarted)
    done = _paragraph(word, "Mock interview done")
    assert done.text.startswith("\u2611")
    assert _paragraph(word, "Referral from").text.startswith("\u2610")


def test_docx_table_has_cells_widths_and_a_repeating_header() -> None:
    word = _docx(FULL)
    table = next(t for t in word.tables if t.rows[0].cells[0].text == "Goal")
    assert len(table.rows) == 121
    assert [c.text for c in table.rows[0].cells] == ["Goal", "Progress", "Status"]
    assert [c.text for c in table.rows[120].cells] == [
        f"Goal 120 for {VIETNAMESE}",
        "20%",
        "status-120",
    ]
    flags = [
        row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
        for row in table.rows
    ]
    assert flags == [True] + [False] * 120
    assert all(run.bold for run in table.rows[0].cells[0].paragraphs[0].runs)
    widths = [column.width for column in table.columns]
    assert widths[0] == pytest.approx(5 * widths[1], rel=0.01)
    assert widths[2] == pytest.approx(2 * widths[1], rel=0.01)


def test_docx_fields_progress_and_signatures_are_text() -> None:
    text = _docx_text(_docx(FULL))
    for value in (
        "Full name",
        POLISH,
        "Goals in your words",
        "Interview readiness",
        "72%",
        "Coach",
    ):
        assert value in text, value


def test_docx_page_break() -> None:
    word = _docx(FULL)
    breaks = word.element.body.findall(".//" + qn("w:br"))
    assert any(b.get(qn("w:type")) == "page" for b in breaks)


def test_docx_header_and_footer_carry_the_letterhead_and_page_fields() -> None:
    word = _docx(FULL)
    section = word.sections[0]
    header_xml = section.header._element.xml
    footer_xml = section.footer._element.xml
    assert "Bright Path Coaching" in header_xml
    assert "Maria Keller" in header_xml
    assert "a:blip" in header_xml  # the logo
    assert "Bright Path Coaching" in footer_xml
    instructions = [i.text.strip() for i in section.footer._element.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    plain = _docx(FULL, PLAIN_LETTERHEAD).sections[0].header._element.xml
    assert POLISH in plain
    assert "a:blip" not in plain


def test_docx_core_properties_and_paper() -> None:
    word = _docx(FULL, paper="Letter")
    props = word.core_properties
    assert (props.title, props.author, props.subject) == (FULL.title, "Maria Keller", VIETNAMESE)
    section = word.sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert _mm(section.page_width) == pytest.approx(215.9, abs=0.1)
    assert _mm(section.page_height) == pytest.approx(279.4, abs=0.1)
    assert _mm(_docx(FULL).sections[0].page_height) == pytest.approx(297, abs=0.1)


def test_docx_certificate_is_landscape_framed_and_centred() -> None:
    word = _docx(CERTIFICATE)
    section = word.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert _mm(section.page_width) > _mm(section.page_height)
    assert section._sectPr.find(qn("w:pgBorders")) is not None
    name = _paragraph(word, VIETNAMESE)
    assert name.style.name == "Heading 2"
    assert name.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "Page" not in section.footer._element.xml
    assert word.inline_shapes  # the logo, centred above the title


def test_docx_unreadable_logo_is_a_known_error() -> None:
    with pytest.raises(LogoError):
        write_docx(FULL, Letterhead("Practice", logo=b"\x89PNG broken"))


@pytest.mark.parametrize("document", [FULL, CERTIFICATE], ids=["standard", "certificate"])
def test_same_words_in_both_formats(document: Document) -> None:
    expected = _words(document.text())
    pdf_words = _words("\n".join(_pages(_pdf(document))))
    docx_words = _words(_docx_text(_docx(document)))
    assert expected - pdf_words == set()
    assert expected - docx_words == set()
