"""The assistant's drafts: run a task under the policy and consent, store it for review.

Every output is a draft until the coach approves it. A task the policy does not allow
never runs; a client without AI consent never has AI run on their data; prohibited
topics in the input or output flag the draft (approval then needs an override note);
escalation words or low confidence send it to manual review with the reason. With no
model, the deterministic extractor writes the first draft.

The text itself (source, output, edits) is kept in `ai_drafts`, erased with the client;
the audit trail records digests of it with the template version and the model's hash.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session

from coachdesk.ai import prompts
from coachdesk.ai.postprocess import clean_draft
from coachdesk.ai.runtime import ModelHost
from coachdesk.domain.clients import display_name
from coachdesk.domain.compliance import AiPolicy, AiTask, Purpose
from coachdesk.domain.crm import NoteKind
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.extract import Extracted, action_items, extract, summary_draft
from coachdesk.services import compliance, crm, practice
from coachdesk.services.files import sha256_of
from coachdesk.store import audit
from coachdesk.store.tables import AiDraftTable, ClientTable
from coachdesk.store.vault import Vault

BUILT = (
    AiTask.SESSION_SUMMARY,
    AiTask.ACTION_ITEMS,
    AiTask.FOLLOW_UP_EMAIL,
    AiTask.LEAD_INTENT,
    AiTask.SESSION_PREP,
)
FALLBACK_MODEL = "rules (no model)"
INTENT_WORDS: dict[str, tuple[str, ...]] = {
    "interview_prep": ("interview", "recruiter", "hiring manager", "final round", "offer"),
    "exam_prep": ("exam", "certification", "test", "revision", "assessment"),
    "portfolio": ("portfolio", "case study", "case studies", "showcase"),
    "leadership": ("lead", "manager", "team", "leadership", "promotion", "executive"),
    "career_change": ("career change", "switch", "change career", "new field", "retrain"),
}


class AiBlockedError(KnownError):
    """The policy or the client's consent does not allow this task."""


@dataclass(frozen=True, slots=True)
class DraftFlags:
    """Why a draft needs a careful read.

    Args:
        topics: prohibited topics found in the input or output (approval needs an override).
        escalations: reasons the draft went to manual review.
        unverified: links, e-mail addresses and numbers in the output that are not in its
            source, to be highlighted.
        fallback: written by the rule-based extractor because no model was available.
    """

    topics: tuple[str, ...] = ()
    escalations: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()
    fallback: bool = False

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "topics": list(self.topics),
                "escalations": list(self.escalations),
                "unverified": list(self.unverified),
                "fallback": self.fallback,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> DraftFlags:
        """Read the stored form."""
        raw: dict[str, Any] = json.loads(text or "{}")
        return cls(
            tuple(raw.get("topics", ())),
            tuple(raw.get("escalations", ())),
            tuple(raw.get("unverified", ())),
            bool(raw.get("fallback", False)),
        )


@dataclass(frozen=True, slots=True)
class Draft:
    """A stored draft."""

    id: int
    client_id: int
    task: AiTask
    status: str
    template: str
    model: str
    source_kind: str
    source: str
    output: str
    edited: str | None
    flags: DraftFlags
    override_note: str
    generation_ms: int
    created_at: datetime
    decided_at: datetime | None

    @property
    def text(self) -> str:
        """What the coach approved or will approve: their edit, else the output."""
        return self.edited if self.edited is not None else self.output


