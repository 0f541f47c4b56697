"""Windows and their days: status now, and a day's coverage (recorded, gaps, sessions, …)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session as DBSession

from api.compose.transcripts import session_flag_count, window_flags
from api.rows import pairs
from api.sessions.service import day_bounds
from archive.access.duties import Action, may
from archive.access.people import Principal
from archive.access.scope import Placed
from archive.catalog.models import (
    Case,
    Gap,
    Jurisdiction,
    Marker,
    Recording,
    Segment,
    Session,
    Window,
)
from archive.evidence.vocabulary import RecordingState

JOIN_WITHIN = timedelta(seconds=2)  # segments closer than this draw as one recorded span


@dataclass(frozen=True)
class WindowStatus:
    window: Window
    jurisdiction: Jurisdiction
    state: str  # recording | stalled | idle
    last_media_at: datetime | None
    open_recordings: int


def window_statuses(db: DBSession, principal: Principal, *, now: datetime,
                    fresh_s: int) -> list[WindowStatus]:
    """Every window of the subtree: recording (fresh media), stalled (open, silent) or idle."""
    windows = pairs(db.execute(
        select(Window, Jurisdiction).join(Jurisdiction, Jurisdiction.id == Window.jurisdiction_id)
        .where(principal.scope.on_jurisdiction())
        .order_by(Jurisdiction.path, Window.id)))
    # The newest segment of an open recording is its last one: one index probe each.
    open_rows = db.execute(
        select(Recording.window_id, func.count(), func.max(Segment.ended_at))
        .outerjoin(Segment, and_(Segment.recording_id == Recording.id,
                                 Segment.seq == Recording.segment_count - 1))
        .where(Recording.state == RecordingState.OPEN,
               principal.scope.on_window(Recording.window_id))
        .group_by(Recording.window_id))
    live = {wid: (int(n), last) for wid, n, last in open_rows}
    out = []
    for window, node in windows:
        count, last = live.get(window.id, (0, None))
        if count == 0:
            state = "idle"
        elif last is not None and (now - last).total_seconds() <= fresh_s:
            state = "recording"
        else:
            state = "stalled"
        out.append(WindowStatus(window=window, jurisdiction=node, state=state,
                                last_media_at=last, open_recordings=count))
    return out


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    recording_id: str


@dataclass(frozen=True)
class DayGap:
    id: str
    start: datetime
    end: datetime
    cause: str
    detail: str
    person: str | None


@dataclass(frozen=True)
class DaySession:
    id: str
    start: datetime
    end: datetime | None
    case_number: str | None
    stage: str | None
    staff_id: str | None
    flags: int


@dataclass(frozen=True)
class DayPoint:
    at: datetime
    label: str
    kind: str  # marker | flag
    session_id: str | None = None


@dataclass
class Day:
    placed: Placed
    day: date
    start: datetime
    end: datetime
    recorded: list[Span] = field(default_factory=list)
    gaps: list[DayGap] = field(default_factory=list)
    sessions: list[DaySession] = field(default_factory=list)
    markers: list[DayPoint] = field(default_factory=list)
    flags: list[DayPoint] = field(default_factory=list)

    @property
    def recorded_s(self) -> int:
        return int(sum((s.end - s.start).total_seconds() for s in self.recorded))


def window_day(db: DBSession, principal: Principal, *, window_id: str, day: date,
               zone: ZoneInfo) -> Day:
    """A window's local day. Flags are read from what was said: only a role that may see
    evidence content gets them (others get no flag points and zero counts).

    Raises:
        NotFoundError: no such window in the person's subtree.
    """
    placed = principal.scope.require_window(db, window_id)
    start, end = day_bounds(day, zone)
    result = Day(placed=placed, day=day, start=start, end=end)
    recordings = select(Recording.id).where(Recording.window_id == window_id,
                                            Recording.started_at < end)
    segments = db.execute(select(Segment.recording_id, Segment.started_at, Segment.ended_at)
                          .where(Segment.recording_id.in_(recordings), Segment.ended_at > start,
                                 Segment.started_at < end)
                          .order_by(Segment.started_at))
    for rid, s_start, s_end in segments:
        s_start, s_end = max(s_start, start), min(s_end, end)
        last = result.recorded[-1] if result.recorded else None
        if last is not None and last.recording_id == rid and s_start - last.end <= JOIN_WITHIN:
            result.recorded[-1] = Span(last.start, max(last.end, s_end), rid)
        else:
            result.recorded.append(Span(s_start, s_end, rid))
    result.gaps = [DayGap(g.id, max(g.started_at, start), min(g.ended_at, end), g.cause.value,
                          g.detail, g.person)
                   for g in db.scalars(select(Gap).where(
                       Gap.recording_id.in_(recordings), Gap.ended_at > start,
                       Gap.started_at < end).order_by(Gap.started_at))]
    flag_count = session_flag_count()
    rows = db.execute(select(Session, Case.number, flag_count)
                      .outerjoin(Case, Case.id == Session.case_id)
                      .where(Session.window_id == window_id, Session.started_at >= start,
                             Session.started_at < end).order_by(Session.started_at))
    # The case number is None for a session without a case (an outer join).
    sessions: list[tuple[Session, str | None, int]] = [(s, n, int(c or 0)) for s, n, c in rows]
    result.markers = [DayPoint(m.at, m.label, "marker") for m in db.scalars(
        select(Marker).where(Marker.recording_id.in_(recordings), Marker.at >= start,
                             Marker.at < end).order_by(Marker.at))]
    content = may(principal.role, Action.SEE_CONTENT)
    for flag in window_flags(db, window_id=window_id, start=start, end=end) if content else ():
        owner = flag.session_id or _session_at(sessions, flag.at)
        result.flags.append(DayPoint(flag.at, flag.kind, "flag", owner))
    result.sessions = [DaySession(s.id, s.started_at, s.ended_at, n,
                                  s.stage.value if s.stage else None, s.staff_id,
                                  c if content else 0)
                       for s, n, c in sessions]
    return result


def _session_at(sessions: list[tuple[Session, str | None, int]],
                moment: datetime) -> str | None:
    for s, _, _ in sessions:
        if s.started_at <= moment and (s.ended_at is None or moment < s.ended_at):
            return s.id
    return None


@dataclass(frozen=True)
class GapRow:
    gap: Gap
    window: Window
    jurisdiction_name: str


def gaps_between(db: DBSession, principal: Principal, *, start: datetime, end: datetime,
                 limit: int = 100) -> list[GapRow]:
    """Gaps overlapping [start, end) in the subtree, newest first."""
    rows = db.execute(
        select(Gap, Window, Jurisdiction.name)
        .join(Recording, Recording.id == Gap.recording_id)
        .join(Window, Window.id == Recording.window_id)
        .join(Jurisdiction, Jurisdiction.id == Window.jurisdiction_id)
        .where(principal.scope.on_jurisdiction(),
               Gap.ended_at > start, Gap.started_at < end)
        .order_by(Gap.started_at.desc()).limit(limit))
    return [GapRow(g, w, n) for g, w, n in rows]
