"""The PDF writer: lays a `Document` out on A4 or Letter pages with fpdf2.

Text is broken into lines by this module and placed with fpdf2's `text()`,
which prints a string as it is: never through fpdf2's markdown or HTML modes,
and with the page-count alias switched off, so client text such as
`**not bold**`, `<b>` or `{nb}` appears exactly as written.  A first pass lays
the document out without drawing, which gives the "Page X of Y" total and the
height a certificate is centred by.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.fonts import TTFFont
from PIL import Image

from coachdesk.documents import fonts
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
from coachdesk.domain.errors import KnownError

CREATOR = "CoachDesk"
PAPERS: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "LETTER": (215.9, 279.4)}

_FAMILY = "sourcesans"
_PT = 25.4 / 72  # millimetres per point

RGB = tuple[int, int, int]
_INK: RGB = (34, 38, 43)
_ACCENT: RGB = (31, 78, 112)
_MUTED: RGB = (104, 113, 122)
_HAIR: RGB = (214, 219, 225)
_WRITE_LINE: RGB = (176, 184, 192)
_TINT: RGB = (232, 239, 245)
_TRACK: RGB = (226, 231, 236)
_WHITE: RGB = (255, 255, 255)

_PAD_X, _PAD_Y = 2.2, 1.7  # table cell padding
_FIELD_LINE = 8.5  # the distance between ruled lines to write on
_MISSING = "?"  # printed for a character the font does not have
_TOKENS = re.compile(r"\n| +|[^ \n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class LogoError(KnownError):
    """The practice logo cannot be read as an image."""


@dataclass(frozen=True, slots=True)
class _Style:
    """How one kind of text looks: size in points, line height as a factor of it."""

    size: float
    leading: float
    color: RGB = _INK
    bold: bool = False
    italic: bool = False

    @property
    def line(self) -> float:
        """The line height in millimetres."""
        return self.size * self.leading * _PT


@dataclass(frozen=True, slots=True)
class _Scale:
    """The type scale and spacing of one layout (millimetres unless noted)."""

    body: _Style
    lead: _Style
    muted: _Style
    small: _Style
    h1: _Style
    h2: _Style
    h3: _Style
    label: _Style
    cell: _Style
    head_cell: _Style
    before_heading: tuple[float, float, float]
    after_heading: tuple[float, float, float]
    after_block: float
    sign_space: float


_STANDARD = _Scale(
    body=_Style(10.5, 1.45),
    lead=_Style(12.5, 1.4),
    muted=_Style(10, 1.45, _MUTED),
    small=_Style(8.5, 1.4, _MUTED),
    h1=_Style(21, 1.2, _ACCENT, bold=True),
    h2=_Style(14, 1.25, _ACCENT, bold=True),
    h3=_Style(11.5, 1.3, _INK, bold=True),
    label=_Style(8.5, 1.3, _MUTED),
    cell=_Style(9.5, 1.35),
    head_cell=_Style(9, 1.35, _ACCENT, bold=True),
    before_heading=(8, 7, 5),
    after_heading=(4, 2.2, 1.5),
    after_block=3.2,
    sign_space=15,
)

_CERTIFICATE = _Scale(
    body=_Style(13, 1.45),
    lead=_Style(16, 1.4),
    muted=_Style(13, 1.45, _MUTED),
    small=_Style(10.5, 1.4, _MUTED),
    h1=_Style(34, 1.15, _ACCENT, bold=True),
    h2=_Style(26, 1.2, _INK, bold=True),
    h3=_Style(16, 1.3, _ACCENT, bold=True),
    label=_Style(9.5, 1.3, _MUTED),
    cell=_Style(11, 1.35),
    head_cell=_Style(10.5, 1.35, _ACCENT, bold=True),
    before_heading=(8, 7, 5),
    after_heading=(7, 6, 3),
    after_block=5.5,
    sign_space=16,
)


@dataclass(frozen=True, slots=True)
class _Piece:
    """Text in one font style, measured."""

    text: str
    style: str  # fpdf2's style letters: "", "B", "I" or "BI"
    width: float


_Line = list[_Piece]


def write_pdf(document: Document, letterhead: Letterhead, paper: str = "A4") -> bytes:
    """`document` as a PDF on `paper` ("A4" or "Letter"), with `letterhead` on every page.

    Raises:
        FontMissingError: the document font is not installed.
        LogoError: the letterhead's logo is not a readable PNG or JPEG image.
    """
    writer = _Writer(document, letterhead, paper)
    writer.render()
    return bytes(writer.output())


def page_size(paper: str) -> tuple[float, float]:
    """Portrait width and height of `paper` in millimetres."""
    try:
        return PAPERS[paper.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown paper size {paper!r}; use A4 or Letter") from None


def _clean(text: str) -> str:
    """`text` ready to print: composed accents, plain newlines, no control characters."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text.replace("\t", "    "))


