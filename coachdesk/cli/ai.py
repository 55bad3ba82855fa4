"""AI commands: list the models and choose one (no vault needed)."""

from __future__ import annotations

import argparse

from coachdesk.cli import output
from coachdesk.domain.compliance import AiTask
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
        "created_at": draft.created_at.isoformat(),
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


def cmd_ai_vault(vault: Vault, args: argparse.Namespace) -> int:
    """`ai run …` and `ai drafts …`."""
    if args.action == "run":
        text = args.input.read_text("utf-8") if args.input else None
        host = None if args.no_model else ai.make_host()
        try:
            draft = assistant.run_task(
                vault, AiTask(args.task), args.client, host, note_id=args.note, text=text
            )
        finally:
            if host is not None:
                host.unload()
        if args.json:
            output.json_out(_draft_json(draft))
        else:
            _show(draft)
        return 0
    if args.drafts_action == "list":
        drafts = assistant.list_drafts(vault, args.status, args.client)
        if args.json:
            output.json_out([_draft_json(d) for d in drafts])
            return 0
        for draft in drafts:
            first = draft.text.strip().splitlines()[0][:60] if draft.text.strip() else ""
            head = f"#{draft.id:<4} {draft.status:<13} {draft.task.value:<16}"
            print(f"{head} client {draft.client_id:<5} {first}")
        if not drafts:
            print("No drafts.")
        return 0
    if args.drafts_action == "approve":
        edited = args.edited.read_text("utf-8") if args.edited else None
        draft = assistant.approve(vault, args.id, edited, args.override)
        if args.json:
            output.json_out(_draft_json(draft))
        else:
            print(f"Approved draft #{draft.id}.")
        return 0
    assistant.reject(vault, args.id)
    print(f"Rejected draft #{args.id}.")
    return 0
