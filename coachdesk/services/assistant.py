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
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session

from coachdesk.ai import prompts
from coachdesk.ai.postprocess import clean_draft
from coachdesk.ai.retrieval import Passage, rank, split_passages
from coachdesk.ai.runtime import Message, ModelHost
from coachdesk.documents import eml
from coachdesk.documents import model as document_model
from coachdesk.domain.clients import Objective, changed_fields, display_name
from coachdesk.domain.compliance import AiPolicy, AiTask, Purpose
from coachdesk.domain.crm import MAX_TITLE, FollowUp, FollowUpDraft, Note, NoteKind
from coachdesk.domain.documents import file_name
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.extract import Extracted, action_items, extract, summary_draft
from coachdesk.services import clients, compliance, crm, practice
from coachdesk.services.documents import EmailDraft
from coachdesk.services.files import sha256_of
from coachdesk.store import audit
from coachdesk.store import clients as client_repo
from coachdesk.store import crm as crm_store
from coachdesk.store.tables import (
    AiDraftTable,
    ClientTable,
    GeneratedDocumentTable,
    SessionTable,
)
from coachdesk.store.vault import Vault

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
    applied: str = ""
    client_name: str = ""
    source_ref: str = ""

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
        row.applied,
        source_ref=row.source_ref,
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
    return policy


# The source a task works from -----------------------------------------------------------


def _gather(
    vault: Vault,
    task: AiTask,
    client_id: int,
    note_id: int | None,
    text: str | None,
    session_id: int | None = None,
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
        source = (discovery[0].text if discovery else "") or background
        if not source.strip():
            raise ValidationError({"text": "Paste the inquiry: this lead has no notes yet."})
        return "inquiry", "", source
    if task is AiTask.SESSION_PREP:
        return "record", "", _record_brief(vault, client_id)
    if task is AiTask.LEARNING_PLAN:
        return "record", "", ""  # the goals and materials are gathered by _materials
    if session_id is not None:
        return _session_notes(vault, client_id, session_id, notes)
    chosen = next((n for n in notes if n.id == note_id), None) if note_id else None
    if note_id and chosen is None:
        raise NotFoundError(f"Note #{note_id} is not one of this client's notes.")
    if chosen is None:
        sessions = [n for n in notes if n.kind in (NoteKind.SESSION, NoteKind.TRANSCRIPT)]
        chosen = max(sessions, key=lambda n: (n.occurred_on, n.id), default=None)
    if chosen is None:
        raise ValidationError({"note": "There is no session note to work from yet."})
    return "note", str(chosen.id), chosen.text


def _session_notes(
    vault: Vault, client_id: int, session_id: int, notes: list[Note]
) -> tuple[str, str, str]:
    """The session and transcript notes written for one booked session (on its day)."""
    with vault.reading() as session:
        row = session.get(SessionTable, session_id)
        if row is None or row.client_id != client_id:
            raise NotFoundError(f"Session #{session_id} is not one of this client's sessions.")
        day = row.starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo(row.coach_zone)).date()
    found = [
        n
        for n in sorted(notes, key=lambda n: n.id)
        if n.kind in (NoteKind.SESSION, NoteKind.TRANSCRIPT) and n.occurred_on == day
    ]
    if not found:
        raise ValidationError(
            {"session": f"There is no session note dated {day.isoformat()} for that session yet."}
        )
    return "session", str(session_id), "\n\n".join(n.text for n in found)


def _materials(vault: Vault, client_id: int) -> list[Passage]:
    """This client's notes and documents, as citable passages (never another client's)."""
    passages: list[Passage] = []
    for note in crm.list_notes(vault, client_id):
        title = f"{note.kind.label} note, {note.occurred_on.isoformat()}"
        passages += split_passages(Passage(f"note:{note.id}", title, note.text))
    with vault.reading() as session:
        rows = session.scalars(
            select(GeneratedDocumentTable)
            .where(GeneratedDocumentTable.client_id == client_id)
            .order_by(GeneratedDocumentTable.id)
        ).all()
        documents = [(r.id, r.title, r.created_at.date(), r.structure) for r in rows]
    for doc_id, title, made, structure in documents:
        body = document_model.from_json(structure).text()
        cited = f"{title}, {made.isoformat()}"
        passages += split_passages(Passage(f"document:{doc_id}", cited, body))
    return passages


