"""Window endpoints: status of every window, and a window's day as a coverage timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import roles
from api.audit.log import AuditorDep
from api.deps import ArchiveDep, WebDep
from api.errors import ErrorResponse
from api.timeline import schemas, service
from archive.access.people import require_role

router = APIRouter(
    prefix="/api/v1/windows", tags=["windows"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404)},
)


@router.get("")
def list_windows(archive: ArchiveDep, web: WebDep,
                 auditor: AuditorDep) -> list[schemas.WindowOut]:
    """Windows of the caller's subtree, with whether each is recording now."""
    require_role(auditor.principal, *roles.TIMELINE)
    with archive.catalog.read() as db:
        statuses = service.window_statuses(db, auditor.principal, now=datetime.now(UTC),
                                           fresh_s=web.recording_fresh_s)
    return [schemas.WindowOut.of(s) for s in statuses]


@router.get("/{window_id}/day")
def window_day(window_id: Annotated[str, Path(max_length=64)], archive: ArchiveDep,
               web: WebDep, auditor: AuditorDep,
               day: Annotated[date | None, Query(description="local day (default today)")]
               = None) -> schemas.DayOut:
    """A window's day: recorded spans, gaps with causes, sessions, markers and flags."""
    require_role(auditor.principal, *roles.TIMELINE)
    the_day = day or datetime.now(UTC).astimezone(web.zone).date()
    with archive.catalog.read() as db:
        result = service.window_day(db, auditor.principal, window_id=window_id, day=the_day,
                                    zone=web.zone)
    auditor.log("view", target_type="window_day", target_id=f"{window_id}/{the_day}",
                window_id=window_id, scope_path=result.placed.path)
    return schemas.DayOut.of(result)
