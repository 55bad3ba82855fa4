"""`coachdesk` commands: one function per command, one-line errors, exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from coachdesk.cli import crm as crm_commands
from coachdesk.cli import output
from coachdesk.cli.args import vault_dir
from coachdesk.cli.secrets import (
    given_passphrase,
    prompt_existing,
    prompt_new,
    read_passphrase_file,
    secret_store,
)
from coachdesk.domain.clients import ClientDraft, ClientStatus, ClientType, Objective
from coachdesk.domain.errors import KnownError, PassphraseNeededError, ValidationError
from coachdesk.logs import log_failure, setup_logging
from coachdesk.paths import demo_vault_dir
from coachdesk.services import audit_trail, clients, demo, doctor, vaults
from coachdesk.settings import LAST_VAULT, MachineSettings
from coachdesk.store.vault import Vault

ACTOR = "coach@cli"
EXIT_BUG = 70


def _open(args: argparse.Namespace) -> Vault:
    """Unlock the vault: passphrase file or variable, then the keychain, then a prompt."""
    secrets = secret_store(args.no_keychain)
    root = vault_dir(args)
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
    if "client_type" in values:
        values["client_type"] = ClientType(values["client_type"])
    if "objective" in values:
        values["objective"] = Objective(values["objective"])
    return ClientDraft(**values)


def cmd_init(args: argparse.Namespace) -> int:
    root = vault_dir(args)
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
    root = vault_dir(args)
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
    vault = vaults.unlock(vault_dir(args), old, ACTOR, None)
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


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A vault command whose module (and its libraries) loads only when it runs."""

    def command(args: argparse.Namespace) -> int:
        handlers = importlib.import_module(f"coachdesk.cli.{module}").HANDLERS
        return _with_vault(handlers[name])(args)

    return command


def _doc(args: argparse.Namespace) -> int:
    # Loaded on demand: the document engine (fpdf2, python-docx, Jinja2) is slow to import.
    from coachdesk.cli import documents

    return documents.cmd_doc(lambda: _open(args), args)


def _ai(args: argparse.Namespace) -> int:
    # Loaded on demand: llama.cpp and the GGUF reader are not needed for anything else.
    from coachdesk.cli import ai

    if args.action in ("run", "drafts", "report"):
        return _with_vault(ai.cmd_ai_vault)(args)
    return ai.cmd_ai(args)


def _backup(args: argparse.Namespace) -> int:
    from coachdesk.cli import compliance

    if args.action != "verify":
        if args.file is not None:
            return _fail("a file is only given to `backup verify FILE`", 2)
        return _with_vault(compliance.backup)(args)
    if args.file is None:
        return _fail("say which backup to verify: coachdesk backup verify FILE", 2)
    passphrase = None
    if not args.checksums_only:
        passphrase = given_passphrase(args.passphrase_file) or prompt_existing(
            "Passphrase of the backup: "
        )
    return compliance.verify(args, passphrase)


def _restore(args: argparse.Namespace) -> int:
    from coachdesk.cli import compliance

    passphrase = given_passphrase(args.passphrase_file) or prompt_existing(
        "Passphrase of the backup: "
    )
    return compliance.restore(args, passphrase, args.to or vault_dir(args))


def _with_vault(
    handler: Callable[[Vault, argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        vault = _open(args)
        try:
            return handler(vault, args)
        finally:
            vault.close()

    return command


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "doctor": cmd_doctor,
    "clients": cmd_clients,
    "audit": cmd_audit,
    "passphrase": cmd_passphrase,
    "keychain": cmd_keychain,
    **{name: _with_vault(handler) for name, handler in crm_commands.HANDLERS.items()},
    "doc": _doc,
    "calendar": _lazy("calendar", "calendar"),
    "availability": _lazy("calendar", "availability"),
    "invoices": _lazy("billing", "invoices"),
    "offers": _lazy("scheduling", "offers"),
    "enrol": _lazy("scheduling", "enrol"),
    "sessions": _lazy("scheduling", "sessions"),
    "cohorts": _lazy("scheduling", "cohorts"),
    "consent": _lazy("compliance", "consent"),
    "policy": _lazy("compliance", "policy"),
    "retention": _lazy("compliance", "retention"),
    "erase": _lazy("compliance", "erase"),
    "records": _lazy("compliance", "records"),
    "backup": lambda args: _backup(args),
    "ai": lambda args: _ai(args),
    "restore": lambda args: _restore(args),
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
