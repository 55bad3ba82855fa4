"""The command tree and the GUI's start-up options: light imports only.

`coachdesk` with no command opens the app, so parsing must not pull in the
database stack; the commands themselves live in `coachdesk.cli.main`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from coachdesk import __version__
from coachdesk.cli.secrets import given_passphrase, secret_store
from coachdesk.domain.clients import ClientStatus
from coachdesk.domain.errors import KnownError
from coachdesk.paths import default_vault_dir
from coachdesk.settings import LAST_VAULT, MachineSettings
from coachdesk.store.keychain import SecretStore


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) for user mistakes."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"coachdesk: {message} (see `{self.prog} --help`)\n")


@dataclass(frozen=True, slots=True)
class GuiOptions:
    """What the app needs to start: which vault, an optional passphrase, the keychain."""

    vault_dir: Path
    passphrase: str | None
    secrets: SecretStore
    vault_given: bool


def _client_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--first", dest="first_name", help="first name")
    parser.add_argument("--last", dest="last_name", help="last name")
    parser.add_argument("--preferred", dest="preferred_name", help="preferred name")
    parser.add_argument("--email", dest="emails", action="append", help="e-mail (repeatable)")
    parser.add_argument("--phone", dest="phones", action="append", help="phone (repeatable)")
    parser.add_argument("--company")
    parser.add_argument("--role")
    parser.add_argument("--tz", dest="time_zone", help="IANA time zone, e.g. Europe/London")
    parser.add_argument("--locale", help="e.g. en-GB")
    parser.add_argument("--source", dest="lead_source", help="lead source")
    parser.add_argument("--status", choices=[s.value for s in ClientStatus])
    parser.add_argument("--tag", dest="tags", action="append", help="tag (repeatable)")
    parser.add_argument("--notes")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = _Parser(prog="coachdesk", description="CoachDesk: your practice, on your laptop.")
    parser.add_argument("--version", action="version", version=f"CoachDesk {__version__}")
    parser.add_argument(
        "--vault", type=Path, help="vault folder (default: COACHDESK_HOME or the user data folder)"
    )
    parser.add_argument(
        "--passphrase-file", type=Path, help="read the passphrase from the first line of FILE"
    )
    parser.add_argument(
        "--no-keychain", action="store_true", help="neither read nor store keys in the OS keychain"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    init = sub.add_parser("init", help="create a new encrypted vault")
    init.add_argument("--remember", action="store_true", help="remember the key in the OS keychain")
    init.add_argument("--json", action="store_true")

    dm = sub.add_parser(
        "demo", help="create a separate demo vault filled with a realistic practice"
    )
    dm.add_argument("--clients", type=int, default=40, help="how many clients (default 40)")
    dm.add_argument("--json", action="store_true")

    dr = sub.add_parser("doctor", help="check the vault, cipher, keychain, migrations and disk")
    dr.add_argument("--json", action="store_true")

    cl = sub.add_parser("clients", help="list, add, show, edit or delete clients")
    csub = cl.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    ls = csub.add_parser("list", help="list clients")
    ls.add_argument("--trash", action="store_true", help="list the Trash instead")
    ls.add_argument("--status", choices=[s.value for s in ClientStatus])
    ls.add_argument("--tag")
    ls.add_argument("--json", action="store_true")
    add = csub.add_parser("add", help="add a client")
    _client_fields(add)
    add.add_argument("--json", action="store_true")
    show = csub.add_parser("show", help="show one client")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    edit = csub.add_parser(
        "edit", help="change fields of a client (given fields replace old values)"
    )
    edit.add_argument("id", type=int)
    _client_fields(edit)
    edit.add_argument("--json", action="store_true")
    delete = csub.add_parser("delete", help="move clients to the Trash")
    delete.add_argument("ids", type=int, nargs="+")
    restore = csub.add_parser("restore", help="bring clients back from the Trash")
    restore.add_argument("ids", type=int, nargs="+")
    empty = csub.add_parser("empty-trash", help="delete every client in the Trash for good")
    empty.add_argument("--confirm", action="store_true", help="required: this cannot be undone")

    au = sub.add_parser("audit", help="the tamper-evident audit trail")
    asub = au.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    verify = asub.add_parser("verify", help="check every entry of the hash chain")
    verify.add_argument("--json", action="store_true")
    alist = asub.add_parser("list", help="show the newest entries")
    alist.add_argument("--limit", type=int, default=50)
    alist.add_argument("--json", action="store_true")

    pw = sub.add_parser("passphrase", help="change the vault passphrase")
    pw.add_argument("action", choices=["change"])
    pw.add_argument("--new-passphrase-file", type=Path, help="read the new passphrase from FILE")

    kc = sub.add_parser("keychain", help="remember or forget the key in the OS keychain")
    kc.add_argument("action", choices=["status", "remember", "forget"])
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    return build_parser().parse_args(list(argv))


def vault_dir(args: argparse.Namespace) -> Path:
    """The vault folder: --vault, else the default under COACHDESK_HOME or platformdirs."""
    return Path(args.vault).expanduser().resolve() if args.vault else default_vault_dir()


def gui_options(args: argparse.Namespace) -> GuiOptions | int:
    """What the app needs from the command line (an exit code when that already fails)."""
    try:
        passphrase = given_passphrase(args.passphrase_file)
    except KnownError as exc:
        print(f"coachdesk: {exc.message}", file=sys.stderr)
        return exc.exit_code
    root = vault_dir(args)
    if not args.vault:
        last = MachineSettings().get(LAST_VAULT)
        root = Path(str(last)) if last else root
    return GuiOptions(root, passphrase, secret_store(args.no_keychain), bool(args.vault))
