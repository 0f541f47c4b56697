"""CLI verbs of transcription: `aidrec search` and `aidrec transcribe …`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archive.cli.common import ConfigOpt, console, fail, print_json
from archive.cli.report import print_report
from archive.evidence.vocabulary import Stage

if TYPE_CHECKING:
    from archive.services import Archive
    from transcribe.pipeline import TranscriptionPipeline
    from transcribe.settings import TranscribeSettings

transcribe_app = typer.Typer(no_args_is_help=True,
                             help="Transcripts: model, transcription, corrections, flags.")

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
UserOpt = Annotated[str | None, typer.Option("--user", help="search as this person (scope)")]


def _archive(config: Path | None) -> Archive:
    from archive.cli.common import open_archive

    return open_archive(config)


def _settings(archive: Archive) -> TranscribeSettings:
    from archive.settings import load_section
    from transcribe.settings import TranscribeSettings

    return load_section(TranscribeSettings, archive.settings)


def _pipeline(archive: Archive) -> TranscriptionPipeline:
    from transcribe.jobs import build_pipeline

    return build_pipeline(archive, _settings(archive))


def _scope(archive: Archive, user: str | None) -> str:
    """The operator at the console sees everything; --user narrows to that person's subtree."""
    if user is None:
        return "/"
    from archive.access import people as access
    from archive.catalog.models import User

    with archive.catalog.read() as db:
        person = db.get(User, user)
        if person is None:
            raise fail(f"user {user} does not exist")
        return access.principal_of(db, person).jurisdiction_path


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def search(
    query: Annotated[str, typer.Argument(help="words to find, Chinese or other")],
    jurisdiction: Annotated[str | None, typer.Option(help="jurisdiction subtree")] = None,
    window: Annotated[str | None, typer.Option(help="window id")] = None,
    staff: Annotated[str | None, typer.Option(help="staff id of the session")] = None,
    case: Annotated[str | None, typer.Option(help="case number of the session")] = None,
    stage: Annotated[Stage | None, typer.Option(help="case stage of the session")] = None,
    since: Annotated[datetime | None, typer.Option("--from", help="UTC, said at or after")] = None,
    until: Annotated[datetime | None, typer.Option("--to", help="UTC, said before")] = None,
    flag: Annotated[str | None, typer.Option(help="only sessions with this flag kind")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    user: UserOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Search all transcripts; each hit names the recording and the second to open it at."""
    from transcribe.search import SearchFilters, search_lines

    archive = _archive(config)
    filters = SearchFilters(jurisdiction_id=jurisdiction, window_id=window, staff_id=staff,
                            case_number=case, stage=stage, since=_utc(since),
                            until=_utc(until), flag=flag)
    with archive.catalog.read() as db:
        page = search_lines(db, query=query, principal_path=_scope(archive, user),
                            filters=filters, limit=limit, offset=offset)
    if as_json:
        from transcribe.schemas import page_out

        print_json(page_out(page).model_dump(mode="json"))
        return
    if not page.hits:
        console.print("no hits")
    for hit in page.hits:
        state = " (provisional)" if hit.provisional else ""
        typer.echo(f"{hit.at.isoformat()}  {hit.window_id}  {hit.recording_id}@"
                   f"{_clock(hit.offset_ms)} ({hit.offset_ms / 1000:.1f}s){state}  {hit.text}")
    if page.next_offset is not None:
        console.print(f"more: --offset {page.next_offset}")


def model_path(config: ConfigOpt = None) -> None:
    """Assemble or find the configured model and print its directory and hash."""
    from archive.cli.common import settings_from
    from archive.settings import load_section
    from transcribe.settings import TranscribeSettings
    from transcribe.whisper_files import resolve_model

    archive_settings = settings_from(config)
    settings = load_section(TranscribeSettings, archive_settings)
    model = resolve_model(settings, home=archive_settings.home)
    typer.echo(str(model.path))
    console.print(f"model {model.name}: model.bin {model.size} bytes, sha256:{model.sha256}")


def recording(
    recording_id: Annotated[str, typer.Argument(help="recording id")],
    force: Annotated[bool, typer.Option(help="redo segments that already have a result")] = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Transcribe a recording's segments here and now, then seal it if it is closed."""
    from sqlalchemy import select

    from archive.catalog.models import Segment

    archive = _archive(config)
    pipeline = _pipeline(archive)
    with archive.catalog.read() as db:
        seqs = list(db.scalars(select(Segment.seq).where(Segment.recording_id == recording_id)
                               .order_by(Segment.seq)))
    if not seqs:
        raise fail(f"recording {recording_id} has no segments")
    done = 0
    for seq in seqs:
        outcome = pipeline.transcribe_segment(recording_id, seq, force=force)
        done += not outcome.skipped
        for other in outcome.requeue:
            pipeline.transcribe_segment(recording_id, other)
    version = pipeline.finalize(recording_id)
    result = {"recording_id": recording_id, "segments": len(seqs), "transcribed": done,
              "sealed_version": version.number if version else None}
    if as_json:
        print_json(result)
    else:
        console.print(f"{done} of {len(seqs)} segments transcribed; " + (
            f"sealed version {version.number}" if version else "no new version sealed"))


def show(
    recording_id: Annotated[str, typer.Argument(help="recording id")],
    version: Annotated[int | None, typer.Option(help="version number; default current")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, vtt or json")] = "text",
    config: ConfigOpt = None,
) -> None:
    """Print a sealed transcript version (read back from the bucket and checked)."""
    from transcribe import service

    if fmt not in {"text", "vtt", "json"}:
        raise fail("--format is text, vtt or json")
    archive = _archive(config)
    with archive.catalog.read() as db:
        row = service.get_version_or_raise(db, recording_id=recording_id, number=version)
    name = "transcript.vtt" if fmt == "vtt" else "transcript.json"
    entry = row.objects[name]
    data = archive.store.read_verified(entry["key"], version_id=entry["version_id"],
                                       sha256_hex=entry["sha256"])
    _log_reading(archive, recording_id, row.number, fmt)
    if fmt != "text":
        typer.echo(data.decode())
        return
    document = json.loads(data)
    for line in document["lines"]:
        typer.echo(f"[{_clock(line['offset_ms'])}] {line['text']}")


def _log_reading(archive: Archive, recording_id: str, number: int, fmt: str) -> None:
    """Transcript text read at the console: an access-log entry of the operator."""
    from archive.audit import log as audit
    from archive.cli.common import operator

    audit.record(archive.catalog, audit.Access(
        action="transcript", at=datetime.now(UTC), role="operator", target_type="transcript",
        target_id=f"{recording_id}/transcript/{number}", recording_id=recording_id,
        reason_kind="routine", reason_ref="console",
        detail={"actor": operator().id, "format": fmt}))


def correct(
    recording_id: Annotated[str, typer.Argument(help="recording id")],
    author: Annotated[str, typer.Option(help="who corrects")],
    reason: Annotated[str, typer.Option(help="why")],
    edit: Annotated[list[str] | None, typer.Option(help="N=new text of line N (1-based)")] = None,
    vtt: Annotated[Path | None, typer.Option(help="an edited copy of the current WebVTT")] = None,
    config: ConfigOpt = None,
) -> None:
    """Correct a transcript: a new signed version with a diff; the old one stays sealed."""
    from transcribe import service
    from transcribe.document import edits_from_vtt, lines_from_document

    if (vtt is None) == (not edit):
        raise fail("give --vtt FILE or one or more --edit N=TEXT")
    archive = _archive(config)
    pipeline = _pipeline(archive)
    if vtt is not None:
        with archive.catalog.read() as db:
            current = service.get_version_or_raise(db, recording_id=recording_id)
        entry = current.objects["transcript.json"]
        document = json.loads(archive.store.read_verified(
            entry["key"], version_id=entry["version_id"], sha256_hex=entry["sha256"]))
        edits = edits_from_vtt(lines_from_document(document), vtt.read_text(encoding="utf-8"))
    else:
        edits = {}
        for item in edit or []:
            number, sep, text = item.partition("=")
            if not sep or not number.strip().isdigit():
                raise fail(f"--edit {item!r}: expected N=TEXT")
            edits[int(number)] = text
    outcome = pipeline.correct(recording_id, edits=edits, author=author, reason=reason)
    console.print(f"version {outcome.number} sealed: sha256:{outcome.document_sha256}")


def verify(
    recording_id: Annotated[str, typer.Argument(help="recording id")],
    version: Annotated[int | None, typer.Option(help="version number; default current")] = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Check a sealed transcript version; exit 0 only if everything passes."""
    from transcribe.verify import verify_transcript

    archive = _archive(config)
    report = verify_transcript(archive, recording_id, number=version)
    raise typer.Exit(print_report(report, as_json=as_json))


def queue(
    window: Annotated[str | None, typer.Option(help="window id")] = None,
    kind: Annotated[str | None, typer.Option(help="flag kind")] = None,
    since: Annotated[datetime | None, typer.Option("--from", help="UTC")] = None,
    until: Annotated[datetime | None, typer.Option("--to", help="UTC")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    user: UserOpt = None,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Flagged sessions, most serious first: the supervisors' review queue."""
    from transcribe.review import review_queue
    from transcribe.schemas import QueueItemOut

    archive = _archive(config)
    with archive.catalog.read() as db:
        items = review_queue(db, principal_path=_scope(archive, user), window_id=window,
                             since=_utc(since), until=_utc(until), kind=kind, limit=limit)
    if as_json:
        print_json([QueueItemOut.of(i).model_dump(mode="json") for i in items])
        return
    for item in items:
        flags = ", ".join(f"{k}×{n}" for k, n in item.flags.items())
        typer.echo(f"{item.score:4d}  {item.window_id}  session {item.session_id or '-'}  "
                   f"{item.recording_id}@{_clock(item.first_offset_ms)}  {flags}")


def reflag(recording_id: Annotated[str, typer.Argument(help="recording id")],
           config: ConfigOpt = None) -> None:
    """Raise a recording's flags again with the current phrase lists."""
    archive = _archive(config)
    count = _pipeline(archive).reflag(recording_id)
    console.print(f"{count} flags")


def register(app: typer.Typer) -> None:
    """Add transcription verbs to `aidrec`."""
    app.command("search")(search)
    transcribe_app.command("model-path")(model_path)
    transcribe_app.command("recording")(recording)
    transcribe_app.command("show")(show)
    transcribe_app.command("correct")(correct)
    transcribe_app.command("verify")(verify)
    transcribe_app.command("queue")(queue)
    transcribe_app.command("reflag")(reflag)
    app.add_typer(transcribe_app, name="transcribe")
