"""AI commands: the models (no vault needed), drafts and their review, the impact report."""

from __future__ import annotations

import argparse
import sys

from coachdesk.cli import output
from coachdesk.domain.compliance import AiTask
from coachdesk.domain.errors import KnownError
from coachdesk.services import ai, assistant
from coachdesk.store.vault import Vault


def cmd_ai(args: argparse.Namespace) -> int:
    """`ai models [--json]` and `ai use FILE|--bundled`."""
    if args.action == "use":
        info = ai.choose_model(None if args.bundled else args.file)
        print(
            f"The assistant now runs {info.name} ({info.architecture}, {info.size_text}, "
            f"trained for {info.trained_context:,} tokens)."
        )
        return 0
    choices = ai.model_choices()
    if args.json:
        output.json_out(
            [
                {
                    "path": str(c.path),
                    "bundled": c.bundled,
                    "in_use": c.in_use,
                    "problem": c.problem,
                    "name": c.info.name if c.info else None,
                    "architecture": c.info.architecture if c.info else None,
                    "trained_context": c.info.trained_context if c.info else None,
                    "size": c.info.size if c.info else None,
                }
                for c in choices
            ]
        )
        return 0
    for choice in choices:
        mark = "*" if choice.in_use else " "
        if choice.info is None:
            print(f"{mark} {choice.path}\n    cannot be used: {choice.problem}")
            continue
        info = choice.info
        origin = "bundled" if choice.bundled else "yours"
        print(
            f"{mark} {info.name} ({origin}): {info.architecture}, {info.parameters or '?'} "
            f"parameters, {info.size_text}, trained for {info.trained_context:,} tokens\n"
            f"    {choice.path}"
        )
    return 0


def _draft_json(draft: assistant.Draft) -> dict[str, object]:
    return {
        "id": draft.id,
        "client_id": draft.client_id,
        "client": draft.client_name,
        "task": draft.task.value,
        "status": draft.status,
        "template": draft.template,
        "model": draft.model,
        "output": draft.output,
        "edited": draft.edited,
        "flags": {
            "topics": list(draft.flags.topics),
            "escalations": list(draft.flags.escalations),
            "unverified": list(draft.flags.unverified),
            "fallback": draft.flags.fallback,
        },
        "override_note": draft.override_note,
        "applied": draft.applied,
        "created_at": draft.created_at.isoformat(),
        "decided_at": draft.decided_at.isoformat() if draft.decided_at else None,
    }


def _show(draft: assistant.Draft) -> None:
    flags = draft.flags
    print(f"Draft #{draft.id} ({draft.task.label}, {draft.status.replace('_', ' ')}):")
    print(draft.text)
    for label, values in (
        ("Prohibited topics", flags.topics),
        ("Sent to manual review", flags.escalations),
        ("Not in the source, check", flags.unverified),
    ):
        if values:
            print(f"  {label}: {', '.join(values)}")


def _report(vault: Vault, as_json: bool) -> int:
    rows = assistant.impact_report(vault)
    if as_json:
        output.json_out(
            [
                {
                    "task": r.task.value,
                    "drafts": r.drafts,
                    "approved": r.approved,
                    "rejected": r.rejected,
                    "pending": r.pending,
                    "acceptance": r.acceptance,
                    "edit_distance": round(r.edit_distance, 1),
                    "edit_ratio": round(r.edit_ratio, 3),
                    "median_approve_minutes": r.median_approve_minutes,
                    "minutes_saved": round(r.minutes_saved, 1),
                }
                for r in rows
            ]
        )
        return 0
    print(f"{'Task':<27}{'Drafts':>7}{'Accepted':>10}{'Edited':>14}{'To approve':>12}{'Saved':>9}")
    for r in rows:
        accepted = f"{r.acceptance:.0%}" if r.acceptance is not None else "—"
        edited = f"{r.edit_distance:.0f} ch ({r.edit_ratio:.0%})" if r.approved else "—"
        wait = (
            f"{r.median_approve_minutes:.0f} min" if r.median_approve_minutes is not None else "—"
        )
        print(
            f"{r.task.label:<27}{r.drafts:>7}{accepted:>10}{edited:>14}{wait:>12}"
            f"{r.minutes_saved:>6.0f} min"
        )
    total = sum(r.minutes_saved for r in rows)
    print(
        f"Estimated time saved: {total:.0f} min (writing at {assistant.COMPOSE_WPM} words a "
        f"minute, less reading at {assistant.READ_WPM} and editing at {assistant.EDIT_CPM} "
        "characters a minute)."
    )
    return 0


