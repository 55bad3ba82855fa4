"""GGUF model files: the bundled default, and checking any file the coach points at.

A model is checked before llama.cpp is asked to load it, so every problem gets a
sentence the coach can act on: not a GGUF file, damaged or cut short, too big for
the free memory. The header is read with the `gguf` package (llama.cpp's own
reader), which maps the file rather than reading it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
        name: its general.name, or the file name.
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


def _field(reader: object, key: str) -> object:
    field = reader.fields.get(key)  # type: ignore[attr-defined]
    return field.contents() if field is not None else None


def inspect_model(path: Path) -> ModelInfo:
    """Read a model file's header; ModelError says plainly what is wrong with it.

    The reading is kept per file version (path, size, modification time): GGUFReader maps
    every tensor, which takes seconds for a large model.
    """
    if not path.is_file():
        raise ModelError(f"There is no model file at “{path}”.")
    stat = path.stat()
    return _inspect(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _inspect(path: Path, size: int, mtime_ns: int) -> ModelInfo:
    from gguf import GGUFReader

    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"“{path.name}” is not a GGUF model. CoachDesk runs models in llama.cpp's GGUF "
            "format: download the .gguf version of the model."
        )
    try:
        reader = GGUFReader(path)
        architecture = str(_field(reader, "general.architecture") or "")
        context = _field(reader, f"{architecture}.context_length")
    except Exception as exc:  # noqa: BLE001 - any parse failure means the same to the coach
        raise ModelError(
            f"“{path.name}” is damaged or incomplete ({type(exc).__name__}); download it again."
        ) from None
    if not architecture:
        raise ModelError(f"“{path.name}” does not say what kind of model it is; it is damaged.")
    return ModelInfo(
        path=path,
        name=str(_field(reader, "general.name") or path.stem),
        architecture=architecture,
        trained_context=int(context) if isinstance(context, int) else 0,
        size=path.stat().st_size,
        parameters=str(_field(reader, "general.size_label") or ""),
        has_chat_template=_field(reader, "tokenizer.chat_template") is not None,
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
