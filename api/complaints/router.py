"""Complaint endpoints: register, list, read, accept, link sessions (holds), close."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api import roles
from api.audit.log import Auditor, AuditorDep
from api.complaints import schemas, service
from api.complaints.models import ComplaintState
from api.compose.holds import Holds
from api.deps import ArchiveDep, WebDep
from api.errors import ErrorResponse
from api.settings import WebSettings
from archive.access.people import require_role
from archive.services import Archive

router = APIRouter(
    prefix="/api/v1/complaints", tags=["complaints"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409)},
)

ComplaintId = Annotated[str, Path(max_length=32)]


def _holds(request: Request) -> Holds:
    holds: Holds = request.app.state.holds
    return holds


def _detail(archive: Archive, auditor: Auditor, web: WebSettings, complaint_id: str,
            *, log: bool) -> schemas.ComplaintDetailOut:
    today = datetime.now(UTC).astimezone(web.zone).date()
    with archive.catalog.read() as db:
        row, links = service.get_complaint(db, auditor.principal, complaint_id, web=web,
                                           today=today)
    if log:
        auditor.log("view", target_type="complaint", target_id=row.complaint.id,
                    detail={"number": row.complaint.number})
    return schemas.ComplaintDetailOut(**schemas.ComplaintOut.of(row).model_dump(),
                                      linked=[schemas.LinkedSessionOut.of(x) for x in links])


@router.get("")
def list_complaints(
    archive: ArchiveDep, web: WebDep, auditor: AuditorDep,
    state: ComplaintState | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[schemas.ComplaintOut]:
    """Complaints in the caller's subtree, the most urgent first."""
    require_role(auditor.principal, *roles.COMPLAINT_READ)
    today = datetime.now(UTC).astimezone(web.zone).date()
    with archive.catalog.read() as db:
        rows = service.list_complaints(db, auditor.principal, web=web, today=today,
                                       open_only=open_only,
                                       state=state.value if state else None, limit=limit)
    return [schemas.ComplaintOut.of(r) for r in rows]


@router.post("", status_code=201)
def register(body: schemas.ComplaintIn, request: Request, archive: ArchiveDep, web: WebDep,
             auditor: AuditorDep) -> schemas.ComplaintDetailOut:
    """Register a complaint (deadlines: accept in 5 working days, close in 45 days) and
    link the sessions it concerns, placing a hold on each."""
    principal = auditor.principal
    require_role(principal, *roles.COMPLAINT_WRITE)
    now = datetime.now(UTC)
    received = body.received_on or now.astimezone(web.zone).date()
    # Every session is checked before anything is written.
    with archive.catalog.read() as db:
        for sid in body.session_ids:
            principal.scope.require_session(db, sid)
    complaint_id = service.register(archive.catalog, principal, new=service.NewComplaint(
        complainant=body.complainant, contact=body.contact, summary=body.summary,
        received_on=received, number=body.number, jurisdiction_id=body.jurisdiction_id),
        web=web, now=now)
    detail = _detail(archive, auditor, web, complaint_id, log=False)
    auditor.log("complaint", target_type="complaint", target_id=complaint_id,
                detail={"number": detail.number, "change": "registered"})
    for sid in dict.fromkeys(body.session_ids):
        _link(archive, _holds(request), auditor, complaint_id, detail.number, sid, now)
    return _detail(archive, auditor, web, complaint_id, log=False)


def _link(archive: Archive, holds: Holds, auditor: Auditor, complaint_id: str, number: str,
          session_id: str, now: datetime) -> None:
    link = service.link_session(archive.catalog, holds, auditor.principal,
                                complaint_id=complaint_id, session_id=session_id, now=now)
    auditor.log("hold", target_type="session", target_id=session_id, session_id=session_id,
                recording_id=link.recording_id, reason_kind="complaint", reason_ref=number,
                detail={"complaint": complaint_id, "hold": link.hold_ref})


@router.get("/{complaint_id}")
def get_complaint(complaint_id: ComplaintId, archive: ArchiveDep, web: WebDep,
                  auditor: AuditorDep) -> schemas.ComplaintDetailOut:
    """A complaint with its deadlines and linked sessions."""
    require_role(auditor.principal, *roles.COMPLAINT_READ)
    return _detail(archive, auditor, web, complaint_id, log=True)


@router.post("/{complaint_id}/accept")
def accept(complaint_id: ComplaintId, archive: ArchiveDep, web: WebDep,
           auditor: AuditorDep) -> schemas.ComplaintDetailOut:
    """Accept (受理) a registered complaint."""
    require_role(auditor.principal, *roles.COMPLAINT_WRITE)
    with archive.catalog.write() as db:
        complaint = service.accept(db, auditor.principal, complaint_id, now=datetime.now(UTC))
        auditor.log("complaint", db=db, target_type="complaint", target_id=complaint.id,
                    detail={"number": complaint.number, "change": "accepted"})
    return _detail(archive, auditor, web, complaint_id, log=False)


@router.post("/{complaint_id}/sessions", status_code=201)
def link(complaint_id: ComplaintId, body: schemas.LinkIn, request: Request,
         archive: ArchiveDep, web: WebDep, auditor: AuditorDep) -> schemas.ComplaintDetailOut:
    """Link a session to the complaint; its recording is held until released."""
    require_role(auditor.principal, *roles.COMPLAINT_LINK)
    detail = _detail(archive, auditor, web, complaint_id, log=False)
    _link(archive, _holds(request), auditor, complaint_id, detail.number, body.session_id,
          datetime.now(UTC))
    return _detail(archive, auditor, web, complaint_id, log=False)


@router.post("/{complaint_id}/close")
def close(complaint_id: ComplaintId, body: schemas.CloseIn, archive: ArchiveDep,
          web: WebDep, auditor: AuditorDep) -> schemas.ComplaintDetailOut:
    """Close with an outcome (holds stay until an inspector releases them)."""
    require_role(auditor.principal, *roles.COMPLAINT_WRITE)
    with archive.catalog.write() as db:
        complaint = service.close(db, auditor.principal, complaint_id, outcome=body.outcome,
                                  note=body.note, now=datetime.now(UTC))
        auditor.log("complaint", db=db, target_type="complaint", target_id=complaint.id,
                    detail={"number": complaint.number, "change": "closed",
                            "outcome": body.outcome.value})
    return _detail(archive, auditor, web, complaint_id, log=False)
