"""Named, versioned prompt templates (`resources/ai/prompts/*.toml`) and how they are filled.

Text that came from a client (notes, transcripts, inquiries, goals) is only ever placed
between `<<<DATA name>>>` and `<<<END DATA>>>` markers, and any marker-like text inside it
is defused first, so a note cannot close its own block and speak to the model as the
coach. Short facts (names, dates) are single-lined and cut to length. The system prompt of
every template says that everything between the markers is material, not instructions.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from coachdesk.ai.runtime import Message
from coachdesk.paths import resource_path

PROMPTS_DIR = ("resources", "ai", "prompts")
DATA_OPEN = "<<<DATA {name}>>>"
DATA_CLOSE = "<<<END DATA>>>"
MAX_FACT = 200
_MARKER = re.compile(r"<{2,}|>{3,}")
# Control tokens of the common chat templates (ChatML, Llama 2/3, Gemma, Mistral, Phi, GLM,
# and DeepSeek's with full-width bars).
_CONTROL = re.compile(
    r"<[|\uff5c][^<>|\uff5c\n]{0,40}[|\uff5c]>|\[/?(?:INST|SYS|AVAILABLE_TOOLS|TOOL_CALLS)\]"
    r"|</?(?:s|start_of_turn|end_of_turn|bos|eos|pad|unk|sop|eop)>",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One prompt: its name and version, the system and user text, and its limits.

    Args:
        name: the task's name ("session_summary", "action_items", …).
        version: raised with every change to the wording, recorded with each draft.
        system: the system message.
        user: the user message, with `{placeholders}`.
        data: the placeholders that hold client-provided text (wrapped as data).
        max_tokens: the reply's length limit.
        json_schema: for structured tasks, the schema llama.cpp's grammar enforces.
    """

    name: str
    version: int
    system: str
    user: str
    data: frozenset[str] = frozenset()
    max_tokens: int = 300
    json_schema: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def placeholders(self) -> frozenset[str]:
        """Every `{name}` the user message needs."""
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(self.user) if name is not None
        )

    @property
    def label(self) -> str:
        """ "action_items v1", as recorded in the audit trail."""
        return f"{self.name} v{self.version}"


def _defused(match: re.Match[str]) -> str:
    # Single guillemets look alike to a reader but are not the markers' characters.
    mark = "\u2039" if match.group()[0] == "<" else "\u203a"
    return mark * len(match.group())


def _control(match: re.Match[str]) -> str:
    token = match.group()
    return (
        token.replace("<", "\u2039")
        .replace(">", "\u203a")
        .replace("[", "\u27e6")
        .replace("]", "\u27e7")
    )


def defuse(text: str) -> str:
    """Client text with anything that looks like a data marker or a chat template's control
    token (`<|im_start|>`, `[INST]`, `<start_of_turn>`, `</s>` …) made harmless: llama.cpp
    reads special tokens in the formatted prompt, so a note could otherwise open a turn."""
    return _MARKER.sub(_defused, _CONTROL.sub(_control, text))


def as_data(name: str, text: str) -> str:
    """Client-provided text as a marked data block."""
    return f"{DATA_OPEN.format(name=name)}\n{defuse(text).strip()}\n{DATA_CLOSE}"


def as_fact(text: str) -> str:
    """A short fact on one line, defused and cut to length."""
    return defuse(" ".join(text.split()))[:MAX_FACT]


@cache
def load(name: str) -> PromptTemplate:
    """The template called `name` (KeyError for an unknown one)."""
    path = resource_path(*PROMPTS_DIR, f"{name}.toml")
    if not path.is_file():
        raise KeyError(f"There is no prompt template called {name!r}.")
    raw = tomllib.loads(path.read_text("utf-8"))
    return PromptTemplate(
        name=str(raw["name"]),
        version=int(raw["version"]),
        system=" ".join(str(raw["system"]).split()),  # one paragraph, however the file wraps
        user=str(raw["user"]).strip(),
        data=frozenset(raw.get("data", [])),
        max_tokens=int(raw.get("max_tokens", 300)),
        json_schema=raw.get("schema"),
    )


def names() -> list[str]:
    """Every shipped template's name."""
    return sorted(p.stem for p in resource_path(*PROMPTS_DIR).glob("*.toml"))


def render(template: PromptTemplate, **values: str) -> list[Message]:
    """The messages for `template`: data placeholders as marked blocks, the rest as facts.

    Raises:
        KeyError: a placeholder was not given a value.
    """
    missing = template.placeholders - set(values)
    if missing:
        raise KeyError(f"{template.label} needs {', '.join(sorted(missing))}.")
    filled = {
        key: as_data(key, value) if key in template.data else as_fact(value)
        for key, value in values.items()
        if key in template.placeholders
    }
    return [Message("system", template.system), Message("user", template.user.format(**filled))]
