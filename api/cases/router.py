"""Case endpoints: a case's stages and sessions, by id or by number."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from api import roles
from api.audit.log import AuditorDep
from api.cases import service
from api.deps import ArchiveDep
from api.errors import ErrorResponse
from archive.access.people import require_role

router = APIRouter(prefix="/api/v1/cases", tags=["cases"],
                   responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404)})


class CaseSessionOut(BaseModel):
    id: str
    window_id: str
    window_name: str
    jurisdiction_name: str
    started_at: datetime
    ended_at: datetime | None
    staff_id: str | None


class StageOut(BaseModel):
    stage: str | None
    sessions: list[CaseSessionOut]


class CaseOut(BaseModel):
    id: str
    number: str
    case_type: str | None
    jurisdiction_id: str | None
    jurisdiction_name: str | None
    attributes: dict[str, Any]
    stages: list[StageOut]


def _out(view: service.CaseView) -> CaseOut:
    c = view.case
    return CaseOut(id=c.id, number=c.number, case_type=c.case_type,
                   jurisdiction_id=c.jurisdiction_id, jurisdiction_name=view.jurisdiction_name,
                   attributes=c.attributes, stages=[StageOut(stage=stage, sessions=[
                       CaseSessionOut(id=s.session.id, window_id=s.session.window_id,
                                      window_name=s.window_name,
                                      jurisdiction_name=s.jurisdiction_name,
                                      started_at=s.session.started_at,
                                      ended_at=s.session.ended_at, staff_id=s.session.staff_id)
                       for s in items]) for stage, items in view.stages])


@router.get("")
def find_case(archive: ArchiveDep, auditor: AuditorDep,
              number: Annotated[str, Query(min_length=1, max_length=100)]) -> CaseOut:
    """A case by its number (e.g. 云援〔2026〕0123号)."""
    require_role(auditor.principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        case_id = service.find_case_id(db, auditor.principal, number)
    return get_case(case_id, archive, auditor)


@router.get("/{case_id}")
def get_case(case_id: Annotated[str, Path(max_length=32)], archive: ArchiveDep,
             auditor: AuditorDep) -> CaseOut:
    """All stages of a case and their sessions, in process order."""
    require_role(auditor.principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        view = service.load_case(db, auditor.principal, case_id)
    auditor.log("view", target_type="case", target_id=view.case.id,
                detail={"number": view.case.number})
    return _out(view)
