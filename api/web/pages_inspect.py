"""Pages of search, complaints, the access log, administration and one's own account."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api import roles
from api.admin import grants
from api.admin import service as admin_service
from api.audit import service as audit_service
from api.audit.log import AuditorDep
from api.audit.reasons import Reason, shown_sessions
from api.auth import links
from api.complaints import service as complaints_service
from api.complaints.models import Outcome
from api.compose.transcripts import search_transcripts
from api.deps import ArchiveDep, WebDep
from api.sessions import service as sessions_service
from api.web.common import me, render
from archive.access.people import require_role
from archive.audit.log import ACTIONS
from archive.catalog.models import ApiToken
from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import JurisdictionLevel, Role, Stage, WindowKind

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Text = Annotated[str | None, Query(max_length=200)]
PAGE = 20  # rows per search page (each transcript hit is hydrated with its session)


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


@router.get("/search")
def search_page(request: Request, archive: ArchiveDep, web: WebDep, auditor: AuditorDep,
                q: Text = None, window: Text = None, case: Text = None,
                stage: Text = None, staff: Text = None, day: Text = None,
                flagged: Text = None, reason_kind: Text = None, reason_ref: Text = None,
                offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> HTMLResponse:
    """Transcript search when words are given, else sessions by window, day, case, stage.

    Transcript text is evidence: a search for words needs a reason, and its log entry names
    the sessions whose lines were shown.
    """
    principal = auditor.principal
    require_role(principal, *roles.EVIDENCE)
    reason = Reason(kind=reason_kind, ref=reason_ref or "") if reason_kind else None
    q, window, case, staff = _blank(q), _blank(window), _blank(case), _blank(staff)
    stage_value = Stage(stage) if stage in {s.value for s in Stage} else None
    try:
        the_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise InvalidInputError(f"got day {day!r}, expected YYYY-MM-DD",
                                reason="bad_day") from None
    hits = None
    sessions = None
    next_offset: int | None = None
    if q and reason is None:
        raise InvalidInputError("say why you search transcript text (a reason is required)",
                                reason="reason_missing")
    with archive.catalog.read() as db:
        if q and reason is not None:
            reason.validate(db, principal)
            since = until = None
            if the_day is not None:
                since, until = sessions_service.day_bounds(the_day, web.zone)
            page = search_transcripts(db, principal, query=q, window_id=window,
                                      case_number=case, stage=stage_value, staff_id=staff,
                                      since=since, until=until, limit=PAGE, offset=offset)
            hits, next_offset = page.hits, page.next_offset
        else:
            sessions = sessions_service.list_sessions(
                db, principal, filters=sessions_service.SessionFilters(
                    window_id=window, day=the_day, case_number=case, stage=stage_value,
                    staff_id=staff, flagged=bool(flagged)), zone=web.zone, limit=PAGE + 1,
                offset=offset)
            if len(sessions) > PAGE:
                sessions, next_offset = sessions[:PAGE], offset + PAGE
        windows = timeline_windows(db, principal)
    params = {k: v for k, v in (("q", q), ("window", window), ("case", case),
                                ("stage", stage), ("staff", staff), ("day", day),
                                ("flagged", flagged)) if v}
    if reason is not None and q:
        params.update(reason_kind=reason.kind, reason_ref=reason.log_ref)
    auditor.log("search", target_type="search_page",
                reason_kind=reason.kind if reason and q else None,
                reason_ref=reason.log_ref if reason and q else None,
                detail={"params": params, **shown_sessions(hits or [])})
    return render(request, "search.html", q=q or "", hits=hits, sessions=sessions,
                  reason=reason if q else None,
                  params=params, next_offset=next_offset, offset=offset, windows=windows,
                  stages=list(Stage), me=me(archive, principal.user_id))


def timeline_windows(db: Any, principal: Any) -> list[tuple[str, str]]:
    return [(w.id, f"{n} · {w.name}") for w, n in admin_service.list_windows(db, principal)]


@router.get("/complaints")
def complaints_page(request: Request, archive: ArchiveDep, web: WebDep,
                    auditor: AuditorDep, state: Text = None) -> HTMLResponse:
    require_role(auditor.principal, *roles.COMPLAINT_READ)
    today = datetime.now(UTC).astimezone(web.zone).date()
    state = state if state in ("registered", "accepted", "closed") else None
    with archive.catalog.read() as db:
        rows = complaints_service.list_complaints(db, auditor.principal, web=web, today=today,
                                                  state=state, limit=200)
    return render(request, "complaints.html", rows=rows, state=state or "",
                  can_write=auditor.principal.role in roles.COMPLAINT_WRITE,
                  me=me(archive, auditor.principal.user_id))


@router.get("/complaints/new")
def complaint_new(request: Request, archive: ArchiveDep, web: WebDep, auditor: AuditorDep,
                  session: Annotated[str | None, Query(max_length=32)] = None) -> HTMLResponse:
    principal = auditor.principal
    require_role(principal, *roles.COMPLAINT_WRITE)
    view = None
    with archive.catalog.read() as db:
        if session:
            view = sessions_service.load_session(db, principal, session,
                                                 now=datetime.now(UTC), with_transcript=False)
        places = [(j.id, j.name) for j in admin_service.list_jurisdictions(db, principal)]
    today = datetime.now(UTC).astimezone(web.zone).date()
    return render(request, "complaint_new.html", session=view, today=today, places=places,
                  default_place=view.placed.jurisdiction.id if view else
                  principal.jurisdiction_id, me=me(archive, principal.user_id))


@router.get("/complaints/{complaint_id}")
def complaint_page(request: Request, complaint_id: str, archive: ArchiveDep, web: WebDep,
                   auditor: AuditorDep) -> HTMLResponse:
    require_role(auditor.principal, *roles.COMPLAINT_READ)
    today = datetime.now(UTC).astimezone(web.zone).date()
    with archive.catalog.read() as db:
        row, links = complaints_service.get_complaint(db, auditor.principal, complaint_id,
                                                      web=web, today=today)
    auditor.log("view", target_type="complaint", target_id=row.complaint.id,
                detail={"number": row.complaint.number})
    return render(request, "complaint.html", row=row, c=row.complaint, links=links,
                  outcomes=list(Outcome),
                  can_write=auditor.principal.role in roles.COMPLAINT_WRITE,
                  can_link=auditor.principal.role in roles.COMPLAINT_LINK,
                  me=me(archive, auditor.principal.user_id))


def _moment(value: str | None, web: Any, *, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"got {value!r}, expected YYYY-MM-DD", reason="bad_day") \
            from None
    local = datetime.combine(day, time.min, tzinfo=web.zone)
    if end:
        local = datetime.combine(date.fromordinal(day.toordinal() + 1), time.min,
                                 tzinfo=web.zone)
    return local.astimezone(UTC)


@router.get("/audit")
def audit_page(request: Request, archive: ArchiveDep, web: WebDep, auditor: AuditorDep,
               user: Text = None, action: Text = None, session: Text = None,
               recording: Text = None, reason: Text = None,
               since: Annotated[str | None, Query(alias="from", max_length=10)] = None,
               until: Annotated[str | None, Query(alias="to", max_length=10)] = None,
               before: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> HTMLResponse:
    require_role(auditor.principal, *roles.AUDIT)
    filters = {k: v for k, v in (("user", _blank(user)), ("action", _blank(action)),
                                 ("session", _blank(session)), ("recording", _blank(recording)),
                                 ("reason", _blank(reason)), ("from", since), ("to", until))
               if v}
    with archive.catalog.read() as db:
        rows, next_before = audit_service.query_entries(
            db, principal=auditor.principal, user_id=filters.get("user"),
            action=filters.get("action"), session_id=filters.get("session"),
            recording_id=filters.get("recording"), reason_ref=filters.get("reason"),
            since=_moment(since, web, end=False), until=_moment(until, web, end=True),
            before=before, limit=100)
        names = audit_service.names_of(db, {r.user_id for r in rows if r.user_id})
        heads = audit_service.list_heads(db, limit=5)
    auditor.log("audit", target_type="access_log", detail={"filters": filters})
    return render(request, "audit.html", rows=rows, names=names, filters=filters,
                  next_before=next_before, actions=ACTIONS, heads=heads,
                  me=me(archive, auditor.principal.user_id))


@router.get("/admin")
def admin_page(request: Request, archive: ArchiveDep, auditor: AuditorDep) -> HTMLResponse:
    principal = auditor.principal
    require_role(principal, *roles.ADMIN)
    with archive.catalog.read() as db:
        data = {
            "jurisdictions": admin_service.list_jurisdictions(db, principal),
            "windows": admin_service.list_windows(db, principal),
            "devices": admin_service.list_devices(db, principal),
            "users": admin_service.list_users(db, principal),
            "grants": grants.list_pending(db, principal),
        }
        scope = principal.scope.require_jurisdiction(db, principal.jurisdiction_id)
    auditor.log("view", target_type="admin")
    return render(request, "admin.html", **data, scope=scope, levels=list(JurisdictionLevel),
                  kinds=list(WindowKind), roles=list(Role), me=me(archive, principal.user_id))


@router.get("/account")
def account_page(request: Request, archive: ArchiveDep, web: WebDep,
                 auditor: AuditorDep) -> HTMLResponse:
    with archive.catalog.read() as db:
        tokens = list(db.scalars(select(ApiToken).where(
            ApiToken.user_id == auditor.principal.user_id).order_by(ApiToken.created_at)))
        history = links.history(db, user_id=auditor.principal.user_id)
        notices = links.since_last_login(db, user_id=auditor.principal.user_id)
    return render(request, "account.html", tokens=tokens, history=history, notices=notices,
                  token_days=web.api_token_days,
                  me=me(archive, auditor.principal.user_id))
