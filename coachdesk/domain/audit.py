"""The audit trail's rules: what an event holds and how the chain is hashed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One recorded change. Holds names and ids, never client content.

    `fields` lists the names of changed fields (not their values).
    """

    seq: int
    at: str
    actor: str
    entity: str
    entity_id: str
    action: str
    fields: str
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash this event must carry, given its content and predecessor."""
        return chain_hash(
            self.seq,
            self.at,
            self.actor,
            self.entity,
            self.entity_id,
            self.action,
            self.fields,
            self.prev_hash,
        )


def chain_hash(
    seq: int,
    at: str,
    actor: str,
    entity: str,
    entity_id: str,
    action: str,
    fields: str,
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical encoding of the event and the previous hash."""
    payload = json.dumps(
        [seq, at, actor, entity, entity_id, action, fields, prev_hash],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """The first place where the stored chain disagrees with itself."""

    seq: int
    reason: str


def find_break(
    events: list[AuditEvent],
    head_seq: int,
    head_hash: str,
    base_seq: int = 0,
    base_hash: str = GENESIS_HASH,
) -> ChainProblem | None:
    """Walk the chain in stored order; return the first bad entry or None when intact.

    `head_seq`/`head_hash` are the anchor written with every append, so a cut
    tail is noticed even though every remaining link is still valid.
    `base_seq`/`base_hash` say where the kept trail starts once a retention run
    has removed its oldest entries: the first kept entry must follow that hash.
    """
    prev = base_hash
    expected_seq = base_seq + 1
    for event in events:
        if event.seq != expected_seq:
            what = "missing" if event.seq > expected_seq else "out of order"
            return ChainProblem(expected_seq, f"entry #{expected_seq} is {what}")
        if event.prev_hash != prev:
            return ChainProblem(
                event.seq, f"entry #{event.seq} does not follow entry #{event.seq - 1}"
            )
        if event.hash != event.expected_hash():
            return ChainProblem(event.seq, f"entry #{event.seq} was altered")
        prev = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq != last_seq or head_hash != prev:
        if head_seq > last_seq:
            return ChainProblem(
                last_seq + 1, f"entries #{last_seq + 1} to #{head_seq} were removed from the end"
            )
        return ChainProblem(head_seq + 1, f"entry #{head_seq + 1} was added outside CoachDesk")
    return None
