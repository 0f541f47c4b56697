"""Review endpoints: the checklist, scoring a session, notes at moments of it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path

from api import roles
from api.audit.log import AuditorDep
from api.deps import ArchiveDep, PrincipalDep, WebDep
from api.errors import ErrorResponse
from api.reviews import schemas, service
from archive.access.people import require_role

router = APIRouter(
    prefix="/api/v1", tags=["reviews"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404)},
)

SessionId = Annotated[str, Path(max_length=32)]


@router.get("/checklist")
def checklist(web: WebDep, principal: PrincipalDep) -> schemas.ChecklistOut:
    """The office's quality checklist sessions are scored against."""
    require_role(principal, *roles.EVIDENCE)
    return schemas.ChecklistOut(id=web.checklist_id, scores=list(service.SCORES),
                                items=[schemas.ChecklistItemOut(id=i.id, text=i.text)
                                       for i in web.checklist])


@router.post("/sessions/{session_id}/reviews", status_code=201)
def create_review(session_id: SessionId, body: schemas.ReviewIn, archive: ArchiveDep,
                  web: WebDep, auditor: AuditorDep) -> schemas.ReviewOut:
    """Score the session against every checklist item."""
    require_role(auditor.principal, *roles.REVIEW)
    with archive.catalog.write() as db:
        review = service.create_review(db, auditor.principal, session_id=session_id,
                                       scores=body.scores, comment=body.comment, web=web,
                                       now=datetime.now(UTC))
        session, placed = auditor.principal.scope.require_session(db, session_id)
        auditor.log("review", db=db, target_type="session", target_id=session.id,
                    session_id=session.id, recording_id=session.recording_id,
                    window_id=placed.window.id, scope_path=placed.path,
                    detail={"review": review.id, "total": review.total,
                            "maximum": review.maximum})
        return schemas.ReviewOut.of(review)


@router.get("/sessions/{session_id}/reviews")
def list_reviews(session_id: SessionId, archive: ArchiveDep,
                 principal: PrincipalDep) -> list[schemas.ReviewOut]:
    """Reviews of the session, oldest first."""
    require_role(principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        return [schemas.ReviewOut.of(r) for r in service.list_reviews(
            db, principal, session_id=session_id)]


@router.post("/sessions/{session_id}/notes", status_code=201)
def create_note(session_id: SessionId, body: schemas.NoteIn, archive: ArchiveDep,
                auditor: AuditorDep) -> schemas.NoteOut:
    """A note at a moment of the session."""
    require_role(auditor.principal, *roles.NOTE)
    with archive.catalog.write() as db:
        note = service.create_note(db, auditor.principal, session_id=session_id,
                                   offset_ms=body.offset_ms, text=body.text,
                                   now=datetime.now(UTC))
        session, placed = auditor.principal.scope.require_session(db, session_id)
        auditor.log("note", db=db, target_type="session", target_id=session.id,
                    session_id=session.id, recording_id=session.recording_id,
                    window_id=placed.window.id, scope_path=placed.path,
                    detail={"note": note.id, "offset_ms": note.offset_ms})
        return schemas.NoteOut.of(note)


@router.get("/sessions/{session_id}/notes")
def list_notes(session_id: SessionId, archive: ArchiveDep,
               principal: PrincipalDep) -> list[schemas.NoteOut]:
    """Notes on the session, in the order of the moments they are about."""
    require_role(principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        return [schemas.NoteOut.of(n) for n in service.list_notes(
            db, principal, session_id=session_id)]
