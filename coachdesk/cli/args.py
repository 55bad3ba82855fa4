"""The command tree and the GUI's start-up options: light imports only.

`coachdesk` with no command opens the app, so parsing must not pull in the
database stack; the commands themselves live in `coachdesk.cli.main`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NoReturn

from coachdesk import __version__
from coachdesk.cli import (
    args_ai,
    args_billing,
    args_calendar,
    args_compliance,
    args_scheduling,
)
from coachdesk.cli.secrets import given_passphrase, secret_store
from coachdesk.documents.types import DOC_TYPES, FORMATS, template_names
from coachdesk.domain.clients import ClientStatus, ClientType, Objective
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
    parser.add_argument("--type", dest="client_type", choices=[t.value for t in ClientType])
    parser.add_argument(
        "--objective", choices=[o.value for o in Objective if o.value], help="what they came for"
    )
    parser.add_argument("--birthday", help="YYYY-MM-DD, or --MM-DD without the year")


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
    _crm_commands(sub)
    _doc_commands(sub)
    args_calendar.add_commands(sub, _Parser)
    args_billing.add_commands(sub, _Parser)
    args_scheduling.add_commands(sub, _Parser)
    args_compliance.add_commands(sub, _Parser)
    args_ai.add_commands(sub, _Parser)
    return parser


def _crm_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    se = sub.add_parser(
        "search", help="find clients, notes, goals and follow-ups; `search reindex` rebuilds"
    )
    se.add_argument("query", nargs="+", help="words to find, or `reindex`")
    se.add_argument("--limit", type=int, default=20)
    se.add_argument("--json", action="store_true")

    im = sub.add_parser("import", help="import clients from a CSV or vCard file")
    im.add_argument("file", type=Path)
    im.add_argument(
        "--dry-run", action="store_true", help="report what would happen; change nothing"
    )
    im.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a CSV column to a field (repeatable; FIELD empty ignores the column)",
    )
    im.add_argument("--date-order", choices=["dmy", "mdy"], help="for dates like 03/04/1990")
    im.add_argument("--on-duplicate", choices=["merge", "skip"], default="merge")
    im.add_argument("--json", action="store_true")

    ex = sub.add_parser(
        "export", help="export clients as CSV or vCard, or one client's complete record as a zip"
    )
    ex.add_argument("what", choices=["clients", "client"])
    ex.add_argument("id", nargs="?", type=int, metavar="CLIENT_ID", help="with `export client`")
    ex.add_argument("--format", choices=["csv", "vcf"], default="csv")
    ex.add_argument("--segment", help="only the clients of this saved segment")
    ex.add_argument("--out", type=Path, required=True)

    pl = sub.add_parser("pipeline", help="stages, moves, the funnel and stalled clients")
    psub = pl.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    st = psub.add_parser("stages", help="list the stages")
    st.add_argument("--json", action="store_true")
    mv = psub.add_parser("move", help="move clients to a stage")
    mv.add_argument("stage", help="stage name")
    mv.add_argument("ids", type=int, nargs="+")
    mv.add_argument("--reason", default="", help="required when moving to Lost")
    fu = psub.add_parser("funnel", help="conversion and drop-off per stage")
    fu.add_argument("--from", dest="start", type=_date, help="YYYY-MM-DD")
    fu.add_argument("--to", dest="end", type=_date, help="YYYY-MM-DD")
    fu.add_argument("--json", action="store_true")
    sl = psub.add_parser("stalled", help="clients stalled in their stage")
    sl.add_argument("--json", action="store_true")

    fo = sub.add_parser("followups", help="follow-ups: what is due, add, done")
    fsub = fo.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    due = fsub.add_parser("due", help="overdue and upcoming follow-ups")
    due.add_argument("--days", type=int, default=7)
    due.add_argument("--json", action="store_true")
    fadd = fsub.add_parser("add", help="add a follow-up for a client")
    fadd.add_argument("client", type=int)
    fadd.add_argument("title")
    fadd.add_argument("--due", required=True, help="local time, e.g. 2026-12-01 09:30")
    fadd.add_argument("--repeat", choices=["daily", "weekly", "fortnightly", "monthly"])
    fadd.add_argument("--json", action="store_true")
    fdone = fsub.add_parser("done", help="mark a follow-up done")
    fdone.add_argument("id", type=int)

    no = sub.add_parser("notes", help="a client's notes")
    nsub = no.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    nlist = nsub.add_parser("list", help="list a client's notes")
    nlist.add_argument("client", type=int)
    nlist.add_argument("--json", action="store_true")
    nadd = nsub.add_parser("add", help="add a note")
    nadd.add_argument("client", type=int)
    nadd.add_argument("text")
    nadd.add_argument("--kind", choices=["discovery", "session", "general"], default="general")
    nadd.add_argument("--date", type=_date, help="YYYY-MM-DD (default today)")
    nadd.add_argument("--theme", dest="themes", action="append", default=[])
    nadd.add_argument("--blocker", dest="blockers", action="append", default=[])
    nadd.add_argument("--json", action="store_true")

    go = sub.add_parser("goals", help="a client's goals")
    gsub = go.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    glist = gsub.add_parser("list", help="list a client's goals")
    glist.add_argument("client", type=int)
    glist.add_argument("--json", action="store_true")
    gadd = gsub.add_parser("add", help="set a goal")
    gadd.add_argument("client", type=int)
    gadd.add_argument("objective")
    gadd.add_argument("--measure", default="")
    gadd.add_argument("--target", type=_date, help="YYYY-MM-DD")
    gadd.add_argument("--milestone", dest="milestones", action="append", default=[])
    gadd.add_argument("--json", action="store_true")

    ri = sub.add_parser("risk", help="active clients by renewal risk, with the reasons")
    ri.add_argument("--json", action="store_true")

    sg = sub.add_parser("segments", help="saved client filters")
    ssub = sg.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    slist = ssub.add_parser("list", help="list saved segments")
    slist.add_argument("--json", action="store_true")
    sshow = ssub.add_parser("show", help="the clients in a segment")
    sshow.add_argument("name")
    sshow.add_argument("--json", action="store_true")
    ssave = ssub.add_parser("save", help="save a filter as a segment")
    ssave.add_argument("name")
    ssave.add_argument("--tag", dest="tags", action="append", default=[])
    ssave.add_argument("--stage", dest="stages", action="append", default=[])
    ssave.add_argument(
        "--status",
        dest="statuses",
        action="append",
        default=[],
        choices=[s.value for s in ClientStatus],
    )
    ssave.add_argument("--source", dest="lead_sources", action="append", default=[])
    ssave.add_argument(
        "--objective",
        dest="objectives",
        action="append",
        default=[],
        choices=[o.value for o in Objective if o.value],
    )
    ssave.add_argument(
        "--type", dest="types", action="append", default=[], choices=[t.value for t in ClientType]
    )
    ssave.add_argument(
        "--overdue", action="store_true", help="only clients with overdue follow-ups"
    )


def _doc_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    doc = sub.add_parser("doc", help="documents: types, render, email, list, batch, templates")
    dsub = doc.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    types = dsub.add_parser("types", help="the document types and their options")
    types.add_argument("--json", action="store_true")
    names = [kind.key for kind in DOC_TYPES]

    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a document option (see `doc types`); repeatable",
        )

    render = dsub.add_parser("render", help="make a document for a client and save it as a file")
    render.add_argument("type", choices=names)
    render.add_argument("--client", type=int, required=True)
    render.add_argument("--format", choices=FORMATS)
    render.add_argument("--out", type=Path, required=True)
    options(render)

    email = dsub.add_parser("email", help="make a document and an .eml draft with it attached")
    email.add_argument("type", choices=names)
    email.add_argument("--client", type=int, required=True)
    email.add_argument("--out", type=Path, required=True)
    options(email)

    listing = dsub.add_parser("list", help="a client's documents")
    listing.add_argument("--client", type=int, required=True)
    listing.add_argument("--json", action="store_true")

    batch = dsub.add_parser("batch", help="one document per client of a segment or a list")
    batch.add_argument("type", choices=names)
    who = batch.add_mutually_exclusive_group(required=True)
    who.add_argument("--segment", help="a saved segment's name")
    who.add_argument(
        "--clients", type=lambda text: [int(x) for x in text.split(",")], help="ids: 1,2,3"
    )
    batch.add_argument("--out-dir", type=Path, required=True)
    batch.add_argument("--format", choices=FORMATS, default="pdf")
    options(batch)

    template = dsub.add_parser("template", help="show, save, diff or revert a template")
    tsub = template.add_subparsers(
        dest="template_action", metavar="ACTION", required=True, parser_class=_Parser
    )
    keys = list(template_names())
    for name, text in (
        ("show", "print the template in use"),
        ("history", "list its versions"),
        ("builtin", "go back to the built-in template"),
    ):
        tsub.add_parser(name, help=text).add_argument("key", choices=keys)
    tdiff = tsub.add_parser("diff", help="compare two versions")
    tdiff.add_argument("key", choices=keys)
    tdiff.add_argument("old", type=int)
    tdiff.add_argument("new", type=int)
    tsave = tsub.add_parser("save", help="check a template file and save it as a new version")
    tsave.add_argument("key", choices=keys)
    tsave.add_argument("file", type=Path)
    tsave.add_argument("--note", default="")
    trevert = tsub.add_parser("revert", help="make an earlier version current again")
    trevert.add_argument("key", choices=keys)
    trevert.add_argument("version", type=int)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}; use YYYY-MM-DD") from None


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
