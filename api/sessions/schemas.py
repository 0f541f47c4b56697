"""Response bodies of sessions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.compose.transcripts import TranscriptLineView
from api.sessions.service import SessionRow, SessionView, TimedItem


class TimedItemOut(BaseModel):
    kind: str
    at: datetime
    until: datetime | None
    label: str
    text: str

    @classmethod
    def of(cls, i: TimedItem) -> TimedItemOut:
        return cls(kind=i.kind, at=i.at, until=i.until, label=i.label, text=i.text)


class SegmentInfoOut(BaseModel):
    seq: int
    started_at: datetime
    ended_at: datetime
    duration_ms: int
    partial: bool


class LineOut(BaseModel):
    at: datetime
    until: datetime
    offset_ms: int
    text: str

    @classmethod
    def of(cls, line: TranscriptLineView) -> LineOut:
        return cls(at=line.at, until=line.until, offset_ms=line.offset_ms, text=line.text)


class ComplaintRefOut(BaseModel):
    id: str
    number: str


class SessionOut(BaseModel):
    id: str
    recording_id: str
    window_id: str
    window_name: str
    jurisdiction_id: str
    jurisdiction_name: str
    started_at: datetime
    ended_at: datetime | None
    range_start: datetime
    range_end: datetime
    case_id: str | None
    case_number: str | None
    stage: str | None
    staff_id: str | None
    staff_name: str | None
    seal_state: str
    segments: list[SegmentInfoOut]
    timeline: list[TimedItemOut]
    complaints: list[ComplaintRefOut]
    transcript_state: str | None

    @classmethod
    def of(cls, v: SessionView) -> SessionOut:
        s = v.session
        return cls(
            id=s.id, recording_id=s.recording_id, window_id=s.window_id,
            window_name=v.placed.window.name, jurisdiction_id=v.placed.jurisdiction.id,
            jurisdiction_name=v.placed.jurisdiction.name, started_at=s.started_at,
            ended_at=s.ended_at, range_start=v.start, range_end=v.end, case_id=s.case_id,
            case_number=v.case_number, stage=s.stage.value if s.stage else None,
            staff_id=s.staff_id, staff_name=v.staff_name,
            seal_state=v.recording.seal_state.value,
            segments=[SegmentInfoOut(seq=g.seq, started_at=g.started_at, ended_at=g.ended_at,
                                     duration_ms=g.duration_ms, partial=g.partial)
                      for g in v.segments],
            timeline=[TimedItemOut.of(i) for i in v.items],
            complaints=[ComplaintRefOut(id=i, number=n) for i, n in v.complaints],
            transcript_state=v.transcript_state)


class TranscriptOut(BaseModel):
    session_id: str
    state: str | None
    lines: list[LineOut]


class SessionRowOut(BaseModel):
    id: str
    window_id: str
    window_name: str
    started_at: datetime
    ended_at: datetime | None
    case_number: str | None
    stage: str | None
    staff_id: str | None
    flags: int

    @classmethod
    def of(cls, r: SessionRow) -> SessionRowOut:
        return cls(**r.__dict__)
