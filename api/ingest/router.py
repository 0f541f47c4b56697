"""Endpoints recorder agents call: recordings, segments, gaps, sessions, markers, heartbeats."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import ArchiveDep, DeviceActor, DeviceDep, JobsDep
from api.errors import ErrorResponse
from api.ingest import schemas
from archive.catalog.models import Recording
from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import RecordingOrigin
from archive.ingest import service as ingest
from archive.jobs import RECORDING_CLOSED, SEGMENT_STORED

router = APIRouter(
    prefix="/api/v1/ingest", tags=["ingest"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 503)},
)

SPOOL_IN_MEMORY = 32 * 1024 * 1024


def _recording_out(recording: Recording) -> schemas.RecordingOut:
    return schemas.RecordingOut(
        id=recording.id, window_id=recording.window_id, state=recording.state.value,
        seal_state=recording.seal_state, segment_count=recording.segment_count,
        chain_head=recording.chain_head, started_at=recording.started_at,
        ended_at=recording.ended_at, last_sealed_at=recording.last_sealed_at)


@router.post("/recordings", status_code=201)
def open_recording(body: schemas.RecordingOpen, archive: ArchiveDep,
                   actor: DeviceActor) -> schemas.RecordingOut:
    recording = ingest.open_recording(
        archive.catalog, actor=actor, window_id=body.window_id, camera_id=body.camera_id,
        started_at=body.started_at, origin=RecordingOrigin.LIVE,
        retention_days=archive.settings.archive.default_retention_days)
    return _recording_out(recording)


@router.get("/recordings/{recording_id}")
def get_recording(recording_id: str, archive: ArchiveDep,
                  actor: DeviceActor) -> schemas.RecordingOut:
    with archive.catalog.read() as db:
        return _recording_out(ingest.load_recording(db, recording_id, actor))


@router.put("/recordings/{recording_id}/segments/{seq}")
async def put_segment(
    recording_id: str, seq: int, request: Request, archive: ArchiveDep, actor: DeviceActor,
    jobs: JobsDep,
    sha256: Annotated[str, Query(pattern="^[0-9a-f]{64}$")],
    prev_hash: Annotated[str, Query(pattern="^[0-9a-f]{64}$")],
    started_at: Annotated[datetime, Query()],
    ended_at: Annotated[datetime, Query()],
    partial: Annotated[bool, Query()] = False,
    content_type: Annotated[str, Header()] = "video/mp2t",
) -> schemas.SegmentOut:
    """Store segment `seq` exactly once; a repeat of the same bytes succeeds and changes nothing."""
    for moment in (started_at, ended_at):
        if moment.tzinfo is None:
            raise InvalidInputError("times must carry a UTC offset", reason="naive_time")
    meta = ingest.SegmentMeta(seq=seq, sha256=sha256, prev_hash=prev_hash,
                              started_at=started_at, ended_at=ended_at, partial=partial,
                              content_type=content_type.split(";")[0].strip().lower())
    meta.validate()
    limit = archive.settings.archive.max_segment_bytes
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise InvalidInputError(f"segment larger than {limit} bytes", reason="too_large")
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise InvalidInputError("empty segment body", reason="empty_body")
        spool.seek(0)
        result = await run_in_threadpool(
            ingest.put_segment, archive.catalog, archive.store, actor=actor,
            recording_id=recording_id, meta=meta, body=spool, size=size,  # type: ignore[arg-type]
            body_sha256=digest.hexdigest())
    if result.created:
        jobs.emit(SEGMENT_STORED, recording_id, result.seq)
    return schemas.SegmentOut(seq=result.seq, sha256=result.sha256,
                              chain_hash=result.chain_hash, version_id=result.version_id,
                              created=result.created)


@router.post("/recordings/{recording_id}/gaps", status_code=201)
def report_gap(recording_id: str, body: schemas.GapIn, archive: ArchiveDep,
               actor: DeviceActor) -> schemas.IdOut:
    gap = ingest.report_gap(archive.catalog, actor=actor, recording_id=recording_id,
                            started_at=body.started_at, ended_at=body.ended_at,
                            cause=body.cause, detail=body.detail, person=body.person)
    return schemas.IdOut(id=gap.id)


@router.post("/recordings/{recording_id}/sessions", status_code=201)
def open_session(recording_id: str, body: schemas.SessionIn, archive: ArchiveDep,
                 actor: DeviceActor) -> schemas.IdOut:
    session = ingest.open_session(
        archive.catalog, actor=actor, recording_id=recording_id, started_at=body.started_at,
        ended_at=body.ended_at, case_number=body.case_number, stage=body.stage,
        staff_id=body.staff_id, attributes=body.attributes)
    return schemas.IdOut(id=session.id)


@router.patch("/sessions/{session_id}")
def update_session(session_id: str, body: schemas.SessionPatch, archive: ArchiveDep,
                   actor: DeviceActor) -> schemas.IdOut:
    session = ingest.update_session(archive.catalog, actor=actor, session_id=session_id,
                                    ended_at=body.ended_at, case_number=body.case_number,
                                    stage=body.stage, staff_id=body.staff_id)
    return schemas.IdOut(id=session.id)


@router.post("/recordings/{recording_id}/markers", status_code=201)
def add_marker(recording_id: str, body: schemas.MarkerIn, archive: ArchiveDep,
               actor: DeviceActor) -> schemas.IdOut:
    marker = ingest.add_marker(archive.catalog, actor=actor, recording_id=recording_id,
                               at=body.at, label=body.label)
    return schemas.IdOut(id=marker.id)


@router.post("/recordings/{recording_id}/close")
def close_recording(recording_id: str, body: schemas.CloseIn, archive: ArchiveDep,
                    actor: DeviceActor, jobs: JobsDep) -> schemas.RecordingOut:
    recording = ingest.close_recording(archive.catalog, actor=actor,
                                       recording_id=recording_id, ended_at=body.ended_at)
    jobs.emit(RECORDING_CLOSED, recording_id)
    return _recording_out(recording)


@router.post("/heartbeat", status_code=204)
def heartbeat(body: schemas.HeartbeatIn, archive: ArchiveDep, device: DeviceDep) -> None:
    ingest.heartbeat(archive.catalog, device_id=device.id, now=datetime.now(UTC),
                     status=body.status)
