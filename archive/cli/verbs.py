"""CLI verbs of the archive: migrate, admin, ingest, seal, verify, fixity, api, worker."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from archive.cli.app import ConfigOpt, console, fail, print_json, settings_from
from archive.evidence.vocabulary import JurisdictionLevel, Role, Stage, WindowKind
from archive.ingest.service import Actor
from archive.services import Archive

admin = typer.Typer(no_args_is_help=True, help="Register jurisdictions, windows and devices.")


def operator() -> Actor:
    """The person at the console of an archive host; not scoped to a jurisdiction."""
    return Actor(id=f"operator:{getpass.getuser()}", jurisdiction_id=None)


def open_archive(config: Path | None) -> Archive:
    archive = Archive.from_settings(settings_from(config))
    archive.catalog.migrate()
    return archive


@admin.command("add-jurisdiction")
def add_jurisdiction(id: str, name: str, level: JurisdictionLevel,
                     parent: Annotated[str | None, typer.Option()] = None,
                     config: ConfigOpt = None) -> None:
    """Add a province, prefecture, county or station."""
    from archive.access import registry

    archive = open_archive(config)
    with archive.catalog.write() as db:
        registry.create_jurisdiction(db, id=id, name=name, level=level, parent_id=parent)
    console.print(f"jurisdiction {id} added")


@admin.command("add-window")
def add_window(id: str, name: str, jurisdiction: str,
               kind: Annotated[WindowKind, typer.Option()] = WindowKind.WINDOW,
               config: ConfigOpt = None) -> None:
    """Add a service window, interview room or hotline line."""
    from archive.access import registry

    archive = open_archive(config)
    with archive.catalog.write() as db:
        registry.create_window(db, id=id, name=name, jurisdiction_id=jurisdiction, kind=kind)
    console.print(f"window {id} added")


@admin.command("add-device")
def add_device(id: str, name: str, jurisdiction: str, config: ConfigOpt = None) -> None:
    """Register a recorder agent and print its token (shown only once)."""
    from archive.access import registry

    archive = open_archive(config)
    with archive.catalog.write() as db:
        _, token = registry.create_device(db, id=id, name=name, jurisdiction_id=jurisdiction)
    typer.echo(token)


@admin.command("add-user")
def add_user(id: str, name: str, role: Role, jurisdiction: str,
             config: ConfigOpt = None) -> None:
    """Add a person with a role, scoped to a jurisdiction subtree."""
    from archive.access import people as access

    archive = open_archive(config)
    with archive.catalog.write() as db:
        access.create_user(db, id=id, name=name, role=role, jurisdiction_id=jurisdiction)
    console.print(f"user {id} added")


@admin.command("add-token")
def add_token(user: str, label: Annotated[str, typer.Option()] = "",
              config: ConfigOpt = None) -> None:
    """Issue an API token for a person (printed once)."""
    from archive.access import people as access

    archive = open_archive(config)
    with archive.catalog.write() as db:
        token = access.create_api_token(db, user_id=user, label=label)
    typer.echo(token)


def migrate(config: ConfigOpt = None) -> None:
    """Create or upgrade the catalog schema."""
    open_archive(config)
    console.print("catalog at the newest revision")


def ingest_files(
    files: Annotated[list[Path], typer.Argument(help="media files, in order")],
    window: Annotated[str, typer.Option(help="window/line the files belong to")],
    case: Annotated[str | None, typer.Option(help="case number")] = None,
    stage: Annotated[Stage | None, typer.Option(help="case stage")] = None,
    staff: Annotated[str | None, typer.Option(help="staff id")] = None,
    started_at: Annotated[datetime | None, typer.Option(help="UTC start of the first file")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOpt = None,
) -> None:
    """Import existing files as one sealed recording with one session; prints the session id."""
    from archive.ingest.importer import import_files
    from archive.jobs import build_jobs

    archive = open_archive(config)
    jobs = build_jobs(archive.settings, archive_factory=lambda: archive)
    start = started_at.replace(tzinfo=UTC) if started_at and started_at.tzinfo is None \
        else started_at
    result = import_files(archive, files, actor=operator(), window_id=window,
                          case_number=case, stage=stage, staff_id=staff, started_at=start,
                          jobs=jobs)
    if as_json:
        print_json({"session_id": result.session_id, "recording_id": result.recording_id,
                    "segments": result.segments, "sealed": result.sealed})
    else:
        typer.echo(result.session_id)
        if not result.sealed:
            console.print("[yellow]awaiting seal[/yellow]: the TSA or signer is unavailable; "
                          "the worker retries")


def seal(recording: Annotated[str, typer.Option()], config: ConfigOpt = None) -> None:
    """Seal a recording's current content now."""
    archive = open_archive(config)
    result = archive.sealer.seal_recording(recording, now=datetime.now(UTC))
    console.print("already sealed" if result is None else
                  f"seal {result.number}: manifest sha256:{result.manifest_sha256}")


