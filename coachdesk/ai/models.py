"""GGUF model files: the bundled default, and checking any file the coach points at.

A model is checked before llama.cpp is asked to load it, so every problem gets a
sentence the coach can act on: not a GGUF file, damaged or cut short, too big for
the free memory. Only the header is read, by the small reader below (after the GGUF
specification, ggml's docs/gguf.md): the `gguf` package's GGUFReader maps every tensor and
builds the whole vocabulary as numpy objects, which held the GIL for up to 0.8 s at a time
and stalled the GUI (measured by bench/ai_gui.py); this reader skips the arrays unread.
"""

from __future__ import annotations

import os
import struct
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from coachdesk.domain.errors import KnownError
from coachdesk.paths import resource_path

DEFAULT_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"
# llama.cpp needs the weights plus its context and scratch buffers; a model is refused
# when its file alone would leave less than this share of the free memory.
MEMORY_HEADROOM = 1.25


class ModelError(KnownError):
    """A model file that cannot be used, with the reason and what to do."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a GGUF file says about itself.

    Args:
        path: the file.
        name: the file name without .gguf (what the coach chose).
        architecture: general.architecture ("llama", "qwen2", …).
        trained_context: the context length it was trained for, in tokens.
        size: the file's size in bytes.
        parameters: the size label ("135M", "7B"), when the file gives one.
        has_chat_template: whether it carries its own chat template.
    """

    path: Path
    name: str
    architecture: str
    trained_context: int
    size: int
    parameters: str
    has_chat_template: bool

    @property
    def size_text(self) -> str:
        """ "98 MB", "4.1 GB"."""
        if self.size >= 1_000_000_000:
            return f"{self.size / 1_000_000_000:.1f} GB"
        return f"{self.size / 1_000_000:.0f} MB"


def default_model_path() -> Path:
    """Where `make install` (or the installer) puts the bundled default model."""
    return resource_path("resources", "models", DEFAULT_MODEL)


def available_memory() -> int | None:
    """Bytes of memory free for a new program, where the OS says (None elsewhere)."""
    try:
        with Path("/proc/meminfo").open(encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    if sys.platform != "win32" and hasattr(os, "sysconf"):
        try:
            return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            return None
    return None


def inspect_model(path: Path) -> ModelInfo:
    """Read a model file's header; ModelError says plainly what is wrong with it.

    The reading is kept per file version (path, size, modification time), so the choices
    in Settings are not read again with every look.
    """
    if not path.is_file():
        raise ModelError(f"There is no model file at “{path}”.")
    stat = path.stat()
    return _inspect(path, stat.st_size, stat.st_mtime_ns)


# GGUF value types: their struct format, or None for strings (8) and arrays (9).
_SCALARS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}  # fmt: skip
_STRING, _ARRAY = 8, 9
_MAX_KEYS = 100_000
_WANTED = ("general.architecture", "general.size_label")


class _Header:
    """Reads the fields of a GGUF header it is asked for; skips arrays without building them."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        data = self.fh.read(size)
        if len(data) != size:
            raise EOFError("the file ends inside its header")
        return struct.unpack(fmt, data)[0]

    def text(self) -> str:
        length = self.take("<Q")
        if length > 1 << 24:
            raise ValueError("a string in the header is impossibly long")
        data = self.fh.read(length)
        if len(data) != length:
            raise EOFError("the file ends inside its header")
        return data.decode("utf-8", "replace")

    def value(self, kind: int, keep: bool) -> object:
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            if keep:
                return self.text()
            self.fh.seek(self.take("<Q"), os.SEEK_CUR)
            return None
        if kind == _ARRAY:
            item, count = self.take("<I"), self.take("<Q")
            if item in _SCALARS:
                self.fh.seek(struct.calcsize(_SCALARS[item]) * count, os.SEEK_CUR)
            else:
                for _ in range(count):
                    self.value(item, keep=False)
            return None
        raise ValueError(f"unknown value type {kind}")


def read_header(path: Path) -> tuple[dict[str, object], int]:
    """The header's general fields, `*.context_length`, whether a chat template is there
    (as `tokenizer.chat_template`: True), and the smallest size the whole file must have.

    Raises:
        EOFError, ValueError, struct.error: the file is cut short or damaged.
    """
    fields: dict[str, object] = {}
    with path.open("rb") as fh:
        header = _Header(fh)
        if fh.read(4) != GGUF_MAGIC:
            raise ValueError("not GGUF")
        version = header.take("<I")
        if version not in (2, 3):
            raise ValueError(f"GGUF version {version}")
        tensors, keys = header.take("<Q"), header.take("<Q")
        if keys > _MAX_KEYS or tensors > _MAX_KEYS:
            raise ValueError("impossible counts")
        alignment = 32
        for _ in range(keys):
            key = header.text()
            kind = header.take("<I")
            keep = key in _WANTED or key.endswith(".context_length")
            value = header.value(kind, keep)
            if keep:
                fields[key] = value
            elif key == "tokenizer.chat_template":
                fields[key] = True
            elif key == "general.alignment" and isinstance(value, int) and value > 0:
                alignment = value
        last = 0
        for _ in range(tensors):
            header.text()
            dims = header.take("<I")
            fh.seek(8 * dims + 4, os.SEEK_CUR)  # the dimensions and the element type
            last = max(last, header.take("<Q"))
        data_start = -(-fh.tell() // alignment) * alignment
    return fields, data_start + last + (1 if tensors else 0)


@lru_cache(maxsize=16)
def _inspect(path: Path, size: int, mtime_ns: int) -> ModelInfo:
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"“{path.name}” is not a GGUF model. CoachDesk runs models in llama.cpp's GGUF "
            "format: download the .gguf version of the model."
        )
    try:
        fields, needed = read_header(path)
    except (EOFError, ValueError, struct.error, UnicodeDecodeError) as exc:
        raise ModelError(
            f"“{path.name}” is damaged or incomplete ({exc}); download it again."
        ) from None
    if size < needed:
        raise ModelError(
            f"“{path.name}” is damaged or incomplete (it is cut short: {size:,} of at least "
            f"{needed:,} bytes); download it again."
        )
    architecture = str(fields.get("general.architecture") or "")
    if not architecture:
        raise ModelError(f"“{path.name}” does not say what kind of model it is; it is damaged.")
    context = fields.get(f"{architecture}.context_length")
    return ModelInfo(
        path=path,
        # The file's name is what the coach downloaded and chose; a header's general.name
        # is often a training-run label ("Smollm2 135M 8k Lc100K Mix1 Ep2").
        name=path.stem,
        architecture=architecture,
        trained_context=int(context) if isinstance(context, int) else 0,
        size=size,
        parameters=str(fields.get("general.size_label") or ""),
        has_chat_template="tokenizer.chat_template" in fields,
    )


def check_memory(info: ModelInfo, free: int | None = None) -> None:
    """Refuse a model that would not fit in the memory free now."""
    free = available_memory() if free is None else free
    if free is not None and info.size * MEMORY_HEADROOM > free:
        raise ModelError(
            f"“{info.path.name}” needs about {info.size * MEMORY_HEADROOM / 1e9:.1f} GB of "
            f"memory, and only {free / 1e9:.1f} GB is free. Close other programs, or choose a "
            "smaller model (a smaller size, or a Q4 version)."
        )
