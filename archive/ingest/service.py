"""Ingest of recordings: open, put segments, gaps, sessions, markers, heartbeats, close.

Every function checks its input completely before it writes anything, so a refused
request changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session as DBSession

from archive.access import registry
from archive.access.scope import EVERYWHERE, Scope
from archive.catalog.db import Catalog
from archive.catalog.models import Device, Gap, Marker, Recording, Segment, Session
from archive.evidence.digest import chain_hash, genesis_hash, is_sha256_hex
from archive.evidence.errors import (
    ChainBreakError,
    ConflictError,
    DigestMismatchError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from archive.evidence.vocabulary import GapCause, RecordingOrigin, RecordingState, SealState, Stage
from archive.store.objects import ObjectStore

logger = logging.getLogger(__name__)
DEVICE_PREFIX = "device:"

CONTENT_TYPES = {
    "video/mp2t": "ts", "video/mp4": "mp4", "video/quicktime": "mov", "video/x-matroska": "mkv",
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3", "audio/mp4": "m4a",
    "audio/aac": "aac", "audio/ogg": "ogg", "audio/flac": "flac", "video/webm": "webm",
    "application/octet-stream": "bin",
}


@dataclass(frozen=True)
class Actor:
    """Who asks: a recorder device (scoped to its jurisdiction) or a local operator."""

    id: str
    jurisdiction_id: str | None  # None: the local operator (CLI), who may do anything

    @classmethod
    def of_device(cls, device: Device) -> Actor:
        return cls(id=f"{DEVICE_PREFIX}{device.id}", jurisdiction_id=device.jurisdiction_id)

    @property
    def device_id(self) -> str | None:
        """The recorder device asking, if a device asks."""
        return self.id.removeprefix(DEVICE_PREFIX) if self.id.startswith(DEVICE_PREFIX) else None

    def scope(self, db: DBSession) -> Scope:
        if self.jurisdiction_id is None:
            return Scope(EVERYWHERE, caller=self.id)
        return Scope.of_device(db, caller=self.id, jurisdiction_id=self.jurisdiction_id)


@dataclass(frozen=True)
class SegmentMeta:
    seq: int
    sha256: str
    prev_hash: str
    started_at: datetime
    ended_at: datetime
    partial: bool
    content_type: str

    def validate(self) -> None:
        if self.seq < 0:
            raise InvalidInputError(f"got seq {self.seq}, expected >= 0", reason="bad_seq")
        for name in ("sha256", "prev_hash"):
            if not is_sha256_hex(getattr(self, name)):
                raise InvalidInputError(f"{name} must be 64 lowercase hex digits",
                                        reason="bad_digest")
        if self.ended_at < self.started_at:
            raise InvalidInputError("segment ends before it starts", reason="bad_times")
        if self.content_type not in CONTENT_TYPES:
            raise InvalidInputError(f"content type {self.content_type} is not accepted",
                                    reason="bad_content_type")

    @property
    def duration_ms(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() * 1000)


@dataclass(frozen=True)
class PutResult:
    segment_id: int
    seq: int
    sha256: str
    chain_hash: str
    version_id: str
    created: bool  # False: the same bytes were already stored (idempotent repeat)


def load_recording(db: DBSession, recording_id: str, actor: Actor) -> Recording:
    """A recording the actor may act on: in its scope and, for a device, one it opened.

    Raises:
        NotFoundError: no such recording.
        PermissionDeniedError: outside the device's scope ("out_of_scope"), or opened by
            another device or imported ("not_own_recording").
    """
    recording, _ = actor.scope(db).require_recording(db, recording_id)
    if actor.device_id is not None and recording.device_id != actor.device_id:
        raise PermissionDeniedError(
            f"{actor.id} may act only on recordings it opened; recording {recording_id} "
            "is not one of them", reason="not_own_recording")
    return recording


def open_recording(
    catalog: Catalog, *, actor: Actor, window_id: str, started_at: datetime,
    origin: RecordingOrigin, retention_days: int, camera_id: str | None = None,
    now: datetime | None = None,
) -> Recording:
    """Open a recording; its originals are locked for `retention_days` from its start.

    An imported file counts from its import (an old file would otherwise get a lock date in
    the past, which the store refuses); retention policies may extend the lock later.
    """
    with catalog.write() as db:
        actor.scope(db).require_window(db, window_id)
        recording = Recording(
            window_id=window_id, camera_id=camera_id, device_id=actor.device_id, origin=origin,
            started_at=started_at,
            retain_until=_first_lock(started_at, origin, retention_days, now or datetime.now(UTC)),
            chain_head="",
        )
        db.add(recording)
        db.flush()
        recording.chain_head = genesis_hash(recording.id)
        logger.info("recording opened", extra={"recording_id": recording.id,
                                               "window": window_id})
        return recording


def _first_lock(started_at: datetime, origin: RecordingOrigin, days: int,
                now: datetime) -> datetime:
    until = started_at + timedelta(days=days)
    if origin is RecordingOrigin.IMPORT or until <= now:
        until = max(started_at, now) + timedelta(days=days)
    return until


def put_segment(
    catalog: Catalog, store: ObjectStore, *, actor: Actor, recording_id: str,
    meta: SegmentMeta, body: BinaryIO, size: int, body_sha256: str,
) -> PutResult:
    """Store segment `meta.seq`; the caller has hashed `body` while receiving it.

    Raises:
        DigestMismatchError: the bytes do not hash to the declared SHA-256 (nothing stored).
        ConflictError: other bytes already stored as this segment, or the recording is closed.
        ChainBreakError: `prev_hash` is not the chain head, or a segment is skipped.
    """
    meta.validate()
    if body_sha256 != meta.sha256:
        raise DigestMismatchError(
            f"body hashes to {body_sha256}, declared {meta.sha256}", reason="digest_mismatch"
        )
    with catalog.read() as db:
        recording = load_recording(db, recording_id, actor)
        existing = _existing_segment(db, recording_id, meta.seq)
        if existing is not None:
            return _repeat_or_conflict(existing, meta)
        _check_appendable(recording, meta)
        suffix = CONTENT_TYPES[meta.content_type]
        key = f"recordings/{recording_id}/segments/{meta.seq:06d}.{suffix}"
        retain_until = recording.retain_until
    stored = store.put_locked(
        key, body, length=size, sha256_hex=meta.sha256, retain_until=retain_until,
        content_type=meta.content_type,
        metadata={"recording": recording_id, "seq": str(meta.seq)},
    )
    try:
        return _commit_segment(catalog, actor, recording_id, meta, size, key, stored.version_id)
    except DBIntegrityError:
        # A concurrent put of the same seq won; answer as a repeat would.
        with catalog.read() as db:
            existing = _existing_segment(db, recording_id, meta.seq)
            if existing is None:
                raise
            return _repeat_or_conflict(existing, meta)


def _existing_segment(db: DBSession, recording_id: str, seq: int) -> Segment | None:
    return db.scalar(
        select(Segment).where(Segment.recording_id == recording_id, Segment.seq == seq)
    )


def _repeat_or_conflict(existing: Segment, meta: SegmentMeta) -> PutResult:
    if existing.sha256 != meta.sha256:
        raise ConflictError(
            f"segment {meta.seq} is already stored with sha256 {existing.sha256}, "
            f"got {meta.sha256}; stored evidence is never replaced",
            reason="segment_exists",
        )
    return PutResult(segment_id=existing.id, seq=existing.seq, sha256=existing.sha256,
                     chain_hash=existing.chain_hash, version_id=existing.version_id,
                     created=False)


def _check_appendable(recording: Recording, meta: SegmentMeta) -> None:
    if recording.state is RecordingState.CLOSED:
        raise ConflictError(f"recording {recording.id} is closed", reason="recording_closed")
    if meta.seq != recording.segment_count:
        raise ChainBreakError(
            f"got segment {meta.seq}, expected segment {recording.segment_count}",
            reason="out_of_order",
        )
    if meta.prev_hash != recording.chain_head:
        raise ChainBreakError(
            f"prev_hash {meta.prev_hash} does not match chain head {recording.chain_head}",
            reason="chain_break",
        )


def _commit_segment(
    catalog: Catalog, actor: Actor, recording_id: str, meta: SegmentMeta, size: int,
    key: str, version_id: str,
) -> PutResult:
    with catalog.write() as db:
        recording = load_recording(db, recording_id, actor)
        existing = _existing_segment(db, recording_id, meta.seq)
        if existing is not None:
            return _repeat_or_conflict(existing, meta)
        _check_appendable(recording, meta)
        link = chain_hash(meta.prev_hash, meta.sha256)
        segment = Segment(
            recording_id=recording_id, seq=meta.seq, sha256=meta.sha256, size=size,
            started_at=meta.started_at, ended_at=meta.ended_at, duration_ms=meta.duration_ms,
            partial=meta.partial, prev_hash=meta.prev_hash, chain_hash=link,
            object_key=key, version_id=version_id, content_type=meta.content_type,
        )
        db.add(segment)
        recording.segment_count += 1
        recording.chain_head = link
        recording.total_bytes += size
        _touch(recording)
        db.flush()
        return PutResult(segment_id=segment.id, seq=meta.seq, sha256=meta.sha256,
                         chain_hash=link, version_id=version_id, created=True)


def _touch(recording: Recording) -> None:
    """Mark content a seal must cover."""
    recording.revision += 1
    recording.seal_state = SealState.AWAITING_SEAL


def report_gap(
    catalog: Catalog, *, actor: Actor, recording_id: str, started_at: datetime,
    ended_at: datetime, cause: GapCause, detail: str = "", person: str | None = None,
) -> Gap:
    if ended_at < started_at:
        raise InvalidInputError("gap ends before it starts", reason="bad_times")
    if cause is GapCause.STOPPED_BY_PERSON and not person:
        raise InvalidInputError("a stop by a person must name the person", reason="no_person")
    with catalog.write() as db:
        recording = load_recording(db, recording_id, actor)
        gap = Gap(recording_id=recording_id, started_at=started_at, ended_at=ended_at,
                  cause=cause, detail=detail, person=person, reported_by=actor.id)
        db.add(gap)
        _touch(recording)
        db.flush()
        return gap


def open_session(
    catalog: Catalog, *, actor: Actor, recording_id: str, started_at: datetime,
    ended_at: datetime | None = None, case_number: str | None = None,
    stage: Stage | None = None, staff_id: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Session:
    if ended_at is not None and ended_at < started_at:
        raise InvalidInputError("session ends before it starts", reason="bad_times")
    with catalog.write() as db:
        recording = load_recording(db, recording_id, actor)
        window = registry.get_window_or_raise(db, id=recording.window_id)
        case_id = None
        if case_number:
            case_id = registry.ensure_case(db, number=case_number,
                                           jurisdiction_id=window.jurisdiction_id).id
        if staff_id:
            registry.ensure_staff(db, id=staff_id, jurisdiction_id=window.jurisdiction_id)
        session = Session(
            recording_id=recording_id, window_id=recording.window_id, started_at=started_at,
            ended_at=ended_at, case_id=case_id, stage=stage, staff_id=staff_id,
            attributes=attributes or {}, created_by=actor.id,
        )
        db.add(session)
        _touch(recording)
        db.flush()
        return session


def update_session(
    catalog: Catalog, *, actor: Actor, session_id: str, ended_at: datetime | None = None,
    case_number: str | None = None, stage: Stage | None = None, staff_id: str | None = None,
) -> Session:
    """Close a session or tag it later (link a case, set the stage); earlier seals keep history."""
    with catalog.write() as db:
        session = db.get(Session, session_id)
        if session is None:
            raise NotFoundError(f"session {session_id} does not exist", reason="no_session")
        recording = load_recording(db, session.recording_id, actor)
        window = registry.get_window_or_raise(db, id=recording.window_id)
        if ended_at is not None:
            if ended_at < session.started_at:
                raise InvalidInputError("session ends before it starts", reason="bad_times")
            session.ended_at = ended_at
        if case_number:
            session.case_id = registry.ensure_case(
                db, number=case_number, jurisdiction_id=window.jurisdiction_id).id
        if stage is not None:
            session.stage = stage
        if staff_id:
            registry.ensure_staff(db, id=staff_id, jurisdiction_id=window.jurisdiction_id)
            session.staff_id = staff_id
        _touch(recording)
        db.flush()
        return session


def add_marker(catalog: Catalog, *, actor: Actor, recording_id: str, at: datetime,
               label: str) -> Marker:
    if not label.strip() or len(label) > 500:
        raise InvalidInputError("marker label must be 1-500 characters", reason="bad_label")
    with catalog.write() as db:
        recording = load_recording(db, recording_id, actor)
        marker = Marker(recording_id=recording_id, at=at, label=label.strip(),
                        created_by=actor.id)
        db.add(marker)
        _touch(recording)
        db.flush()
        return marker


def close_recording(catalog: Catalog, *, actor: Actor, recording_id: str,
                    ended_at: datetime) -> Recording:
    with catalog.write() as db:
        recording = load_recording(db, recording_id, actor)
        if recording.state is RecordingState.CLOSED:
            return recording
        if ended_at < recording.started_at:
            raise InvalidInputError("recording ends before it starts", reason="bad_times")
        recording.state = RecordingState.CLOSED
        recording.ended_at = ended_at
        _touch(recording)
        return recording


def heartbeat(catalog: Catalog, *, device_id: str, now: datetime,
              status: dict[str, Any]) -> None:
    with catalog.write() as db:
        device = db.get(Device, device_id)
        if device is None:
            raise NotFoundError(f"device {device_id} does not exist", reason="no_device")
        device.last_heartbeat_at = now
        device.last_status = status
