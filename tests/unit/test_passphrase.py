"""The passphrase strength hint."""

from __future__ import annotations

import random

import pytest

from coachdesk.domain.errors import ValidationError
from coachdesk.domain.passphrase import MIN_LENGTH, Strength, assess
from coachdesk.services.vaults import check_new_passphrase

# Unrelated words of the kind a diceware list holds; none is in the common-word list.
VOCABULARY = [
    "anchor",
    "bramble",
    "cactus",
    "dolphin",
    "ember",
    "falcon",
    "glacier",
    "hammock",
    "igloo",
    "jasmine",
    "kettle",
    "lantern",
    "meadow",
    "nebula",
    "orchard",
    "pepper",
    "quartz",
    "ribbon",
    "saddle",
    "tundra",
    "umbrella",
    "velvet",
    "walnut",
    "yodel",
    "zephyr",
    "copper",
    "fjord",
    "osmosis",
    "violin",
    "harbour",
    "pylon",
    "thistle",
    "marble",
    "canyon",
]


@pytest.mark.parametrize("passphrase", ["", "a", "short", "Tr0ub4d!x", "x" * (MIN_LENGTH - 1)])
def test_short_is_too_weak(passphrase: str) -> None:
    hint = assess(passphrase)
    assert hint.strength is Strength.TOO_WEAK
    assert not hint.acceptable
    assert str(MIN_LENGTH) in hint.advice


@pytest.mark.parametrize(
    "passphrase",
    [
        "password1234",
        "passwordpassword",
        "welcome2024!",
        "iloveyou123456",
        "qwertyuiopasdf",
        "abcdefghijklmnop",
        "aaaaaaaaaaaaaaaa",
        "12345678901234",
        "coach coach coach coach",
        "sunshine sunshine sunshine sunshine",
        "sunshine-princess-dragon-monkey",
        "lantern lantern lantern lantern",
    ],
)
def test_common_words_repeats_and_runs_are_weak(passphrase: str) -> None:
    hint = assess(passphrase)
    assert hint.strength <= Strength.WEAK, (passphrase, hint)
    assert not hint.acceptable
    with pytest.raises(ValidationError) as caught:
        check_new_passphrase(passphrase)
    assert set(caught.value.errors) == {"passphrase"}


@pytest.mark.parametrize("seed", range(25))
def test_four_random_words_are_strong(seed: int) -> None:
    words = random.Random(seed).sample(VOCABULARY, 4)
    for separator in (" ", "-", "."):
        hint = assess(separator.join(words))
        assert hint.strength is Strength.STRONG, (words, hint)
        assert hint.acceptable


def test_more_of_the_same_never_scores_lower() -> None:
    base = "glacier ribbon"
    assert assess(base + " walnut").bits <= assess(base + " walnut pylon").bits


def test_confirmation_must_match() -> None:
    with pytest.raises(ValidationError) as caught:
        check_new_passphrase("lantern meadow quartz violin", "lantern meadow quartz violins")
    assert set(caught.value.errors) == {"confirm"}
    check_new_passphrase("lantern meadow quartz violin", "lantern meadow quartz violin")