def _goal_lines(vault: Vault, client_id: int) -> list[str]:
    lines = []
    for goal in crm.list_goals(vault, client_id):
        line = f"- {goal.objective}"
        if goal.measure:
            line += f" (measured by: {goal.measure})"
        if goal.target_on:
            line += f", by {goal.target_on.isoformat()}"
        lines.append(line + f"; {goal.progress}% done")
        lines += [f"  - milestone: {m.title}" for m in goal.milestones]
    return lines


def _cited(passages: list[Passage]) -> str:
    return "\n\n".join(f"[{p.title}]\n{p.text}" for p in passages)


def _record_brief(vault: Vault, client_id: int) -> str:
    goals = _goal_lines(vault, client_id)
    notes = [n for n in crm.list_notes(vault, client_id) if n.kind is NoteKind.SESSION]
    follow_ups = [f for f in crm.list_follow_ups(vault, client_id) if f.done_at is None]
    lines = ["Goals:", *(goals or ["- none set"])]
    last = max(notes, key=lambda n: (n.occurred_on, n.id)) if notes else None
    if last is not None:
        lines += [f"Last session ({last.occurred_on.isoformat()}):", last.text]
    lines.append("Open follow-ups:")
    today = datetime.now().date()
    lines += [
        f"- {f.title} (due {f.due_at.date().isoformat()}"
        + (", overdue)" if f.due_at.date() < today else ")")
        for f in follow_ups
    ] or ["- none"]
    if goals:
        material = [
            p for p in _materials(vault, client_id) if last is None or p.ref != f"note:{last.id}"
        ]
        relevant = rank(material, "\n".join(goals), limit=3)
        if relevant:
            lines += ["Relevant from your notes and documents:", _cited(relevant)]
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


# Running a task: prepare (db lane), generate (llm lane), store (db lane) ----------------------


def _fallback(prepared: Prepared) -> str:
    facts, names, source = prepared.facts, prepared.names, prepared.source
    match prepared.task:
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
        case AiTask.LEARNING_PLAN:
            goals = [g[2:] for g in prepared.values["goals"].splitlines() if g.startswith("- ")]
            steps = []
            for number, goal in enumerate(goals[:8], 1):
                best = rank(prepared.citations, goal, limit=1)
                use = f" Use [{best[0].title}]." if best else ""
                steps.append(f"{number}. Work towards: {goal}.{use}")
            return "\n".join(steps) or "Set a goal on the Goals tab first."
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


def _unverified(output: str, source: str, today: date, outgoing: bool = False) -> tuple[str, ...]:
    """Links, e-mail addresses and numbers in `output` that `source` does not have. For an
    outgoing e-mail every link and address is listed: one copied from a client's note is
    not vouched for by being there (it may be what an injected note wanted sent)."""
    said = extract(source, today)
    made = extract(output, today)
    known = {x.lower() for x in (*said.links, *said.emails, *said.numbers)}
    if outgoing:
        known -= {x.lower() for x in (*said.links, *said.emails)}
    found: dict[str, str] = {}
    for item in (*made.links, *made.emails, *made.numbers):
        if item.lower() not in known:
            found.setdefault(item.lower(), item)
    return tuple(found.values())


def _only_schema_fields(value: Any, schema: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "properties" in schema:
        return {
            key: _only_schema_fields(item, schema["properties"][key])
            for key, item in value.items()
            if key in schema["properties"]
        }
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_only_schema_fields(item, schema["items"]) for item in value]
    return value


