"""`coachdesk` command line: argument parsing and one function per command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from coachdesk import __version__
from coachdesk.cli import output
from coachdesk.cli.secrets import (
    given_passphrase,
    prompt_existing,
    prompt_new,
    read_passphrase_file,
    secret_store,
)
from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.domain.errors import KnownError, PassphraseNeededError, ValidationError
from coachdesk.logs import log_failure, setup_logging
from coachdesk.paths import default_vault_dir, demo_vault_dir
from coachdesk.services import audit_trail, clients, demo, doctor, vaults
from coachdesk.settings import LAST_VAULT, MachineSettings
from coachdesk.store.keychain import SecretStore
from coachdesk.store.vault import Vault

ACTOR = "coach@cli"
EXIT_BUG = 70

log = logging.getLogger(__name__)


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


def _vault_dir(args: argparse.Namespace) -> Path:
    return Path(args.vault).expanduser().resolve() if args.vault else default_vault_dir()


def _open(args: argparse.Namespace) -> Vault:
    """Unlock the vault: passphrase file or variable, then the keychain, then a prompt."""
    secrets = secret_store(args.no_keychain)
    root = _vault_dir(args)
    passphrase = given_passphrase(args.passphrase_file)
    if passphrase is None:
        try:
            return vaults.unlock(root, None, ACTOR, secrets)
        except PassphraseNeededError:
            passphrase = prompt_existing()
    return vaults.unlock(root, passphrase, ACTOR, secrets)


def _draft_from(args: argparse.Namespace, base: ClientDraft | None = None) -> ClientDraft:
    values = (
        {}
        if base is None
        else {name: getattr(base, name) for name in ClientDraft.__dataclass_fields__}
    )
    for name in ClientDraft.__dataclass_fields__:
        given = getattr(args, name, None)
        if given is None:
            continue
        values[name] = tuple(given) if isinstance(given, list) else given
    if "status" in values:
        values["status"] = ClientStatus(values["status"])
    return ClientDraft(**values)


def cmd_init(args: argparse.Namespace) -> int:
    root = _vault_dir(args)
    passphrase = given_passphrase(args.passphrase_file) or prompt_new()
    secrets = secret_store(args.no_keychain)
    vault = vaults.create_vault(root, passphrase, ACTOR, secrets, remember=args.remember)
    try:
        MachineSettings().set(LAST_VAULT, str(root))
        keychain = secrets.status()
        result = {
            "vault": str(root),
            "vault_id": vault.vault_id,
            "remembered": bool(args.remember),
            "keychain": keychain.description,
        }
    finally:
        vault.close()
    if args.json:
        output.json_out(result)
    else:
        print(f"Created an encrypted vault at {root}.")
        if not args.remember:
            print(f"Keychain: {keychain.description}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    if args.clients < 0 or args.clients > 100_000:
        raise KnownError("--clients must be between 0 and 100000.")
    root = Path(args.vault).expanduser().resolve() if args.vault else demo_vault_dir()
    passphrase = given_passphrase(args.passphrase_file) or demo.DEMO_PASSPHRASE
    vault = demo.create_demo_vault(root, args.clients, passphrase)
    vault.close()
    result = {
        "vault": str(root),
        "clients": args.clients,
        "passphrase": "(as given)" if passphrase != demo.DEMO_PASSPHRASE else passphrase,
    }
    if args.json:
        output.json_out(result)
    else:
        print(f"Demo vault with {args.clients} clients at {root}")
        print(f"Passphrase: {result['passphrase']}")
        print(f"Open it with: coachdesk --vault {root}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    root = _vault_dir(args)
    secrets = secret_store(args.no_keychain)
    checks = doctor.check_files(root)
    checks.append(doctor.check_keychain(secrets))
    if all(c.outcome != doctor.Outcome.FAIL for c in checks):
        try:
            vault = _open(args)
        except PassphraseNeededError:
            checks.append(
                doctor.Check(
                    "unlock",
                    doctor.Outcome.INFO,
                    "locked: give the passphrase to check the database too",
                )
            )
        except KnownError as exc:
            checks.append(doctor.Check("unlock", doctor.Outcome.FAIL, exc.message))
        else:
            try:
                checks.append(
                    doctor.Check("unlock", doctor.Outcome.OK, "the passphrase opens the vault")
                )
                checks.extend(doctor.check_vault(vault))
            except KnownError as exc:
                checks.append(doctor.Check("database", doctor.Outcome.FAIL, exc.message))
            finally:
                vault.close()
    failed = [c for c in checks if c.outcome == doctor.Outcome.FAIL]
    if args.json:
        output.json_out({"ok": not failed, "checks": [output.plain(c) for c in checks]})
    else:
        for c in checks:
            print(f"{c.outcome.value.upper():4}  {c.name:20} {c.detail}")
        if failed:
            print(
                f"\n{len(failed)} problem(s): {failed[0].name}: {failed[0].detail}", file=sys.stderr
            )
    return 1 if failed else 0


def cmd_clients(args: argparse.Namespace) -> int:
    vault = _open(args)
    try:
        return _clients_action(vault, args)
    finally:
        vault.close()


def _clients_action(vault: Vault, args: argparse.Namespace) -> int:
    action = args.action
    if action == "list":
        rows = clients.list_clients(vault, trashed=args.trash)
        if args.status:
            rows = [r for r in rows if r.status == args.status]
        if args.tag:
            rows = [r for r in rows if args.tag.lower() in r.tags]
        rows.sort(key=lambda r: (r.name.lower(), r.id))
        if args.json:
            output.json_out([output.row_dict(r) for r in rows])
        else:
            output.table(rows)
    elif action in ("add", "edit", "show"):
        if action == "add":
            client = clients.create_client(vault, _draft_from(args))
        elif action == "edit":
            current = clients.get_client(vault, args.id)
            client = clients.update_client(vault, args.id, _draft_from(args, current.draft()))
        else:
            client = clients.get_client(vault, args.id)
        if args.json:
            output.json_out(output.client_dict(client))
        else:
            output.client_text(client)
    elif action == "delete":
        moved = clients.trash_clients(vault, args.ids)
        print(
            f"Moved {len(moved)} client(s) to the Trash; "
            "`coachdesk clients restore` brings them back."
        )
    elif action == "restore":
        back = clients.restore_clients(vault, args.ids)
        print(f"Restored {len(back)} client(s) from the Trash.")
    elif action == "empty-trash":
        if not args.confirm:
            raise KnownError("Emptying the Trash cannot be undone; add --confirm to go ahead.")
        print(f"Deleted {clients.empty_trash(vault)} client(s) for good.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    vault = _open(args)
    try:
        if args.action == "list":
            events = audit_trail.recent_events(vault, args.limit)
            if args.json:
                output.json_out([output.plain(e) for e in events])
            else:
                for e in events:
                    print(
                        f"#{e.seq:<6} {e.at[:19]}  {e.actor:12} {e.action:18} "
                        f"{e.entity} {e.entity_id}" + (f"  ({e.fields})" if e.fields else "")
                    )
            return 0
        result = audit_trail.verify(vault)
    finally:
        vault.close()
    if args.json:
        output.json_out(
            {
                "intact": result.intact,
                "entries": result.events,
                "first_bad_entry": result.problem.seq if result.problem else None,
                "reason": result.problem.reason if result.problem else None,
            }
        )
    elif result.problem is None:
        print(f"Audit trail intact: {result.events} entries.")
    if result.problem is not None:
        print(
            f"coachdesk: audit trail broken at entry #{result.problem.seq}: "
            f"{result.problem.reason}",
            file=sys.stderr,
        )
        return 5
    return 0


def cmd_passphrase(args: argparse.Namespace) -> int:
    old = given_passphrase(args.passphrase_file) or prompt_existing("Current passphrase: ")
    vault = vaults.unlock(_vault_dir(args), old, ACTOR, None)
    try:
        if args.new_passphrase_file is not None:
            new = read_passphrase_file(args.new_passphrase_file)
        else:
            new = prompt_new()
        vaults.change_passphrase(vault, old, new)
    finally:
        vault.close()
    print("Passphrase changed. The old one no longer opens the vault.")
    return 0


def cmd_keychain(args: argparse.Namespace) -> int:
    secrets = secret_store(args.no_keychain)
    if args.action == "status":
        status = secrets.status()
        print(("available: " if status.available else "unavailable: ") + status.description)
        return 0
    vault = _open(args)
    try:
        if args.action == "remember":
            vaults.remember(vault, secrets)
            print("This computer's keychain now unlocks the vault.")
        else:
            vaults.forget(vault, secrets)
            print("Forgotten: the passphrase will be asked for next time.")
    finally:
        vault.close()
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "doctor": cmd_doctor,
    "clients": cmd_clients,
    "audit": cmd_audit,
    "passphrase": cmd_passphrase,
    "keychain": cmd_keychain,
}


def _fail(message: str, code: int) -> int:
    print(f"coachdesk: {message}", file=sys.stderr)
    return code


def run_command(args: argparse.Namespace) -> int:
    """Run one command; user mistakes print one line, bugs are logged with a traceback."""
    setup_logging()
    try:
        return COMMANDS[args.command](args)
    except ValidationError as exc:
        return _fail(
            "; ".join(f"{output.FIELD_LABELS.get(k, k)}: {v}" for k, v in exc.errors.items()), 2
        )
    except KnownError as exc:
        return _fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was half-written.", 130)
    except Exception:  # noqa: BLE001 - the one place bugs are caught, logged and reported
        where = log_failure(f"command {args.command}")
        return _fail(f"internal error; details were written to {where}", EXIT_BUG)


def gui_options(args: argparse.Namespace) -> GuiOptions | int:
    """What the app needs from the command line (an exit code when that already fails)."""
    try:
        passphrase = given_passphrase(args.passphrase_file)
    except KnownError as exc:
        return _fail(exc.message, exc.exit_code)
    root = _vault_dir(args)
    if not args.vault:
        last = MachineSettings().get(LAST_VAULT)
        root = Path(str(last)) if last else root
    return GuiOptions(root, passphrase, secret_store(args.no_keychain), bool(args.vault))
