"""Supervisors' queue: sessions (or recordings without sessions) ordered by their flags."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session as DBSession

from archive.access.scope import Scope
from archive.catalog.models import Case, Session
from transcribe.models import TranscriptFlag


@dataclass(frozen=True)
class QueueItem:
    recording_id: str
    session_id: str | None
    window_id: str
    score: int  # sum of the flags' weights
    flags: dict[str, int]  # kind -> count
    first_offset_ms: int  # where the first flag was raised
    started_at: datetime | None = None
    ended_at: datetime | None = None
    case_number: str | None = None
    stage: str | None = None
    staff_id: str | None = None


@dataclass
class _Tally:
    window_id: str
    score: int = 0
    first: int = 2**62
    flags: dict[str, int] = field(default_factory=dict)


def review_queue(db: DBSession, *, principal_path: str, window_id: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 kind: str | None = None, limit: int = 50) -> list[QueueItem]:
    """Flagged sessions in the person's subtree, most serious first, then newest."""
    s = Session
    f = TranscriptFlag
    query = (select(f.recording_id, s.id, f.window_id, f.kind, func.count(),
                    func.sum(f.weight), func.min(f.offset_ms))
             .outerjoin(s, and_(s.recording_id == f.recording_id, or_(
                 f.session_id == s.id,
                 and_(f.session_id.is_(None), s.started_at <= f.started_at,
                      or_(s.ended_at.is_(None), s.ended_at > f.started_at)))))
             .group_by(f.recording_id, s.id, f.window_id, f.kind))
    query = query.where(Scope(principal_path).on_window(f.window_id))
    if window_id:
        query = query.where(f.window_id == window_id)
    if since:
        query = query.where(f.started_at >= since)
    if until:
        query = query.where(f.started_at < until)
    if kind:
        query = query.where(f.kind == kind)
    tallies: dict[tuple[str, str | None], _Tally] = defaultdict(lambda: _Tally(window_id=""))
    for recording_id, session_id, window, flag_kind, count, weight, first in db.execute(query):
        tally = tallies[(recording_id, session_id)]
        tally.window_id = str(window)
        tally.score += int(weight or 0)
        tally.first = min(tally.first, int(first))
        tally.flags[flag_kind] = tally.flags.get(flag_kind, 0) + int(count)
    items = []
    for (rid, sid), tally in tallies.items():
        session, case_number = (_session(db, sid) if sid else (None, None))
        items.append(QueueItem(
            recording_id=rid, session_id=sid, window_id=tally.window_id,
            score=tally.score, flags=dict(sorted(tally.flags.items())),
            first_offset_ms=tally.first,
            started_at=session.started_at if session else None,
            ended_at=session.ended_at if session else None, case_number=case_number,
            stage=session.stage.value if session and session.stage else None,
            staff_id=session.staff_id if session else None))
    items.sort(key=lambda i: (-i.score, -(i.started_at.timestamp() if i.started_at else 0)))
    return items[:limit]


def _session(db: DBSession, session_id: str) -> tuple[Session | None, str | None]:
    row = db.execute(select(Session, Case.number).outerjoin(Case, Case.id == Session.case_id)
                     .where(Session.id == session_id)).first()
    return (row[0], row[1]) if row else (None, None)
