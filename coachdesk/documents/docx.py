"""The DOCX writer: the same `Document` as an editable Word file, with python-docx.

Word's own styles carry the look (Heading 1 to 3, List Bullet, List Number, a few
CoachDesk paragraph styles based on Normal), so a coach who edits the file in
Word or LibreOffice keeps a consistent document.  Text goes into runs as it is;
only characters XML cannot hold are dropped.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import docx
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Emu, Length, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table as WordTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph as WordParagraph
from PIL import Image

from coachdesk.documents.model import (
    Align,
    Block,
    Check,
    Document,
    Field,
    Heading,
    Inline,
    Layout,
    Letterhead,
    ListBlock,
    PageBreak,
    Paragraph,
    Progress,
    Rule,
    Signature,
    Spacer,
    Table,
    Tone,
)
from coachdesk.documents.pdf import CREATOR, LogoError

FONT = "Calibri"  # LibreOffice substitutes the metric-compatible Carlito
SYMBOL_FONT = "Segoe UI Symbol"  # has the tick boxes; other systems fall back
PAPERS: dict[str, tuple[Length, Length]] = {
    "A4": (Mm(210), Mm(297)),
    "LETTER": (Mm(215.9), Mm(279.4)),
}

_INK = RGBColor(0x22, 0x26, 0x2B)
_ACCENT = RGBColor(0x1F, 0x4E, 0x70)
_MUTED = RGBColor(0x68, 0x71, 0x7A)
_HAIR = "D6DBE1"
_WRITE_LINE = "B0B8C0"
_TINT = "E8EFF5"
_TRACK = "E2E7EC"

_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ALIGN = {
    Align.LEFT: WD_ALIGN_PARAGRAPH.LEFT,
    Align.CENTER: WD_ALIGN_PARAGRAPH.CENTER,
    Align.RIGHT: WD_ALIGN_PARAGRAPH.RIGHT,
}
_BOX = {Check.OPEN: "\u2610", Check.DONE: "\u2611"}

# What may follow an element in its parent, in schema order (WordprocessingML is picky).
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
_AFTER_CONTEXTUAL = _AFTER_PBDR[_AFTER_PBDR.index("w:mirrorIndents") :]
_AFTER_TC_SHD = (
    "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
)  # fmt: skip
_AFTER_TBL_BORDERS = (
    "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription",
    "w:tblPrChange",
)  # fmt: skip
_AFTER_VALIGN = (
    "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid",
    "w:printerSettings", "w:sectPrChange",
)  # fmt: skip
_AFTER_PG_BORDERS = (
    "w:lnNumType",
    "w:pgNumType",
    "w:cols",
    "w:formProt",
    "w:vAlign",
    *_AFTER_VALIGN,
)


def write_docx(document: Document, letterhead: Letterhead, paper: str = "A4") -> bytes:
    """`document` as a DOCX on `paper` ("A4" or "Letter"), with `letterhead` on every page.

    Raises:
        LogoError: the letterhead's logo is not a readable PNG or JPEG image.
    """
    writer = _Writer(document, letterhead, paper)
    writer.render()
    out = io.BytesIO()
    writer.doc.save(out)
    return out.getvalue()


def _clean(text: str) -> str:
    """`text` with composed accents, plain newlines and nothing XML cannot hold."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _UNWRITABLE.sub("", text)


def _element(tag: str, **attributes: str) -> BaseOxmlElement:
    element: BaseOxmlElement = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _border(paragraph: WordParagraph, side: str, color: str, size: int = 4, space: int = 1) -> None:
    """A line along one side of `paragraph` (size in eighths of a point)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = _element("w:pBdr")
        p_pr.insert_element_before(borders, *_AFTER_PBDR)
    borders.append(_element(f"w:{side}", val="single", sz=str(size), space=str(space), color=color))


def _shade(cell: _Cell, fill: str) -> None:
    shading = _element("w:shd", val="clear", color="auto", fill=fill)
    cell._tc.get_or_add_tcPr().insert_element_before(shading, *_AFTER_TC_SHD)


def _field_code(paragraph: WordParagraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the word processor fills in."""
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="begin"))
    instruction = _element("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = f" {code} "
    paragraph.add_run()._r.append(instruction)
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="separate"))
    paragraph.add_run("1")
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="end"))


