"""Where the CLI and the app get a passphrase and a keychain from."""

from __future__ import annotations

import os
import sys
from getpass import getpass
from pathlib import Path

from coachdesk.domain.errors import KnownError, PassphraseNeededError
from coachdesk.domain.passphrase import assess
from coachdesk.store.keychain import KeyringStore, MemoryStore, SecretStore

PASSPHRASE_ENV = "COACHDESK_PASSPHRASE"  # noqa: S105 - a variable name


def read_passphrase_file(path: Path) -> str:
    """The first line of a passphrase file (trailing newline dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnownError(f"Cannot read the passphrase file {path}: {exc.strerror}.") from None
    passphrase = text.splitlines()[0] if text else ""
    if not passphrase:
        raise KnownError(f"The passphrase file {path} is empty.")
    return passphrase


def given_passphrase(passphrase_file: Path | None) -> str | None:
    """The passphrase from --passphrase-file or COACHDESK_PASSPHRASE, if either is set."""
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    value = os.environ.get(PASSPHRASE_ENV)
    return value if value else None


def interactive() -> bool:
    """Whether a person is at the terminal to answer a prompt."""
    return sys.stdin.isatty()


def prompt_existing(label: str = "Passphrase: ") -> str:
    """Ask for a passphrase at the terminal (PassphraseNeededError without one)."""
    if not interactive():
        raise PassphraseNeededError(
            "No passphrase given: set COACHDESK_PASSPHRASE or use --passphrase-file FILE."
        )
    return getpass(label)


def prompt_new() -> str:
    """Ask for a new passphrase twice, with a strength hint, until it is acceptable."""
    if not interactive():
        raise PassphraseNeededError(
            "No passphrase given: set COACHDESK_PASSPHRASE or use --passphrase-file FILE."
        )
    while True:
        first = getpass("New passphrase: ")
        hint = assess(first)
        print(
            f"Strength: {hint.strength.name.replace('_', ' ').lower()}. {hint.advice}",
            file=sys.stderr,
        )
        if not hint.acceptable:
            continue
        if getpass("Repeat it: ") == first:
            return first
        print("The two entries differ; try again.", file=sys.stderr)


def secret_store(no_keychain: bool) -> SecretStore:
    """The OS keychain, or an empty in-memory one when --no-keychain is given."""
    return MemoryStore(available=False) if no_keychain else KeyringStore()
