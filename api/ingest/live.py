"""Live windows: a window's open recordings, and sessions and markers on whatever it records now.

The recorder agent looks its recordings up here before repeating an opening whose answer
was lost (so no twin is created); a page at the window tags the live recording without
knowing its id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import ArchiveDep, DeviceActor
from api.errors import ErrorResponse
from archive.catalog.models import Recording, Session
from archive.evidence.digest import genesis_hash
from archive.evidence.errors import ConflictError, InvalidInputError
from archive.evidence.vocabulary import RecordingState, Stage
from archive.ingest import service as ingest

router = APIRouter(
    prefix="/api/v1/ingest/windows", tags=["ingest"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409)},
)


class LiveRecordingOut(BaseModel):
    id: str
    window_id: str
    camera_id: str | None
    started_at: datetime
    state: str
    genesis: str
    segment_count: int


class LiveSessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    started_at: AwareDatetime | None = None
    case_number: str | None = Field(None, min_length=1, max_length=100)
    stage: Stage | None = None
    staff_id: str | None = Field(None, min_length=1, max_length=64)
    attributes: dict[str, Any] = Field(default_factory=dict)


class LiveEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ended_at: AwareDatetime | None = None


class LiveMarkerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime | None = None
    label: str = Field(min_length=1, max_length=500)


class IdsOut(BaseModel):
    window_id: str
    ids: list[str]


def _open_recordings(archive: Any, actor: ingest.Actor, window_id: str) -> list[Recording]:
    """The window's open recordings that this device opened: it acts on no other's."""
    with archive.catalog.read() as db:
        actor.scope(db).require_window(db, window_id)
        return list(db.scalars(select(Recording).where(
            Recording.window_id == window_id, Recording.state == RecordingState.OPEN,
            Recording.device_id == actor.device_id)
            .order_by(Recording.started_at)))


def _live_or_raise(archive: Any, actor: ingest.Actor, window_id: str) -> list[Recording]:
    recordings = _open_recordings(archive, actor, window_id)
    if not recordings:
        raise ConflictError(f"{actor.id} has no open recording at window {window_id}",
                            reason="not_recording")
    return recordings


@router.get("/{window_id}/recordings")
def list_recordings(window_id: str, archive: ArchiveDep, actor: DeviceActor,
                    started_at: Annotated[datetime | None, Query()] = None,
                    ) -> list[LiveRecordingOut]:
    """This device's open recordings of the window (optionally the one started at a time)."""
    if started_at is not None and started_at.tzinfo is None:
        raise InvalidInputError("started_at must carry a UTC offset", reason="naive_time")
    found = [r for r in _open_recordings(archive, actor, window_id)
             if started_at is None or r.started_at == started_at]
    return [LiveRecordingOut(id=r.id, window_id=r.window_id, camera_id=r.camera_id,
                             started_at=r.started_at, state=r.state.value,
                             genesis=genesis_hash(r.id), segment_count=r.segment_count)
            for r in found]


@router.post("/{window_id}/sessions", status_code=201)
def open_live_session(window_id: str, body: LiveSessionIn, archive: ArchiveDep,
                      actor: DeviceActor) -> IdsOut:
    """Open a session on each recording this device has open at the window (one per camera)."""
    started = body.started_at or datetime.now(UTC)
    ids = [ingest.open_session(archive.catalog, actor=actor, recording_id=r.id,
                               started_at=started, case_number=body.case_number,
                               stage=body.stage, staff_id=body.staff_id,
                               attributes=body.attributes).id
           for r in _live_or_raise(archive, actor, window_id)]
    return IdsOut(window_id=window_id, ids=ids)


@router.post("/{window_id}/sessions/end")
def end_live_sessions(window_id: str, body: LiveEndIn, archive: ArchiveDep,
                      actor: DeviceActor) -> IdsOut:
    """End the sessions still open on this device's open recordings of the window."""
    ended = body.ended_at or datetime.now(UTC)
    recordings = [r.id for r in _live_or_raise(archive, actor, window_id)]
    with archive.catalog.read() as db:
        open_ids = list(db.scalars(select(Session.id).where(
            Session.recording_id.in_(recordings), Session.ended_at.is_(None))))
    ids = [ingest.update_session(archive.catalog, actor=actor, session_id=sid,
                                 ended_at=ended).id for sid in open_ids]
    return IdsOut(window_id=window_id, ids=ids)


@router.post("/{window_id}/markers", status_code=201)
def add_live_marker(window_id: str, body: LiveMarkerIn, archive: ArchiveDep,
                    actor: DeviceActor) -> IdsOut:
    """Drop a marker on each recording this device has open at the window."""
    at = body.at or datetime.now(UTC)
    ids = [ingest.add_marker(archive.catalog, actor=actor, recording_id=r.id, at=at,
                             label=body.label).id
           for r in _live_or_raise(archive, actor, window_id)]
    return IdsOut(window_id=window_id, ids=ids)
