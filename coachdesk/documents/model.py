"""The one document structure both writers read, so the PDF and the DOCX cannot drift.

A template renders to CoachDesk's small document markup; `markup.parse` turns
that into a `Document` of blocks; `pdf.write_pdf` and `docx.write_docx` lay the
same blocks out on paper.  The structure is stored with each generated
document (as JSON), so a saved document can be exported again in either format
exactly as it was made.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one look."""

    text: str
    bold: bool = False
    italic: bool = False


Inline = tuple[Span, ...]


def plain(spans: Inline) -> str:
    """The text of `spans` without styling."""
    return "".join(span.text for span in spans)


class Align(enum.StrEnum):
    """Horizontal alignment of a paragraph."""

    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class Tone(enum.StrEnum):
    """How prominent a paragraph is."""

    BODY = "body"
    LEAD = "lead"  # larger introductory text
    MUTED = "muted"  # grey secondary text
    SMALL = "small"  # fine print


class Check(enum.StrEnum):
    """A list item's tick box, if it has one."""

    NONE = "none"
    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Heading:
    """A section heading; level 1 is the document's main title."""

    level: int
    text: Inline


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Running text."""

    text: Inline
    align: Align = Align.LEFT
    tone: Tone = Tone.BODY


@dataclass(frozen=True, slots=True)
class ListItem:
    """One entry of a list."""

    text: Inline
    check: Check = Check.NONE


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A bulleted or numbered list."""

    items: tuple[ListItem, ...]
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A table whose header row repeats when it breaks across pages.

    `widths` are relative column widths (any positive numbers); empty means equal.
    """

    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    widths: tuple[float, ...] = ()

    @property
    def columns(self) -> int:
        """The number of columns (the widest row decides)."""
        return max([len(self.header), *(len(row) for row in self.rows)], default=0)


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled answer; an empty value leaves `lines` ruled lines to write on."""

    label: str
    value: Inline = ()
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress bar, 0 to 100 per cent, with a label."""

    label: str
    percent: int


@dataclass(frozen=True, slots=True)
class Signature:
    """A line to sign on, with the signer's name and role under it."""

    name: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """A horizontal line."""


@dataclass(frozen=True, slots=True)
class Spacer:
    """Vertical space, in lines."""

    lines: float = 1.0


@dataclass(frozen=True, slots=True)
class PageBreak:
    """Start a new page."""


Block = (
    Heading
    | Paragraph
    | ListBlock
    | Table
    | Field
    | Progress
    | Signature
    | Rule
    | Spacer
    | PageBreak
)


class Layout(enum.StrEnum):
    """The page design."""

    STANDARD = "standard"  # letterhead header, page-numbered footer
    CERTIFICATE = "certificate"  # landscape, framed, centred, no running header


@dataclass(frozen=True, slots=True)
class Document:
    """A document ready to be written as PDF or DOCX.

    Args:
        title: the document's title (PDF and DOCX metadata, e-mail subject default).
        blocks: the content, in order.
        layout: the page design.
        author: who the document is from (the coach).
        subject: who or what it is about (usually the client's name).
    """

    title: str
    blocks: tuple[Block, ...]
    layout: Layout = Layout.STANDARD
    author: str = ""
    subject: str = ""

    def text(self) -> str:
        """All the document's words, one block per line (for search and tests)."""
        lines: list[str] = []
        for block in self.blocks:
            match block:
                case Heading(text=spans) | Paragraph(text=spans):
                    lines.append(plain(spans))
                case ListBlock(items=items):
                    lines.extend(plain(item.text) for item in items)
                case Table(header=header, rows=rows):
                    for row in (header, *rows):
                        lines.append(" | ".join(plain(cell) for cell in row))
                case Field(label=label, value=value):
                    lines.append(f"{label}: {plain(value)}")
                case Progress(label=label, percent=percent):
                    lines.append(f"{label}: {percent}%")
                case Signature(name=name, role=role):
                    lines.append(f"{name} {role}".strip())
        return "\n".join(line for line in lines if line)


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What the running header and footer show: the practice's name and logo."""

    practice_name: str
    coach_name: str = ""
    logo: bytes | None = field(default=None, repr=False)


