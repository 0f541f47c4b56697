"""Response bodies of windows and their day timelines."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from api.timeline.service import Day, WindowStatus


class WindowOut(BaseModel):
    id: str
    name: str
    kind: str
    jurisdiction_id: str
    jurisdiction_name: str
    state: str
    last_media_at: datetime | None

    @classmethod
    def of(cls, s: WindowStatus) -> WindowOut:
        return cls(id=s.window.id, name=s.window.name, kind=s.window.kind.value,
                   jurisdiction_id=s.jurisdiction.id, jurisdiction_name=s.jurisdiction.name,
                   state=s.state, last_media_at=s.last_media_at)


class SpanOut(BaseModel):
    start: datetime
    end: datetime
    recording_id: str


class GapOut(BaseModel):
    id: str
    start: datetime
    end: datetime
    cause: str
    detail: str
    person: str | None


class DaySessionOut(BaseModel):
    id: str
    start: datetime
    end: datetime | None
    case_number: str | None
    stage: str | None
    staff_id: str | None
    flags: int


class PointOut(BaseModel):
    at: datetime
    label: str
    session_id: str | None


class DayOut(BaseModel):
    window_id: str
    window_name: str
    day: date
    start: datetime
    end: datetime
    recorded_s: int
    recorded: list[SpanOut]
    gaps: list[GapOut]
    sessions: list[DaySessionOut]
    markers: list[PointOut]
    flags: list[PointOut]

    @classmethod
    def of(cls, d: Day) -> DayOut:
        return cls(
            window_id=d.placed.window.id, window_name=d.placed.window.name, day=d.day,
            start=d.start, end=d.end, recorded_s=d.recorded_s,
            recorded=[SpanOut(start=s.start, end=s.end, recording_id=s.recording_id)
                      for s in d.recorded],
            gaps=[GapOut(id=g.id, start=g.start, end=g.end, cause=g.cause, detail=g.detail,
                         person=g.person) for g in d.gaps],
            sessions=[DaySessionOut(**s.__dict__) for s in d.sessions],
            markers=[PointOut(at=m.at, label=m.label, session_id=m.session_id)
                     for m in d.markers],
            flags=[PointOut(at=f.at, label=f.label, session_id=f.session_id) for f in d.flags])