def _complete_part(raw: str, schema: dict[str, Any]) -> str:
    """A structured reply cut off by the length limit, up to its last complete item and
    closed, when that is valid; else the reply as it was (and it fails validation)."""
    for end in range(len(raw) - 1, 0, -1):
        if raw[end] != "}":
            continue
        for closer in ("]}", "}"):
            candidate = raw[: end + 1] + closer
            try:
                jsonschema.validate(json.loads(candidate), schema)
            except (ValueError, jsonschema.ValidationError):
                continue
            return candidate
    return raw


def _check_structured(task: AiTask, text: str, schema: dict[str, Any], edited: bool = False) -> str:
    """Structured output parsed and validated (a cut or invalid reply is an error). Fields
    the schema does not name are dropped from a model's reply and refused in an edit."""
    try:
        value = json.loads(text)
        if not edited:
            value = _only_schema_fields(value, schema)
        jsonschema.validate(value, schema)
    except ValueError as exc:
        if edited:
            raise KnownError(
                f"Your edit is not valid data any more ({exc}). Keep the quotes, commas and "
                "brackets as they were, or start again from the assistant's text."
            ) from None
        raise KnownError(
            f"The model's {task.label.lower()} did not come out as valid data; try again, or "
            "choose a larger model in Settings."
        ) from None
    except jsonschema.ValidationError as exc:
        if edited:
            where = " → ".join(str(p) for p in exc.absolute_path) or "the top level"
            raise KnownError(f"Your edit does not fit ({where}): {exc.message}.") from None
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


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything a task needs to generate, read from the vault before the model runs.

    Args:
        source: the text shown beside the draft (note, transcript, inquiry, record brief,
            or the goals and cited materials of a learning plan).
        values: the template's placeholders, filled (client text is wrapped as data later).
        citations: the passages of the coach's materials the draft may draw on.
    """

    task: AiTask
    client_id: int
    policy: AiPolicy
    source_kind: str
    source_ref: str
    source: str
    names: dict[str, str]
    facts: Extracted
    template: prompts.PromptTemplate
    values: dict[str, str]
    citations: list[Passage]
    today: date


@dataclass(frozen=True, slots=True)
class Generated:
    """What the model (or the rule-based fallback) wrote."""

    output: str
    model: str
    model_sha256: str
    prompt_sha256: str
    ms: int


def prepare(
    vault: Vault,
    task: AiTask,
    client_id: int,
    note_id: int | None = None,
    text: str | None = None,
    session_id: int | None = None,
) -> Prepared:
    """Check that the task may run, then gather its source from the vault (db lane).

    Raises:
        AiBlockedError: the policy or the client's consent does not allow it.
    """
    policy = check_may_run(vault, client_id, task)
    kind, ref, source = _gather(vault, task, client_id, note_id, text, session_id)
    with vault.reading() as session:
        row = session.get(ClientTable, client_id)
        assert row is not None
        client = display_name(row.first_name, row.last_name, row.preferred_name)
        first = row.preferred_name or row.first_name or client
    coach = practice.get_profile(vault).coach_name or "Your coach"
    names = {"client": client, "client_first": first, "coach_name": coach}
    today = date.today()
    citations: list[Passage] = []
    values = {
        "client_name": client,
        "coach_name": coach,
        "today": today.isoformat(),
        "next_session": _next_session(vault, client_id),
    }
    if task is AiTask.LEARNING_PLAN:
        goals = _goal_lines(vault, client_id)
        if not goals:
            raise ValidationError(
                {"goals": "Set at least one goal first: the plan is built on them."}
            )
        citations = rank(_materials(vault, client_id), "\n".join(goals), limit=4)
        material = _cited(citations) or "(none found: say which materials would help)"
        source = "Goals:\n" + "\n".join(goals) + "\n\nMaterials:\n" + material
        values |= {"goals": "\n".join(goals), "materials": material}
    facts = extract(source, today, client_name=client, coach_name=coach)
    hints = "; ".join(c.sentence for c in facts.commitments[:8]) or "none found"
    values |= {"notes": source, "record": source, "inquiry": source, "hints": hints}
    return Prepared(
        task,
        client_id,
        policy,
        kind,
        ref,
        source,
        names,
        facts,
        prompts.load(task.value),
        values,
        citations,
        today,
    )


def _next_session(vault: Vault, client_id: int) -> str:
    """When the client's next booked session is, in the coach's time zone, in words."""
    now = _now()
    with vault.reading() as session:
        row = session.scalars(
            select(SessionTable)
            .where(
                SessionTable.client_id == client_id,
                SessionTable.status == "scheduled",
                SessionTable.starts_at > now,
            )
            .order_by(SessionTable.starts_at)
            .limit(1)
        ).first()
        if row is None:
            return "not booked yet"
        local = row.starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo(row.coach_zone))
    return local.strftime("%A %d %B %Y at %H:%M")


# The client text each task's prompt is built around; it is condensed when too long.
MAIN_FIELD = {
    AiTask.SESSION_SUMMARY: "notes",
    AiTask.ACTION_ITEMS: "notes",
    AiTask.FOLLOW_UP_EMAIL: "notes",
    AiTask.LEAD_INTENT: "inquiry",
    AiTask.SESSION_PREP: "record",
    AiTask.LEARNING_PLAN: "materials",
}


def _fitted(
    prepared: Prepared,
    host: ModelHost,
    cancel: threading.Event | None,
    progress: Progress | None,
) -> dict[str, str]:
    """The template's values with its main client text condensed, part by part, until the
    prompt leaves room for the reply in the model's context (whatever the task)."""
    template = prepared.template
    values = dict(prepared.values)
    field = MAIN_FIELD[prepared.task]
    others = sum(
        host.count_tokens(values[key])
        for key in template.placeholders
        if key != field and key in template.data
    )
    values[field] = condense(
        host,
        values[field],
        prepared.names["client"],
        cancel,
        progress,
        template.max_tokens + others,
    )
    return values


