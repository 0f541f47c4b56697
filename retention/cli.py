"""CLI verbs of retention: `aidrec retention policy|hold|show|apply|sweep|approve|forecast …`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from archive.cli.app import ConfigOpt, console, fail, print_json
from archive.evidence.vocabulary import JurisdictionLevel, Stage
from retention.models import HoldKind, RuleCategory

if TYPE_CHECKING:
    from archive.access.people import Principal
    from archive.services import Archive
    from retention.settings import RetentionSettings

app = typer.Typer(no_args_is_help=True,
                  help="Retention: policies, legal holds, disposal with certificates, forecast.")
policy_app = typer.Typer(no_args_is_help=True, help="Retention rules (administrators).")
hold_app = typer.Typer(no_args_is_help=True, help="Legal holds: place, release, list.")
app.add_typer(policy_app, name="policy")
app.add_typer(hold_app, name="hold")

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
UserOpt = Annotated[str, typer.Option("--user", help="the person acting (role is checked)")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (logged)")]


def _out() -> Console:
    # Built per command: it reads the terminal width from the environment.
    return Console(highlight=False, soft_wrap=True)


def _archive(config: Path | None) -> Archive:
    from archive.cli.verbs import open_archive

    return open_archive(config)


def _settings(archive: Archive) -> RetentionSettings:
    from retention.settings import load_retention_settings

    return load_retention_settings(archive.settings.home)


def _principal(archive: Archive, user: str) -> Principal:
    from archive.access import people as access
    from archive.catalog.models import User

    with archive.catalog.read() as db:
        person = db.get(User, user)
        if person is None or person.disabled_at is not None:
            raise fail(f"user {user} does not exist or is disabled")
        return access.principal_of(db, person)


def _now() -> datetime:
    return datetime.now(UTC)


def _size(value: int) -> str:
    from retention.forecast import human_bytes

    return human_bytes(value)


def _day(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


# --- policies ---------------------------------------------------------------------------------


@policy_app.command("list")
def policy_list(all_: Annotated[bool, typer.Option("--all", help="include retired rules")] = False,
                as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """The rules in force (and the floor that always applies)."""
    from retention import service
    from retention.facts import floor_of
    from retention.facts import rule_of as as_rule

    archive = _archive(config)
    with archive.catalog.read() as db:
        rows = service.list_rules(db, include_retired=all_)
    floor = floor_of(archive.settings)
    if as_json:
        print_json({"floor": str(floor), "rules": [_rule_json(r) for r in rows]})
        return
    _out().print(f"floor (always applies): {floor} after a recording ends, or after its import")
    table = Table("id", "rule", "by", "since", "retired")
    for row in rows:
        table.add_row(row.id, escape(as_rule(row).describe()), row.created_by,
                      _day(row.created_at), _day(row.retired_at))
    _out().print(table)


def _rule_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "category": row.category.value, "case_type": row.case_type,
            "stage": row.stage.value if row.stage else None, "years": row.years,
            "days": row.days, "label": row.label, "reason": row.reason,
            "created_by": row.created_by, "created_at": row.created_at,
            "retired_at": row.retired_at, "retired_by": row.retired_by}


@policy_app.command("set")
def policy_set(
    category: RuleCategory, user: UserOpt, reason: ReasonOpt,
    years: Annotated[int, typer.Option(help="calendar years")] = 0,
    days: Annotated[int, typer.Option(help="days (added to the years)")] = 0,
    case_type: Annotated[str | None, typer.Option(help="case rules: this case type only")] = None,
    stage: Annotated[Stage | None, typer.Option(help="this stage only")] = None,
    label: Annotated[str, typer.Option(help="a short name")] = "",
    config: ConfigOpt = None,
) -> None:
    """Set the rule for a category (and case type, stage), replacing the one in force."""
    from retention import service
    from retention.facts import floor_of

    archive = _archive(config)
    principal = _principal(archive, user)
    spec = service.RuleInput(category=category, years=years, days=days, case_type=case_type,
                             stage=stage, label=label, reason=reason)
    with archive.catalog.write() as db:
        rule = service.set_rule(db, principal=principal, spec=spec,
                                floor=floor_of(archive.settings), now=_now())
        rule_id = rule.id
    console.print(f"rule {rule_id} in force; run `aidrec retention apply` (or wait for the "
                  "worker) to extend locks")


@policy_app.command("retire")
def policy_retire(rule_id: str, user: UserOpt, reason: ReasonOpt,
                  config: ConfigOpt = None) -> None:
    """Retire a rule; locks it set stay (they are never shortened)."""
    from retention import service

    archive = _archive(config)
    principal = _principal(archive, user)
    with archive.catalog.write() as db:
        service.retire_rule(db, principal=principal, rule_id=rule_id, reason=reason, now=_now())
    console.print(f"rule {rule_id} retired")


# --- what is kept -----------------------------------------------------------------------------


@app.command("show")
def show(recording: str, as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Why a recording is kept, until when, and whether it is held, due or disposed."""
    from retention import service

    archive = _archive(config)
    explained = service.explain(archive, principal=None, recording_id=recording, now=_now())
    decision = explained.decision
    if as_json:
        print_json(explanation_json(explained))
        return
    _out().print(f"[bold]recording {recording}[/bold]: {explained.status.value}")
    _out().print(f"  kept until {decision.retain_until.isoformat()}"
              + (" at least (a rule's end is not known yet)" if decision.open_ended else ""))
    _out().print(f"  governing rule: {escape(decision.governing.rule)} "
              f"({escape(decision.governing.anchor)})")
    for term in decision.terms:
        until = term.until.isoformat() if term.until else f">= {term.lower_bound.isoformat()}"
        _out().print(f"    - {escape(term.rule)}: {until} ({escape(term.anchor)})")
    for note in decision.notes:
        _out().print(f"  note: {escape(note)}")
    if decision.holds:
        _out().print(f"  held by: {', '.join(decision.holds)}")
    if explained.certificate_id:
        _out().print(f"  disposal certificate: {explained.certificate_id}")


