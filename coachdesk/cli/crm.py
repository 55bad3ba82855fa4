"""CRM commands: search, import, export, pipeline, follow-ups, notes, goals, risk, segments."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from coachdesk.cli import output
from coachdesk.domain.crm import (
    FollowUpDraft,
    GoalDraft,
    MilestoneDraft,
    NoteDraft,
    NoteKind,
    Recurrence,
)
from coachdesk.domain.errors import KnownError, NotFoundError, ValidationError
from coachdesk.domain.pipeline import Stage
from coachdesk.domain.segments import ClientFilter
from coachdesk.services import clients, crm, pipeline, risk, search, segments, transfer
from coachdesk.store.search import HIT_END, HIT_START
from coachdesk.store.vault import Vault

Opener = Callable[[argparse.Namespace], Vault]


def _stage_named(vault: Vault, name: str) -> Stage:
    stages = pipeline.list_stages(vault)
    for stage in stages:
        if stage.name.casefold() == name.strip().casefold():
            return stage
    names = ", ".join(s.name for s in stages)
    raise NotFoundError(f"There is no stage called “{name}” (stages: {names}).")


def cmd_search(vault: Vault, args: argparse.Namespace) -> int:
    if args.query == ["reindex"]:
        count = search.reindex(vault)
        print(f"Rebuilt the search index: {count} entries.")
        return 0
    hits = search.search_everything(vault, " ".join(args.query), args.limit)
    if args.json:
        output.json_out(
            [
                {
                    "kind": h.kind,
                    "id": h.ref_id,
                    "client_id": h.client_id,
                    "client": h.client_name,
                    "title": h.title,
                    "snippet": h.plain_snippet,
                    "matches": [text for text, hit in h.parts() if hit],
                    "rank": round(h.rank, 4),
                }
                for h in hits
            ]
        )
        return 0
    if not hits:
        print("No matches.")
    for hit in hits:
        snippet = hit.snippet.replace(HIT_START, "[").replace(HIT_END, "]")
        print(f"{hit.kind:<9} #{hit.ref_id:<6} {hit.client_name}: {snippet}")
    return 0


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep:
            raise ValidationError({"map": f"Write --map as COLUMN=FIELD, not “{pair}”."})
        mapping[column.strip()] = field.strip()
    return mapping


def cmd_import(vault: Vault, args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise KnownError(f"Cannot read {args.file}: {exc.strerror}.") from None
    mapping = _mapping(args.map)
    if mapping is not None:
        # Columns not named keep their guessed field, so one --map fixes one column.
        guessed = transfer.preview(data, args.file.name).mapping
        mapping = {**guessed, **mapping}
    orders = None
    if args.date_order:
        plan = transfer.preview(data, args.file.name, mapping)
        orders = dict.fromkeys(plan.dates, args.date_order)
    show_progress = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int) -> None:
        if show_progress and total:
            print(f"\rImporting… {done}/{total}", end="", file=sys.stderr, flush=True)

    report = transfer.import_clients(
        vault,
        data,
        args.file.name,
        mapping=mapping,
        date_orders=orders,
        on_duplicate=args.on_duplicate,
        dry_run=args.dry_run,
        progress=progress,
    )
    if show_progress:
        print(file=sys.stderr)
    result: dict[str, Any] = {
        "dry_run": report.dry_run,
        "rows": report.total_rows,
        "created": report.created,
        "merged": report.merged,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in report.errors],
        "warnings": list(report.warnings),
    }
    if args.json:
        output.json_out(result)
        return 0
    verb = "Would import" if report.dry_run else "Imported"
    print(
        f"{verb} {report.total_rows} rows: {report.created} created, {report.merged} merged, "
        f"{report.unchanged} unchanged, {report.skipped} skipped, {len(report.errors)} with errors."
    )
    for error in report.errors:
        print(f"  row {error.row}: {error.message}")
    for warning in report.warnings:
        print(f"  {warning}")
    return 0


def cmd_export(vault: Vault, args: argparse.Namespace) -> int:
    if args.what == "client":
        if args.id is None:
            raise ValidationError(
                {"id": "Say which client: coachdesk export client ID --out FILE.zip"}
            )
        from coachdesk.cli import compliance

        return compliance.export_client(vault, args)
    if args.id is not None:
        raise ValidationError(
            {"id": "`export clients` takes no id; for one client use `export client ID`."}
        )
    if args.segment:
        rows = segments.clients_in(vault, segments.find_segment(vault, args.segment).filter)
    else:
        rows = clients.list_clients(vault)
    rows.sort(key=lambda r: (r.name.casefold(), r.id))
    transfer.export_to_file(vault, [r.id for r in rows], args.format, args.out)
    print(f"Exported {len(rows)} client(s) to {args.out}.")
    return 0


def cmd_pipeline(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "stages":
        stages = pipeline.list_stages(vault)
        board = pipeline.board(vault)
        data = [{**output.plain(s), "clients": len(board.cards_in(s.id))} for s in stages]
        if args.json:
            output.json_out(data)
        else:
            for item in data:
                stall = f"stalled after {item['stall_days']} days" if item["stall_days"] else ""
                print(f"{item['position'] + 1}. {item['name']:<18} {item['clients']:>5}  {stall}")
    elif args.action == "move":
        stage = _stage_named(vault, args.stage)
        moved = pipeline.move_clients(vault, args.ids, stage.id, args.reason)
        print(f"Moved {len(moved)} client(s) to {stage.name}.")
    elif args.action == "funnel":
        steps = pipeline.funnel_report(vault, args.start, args.end)
        data = [
            {
                "stage": s.stage.name,
                "entered": s.entered,
                "moved_on": s.moved_on,
                "lost_here": s.lost_here,
                "conversion": None if s.conversion is None else round(s.conversion, 3),
                "drop_off": None if s.drop_off is None else round(s.drop_off, 3),
                "median_days": None if s.median_days is None else round(s.median_days, 1),
            }
            for s in steps
        ]
        if args.json:
            output.json_out(data)
        else:
            for item in data:
                conv = "-" if item["conversion"] is None else f"{item['conversion']:.0%}"
                print(f"{item['stage']:<18} entered {item['entered']:>5}  moved on {conv:>5}")
    else:
        stalled = pipeline.board(vault).stalled
        data = [
            {
                "client_id": c.client.id,
                "client": c.client.name,
                "stage": c.client.stage_name,
                "days_in_stage": c.days_in_stage,
                "last_contact": output.local_time(c.client.last_contact_at),
            }
            for c in stalled
        ]
        if args.json:
            output.json_out(data)
        else:
            for item in data:
                print(
                    f"#{item['client_id']:<6} {item['client']:<28} {item['stage']} "
                    f"for {item['days_in_stage']} days"
                )
    return 0


def _follow_up_dict(f: Any) -> dict[str, Any]:
    return {**output.plain(f), "due_local": output.local_time(f.due_at)}


def cmd_followups(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "due":
        due = crm.due_follow_ups(vault, timedelta(days=args.days))
        if args.json:
            output.json_out(
                {
                    "overdue": [_follow_up_dict(f) for f in due.overdue],
                    "upcoming": [_follow_up_dict(f) for f in due.upcoming],
                }
            )
        else:
            for label, items in (("Overdue", due.overdue), ("Upcoming", due.upcoming)):
                print(f"{label}:" if items else f"{label}: none")
                for f in items:
                    print(f"  #{f.id:<5} {output.local_time(f.due_at)}  {f.client_name}: {f.title}")
    elif args.action == "add":
        try:
            local = datetime.fromisoformat(args.due)
        except ValueError:
            raise ValidationError({"due": f"Not a date and time: “{args.due}”."}) from None
        due_at = local.astimezone(UTC).replace(tzinfo=None)
        draft = FollowUpDraft(args.title, due_at, Recurrence(args.repeat or ""))
        made = crm.add_follow_up(vault, args.client, draft)
        if args.json:
            output.json_out(_follow_up_dict(made))
        else:
            print(f"Follow-up #{made.id} due {output.local_time(made.due_at)}.")
    else:
        following = crm.complete_follow_up(vault, args.id)
        print(
            f"Done. Next one due {output.local_time(following.due_at)}." if following else "Done."
        )
    return 0


def cmd_notes(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "add":
        draft = NoteDraft(
            NoteKind(args.kind),
            args.date or date.today(),
            args.text,
            tuple(args.themes),
            tuple(args.blockers),
        )
        note = crm.add_note(vault, args.client, draft)
        if args.json:
            output.json_out(output.plain(note))
        else:
            print(f"Note #{note.id} added.")
        return 0
    notes = crm.list_notes(vault, args.client)
    if args.json:
        output.json_out([output.plain(n) for n in notes])
    else:
        for note in notes:
            print(f"#{note.id} {note.occurred_on} {note.kind.label}: {note.text[:70]}")
    return 0


def cmd_goals(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "add":
        steps = tuple(MilestoneDraft(m) for m in args.milestones)
        goal = crm.add_goal(
            vault, args.client, GoalDraft(args.objective, args.measure, args.target), steps
        )
        if args.json:
            output.json_out(output.plain(goal))
        else:
            print(f"Goal #{goal.id} set.")
        return 0
    goals = crm.list_goals(vault, args.client)
    if args.json:
        output.json_out([output.plain(g) for g in goals])
    else:
        for goal in goals:
            print(f"#{goal.id} {goal.objective} — {goal.status.label}, {goal.progress}%")
    return 0


def cmd_risk(vault: Vault, args: argparse.Namespace) -> int:
    risks = risk.renewal_risks(vault)
    if args.json:
        output.json_out(
            [
                {
                    "client_id": r.client_id,
                    "client": r.client_name,
                    "score": r.score,
                    "level": r.level,
                    "why": [f.reason for f in r.factors],
                }
                for r in risks
            ]
        )
    else:
        for item in risks:
            head = f"{item.score:>3} {item.level:<6} #{item.client_id:<6} {item.client_name}"
            print(f"{head}: {item.why}")
    return 0


def cmd_segments(vault: Vault, args: argparse.Namespace) -> int:
    if args.action == "list":
        found = segments.list_segments(vault)
        if args.json:
            output.json_out(
                [{"id": s.id, "name": s.name, "filter": s.filter.to_json()} for s in found]
            )
        else:
            for segment in found:
                print(f"#{segment.id} {segment.name}")
    elif args.action == "show":
        rows = segments.clients_in(vault, segments.find_segment(vault, args.name).filter)
        if args.json:
            output.json_out([output.row_dict(r) for r in rows])
        else:
            output.table(rows)
    else:
        stage_ids = [_stage_named(vault, name).id for name in args.stages]
        client_filter = ClientFilter().with_(
            tags=[t.lower() for t in args.tags],
            stage_ids=stage_ids,
            statuses=args.statuses,
            lead_sources=[s.casefold() for s in args.lead_sources],
            objectives=args.objectives,
            types=args.types,
            overdue_only=args.overdue,
        )
        saved = segments.save_segment(vault, args.name, client_filter)
        print(f"Saved segment “{saved.name}”.")
    return 0


HANDLERS: dict[str, Callable[[Vault, argparse.Namespace], int]] = {
    "search": cmd_search,
    "import": cmd_import,
    "export": cmd_export,
    "pipeline": cmd_pipeline,
    "followups": cmd_followups,
    "notes": cmd_notes,
    "goals": cmd_goals,
    "risk": cmd_risk,
    "segments": cmd_segments,
}