def _prompt_digest(messages: list[Message]) -> str:
    return _sha("\n".join(f"{m.role}:{m.content}" for m in messages))


def generate(
    prepared: Prepared,
    host: ModelHost | None,
    cancel: threading.Event | None = None,
    on_piece: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> Generated:
    """Write the draft's text (llm lane; touches no database). With no host, the
    rule-based extractor writes it.

    Raises:
        CancelledError: the coach cancelled.
    """
    from coachdesk.ai.runtime import CancelledError

    task, template = prepared.task, prepared.template
    started = time.perf_counter()
    if host is None:
        output = _fallback(prepared)
        prompt = ""  # no prompt: the rules read the source
        model, model_hash = FALLBACK_MODEL, ""
    else:
        values = _fitted(prepared, host, cancel, progress)
        messages = prompts.render(template, **values)
        prompt = _prompt_digest(messages)
        pieces: list[str] = []
        finish = "stop"
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
        if finish == "length" and template.json_schema is not None:
            raw = _complete_part(raw, template.json_schema)
        if template.json_schema is None:
            output = clean_draft(raw)
        else:
            output = _check_structured(task, raw, template.json_schema)
        model, model_hash = host.info.name, model_sha256(host.path)
    if prepared.citations:
        output += "\n\nDrawn from:\n" + "\n".join(f"- {p.title}" for p in prepared.citations)
    elapsed = int((time.perf_counter() - started) * 1000)
    return Generated(output, model, model_hash, prompt, elapsed)


def store(vault: Vault, prepared: Prepared, made: Generated) -> Draft:
    """Flag the draft and keep it for review (db lane). Consent and policy are checked
    again: a withdrawal while the model was writing means nothing is kept.

    Raises:
        AiBlockedError: consent was withdrawn or the policy changed meanwhile.
    """
    task, source, output = prepared.task, prepared.source, made.output
    policy = check_may_run(vault, prepared.client_id, task)
    escalations = policy.escalations_in(source + "\n" + output)
    if task is AiTask.LEAD_INTENT:
        confidence = int(json.loads(output).get("confidence", 0))
        if confidence < policy.min_confidence:
            escalations.append(f"Low confidence ({confidence}%)")
    flags = DraftFlags(
        topics=tuple(policy.topics_in(source + "\n" + output)),
        escalations=tuple(escalations),
        unverified=_unverified(output, source, prepared.today, task is AiTask.FOLLOW_UP_EMAIL),
        fallback=made.model == FALLBACK_MODEL,
    )
    with vault.writing() as session:
        stored = AiDraftTable(
            client_id=prepared.client_id,
            task=task.value,
            status="needs_review" if flags.escalations else "draft",
            template=prepared.template.label,
            model=made.model,
            model_sha256=made.model_sha256,
            policy_version=policy.version,
            source_kind=prepared.source_kind,
            source_ref=prepared.source_ref,
            source=source,
            output=output,
            edited=None,
            flags=flags.to_json(),
            override_note="",
            generation_ms=made.ms,
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
                f"template:{prepared.template.label}",
                f"model:{made.model_sha256[:16] or 'rules'}",
                f"prompt:{made.prompt_sha256[:16] or 'none'}",
                f"source:{_sha(source)[:16]}",
                f"output:{_sha(output)[:16]}",
                f"ms:{made.ms}",
            ],
        )
        return _to_draft(stored)


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
    session_id: int | None = None,
) -> Draft:
    """Write a draft for `task` about a client and store it for review, in one thread
    (the command line; the app runs the three steps on its db and llm lanes).

    Long notes or transcripts are first condensed part by part (`progress` hears
    (parts done, parts)), so a 90-minute transcript never overflows the context.

    Raises:
        AiBlockedError: the policy or the client's consent does not allow it.
        CancelledError: the coach cancelled (nothing is stored).
    """
    prepared = prepare(vault, task, client_id, note_id, text, session_id)
    made = generate(prepared, host, cancel, on_piece, progress)
    return store(vault, prepared, made)


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
        if edited is not None and not edited.strip():
            raise KnownError("The draft is empty: write something, or reject it.")
        schema = prompts.load(row.task).json_schema
        if edited is not None and schema is not None:
            # Stored as checked: dates that are not YYYY-MM-DD become "no date".
            edited = _check_structured(AiTask(row.task), edited, schema, edited=True)
        if edited is not None and edited.strip() == row.output.strip():
            edited = None
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
    """Drafts, newest first, with their client's name."""
    query = (
        select(
            AiDraftTable, ClientTable.first_name, ClientTable.last_name, ClientTable.preferred_name
        )
        .join(ClientTable, ClientTable.id == AiDraftTable.client_id)
        .order_by(AiDraftTable.id.desc())
    )
    if status:
        query = query.where(AiDraftTable.status == status)
    if client_id is not None:
        query = query.where(AiDraftTable.client_id == client_id)
    with vault.reading() as session:
        return [
            replace(_to_draft(row), client_name=display_name(first, last, preferred))
            for row, first, last, preferred in session.execute(query)
        ]


