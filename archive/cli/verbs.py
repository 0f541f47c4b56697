"""CLI verbs of the evidence: migrate, ingest, seal, verify, fixity, and the job worker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from archive.catalog.models import Recording, Session
from archive.cli.common import (
    ConfigOpt,
    console,
    fail,
    open_archive,
    operator,
    print_json,
    settings_from,
)
from archive.cli.report import print_report
from archive.evidence.vocabulary import Stage
from archive.services import Archive


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
        "--trust-root", help="PEM root(s) to trust for FILE.zip, received separately from "
        "the archive; without one the package's own root proves only self-consistency "
        "(exit 3)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOpt = None,
) -> None:
    """Re-read and check a session's or recording's evidence, or check an evidence package
    offline. Exit 0: all passed; 1: a check failed; 2: usage or error; 3 (FILE.zip without
    --trust-root): all passed against the package's own root, so self-consistent only."""
    if sum(x is not None for x in (package, session, recording)) != 1:
        raise fail("give exactly one of FILE.zip, --session or --recording")
    if package is not None:
        # pyHanko and reportlab load only when a package is checked: `aidrec --help` stays fast.
        from archive.export.offline.verify import PackageVerifier

        checked = PackageVerifier(trust_roots=trust_root).verify(package)
        raise typer.Exit(print_report(checked, as_json=as_json,
                                      self_consistent_only=checked.self_consistent_only))
    if trust_root:
        raise fail("--trust-root applies to FILE.zip only")
    archive = open_archive(config)
    verifier = archive.verifier()
    report = (verifier.verify_session(session) if session
              else verifier.verify_recording(recording or ""))
    _log_verification(archive, session=session, recording=recording, passed=report.ok)
    raise typer.Exit(print_report(report, as_json=as_json))


def _log_verification(archive: Archive, *, session: str | None, recording: str | None,
                      passed: bool) -> None:
    """Verifying re-reads every original: an access-log entry, by the console operator."""
    from archive.export.access import Actor, log_verification

    with archive.catalog.read() as db:
        found = db.get(Session, session) if session else None
        recording_id = found.recording_id if found else recording
        known = recording_id is not None and db.get(Recording, recording_id) is not None
    if known and recording_id is not None:
        log_verification(archive.catalog, Actor(user_id=None, role="operator",
                                                name=operator().id),
                         recording_id=recording_id, session_id=session if found else None,
                         outcome=passed)


def fixity(as_json: Annotated[bool, typer.Option("--json")] = False,
           config: ConfigOpt = None) -> None:
    """Re-hash every stored object the catalog pins; exit 1 if any is missing or changed."""
    from archive.verify.fixity import run_fixity

    archive = open_archive(config)
    with Progress(*Progress.get_default_columns()[:1], BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=console, disable=as_json) as bar:
        task = bar.add_task("fixity", total=None)
        report = run_fixity(archive, on_progress=lambda n, total: bar.update(
            task, advance=n, total=total))
    raise typer.Exit(print_report(report, as_json=as_json))


def worker(config: ConfigOpt = None) -> None:
    """Run the job worker (seals, and the tasks other packages register)."""
    from archive.jobs import build_jobs

    settings = settings_from(config)
    jobs = build_jobs(settings)
    consumer = jobs.huey.create_consumer(workers=settings.jobs.workers, worker_type="thread",
                                         periodic=True, check_worker_health=True)
    consumer.run()


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)
    app.command("ingest")(ingest_files)
    app.command("seal")(seal)
    app.command("verify")(verify)
    app.command("fixity")(fixity)
    app.command("worker")(worker)
