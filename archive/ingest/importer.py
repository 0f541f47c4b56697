"""Import of existing files (hotline audio, body-camera clips) as a recording with one session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.evidence.digest import sha256_file
from archive.evidence.errors import InvalidInputError, SigningUnavailableError
from archive.evidence.vocabulary import RecordingOrigin, Stage
from archive.ingest import service as ingest
from archive.ingest.media import content_type_of, probe_duration_s
from archive.jobs import RECORDING_SEALED, SEGMENT_STORED, Jobs
from archive.services import Archive


@dataclass(frozen=True)
class ImportResult:
    recording_id: str
    session_id: str
    segments: int
    sealed: bool


def import_files(
    archive: Archive, files: Sequence[Path], *, actor: ingest.Actor, window_id: str,
    case_number: str | None, stage: Stage | None, staff_id: str | None,
    started_at: datetime | None = None, jobs: Jobs | None = None,
) -> ImportResult:
    """Store the files in order as one recording through the ingest path, then seal it.

    Every file is checked (exists, readable media) before anything is stored.
    """
    if not files:
        raise InvalidInputError("no files to import", reason="no_files")
    probed = []
    for path in files:
        if not path.is_file():
            raise InvalidInputError(f"{path} is not a file", reason="no_file")
        probed.append((path, content_type_of(path), probe_duration_s(path)))
    first_start = started_at or datetime.fromtimestamp(files[0].stat().st_mtime, UTC) - \
        timedelta(seconds=probed[0][2])
    recording = ingest.open_recording(
        archive.catalog, actor=actor, window_id=window_id, started_at=first_start,
        origin=RecordingOrigin.IMPORT,
        retention_days=archive.settings.archive.default_retention_days)
    moment, prev = first_start, recording.chain_head
    for seq, (path, content_type, duration) in enumerate(probed):
        sha, size = sha256_file(path)
        end = moment + timedelta(seconds=duration)
        meta = ingest.SegmentMeta(seq=seq, sha256=sha, prev_hash=prev, started_at=moment,
                                  ended_at=end, partial=False, content_type=content_type)
        with path.open("rb") as body:
            result = ingest.put_segment(archive.catalog, archive.store, actor=actor,
                                        recording_id=recording.id, meta=meta, body=body,
                                        size=size, body_sha256=sha)
        moment, prev = end, result.chain_hash
        if jobs is not None and result.created:
            jobs.emit(SEGMENT_STORED, recording.id, seq)
    session = ingest.open_session(
        archive.catalog, actor=actor, recording_id=recording.id, started_at=first_start,
        ended_at=moment, case_number=case_number, stage=stage, staff_id=staff_id)
    ingest.close_recording(archive.catalog, actor=actor, recording_id=recording.id,
                           ended_at=moment)
    seal = None
    try:
        seal = archive.sealer.seal_recording(recording.id, now=datetime.now(UTC))
        sealed = seal is not None
    except SigningUnavailableError:
        sealed = False  # stays "awaiting seal"; the worker's scheduled job retries
    if jobs is not None and seal is not None:
        jobs.emit(RECORDING_SEALED, recording.id, seal.number)
    return ImportResult(recording_id=recording.id, session_id=session.id,
                        segments=len(probed), sealed=sealed)
