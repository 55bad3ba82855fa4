"""CoachDesk's document markup: what a template writes, parsed into a `Document`.

The markup is a small, strict subset of HTML, so a coach who has seen a web page
can read a template, and autoescaping keeps client data from ever becoming a
tag.  The tags:

    <document title="…" layout="standard|certificate">   (optional, wraps all)
    <h1> <h2> <h3>                                       headings
    <p align="left|center|right" tone="body|lead|muted|small">  a paragraph
    <b> <strong> <i> <em> <br>                           inside text
    <ul> <ol> <li check="open|done">                     lists, tick boxes
    <table widths="3,1,1"> <tr> <th> <td>                tables (th rows repeat)
    <field label="…" lines="3">value</field>             an answer, or lines to write on
    <progress label="…" percent="60">                    a progress bar
    <signature name="…" role="…">                        a line to sign on
    <hr> <spacer lines="2"> <pagebreak>
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from coachdesk.documents.model import (
    Align,
    Block,
    Check,
    Document,
    Field,
    Heading,
    Inline,
    Layout,
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

INLINE = {"b", "strong", "i", "em", "br"}
VOID = {"br", "hr", "progress", "signature", "spacer", "pagebreak"}
TEXT_BLOCKS = {"h1", "h2", "h3", "p", "li", "th", "td", "field"}
KNOWN = INLINE | VOID | TEXT_BLOCKS | {"document", "ul", "ol", "table", "tr", "thead", "tbody"}
MAX_BLOCKS = 20_000
_SPACE = re.compile(r"\s+")


class MarkupError(KnownError):
    """The filled-in template is not valid document markup.

    Args:
        message: what is wrong.
        tag: the tag at fault, if any (so the caller can find its template line).
    """

    def __init__(self, message: str, tag: str = "") -> None:
        super().__init__(message)
        self.tag = tag


@dataclass
class _Text:
    """Inline text being collected for one block."""

    spans: list[Span] = field(default_factory=list)
    bold: int = 0
    italic: int = 0

    def add(self, text: str) -> None:
        text = _SPACE.sub(" ", text)
        if text:
            self.spans.append(Span(text, self.bold > 0, self.italic > 0))

    def line_break(self) -> None:
        self.spans.append(Span("\n", self.bold > 0, self.italic > 0))

    def finish(self) -> Inline:
        """Merge neighbouring runs, trim the ends and the spaces around breaks."""
        merged: list[Span] = []
        for span in self.spans:
            if merged and (merged[-1].bold, merged[-1].italic) == (span.bold, span.italic):
                merged[-1] = Span(merged[-1].text + span.text, span.bold, span.italic)
            else:
                merged.append(span)
        cleaned = [
            Span(s.text.replace(" \n", "\n").replace("\n ", "\n"), s.bold, s.italic) for s in merged
        ]
        if cleaned:
            cleaned[0] = Span(cleaned[0].text.lstrip(), cleaned[0].bold, cleaned[0].italic)
            cleaned[-1] = Span(cleaned[-1].text.rstrip(), cleaned[-1].bold, cleaned[-1].italic)
        return tuple(s for s in cleaned if s.text)


def _number(value: str | None, tag: str, name: str, low: float, high: float) -> float:
    try:
        number = float(value or "")
    except ValueError:
        raise MarkupError(
            f'<{tag}> needs {name}="…" to be a number, not "{value or ""}".', tag
        ) from None
    if not low <= number <= high:
        raise MarkupError(f"<{tag}> {name} must be between {low:g} and {high:g}.", tag)
    return number


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self.layout = Layout.STANDARD
        self._open: list[tuple[str, dict[str, str]]] = []
        self._text: _Text | None = None
        self._items: list[ListItem] = []
        self._ordered = False
        self._rows: list[tuple[Inline, ...]] = []
        self._header: tuple[Inline, ...] = ()
        self._cells: list[Inline] = []
        self._row_is_header = False
        self._widths: tuple[float, ...] = ()

    # -- helpers --------------------------------------------------------------

    def _inside(self, *tags: str) -> bool:
        return any(tag in tags for tag, _ in self._open)

    def _emit(self, block: Block) -> None:
        if len(self.blocks) >= MAX_BLOCKS:
            raise MarkupError("The document has too many parts; is a loop running too often?")
        self.blocks.append(block)

    def _require_parent(self, tag: str, parents: tuple[str, ...]) -> None:
        parent = self._open[-1][0] if self._open else ""
        if parent not in parents:
            where = " or ".join(f"<{p}>" for p in parents)
            raise MarkupError(f"<{tag}> must be directly inside {where}.", tag)

    # -- parser callbacks ---------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag not in KNOWN:
            raise MarkupError(f"<{tag}> is not a tag CoachDesk documents know.", tag)
        if tag in INLINE:
            if self._text is None:
                self._text = _Text()
            if tag == "br":
                self._text.line_break()
            elif tag in ("b", "strong"):
                self._text.bold += 1
            else:
                self._text.italic += 1
            if tag != "br":
                self._open.append((tag, attributes))
            return
        if self._text is not None and tag not in VOID:
            if self._open and self._open[-1][0] in TEXT_BLOCKS:
                raise MarkupError(f"<{tag}> cannot go inside <{self._open[-1][0]}>.", tag)
            self._flush_loose_text()
        if tag in VOID:
            self._void(tag, attributes)
            return
        self._start_container(tag, attributes)
        self._open.append((tag, attributes))

    def _start_container(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == "document":
            if self._open or self.blocks:
                raise MarkupError("<document> must wrap the whole document.", tag)
            self.title = attributes.get("title", "").strip()
            layout = attributes.get("layout", "standard")
            if layout not in set(Layout):
                raise MarkupError('<document> layout must be "standard" or "certificate".', tag)
            self.layout = Layout(layout)
        elif tag in ("ul", "ol"):
            if self._inside("ul", "ol", "table"):
                raise MarkupError(f"<{tag}> cannot go inside another list or a table.", tag)
            self._items, self._ordered = [], tag == "ol"
        elif tag == "li":
            self._require_parent(tag, ("ul", "ol"))
            self._text = _Text()
        elif tag == "table":
            if self._inside("table", "ul", "ol"):
                raise MarkupError("<table> cannot go inside a list or another table.", tag)
            self._rows, self._header = [], ()
            widths = attributes.get("widths", "").strip()
            self._widths = (
                tuple(_number(w, tag, "widths", 0.01, 1000) for w in widths.split(","))
                if widths
                else ()
            )
        elif tag in ("thead", "tbody"):
            self._require_parent(tag, ("table",))
        elif tag == "tr":
            self._require_parent(tag, ("table", "thead", "tbody"))
            self._cells, self._row_is_header = [], False
        elif tag in ("th", "td"):
            self._require_parent(tag, ("tr",))
            self._row_is_header = self._row_is_header or tag == "th"
            self._text = _Text()
        else:  # h1-h3, p, field
            if self._inside(*TEXT_BLOCKS, "ul", "ol", "table"):
                raise MarkupError(f"<{tag}> cannot go inside <{self._open[-1][0]}>.", tag)
            self._text = _Text()

    def _void(self, tag: str, attributes: dict[str, str]) -> None:
        if self._inside("ul", "ol", "table"):
            raise MarkupError(f"<{tag}> cannot go inside a list or a table.", tag)
        if tag == "hr":
            self._emit(Rule())
        elif tag == "pagebreak":
            self._emit(PageBreak())
        elif tag == "spacer":
            self._emit(Spacer(_number(attributes.get("lines", "1"), tag, "lines", 0, 40)))
        elif tag == "progress":
            percent = _number(attributes.get("percent"), tag, "percent", 0, 100)
            self._emit(Progress(attributes.get("label", ""), round(percent)))
        elif tag == "signature":
            self._emit(Signature(attributes.get("name", ""), attributes.get("role", "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag not in KNOWN:
            raise MarkupError(f"</{tag}> closes a tag CoachDesk documents do not know.", tag)
        if not self._open or self._open[-1][0] != tag:
            expected = f"</{self._open[-1][0]}>" if self._open else "nothing"
            raise MarkupError(
                f"</{tag}> closes a tag that is not open here ({expected} was expected).", tag
            )
        _, attributes = self._open.pop()
        if tag in ("b", "strong") and self._text is not None:
            self._text.bold -= 1
        elif tag in ("i", "em") and self._text is not None:
            self._text.italic -= 1
        elif tag in TEXT_BLOCKS:
            self._end_text_block(tag, attributes)
        elif tag in ("ul", "ol"):
            self._emit(ListBlock(tuple(self._items), self._ordered))
        elif tag == "tr":
            if self._row_is_header and not self._rows and not self._header:
                self._header = tuple(self._cells)
            else:
                self._rows.append(tuple(self._cells))
        elif tag == "table":
            self._emit(Table(self._header, tuple(self._rows), self._widths))

    def _end_text_block(self, tag: str, attributes: dict[str, str]) -> None:
        spans = self._text.finish() if self._text else ()
        self._text = None
        if tag in ("h1", "h2", "h3"):
            self._emit(Heading(int(tag[1]), spans))
            if tag == "h1" and not self.title:
                self.title = "".join(s.text for s in spans)
        elif tag == "p":
            align, tone = attributes.get("align", "left"), attributes.get("tone", "body")
            if align not in set(Align):
                raise MarkupError(f'<p> align must be left, center or right, not "{align}".', tag)
            if tone not in set(Tone):
                raise MarkupError(
                    f'<p> tone must be body, lead, muted or small, not "{tone}".', tag
                )
            self._emit(Paragraph(spans, Align(align), Tone(tone)))
        elif tag == "li":
            check = attributes.get("check", "none") or "none"
            if check not in set(Check):
                raise MarkupError(f'<li> check must be "open" or "done", not "{check}".', tag)
            self._items.append(ListItem(spans, Check(check)))
        elif tag in ("th", "td"):
            self._cells.append(spans)
        elif tag == "field":
            lines = round(_number(attributes.get("lines", "1"), tag, "lines", 1, 40))
            self._emit(Field(attributes.get("label", ""), spans, lines))

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.add(data)
        elif data.strip():
            if self._open and self._open[-1][0] in ("ul", "ol", "table", "tr", "thead", "tbody"):
                raise MarkupError(
                    f'Text "{data.strip()[:40]}" must be inside a cell or list item, '
                    f"not directly in <{self._open[-1][0]}>.",
                    self._open[-1][0],
                )
            self._text = _Text()
            self._text.add(data)

    def _flush_loose_text(self) -> None:
        """Text written between blocks becomes a paragraph of its own."""
        if self._text is not None and not self._inside(*TEXT_BLOCKS):
            spans = self._text.finish()
            self._text = None
            if spans:
                self._emit(Paragraph(spans))

    def finish(self) -> None:
        self._flush_loose_text()
        for tag, _ in reversed(self._open):
            if tag != "document":
                raise MarkupError(f"<{tag}> is never closed.", tag)


def parse(markup: str, author: str = "", subject: str = "") -> Document:
    """The document a filled-in template describes.

    Raises:
        MarkupError: an unknown tag, a tag in the wrong place, or a bad attribute.
    """
    parser = _Parser()
    parser.feed(markup)
    parser.close()
    parser.finish()
    return Document(
        title=parser.title or "Document",
        blocks=tuple(parser.blocks),
        layout=parser.layout,
        author=author,
        subject=subject,
    )