def explanation_json(explained: Any) -> dict[str, Any]:
    decision = explained.decision
    return {
        "recording_id": explained.recording_id, "status": explained.status.value,
        "retain_until": decision.retain_until, "open_ended": decision.open_ended,
        "rule": decision.governing.rule, "anchor": decision.governing.anchor,
        "terms": [{"rule_id": t.rule_id, "rule": t.rule, "until": t.until,
                   "at_least": t.lower_bound, "anchor": t.anchor} for t in decision.terms],
        "holds": list(decision.holds), "notes": list(decision.notes),
        "size": explained.placement.total_bytes,
        "locked_in_store_until": explained.state.locks_until if explained.state else None,
        "certificate_id": explained.certificate_id,
    }


@app.command("apply")
def apply(as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Decide every recording now and raise locks (catalog and store) the rules require."""
    from retention.locks import apply_retention

    archive = _archive(config)
    result = apply_retention(archive, _settings(archive), now=_now())
    if as_json:
        print_json({"decided": result.decided, "raised": result.raised,
                    "objects_extended": result.objects_extended, "errors": result.errors})
    else:
        console.print(f"{result.decided} recordings decided, {len(result.raised)} locks raised, "
                      f"{result.objects_extended} object versions checked")
        for rid, error in result.errors.items():
            console.print(f"  [red]{rid}[/red]: {escape(error)}")
    raise typer.Exit(1 if result.errors else 0)


# --- holds ------------------------------------------------------------------------------------


@hold_app.command("place")
def hold_place(
    kind: Annotated[HoldKind, typer.Option(help="complaint, inspection or court")],
    reference: Annotated[str, typer.Option(help="complaint/inspection/court reference")],
    user: UserOpt, reason: ReasonOpt,
    recording: Annotated[list[str] | None, typer.Option(help="recording id (repeatable)")] = None,
    session: Annotated[list[str] | None, typer.Option(help="session id (repeatable)")] = None,
    case: Annotated[list[str] | None, typer.Option(help="case number: all its sessions")] = None,
    config: ConfigOpt = None,
) -> None:
    """Hold recordings (catalog + S3 legal hold on every object); prints the hold id."""
    from retention.holds import HoldTargets, place_hold

    archive = _archive(config)
    view = place_hold(archive, principal=_principal(archive, user), kind=kind,
                      reference=reference, reason=reason, now=_now(),
                      targets=HoldTargets(tuple(recording or ()), tuple(session or ()),
                                          tuple(case or ())))
    typer.echo(view.hold.id)
    pending = [i.recording_id for i in view.items if i.store.value == "pending"]
    if pending:
        console.print(f"[yellow]S3 legal hold pending[/yellow] on {len(pending)} recordings: "
                      "the catalog hold is in force; the worker retries the store")


@hold_app.command("release")
def hold_release(hold_id: str, user: UserOpt, reason: ReasonOpt,
                 config: ConfigOpt = None) -> None:
    """Release a hold (inspector or administrator, with a reason; logged)."""
    from retention.holds import release_hold

    archive = _archive(config)
    release_hold(archive, principal=_principal(archive, user), hold_id=hold_id, reason=reason,
                 now=_now())
    console.print(f"hold {hold_id} released")


@hold_app.command("list")
def hold_list(user: UserOpt, all_: Annotated[bool, typer.Option("--all")] = False,
              as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Holds in the person's subtree (active only unless --all)."""
    from retention.holds import list_holds

    archive = _archive(config)
    principal = _principal(archive, user)
    with archive.catalog.read() as db:
        holds = list_holds(db, principal=principal, active=None if all_ else True)
    if as_json:
        print_json([{"id": h.id, "kind": h.kind.value, "reference": h.reference,
                     "reason": h.reason, "placed_by": h.placed_by, "placed_at": h.placed_at,
                     "released_at": h.released_at, "released_by": h.released_by}
                    for h in holds])
        return
    table = Table("id", "kind", "reference", "placed by", "placed", "released")
    for h in holds:
        table.add_row(h.id, h.kind.value, escape(h.reference), h.placed_by, _day(h.placed_at),
                      _day(h.released_at))
    _out().print(table)


# --- disposal ---------------------------------------------------------------------------------


@app.command("sweep")
def sweep(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what is due; change "
                                          "nothing")] = False,
    propose: Annotated[bool, typer.Option("--propose", help="put what is due into a batch "
                                          "awaiting approval")] = False,
    user: Annotated[str | None, typer.Option("--user", help="the person acting")] = None,
    as_json: JsonOpt = False, config: ConfigOpt = None,
) -> None:
    """List what is due (--dry-run), propose it (--propose), or dispose of approved batches."""
    archive = _archive(config)
    settings = _settings(archive)
    if dry_run and propose:
        raise fail("give at most one of --dry-run and --propose")
    if dry_run:
        _dry_run(archive, as_json)
        return
    if propose:
        if user is None:
            raise fail("--propose needs --user (an administrator)")
        from retention.disposal_batches import propose_batch

        view = propose_batch(archive, settings, proposer=_principal(archive, user), now=_now())
        if as_json:
            print_json(batch_json(view))
            return
        typer.echo(view.batch.id)
        console.print(f"{len(view.items)} recordings ({_size(view.size)}) await approval by "
                      f"{view.batch.required_approvals} administrator(s): "
                      f"`aidrec retention approve {view.batch.id} --user … --reason …`")
        return
    _execute(archive, settings, user, as_json)


