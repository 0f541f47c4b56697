"""The dashboard: windows recording now, today's gaps, open complaints, flagged sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as DBSession

from api import roles
from api.complaints.service import ComplaintRow, list_complaints
from api.rows import pairs
from api.scope import window_ids_in
from api.sessions.service import day_bounds
from api.settings import WebSettings
from api.timeline.service import GapRow, WindowStatus, gaps_between, window_statuses
from archive.access.people import Principal
from archive.catalog.models import Case, Session, Window
from transcribe.models import TranscriptFlag
from transcribe.review import QueueItem

FLAGGED_DAYS = 7


@dataclass(frozen=True)
class Flagged:
    item: QueueItem
    window_name: str


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    windows: list[WindowStatus]
    gaps: list[GapRow]
    complaints: list[ComplaintRow] | None  # None: the role does not handle complaints
    flagged: list[Flagged] | None  # None: the role does not see evidence

    @property
    def recording(self) -> list[WindowStatus]:
        return [w for w in self.windows if w.state == "recording"]


def build(db: DBSession, principal: Principal, *, web: WebSettings, now: datetime) -> Dashboard:
    today = now.astimezone(web.zone).date()
    start, end = day_bounds(today, web.zone)
    complaints = flagged = None
    if principal.role in roles.COMPLAINT_READ:
        complaints = list_complaints(db, principal, web=web, today=today, open_only=True,
                                     limit=20)
    if principal.role in roles.EVIDENCE:
        items = flagged_sessions(db, principal, since=start - timedelta(days=FLAGGED_DAYS))
        names = dict(pairs(db.execute(select(Window.id, Window.name).where(
            Window.id.in_({i.window_id for i in items})))))
        flagged = [Flagged(i, names.get(i.window_id, i.window_id)) for i in items]
    return Dashboard(now=now, windows=window_statuses(db, principal, now=now,
                                                     fresh_s=web.recording_fresh_s),
                     gaps=gaps_between(db, principal, start=start, end=end, limit=50),
                     complaints=complaints, flagged=flagged)


def flagged_sessions(db: DBSession, principal: Principal, *, since: datetime,
                     limit: int = 20) -> list[QueueItem]:
    """Sessions (or recordings without one) with flags raised since `since`, most serious
    first, then newest: the order of transcribe.review.review_queue, computed in the database
    with one index probe per flag for its session (sessions by recording and start)."""
    f = TranscriptFlag
    owner = (select(Session.id).where(
        Session.recording_id == f.recording_id, Session.started_at <= f.started_at,
        or_(Session.ended_at.is_(None), Session.ended_at > f.started_at))
        .order_by(Session.started_at.desc()).limit(1).correlate(f).scalar_subquery())
    flags = select(f.recording_id.label("rid"), f.window_id.label("wid"), f.kind, f.weight,
                   f.offset_ms, func.coalesce(f.session_id, owner).label("sid")) \
        .where(f.started_at >= since)
    if principal.jurisdiction_path != "/":
        flags = flags.where(f.window_id.in_(window_ids_in(principal.jurisdiction_path)))
    rows = flags.subquery()
    ranked = select(rows.c.rid, rows.c.sid, func.min(rows.c.wid).label("wid"),
                    func.sum(rows.c.weight).label("score"),
                    func.min(rows.c.offset_ms).label("first")) \
        .group_by(rows.c.rid, rows.c.sid).subquery()
    top = db.execute(select(ranked.c.rid, ranked.c.sid, ranked.c.wid, ranked.c.score,
                            ranked.c.first, Session, Case.number)
                     .outerjoin(Session, Session.id == ranked.c.sid)
                     .outerjoin(Case, Case.id == Session.case_id)
                     .order_by(ranked.c.score.desc(), Session.started_at.desc().nulls_last(),
                               ranked.c.rid)
                     .limit(limit)).all()
    kinds: dict[tuple[str, str | None], dict[str, int]] = {}
    if top:
        for rid, sid, kind in db.execute(select(rows.c.rid, rows.c.sid, rows.c.kind).where(
                rows.c.rid.in_({row[0] for row in top}))):
            counts = kinds.setdefault((rid, sid), {})
            counts[kind] = counts.get(kind, 0) + 1
    return [QueueItem(recording_id=rid, session_id=sid, window_id=wid, score=int(score),
                      flags=dict(sorted(kinds.get((rid, sid), {}).items())),
                      first_offset_ms=int(first),
                      started_at=session.started_at if session else None,
                      ended_at=session.ended_at if session else None, case_number=number,
                      stage=session.stage.value if session and session.stage else None,
                      staff_id=session.staff_id if session else None)
            for rid, sid, wid, score, first, session, number in top]
