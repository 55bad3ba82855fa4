"""`coachdesk ai models` and `ai use`: the bundled model, the coach's own files, bad files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from coachdesk.__main__ import main
from coachdesk.ai.models import default_model_path
from coachdesk.paths import models_dir
from coachdesk.settings import AI_MODEL, MachineSettings


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_the_bundled_one_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ai", "models", "--json")
    assert code == 0
    [bundled] = json.loads(out)
    assert bundled["bundled"] and bundled["in_use"] and bundled["architecture"] == "llama"
    assert bundled["trained_context"] == 8192


def test_use_a_model_from_the_models_folder_then_go_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = models_dir()
    folder.mkdir(parents=True)
    mine = folder / "mine.gguf"
    shutil.copyfile(default_model_path(), mine)
    (folder / "broken.gguf").write_bytes(b"GGUF" + b"\x00" * 10)
    code, out, err = run(capsys, "ai", "use", str(mine))
    assert code == 0, err
    assert "now runs" in out
    assert MachineSettings().get(AI_MODEL) == str(mine.resolve())
    listed = {Path(c["path"]).name: c for c in json.loads(run(capsys, "ai", "models", "--json")[1])}
    assert listed["mine.gguf"]["in_use"] and not listed[default_model_path().name]["in_use"]
    assert "damaged or incomplete" in listed["broken.gguf"]["problem"]
    code, out, _ = run(capsys, "ai", "models")
    assert "cannot be used" in out and "* Smollm2" in out
    assert run(capsys, "ai", "use", "--bundled")[0] == 0
    assert MachineSettings().get(AI_MODEL) == ""


@pytest.mark.parametrize("content", [b"not a model", b"GGUF\x03\x00"])
def test_a_bad_file_is_refused_and_nothing_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(content)
    code, _, err = run(capsys, "ai", "use", str(bad))
    assert code == 1
    assert err.startswith("coachdesk: ") and "bad.gguf" in err
    assert MachineSettings().get(AI_MODEL) == ""
