"""Pages of review: the dashboard, a window's day, a session with its player, a case."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api import roles
from api.audit.log import AuditorDep
from api.audit.reasons import Reason, ReasonKind
from api.auth import links
from api.cases import service as cases_service
from api.dashboard import service as dashboard_service
from api.deps import ArchiveDep, WebDep
from api.playback.service import player_ms, playlist_entries
from api.reviews import service as reviews_service
from api.sessions import service as sessions_service
from api.timeline import service as timeline_service
from api.web.common import me, names_of, pages_of, render
from api.web.labels import label
from archive.access.people import require_role

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def dashboard(request: Request, archive: ArchiveDep, web: WebDep,
              auditor: AuditorDep) -> HTMLResponse:
    now = datetime.now(UTC)
    with archive.catalog.read() as db:
        board = dashboard_service.build(db, auditor.principal, web=web, now=now)
        notices = links.since_last_login(db, user_id=auditor.principal.user_id)
    auditor.log("view", target_type="dashboard")
    today = now.astimezone(web.zone).date()
    return render(request, "dashboard.html", board=board, today=today, notices=notices,
                  yesterday=today - timedelta(days=1), me=me(archive, auditor.principal.user_id),
                  can_timeline=auditor.principal.role in roles.TIMELINE)


@router.get("/windows/{window_id}")
def window_today(window_id: str, web: WebDep, auditor: AuditorDep) -> RedirectResponse:
    require_role(auditor.principal, *roles.TIMELINE)
    today = datetime.now(UTC).astimezone(web.zone).date()
    return RedirectResponse(f"/windows/{quote(window_id)}/days/{today.isoformat()}", 303)


@router.get("/windows/{window_id}/days/{day}")
def window_day(request: Request, window_id: str, day: date, archive: ArchiveDep, web: WebDep,
               auditor: AuditorDep) -> HTMLResponse:
    require_role(auditor.principal, *roles.TIMELINE)
    with archive.catalog.read() as db:
        result = timeline_service.window_day(db, auditor.principal, window_id=window_id,
                                             day=day, zone=web.zone)
    auditor.log("view", target_type="window_day", target_id=f"{window_id}/{day}",
                window_id=window_id, scope_path=result.placed.path)
    view_start, view_end = _visible_hours(result, web.zone)
    hours = [view_start + timedelta(hours=h) for h in range(
        int((view_end - view_start).total_seconds() // 3600) + 1)]
    return render(request, "day.html", d=result, prev_day=day - timedelta(days=1),
                  view_start=view_start, view_end=view_end, hours=hours,
                  next_day=day + timedelta(days=1),
                  can_open=auditor.principal.role in roles.EVIDENCE,
                  me=me(archive, auditor.principal.user_id))


def _visible_hours(day: timeline_service.Day, zone: Any) -> tuple[datetime, datetime]:
    """Office hours (08:00-18:00 local), widened to whole hours holding anything recorded."""
    local = datetime(day.day.year, day.day.month, day.day.day, tzinfo=zone)
    moments = [local + timedelta(hours=8), local + timedelta(hours=18)]
    moments += [s.start for s in day.recorded] + [s.end for s in day.recorded]
    moments += [g.start for g in day.gaps] + [g.end for g in day.gaps]
    moments += [s.start for s in day.sessions]
    lo = max(min(moments), day.start).astimezone(zone)
    hi = min(max(moments), day.end).astimezone(zone)
    lo = lo.replace(minute=0, second=0, microsecond=0)
    if hi.minute or hi.second or hi.microsecond:
        hi = hi.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return lo, min(hi, day.end.astimezone(zone))


@router.get("/sessions/{session_id}")
def session_page(request: Request, session_id: str, archive: ArchiveDep, web: WebDep,
                 auditor: AuditorDep,
                 complaint: Annotated[str | None, Query(max_length=100)] = None,
                 t: Annotated[int | None, Query(ge=0, le=10**9)] = None,
                 reason_kind: Annotated[ReasonKind | None, Query()] = None,
                 reason_ref: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """A session with its player; its transcript text only once a reason is given.

    Without a reason the page shows what is not evidence content (times, case, flags'
    kinds) and logs a view; with one it shows the transcript lines and logs that reading.
    """
    principal = auditor.principal
    require_role(principal, *roles.EVIDENCE)
    reason = Reason(kind=reason_kind, ref=reason_ref) if reason_kind else None
    with archive.catalog.read() as db:
        if reason is not None:
            reason.validate(db, principal)
        view = sessions_service.load_session(db, principal, session_id, now=datetime.now(UTC),
                                             with_transcript=reason is not None)
        reviews = reviews_service.list_reviews(db, principal, session_id=session_id)
        notes = reviews_service.list_notes(db, principal, session_id=session_id)
        names = names_of(db, {r.reviewer_id for r in reviews} | {n.author_id for n in notes})
    auditor.log("transcript" if reason else "view", target_type="session",
                target_id=view.session.id, recording_id=view.recording.id,
                session_id=view.session.id, window_id=view.placed.window.id,
                scope_path=view.placed.path, reason_kind=reason.kind if reason else None,
                reason_ref=reason.log_ref if reason else None,
                detail={"lines": len(view.lines)} if reason else {})
    if reason is None:  # a flag's text is the transcript line it was raised in
        view.items = [replace(i, text="") if i.kind == "flag" else i for i in view.items]
    entries = playlist_entries(view.segments)
    start_ms = player_ms(entries, view.start)
    items = [{"kind": i.kind, "player_ms": player_ms(entries, i.at) - start_ms,
              "label": pages_of(request).gettext(request, _item_label(i.kind, i.label)),
              "text": i.text} for i in view.items]
    line_ms = [player_ms(entries, line.at) - start_ms for line in view.lines]
    timeline = {
        "segments": [{"seq": e.seq, "started_at": e.started_at.isoformat(),
                      "duration_ms": e.duration_ms, "player_start_ms": e.player_start_ms}
                     for e in entries],
        "start_ms": start_ms, "end_ms": player_ms(entries, view.end),
        "items": items,
        "t": t,
    }
    return render(request, "session.html", v=view, reviews=reviews, notes=notes, names=names,
                  checklist=web.checklist, timeline_json=json.dumps(timeline, ensure_ascii=False)
                  .replace("</", "<\\/"), items=items, line_ms=line_ms,
                  complaint=complaint or "", reason=reason,
                  can_review=principal.role in roles.REVIEW,
                  can_complain=principal.role in roles.COMPLAINT_WRITE,
                  can_viewers=principal.role in roles.VIEWERS,
                  me=me(archive, principal.user_id))


def _item_label(kind: str, code: str) -> str:
    return label({"gap": "gap", "flag": "flag"}.get(kind, ""), code) if kind != "marker" \
        else code


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, archive: ArchiveDep,
              auditor: AuditorDep) -> HTMLResponse:
    require_role(auditor.principal, *roles.EVIDENCE)
    with archive.catalog.read() as db:
        view = cases_service.load_case(db, auditor.principal, case_id)
    auditor.log("view", target_type="case", target_id=view.case.id,
                detail={"number": view.case.number})
    return render(request, "case.html", c=view, me=me(archive, auditor.principal.user_id))