def _use(vault: Vault, args: argparse.Namespace) -> int:
    draft = assistant.get_draft(vault, args.id)
    if draft.task is AiTask.ACTION_ITEMS:
        made = assistant.make_follow_ups(vault, args.id)
        print(f"Made {len(made)} follow-ups for {draft.client_name}.")
    elif draft.task is AiTask.LEAD_INTENT:
        objective = assistant.set_objective(vault, args.id)
        print(f"{draft.client_name}'s objective is now {objective.label}.")
    elif draft.task is AiTask.FOLLOW_UP_EMAIL:
        if args.out is None:
            raise KnownError("Say where the e-mail draft goes: --out FILE.eml")
        mail = assistant.email(vault, args.id)
        args.out.write_bytes(mail.data)
        print(f"Wrote {args.out} to {mail.to}; open it in your mail app to send it.")
    else:
        raise KnownError(f"{draft.task.label} are read, not turned into records.")
    return 0


def cmd_ai_vault(vault: Vault, args: argparse.Namespace) -> int:
    """`ai run …` and `ai drafts …`."""
    if args.action == "run":
        text = args.input.read_text("utf-8") if args.input else None
        host = None
        if not args.no_model:
            choice = ai.model_in_use()
            if choice.info is None:
                print(
                    f"{choice.problem} (Or choose one with `coachdesk ai use FILE.gguf`.)",
                    file=sys.stderr,
                )
            else:
                host = ai.make_host()
        try:
            draft = assistant.run_task(
                vault,
                AiTask(args.task),
                args.client,
                host,
                note_id=args.note,
                text=text,
                session_id=args.session,
            )
        finally:
            if host is not None:
                host.unload()
        if args.json:
            output.json_out(_draft_json(draft))
        else:
            _show(draft)
        return 0
    if args.action == "report":
        return _report(vault, args.json)
    if args.drafts_action == "list":
        drafts = assistant.list_drafts(vault, args.status, args.client)
        if args.json:
            output.json_out([_draft_json(d) for d in drafts])
            return 0
        for draft in drafts:
            first = draft.text.strip().splitlines()[0][:60] if draft.text.strip() else ""
            head = f"#{draft.id:<4} {draft.status:<13} {draft.task.value:<16}"
            print(f"{head} {draft.client_name[:24]:<25} {first}")
        if not drafts:
            print("No drafts.")
        return 0
    if args.drafts_action == "approve":
        if len(args.id) > 1:
            if args.edited or args.override:
                raise KnownError("Approve one draft at a time to give an edit or an override.")
            approved = assistant.approve_many(vault, args.id)
            if args.json:
                output.json_out([_draft_json(d) for d in approved])
            else:
                print(f"Approved {len(approved)} drafts.")
            return 0
        edited = args.edited.read_text("utf-8") if args.edited else None
        draft = assistant.approve(vault, args.id[0], edited, args.override)
        if args.json:
            output.json_out(_draft_json(draft))
        else:
            print(f"Approved draft #{draft.id}.")
        return 0
    if args.drafts_action == "show":
        draft = assistant.get_draft(vault, args.id)
        if args.json:
            output.json_out(_draft_json(draft) | {"source": draft.source})
            return 0
        print(f"Source ({draft.source_kind}):\n{draft.source}\n")
        _show(draft)
        return 0
    if args.drafts_action == "use":
        return _use(vault, args)
    assistant.reject(vault, args.id)
    print(f"Rejected draft #{args.id}.")
    return 0