def get_draft(vault: Vault, draft_id: int) -> Draft:
    """One draft, with its client's name."""
    with vault.reading() as session:
        row = session.get(AiDraftTable, draft_id)
        if row is None:
            raise NotFoundError(f"There is no draft #{draft_id}.")
        client = session.get(ClientTable, row.client_id)
        assert client is not None
        name = display_name(client.first_name, client.last_name, client.preferred_name)
        return replace(_to_draft(row), client_name=name)


def availability(vault: Vault, client_id: int) -> dict[AiTask, str]:
    """For each task, why it may not run for this client now ("" when it may)."""
    reasons: dict[AiTask, str] = {}
    for task in AiTask:
        try:
            check_may_run(vault, client_id, task)
            reasons[task] = ""
        except AiBlockedError as exc:
            reasons[task] = exc.message
    return reasons


def approve_many(vault: Vault, draft_ids: list[int]) -> list[Draft]:
    """Approve several drafts as written, all or none. Drafts the policy says must be read
    one by one, sent to manual review, or flagged for a prohibited topic are refused."""
    with vault.writing() as session:
        policy = compliance.ai_policy(vault)
        rows = [_row(session, draft_id) for draft_id in draft_ids]
        for row in rows:
            task = AiTask(row.task)
            flags = DraftFlags.from_json(row.flags)
            if (
                task in policy.review_always
                or row.status == "needs_review"
                or flags.topics
                or flags.unverified
            ):
                raise KnownError(
                    f"Draft #{row.id} ({task.label.lower()}) must be read and approved on its "
                    "own; it was left out of the batch."
                )
        now = _now()
        for row in rows:
            row.status, row.decided_at = "approved", now
            audit.append(session, vault.actor, "ai_draft", row.id, "approve", ["edit:none", "bulk"])
        return [_to_draft(r) for r in rows]


