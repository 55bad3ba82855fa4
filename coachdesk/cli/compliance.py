"""Consent, policy, retention, erasure, client export, backups and restore commands."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from coachdesk.cli import output
from coachdesk.domain.compliance import Category, ConsentMethod, Purpose, describe_months
from coachdesk.domain.errors import ValidationError
from coachdesk.services import backups, compliance, compliance_docs, files, privacy, vault_settings
from coachdesk.settings import BACKUP_FOLDER
from coachdesk.store.vault import Vault


def _json(value: Any) -> Any:
    """Records as JSON-ready values (output.json_out knows neither dataclasses nor dates)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list | set | frozenset):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(_json(k)): _json(v) for k, v in value.items()}
    return value


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def consent(vault: Vault, args: argparse.Namespace) -> int:
    """`consent list|give|withdraw`."""
    if args.action != "list":
        purpose, method = Purpose(args.purpose), ConsentMethod(args.method)
        if args.action == "give":
            done = compliance.give_consent(vault, args.client, purpose, method, args.on)
        else:
            done = compliance.withdraw_consent(vault, args.client, purpose, method, args.on)
        if args.json:
            output.json_out(_json(done))
        else:
            verb = "Recorded consent" if args.action == "give" else "Recorded the withdrawal"
            print(f"{verb}: {purpose.label}.")
        return 0
    states = compliance.consent_states(vault, args.client)
    if args.json:
        output.json_out(
            [
                {"purpose": s.purpose.value, "given": s.given, "history": _json(s.history)}
                for s in states
            ]
        )
        return 0
    for state in states:
        print(f"{state.purpose.label:<32} {state.describe()}")
    return 0


def policy(vault: Vault, args: argparse.Namespace) -> int:
    """`policy show|disclosure`."""
    if args.action == "disclosure":
        if args.out.suffix.lower() == ".txt":
            data = compliance_docs.ai_disclosure_text(vault).encode("utf-8")
        else:
            data = compliance_docs.ai_disclosure_pdf(vault)
        files.write_file(args.out, data)
        print(f"Saved the AI disclosure to {args.out}.")
        return 0
    current = compliance.ai_policy(vault)
    if args.json:
        output.json_out(
            {
                "version": current.version,
                "allowed": sorted(current.allowed),
                "review_always": sorted(current.review_always),
                "prohibited": current.prohibited,
                "escalation": current.escalation,
                "min_confidence": current.min_confidence,
            }
        )
        return 0
    print(f"AI policy, version {current.version}")
    for task in sorted(current.allowed | set(), key=str):
        review = " (always read one by one)" if task in current.review_always else ""
        print(f"  allowed: {task.label}{review}")
    print("  prohibited topics: " + ", ".join(current.prohibited))
    print("  sent to manual review: " + ", ".join(current.escalation))
    print(f"  classifications below {current.min_confidence}% confidence go to manual review")
    return 0


def retention(vault: Vault, args: argparse.Namespace) -> int:
    """`retention rules [--set C=M]` and `retention run [--dry-run]`."""
    if args.action == "rules":
        for item in args.set:
            name, _, months = item.partition("=")
            try:
                category, value = Category(name.strip()), int(months)
            except ValueError:
                raise ValidationError(
                    {"set": f'Write a rule as CATEGORY=MONTHS (such as notes=72), not "{item}".'}
                ) from None
            compliance.set_retention_rule(vault, category, value)
        rules = compliance.retention_rules(vault)
        if args.json:
            output.json_out({c.value: m for c, m in rules.items()})
        else:
            for category, months in rules.items():
                print(f"{category.label:<36} {describe_months(months)} ({category.counted_from})")
        return 0
    plan = compliance.plan_retention(vault)
    if args.dry_run:
        if args.json:
            output.json_out({"dry_run": True, **plan.to_json()})
        else:
            for item in plan.items:
                print(f"{item.category.value:<12} {item.dated}  {item.label}")
            print(f"{sum(plan.counts().values())} item(s) would be removed; nothing was changed.")
        return 0
    result = compliance.apply_retention(vault, plan, trigger="cli")
    if args.json:
        output.json_out({"dry_run": False, **plan.to_json(), **result.to_json()})
    else:
        for category, count in result.removed.items():
            if count:
                print(f"Removed {count}: {category.label.lower()}.")
        print(f"{result.total} item(s) removed.")
        for path in result.kept_files:
            print(f"Left {path} in place: it changed since CoachDesk wrote it.", file=sys.stderr)
    return 0


