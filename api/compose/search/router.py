"""Search endpoints the web UI uses: transcript search and the flag-ordered review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.audit.log import AuditorDep, search_logger
from api.audit.reasons import ReasonDep, shown_sessions
from api.compose.search import schemas
from api.deps import ArchiveDep, PrincipalDep
from api.errors import ErrorResponse
from archive.access.duties import Action, require
from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import Stage
from transcribe.review import review_queue
from transcribe.search import MAX_LIMIT, SearchFilters, search_lines

router = APIRouter(
    prefix="/api/v1/search", tags=["search"],
    responses={code: {"model": ErrorResponse} for code in (400, 403, 404)},
)

def _aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.tzinfo is None:
            raise InvalidInputError("times must carry a UTC offset", reason="naive_time")


@router.get("")
def search(
    archive: ArchiveDep, auditor: AuditorDep, reason: ReasonDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words to find")],
    jurisdiction: Annotated[str | None, Query(max_length=64)] = None,
    window: Annotated[str | None, Query(max_length=64)] = None,
    staff: Annotated[str | None, Query(max_length=64)] = None,
    case: Annotated[str | None, Query(max_length=100, description="case number")] = None,
    stage: Stage | None = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    flag: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> schemas.SearchPageOut:
    """Transcript lines matching every word, newest first, within the caller's subtree.

    Lines are evidence: the request says why (as playback does), and its access-log entry
    names the sessions and recordings whose text was returned.
    """
    principal = auditor.principal
    require(principal, Action.SEE_CONTENT)  # hits are transcript text: not administrators
    _aware(since, until)
    filters = SearchFilters(jurisdiction_id=jurisdiction, window_id=window, staff_id=staff,
                            case_number=case, stage=stage, since=since, until=until, flag=flag)
    with archive.catalog.read() as db:
        reason.validate(db, principal)
        page = search_lines(db, query=q, principal_path=principal.jurisdiction_path,
                            filters=filters, limit=limit, offset=offset)
    params = {k: str(v)[:200] for k, v in (
        ("q", q), ("jurisdiction", jurisdiction), ("window", window), ("staff", staff),
        ("case", case), ("stage", stage), ("from", since), ("to", until), ("flag", flag),
        ("offset", offset or None)) if v is not None}
    auditor.log("search", target_type="search", target_id=router.prefix,
                reason_kind=reason.kind, reason_ref=reason.log_ref,
                detail={"params": params, **shown_sessions(page.hits)})
    return schemas.page_out(page)


@router.get("/queue", dependencies=[Depends(search_logger)])
def queue(
    archive: ArchiveDep, principal: PrincipalDep,
    window: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[schemas.QueueItemOut]:
    """Flagged sessions in the caller's subtree, most serious first."""
    require(principal, Action.SEE_CONTENT)  # flags are read from what was said
    _aware(since, until)
    with archive.catalog.read() as db:
        items = review_queue(db, principal_path=principal.jurisdiction_path, window_id=window,
                             since=since, until=until, kind=kind, limit=limit)
    return [schemas.QueueItemOut.of(i) for i in items]