# What an approved draft becomes -----------------------------------------------------------


def _approved(session: Session, draft_id: int, task: AiTask, again: bool = False) -> AiDraftTable:
    """The approved, not yet used draft of `task` (nothing unapproved becomes a record);
    `again`: one already used may be used again (an e-mail handed off a second time)."""
    row = session.get(AiDraftTable, draft_id)
    if row is None:
        raise NotFoundError(f"There is no draft #{draft_id}.")
    if row.task != task.value:
        raise KnownError(f"Draft #{draft_id} is not {task.label.lower()}.")
    if row.status != "approved":
        raise KnownError(f"Approve draft #{draft_id} first: nothing is used before you approve it.")
    if row.applied and not again:
        raise KnownError(f"Draft #{draft_id} was already used ({row.applied}).")
    return row


def _approved_text(row: AiDraftTable) -> str:
    return row.edited if row.edited is not None else row.output


def _mark_applied(session: Session, vault: Vault, row: AiDraftTable, applied: str) -> None:
    row.applied, row.applied_at = applied, _now()
    audit.append(session, vault.actor, "ai_draft", row.id, "apply", [applied.split(":")[0]])


def make_follow_ups(vault: Vault, draft_id: int, days: int = 7) -> list[FollowUp]:
    """Turn approved action items into follow-ups: the coach's own as they are, the
    client's as a check-in on them; an item without a due date is due in `days` days.
    One transaction: the follow-ups and the draft marked used, or nothing."""
    zone = ZoneInfo(practice.get_profile(vault).time_zone or "UTC")
    now = _now()
    with vault.writing() as session:
        row = _approved(session, draft_id, AiTask.ACTION_ITEMS)
        client = session.get(ClientTable, row.client_id)
        if client is None or client.deleted_at is not None:
            raise NotFoundError("This client is in the Trash; restore them first.")
        items = json.loads(_approved_text(row))["items"]
        if not items:
            raise KnownError("These action items are empty; there is nothing to follow up.")
        made = []
        for item in items:
            try:
                due = date.fromisoformat(item["due"]) if item["due"] else None
            except ValueError:
                due = None
            due = due or date.today() + timedelta(days)
            local = datetime.combine(due, datetime.min.time().replace(hour=9), zone)
            title = item["action"] if item["owner"] == "coach" else f"Check in: {item['action']}"
            draft = FollowUpDraft(title[:MAX_TITLE], local.astimezone(UTC).replace(tzinfo=None))
            follow_up = crm_store.add_follow_up(session, client.id, draft.validated(), now)
            audit.append(session, vault.actor, "follow_up", follow_up.id, "create")
            made.append(follow_up)
        _mark_applied(session, vault, row, "follow_ups:" + ",".join(str(f.id) for f in made))
        return [crm_store.follow_up_record(session, f) for f in made]


def set_objective(vault: Vault, draft_id: int) -> Objective:
    """Set the lead's objective from an approved lead-intent draft (one transaction)."""
    with vault.writing() as session:
        row = _approved(session, draft_id, AiTask.LEAD_INTENT)
        objective = Objective(json.loads(_approved_text(row))["intent"])
        client = client_repo.load(session, row.client_id)
        if client is None:
            raise NotFoundError(f"There is no client #{row.client_id}.")
        before = client_repo.to_record(session, client).draft()
        after = replace(before, objective=objective).validated()
        changed = changed_fields(before, after)
        if changed:
            client_repo.apply_draft(session, client, after, _now())
            audit.append(session, vault.actor, "client", client.id, "update", changed)
        _mark_applied(session, vault, row, f"objective:{objective.value}")
        return objective


