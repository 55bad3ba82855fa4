"""Tidying a model's raw reply before the coach sees it as a draft.

Small models repeat themselves and some models write their "thinking" before the answer;
neither belongs in a draft. This removes reasoning blocks (`<think>…</think>`, and an
unclosed one at the start), lines that announce reasoning ("Thinking: …"), repeated lines
and repeated sentences, runs of blank lines, and the prompt's data markers when a small
model echoes them (`<<<DATA notes>>>`, `<<<END DATA>>>`, and near misses such as
`<<<Data notes>>`).
"""

from __future__ import annotations

import re

_THINK_BLOCK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_THINK_OPEN = re.compile(r"^\s*<(think|thinking|reasoning)>.*", re.IGNORECASE | re.DOTALL)
_THINK_LINE = re.compile(r"^\s*(thinking|reasoning|thought|internal notes?)\s*:", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MARKER_ECHO = re.compile(r"[<\u2039]{2,}\s*(end\s+)?data\b[^\n>\u203a]*[>\u203a]*", re.IGNORECASE)


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def strip_reasoning(text: str) -> str:
    """The reply without reasoning blocks or lines."""
    text = _THINK_BLOCK.sub("", text)
    text = _THINK_OPEN.sub("", text)
    return "\n".join(line for line in text.splitlines() if not _THINK_LINE.match(line))


def drop_repeats(text: str) -> str:
    """Each line and each sentence once; blank lines kept single."""
    seen_lines: set[str] = set()
    seen_sentences: set[str] = set()
    kept: list[str] = []
    for line in text.splitlines():
        key = _key(line)
        if not key:
            if kept and kept[-1] != "":
                kept.append("")
            continue
        if key in seen_lines:
            continue
        seen_lines.add(key)
        sentences = []
        for sentence in _SENTENCE.split(line.strip()):
            sentence_key = _key(sentence)
            if sentence_key and sentence_key in seen_sentences:
                continue
            seen_sentences.add(sentence_key)
            sentences.append(sentence)
        if sentences:
            kept.append(" ".join(sentences))
    return "\n".join(kept).strip()


def clean_draft(text: str) -> str:
    """What the coach is shown: no reasoning, no echoed markers, no repeats, trimmed."""
    return drop_repeats(_MARKER_ECHO.sub("", strip_reasoning(text)))