def _to_draft(row: AiDraftTable) -> Draft:
    return Draft(
        row.id,
        row.client_id,
        AiTask(row.task),
        row.status,
        row.template,
        row.model,
        row.source_kind,
        row.source,
        row.output,
        row.edited,
        DraftFlags.from_json(row.flags),
        row.override_note,
        row.generation_ms,
        row.created_at,
        row.decided_at,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _file_sha(path: Path, size: int, mtime: float) -> str:
    return sha256_of(path)  # size and mtime make the cache key change with the file


def model_sha256(path: Path) -> str:
    """The model file's SHA-256 (worked out once per file version)."""
    stat = path.stat()
    return _file_sha(path.resolve(), stat.st_size, stat.st_mtime)


# What may run ------------------------------------------------------------------------


def check_may_run(vault: Vault, client_id: int, task: AiTask) -> AiPolicy:
    """The policy in force, or AiBlockedError saying why this task may not run."""
    policy = compliance.ai_policy(vault)
    if task not in policy.allowed:
        raise AiBlockedError(
            f"Your AI policy does not allow {task.label.lower()}. Change it in Compliance → "
            "AI policy if you want the assistant to do this."
        )
    if not compliance.has_consent(vault, client_id, Purpose.AI_ASSISTANCE):
        with vault.reading() as session:
            row = session.get(ClientTable, client_id)
            if row is None:
                raise NotFoundError(f"There is no client #{client_id}.")
            name = display_name(row.first_name, row.last_name, row.preferred_name)
        raise AiBlockedError(
            f"{name} has not agreed to AI assistance, so the assistant may not use their "
            "records. Record their consent on the Privacy tab first."
        )
    if task not in BUILT:
        raise AiBlockedError(f"{task.label} are not available yet.")
    return policy


# The source a task works from -----------------------------------------------------------


def _gather(
    vault: Vault, task: AiTask, client_id: int, note_id: int | None, text: str | None
) -> tuple[str, str, str]:
    """(kind, reference, text) the task works from."""
    if text is not None and text.strip():
        return ("inquiry" if task is AiTask.LEAD_INTENT else "text"), "", text.strip()
    notes = crm.list_notes(vault, client_id)
    if task is AiTask.LEAD_INTENT:
        with vault.reading() as session:
            row = session.get(ClientTable, client_id)
            background = row.notes if row is not None else ""
        discovery = [n for n in notes if n.kind is NoteKind.DISCOVERY]
        source = background or (discovery[0].text if discovery else "")
        if not source.strip():
            raise ValidationError({"text": "Paste the inquiry: this lead has no notes yet."})
        return "inquiry", "", source
    if task is AiTask.SESSION_PREP:
        return "record", "", _record_brief(vault, client_id)
    chosen = next((n for n in notes if n.id == note_id), None) if note_id else None
    if note_id and chosen is None:
        raise NotFoundError(f"Note #{note_id} is not one of this client's notes.")
    if chosen is None:
        sessions = [n for n in notes if n.kind in (NoteKind.SESSION, NoteKind.TRANSCRIPT)]
        chosen = max(sessions, key=lambda n: (n.occurred_on, n.id), default=None)
    if chosen is None:
        raise ValidationError({"note": "There is no session note to work from yet."})
    return "note", str(chosen.id), chosen.text


def _record_brief(vault: Vault, client_id: int) -> str:
    goals = crm.list_goals(vault, client_id)
    notes = [n for n in crm.list_notes(vault, client_id) if n.kind is NoteKind.SESSION]
    follow_ups = [f for f in crm.list_follow_ups(vault, client_id) if f.done_at is None]
    lines = ["Goals:"]
    lines += [f"- {g.objective} ({g.progress}% done)" for g in goals] or ["- none set"]
    if notes:
        last = max(notes, key=lambda n: (n.occurred_on, n.id))
        lines += [f"Last session ({last.occurred_on.isoformat()}):", last.text]
    lines.append("Open follow-ups:")
    today = datetime.now().date()
    lines += [
        f"- {f.title} (due {f.due_at.date().isoformat()}"
        + (", overdue)" if f.due_at.date() < today else ")")
        for f in follow_ups
    ] or ["- none"]
    return "\n".join(lines)


# Long input: summarised in stages -----------------------------------------------------------

# Tokens kept free in the context for the system prompt, the template's own words and markers.
PROMPT_OVERHEAD = 320
Progress = Callable[[int, int], None]


def split_to_fit(text: str, budget: int, count: Callable[[str], int]) -> list[str]:
    """`text` cut into pieces of at most `budget` tokens: at paragraph breaks where it can,
    else at sentence ends, else between words."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            pieces.append("\n".join(current))
        current, size = [], 0

    def units(block: str) -> list[str]:
        if count(block) <= budget:
            return [block]
        sentences = re.split(r"(?<=[.!?])\s+", block)
        if len(sentences) > 1:
            return [u for sentence in sentences for u in units(sentence)]
        words = block.split()
        half = max(1, len(words) // 2)
        if len(words) <= 1:
            return [block]
        return units(" ".join(words[:half])) + units(" ".join(words[half:]))

    for paragraph in (p for p in text.splitlines() if p.strip()):
        for unit in units(paragraph):
            cost = count(unit) + 1
            if size + cost > budget:
                flush()
            current.append(unit)
            size += cost
    flush()
    return pieces


def condense(
    host: ModelHost,
    source: str,
    client: str,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    reply_tokens: int = 320,
) -> str:
    """Source text short enough for one prompt leaving `reply_tokens` for the answer: long
    input is summarised part by part (and again, if the parts' notes are still too long),
    so the context never overflows."""
    from coachdesk.ai.runtime import CancelledError

    part = prompts.load("session_summary_part")
    context = host.context_size
    fits = context - reply_tokens - PROMPT_OVERHEAD
    budget = context - part.max_tokens - PROMPT_OVERHEAD
    text = source
    while host.count_tokens(text) > fits:
        chunks = split_to_fit(text, budget, host.count_tokens)
        notes = []
        for number, chunk in enumerate(chunks, 1):
            if progress is not None:
                progress(number - 1, len(chunks))
            messages = prompts.render(
                part, part=str(number), parts=str(len(chunks)), client_name=client, notes=chunk
            )
            reply = host.complete(messages, cancel=cancel, max_tokens=part.max_tokens)
            notes.append(clean_draft(reply))
            if cancel is not None and cancel.is_set():
                raise CancelledError("The draft was cancelled; nothing was kept.")
        if progress is not None:
            progress(len(chunks), len(chunks))
        condensed = "\n".join(n for n in notes if n)
        if host.count_tokens(condensed) >= host.count_tokens(text):
            break  # the model is not shortening it; stop rather than loop
        text = condensed
    return text


# Running a task ------------------------------------------------------------------------------


def _fallback(task: AiTask, source: str, facts: Extracted, names: dict[str, str]) -> str:
    match task:
        case AiTask.SESSION_SUMMARY:
            return summary_draft(source, facts)
        case AiTask.ACTION_ITEMS:
            return json.dumps({"items": action_items(facts)}, indent=2)
        case AiTask.LEAD_INTENT:
            return json.dumps(_intent_by_words(source))
        case AiTask.FOLLOW_UP_EMAIL:
            items = action_items(facts)
            lines = [f"Dear {names['client_first']},", "", "Thank you for today's session."]
            if items:
                lines += ["", "What we agreed:"]
                lines += [
                    f"- {i['action']}" + (f" (by {i['due']})" if i["due"] else "") for i in items
                ]
            lines += ["", "Best wishes,", names["coach_name"]]
            return "\n".join(lines)
        case _:  # the session prep brief is already written from the record
            return source


def _intent_by_words(text: str) -> dict[str, Any]:
    lowered = text.lower()
    scores = {
        intent: sum(lowered.count(word) for word in words) for intent, words in INTENT_WORDS.items()
    }
    best = max(scores, key=lambda k: scores[k])
    total = sum(scores.values())
    if not total:
        return {"intent": "other", "confidence": 30}
    return {"intent": best, "confidence": min(90, round(100 * scores[best] / total))}


def _values(task: AiTask, source: str, facts: Extracted, names: dict[str, str]) -> dict[str, str]:
    hints = "; ".join(c.sentence for c in facts.commitments[:8]) or "none found"
    return {
        "client_name": names["client"],
        "coach_name": names["coach_name"],
        "today": date.today().isoformat(),
        "notes": source,
        "record": source,
        "inquiry": source,
        "hints": hints,
        "next_session": names.get("next_session", "not booked yet"),
    }


def _unverified(output: str, source: str, today: date) -> tuple[str, ...]:
    said = extract(source, today)
    made = extract(output, today)
    known = {x.lower() for x in (*said.links, *said.emails, *said.numbers)}
    return tuple(
        dict.fromkeys(
            x for x in (*made.links, *made.emails, *made.numbers) if x.lower() not in known
        )
    )


def _check_structured(task: AiTask, text: str, schema: dict[str, Any]) -> str:
    """Structured output parsed and validated (a cut or invalid reply is an error)."""
    try:
        value = json.loads(text)
        jsonschema.validate(value, schema)
    except (ValueError, jsonschema.ValidationError):
        raise KnownError(
            f"The model's {task.label.lower()} did not come out as valid data; try again, or "
            "choose a larger model in Settings."
        ) from None
    if task is AiTask.ACTION_ITEMS:
        # Small models repeat an item; keep each (action, owner) once.
        unique = {(i["action"].strip().lower(), i["owner"]): i for i in reversed(value["items"])}
        value["items"] = [
            i for i in value["items"] if unique.get((i["action"].strip().lower(), i["owner"])) is i
        ]
        for item in value["items"]:
            try:
                if item["due"]:
                    date.fromisoformat(item["due"])
            except ValueError:
                item["due"] = ""  # the grammar allows any short string; keep real dates only
    return json.dumps(value, indent=2)


def run_task(
    vault: Vault,
    task: AiTask,
    client_id: int,
    host: ModelHost | None,
    note_id: int | None = None,
    text: str | None = None,
    cancel: threading.Event | None = None,
    on_piece: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> Draft:
    """Write a draft for `task` about a client and store it for review.

    Long notes or transcripts are first condensed part by part (`progress` hears
    (parts done, parts)), so a 90-minute transcript never overflows the context.

    Raises:
        AiBlockedError: the policy or the client's consent does not allow it.
        CancelledError: the coach cancelled (nothing is stored).
    """
    from coachdesk.ai.runtime import CancelledError, Piece

    policy = check_may_run(vault, client_id, task)
    kind, ref, source = _gather(vault, task, client_id, note_id, text)
    with vault.reading() as session:
        row = session.get(ClientTable, client_id)
        assert row is not None
        client = display_name(row.first_name, row.last_name, row.preferred_name)
        first = row.preferred_name or row.first_name or client
    coach = practice.get_profile(vault).coach_name or "Your coach"
    names = {"client": client, "client_first": first, "coach_name": coach}
    today = date.today()
    facts = extract(source, today, client_name=client, coach_name=coach)
    template = prompts.load(task.value)
    started = time.perf_counter()
    if host is None:
        output, model, model_hash = _fallback(task, source, facts, names), FALLBACK_MODEL, ""
    else:
        material = source
        if task in (AiTask.SESSION_SUMMARY, AiTask.FOLLOW_UP_EMAIL, AiTask.ACTION_ITEMS):
            material = condense(host, source, client, cancel, progress, template.max_tokens)
        messages = prompts.render(template, **_values(task, material, facts, names))
        pieces: list[str] = []
        finish = "stop"
        piece: Piece
        for piece in host.stream(
            messages,
            cancel=cancel,
            max_tokens=template.max_tokens,
            json_schema=template.json_schema,
        ):
            if piece.finish:
                finish = piece.finish
                break
            pieces.append(piece.text)
            if on_piece is not None:
                on_piece(piece.text)
        if finish == "cancelled":
            raise CancelledError("The draft was cancelled; nothing was kept.")
        raw = "".join(pieces)
        if template.json_schema is None:
            output = clean_draft(raw)
        else:
            output = _check_structured(task, raw, template.json_schema)
        model, model_hash = host.info.name, model_sha256(host.path)
    elapsed = int((time.perf_counter() - started) * 1000)
    escalations = policy.escalations_in(source + "\n" + output)
    if task is AiTask.LEAD_INTENT:
        confidence = int(json.loads(output).get("confidence", 0))
        if confidence < policy.min_confidence:
            escalations.append(f"Low confidence ({confidence}%)")
    flags = DraftFlags(
        topics=tuple(policy.topics_in(source + "\n" + output)),
        escalations=tuple(escalations),
        unverified=_unverified(output, source, today),
        fallback=host is None,
    )
    with vault.writing() as session:
        stored = AiDraftTable(
            client_id=client_id,
            task=task.value,
            status="needs_review" if flags.escalations else "draft",
            template=template.label,
            model=model,
            model_sha256=model_hash,
            policy_version=policy.version,
            source_kind=kind,
            source_ref=ref,
            source=source,
            output=output,
            edited=None,
            flags=flags.to_json(),
            override_note="",
            generation_ms=elapsed,
            created_at=_now(),
        )
        session.add(stored)
        session.flush()
        audit.append(
            session,
            vault.actor,
            "ai_draft",
            stored.id,
            f"create:{task.value}",
            [
                f"template:{template.label}",
                f"model:{model_hash[:16] or 'rules'}",
                f"source:{_sha(source)[:16]}",
                f"output:{_sha(output)[:16]}",
                f"ms:{elapsed}",
            ],
        )
        return _to_draft(stored)


# Review ----------------------------------------------------------------------------------


def _row(session: Session, draft_id: int) -> AiDraftTable:
    row = session.get(AiDraftTable, draft_id)
    if row is None:
        raise NotFoundError(f"There is no draft #{draft_id}.")
    if row.status in ("approved", "rejected"):
        raise KnownError(f"Draft #{draft_id} was already {row.status}.")
    return row


def approve(
    vault: Vault, draft_id: int, edited: str | None = None, override_note: str = ""
) -> Draft:
    """Approve a draft, with the coach's edit if any; flagged topics need an override note."""
    with vault.writing() as session:
        row = _row(session, draft_id)
        flags = DraftFlags.from_json(row.flags)
        if flags.topics and not override_note.strip():
            raise KnownError(
                f"This draft touches {', '.join(flags.topics).lower()}. Edit it, or write an "
                "override note saying why it is fine to approve."
            )
        if edited is not None and edited.strip() == row.output.strip():
            edited = None
        schema = prompts.load(row.task).json_schema
        if edited is not None and schema is not None:
            _check_structured(AiTask(row.task), edited, schema)
        row.edited = edited
        row.override_note = override_note.strip()
        row.status = "approved"
        row.decided_at = _now()
        diff = "".join(
            difflib.unified_diff(
                row.output.splitlines(True), (edited or row.output).splitlines(True)
            )
        )
        fields = [f"edit:{_sha(diff)[:16]}" if diff else "edit:none"]
        if row.override_note:
            fields.append("override")
        audit.append(session, vault.actor, "ai_draft", draft_id, "approve", fields)
        return _to_draft(row)


def reject(vault: Vault, draft_id: int) -> Draft:
    """Reject a draft (it is kept, marked rejected, for the impact report)."""
    with vault.writing() as session:
        row = _row(session, draft_id)
        row.status = "rejected"
        row.decided_at = _now()
        audit.append(session, vault.actor, "ai_draft", draft_id, "reject")
        return _to_draft(row)


def list_drafts(
    vault: Vault, status: str | None = None, client_id: int | None = None
) -> list[Draft]:
    """Drafts, newest first."""
    query = select(AiDraftTable).order_by(AiDraftTable.id.desc())
    if status:
        query = query.where(AiDraftTable.status == status)
    if client_id is not None:
        query = query.where(AiDraftTable.client_id == client_id)
    with vault.reading() as session:
        return [_to_draft(r) for r in session.scalars(query)]
