"""`aidrec retention hold place|release|list`: legal holds, in the catalog and on S3."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from archive.cli.common import ConfigOpt, console, open_archive, print_json
from retention.cli.common import JsonOpt, ReasonOpt, UserOpt, day, now, out, principal
from retention.holds import HoldTargets, list_holds, place_hold, release_hold
from retention.models import HoldKind

hold_app = typer.Typer(no_args_is_help=True, help="Legal holds: place, release, list.")


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
    archive = open_archive(config)
    view = place_hold(archive, principal=principal(archive, user), kind=kind,
                      reference=reference, reason=reason, now=now(),
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
    """Ask for a hold's release, or agree as the second person (inspector or administrator
    of another role or level than the one who asked, with a reason; logged)."""
    archive = open_archive(config)
    view = release_hold(archive, principal=principal(archive, user), hold_id=hold_id,
                        reason=reason, now=now())
    if view.hold.released_at is None:
        console.print(f"release of hold {hold_id} asked for; it stays until a second person "
                      "(another role or jurisdiction level) agrees")
    else:
        console.print(f"hold {hold_id} released")


@hold_app.command("list")
def hold_list(user: UserOpt, all_: Annotated[bool, typer.Option("--all")] = False,
              as_json: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Holds in the person's subtree (active only unless --all)."""
    archive = open_archive(config)
    person = principal(archive, user)
    with archive.catalog.read() as db:
        holds = list_holds(db, principal=person, active=None if all_ else True)
    if as_json:
        print_json([{"id": h.id, "kind": h.kind.value, "reference": h.reference,
                     "reason": h.reason, "placed_by": h.placed_by, "placed_at": h.placed_at,
                     "released_at": h.released_at, "released_by": h.released_by}
                    for h in holds])
        return
    table = Table("id", "kind", "reference", "placed by", "placed", "released")
    for h in holds:
        table.add_row(h.id, h.kind.value, escape(h.reference), h.placed_by, day(h.placed_at),
                      day(h.released_at))
    out().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(hold_app, name="hold")
