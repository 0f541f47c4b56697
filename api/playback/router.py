"""Playback endpoints: start a reasoned playback, its HLS playlist, its segment bytes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse

from api import roles
from api.audit.log import Auditor, AuditorDep
from api.audit.reasons import Reason
from api.deps import ArchiveDep, WebDep
from api.errors import ErrorResponse
from api.playback import schemas, service
from api.playback.models import PlaybackGrant
from api.sessions.service import session_range
from archive.access.people import require_role
from archive.audit import log as audit
from archive.catalog.models import Recording
from archive.evidence.errors import ArchiveError, InvalidInputError
from archive.evidence.vocabulary import RecordingState

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/v1/playback", tags=["playback"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 502, 503)},
)

GrantId = Annotated[str, Path(max_length=32, pattern="^[0-9a-f]{1,32}$")]


def _base(grant_id: str) -> str:
    return f"{router.prefix}/{grant_id}"


@router.post("", status_code=201)
def start_playback(body: schemas.PlaybackIn, archive: ArchiveDep, web: WebDep,
                   auditor: AuditorDep) -> schemas.PlaybackOut:
    """Say why, and get a playlist of a session (or of a range of a recording)."""
    principal = auditor.principal
    require_role(principal, *roles.EVIDENCE)
    now = datetime.now(UTC)
    reason = Reason(kind=body.reason_kind, ref=body.reason_ref)
    with archive.catalog.write() as db:
        if body.session_id is not None:
            if body.recording_id or body.start or body.end:
                raise InvalidInputError("give a session, or a recording with a range, not "
                                        "both", reason="bad_target")
            session, _ = principal.scope.require_session(db, body.session_id)
            recording = db.get_one(Recording, session.recording_id)
            start, end = session_range(session, recording, now)
            recording_id, session_id = recording.id, session.id
        elif body.recording_id and body.start and body.end:
            recording_id, session_id, start, end = body.recording_id, None, body.start, \
                body.end
        else:
            raise InvalidInputError("give session_id, or recording_id with start and end",
                                    reason="bad_target")
        grant, placed, entries = service.create_grant(
            db, principal, recording_id=recording_id, start=start, end=end,
            session_id=session_id, reason=reason, now=now, minutes=web.playback_grant_minutes)
        auditor.log("play", db=db, target_type="session" if session_id else "recording",
                    target_id=session_id or recording_id, recording_id=recording_id,
                    session_id=session_id, window_id=placed.window.id, scope_path=placed.path,
                    reason_kind=reason.kind, reason_ref=grant.reason_ref,
                    detail={"playback": grant.id, "segments": [grant.first_seq,
                                                               grant.last_seq],
                            **audit.range_detail(start, end)})
        base = _base(grant.id)
        hls = service.playable_as_hls(entries)
        return schemas.PlaybackOut(
            id=grant.id, recording_id=recording_id, session_id=session_id,
            mode="hls" if hls else "file", playlist_url=f"{base}/index.m3u8",
            start_ms=service.player_ms(entries, start), end_ms=service.player_ms(entries, end),
            expires_at=grant.expires_at, segments=[schemas.SegmentOut.of(e, base)
                                                   for e in entries])


def _denied(auditor: Auditor, grant_id: str, exc: ArchiveError, what: dict[str, int]) -> None:
    auditor.log("segment", target_type="playback", target_id=grant_id, outcome="denied",
                detail={"reason": exc.reason, **what})


@router.get("/{grant_id}/index.m3u8", response_class=Response,
            responses={200: {"content": {"application/vnd.apple.mpegurl": {}}}})
def playlist(grant_id: GrantId, archive: ArchiveDep, auditor: AuditorDep) -> Response:
    """The HLS playlist of a playback."""
    require_role(auditor.principal, *roles.EVIDENCE)
    now = datetime.now(UTC)
    with archive.catalog.read() as db:
        try:
            grant, recording, placed = service.grant_in_scope(db, auditor.principal, grant_id,
                                                              now=now)
        except ArchiveError as exc:
            _denied(auditor, grant_id, exc, {})
            raise
        entries = service.playlist_entries(service.grant_segments(db, grant))
        complete = recording.state is RecordingState.CLOSED or grant.range_end < now
    _log_media(auditor, "view", grant, placed.window.id, placed.path, {"playlist": 1})
    return Response(service.hls_playlist(entries, complete=complete),
                    media_type="application/vnd.apple.mpegurl",
                    headers={"Cache-Control": "no-store"})


def _log_media(auditor: Auditor, action: str, grant: PlaybackGrant, window_id: str,
               scope_path: str, detail: dict[str, int]) -> None:
    auditor.log(action, target_type="playback", target_id=grant.id,
                recording_id=grant.recording_id, session_id=grant.session_id,
                window_id=window_id, scope_path=scope_path, reason_kind=grant.reason_kind,
                reason_ref=grant.reason_ref,
                detail={**detail, **audit.range_detail(grant.range_start, grant.range_end)})


@router.get("/{grant_id}/segments/{seq}.ts", response_class=StreamingResponse,
            responses={200: {"content": {"video/mp2t": {}}}})
def segment(grant_id: GrantId, seq: Annotated[int, Path(ge=0, le=10**9)],
            archive: ArchiveDep, auditor: AuditorDep,
            download: Annotated[bool, Query(description="as an attachment")] = False,
            ) -> StreamingResponse:
    """One original segment of a playback, streamed from its pinned, hash-checked version."""
    require_role(auditor.principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        try:
            grant, _, placed = service.grant_in_scope(db, auditor.principal, grant_id,
                                                      now=datetime.now(UTC))
            seg = service.segment_of(db, grant, seq)
        except ArchiveError as exc:
            _denied(auditor, grant_id, exc, {"seq": seq})
            raise
    stream = archive.store.open_verified(seg.object_key, version_id=seg.version_id,
                                         sha256_hex=seg.sha256)
    _log_media(auditor, "download" if download else "segment", grant, placed.window.id,
               placed.path, {"seq": seq, "bytes": seg.size})
    headers = {"Content-Length": str(seg.size), "Cache-Control": "private, no-store",
               "X-Content-SHA256": seg.sha256}
    if download:
        headers["Content-Disposition"] = (f'attachment; filename="{grant.recording_id}-'
                                          f'{seq:06d}.ts"')

    def body() -> Iterator[bytes]:
        # The stream verifies the hash after its last chunk: hold each chunk back until the
        # next arrives, so a mismatch cuts the response short (Content-Length unmet) and the
        # client never gets a complete copy of changed bytes.
        pending: bytes | None = None
        try:
            for chunk in stream:
                if pending is not None:
                    yield pending
                pending = chunk
            if pending is not None:
                yield pending
        except ArchiveError as exc:
            logger.error("segment stream failed", extra={"recording_id": seg.recording_id,
                                                         "seq": seq, "reason": exc.reason})
            raise
        finally:
            stream.close()

    return StreamingResponse(body(), media_type=seg.content_type, headers=headers)