def _dry_run(archive: Archive, as_json: bool) -> None:
    from retention.disposal_batches import list_due

    entries = list_due(archive, now=_now())
    if as_json:
        print_json({"due": [e.__dict__ for e in entries],
                    "total_bytes": sum(e.size for e in entries)})
        return
    table = Table("recording", "window", "jurisdiction", "ended", "segments", "size", "rule",
                  "kept until", "note")
    for e in entries:
        table.add_row(e.recording_id, e.window_id, e.jurisdiction_path, _day(e.ended_at),
                      str(e.segment_count), _size(e.size), escape(e.rule), _day(e.retain_until),
                      e.blocked or "")
    _out().print(table)
    _out().print(f"{len(entries)} recordings due, {_size(sum(e.size for e in entries))}; nothing "
              "was changed")


def _execute(archive: Archive, settings: RetentionSettings, user: str | None,
             as_json: bool) -> None:
    from archive.cli.verbs import operator
    from retention.disposal_batches import list_batches
    from retention.models import BatchState
    from retention.sweeper import run_sweep

    actor = _principal(archive, user).user_id if user else operator().id
    with archive.catalog.read() as db:
        waiting = list_batches(db, principal=None, states=(BatchState.PROPOSED,))
    result = run_sweep(archive, settings, now=_now(), actor=actor)
    if as_json:
        print_json({"disposed": result.disposed, "skipped": result.skipped,
                    "unfinished": result.unfinished, "bytes": result.bytes_disposed,
                    "awaiting_approval": [b.id for b in waiting]})
    else:
        for rid, cert in result.disposed.items():
            _out().print(f"disposed {rid}: certificate {cert}")
        for rid, why in result.skipped.items():
            _out().print(f"kept {rid}: {why}")
        for rid, error in result.unfinished.items():
            _out().print(f"[yellow]unfinished[/yellow] {rid}: {escape(error)} (the next sweep "
                      "resumes it)")
        _out().print(f"{len(result.disposed)} recordings disposed, {_size(result.bytes_disposed)}")
        for batch in waiting:
            _out().print(f"batch {batch.id} awaits approval ({batch.required_approvals} needed)")
    raise typer.Exit(1 if result.unfinished else 0)


