"""Checking model files before llama.cpp sees them: the bundled default and bad files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from coachdesk.ai.models import (
    DEFAULT_MODEL,
    ModelError,
    available_memory,
    check_memory,
    default_model_path,
    inspect_model,
    read_header,
)


def test_the_bundled_default_model_is_smollm2() -> None:
    path = default_model_path()
    assert path.name == DEFAULT_MODEL and path.is_file(), "run `make install` to fetch it"
    info = inspect_model(path)
    assert info.architecture == "llama"
    assert info.trained_context == 8192
    assert info.parameters == "135M"
    assert info.has_chat_template
    assert info.size_text == "98 MB"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="There is no model file"):
        inspect_model(tmp_path / "nothing.gguf")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04zip", b"\x7fELF binary", b"gguf lower"])
def test_a_file_that_is_not_gguf_says_so(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="is not a GGUF model"):
        inspect_model(path)


@pytest.mark.parametrize("keep", [8, 64, 4096, 200_000])
def test_a_cut_short_model_is_damaged(tmp_path: Path, keep: int) -> None:
    path = tmp_path / "cut.gguf"
    with default_model_path().open("rb") as fh:
        path.write_bytes(fh.read(keep))
    with pytest.raises(ModelError, match=r"damaged or incomplete|does not say"):
        inspect_model(path)


def test_a_model_too_big_for_free_memory_is_refused() -> None:
    info = inspect_model(default_model_path())
    check_memory(info, free=10 * info.size)
    with pytest.raises(ModelError, match=r"only 0\.1 GB is free"):
        check_memory(replace(info, size=2_000_000_000), free=100_000_000)


def test_free_memory_is_known_here() -> None:
    free = available_memory()
    assert free is not None and free > 0


def test_a_model_cut_inside_its_weights_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "half.gguf"
    with default_model_path().open("rb") as fh:
        path.write_bytes(fh.read(default_model_path().stat().st_size // 2))
    with pytest.raises(ModelError, match="cut short"):
        inspect_model(path)


def test_the_header_is_read_without_its_vocabulary(tmp_path: Path) -> None:
    fields, needed = read_header(default_model_path())
    assert fields["general.architecture"] == "llama"
    assert fields["llama.context_length"] == 8192
    assert fields["tokenizer.chat_template"] is True
    assert "tokenizer.ggml.tokens" not in fields  # 49k strings, skipped unread
    assert needed <= default_model_path().stat().st_size


@pytest.mark.parametrize("version", [1, 4, 99])
def test_an_unknown_gguf_version_is_refused(tmp_path: Path, version: int) -> None:
    path = tmp_path / "v.gguf"
    path.write_bytes(b"GGUF" + version.to_bytes(4, "little") + bytes(16))
    with pytest.raises(ModelError, match=f"GGUF version {version}"):
        inspect_model(path)