def email(vault: Vault, draft_id: int) -> EmailDraft:
    """An approved follow-up e-mail as an unsent .eml for the coach's mail client. It goes
    to the address on the client's record, whatever the draft's text says. It can be made
    again (the mail app may not have opened it); it is a draft, not a record."""
    with vault.reading() as session:
        row = _approved(session, draft_id, AiTask.FOLLOW_UP_EMAIL, again=True)
        client_id, text = row.client_id, _approved_text(row).strip()
    client = clients.get_client(vault, client_id)
    if not client.emails:
        raise KnownError(f"{client.display_name} has no e-mail address on their record.")
    subject = "Following up on our session"
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        subject, text = first.split(":", 1)[1].strip() or subject, rest.strip()
    data = eml.draft(client.display_name, client.emails[0], subject, text)
    with vault.writing() as session:
        row = _approved(session, draft_id, AiTask.FOLLOW_UP_EMAIL, again=True)
        if row.applied:
            audit.append(session, vault.actor, "ai_draft", row.id, "apply", ["email", "again"])
        else:
            _mark_applied(session, vault, row, "email")
    return EmailDraft(file_name(subject, "eml"), data, client.emails[0], subject)


# Impact -------------------------------------------------------------------------------------

# Assumed rates for "minutes saved" (see docs/ARCHITECTURE.md § Assistant): composing
# text ~19 words a minute (Karat et al., CHI 1999), reading ~238 words a minute (Brysbaert,
# 2019), and retyping at ~200 characters a minute for each character the coach changed.
COMPOSE_WPM = 19
READ_WPM = 238
EDIT_CPM = 200


@dataclass(frozen=True, slots=True)
class TaskImpact:
    """How one task's drafts fared.

    Args:
        acceptance: approved / decided (None before any decision).
        edit_distance: mean characters changed between draft and approved text.
        edit_ratio: mean share of the draft changed (0 untouched, 1 rewritten).
        median_approve_minutes: from the draft to its approval (None before one).
        minutes_saved: estimated writing time saved on approved drafts, net of reading
            and editing them.
    """

    task: AiTask
    drafts: int
    approved: int
    rejected: int
    pending: int
    acceptance: float | None
    edit_distance: float
    edit_ratio: float
    median_approve_minutes: float | None
    minutes_saved: float


def _saved_minutes(draft: Draft, distance: int) -> float:
    words = len(draft.text.split())
    if draft.task in (AiTask.ACTION_ITEMS, AiTask.LEAD_INTENT):
        words = len(re.findall(r"[^\W_]+", draft.text)) // 2  # keys and quotes are not typing
    cost = words / READ_WPM + distance / EDIT_CPM
    return max(0.0, words / COMPOSE_WPM - cost)


def impact_report(vault: Vault) -> list[TaskImpact]:
    """Per task: acceptance, edits, time to approve and estimated minutes saved."""
    report = []
    drafts = list_drafts(vault)
    for task in AiTask:
        mine = [d for d in drafts if d.task is task]
        approved = [d for d in mine if d.status == "approved"]
        rejected = sum(d.status == "rejected" for d in mine)
        distances = [Levenshtein.distance(d.output, d.text) for d in approved]
        ratios = [1 - Levenshtein.normalized_similarity(d.output, d.text) for d in approved]
        waits = [
            (d.decided_at - d.created_at).total_seconds() / 60
            for d in approved
            if d.decided_at is not None
        ]
        decided = len(approved) + rejected
        report.append(
            TaskImpact(
                task,
                len(mine),
                len(approved),
                rejected,
                len(mine) - decided,
                len(approved) / decided if decided else None,
                statistics.fmean(distances) if distances else 0.0,
                statistics.fmean(ratios) if ratios else 0.0,
                statistics.median(waits) if waits else None,
                sum(_saved_minutes(d, n) for d, n in zip(approved, distances, strict=True)),
            )
        )
    return report
