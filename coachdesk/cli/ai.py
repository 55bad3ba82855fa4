"""AI commands: list the models and choose one (no vault needed)."""

from __future__ import annotations

import argparse

from coachdesk.cli import output
from coachdesk.services import ai


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
