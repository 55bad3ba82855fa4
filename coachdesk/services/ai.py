"""Which model the assistant runs, and the host that runs it (machine settings, no vault)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coachdesk.ai.models import (
    ModelError,
    ModelInfo,
    check_memory,
    default_model_path,
    inspect_model,
)
from coachdesk.ai.runtime import ModelHost
from coachdesk.paths import models_dir
from coachdesk.settings import AI_CONTEXT, AI_IDLE_MINUTES, AI_MODEL, AI_THREADS, MachineSettings


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """A model file the coach can pick, with its header or why it cannot be used."""

    path: Path
    info: ModelInfo | None
    problem: str
    bundled: bool
    in_use: bool


def current_model_path(settings: MachineSettings | None = None) -> Path:
    """The model chosen in Settings, or the bundled default."""
    chosen = str((settings or MachineSettings()).get(AI_MODEL))
    return Path(chosen) if chosen else default_model_path()


def _choice(path: Path, bundled: bool, in_use: Path) -> ModelChoice:
    try:
        info, problem = inspect_model(path), ""
    except ModelError as exc:
        info, problem = None, exc.message
    return ModelChoice(path, info, problem, bundled, path.resolve() == in_use.resolve())


def model_choices(settings: MachineSettings | None = None) -> list[ModelChoice]:
    """The bundled model, the .gguf files in the models folder, and the one chosen."""
    in_use = current_model_path(settings)
    paths = [default_model_path()]
    folder = models_dir()
    if folder.is_dir():
        paths += sorted(p for p in folder.iterdir() if p.suffix.lower() == ".gguf")
    if in_use.resolve() not in {p.resolve() for p in paths}:
        paths.append(in_use)
    return [_choice(p, p == default_model_path(), in_use) for p in paths]


def choose_model(path: Path | None, settings: MachineSettings | None = None) -> ModelInfo:
    """Use `path` from now on (None: the bundled model), once it is shown to be usable."""
    settings = settings or MachineSettings()
    target = path.expanduser().resolve() if path is not None else default_model_path()
    info = inspect_model(target)
    check_memory(info)
    settings.set(AI_MODEL, "" if path is None else str(target))
    return info


def make_host(settings: MachineSettings | None = None) -> ModelHost:
    """A host for the chosen model with the chosen threads and context (not loaded yet)."""
    settings = settings or MachineSettings()
    threads = int(settings.get(AI_THREADS)) or None
    return ModelHost(
        current_model_path(settings),
        context=int(settings.get(AI_CONTEXT)),
        threads=threads,
        idle_seconds=60.0 * int(settings.get(AI_IDLE_MINUTES)),
    )


def model_in_use(settings: MachineSettings | None = None) -> ModelChoice:
    """The model the assistant would run now, with its header or why it cannot run."""
    path = current_model_path(settings)
    if not path.is_file():
        return ModelChoice(
            path,
            None,
            f"There is no model file at “{path}”. Choose a .gguf model in Settings → Assistant; "
            "until then the assistant writes drafts by rules, without a model.",
            path == default_model_path(),
            True,
        )
    choice = _choice(path, path == default_model_path(), path)
    if choice.info is not None:
        try:
            check_memory(choice.info)
        except ModelError as exc:
            return ModelChoice(path, None, exc.message, choice.bundled, True)
    return choice
