"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from coachdesk.domain.audit import AuditEvent, ChainProblem
from coachdesk.store import audit
from coachdesk.store.vault import Vault


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking the chain."""

    events: int
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        """Whether every entry checks out."""
        return self.problem is None


def verify(vault: Vault) -> Verification:
    """Walk the whole chain; names the first bad entry if any row was tampered with."""
    with vault.reading() as session:
        count, problem = audit.check(session)
    return Verification(count, problem)


def recent_events(vault: Vault, limit: int = 200) -> list[AuditEvent]:
    """The newest events first, for the audit view."""
    with vault.reading() as session:
        return audit.recent(session, limit)