def _style_key(bold: bool, italic: bool) -> str:
    return ("B" if bold else "") + ("I" if italic else "")


def _line_width(line: _Line) -> float:
    return sum(piece.width for piece in line)


class _Writer(FPDF):
    """One document being laid out; fpdf2 calls `header` and `footer` on each page.

    Args:
        document: what to write.
        letterhead: the practice name and logo for the running header and footer.
        paper: "A4" or "Letter".
    """

    def __init__(self, document: Document, letterhead: Letterhead, paper: str) -> None:
        self.certificate = document.layout is Layout.CERTIFICATE
        width, height = page_size(paper)
        super().__init__(
            orientation="L" if self.certificate else "P", unit="mm", format=(width, height)
        )
        self.document = document
        self.letterhead = letterhead
        self.scale = _CERTIFICATE if self.certificate else _STANDARD
        # Client text must never be read as the page-count alias: the total comes from a
        # first, measuring pass instead.
        self.str_alias_nb_pages = ""
        self.set_auto_page_break(False)
        self.set_title(_clean(document.title))
        self.set_author(_clean(document.author or letterhead.coach_name))
        self.set_subject(_clean(document.subject))
        self.set_creator(CREATOR)
        self.set_display_mode("fullwidth")
        self._wrapped: dict[tuple[Inline, _Style, float], list[_Line]] = {}
        self._coverage: dict[str, frozenset[str]] = {}
        self._logo = self._read_logo(letterhead.logo)
        side = 34.0 if self.certificate else 22.0
        self.set_margins(side, 20, side)
        self.content_width = self.w - 2 * side
        self.rule_y = 0.0
        self.top, self.bottom = self._body_limits()
        self.at_top = True  # nothing drawn on this page's body yet
        self.gap = 0.0  # the space the last block asked for after itself
        self.dry = False  # measuring pass: move the cursor, draw nothing
        self.pages_total = 1

    # pages ---------------------------------------------------------------

    def _read_logo(self, logo: bytes | None) -> tuple[io.BytesIO, float] | None:
        """The logo and its width-to-height ratio, or None without one."""
        if not logo:
            return None
        try:
            with Image.open(io.BytesIO(logo)) as image:
                width, height = image.size
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise LogoError(
                "The practice logo cannot be read as an image. "
                "Choose a PNG or JPEG logo in the practice profile."
            ) from error
        return io.BytesIO(logo), width / max(height, 1)

    def _logo_size(self, max_height: float, max_width: float) -> tuple[float, float]:
        assert self._logo is not None
        ratio = self._logo[1]
        height = min(max_height, max_width / ratio)
        return height * ratio, height

    def _body_limits(self) -> tuple[float, float]:
        if self.certificate:
            top = 27.0
            if self._logo:
                top += self._logo_size(20, 70)[1] + 8
            return top, self.h - 26
        name_lines = self._header_lines()
        text_height = len(name_lines) * self.scale.h3.line
        if self.letterhead.coach_name.strip():
            text_height += self.scale.small.line
        logo_height = self._logo_size(14, 48)[1] if self._logo else 0.0
        self.rule_y = 13 + max(logo_height, text_height) + 3.5
        return self.rule_y + 10, self.h - 24

    def _header_lines(self) -> list[_Line]:
        name = self.letterhead.practice_name.strip()
        if not name:
            return []
        room = self.content_width - (self._logo_size(14, 48)[0] + 10 if self._logo else 0)
        return self._wrap((Span(name),), self.scale.h3, room)[:2]

    def header(self) -> None:
        """The frame (certificate) or the letterhead (standard) of the new page."""
        if self.certificate:
            self._frame()
        else:
            self._letterhead()
        self.set_xy(self.l_margin, self.top)
        self.at_top = True

    def _frame(self) -> None:
        outer, inner = 9.0, 12.5
        self._rect(outer, outer, self.w - 2 * outer, self.h - 2 * outer, _ACCENT, 0.9)
        self._rect(inner, inner, self.w - 2 * inner, self.h - 2 * inner, _ACCENT, 0.25)
        if self._logo:
            width, height = self._logo_size(20, 70)
            self.image(self._logo[0], (self.w - width) / 2, 22, width, height)

    def _letterhead(self) -> None:
        top = 13.0
        name_lines = self._header_lines()
        h3, small = self.scale.h3, self.scale.small
        text_height = len(name_lines) * h3.line
        coach = _clean(self.letterhead.coach_name.strip())
        if coach:
            text_height += small.line
        logo_height = 0.0
        if self._logo:
            width, logo_height = self._logo_size(14, 48)
            self.image(self._logo[0], self.l_margin, top, width, logo_height)
        align = Align.RIGHT if self._logo else Align.LEFT
        y = top + max(0.0, (logo_height - text_height) / 2)
        for line in name_lines:
            self._draw_line(line, y, h3, align)
            y += h3.line
        if coach:
            self._draw_line(
                self._wrap((Span(coach),), small, self.content_width)[0], y, small, align
            )
        self._hline(self.l_margin, self.w - self.r_margin, self.rule_y, _ACCENT, 0.35)

    def footer(self) -> None:
        """The practice name and "Page X of Y" (standard layout only)."""
        if self.certificate:
            return
        rule_y = self.h - 16
        self._hline(self.l_margin, self.w - self.r_margin, rule_y, _HAIR, 0.2)
        small = _Style(8, 1.3, _MUTED)
        name = self.letterhead.practice_name.strip()
        if name:
            line = self._wrap((Span(name),), small, self.content_width * 0.6)[0]
            self._draw_line(line, rule_y + 2.5, small, Align.LEFT)
        number = f"Page {self.page_no()} of {self.pages_total}"
        self._draw_line(self._wrap((Span(number),), small, 60)[0], rule_y + 2.5, small, Align.RIGHT)

    def _new_page(self) -> None:
        if self.dry:
            self.pages_total += 1
            self.y = self.top
            self.at_top = True
        else:
            self.add_page()
        self.gap = 0.0

    def _ensure(self, height: float) -> None:
        """Start a new page unless `height` fits below the cursor (or the page is fresh)."""
        if self.y + height > self.bottom + 0.01 and not self.at_top:
            self._new_page()

    def _space(self, before: float) -> None:
        """Open a block: the larger of the last block's space after and `before`."""
        gap = max(self.gap, before)
        self.gap = 0.0
        if not self.at_top:
            self.y += gap

    # text ----------------------------------------------------------------

    def _font(self, style: str, size: float) -> TTFFont:
        key = _FAMILY + style
        if key not in self.fonts:
            self.add_font(_FAMILY, style, fonts.font_path(style))
        self.set_font(_FAMILY, style, size)
        font = self.fonts[key]
        assert isinstance(font, TTFFont)
        return font

    def _measure(self, text: str, style: str, size: float) -> float:
        return self._font(style, size).get_text_width(text, size, None)[1] * _PT

    def _covered(self, style: str) -> frozenset[str]:
        """The characters the font has in `style`."""
        if style not in self._coverage:
            self._coverage[style] = frozenset(map(chr, self._font(style, 10).cmap))
        return self._coverage[style]

    def _pieces(self, text: str, style: str, size: float) -> list[_Piece]:
        """`text` measured, in the faces that have its letters.

        The italic faces lack Greek and Cyrillic, which stay upright.  Letters no face
        has (Chinese, Arabic, emoji) print as "?": fpdf2 would drop them silently and
        log them, and the log never holds client text.
        """
        if self._covered(style).issuperset(text):
            runs = [(text, style)]
        else:
            upright = style.replace("I", "")
            runs = []
            for char in text:
                if char in self._covered(style):
                    key = style
                elif char in self._covered(upright):
                    key = upright
                else:
                    char, key = _MISSING, style
                if runs and runs[-1][1] == key:
                    runs[-1] = (runs[-1][0] + char, key)
                else:
                    runs.append((char, key))
        return [_Piece(part, key, self._measure(part, key, size)) for part, key in runs]

    def _tokens(self, spans: Inline, style: _Style) -> list[tuple[str, list[_Piece]]]:
        """Words (possibly in several styles), runs of spaces and newlines."""
        tokens: list[tuple[str, list[_Piece]]] = []
        joinable = False
        for span in spans:
            key = _style_key(style.bold or span.bold, style.italic or span.italic)
            for match in _TOKENS.finditer(_clean(span.text)):
                chunk = match.group()
                if chunk == "\n":
                    tokens.append(("newline", []))
                    joinable = False
                elif chunk[0] == " ":
                    tokens.append(("space", self._pieces(chunk, key, style.size)))
                    joinable = False
                elif joinable:
                    tokens[-1][1].extend(self._pieces(chunk, key, style.size))
                else:
                    tokens.append(("word", self._pieces(chunk, key, style.size)))
                    joinable = True
        return tokens

    def _wrap(self, spans: Inline, style: _Style, width: float) -> list[_Line]:
        """`spans` broken into lines no wider than `width` (at least one line)."""
        key = (spans, style, width)
        if key not in self._wrapped:
            self._wrapped[key] = self._break_lines(spans, style, width)
        return self._wrapped[key]

    def _break_lines(self, spans: Inline, style: _Style, width: float) -> list[_Line]:
        lines: list[_Line] = []
        line: _Line = []
        used = 0.0
        spaces: list[_Piece] = []
        for kind, pieces in self._tokens(spans, style):
            if kind == "newline":
                lines.append(line)
                line, used, spaces = [], 0.0, []
                continue
            if kind == "space":
                spaces.extend(pieces)
                continue
            space_width = _line_width(spaces)
            word_width = _line_width(pieces)
            if line and used + space_width + word_width > width:
                lines.append(line)
                line, used, spaces, space_width = [], 0.0, [], 0.0
            if word_width > width - used - space_width:
                line.extend(spaces)
                used += space_width
                for piece in self._split(pieces, width - used, width, style.size):
                    if line and used + piece.width > width + 0.01:
                        lines.append(line)
                        line, used = [], 0.0
                    line.append(piece)
                    used += piece.width
            else:
                line.extend(spaces)
                line.extend(pieces)
                used += space_width + word_width
            spaces = []
        lines.append(line)
        return lines

    def _split(self, pieces: list[_Piece], first: float, width: float, size: float) -> list[_Piece]:
        """A word too long for a line, cut into pieces that each fit (the first in `first`)."""
        out: list[_Piece] = []
        room = first if first > size * _PT else width
        for piece in pieces:
            chunk = ""
            chunk_width = 0.0
            for char in piece.text:
                char_width = self._measure(char, piece.style, size)
                if chunk and chunk_width + char_width > room:
                    out.append(_Piece(chunk, piece.style, chunk_width))
                    chunk, chunk_width, room = "", 0.0, width
                chunk += char
                chunk_width += char_width
            if chunk:
                out.append(_Piece(chunk, piece.style, chunk_width))
                room -= chunk_width
        return out

    def _draw_line(
        self,
        line: _Line,
        top: float,
        style: _Style,
        align: Align,
        x: float | None = None,
        width: float | None = None,
    ) -> None:
        """Print one line whose box starts at `top`."""
        left = self.l_margin if x is None else x
        room = self.content_width if width is None else width
        while line and not line[-1].text.strip():
            line = line[:-1]
        used = _line_width(line)
        if align is Align.CENTER:
            left += (room - used) / 2
        elif align is Align.RIGHT:
            left += room - used
        baseline = top + (style.line - 1.257 * style.size * _PT) / 2 + 0.984 * style.size * _PT
        self.at_top = False
        if self.dry:
            return
        self.set_text_color(*style.color)
        merged: list[_Piece] = []
        for piece in line:
            if merged and merged[-1].style == piece.style:
                last = merged[-1]
                merged[-1] = _Piece(last.text + piece.text, last.style, last.width + piece.width)
            else:
                merged.append(piece)
        for piece in merged:
            self._font(piece.style, style.size)
            self.text(left, baseline, piece.text)
            left += piece.width

    def _flow(
        self,
        lines: list[_Line],
        style: _Style,
        align: Align,
        x: float | None = None,
        width: float | None = None,
        keep: float = 0.0,
    ) -> None:
        """Print `lines` from the cursor down, across pages, never leaving one line alone.

        `keep` is extra height that must stay on the page with the first lines.
        """
        self._ensure(keep + min(len(lines), 2) * style.line)
        for index, line in enumerate(lines):
            # The last two lines of a paragraph go over together.
            need = style.line * (2 if len(lines) - index == 2 else 1)
            if index and self.y + need > self.bottom + 0.01:
                self._new_page()
            self._draw_line(line, self.y, style, align, x, width)
            self.y += style.line

    # drawing -------------------------------------------------------------

    def _hline(self, x1: float, x2: float, y: float, color: RGB, width: float) -> None:
        if self.dry:
            return
        self.set_draw_color(*color)
        self.set_line_width(width)
        self.line(x1, y, x2, y)

    def _rect(self, x: float, y: float, w: float, h: float, color: RGB, width: float) -> None:
        if self.dry:
            return
        self.set_draw_color(*color)
        self.set_line_width(width)
        self.rect(x, y, w, h, style="D")

    def _fill(self, x: float, y: float, w: float, h: float, color: RGB, radius: float = 0) -> None:
        if self.dry or w <= 0:
            return
        self.set_fill_color(*color)
        if radius:
            self.rect(x, y, w, h, style="F", round_corners=True, corner_radius=radius)
        else:
            self.rect(x, y, w, h, style="F")

    # blocks --------------------------------------------------------------

    def render(self) -> None:
        """Lay out every block: once to count pages (and measure a certificate), then for real."""
        blocks = self.document.blocks
        self.dry, self.pages_total = True, 1
        self.set_xy(self.l_margin, self.top)
        self._blocks(blocks)
        used = self.y - self.top
        self.dry = False
        self.gap = 0.0
        self.add_page()
        if self.certificate and self.pages_total == 1:
            self.y += max(0.0, (self.bottom - self.top - used) / 2)
        self._blocks(blocks)

    def _blocks(self, blocks: Sequence[Block]) -> None:
        index = 0
        while index < len(blocks):
            group: list[Signature] = []
            while index < len(blocks) and isinstance(signature := blocks[index], Signature):
                group.append(signature)
                index += 1
            if group:
                self._signatures(group)
                continue
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            self._block(blocks[index], following)
            index += 1

    def _block(self, block: Block, following: Block | None) -> None:
        match block:
            case Heading():
                self._heading(block, following)
            case Paragraph():
                self._paragraph(block)
            case ListBlock():
                self._list(block)
            case Table():
                self._table(block)
            case Field():
                self._field(block)
            case Progress():
                self._progress(block)
            case Rule():
                self._space(2)
                self._ensure(1)
                self._hline(self.l_margin, self.w - self.r_margin, self.y, _HAIR, 0.25)
                self.at_top = False
                self.gap = 4
            case Spacer(lines=lines):
                self._space(0)
                if not self.at_top:
                    self.y = min(self.bottom, self.y + max(0.0, lines) * self.scale.body.line)
            case PageBreak():
                if not self.at_top:
                    self._new_page()
            case Signature():
                self._signatures([block])

    def _align(self, align: Align) -> Align:
        return Align.CENTER if self.certificate else align

    def _lead_height(self, block: Block | None) -> float:
        """The height of what must stay on a page with a heading just above `block`."""
        scale, width = self.scale, self.content_width
        match block:
            case Paragraph(text=text, tone=tone):
                style = self._tone(tone)
                return min(2, len(self._wrap(text, style, width))) * style.line
            case Heading(level=level, text=text):
                style = self._heading_style(level)
                index = min(max(level, 1), 3) - 1
                return (
                    scale.before_heading[index]
                    + len(self._wrap(text, style, width)) * style.line
                    + scale.after_heading[index]
                    + 2 * scale.body.line
                )
            case ListBlock():
                return 2 * scale.body.line
            case Table():
                return 1 + self._table_lead(block)
            case Field(label=label, value=value, lines=lines):
                height = len(self._wrap((Span(label),), scale.label, width)) * scale.label.line
                if value:
                    value_lines = min(2, len(self._wrap(value, scale.body, width)))
                    return height + 0.6 + value_lines * scale.body.line
                return height + max(1, lines) * _FIELD_LINE
            case Progress():
                return scale.body.line + 4
            case Signature():
                return 2 + scale.sign_space + 1.5 + scale.body.line + scale.small.line
        return 0.0

    def _heading_style(self, level: int) -> _Style:
        return (self.scale.h1, self.scale.h2, self.scale.h3)[min(max(level, 1), 3) - 1]

    def _heading(self, block: Heading, following: Block | None) -> None:
        level = min(max(block.level, 1), 3)
        style = self._heading_style(level)
        self._space(self.scale.before_heading[level - 1])
        lines = self._wrap(block.text, style, self.content_width)
        keep = len(lines) * style.line + self.scale.after_heading[level - 1]
        self._ensure(keep + self._lead_height(following))
        self._flow(lines, style, self._align(Align.LEFT))
        self.gap = self.scale.after_heading[level - 1]

    def _tone(self, tone: Tone) -> _Style:
        scale = self.scale
        return {Tone.LEAD: scale.lead, Tone.MUTED: scale.muted, Tone.SMALL: scale.small}.get(
            tone, scale.body
        )

    def _paragraph(self, block: Paragraph) -> None:
        style = self._tone(block.tone)
        self._space(0)
        self._flow(
            self._wrap(block.text, style, self.content_width), style, self._align(block.align)
        )
        self.gap = self.scale.after_block + (1.2 if block.tone is Tone.LEAD else 0)

    def _list(self, block: ListBlock) -> None:
        style = self.scale.body
        size = style.size * _PT
        box = size * 0.95
        checks = any(item.check is not Check.NONE for item in block.items)
        if block.ordered:
            marker = self._measure(f"{len(block.items)}.", "", style.size)
            gutter = max(6.0, marker + 2.4)
        else:
            gutter = box + 2.8 if checks else 5.5
        if block.ordered and checks:
            gutter += box + 2.0
        self._space(0)
        for number, item in enumerate(block.items, start=1):
            x = self.l_margin + gutter
            width = self.content_width - gutter
            lines = self._wrap(item.text, style, width)
            self._ensure(min(len(lines), 2) * style.line)
            self._marker(block.ordered, number, item, gutter, box)
            self._flow(lines, style, self._align(Align.LEFT), x, width)
            self.y += 1.3
        self.gap = self.scale.after_block

    def _marker(
        self, ordered: bool, number: int, item: ListItem, gutter: float, box: float
    ) -> None:
        """The bullet, number and/or tick box in front of a list item's first line."""
        style = self.scale.body
        size = style.size * _PT
        centre = self.y + style.line / 2
        box_x = self.l_margin
        if ordered:
            label = f"{number}."
            line = [_Piece(label, "", self._measure(label, "", style.size))]
            text_room = gutter - (box + 2.0 if item.check is not Check.NONE else 0) - 2.2
            self._draw_line(line, self.y, style, Align.RIGHT, self.l_margin, text_room)
            box_x = self.l_margin + text_room + 2.0
        elif item.check is Check.NONE:
            dot = size * 0.3
            self._fill(self.l_margin + 0.8, centre - dot / 2 - 0.2, dot, dot, _ACCENT, dot / 2)
            return
        if item.check is Check.NONE:
            return
        top = centre - box / 2
        if self.dry:
            return
        if item.check is Check.DONE:
            self._fill(box_x, top, box, box, _ACCENT, 0.6)
            self.set_draw_color(*_WHITE)
            self.set_line_width(0.45)
            self.polyline(
                [
                    (box_x + box * 0.22, top + box * 0.53),
                    (box_x + box * 0.42, top + box * 0.73),
                    (box_x + box * 0.79, top + box * 0.29),
                ]
            )
        else:
            self.set_draw_color(*_MUTED)
            self.set_line_width(0.3)
            self.rect(box_x, top, box, box, style="D", round_corners=True, corner_radius=0.6)

    def _column_widths(self, table: Table) -> list[float]:
        columns = table.columns
        weights = list(table.widths) if len(table.widths) == columns else []
        if not weights or min(weights) <= 0:
            weights = [1.0] * columns
        return [self.content_width * w / sum(weights) for w in weights]

    def _wrap_row(
        self, row: tuple[Inline, ...], style: _Style, widths: list[float]
    ) -> list[list[_Line]]:
        """Each cell of `row` broken into lines (missing cells are empty)."""
        cells = list(row) + [()] * (len(widths) - len(row))
        return [
            self._wrap(text, style, width - 2 * _PAD_X)
            for text, width in zip(cells, widths, strict=True)
        ]

    def _row_height(self, row: list[list[_Line]], style: _Style) -> float:
        return max(len(lines) for lines in row) * style.line + 2 * _PAD_Y

    def _table_lead(self, table: Table) -> float:
        """The header and (up to three lines of) the first row, which start on one page."""
        if not table.columns:
            return 0.0
        widths = self._column_widths(table)
        cell, head = self.scale.cell, self.scale.head_cell
        lead = (
            self._row_height(self._wrap_row(table.header, head, widths), head)
            if table.header
            else 0.0
        )
        if table.rows:
            first = self._row_height(self._wrap_row(table.rows[0], cell, widths), cell)
            lead += min(first, 3 * cell.line + 2 * _PAD_Y)
        return lead

    def _table(self, table: Table) -> None:
        if not table.columns:
            return
        widths = self._column_widths(table)
        cell, head = self.scale.cell, self.scale.head_cell
        header = self._wrap_row(table.header, head, widths) if table.header else []
        head_height = self._row_height(header, head) if header else 0.0

        def draw_header() -> None:
            if not header:
                return
            self._fill(self.l_margin, self.y, self.content_width, head_height, _TINT)
            self._row_text(header, 0, None, head, widths)
            self.y += head_height

        self._space(1)
        self._ensure(self._table_lead(table))
        draw_header()
        for row in table.rows:
            lines = self._wrap_row(row, cell, widths)
            self._table_row(lines, widths, head_height, draw_header)
        self.gap = self.scale.after_block + 1.5

    def _table_row(
        self,
        row: list[list[_Line]],
        widths: list[float],
        head_height: float,
        draw_header: Callable[[], None],
    ) -> None:
        """One body row, split across pages only when it is taller than a page."""
        style = self.scale.cell
        offset = 0
        page_room = self.bottom - self.top - head_height
        while True:
            remaining = max(len(c) for c in row) - offset
            height = remaining * style.line + 2 * _PAD_Y
            room = self.bottom - self.y
            if height <= room + 0.01:
                self._row_text(row, offset, None, style, widths)
                self.y += height
                self._hline(self.l_margin, self.w - self.r_margin, self.y, _HAIR, 0.2)
                return
            fit = int((room - 2 * _PAD_Y) // style.line)
            if fit < 1 or (offset == 0 and height <= page_room):
                self._new_page()
                draw_header()
                continue
            self._row_text(row, offset, offset + fit, style, widths)
            offset += fit
            self._new_page()
            draw_header()

    def _row_text(
        self,
        row: list[list[_Line]],
        start: int,
        end: int | None,
        style: _Style,
        widths: list[float],
    ) -> None:
        x = self.l_margin
        for lines, width in zip(row, widths, strict=True):
            y = self.y + _PAD_Y
            for line in lines[start:end]:
                self._draw_line(line, y, style, Align.LEFT, x + _PAD_X, width - 2 * _PAD_X)
                y += style.line
            x += width
        self.at_top = False

    def _field(self, block: Field) -> None:
        label_style, style = self.scale.label, self.scale.body
        align = self._align(Align.LEFT)
        label = self._wrap((Span(block.label),), label_style, self.content_width)
        self._space(0.5)
        if block.value:
            lines = self._wrap(block.value, style, self.content_width)
            self._flow(label, label_style, align, keep=0.6 + min(len(lines), 2) * style.line)
            self.y += 0.6
            self._flow(lines, style, align)
            self.y += 1.2
            if not self.certificate:
                self._hline(self.l_margin, self.w - self.r_margin, self.y, _HAIR, 0.2)
        else:
            spacing = _FIELD_LINE
            count = max(1, block.lines)
            keep = min(count * spacing, self.bottom - self.top - len(label) * label_style.line)
            self._flow(label, label_style, align, keep=keep)
            for _ in range(count):
                if self.y + spacing > self.bottom + 0.01:
                    self._new_page()
                self.y += spacing
                self._hline(self.l_margin, self.w - self.r_margin, self.y, _WRITE_LINE, 0.25)
                self.at_top = False
        self.gap = 4.2

    def _progress(self, block: Progress) -> None:
        style = self.scale.body
        bar = 2.6
        percent = f"{block.percent}%"
        percent_width = self._measure(percent, "B", style.size)
        lines = self._wrap((Span(block.label),), style, self.content_width - percent_width - 6)
        self._space(0.5)
        self._ensure(len(lines) * style.line + 1.2 + bar)
        top = self.y
        self._flow(lines, style, Align.LEFT)
        number = _Style(style.size, style.leading, _ACCENT, bold=True)
        self._draw_line([_Piece(percent, "B", percent_width)], top, number, Align.RIGHT)
        self.y += 1.2
        filled = self.content_width * min(max(block.percent, 0), 100) / 100
        self._fill(self.l_margin, self.y, self.content_width, bar, _TRACK, bar / 2)
        if filled:
            self._fill(self.l_margin, self.y, max(filled, bar), bar, _ACCENT, bar / 2)
        self.y += bar
        self.gap = 5.0

    def _signatures(self, group: Sequence[Signature]) -> None:
        """Signature lines, side by side in rows of two (three on a certificate)."""
        per_row = 3 if self.certificate else 2
        body, small = self.scale.body, self.scale.small
        gap = 14.0
        for start in range(0, len(group), per_row):
            row = group[start : start + per_row]
            width = min(78.0, (self.content_width - gap * (per_row - 1)) / per_row)
            total = len(row) * width + (len(row) - 1) * gap
            left = self.l_margin + ((self.content_width - total) / 2 if self.certificate else 0)
            texts = [
                (
                    self._wrap((Span(s.name),), body, width),
                    self._wrap((Span(s.role),), small, width),
                )
                for s in row
            ]
            height = (
                self.scale.sign_space
                + 1.5
                + max(
                    len(n) * body.line + (len(r) * small.line if s.role else 0)
                    for (n, r), s in zip(texts, row, strict=True)
                )
            )
            self._space(2)
            self._ensure(height)
            line_y = self.y + self.scale.sign_space
            align = Align.CENTER if self.certificate else Align.LEFT
            for index, (signature, (names, roles)) in enumerate(zip(row, texts, strict=True)):
                x = left + index * (width + gap)
                self._hline(x, x + width, line_y, _INK, 0.3)
                y = line_y + 1.5
                for line in names:
                    self._draw_line(line, y, body, align, x, width)
                    y += body.line
                if signature.role:
                    for line in roles:
                        self._draw_line(line, y, small, align, x, width)
                        y += small.line
            self.y += height
            self.at_top = False
            self.gap = 6.0