@app.command("approve")
def approve(batch: str, user: UserOpt, reason: ReasonOpt, config: ConfigOpt = None) -> None:
    """Approve a disposal batch as an administrator."""
    from retention.disposal_batches import approve_batch

    archive = _archive(config)
    view = approve_batch(archive, approver=_principal(archive, user), batch_id=batch,
                         reason=reason, now=_now())
    console.print(f"batch {batch}: {len(view.approvals)} of {view.batch.required_approvals} "
                  f"approvals, {view.batch.state.value}")


@app.command("cancel")
def cancel(batch: str, user: UserOpt, reason: ReasonOpt, config: ConfigOpt = None) -> None:
    """Cancel a batch that has not started."""
    from retention.disposal_batches import cancel_batch

    archive = _archive(config)
    cancel_batch(archive, principal=_principal(archive, user), batch_id=batch, reason=reason,
                 now=_now())
    console.print(f"batch {batch} cancelled")


@app.command("batches")
def batches(as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Disposal batches, newest first, with their items."""
    from retention.disposal_batches import list_batches, view

    archive = _archive(config)
    with archive.catalog.read() as db:
        views = [view(db, b.id) for b in list_batches(db, principal=None)]
    if as_json:
        print_json([batch_json(v) for v in views])
        return
    table = Table("batch", "state", "proposed by", "proposed", "approvals", "items", "size")
    for v in views:
        table.add_row(v.batch.id, v.batch.state.value, v.batch.proposed_by,
                      _day(v.batch.proposed_at),
                      f"{len(v.approvals)}/{v.batch.required_approvals}", str(len(v.items)),
                      _size(v.size))
    _out().print(table)


def batch_json(v: Any) -> dict[str, Any]:
    return {"id": v.batch.id, "state": v.batch.state.value, "scope": v.batch.scope_path,
            "proposed_by": v.batch.proposed_by, "proposed_at": v.batch.proposed_at,
            "required_approvals": v.batch.required_approvals,
            "approvals": [{"user": a.user_id, "at": a.at, "reason": a.reason}
                          for a in v.approvals],
            "items": [{"recording_id": i.recording_id, "state": i.state.value, "rule": i.rule,
                       "retain_until": i.retain_until, "size": i.size,
                       "certificate_id": i.certificate_id, "skip_reason": i.skip_reason,
                       "last_error": i.last_error} for i in v.items]}


@app.command("certificate")
def certificate(
    certificate_id: str,
    export: Annotated[Path | None, typer.Option(help="write certificate.json, .p7s, .tsr and "
                                                "chain.pem here (for openssl)")] = None,
    as_json: JsonOpt = False, config: ConfigOpt = None,
) -> None:
    """Verify a disposal certificate (signature, timestamp, log); optionally export it."""
    from retention.verify import export_certificate, verify_certificate

    archive = _archive(config)
    report = verify_certificate(archive, certificate_id)
    if export is not None:
        for path in export_certificate(archive, certificate_id, export):
            console.print(f"wrote {path}")
    if as_json:
        typer.echo(report.to_json())
    else:
        for check in report.checks:
            mark = "[green]PASS[/green]" if check.ok else "[red]FAIL[/red]"
            _out().print(f"  {mark} {escape(check.name)}: {escape(check.detail)}")
    raise typer.Exit(0 if report.ok else 1)


@app.command("case-archived")
def case_archived(
    number: str, user: UserOpt,
    at: Annotated[datetime | None, typer.Option(help="when the case file was archived "
                                                "(UTC); default now")] = None,
    case_type: Annotated[str | None, typer.Option(help="the case type, if not set")] = None,
    config: ConfigOpt = None,
) -> None:
    """Record that a case file was archived: its sessions' case rules count from then."""
    from retention import service

    archive = _archive(config)
    moment = at.replace(tzinfo=UTC) if at and at.tzinfo is None else (at or _now())
    with archive.catalog.write() as db:
        service.mark_case_archived(db, principal=_principal(archive, user), number=number,
                                   archived_at=moment, case_type=case_type)
    console.print(f"case {number} archived at {moment.isoformat()}")


# --- capacity ---------------------------------------------------------------------------------


@app.command("forecast")
def forecast(
    months: Annotated[int, typer.Option(min=1, max=120)] = 12,
    level: Annotated[JurisdictionLevel, typer.Option(help="group by this level")] =
    JurisdictionLevel.COUNTY,
    svg: Annotated[Path | None, typer.Option(help="write the chart as SVG here")] = None,
    as_json: JsonOpt = False, config: ConfigOpt = None,
) -> None:
    """Storage per jurisdiction for the coming months; warns before the store fills."""
    from retention.chart import render_svg
    from retention.forecast import gather, project

    archive = _archive(config)
    settings = _settings(archive)
    now = _now()
    result = project(gather(archive, now=now, level=level, scope_path="/",
                            window_days=settings.forecast_window_days),
                     start=now, months=months, capacity=settings.store_capacity_bytes,
                     warn_fraction=settings.capacity_warn_fraction)
    if svg is not None:
        svg.write_text(render_svg(result), encoding="utf-8")
        console.print(f"chart written to {svg}")
    if as_json:
        print_json(forecast_json(result))
        return
    steps = sorted({0, 1, 3, 6, 12, months} & set(range(months + 1)))
    table = Table("jurisdiction", "per day", *[result.points[s].strftime("%Y-%m") for s in steps])
    for group, values in result.series.items():
        table.add_row(escape(result.names.get(group, group)), _size(int(result.rates[group])),
                      *[_size(values[s]) for s in steps])
    table.add_row("total", _size(int(sum(result.rates.values()))),
                  *[_size(result.total[s]) for s in steps])
    _out().print(table)
    for warning in result.warnings:
        _out().print(f"[red]warning:[/red] {escape(warning)}")


def forecast_json(result: Any) -> dict[str, Any]:
    return {"start": result.start, "points": result.points, "series": result.series,
            "names": result.names, "total": result.total, "rates_per_day": result.rates,
            "capacity": result.capacity, "warnings": result.warnings}


def register(root: typer.Typer) -> None:
    """Entry point `aidrec.commands`: adds `aidrec retention …`."""
    root.add_typer(app, name="retention")
