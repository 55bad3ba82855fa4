"""Entry point: a subcommand runs the CLI; no subcommand opens the app."""

from __future__ import annotations

import sys

from coachdesk.documents import WORKER_FLAG


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and hand over to the CLI or the GUI.

    Imports are deferred: opening the app should not load the CLI's commands,
    and a command should not load Qt.
    """
    arguments = sys.argv[1:] if argv is None else argv
    if arguments == [WORKER_FLAG]:
        from coachdesk.documents.sandbox import serve

        serve()
        return 0
    from coachdesk.cli.args import gui_options, parse_args

    args = parse_args(arguments)
    if args.command is not None:
        from coachdesk.cli.main import run_command

        return run_command(args)
    options = gui_options(args)
    if isinstance(options, int):
        return options
    from coachdesk.ui.app import run_gui

    return run_gui(options)


if __name__ == "__main__":
    sys.exit(main())
