"""A strength hint for new passphrases.

An estimate, not a guarantee: it counts the search space a guesser faces
after the obvious shortcuts (common words, repeats, keyboard runs), in the
spirit of Dropbox's zxcvbn paper (Wheeler, USENIX Security 2016) but far smaller.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass

MIN_LENGTH = 10

_COMMON = frozenset(
    [
        "password",
        "passw0rd",
        "letmein",
        "welcome",
        "qwerty",
        "azerty",
        "admin",
        "iloveyou",
        "monkey",
        "dragon",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "master",
        "shadow",
        "coach",
        "coaching",
        "mentor",
        "secret",
        "trustno1",
        "123456",
        "1234567890",
        "abc123",
        "hello",
        "summer",
        "winter",
        "autumn",
        "spring",
        "changeme",
    ]
)
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "01234567890")


class Strength(enum.IntEnum):
    """How hard the passphrase is to guess."""

    TOO_WEAK = 0
    WEAK = 1
    FAIR = 2
    STRONG = 3


@dataclass(frozen=True, slots=True)
class StrengthHint:
    """The verdict and one sentence of advice."""

    strength: Strength
    bits: float
    advice: str

    @property
    def acceptable(self) -> bool:
        """Whether a vault may be created with it."""
        return self.strength >= Strength.FAIR


def _alphabet_size(text: str) -> int:
    size = 0
    if re.search(r"[a-z]", text):
        size += 26
    if re.search(r"[A-Z]", text):
        size += 26
    if re.search(r"[0-9]", text):
        size += 10
    if re.search(r"[^a-zA-Z0-9]", text):
        size += 33
    return max(size, 1)


def _effective_length(text: str) -> float:
    """Length after discounting repeated characters and keyboard or alphabet runs."""
    lowered = text.lower()
    length = 0.0
    for i, ch in enumerate(lowered):
        prev = lowered[i - 1] if i else ""
        in_run = any(prev + ch in run for run in _RUNS) if prev else False
        length += 0.25 if (ch == prev or in_run) else 1.0
    for word in _COMMON:
        if word in lowered:
            length -= len(word) - 1
    return max(length, 0.0)


def assess(passphrase: str) -> StrengthHint:
    """Estimate the strength of a passphrase and say how to improve it."""
    if len(passphrase) < MIN_LENGTH:
        return StrengthHint(
            Strength.TOO_WEAK,
            0.0,
            f"Use at least {MIN_LENGTH} characters; four unrelated words work well.",
        )
    words = [w for w in re.split(r"[\s\-_.]+", passphrase) if w]
    distinct = list(dict.fromkeys(w.lower() for w in words))
    # A repeated word adds nothing a guesser has to find: score each word once.
    scored = passphrase if len(distinct) == len(words) else " ".join(distinct)
    bits = _effective_length(scored) * math.log2(_alphabet_size(scored))
    uncommon = [w for w in distinct if w not in _COMMON]
    if len(uncommon) >= 4:
        # Several words: credit each distinct, uncommon one as a pick from a large vocabulary.
        bits = max(bits, len(uncommon) * 11.0)
    if bits < 40:
        return StrengthHint(Strength.WEAK, bits, "Too easy to guess: add more unrelated words.")
    if bits < 60:
        return StrengthHint(
            Strength.FAIR, bits, "Fair: one or two more words would make it strong."
        )
    return StrengthHint(Strength.STRONG, bits, "Strong.")