def erase(vault: Vault, args: argparse.Namespace) -> int:
    """`erase client ID [--confirm]`: without --confirm, only the preview."""
    report = (
        privacy.erase_client(vault, args.id)
        if args.confirm
        else privacy.erasure_preview(vault, args.id)
    )
    if args.json:
        output.json_out(report.to_json())
        return 0 if args.confirm else 3
    verb = "Erased" if report.done else "Would erase"
    print(f"{verb} {report.name}: {sum(report.rows.values())} records, {report.files} file(s).")
    for kept in report.kept_invoices:
        until = kept.keep_until.isoformat() if kept.keep_until else "for ever"
        print(f"  kept for tax: invoice {kept.number} until {until} (with the billed name)")
    for hold in report.backups:
        until = hold.expires_on.isoformat() if hold.expires_on else "never (kept for ever)"
        state = "" if hold.present else " [file no longer there]"
        print(f"  still in backup {hold.path} until it expires: {until}{state}")
    if not report.done:
        print("Nothing was changed. Add --confirm to erase.")
        return 3
    return 0


def export_client(vault: Vault, args: argparse.Namespace) -> int:
    """`export client ID --out FILE.zip`."""
    summary = privacy.export_client(vault, args.id, args.out)
    print(
        f"Exported {summary.total_rows} records, {summary.files} file(s) and "
        f"{summary.audit_entries} audit entries to {summary.path}."
    )
    return 0


def backup(vault: Vault, args: argparse.Namespace) -> int:
    """`backup [--out DIR]` and `backup list`."""
    if args.action == "list":
        rows = backups.list_backups(vault)
        if args.json:
            output.json_out(_json(rows))
            return 0
        for row in rows:
            state = "" if row.present else "  [missing]"
            until = row.expires_on.isoformat() if row.expires_on else "never"
            when = f"{row.taken_at:%Y-%m-%d %H:%M}"
            print(f"{when}  {_size(row.size):>8}  expires {until}  {row.path}{state}")
        if not rows:
            print("No backups yet. Take one with: coachdesk backup --out FOLDER")
        return 0
    folder = args.out or Path(str(vault_settings.get(vault, BACKUP_FOLDER)) or ".")
    if args.out is None and not str(vault_settings.get(vault, BACKUP_FOLDER)):
        raise ValidationError({"out": "Say where the backup goes: coachdesk backup --out FOLDER"})
    info = backups.create_backup(vault, folder)
    if args.json:
        output.json_out(_json(info))
    else:
        print(f"Backed up to {info.path} ({_size(info.size)}).")
    return 0


def verify(args: argparse.Namespace, passphrase: str | None) -> int:
    """`backup verify FILE`: checksums, then (with the passphrase) everything inside."""
    check = backups.verify_backup(args.file, passphrase)
    if args.json:
        output.json_out(_json(check))
        return 0
    print(f"{args.file.name}: taken {check.taken_at:%Y-%m-%d %H:%M} UTC; checksums match.")
    if check.deep and check.counts is not None:
        print(
            f"Opened with the passphrase: schema {check.schema}, {check.counts.get('clients', 0)} "
            f"clients, {check.audit_entries} audit entries; integrity, row counts and audit "
            "trail all match its sealed manifest."
        )
    return 0


def restore(args: argparse.Namespace, passphrase: str, target: Path) -> int:
    """`restore FILE [--to DIR] [--replace]`."""
    where = backups.restore_backup(args.file, passphrase, target, replace=args.replace)
    print(f"Restored the vault to {where}. Open it with the passphrase it had when backed up.")
    return 0


def records(vault: Vault, args: argparse.Namespace) -> int:
    """`records --out FILE.pdf`."""
    files.write_file(args.out, compliance_docs.records_of_processing_pdf(vault))
    print(f"Saved the records of processing to {args.out}.")
    return 0


HANDLERS = {
    "consent": consent,
    "policy": policy,
    "retention": retention,
    "erase": erase,
    "backup": backup,
    "records": records,
    "export_client": export_client,
}
