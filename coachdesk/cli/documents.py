"""Document commands: types, render, email, list, batch and templates."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from coachdesk.cli import output
from coachdesk.documents.types import DOC_TYPES, FORMATS, template_title
from coachdesk.domain.documents import diff
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.services import documents, files, segments
from coachdesk.store.vault import Vault


def _options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError({"set": f"'{pair}' is not KEY=VALUE."})
        options[key.strip()] = value
    return options


def _format(args: argparse.Namespace) -> str:
    fmt = args.format or args.out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValidationError({"format": "Give --format pdf or docx (or an --out ending in one)."})
    return str(fmt)


def _check_out(path: Path) -> None:
    """Refuse a destination that cannot work before anything is made and stored."""
    if not path.parent.is_dir():
        raise KnownError(f"The folder {path.parent} does not exist; choose another --out.")
    if path.is_dir():
        raise KnownError(f"{path} is a folder; give a file name for --out.")


def _read_template(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        raise KnownError(f"{path} is not a UTF-8 text file.") from None
    except OSError as exc:
        raise KnownError(f"Could not read {path}: {exc.strerror or exc}.") from None


def _types(args: argparse.Namespace) -> int:
    if args.json:
        output.json_out(
            [
                {
                    "type": kind.key,
                    "name": kind.name,
                    "description": kind.description,
                    "options": [
                        {"key": o.key, "label": o.label, "kind": str(o.kind), "default": o.default}
                        for o in kind.options
                    ],
                }
                for kind in DOC_TYPES
            ]
        )
        return 0
    width = max(len(kind.key) for kind in DOC_TYPES)
    for kind in DOC_TYPES:
        print(f"{kind.key:<{width}}  {kind.name}: {kind.description}")
        for option in kind.options:
            default = f" (default {option.default})" if option.default else ""
            print(f"{'':<{width}}    --set {option.key}=…  {option.label}{default}")
    return 0


def _render(vault: Vault, args: argparse.Namespace) -> int:
    fmt = _format(args)
    _check_out(args.out)
    info = documents.create_document(vault, args.client, args.type, _options(args.set))
    documents.export_document(vault, info.id, fmt, args.out)
    print(f"Made “{info.title}” (document #{info.id}, template version {info.template_version})")
    print(f"Saved {args.out}")
    return 0


def _email(vault: Vault, args: argparse.Namespace) -> int:
    _check_out(args.out)
    info = documents.create_document(vault, args.client, args.type, _options(args.set))
    draft = documents.email_draft(vault, info.id)
    files.write_file(args.out, draft.data)
    to = draft.to or "no address on the record: add one in your mail client"
    print(f"Saved the e-mail draft {args.out} (to {to}; subject “{draft.subject}”)")
    return 0


def _list(vault: Vault, args: argparse.Namespace) -> int:
    found = documents.list_documents(vault, args.client)
    if args.json:
        output.json_out([output.plain(d) for d in found])
        return 0
    if not found:
        print("No documents yet.")
    for d in found:
        made = output.local_time(d.created_at)
        print(f"#{d.id}  {made}  {d.title}  (template v{d.template_version}, {d.size:,} bytes)")
    return 0


def _batch(vault: Vault, args: argparse.Namespace) -> int:
    if args.segment:
        segment = segments.find_segment(vault, args.segment)
        client_ids = [row.id for row in segments.clients_in(vault, segment.filter)]
    else:
        client_ids = args.clients
    if not client_ids:
        raise NotFoundError("No clients to make documents for.")
    try:
        args.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnownError(files.why_not_saved(exc, args.out_dir / "x")) from None

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total}", end="", flush=True)

    result = documents.create_batch(
        vault,
        args.type,
        client_ids,
        _options(args.set),
        folder=args.out_dir,
        fmt=args.format,
        progress=progress,
    )
    print()
    print(f"Made {len(result.made)} documents in {args.out_dir}")
    for client_id, why in result.failed:
        print(f"  client #{client_id}: {why}")
    problem = result.template_problem or result.folder_problem
    if problem:
        raise KnownError(f"Stopped: {problem}")
    return 1 if result.failed else 0


def _template(vault: Vault, args: argparse.Namespace) -> int:
    key = args.key
    if args.template_action == "show":
        print(documents.template_in_use(vault, key).source, end="")
    elif args.template_action == "history":
        for v in documents.template_history(vault, key):
            note = f": {v.note}" if v.note else ""
            print(f"v{v.number}  {output.local_time(v.created_at)}  {v.origin.label}{note}")
    elif args.template_action == "diff":
        versions = {v.number: v for v in documents.template_history(vault, key)}
        try:
            old, new = versions[args.old], versions[args.new]
        except KeyError as exc:
            raise NotFoundError(f"The template has no version {exc.args[0]}.") from None
        print("\n".join(diff(old, new)))
    elif args.template_action == "save":
        source = _read_template(args.file)
        saved = documents.save_template(vault, key, source, args.note)
        print(f"Saved {template_title(key)} as version {saved.number}.")
    elif args.template_action == "revert":
        saved = documents.revert_template(vault, key, args.version)
        print(
            f"{template_title(key)} is back to version {args.version} (now version {saved.number})."
        )
    else:
        saved = documents.restore_builtin(vault, key)
        print(f"{template_title(key)} uses the built-in template again (version {saved.number}).")
    return 0


def cmd_doc(open_vault: Callable[[], Vault], args: argparse.Namespace) -> int:
    """`coachdesk doc …`: `types` needs no vault; the rest open it."""
    if args.action == "types":
        return _types(args)
    handlers: dict[str, Callable[[Vault, argparse.Namespace], int]] = {
        "render": _render,
        "email": _email,
        "list": _list,
        "batch": _batch,
        "template": _template,
    }
    vault = open_vault()
    try:
        return handlers[args.action](vault, args)
    finally:
        vault.close()
