"""Parsers for the AI commands (imported at start-up: argparse only)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from coachdesk.domain.compliance import AiTask


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """`coachdesk ai models|use|run|drafts|report`."""
    ai = sub.add_parser("ai", help="the on-device assistant: models, drafts and their review")
    asub = ai.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    models = asub.add_parser("models", help="the models the assistant can run, and the one in use")
    models.add_argument("--json", action="store_true")
    use = asub.add_parser("use", help="run this GGUF file from now on (checked first)")
    target = use.add_mutually_exclusive_group(required=True)
    target.add_argument("file", nargs="?", type=Path, metavar="FILE.gguf")
    target.add_argument("--bundled", action="store_true", help="go back to the bundled model")

    run = asub.add_parser("run", help="write a draft for a client (kept for your review)")
    run.add_argument("task", choices=[t.value for t in AiTask])
    run.add_argument("--client", type=int, required=True, metavar="ID")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--note", type=int, metavar="NOTE_ID", help="default: the latest session")
    source.add_argument(
        "--session", type=int, metavar="SESSION_ID", help="the notes of this booked session"
    )
    source.add_argument("--input", type=Path, metavar="FILE", help="work from this text instead")
    run.add_argument("--no-model", action="store_true", help="the rule-based first draft only")
    run.add_argument("--json", action="store_true")

    drafts = asub.add_parser("drafts", help="list, approve or reject drafts")
    dsub = drafts.add_subparsers(
        dest="drafts_action", metavar="ACTION", required=True, parser_class=parser_class
    )
    dlist = dsub.add_parser("list", help="drafts, newest first")
    dlist.add_argument("--status", choices=["draft", "needs_review", "approved", "rejected"])
    dlist.add_argument("--client", type=int, metavar="ID")
    dlist.add_argument("--json", action="store_true")
    approve = dsub.add_parser("approve", help="approve drafts (one optionally as you edited it)")
    approve.add_argument("id", type=int, nargs="+", help="several ids: approved as written")
    approve.add_argument("--edited", type=Path, metavar="FILE", help="the text as you edited it")
    approve.add_argument(
        "--override", default="", metavar="NOTE", help="why a flagged draft is fine"
    )
    approve.add_argument("--json", action="store_true")
    reject = dsub.add_parser("reject", help="reject a draft")
    reject.add_argument("id", type=int)
    show = dsub.add_parser("show", help="a draft beside its source, with its flags")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    use = dsub.add_parser(
        "use", help="turn an approved draft into follow-ups, the objective, or an .eml"
    )
    use.add_argument("id", type=int)
    use.add_argument("--out", type=Path, metavar="FILE.eml", help="where a follow-up e-mail goes")

    report = asub.add_parser("report", help="per task: acceptance, edits, time saved")
    report.add_argument("--json", action="store_true")
