"""`aidrec retention sweep|approve|cancel|batches|certificate`: disposal of what is due, by
approved batches, each recording under a sealed certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from archive.cli.common import ConfigOpt, console, fail, open_archive, operator, print_json
from archive.cli.report import print_report
from archive.services import Archive
from retention.cli.common import (
    JsonOpt,
    ReasonOpt,
    UserOpt,
    day,
    now,
    out,
    principal,
    retention_settings,
)
from retention.disposal_batches import (
    BatchView,
    approve_batch,
    cancel_batch,
    list_batches,
    list_due,
    propose_batch,
    view,
)
from retention.forecast import human_bytes
from retention.models import BatchState
from retention.settings import RetentionSettings
from retention.sweeper import run_sweep
from retention.verify import export_certificate, verify_certificate


def sweep(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what is due; change "
                                          "nothing")] = False,
    propose: Annotated[bool, typer.Option("--propose", help="put what is due into a batch "
                                          "awaiting approval")] = False,
    user: Annotated[str | None, typer.Option("--user", help="the person acting")] = None,
    as_json: JsonOpt = False, config: ConfigOpt = None,
) -> None:
    """List what is due (--dry-run), propose it (--propose), or dispose of approved batches."""
    archive = open_archive(config)
    settings = retention_settings(archive)
    if dry_run and propose:
        raise fail("give at most one of --dry-run and --propose")
    if dry_run:
        _dry_run(archive, as_json)
        return
    if propose:
        if user is None:
            raise fail("--propose needs --user (an administrator)")
        proposed = propose_batch(archive, settings, proposer=principal(archive, user), now=now())
        if as_json:
            print_json(batch_json(proposed))
            return
        typer.echo(proposed.batch.id)
        console.print(f"{len(proposed.items)} recordings ({human_bytes(proposed.size)}) await "
                      f"approval by {proposed.batch.required_approvals} administrator(s): "
                      f"`aidrec retention approve {proposed.batch.id} --user … --reason …`")
        return
    _execute(archive, settings, user, as_json)


def _dry_run(archive: Archive, as_json: bool) -> None:
    entries = list_due(archive, now=now())
    if as_json:
        print_json({"due": [e.__dict__ for e in entries],
                    "total_bytes": sum(e.size for e in entries)})
        return
    table = Table("recording", "window", "jurisdiction", "ended", "segments", "size", "rule",
                  "kept until", "note")
    for e in entries:
        table.add_row(e.recording_id, e.window_id, e.jurisdiction_path, day(e.ended_at),
                      str(e.segment_count), human_bytes(e.size), escape(e.rule),
                      day(e.retain_until), e.blocked or "")
    shown = out()
    shown.print(table)
    shown.print(f"{len(entries)} recordings due, {human_bytes(sum(e.size for e in entries))}; "
                "nothing was changed")


def _execute(archive: Archive, settings: RetentionSettings, user: str | None,
             as_json: bool) -> None:
    actor = principal(archive, user).user_id if user else operator().id
    with archive.catalog.read() as db:
        waiting = list_batches(db, principal=None, states=(BatchState.PROPOSED,))
    result = run_sweep(archive, settings, now=now(), actor=actor)
    if as_json:
        print_json({"disposed": result.disposed, "skipped": result.skipped,
                    "unfinished": result.unfinished, "bytes": result.bytes_disposed,
                    "awaiting_approval": [b.id for b in waiting]})
    else:
        shown = out()
        for rid, cert in result.disposed.items():
            shown.print(f"disposed {rid}: certificate {cert}")
        for rid, why in result.skipped.items():
            shown.print(f"kept {rid}: {why}")
        for rid, error in result.unfinished.items():
            shown.print(f"[yellow]unfinished[/yellow] {rid}: {escape(error)} (the next sweep "
                        "resumes it)")
        shown.print(f"{len(result.disposed)} recordings disposed, "
                    f"{human_bytes(result.bytes_disposed)}")
        for batch in waiting:
            shown.print(f"batch {batch.id} awaits approval ({batch.required_approvals} needed)")
    raise typer.Exit(1 if result.unfinished else 0)


def approve(batch: str, user: UserOpt, reason: ReasonOpt, config: ConfigOpt = None) -> None:
    """Approve a disposal batch as an administrator."""
    archive = open_archive(config)
    approved = approve_batch(archive, approver=principal(archive, user), batch_id=batch,
                             reason=reason, now=now())
    console.print(f"batch {batch}: {len(approved.approvals)} of "
                  f"{approved.batch.required_approvals} approvals, {approved.batch.state.value}")


def cancel(batch: str, user: UserOpt, reason: ReasonOpt, config: ConfigOpt = None) -> None:
    """Cancel a batch that has not started."""
    archive = open_archive(config)
    cancel_batch(archive, principal=principal(archive, user), batch_id=batch, reason=reason,
                 now=now())
    console.print(f"batch {batch} cancelled")


def batches(as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Disposal batches, newest first, with their items."""
    archive = open_archive(config)
    with archive.catalog.read() as db:
        views = [view(db, b.id) for b in list_batches(db, principal=None)]
    if as_json:
        print_json([batch_json(v) for v in views])
        return
    table = Table("batch", "state", "proposed by", "proposed", "approvals", "items", "size")
    for v in views:
        table.add_row(v.batch.id, v.batch.state.value, v.batch.proposed_by,
                      day(v.batch.proposed_at),
                      f"{len(v.approvals)}/{v.batch.required_approvals}", str(len(v.items)),
                      human_bytes(v.size))
    out().print(table)


def batch_json(v: BatchView) -> dict[str, Any]:
    return {"id": v.batch.id, "state": v.batch.state.value, "scope": v.batch.scope_path,
            "proposed_by": v.batch.proposed_by, "proposed_at": v.batch.proposed_at,
            "required_approvals": v.batch.required_approvals,
            "approvals": [{"user": a.user_id, "at": a.at, "reason": a.reason}
                          for a in v.approvals],
            "items": [{"recording_id": i.recording_id, "state": i.state.value, "rule": i.rule,
                       "retain_until": i.retain_until, "size": i.size,
                       "certificate_id": i.certificate_id, "skip_reason": i.skip_reason,
                       "last_error": i.last_error} for i in v.items]}


def certificate(
    certificate_id: str,
    export: Annotated[Path | None, typer.Option(help="write certificate.json, .p7s, .tsr and "
                                                "chain.pem here (for openssl)")] = None,
    as_json: JsonOpt = False, config: ConfigOpt = None,
) -> None:
    """Verify a disposal certificate (signature, timestamp, log); optionally export it."""
    archive = open_archive(config)
    report = verify_certificate(archive, certificate_id)
    if export is not None:
        for path in export_certificate(archive, certificate_id, export):
            console.print(f"wrote {path}")
    raise typer.Exit(print_report(report, as_json=as_json))


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
    app.command("approve")(approve)
    app.command("cancel")(cancel)
    app.command("batches")(batches)
    app.command("certificate")(certificate)
