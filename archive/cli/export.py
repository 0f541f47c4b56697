"""CLI of evidence packages: `aidrec export` (`aidrec verify FILE.zip` checks one)."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from archive.access.people import Principal, principal_of
from archive.catalog.models import User
from archive.cli.common import ConfigOpt, console, print_json, settings_from
from archive.evidence.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from archive.export.offline.layout import ExportRequest, Selection
from archive.services import Archive

if TYPE_CHECKING:
    from archive.export.builder import ExportResult

# pyHanko and reportlab load only when a package is made or checked: `aidrec --help` stays fast.


def export(
    out: Annotated[Path, typer.Option("--out", help="package to write (a new .zip file)")],
    reason: Annotated[str, typer.Option("--reason", help="why: recorded in the package and "
                                                         "the log")],
    case: Annotated[str | None, typer.Option("--case", help="a case number: all its "
                                                            "sessions")] = None,
    session: Annotated[list[str] | None, typer.Option(
        "--session", help="a session id (repeat, or separate by commas)")] = None,
    window: Annotated[str | None, typer.Option("--window", help="a window id, with --from "
                                                                "and --to")] = None,
    since: Annotated[str | None, typer.Option("--from", help="start, ISO 8601 with offset, "
                                                             "e.g. 2026-11-02T09:00+08:00")]
    = None,
    until: Annotated[str | None, typer.Option("--to", help="end, ISO 8601 with offset")] = None,
    as_user: Annotated[str | None, typer.Option(
        "--as-user", help="export for this person: their role and jurisdiction apply")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOpt = None,
) -> None:
    """Export a sealed evidence package that anyone can verify offline."""
    from archive.export.builder import PackageBuilder

    selection = Selection(
        case=case, window_id=window, since=_moment(since, "--from"),
        until=_moment(until, "--to"),
        session_ids=tuple(s.strip() for item in session or [] for s in item.split(",")
                          if s.strip()))
    # No migration here: an export only reads the catalog (`aidrec migrate` upgrades it).
    archive = Archive.from_settings(settings_from(config))
    try:
        principal, request = _request(archive, selection, reason, as_user)
        builder = PackageBuilder(archive)
        builder.check(request, principal)  # fail fast, before any seal or record
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn())
        with Progress(*columns, console=console, disable=as_json) as bar:
            task = bar.add_task("export", total=None)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total or None)

            result = builder.export(request, out, principal=principal, progress=progress)
        _log_export(archive, request, result, principal)
    finally:
        archive.close()
    if as_json:
        print_json({"export_id": result.export_id, "path": str(result.path),
                    "bytes": result.size, "recordings": result.recordings,
                    "segments": result.segments,
                    "tagmanifest_sha256": result.tagmanifest_sha256})
        return
    typer.echo(str(result.path))
    console.print(f"export {result.export_id}: {result.recordings} recording(s), "
                  f"{result.segments} segment(s), {result.size} bytes; tag manifest "
                  f"sha256:{result.tagmanifest_sha256}")


def _log_export(archive: Archive, request: ExportRequest, result: ExportResult,
                principal: Principal | None) -> None:
    """The export is an access-log entry of the console operator (acting for a person when
    --as-user names one): its id, the package's and tag manifest's sha256, the reason."""
    from archive.export.access import Actor, ExportRead, log_export
    from archive.export.jobs import file_sha256

    log_export(archive.catalog, Actor(user_id=None, role="operator", name=request.actor,
                                      scope_path=principal.jurisdiction_path if principal
                                      else "/"),
               action="export", reason=request.reason, read=ExportRead(
                   export_id=result.export_id, recording_ids=result.recording_ids,
                   session_ids=result.session_ids, package_sha256=file_sha256(result.path),
                   tagmanifest_sha256=result.tagmanifest_sha256))


def _request(archive: Archive, selection: Selection, reason: str,
             as_user: str | None) -> tuple[Principal | None, ExportRequest]:
    operator = f"operator:{getpass.getuser()}"
    if as_user is None:
        return None, ExportRequest(selection=selection, reason=reason, actor=operator,
                                   actor_role="operator")
    with archive.catalog.read() as db:
        user = db.get(User, as_user)
        if user is None:
            raise NotFoundError(f"user {as_user} does not exist", reason="no_user")
        if user.disabled_at is not None:
            raise PermissionDeniedError(f"user {as_user} is disabled", reason="user_disabled")
        principal = principal_of(db, user)
        return principal, ExportRequest(
            selection=selection, reason=reason, actor=f"{operator} for user:{user.id}",
            actor_name=user.name, actor_role=user.role.value)


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputError(f"{option} {text!r} is not an ISO 8601 time",
                                reason="bad_time") from exc
    if moment.tzinfo is None:
        raise InvalidInputError(f"{option} {text!r} has no UTC offset; write e.g. "
                                f"{text}+08:00", reason="naive_time")
    return moment.astimezone(UTC)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
