"""`aidrec retention policy list|set|retire`, `case-archived`, and what the rules decide:
`show` (why a recording is kept) and `apply` (raise the locks they require)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from archive.cli.common import ConfigOpt, console, open_archive, print_json
from archive.evidence.vocabulary import Stage
from retention import service
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
from retention.facts import floor_of, rule_of
from retention.locks import apply_retention
from retention.models import RetentionRule, RuleCategory

policy_app = typer.Typer(no_args_is_help=True, help="Retention rules (administrators).")


@policy_app.command("list")
def policy_list(all_: Annotated[bool, typer.Option("--all", help="include retired rules")] = False,
                as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """The rules in force (and the floor that always applies)."""
    archive = open_archive(config)
    with archive.catalog.read() as db:
        rows = service.list_rules(db, include_retired=all_)
    floor = floor_of(archive.settings)
    if as_json:
        print_json({"floor": str(floor), "rules": [_rule_json(r) for r in rows]})
        return
    table = Table("id", "rule", "by", "since", "retired")
    for row in rows:
        table.add_row(row.id, escape(rule_of(row).describe()), row.created_by,
                      day(row.created_at), day(row.retired_at))
    shown = out()
    shown.print(f"floor (always applies): {floor} after a recording ends, or after its import")
    shown.print(table)


def _rule_json(row: RetentionRule) -> dict[str, Any]:
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
    archive = open_archive(config)
    person = principal(archive, user)
    spec = service.RuleInput(category=category, years=years, days=days, case_type=case_type,
                             stage=stage, label=label, reason=reason)
    with archive.catalog.write() as db:
        rule = service.set_rule(db, principal=person, spec=spec,
                                floor=floor_of(archive.settings), now=now())
        rule_id = rule.id
    console.print(f"rule {rule_id} in force; run `aidrec retention apply` (or wait for the "
                  "worker) to extend locks")


@policy_app.command("retire")
def policy_retire(rule_id: str, user: UserOpt, reason: ReasonOpt,
                  config: ConfigOpt = None) -> None:
    """Retire a rule; locks it set stay (they are never shortened)."""
    archive = open_archive(config)
    person = principal(archive, user)
    with archive.catalog.write() as db:
        service.retire_rule(db, principal=person, rule_id=rule_id, reason=reason, now=now())
    console.print(f"rule {rule_id} retired")


def case_archived(
    number: str, user: UserOpt,
    at: Annotated[datetime | None, typer.Option(help="when the case file was archived "
                                                "(UTC); default now")] = None,
    case_type: Annotated[str | None, typer.Option(help="the case type, if not set")] = None,
    config: ConfigOpt = None,
) -> None:
    """Record that a case file was archived: its sessions' case rules count from then."""
    archive = open_archive(config)
    moment = at.replace(tzinfo=UTC) if at and at.tzinfo is None else (at or now())
    with archive.catalog.write() as db:
        service.mark_case_archived(db, principal=principal(archive, user), number=number,
                                   archived_at=moment, case_type=case_type)
    console.print(f"case {number} archived at {moment.isoformat()}")


def show(recording: str, as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Why a recording is kept, until when, and whether it is held, due or disposed."""
    archive = open_archive(config)
    explained = service.explain(archive, principal=None, recording_id=recording, now=now())
    decision = explained.decision
    if as_json:
        print_json(explanation_json(explained))
        return
    shown = out()
    shown.print(f"[bold]recording {recording}[/bold]: {explained.status.value}")
    shown.print(f"  kept until {decision.retain_until.isoformat()}"
                + (" at least (a rule's end is not known yet)" if decision.open_ended else ""))
    shown.print(f"  governing rule: {escape(decision.governing.rule)} "
                f"({escape(decision.governing.anchor)})")
    for term in decision.terms:
        until = term.until.isoformat() if term.until else f">= {term.lower_bound.isoformat()}"
        shown.print(f"    - {escape(term.rule)}: {until} ({escape(term.anchor)})")
    for note in decision.notes:
        shown.print(f"  note: {escape(note)}")
    if decision.holds:
        shown.print(f"  held by: {', '.join(decision.holds)}")
    if explained.certificate_id:
        shown.print(f"  disposal certificate: {explained.certificate_id}")


def explanation_json(explained: service.Explanation) -> dict[str, Any]:
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


def apply(as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Decide every recording now and raise locks (catalog and store) the rules require."""
    archive = open_archive(config)
    result = apply_retention(archive, retention_settings(archive), now=now())
    if as_json:
        print_json({"decided": result.decided, "raised": result.raised,
                    "objects_extended": result.objects_extended, "errors": result.errors})
    else:
        console.print(f"{result.decided} recordings decided, {len(result.raised)} locks raised, "
                      f"{result.objects_extended} object versions checked")
        for rid, error in result.errors.items():
            console.print(f"  [red]{rid}[/red]: {escape(error)}")
    raise typer.Exit(1 if result.errors else 0)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
    app.command("show")(show)
    app.command("apply")(apply)
    app.command("case-archived")(case_archived)