# JSON form -----------------------------------------------------------------

_KINDS: dict[str, type] = {
    "heading": Heading,
    "paragraph": Paragraph,
    "list": ListBlock,
    "table": Table,
    "field": Field,
    "progress": Progress,
    "signature": Signature,
    "rule": Rule,
    "spacer": Spacer,
    "page_break": PageBreak,
}
_KIND_OF = {cls: kind for kind, cls in _KINDS.items()}


def _spans_out(spans: Inline) -> list[list[Any]]:
    return [[s.text, s.bold, s.italic] for s in spans]


def _spans_in(data: list[list[Any]]) -> Inline:
    return tuple(Span(str(text), bool(bold), bool(italic)) for text, bold, italic in data)


def _block_out(block: Block) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": _KIND_OF[type(block)]}
    match block:
        case Heading(level=level, text=text):
            out |= {"level": level, "text": _spans_out(text)}
        case Paragraph(text=text, align=align, tone=tone):
            out |= {"text": _spans_out(text), "align": str(align), "tone": str(tone)}
        case ListBlock(items=items, ordered=ordered):
            out |= {
                "ordered": ordered,
                "items": [{"text": _spans_out(i.text), "check": str(i.check)} for i in items],
            }
        case Table(header=header, rows=rows, widths=widths):
            out |= {
                "header": [_spans_out(c) for c in header],
                "rows": [[_spans_out(c) for c in row] for row in rows],
                "widths": list(widths),
            }
        case Field(label=label, value=value, lines=lines):
            out |= {"label": label, "value": _spans_out(value), "lines": lines}
        case Progress(label=label, percent=percent):
            out |= {"label": label, "percent": percent}
        case Signature(name=name, role=role):
            out |= {"name": name, "role": role}
        case Spacer(lines=lines):
            out |= {"lines": lines}
    return out


def _block_in(data: dict[str, Any]) -> Block:
    kind = data["kind"]
    match kind:
        case "heading":
            return Heading(int(data["level"]), _spans_in(data["text"]))
        case "paragraph":
            return Paragraph(_spans_in(data["text"]), Align(data["align"]), Tone(data["tone"]))
        case "list":
            items = tuple(ListItem(_spans_in(i["text"]), Check(i["check"])) for i in data["items"])
            return ListBlock(items, bool(data["ordered"]))
        case "table":
            return Table(
                tuple(_spans_in(c) for c in data["header"]),
                tuple(tuple(_spans_in(c) for c in row) for row in data["rows"]),
                tuple(float(w) for w in data["widths"]),
            )
        case "field":
            return Field(str(data["label"]), _spans_in(data["value"]), int(data["lines"]))
        case "progress":
            return Progress(str(data["label"]), int(data["percent"]))
        case "signature":
            return Signature(str(data["name"]), str(data["role"]))
        case "rule":
            return Rule()
        case "spacer":
            return Spacer(float(data["lines"]))
        case "page_break":
            return PageBreak()
    raise ValueError(f"unknown block kind {kind!r}")


def to_json(document: Document) -> str:
    """The document as JSON (stored with each generated document)."""
    return json.dumps(
        {
            "title": document.title,
            "layout": str(document.layout),
            "author": document.author,
            "subject": document.subject,
            "blocks": [_block_out(b) for b in document.blocks],
        },
        ensure_ascii=False,
    )


def from_json(text: str) -> Document:
    """The document `to_json` wrote."""
    data = json.loads(text)
    return Document(
        title=str(data["title"]),
        blocks=tuple(_block_in(b) for b in data["blocks"]),
        layout=Layout(data["layout"]),
        author=str(data["author"]),
        subject=str(data["subject"]),
    )
