"""The practice profile's rules and the typed settings registry."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from coachdesk.domain.errors import ValidationError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.settings import (
    AI_CONTEXT,
    AI_IDLE_MINUTES,
    AI_MODEL,
    AI_THREADS,
    AUTO_LOCK_MINUTES,
    BACKUP_EVERY,
    BACKUP_FOLDER,
    BOOKING_GATE,
    INVOICE_DUE_DAYS,
    INVOICE_PREFIX,
    LAST_VAULT,
    PAPER_SIZE,
    REGISTRY,
    REMINDER_HOURS,
    MachineSettings,
    Setting,
)

PROFILE = PracticeProfile(" Sam Rivera ", " Rivera Coaching ", " Europe/London ", " gbp ", 3)


def test_profile_is_trimmed_and_currency_upper_cased() -> None:
    clean = PROFILE.validated()
    assert clean == PracticeProfile("Sam Rivera", "Rivera Coaching", "Europe/London", "GBP", 3)
    assert clean.is_complete
    assert clean.validated() == clean


def test_business_name_is_optional() -> None:
    assert PracticeProfile("Sam", "", "Asia/Tokyo", "JPY").validated().business_name == ""


@pytest.mark.parametrize(
    ("changes", "bad"),
    [
        ({"coach_name": "   "}, {"coach_name"}),
        ({"time_zone": ""}, {"time_zone"}),
        ({"time_zone": "Atlantis/Capital"}, {"time_zone"}),
        ({"currency": "GB"}, {"currency"}),
        ({"currency": "EURO"}, {"currency"}),
        ({"currency": "€"}, {"currency"}),
        (
            {"coach_name": "", "time_zone": "x", "currency": ""},
            {"coach_name", "time_zone", "currency"},
        ),
    ],
)
def test_profile_problems_are_named(changes: dict[str, str], bad: set[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        replace(PROFILE, **changes).validated()
    assert set(caught.value.errors) == bad


def test_empty_profile_is_incomplete() -> None:
    assert not PracticeProfile().is_complete
    assert not PracticeProfile("Sam", "", "Europe/London", "").is_complete


@pytest.mark.parametrize(("raw", "value"), [(0, 0), (480, 480), ("15", 15), (" 30 ", 30), (10, 10)])
def test_int_setting_parses_within_bounds(raw: object, value: int) -> None:
    assert AUTO_LOCK_MINUTES.parse(raw) == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (-1, "at least 0"),
        (481, "at most 480"),
        ("abc", "Expected a whole number"),
        ("", "Expected a whole number"),
        ([5], "Expected a whole number"),
    ],
)
def test_int_setting_rejects_out_of_bounds_and_garbage(raw: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AUTO_LOCK_MINUTES.parse(raw)
    assert set(caught.value.errors) == {"auto_lock_minutes"}
    assert message in caught.value.errors["auto_lock_minutes"]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (True, True),
        (False, False),
        ("yes", True),
        ("On", True),
        ("1", True),
        ("0", False),
        ("no", False),
        ("", False),
        (1, True),
    ],
)
def test_bool_setting(raw: object, value: bool) -> None:
    flag = Setting("flag", False, "machine", "A switch.")
    assert flag.parse(raw) is value


def test_missing_value_reads_as_the_default() -> None:
    assert AUTO_LOCK_MINUTES.parse(None) == AUTO_LOCK_MINUTES.default
    assert LAST_VAULT.parse(None) == ""


def test_str_setting_and_unbounded_int() -> None:
    assert LAST_VAULT.parse(Path("/x/y")) == "/x/y"
    count = Setting("count", 3, "vault", "Unbounded.")
    assert count.parse(-10_000) == -10_000


def test_registry_declares_each_setting_once() -> None:
    assert REGISTRY == {
        "auto_lock_minutes": AUTO_LOCK_MINUTES,
        "paper_size": PAPER_SIZE,
        "booking_gate": BOOKING_GATE,
        "invoice_prefix": INVOICE_PREFIX,
        "invoice_due_days": INVOICE_DUE_DAYS,
        "reminder_hours": REMINDER_HOURS,
        "backup_folder": BACKUP_FOLDER,
        "backup_every": BACKUP_EVERY,
        "ai_model": AI_MODEL,
        "ai_threads": AI_THREADS,
        "ai_context": AI_CONTEXT,
        "ai_idle_minutes": AI_IDLE_MINUTES,
        "last_vault": LAST_VAULT,
    }
    for setting in REGISTRY.values():
        assert setting.parse(setting.default) == setting.default
        assert setting.doc


def test_a_setting_with_choices_refuses_others() -> None:
    assert PAPER_SIZE.parse("Letter") == "Letter"
    with pytest.raises(ValidationError) as caught:
        PAPER_SIZE.parse("A5")
    assert "A4, Letter" in caught.value.errors["paper_size"]


def test_machine_settings_file(tmp_path: Path) -> None:
    store = MachineSettings(tmp_path / "config" / "settings.json")
    assert store.get(LAST_VAULT) == ""
    store.set(LAST_VAULT, tmp_path / "vault")
    assert store.get(LAST_VAULT) == str(tmp_path / "vault")
    assert json.loads(store.path.read_text()) == {"last_vault": str(tmp_path / "vault")}
    assert [p.name for p in store.path.parent.iterdir()] == ["settings.json"]
    with pytest.raises(ValueError, match="vault setting"):
        store.set(AUTO_LOCK_MINUTES, 5)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"auto_lock_minutes": 5}'])
def test_machine_settings_fall_back_to_defaults(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    assert MachineSettings(path).get(LAST_VAULT) == ""
