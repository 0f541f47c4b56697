"""`aidrec audit …`: prove the access log whole, seal its head now, show its head."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from archive.cli.app import ConfigOpt, print_json

audit_app = typer.Typer(no_args_is_help=True, help="The access log: verify, seal, head.")


@audit_app.command("verify")
def verify(as_json: Annotated[bool, typer.Option("--json")] = False,
           config: ConfigOpt = None) -> None:
    """Recompute the hash chain and check every sealed head; exit 0 only if all passes."""
    from archive.audit.seal import verify_log
    from archive.cli.verbs import open_archive

    report = verify_log(open_archive(config))
    if as_json:
        typer.echo(report.to_json())
    else:
        out = Console(highlight=False, soft_wrap=True)
        out.print(f"[bold]{escape(report.target)}[/bold]")
        for check in report.checks:
            mark = "[green]PASS[/green]" if check.ok else "[red]FAIL[/red]"
            where = f" ({check.subject})" if check.subject else ""
            out.print(f"  {mark} {escape(check.name + where)}: {escape(check.detail)}")
        out.print("[green]the access log is whole[/green]" if report.ok else
                  "[red]verification FAILED[/red]")
    raise typer.Exit(0 if report.ok else 1)


@audit_app.command("seal")
def seal(config: ConfigOpt = None) -> None:
    """Sign and timestamp the log's head now (the worker does this daily)."""
    from archive.audit.seal import seal_head
    from archive.cli.verbs import open_archive

    row = seal_head(open_archive(config), now=datetime.now(UTC))
    typer.echo("already sealed" if row is None else
               f"sealed head {row.size}: {row.head_hash} (log leaf {row.log_index})")


@audit_app.command("head")
def head(config: ConfigOpt = None) -> None:
    """The log's size and last hash, and the latest sealed head."""
    from sqlalchemy import select

    from archive.audit import log as audit
    from archive.cli.verbs import open_archive

    archive = open_archive(config)
    with archive.catalog.read() as db:
        size, last = audit.head(db)
        sealed = db.scalar(select(audit.AccessLogHead)
                           .order_by(audit.AccessLogHead.size.desc()).limit(1))
        print_json({"size": size, "head": last,
                    "sealed": None if sealed is None else {
                        "size": sealed.size, "head": sealed.head_hash,
                        "sealed_at": sealed.sealed_at.isoformat(),
                        "log_index": sealed.log_index}})


def register(app: typer.Typer) -> None:
    """Entry point `aidrec.commands`: audit = "archive.cli.audit:register"."""
    app.add_typer(audit_app, name="audit")
