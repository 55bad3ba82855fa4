"""Errors that say whose fault they are.

`KnownError` and its subclasses are user mistakes or environment problems:
the front ends show their message and nothing else. Anything else is a bug
and is logged with its traceback.
"""

from __future__ import annotations

from collections.abc import Mapping


class KnownError(Exception):
    """A problem the coach can understand and act on; the message says what to do."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VaultNotFoundError(KnownError):
    """There is no vault at the given folder."""


class VaultExistsError(KnownError):
    """A vault already exists where a new one was asked for."""


class WrongPassphraseError(KnownError):
    """The passphrase does not unlock the vault."""

    exit_code = 3


class VaultDamagedError(KnownError):
    """The vault files are corrupt or were changed outside CoachDesk."""

    exit_code = 4


class PassphraseNeededError(KnownError):
    """No passphrase was given where one is required."""


class KeychainUnavailableError(KnownError):
    """The computer has no secure keychain to remember the key in."""


class NotFoundError(KnownError):
    """A record the coach asked for does not exist."""


class ValidationError(KnownError):
    """Field-level problems with what the coach entered.

    Args:
        errors: field name → plain message.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        text = "; ".join(f"{field}: {msg}" for field, msg in self.errors.items())
        super().__init__(text)


class CancelledError(KnownError):
    """The coach stopped a long task; nothing it started was kept."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)
