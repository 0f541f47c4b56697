"""What the web service asks of transcribe: flags and lines of sessions, windows and
recordings, the dashboard's flag-ordered queue, and transcript search.

The rest of `api` reads transcripts only through these functions, so the queries that touch
transcribe's tables live in one module (see the package docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, or_, select
from sqlalchemy.orm import Session as DBSession

from archive.access.people import Principal
from archive.catalog.models import Case, Recording, Session
from archive.evidence.vocabulary import Stage
from transcribe import service as transcripts
from transcribe.errors import TranscriptNotFoundError
from transcribe.models import TranscriptFlag
from transcribe.review import QueueItem
from transcribe.search import SearchFilters, SearchPage, search_lines

__all__ = ["FlagMark", "QueueItem", "TranscriptLineView", "flagged_sessions", "flags_between",
           "search_transcripts", "session_flag_count", "transcript_lines", "window_flags"]


@dataclass(frozen=True)
class FlagMark:
    """A flag as timelines draw it."""

    at: datetime
    kind: str
    text: str  # the line it was raised in, else the phrase
    session_id: str | None  # the session it was raised on; None: a moment of the recording


@dataclass(frozen=True)
class TranscriptLineView:
    at: datetime
    until: datetime
    offset_ms: int  # from the session's start
    text: str


def _mark(flag: TranscriptFlag) -> FlagMark:
    return FlagMark(at=flag.started_at, kind=flag.kind, text=flag.text or flag.phrase,
                    session_id=flag.session_id)


def _session_flag_clause() -> ColumnElement[bool]:
    """A flag belongs to a session: raised on it, or said during it (correlated)."""
    f = TranscriptFlag
    return and_(f.recording_id == Session.recording_id, or_(
        f.session_id == Session.id,
        and_(f.session_id.is_(None), f.started_at >= Session.started_at,
             or_(Session.ended_at.is_(None), f.started_at < Session.ended_at))))


def session_flag_count() -> ScalarSelect[int]:
    """The number of flags of the `Session` row of the enclosing query (a column)."""
    return select(func.count()).select_from(TranscriptFlag).where(
        _session_flag_clause()).scalar_subquery()


def flags_between(db: DBSession, *, recording_id: str, session_id: str | None,
                  start: datetime, end: datetime) -> list[FlagMark]:
    """Flags of a recording said in [start, end), plus those raised on `session_id`."""
    in_range = and_(TranscriptFlag.started_at >= start, TranscriptFlag.started_at < end)
    owner = (or_(TranscriptFlag.session_id == session_id,
                 and_(TranscriptFlag.session_id.is_(None), in_range))
             if session_id else in_range)
    return [_mark(f) for f in db.scalars(select(TranscriptFlag).where(
        TranscriptFlag.recording_id == recording_id, owner).order_by(TranscriptFlag.started_at))]


def window_flags(db: DBSession, *, window_id: str, start: datetime,
                 end: datetime) -> list[FlagMark]:
    """Flags raised at a window in [start, end), in order."""
    return [_mark(f) for f in db.scalars(select(TranscriptFlag).where(
        TranscriptFlag.window_id == window_id, TranscriptFlag.started_at >= start,
        TranscriptFlag.started_at < end).order_by(TranscriptFlag.started_at))]


def transcript_lines(db: DBSession, *, recording: Recording, start: datetime,
                     end: datetime) -> tuple[str | None, list[TranscriptLineView]]:
    """The transcript's state and its visible lines said within [start, end]."""
    try:
        state = transcripts.get_transcript_or_raise(db, recording_id=recording.id).state
    except TranscriptNotFoundError:
        return None, []
    lines = []
    for line in transcripts.visible_lines(db, recording_id=recording.id):
        at = recording.started_at + timedelta(milliseconds=line.offset_ms)
        until = recording.started_at + timedelta(milliseconds=line.end_offset_ms)
        if until > start and at <= end:
            lines.append(TranscriptLineView(at=at, until=until, text=line.text,
                                            offset_ms=round((at - start).total_seconds() * 1000)))
    return state, lines


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
        .where(f.started_at >= since, principal.scope.on_window(f.window_id))
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


def search_transcripts(db: DBSession, principal: Principal, *, query: str,
                       window_id: str | None, case_number: str | None, stage: Stage | None,
                       staff_id: str | None, since: datetime | None, until: datetime | None,
                       limit: int, offset: int) -> SearchPage:
    """Transcript lines matching every word of `query` in the person's subtree, newest first.

    Raises:
        SearchQueryError: empty, too long or too many words; a bad limit or offset.
    """
    return search_lines(db, query=query, principal_path=principal.jurisdiction_path,
                        filters=SearchFilters(window_id=window_id, case_number=case_number,
                                              stage=stage, staff_id=staff_id, since=since,
                                              until=until),
                        limit=limit, offset=offset)
