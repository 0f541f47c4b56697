"""The dashboard as JSON (the same data the home page shows)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.audit.log import AuditorDep
from api.complaints.schemas import ComplaintOut
from api.compose.search.schemas import QueueItemOut
from api.dashboard import service
from api.deps import ArchiveDep, WebDep
from api.errors import ErrorResponse
from api.timeline.schemas import GapOut, WindowOut

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"],
                   responses={code: {"model": ErrorResponse} for code in (401, 403)})


class GapRowOut(GapOut):
    window_id: str
    window_name: str
    jurisdiction_name: str


class FlaggedOut(QueueItemOut):
    window_name: str


class DashboardOut(BaseModel):
    now: datetime
    windows: list[WindowOut]
    gaps_today: list[GapRowOut]
    open_complaints: list[ComplaintOut] | None
    flagged_sessions: list[FlaggedOut] | None


@router.get("")
def dashboard(archive: ArchiveDep, web: WebDep, auditor: AuditorDep) -> DashboardOut:
    """What needs attention in the caller's subtree (sections their role may see)."""
    with archive.catalog.read() as db:
        board = service.build(db, auditor.principal, web=web, now=datetime.now(UTC))
    auditor.log("view", target_type="dashboard")
    return DashboardOut(
        now=board.now, windows=[WindowOut.of(w) for w in board.windows],
        gaps_today=[GapRowOut(id=r.gap.id, start=r.gap.started_at, end=r.gap.ended_at,
                              cause=r.gap.cause.value, detail=r.gap.detail,
                              person=r.gap.person, window_id=r.window.id,
                              window_name=r.window.name,
                              jurisdiction_name=r.jurisdiction_name) for r in board.gaps],
        open_complaints=None if board.complaints is None else
        [ComplaintOut.of(c) for c in board.complaints],
        flagged_sessions=None if board.flagged is None else
        [FlaggedOut(**QueueItemOut.of(f.item).model_dump(), window_name=f.window_name)
         for f in board.flagged])
