"""Sessions as people see them: details, the timeline around them, transcript lines, listing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.complaints.models import Complaint, ComplaintSession
from api.compose.transcripts import (
    TranscriptLineView,
    flags_between,
    session_flag_count,
    transcript_lines,
)
from api.sessions import models as _models  # noqa: F401 - registers the sessions index
from archive.access.people import Principal
from archive.access.scope import Placed
from archive.catalog.models import Case, Gap, Marker, Recording, Segment, Session, Staff, Window
from archive.evidence.errors import InvalidInputError
from archive.evidence.vocabulary import Stage

MAX_LIST = 200


@dataclass(frozen=True)
class TimedItem:
    """A gap, marker or flag placed on the session's timeline."""

    kind: str  # gap | marker | flag
    at: datetime
    until: datetime | None
    label: str  # gap cause, marker label, flag kind
    text: str = ""


@dataclass
class SessionView:
    session: Session
    placed: Placed
    recording: Recording
    case_number: str | None
    staff_name: str | None
    start: datetime
    end: datetime
    segments: list[Segment]
    items: list[TimedItem]
    complaints: list[tuple[str, str]]  # (id, number)
    transcript_state: str | None  # None: no transcript
    lines: list[TranscriptLineView] = field(default_factory=list)

    @property
    def flags(self) -> list[TimedItem]:
        return [i for i in self.items if i.kind == "flag"]


def session_range(session: Session, recording: Recording, now: datetime) -> tuple[datetime,
                                                                                 datetime]:
    end = session.ended_at or recording.ended_at or now
    return session.started_at, max(end, session.started_at)


def segments_between(db: DBSession, recording_id: str, start: datetime,
                     end: datetime) -> list[Segment]:
    """Segments overlapping [start, end), in order (a zero-length range takes its moment)."""
    return list(db.scalars(select(Segment).where(
        Segment.recording_id == recording_id, Segment.ended_at > start,
        Segment.started_at <= end if start == end else Segment.started_at < end)
        .order_by(Segment.seq)))


def timed_items(db: DBSession, *, recording_id: str, session_id: str | None,
                start: datetime, end: datetime) -> list[TimedItem]:
    items = [TimedItem("gap", g.started_at, g.ended_at, g.cause.value, g.detail)
             for g in db.scalars(select(Gap).where(
                 Gap.recording_id == recording_id, Gap.ended_at > start,
                 Gap.started_at < end))]
    items += [TimedItem("marker", m.at, None, m.label) for m in db.scalars(select(Marker).where(
        Marker.recording_id == recording_id, Marker.at >= start, Marker.at <= end))]
    items += [TimedItem("flag", f.at, None, f.kind, f.text)
              for f in flags_between(db, recording_id=recording_id, session_id=session_id,
                                     start=start, end=end)]
    return sorted(items, key=lambda i: (i.at, i.kind))


def load_session(db: DBSession, principal: Principal, session_id: str, *,
                 now: datetime, with_transcript: bool = True) -> SessionView:
    """Everything the session page shows.

    Raises:
        NotFoundError: no such session in the person's subtree.
    """
    session, placed = principal.scope.require_session(db, session_id)
    recording = db.get_one(Recording, session.recording_id)
    start, end = session_range(session, recording, now)
    case_number = db.scalar(select(Case.number).where(Case.id == session.case_id)) \
        if session.case_id else None
    staff_name = db.scalar(select(Staff.name).where(Staff.id == session.staff_id)) \
        if session.staff_id else None
    complaints = [(cid, number) for cid, number in db.execute(
        select(Complaint.id, Complaint.number).join(
            ComplaintSession, ComplaintSession.complaint_id == Complaint.id)
        .where(ComplaintSession.session_id == session.id).order_by(Complaint.received_on))]
    view = SessionView(
        session=session, placed=placed, recording=recording, case_number=case_number,
        staff_name=staff_name, start=start, end=end,
        segments=segments_between(db, recording.id, start, end),
        items=timed_items(db, recording_id=recording.id, session_id=session.id, start=start,
                          end=end),
        complaints=complaints, transcript_state=None)
    if with_transcript:
        view.transcript_state, view.lines = transcript_lines(db, recording=recording,
                                                             start=start, end=end)
    return view


@dataclass(frozen=True)
class SessionFilters:
    window_id: str | None = None
    jurisdiction_path: str | None = None  # inside the person's own
    day: date | None = None  # local day
    since: datetime | None = None
    until: datetime | None = None
    case_number: str | None = None
    stage: Stage | None = None
    staff_id: str | None = None
    flagged: bool = False


@dataclass(frozen=True)
class SessionRow:
    id: str
    window_id: str
    window_name: str
    started_at: datetime
    ended_at: datetime | None
    case_number: str | None
    stage: str | None
    staff_id: str | None
    flags: int


def list_sessions(db: DBSession, principal: Principal, *, filters: SessionFilters,
                  zone: ZoneInfo, limit: int = 50, offset: int = 0) -> list[SessionRow]:
    """Sessions in the person's subtree matching every filter, newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInputError(f"limit must be 1-{MAX_LIST}", reason="bad_limit")
    scope = principal.scope
    if filters.jurisdiction_path is not None:
        if not scope.covers(filters.jurisdiction_path):
            raise InvalidInputError("the jurisdiction is outside your own", reason="scope")
        scope = scope.within(filters.jurisdiction_path)
    query = (select(Session, Window.name, Case.number)
             .join(Window, Window.id == Session.window_id)
             .outerjoin(Case, Case.id == Session.case_id)
             .where(scope.on_window(Session.window_id)))
    if filters.window_id:
        query = query.where(Session.window_id == filters.window_id)
    if filters.day is not None:
        start, end = day_bounds(filters.day, zone)
        query = query.where(Session.started_at >= start, Session.started_at < end)
    if filters.since:
        query = query.where(Session.started_at >= filters.since)
    if filters.until:
        query = query.where(Session.started_at < filters.until)
    if filters.case_number:
        query = query.where(Case.number == filters.case_number.strip())
    if filters.stage:
        query = query.where(Session.stage == filters.stage)
    if filters.staff_id:
        query = query.where(Session.staff_id == filters.staff_id)
    flag_count = session_flag_count()
    if filters.flagged:
        query = query.where(flag_count > 0)
    rows = db.execute(query.add_columns(flag_count).order_by(Session.started_at.desc(),
                                                             Session.id)
                      .limit(limit).offset(offset))
    return [SessionRow(id=s.id, window_id=s.window_id, window_name=name, started_at=s.started_at,
                       ended_at=s.ended_at, case_number=number,
                       stage=s.stage.value if s.stage else None, staff_id=s.staff_id,
                       flags=int(n or 0))
            for s, name, number, n in rows]


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local calendar day starts and ends at."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start + timedelta(days=1)
    # Re-anchor so a DST change (none in China, some elsewhere) still gives local midnight.
    end = datetime(end.year, end.month, end.day, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
