"""Templates' saved versions and the documents made from them, as the screens show them."""

from __future__ import annotations

import difflib
import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime


class TemplateOrigin(enum.StrEnum):
    """How a template version came to be."""

    BUILT_IN = "built-in"
    EDITED = "edited"
    REVERTED = "reverted"

    @property
    def label(self) -> str:
        """The words shown in the history list."""
        return {
            "built-in": "Built-in template",
            "edited": "Edited",
            "reverted": "Reverted",
        }[self]


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    """One saved version of a template."""

    id: int
    key: str
    number: int
    source: str
    origin: TemplateOrigin
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A document made for a client (its PDF stays encrypted in the vault)."""

    id: int
    client_id: int
    client_name: str
    doc_type: str
    type_name: str
    title: str
    template_version: int
    options: tuple[tuple[str, str], ...]
    created_at: datetime
    size: int


def diff(old: TemplateVersion, new: TemplateVersion) -> list[str]:
    """A unified diff between two versions, line by line."""
    return list(
        difflib.unified_diff(
            old.source.splitlines(),
            new.source.splitlines(),
            fromfile=f"version {old.number}",
            tofile=f"version {new.number}",
            lineterm="",
        )
    )


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def file_name(title: str, suffix: str) -> str:
    """A file name that is safe on Windows, macOS and Linux, from a document title."""
    text = unicodedata.normalize("NFC", title)
    text = _UNSAFE.sub(" ", text).strip(" .")
    text = " ".join(text.split())[:120] or "Document"
    return f"{text}.{suffix}"
