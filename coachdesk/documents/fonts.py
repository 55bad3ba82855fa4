"""The document font: Source Sans Pro from the `font-source-sans-pro` package, found on disk."""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
from functools import cache
from pathlib import Path

from coachdesk.domain.errors import KnownError

FAMILY = "Source Sans Pro"
PACKAGE = "font_source_sans_pro"

# fpdf2's style letters → the file shipped for that style.
FILES: dict[str, str] = {
    "": "SourceSansPro-Regular.ttf",
    "B": "SourceSansPro-Bold.ttf",
    "I": "SourceSansPro-It.ttf",
    "BI": "SourceSansPro-BoldIt.ttf",
}

# Resources inside a zip are extracted once and removed when the process ends.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


class FontMissingError(KnownError):
    """The document font is not installed with CoachDesk."""


@cache
def font_path(style: str = "") -> Path:
    """The TrueType file of Source Sans Pro in `style` ("", "B", "I" or "BI").

    Raises:
        FontMissingError: the font package or the file is missing.
    """
    try:
        name = FILES[style]
    except KeyError:
        raise ValueError(f"unknown font style {style!r}") from None
    try:
        resource = importlib.resources.files(PACKAGE) / "files" / name
    except ModuleNotFoundError:
        raise _missing(name) from None
    if not resource.is_file():
        raise _missing(name)
    if isinstance(resource, Path):
        return resource
    return _extracted.enter_context(importlib.resources.as_file(resource))


def _missing(name: str) -> FontMissingError:
    return FontMissingError(
        f"The document font {FAMILY} ({name}) is missing from this installation, "
        "so documents cannot be made. Reinstall CoachDesk to restore it."
    )
