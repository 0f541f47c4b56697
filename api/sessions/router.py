"""Session endpoints: listing (a search), details, transcript, and who watched."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import roles
from api.audit.log import AuditorDep
from api.audit.reasons import ReasonDep
from api.audit.schemas import ViewerOut
from api.audit.service import names_of
from api.deps import ArchiveDep, WebDep
from api.errors import ErrorResponse
from api.sessions import schemas, service
from archive.access.people import require_role
from archive.audit import log as audit
from archive.catalog.models import Recording
from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import Stage

router = APIRouter(
    prefix="/api/v1/sessions", tags=["sessions"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404)},
)

SessionId = Annotated[str, Path(max_length=32)]
Id = Annotated[str | None, Query(max_length=64)]


@router.get("")
def list_sessions(
    archive: ArchiveDep, web: WebDep, auditor: AuditorDep,
    window: Id = None, jurisdiction: Id = None,
    day: Annotated[date | None, Query(description="local calendar day")] = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    case: Annotated[str | None, Query(max_length=100, description="case number")] = None,
    stage: Stage | None = None, staff: Id = None,
    flagged: Annotated[bool, Query(description="only sessions with flags")] = False,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[schemas.SessionRowOut]:
    """Sessions in the caller's subtree matching every filter, newest first."""
    principal = auditor.principal
    require_role(principal, *roles.EVIDENCE)
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInputError("times must carry a UTC offset", reason="naive_time")
    with archive.catalog.read() as db:
        path = principal.scope.require_jurisdiction(db, jurisdiction).path if jurisdiction \
            else None
        rows = service.list_sessions(db, principal, filters=service.SessionFilters(
            window_id=window, jurisdiction_path=path, day=day, since=since, until=until,
            case_number=case, stage=stage, staff_id=staff, flagged=flagged),
            zone=web.zone, limit=limit, offset=offset)
    auditor.log("search", target_type="sessions", detail={"filters": {k: str(v) for k, v in (
        ("window", window), ("jurisdiction", jurisdiction), ("day", day), ("case", case),
        ("stage", stage), ("staff", staff), ("flagged", flagged or None)) if v}})
    return [schemas.SessionRowOut.of(r) for r in rows]


@router.get("/{session_id}")
def get_session(session_id: SessionId, archive: ArchiveDep,
                auditor: AuditorDep) -> schemas.SessionOut:
    """A session with its case, segments, gaps, markers, flags and complaints."""
    require_role(auditor.principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        view = service.load_session(db, auditor.principal, session_id, now=datetime.now(UTC),
                                    with_transcript=False)
    auditor.log("view", target_type="session", target_id=view.session.id,
                recording_id=view.recording.id, session_id=view.session.id,
                window_id=view.placed.window.id, scope_path=view.placed.path)
    return schemas.SessionOut.of(view)


@router.get("/{session_id}/transcript")
def get_transcript(session_id: SessionId, archive: ArchiveDep, auditor: AuditorDep,
                   reason: ReasonDep) -> schemas.TranscriptOut:
    """The transcript lines said during the session (when it has been transcribed).

    Transcript text is evidence: the request names why (as playback does) and is logged.
    """
    require_role(auditor.principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        view = service.load_session(db, auditor.principal, session_id, now=datetime.now(UTC))
        reason.validate(db, auditor.principal)
    auditor.log("transcript", target_type="session", target_id=view.session.id,
                recording_id=view.recording.id, session_id=view.session.id,
                window_id=view.placed.window.id, scope_path=view.placed.path,
                reason_kind=reason.kind, reason_ref=reason.log_ref,
                detail={"lines": len(view.lines)})
    return schemas.TranscriptOut(session_id=view.session.id, state=view.transcript_state,
                                 lines=[schemas.LineOut.of(line) for line in view.lines])


@router.get("/{session_id}/viewers")
def get_viewers(session_id: SessionId, archive: ArchiveDep,
                auditor: AuditorDep) -> list[ViewerOut]:
    """Who viewed, played or downloaded this session, when, and why."""
    require_role(auditor.principal, *roles.VIEWERS)
    with archive.catalog.read() as db:
        session, placed = auditor.principal.scope.require_session(db, session_id)
        recording = db.get_one(Recording, session.recording_id)
        found = audit.viewers(db, session_id=session.id, recording_id=recording.id,
                              during=service.session_range(session, recording,
                                                           datetime.now(UTC)))
        names = names_of(db, {v.user_id for v in found})
    auditor.log("audit", target_type="session", target_id=session.id, session_id=session.id,
                recording_id=session.recording_id, window_id=placed.window.id,
                scope_path=placed.path, detail={"viewers": 1})
    return [ViewerOut.of(v, names.get(v.user_id, v.user_id)) for v in found]