def verify(
    package: Annotated[Path | None, typer.Argument(help="an evidence package (.zip)")] = None,
    session: Annotated[str | None, typer.Option()] = None,
    recording: Annotated[str | None, typer.Option()] = None,
    trust_root: Annotated[list[Path] | None, typer.Option(
        "--trust-root", help="PEM root(s) to trust for FILE.zip (default: the package's own, "
        "with a warning)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOpt = None,
) -> None:
    """Re-read and check a session's or recording's evidence, or check an evidence package
    offline; exit 0 only if all passes."""
    if sum(x is not None for x in (package, session, recording)) != 1:
        raise fail("give exactly one of FILE.zip, --session or --recording")
    if package is not None:
        from archive.cli.export import verify_package

        raise typer.Exit(verify_package(package, trust_root, as_json))
    if trust_root:
        raise fail("--trust-root applies to FILE.zip only")
    archive = open_archive(config)
    verifier = archive.verifier()
    report = (verifier.verify_session(session) if session
              else verifier.verify_recording(recording or ""))
    if as_json:
        typer.echo(report.to_json())
    else:
        out = Console(highlight=False, soft_wrap=True)
        out.print(f"[bold]{escape(report.target)}[/bold]")
        for check in report.checks:
            mark = "[green]PASS[/green]" if check.ok else "[red]FAIL[/red]"
            where = f" ({check.subject})" if check.subject else ""
            out.print(f"  {mark} {escape(check.name + where)}: {escape(check.detail)}")
        out.print("[green]all checks passed[/green]" if report.ok else
                  "[red]verification FAILED[/red]")
    raise typer.Exit(0 if report.ok else 1)


def fixity(as_json: Annotated[bool, typer.Option("--json")] = False,
           config: ConfigOpt = None) -> None:
    """Re-hash every stored object the catalog pins; exit 1 if any is missing or changed."""
    from archive.verify.fixity import run_fixity

    archive = open_archive(config)
    with Progress(*Progress.get_default_columns()[:1], BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=console, disable=as_json) as bar:
        task = bar.add_task("fixity", total=None)
        result = run_fixity(archive, on_progress=lambda n, total: bar.update(
            task, advance=n, total=total))
    if as_json:
        print_json(result.as_dict())
    else:
        console.print(f"{result.checked} objects, {result.bytes} bytes re-hashed")
        for problem in result.problems:
            console.print(f"  [red]{problem.state}[/red] {problem.key} ({problem.detail})")
    raise typer.Exit(0 if not result.problems else 1)


def api(config: ConfigOpt = None, host: str = "127.0.0.1",
        port: Annotated[int | None, typer.Option()] = None) -> None:
    """Serve the API and web UI (uvicorn)."""
    import uvicorn

    from api.app import create_app

    settings = settings_from(config)
    archive = Archive.from_settings(settings)
    archive.catalog.migrate()
    uvicorn.run(create_app(settings, archive=archive), host=host,
                port=port or settings.ports.api, log_level="info")


def worker(config: ConfigOpt = None) -> None:
    """Run the job worker (seals, and the tasks other packages register)."""
    from archive.jobs import build_jobs

    settings = settings_from(config)
    jobs = build_jobs(settings)
    consumer = jobs.huey.create_consumer(workers=settings.jobs.workers, worker_type="thread",
                                         periodic=True, check_worker_health=True)
    consumer.run()


def register(app: typer.Typer) -> None:
    app.add_typer(admin, name="admin")
    app.command("migrate")(migrate)
    app.command("ingest")(ingest_files)
    app.command("seal")(seal)
    app.command("verify")(verify)
    app.command("fixity")(fixity)
    app.command("api")(api)
    app.command("worker")(worker)
    from archive.cli import export as package_cli  # evidence packages: `aidrec export`

    package_cli.register(app)
