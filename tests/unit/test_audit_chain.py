"""The audit chain's rules: a stable hash, and find_break catches every change to a chain."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coachdesk.domain.audit import GENESIS_HASH, AuditEvent, ChainProblem, chain_hash, find_break

AT = "2026-01-02T03:04:05.000006+00:00"
HYPOTHESIS = settings(derandomize=True, deadline=None, database=None, max_examples=400)
TEXT_FIELDS = ("at", "actor", "entity", "entity_id", "action", "fields", "prev_hash", "hash")


def make_event(
    seq: int,
    prev: str,
    actor: str = "coach@test",
    entity: str = "client",
    entity_id: str = "1",
    action: str = "create",
    fields: str = "",
    at: str = AT,
) -> AuditEvent:
    digest = chain_hash(seq, at, actor, entity, entity_id, action, fields, prev)
    return AuditEvent(seq, at, actor, entity, entity_id, action, fields, prev, digest)


def make_chain(contents: list[tuple[str, str, str, str, str]]) -> list[AuditEvent]:
    chain: list[AuditEvent] = []
    for seq, (actor, entity, entity_id, action, fields) in enumerate(contents, start=1):
        prev = chain[-1].hash if chain else GENESIS_HASH
        chain.append(make_event(seq, prev, actor, entity, entity_id, action, fields, f"{AT}#{seq}"))
    return chain


def head_of(chain: list[AuditEvent]) -> tuple[int, str]:
    return (chain[-1].seq, chain[-1].hash) if chain else (0, GENESIS_HASH)


def check(events: list[AuditEvent], head: tuple[int, str]) -> ChainProblem | None:
    return find_break(events, *head)


def assert_named(problem: ChainProblem | None, seq: int, *words: str) -> None:
    """The problem names entry `seq`, and its reason says so and says what happened."""
    assert problem is not None, "tampering went unnoticed"
    assert problem.seq == seq, problem
    assert f"#{seq}" in problem.reason
    for word in words:
        assert word in problem.reason, problem


# chain_hash


def test_chain_hash_is_pinned() -> None:
    """Stored vaults depend on this exact encoding; changing it breaks every existing trail."""
    digest = chain_hash(1, AT, "coach@test", "client", "42", "update", "emails,notes", GENESIS_HASH)
    assert digest == "88856c90b709f3841fdfd15640f4caeaa1aefca3de7f2689747677c4993e450c"
    assert digest == chain_hash(
        1, AT, "coach@test", "client", "42", "update", "emails,notes", GENESIS_HASH
    )


def test_chain_hash_depends_on_every_argument() -> None:
    args = [1, AT, "coach@test", "client", "42", "update", "emails,notes", GENESIS_HASH]
    base = chain_hash(*args)  # type: ignore[arg-type]
    for index in range(len(args)):
        changed = list(args)
        changed[index] = 2 if index == 0 else f"{args[index]}x"
        assert chain_hash(*changed) != base, index  # type: ignore[arg-type]


def test_chain_hash_fields_cannot_bleed_into_each_other() -> None:
    """The encoding keeps boundaries: moving text from one field to the next changes the hash."""
    one = chain_hash(1, AT, "coach@test", "client", "4", "2update", "", GENESIS_HASH)
    two = chain_hash(1, AT, "coach@test", "client", "42", "update", "", GENESIS_HASH)
    assert one != two
    assert len(one) == 64 and int(one, 16) >= 0


def test_expected_hash_matches_chain_hash() -> None:
    event = make_event(3, "a" * 64, action="trash")
    assert event.expected_hash() == event.hash
    assert replace(event, action="restore").expected_hash() != event.hash


# find_break, case by case

CHAIN = make_chain([("coach@test", "client", str(i), "create", "") for i in range(1, 7)])
HEAD = head_of(CHAIN)


def test_intact_chains() -> None:
    assert check(CHAIN, HEAD) is None
    assert check([], (0, GENESIS_HASH)) is None
    assert check(CHAIN[:1], head_of(CHAIN[:1])) is None


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_edited_field(field: str) -> None:
    tampered = list(CHAIN)
    tampered[2] = replace(CHAIN[2], **{field: getattr(CHAIN[2], field) + "0"})
    assert_named(check(tampered, HEAD), 3)


def test_edited_seq() -> None:
    tampered = list(CHAIN)
    tampered[2] = replace(CHAIN[2], seq=9)
    assert_named(check(tampered, HEAD), 3, "missing")


def test_deleted_row() -> None:
    assert_named(check(CHAIN[:2] + CHAIN[3:], HEAD), 3, "missing")
    assert_named(check(CHAIN[1:], HEAD), 1, "missing")


def test_swapped_rows() -> None:
    swapped = [CHAIN[0], CHAIN[3], CHAIN[2], CHAIN[1], *CHAIN[4:]]
    assert_named(check(swapped, HEAD), 2, "missing")


def test_swapped_rows_with_renumbered_seq() -> None:
    swapped = [CHAIN[0], replace(CHAIN[2], seq=2), replace(CHAIN[1], seq=3), *CHAIN[3:]]
    assert_named(check(swapped, HEAD), 2, "does not follow")


def test_out_of_order_seq_is_named() -> None:
    backwards = [CHAIN[0], CHAIN[1], CHAIN[1]]
    assert_named(check(backwards, HEAD), 3, "out of order")


def test_truncated_tail() -> None:
    assert_named(check(CHAIN[:4], HEAD), 5, "#6", "removed from the end")
    assert_named(check([], HEAD), 1, "#6", "removed from the end")


def test_forged_entry_at_the_end() -> None:
    forged = make_event(7, CHAIN[-1].hash, action="purge")
    assert_named(check([*CHAIN, forged], HEAD), 7, "added outside CoachDesk")


def test_forged_entry_in_the_middle() -> None:
    forged = make_event(4, CHAIN[2].hash, action="purge")
    renumbered = [replace(e, seq=e.seq + 1) for e in CHAIN[3:]]
    assert_named(check([*CHAIN[:3], forged, *renumbered], HEAD), 5, "does not follow")


def test_head_that_disagrees() -> None:
    assert check(CHAIN, (HEAD[0], "f" * 64)) is not None
    assert_named(check(CHAIN, (HEAD[0] + 1, HEAD[1])), 7, "removed from the end")
    assert_named(check(CHAIN, (HEAD[0] - 1, CHAIN[-2].hash)), 6, "added outside CoachDesk")


# find_break, generated

contents = st.lists(
    st.tuples(
        st.sampled_from(["coach@app", "coach@cli"]),
        st.sampled_from(["client", "practice", "vault", "setting"]),
        st.integers(1, 50).map(str),
        st.sampled_from(["create", "update", "trash", "restore", "purge"]),
        st.sampled_from(["", "notes", "emails,notes", "logo"]),
    ),
    min_size=0,
    max_size=10,
)


def mutate(data: st.DataObject, events: list[AuditEvent]) -> tuple[str, list[AuditEvent]]:
    """One random change, possibly one that happens to change nothing."""
    kinds = ["insert", "truncate"] + (["edit", "delete", "swap", "duplicate"] if events else [])
    kind = data.draw(st.sampled_from(kinds))
    out = list(events)
    if kind == "edit":
        index = data.draw(st.integers(0, len(out) - 1))
        field = data.draw(st.sampled_from(("seq", *TEXT_FIELDS)))
        if field == "seq":
            value: object = data.draw(st.integers(0, 15))
        else:
            old = getattr(out[index], field)
            value = data.draw(st.sampled_from([old, old + "x", old[:-1], "", GENESIS_HASH]))
        out[index] = replace(out[index], **{field: value})
    elif kind == "delete":
        del out[data.draw(st.integers(0, len(out) - 1))]
    elif kind == "swap":
        i, j = (data.draw(st.integers(0, len(out) - 1)) for _ in range(2))
        out[i], out[j] = out[j], out[i]
    elif kind == "duplicate":
        index = data.draw(st.integers(0, len(out) - 1))
        out.insert(index + 1, out[index])
    elif kind == "truncate":
        del out[data.draw(st.integers(0, len(out))) :]
    else:
        index = data.draw(st.integers(0, len(out)))
        # A careful forger links the entry to its predecessor and gives it the next seq.
        prev = out[index - 1].hash if index else GENESIS_HASH
        seq = data.draw(st.sampled_from([index + 1, index + 2, 1]))
        action = data.draw(st.sampled_from(["create", "purge"]))
        out.insert(index, make_event(seq, prev, action=action, at=f"{AT}#forged"))
    return kind, out


def first_difference(original: list[AuditEvent], changed: list[AuditEvent]) -> int:
    for index, (a, b) in enumerate(zip(original, changed, strict=False)):
        if a != b:
            return index
    return min(len(original), len(changed))


@HYPOTHESIS
@given(contents, st.data())
def test_every_change_to_a_chain_is_detected(
    items: list[tuple[str, ...]], data: st.DataObject
) -> None:
    chain = make_chain(items)  # type: ignore[arg-type]
    head = head_of(chain)
    assert check(chain, head) is None

    tampered = chain
    for _ in range(data.draw(st.integers(1, 4))):
        _, tampered = mutate(data, tampered)

    problem = check(tampered, head)
    if tampered == chain:
        assert problem is None
    else:
        assert problem is not None, "a changed chain passed verification"
        # Nothing before the first changed entry is blamed.
        assert problem.seq >= first_difference(chain, tampered) + 1
        assert f"#{problem.seq}" in problem.reason


@HYPOTHESIS
@given(contents.filter(bool), st.data())
def test_a_single_change_is_named_exactly(
    items: list[tuple[str, ...]], data: st.DataObject
) -> None:
    chain = make_chain(items)  # type: ignore[arg-type]
    kind, tampered = mutate(data, chain)
    if tampered == chain:
        return
    problem = check(tampered, head_of(chain))
    assert problem is not None
    first = first_difference(chain, tampered)
    if kind == "insert":
        # A well-formed forgery can only be caught at the entry it displaced.
        assert problem.seq in (first + 1, first + 2)
    else:
        assert problem.seq == first + 1, (kind, problem)


@HYPOTHESIS
@given(contents, st.integers(-3, 3), st.booleans())
def test_a_moved_head_is_detected(items: list[tuple[str, ...]], shift: int, new_hash: bool) -> None:
    chain = make_chain(items)  # type: ignore[arg-type]
    seq, digest = head_of(chain)
    moved = (seq + shift, "e" * 64 if new_hash else digest)
    problem = check(chain, moved)
    assert (problem is None) == ((seq, digest) == moved)


def test_events_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CHAIN[0].action = "purge"  # type: ignore[misc]
