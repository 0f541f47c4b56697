"""The access log for auditors: filtered entries and sealed heads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api import roles
from api.audit import schemas, service
from api.audit.log import AuditorDep
from api.deps import ArchiveDep
from api.errors import ErrorResponse
from archive.access.people import require_role

router = APIRouter(
    prefix="/api/v1/audit", tags=["audit"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404)},
)

Id = Annotated[str | None, Query(max_length=64)]


@router.get("/entries")
def entries(
    archive: ArchiveDep, auditor: AuditorDep, user: Id = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    session: Id = None, recording: Id = None,
    reason: Annotated[str | None, Query(max_length=200, description="complaint number or "
                                        "inspection ticket")] = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="page cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100,
) -> schemas.EntryPageOut:
    """Entries about the auditor's subtree matching every filter, newest first."""
    require_role(auditor.principal, *roles.AUDIT)
    with archive.catalog.read() as db:
        rows, next_before = service.query_entries(
            db, principal=auditor.principal, user_id=user, action=action, session_id=session,
            recording_id=recording, reason_ref=reason, since=since, until=until,
            before=before, limit=limit)
    auditor.log("audit", target_type="access_log", detail={"filters": {
        k: v for k, v in (("user", user), ("action", action), ("session", session),
                          ("recording", recording), ("reason", reason)) if v}})
    return schemas.EntryPageOut(entries=[schemas.EntryOut.of(r) for r in rows],
                                next_before=next_before)


@router.get("/heads")
def heads(archive: ArchiveDep, auditor: AuditorDep) -> list[schemas.HeadOut]:
    """The latest sealed heads of the log (signed and timestamped daily)."""
    require_role(auditor.principal, *roles.AUDIT)
    with archive.catalog.read() as db:
        return [schemas.HeadOut.of(h) for h in service.list_heads(db)]
