"""Parsers for the AI commands (imported at start-up: argparse only)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """`coachdesk ai models|use`."""
    ai = sub.add_parser("ai", help="the on-device assistant: its models")
    asub = ai.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=parser_class
    )
    models = asub.add_parser("models", help="the models the assistant can run, and the one in use")
    models.add_argument("--json", action="store_true")
    use = asub.add_parser("use", help="run this GGUF file from now on (checked first)")
    target = use.add_mutually_exclusive_group(required=True)
    target.add_argument("file", nargs="?", type=Path, metavar="FILE.gguf")
    target.add_argument("--bundled", action="store_true", help="go back to the bundled model")
