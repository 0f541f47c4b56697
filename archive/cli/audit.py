"""`aidrec audit …`: prove the access log whole, seal its head now, show its head."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from archive.cli.common import ConfigOpt, open_archive, print_json
from archive.cli.report import print_report

audit_app = typer.Typer(no_args_is_help=True, help="The access log: verify, seal, head.")


@audit_app.command("verify")
def verify(as_json: Annotated[bool, typer.Option("--json")] = False,
           config: ConfigOpt = None) -> None:
    """Recompute the hash chain and check every sealed head; exit 0 only if all passes."""
    from archive.audit.seal import verify_log

    report = verify_log(open_archive(config))
    raise typer.Exit(print_report(report, as_json=as_json, passed="the access log is whole"))


@audit_app.command("seal")
def seal(config: ConfigOpt = None) -> None:
    """Sign and timestamp the log's head now (the worker does this daily)."""
    from archive.audit.seal import seal_head

    row = seal_head(open_archive(config), now=datetime.now(UTC))
    typer.echo("already sealed" if row is None else
               f"sealed head {row.size}: {row.head_hash} (log leaf {row.log_index})")


@audit_app.command("head")
def head(config: ConfigOpt = None) -> None:
    """The log's size and last hash, and the latest sealed head."""
    from sqlalchemy import select

    from archive.audit import log as audit

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
