"""Vault operations: how widgets run service functions on the db lane.

Widgets never hold the Vault. They pass a function of the vault to
`VaultOps.run`; it runs on the db lane with the vault that was open when it
was submitted, and its result comes back by signal. Locking bumps a
generation counter, so a result that arrives after the lock is dropped
instead of refilling a cleared screen with client data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

from coachdesk.ui.lanes import Failure, Job, Lane

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

T = TypeVar("T")

log = logging.getLogger(__name__)


class UnlockMode(StrEnum):
    """How the open vault was unlocked (shown in the status bar)."""

    KEYCHAIN = "keychain"
    PASSPHRASE = "passphrase"  # noqa: S105 - a mode's name, not a secret


class VaultOps(QObject):
    """The open vault, reachable only through the db lane.

    Args:
        lane: the db lane (single worker; it owns every connection).
        parent: the owning QObject.

    Signals:
        opened: a vault was opened (views load their data).
        closed: the vault was locked (views clear every trace of client data).
        changed: an operation changed data of this kind ("client", "practice",
            "setting", "vault"), so views showing it reload.
    """

    opened = Signal()
    closed = Signal()
    changed = Signal(str)

    def __init__(self, lane: Lane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane = lane
        self._vault: Vault | None = None
        self._generation = 0
        self.root: Path | None = None
        self.mode: UnlockMode | None = None

    @property
    def is_open(self) -> bool:
        """Whether a vault is unlocked."""
        return self._vault is not None

    def open(self, vault: Vault, mode: UnlockMode) -> None:
        """Take over a vault unlocked on the db lane."""
        if self._vault is not None:
            raise RuntimeError("a vault is already open")
        self._vault = vault
        self.root = vault.paths.root
        self.mode = mode
        self.opened.emit()

    def close(self, on_closed: Callable[[], None] | None = None) -> None:
        """Lock: forget the vault now, close its connections on the lane, drop late results."""
        vault, self._vault = self._vault, None
        self._generation += 1
        self.mode = None
        if vault is None:
            return
        self.closed.emit()
        self.lane.run(
            lambda _job: vault.close(),
            on_done=(lambda _none: on_closed()) if on_closed else None,
            context="closing the vault",
        )

    def run(
        self,
        fn: Callable[[Vault], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Failure], None] | None = None,
        changes: str | None = None,
        owner: QObject | None = None,
        context: str = "",
    ) -> Job[T] | None:
        """Run `fn(vault)` on the db lane; None (and nothing runs) when the vault is locked.

        `changes` names the kind of data the function changes: `changed` is
        emitted with it after success, before `on_done`.
        """
        return self.run_job(
            lambda vault, _job: fn(vault),
            on_done=on_done,
            on_error=on_error,
            changes=changes,
            owner=owner,
            context=context or getattr(fn, "__name__", ""),
        )

    def run_job(
        self,
        fn: Callable[[Vault, Job[T]], T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[Failure], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        changes: str | None = None,
        owner: QObject | None = None,
        context: str = "",
    ) -> Job[T] | None:
        """Like `run`, for long work: `fn(vault, job)` may report progress and check cancel."""
        vault = self._vault
        if vault is None:
            log.info("dropped %s: the vault is locked", context or "an operation")
            return None
        generation = self._generation

        def current() -> bool:
            return generation == self._generation

        def owner_alive() -> bool:
            return owner is None or shiboken6.isValid(owner)

        def done(value: T) -> None:
            if not current():
                return
            # Other views must hear of the change even when the widget that asked is gone.
            if changes:
                self.changed.emit(changes)
            if on_done is not None and owner_alive():
                on_done(value)

        def failed(failure: Failure) -> None:
            if current() and on_error is not None and owner_alive():
                on_error(failure)

        def report_unhandled(failure: Failure) -> None:
            if current():
                self.lane.unhandled_failure.emit(failure)

        return self.lane.run(
            lambda job: fn(vault, job),
            on_done=done,
            on_error=failed if on_error is not None else report_unhandled,
            on_progress=on_progress,
            context=context or getattr(fn, "__name__", "a vault operation"),
        )