class _Writer:
    """One document being written.

    Args:
        document: what to write.
        letterhead: the practice name and logo for the header and footer.
        paper: "A4" or "Letter".
    """

    def __init__(self, document: Document, letterhead: Letterhead, paper: str) -> None:
        try:
            self.paper = PAPERS[paper.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown paper size {paper!r}; use A4 or Letter") from None
        self.document = document
        self.letterhead = letterhead
        self.certificate = document.layout is Layout.CERTIFICATE
        self.logo = self._read_logo(letterhead.logo)
        self.doc: WordDocument = docx.Document()
        self.section: Section = self.doc.sections[0]
        self.content_width = Emu(0)

    # setup ---------------------------------------------------------------

    def _read_logo(self, logo: bytes | None) -> tuple[bytes, float] | None:
        """The logo as PNG or JPEG bytes and its width-to-height ratio, or None."""
        if not logo:
            return None
        try:
            with Image.open(io.BytesIO(logo)) as image:
                width, height = image.size
                if image.format not in {"PNG", "JPEG"}:  # Word takes these everywhere
                    converted = io.BytesIO()
                    image.save(converted, "PNG")
                    logo = converted.getvalue()
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise LogoError(
                "The practice logo cannot be read as an image. "
                "Choose a PNG or JPEG logo in the practice profile."
            ) from error
        return logo, width / max(height, 1)

    def _logo_size(self, max_height: float, max_width: float) -> tuple[Length, Length]:
        assert self.logo is not None
        ratio = self.logo[1]
        height = min(max_height, max_width / ratio)
        return Mm(height * ratio), Mm(height)

    def _page(self) -> None:
        section = self.section
        width, height = self.paper
        if self.certificate:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = height, width
            section.left_margin = section.right_margin = Mm(30)
            section.top_margin = section.bottom_margin = Mm(24)
            self._page_border(section)
        else:
            section.orientation = WD_ORIENT.PORTRAIT
            section.page_width, section.page_height = width, height
            section.left_margin = section.right_margin = Mm(22)
            section.top_margin = Mm(34)
            section.bottom_margin = Mm(24)
            section.header_distance = Mm(12)
            section.footer_distance = Mm(10)
        self.content_width = Emu(section.page_width - section.left_margin - section.right_margin)

    def _page_border(self, section: Section) -> None:
        """A double frame round the page, and the content centred top to bottom."""
        sect_pr = section._sectPr
        borders = _element("w:pgBorders", offsetFrom="page")
        for side in ("top", "left", "bottom", "right"):
            borders.append(
                _element(f"w:{side}", val="double", sz="6", space="24", color=str(_ACCENT))
            )
        sect_pr.insert_element_before(borders, *_AFTER_PG_BORDERS)
        sect_pr.insert_element_before(_element("w:vAlign", val="center"), *_AFTER_VALIGN)

    def _styles(self) -> None:
        styles = self.doc.styles
        big = self.certificate
        normal = styles["Normal"]
        assert isinstance(normal, ParagraphStyle)
        self._font(normal, 13 if big else 10.5, _INK)
        normal.paragraph_format.space_after = Pt(8 if big else 6)
        normal.paragraph_format.line_spacing = 1.15
        for level, size, color, before, after in (
            (1, 34 if big else 20, _ACCENT, 0 if big else 6, 14 if big else 8),
            (2, 26 if big else 14, _INK if big else _ACCENT, 12 if big else 16, 10 if big else 4),
            (3, 16 if big else 11.5, _ACCENT if big else _INK, 10, 3),
        ):
            heading = styles[f"Heading {level}"]
            assert isinstance(heading, ParagraphStyle)
            self._font(heading, size, color, bold=True)
            heading.paragraph_format.space_before = Pt(before)
            heading.paragraph_format.space_after = Pt(after)
        self._add_style("Lead", 16 if big else 12.5, _INK)
        self._add_style("Muted", 13 if big else 10, _MUTED)
        self._add_style("Fine Print", 10.5 if big else 8.5, _MUTED)
        label = self._add_style("Field Label", 9.5 if big else 8.5, _MUTED)
        label.paragraph_format.space_after = Pt(1)
        label.paragraph_format.keep_with_next = True
        cell = self._add_style("Table Text", 11 if big else 9.5, _INK)
        cell.paragraph_format.space_before = Pt(2)
        cell.paragraph_format.space_after = Pt(2)
        cell.paragraph_format.line_spacing = 1.0
        for name in ("Header", "Footer"):
            style = styles[name]
            assert isinstance(style, ParagraphStyle)
            stops = style.paragraph_format.tab_stops
            stops.clear_all()
            stops.add_tab_stop(self.content_width, WD_TAB_ALIGNMENT.RIGHT)

    def _font(
        self, style: ParagraphStyle, size: float, color: RGBColor, bold: bool = False
    ) -> None:
        """Give `style` Calibri in `size` points (overriding the template's theme fonts)."""
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{theme}"), None)
        for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{slot}"), FONT)
        style.font.size = Pt(size)
        style.font.color.rgb = color
        style.font.bold = bold or None

    def _add_style(self, name: str, size: float, color: RGBColor) -> ParagraphStyle:
        style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        assert isinstance(style, ParagraphStyle)
        style.base_style = self.doc.styles["Normal"]
        style.quick_style = True
        self._font(style, size, color)
        return style

    def _properties(self) -> None:
        props = self.doc.core_properties
        author = _clean(self.document.author or self.letterhead.coach_name)
        now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
        props.title = _clean(self.document.title)
        props.subject = _clean(self.document.subject)
        props.author = author
        props.last_modified_by = author
        props.comments = f"Made with {CREATOR}"
        props.keywords = ""
        props.category = ""
        props.revision = 1
        props.created = now
        props.modified = now

    def _header_footer(self) -> None:
        """The letterhead above every page and the practice name and page number below."""
        header = self.section.header
        header.is_linked_to_previous = False
        name = _clean(self.letterhead.practice_name.strip())
        coach = _clean(self.letterhead.coach_name.strip())
        first = header.paragraphs[0]
        if self.logo:
            table = header.add_table(1, 2, self.content_width)
            first._p.addprevious(table._tbl)
            logo_cell, name_cell = table.rows[0].cells
            logo_width, logo_height = self._logo_size(14, 48)
            table.autofit = False
            logo_cell.width = table.columns[0].width = Emu(logo_width + Mm(4))
            name_cell.width = table.columns[1].width = Emu(self.content_width - logo_cell.width)
            picture = logo_cell.paragraphs[0]
            picture.paragraph_format.space_after = Pt(0)
            picture.add_run().add_picture(
                io.BytesIO(self.logo[0]), width=logo_width, height=logo_height
            )
            name_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            lines = name_cell.paragraphs[0]
            lines.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        else:
            lines = header.add_paragraph()
            first._p.addprevious(lines._p)
        lines.paragraph_format.space_after = Pt(0)
        run = lines.add_run(name)
        run.bold = True
        run.font.size = Pt(11.5)
        if coach:
            run.add_break()
            small = lines.add_run(coach)
            small.font.size = Pt(8.5)
            small.font.color.rgb = _MUTED
        first.paragraph_format.space_after = Pt(0)
        first.paragraph_format.line_spacing = Pt(4)
        _border(first, "bottom", str(_ACCENT), size=6)

        footer = self.section.footer
        footer.is_linked_to_previous = False
        line = footer.paragraphs[0]
        _border(line, "top", _HAIR, size=4, space=6)
        for text in (name, "\t", "Page "):
            line.add_run(text)
        _field_code(line, "PAGE")
        line.add_run(" of ")
        _field_code(line, "NUMPAGES")
        for piece in line.runs:
            piece.font.size = Pt(8)
            piece.font.color.rgb = _MUTED

    # blocks --------------------------------------------------------------

    def render(self) -> None:
        """Write every block of the document."""
        self._page()
        self._styles()
        self._properties()
        if self.certificate:
            if self.logo:
                logo = self.doc.add_paragraph()
                logo.alignment = WD_ALIGN_PARAGRAPH.CENTER
                logo.paragraph_format.space_after = Pt(18)
                width, height = self._logo_size(20, 70)
                logo.add_run().add_picture(io.BytesIO(self.logo[0]), width=width, height=height)
        else:
            self._header_footer()
        blocks = self.document.blocks
        index = 0
        while index < len(blocks):
            group: list[Signature] = []
            while index < len(blocks) and isinstance(signature := blocks[index], Signature):
                group.append(signature)
                index += 1
            if group:
                self._signatures(group)
                continue
            self._block(blocks[index])
            index += 1

    def _block(self, block: Block) -> None:
        match block:
            case Heading(level=level, text=text):
                heading = self.doc.add_paragraph(style=f"Heading {min(max(level, 1), 3)}")
                self._runs(heading, text)
                self._align(heading, Align.LEFT)
            case Paragraph(text=text, align=align, tone=tone):
                style = {Tone.LEAD: "Lead", Tone.MUTED: "Muted", Tone.SMALL: "Fine Print"}
                paragraph = self.doc.add_paragraph(style=style.get(tone, "Normal"))
                self._runs(paragraph, text)
                self._align(paragraph, align)
            case ListBlock():
                self._list(block)
            case Table():
                self._table(block)
            case Field():
                self._field(block)
            case Progress():
                self._progress(block)
            case Rule():
                rule = self.doc.add_paragraph()
                rule.paragraph_format.line_spacing = Pt(6)
                rule.paragraph_format.space_after = Pt(10)
                _border(rule, "bottom", _HAIR)
            case Spacer(lines=lines):
                if lines > 0:
                    space = self.doc.add_paragraph()
                    space.paragraph_format.line_spacing = Pt(14 * lines)
                    space.paragraph_format.space_after = Pt(0)
            case PageBreak():
                self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            case Signature():
                self._signatures([block])

    def _align(self, paragraph: WordParagraph, align: Align) -> None:
        chosen = Align.CENTER if self.certificate else align
        if chosen is not Align.LEFT:
            paragraph.alignment = _ALIGN[chosen]

    def _runs(self, paragraph: WordParagraph, spans: Inline) -> None:
        for span in spans:
            run = paragraph.add_run(_clean(span.text))
            if span.bold:
                run.bold = True
            if span.italic:
                run.italic = True

    def _list(self, block: ListBlock) -> None:
        if not block.items:
            return
        checks = any(item.check is not Check.NONE for item in block.items)
        if block.ordered:
            style, number = "List Number", self._restart_numbering()
        else:
            style, number = ("List Paragraph" if checks else "List Bullet"), None
        for item in block.items:
            paragraph = self.doc.add_paragraph(style=style)
            if number is not None:
                num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                num_pr.get_or_add_ilvl().val = 0
                num_pr.get_or_add_numId().val = number
            if not block.ordered and checks:
                paragraph.paragraph_format.left_indent = Mm(7)
                paragraph.paragraph_format.first_line_indent = Mm(-7)
                paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(7))
            if item.check is not Check.NONE:
                box = paragraph.add_run(_BOX[item.check])
                box.font.name = SYMBOL_FONT
                box.font.color.rgb = _ACCENT
                paragraph.add_run("\t" if not block.ordered else " ")
            elif checks and not block.ordered:
                paragraph.add_run("\t")
            self._runs(paragraph, item.text)
            self._align(paragraph, Align.LEFT)
        # Space below the list, even before another list of the same style.
        paragraph.paragraph_format.space_after = Pt(8)
        contextual = _element("w:contextualSpacing", val="0")
        paragraph._p.get_or_add_pPr().insert_element_before(contextual, *_AFTER_CONTEXTUAL)

    def _restart_numbering(self) -> int:
        """A numbering instance of List Number's scheme that starts again at 1."""
        numbering = self.doc.part.numbering_part.element
        style = self.doc.styles["List Number"]
        style_num = style.element.pPr.numPr.numId.val
        abstract = numbering.num_having_numId(style_num).abstractNumId.val
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        return int(num.numId)

    def _table(self, block: Table) -> None:
        columns = block.columns
        if not columns:
            return
        weights = list(block.widths) if len(block.widths) == columns else []
        if not weights or min(weights) <= 0:
            weights = [1.0] * columns
        widths = [Emu(int(self.content_width * w / sum(weights))) for w in weights]
        rows = ([block.header] if block.header else []) + list(block.rows)
        # Setting the style id directly: python-docx's style lookup by name is slow per cell.
        text_style = self.doc.styles["Table Text"].style_id
        table = self.doc.add_table(rows=len(rows), cols=columns)
        table.autofit = False
        table.alignment = WD_TABLE_ALIGNMENT.CENTER if self.certificate else WD_TABLE_ALIGNMENT.LEFT
        self._table_borders(table)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        for index, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
            header = index == 0 and bool(block.header)
            row._tr.get_or_add_trPr().append(_element("w:tblHeader" if header else "w:cantSplit"))
            for column, cell in enumerate(row.cells):
                cell.width = widths[column]
                paragraph = cell.paragraphs[0]
                paragraph._p.style = text_style
                if column < len(values):
                    self._runs(paragraph, values[column])
                if header:
                    _shade(cell, _TINT)
                    for run in paragraph.runs:
                        run.bold = True
                        run.font.color.rgb = _ACCENT
        self._after_table()

    def _table_borders(self, table: WordTable) -> None:
        borders = _element("w:tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            if side in ("left", "right", "insideV"):
                borders.append(_element(f"w:{side}", val="nil"))
            else:
                borders.append(_element(f"w:{side}", val="single", sz="4", space="0", color=_HAIR))
        table._tbl.tblPr.insert_element_before(borders, *_AFTER_TBL_BORDERS)

    def _after_table(self) -> None:
        gap = self.doc.add_paragraph()
        gap.paragraph_format.space_after = Pt(4)
        gap.paragraph_format.line_spacing = Pt(6)

    def _field(self, block: Field) -> None:
        label = self.doc.add_paragraph(_clean(block.label), style="Field Label")
        self._align(label, Align.LEFT)
        if block.value:
            value = self.doc.add_paragraph()
            self._runs(value, block.value)
            self._align(value, Align.LEFT)
            if not self.certificate:
                _border(value, "bottom", _HAIR, space=2)
            value.paragraph_format.space_after = Pt(10)
            return
        count = max(1, block.lines)
        for index in range(count):
            line = self.doc.add_paragraph()
            line.paragraph_format.line_spacing = Pt(24)
            line.paragraph_format.space_after = Pt(0 if index < count - 1 else 10)
            line.paragraph_format.keep_with_next = index < count - 1
            # Word draws one border round paragraphs whose borders are alike, so the
            # lines between them are "between" borders.
            _border(line, "bottom", _WRITE_LINE)
            _border(line, "between", _WRITE_LINE)

    def _progress(self, block: Progress) -> None:
        label = self.doc.add_paragraph()
        label.paragraph_format.keep_with_next = True
        label.paragraph_format.space_after = Pt(2)
        label.paragraph_format.tab_stops.add_tab_stop(self.content_width, WD_TAB_ALIGNMENT.RIGHT)
        label.add_run(_clean(block.label))
        label.add_run("\t")
        percent = label.add_run(f"{block.percent}%")
        percent.bold = True
        percent.font.color.rgb = _ACCENT
        self._bar(min(max(block.percent, 0), 100))

    def _bar(self, percent: int) -> None:
        """A thin two-colour bar: one table row whose cells are shaded."""
        parts = [(percent, str(_ACCENT)), (100 - percent, _TRACK)]
        parts = [(share, fill) for share, fill in parts if share > 0]
        table = self.doc.add_table(rows=1, cols=len(parts))
        table.autofit = False
        row = table.rows[0]
        row.height = Pt(5)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        for cell, (share, fill) in zip(row.cells, parts, strict=True):
            cell.width = Emu(int(self.content_width * share / 100))
            _shade(cell, fill)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.paragraph_format.line_spacing = Pt(1)
        for column, (share, _) in zip(table.columns, parts, strict=True):
            column.width = Emu(int(self.content_width * share / 100))
        self._after_table()

    def _signatures(self, group: Sequence[Signature]) -> None:
        """Signature lines side by side: a borderless table, two (three on a certificate) a row."""
        per_row = 3 if self.certificate else 2
        gap = Mm(12)
        for start in range(0, len(group), per_row):
            row_group = group[start : start + per_row]
            width = Emu(min(Mm(78), (self.content_width - gap * (per_row - 1)) // per_row))
            columns = 2 * len(row_group) - 1
            table = self.doc.add_table(rows=1, cols=columns)
            table.autofit = False
            table.alignment = (
                WD_TABLE_ALIGNMENT.CENTER if self.certificate else WD_TABLE_ALIGNMENT.LEFT
            )
            cells = table.rows[0].cells
            for index, cell in enumerate(cells):
                cell.width = width if index % 2 == 0 else gap
                table.columns[index].width = cell.width
            for signature, cell in zip(row_group, cells[::2], strict=True):
                self._signature(cell, signature)
            self._after_table()

    def _signature(self, cell: _Cell, signature: Signature) -> None:
        align = WD_ALIGN_PARAGRAPH.CENTER if self.certificate else WD_ALIGN_PARAGRAPH.LEFT
        line = cell.paragraphs[0]
        line.paragraph_format.space_before = Pt(34)
        line.paragraph_format.space_after = Pt(3)
        line.paragraph_format.keep_with_next = True
        _border(line, "bottom", str(_INK), size=6, space=1)
        name = cell.add_paragraph(_clean(signature.name))
        name.paragraph_format.space_after = Pt(0)
        name.paragraph_format.keep_with_next = bool(signature.role)
        name.alignment = align
        if signature.role:
            role = cell.add_paragraph(_clean(signature.role), style="Fine Print")
            role.alignment = align
