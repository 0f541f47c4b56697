"""JSON shapes of search hits and queue items, shared by `aidrec … --json` and the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from transcribe.review import QueueItem
from transcribe.search import SearchHit, SearchPage


class OpenAt(BaseModel):
    """Where a player opens the hit: the recording and the offset into it."""

    recording_id: str
    offset_ms: int
    offset_s: float = Field(description="offset_ms / 1000, for players")


class HitOut(BaseModel):
    line_id: int
    open: OpenAt
    at: datetime = Field(description="wall-clock time of the matching word (UTC)")
    text: str
    line_offset_ms: int
    line_end_offset_ms: int
    window_id: str
    jurisdiction_id: str
    session_id: str | None
    case_number: str | None
    stage: str | None
    staff_id: str | None
    flags: list[str]
    provisional: bool = Field(description="the recording is still being transcribed")
    version: int

    @classmethod
    def of(cls, hit: SearchHit) -> HitOut:
        return cls(line_id=hit.line_id,
                   open=OpenAt(recording_id=hit.recording_id, offset_ms=hit.offset_ms,
                               offset_s=hit.offset_ms / 1000),
                   at=hit.at, text=hit.text, line_offset_ms=hit.line_offset_ms,
                   line_end_offset_ms=hit.line_end_offset_ms, window_id=hit.window_id,
                   jurisdiction_id=hit.jurisdiction_id, session_id=hit.session_id,
                   case_number=hit.case_number, stage=hit.stage, staff_id=hit.staff_id,
                   flags=list(hit.flags), provisional=hit.provisional, version=hit.version)


class SearchPageOut(BaseModel):
    query: str
    tokens: list[str] = Field(description="the words searched (jieba segmentation)")
    hits: list[HitOut]
    next_offset: int | None


def page_out(page: SearchPage) -> SearchPageOut:
    return SearchPageOut(query=page.query, tokens=list(page.tokens),
                         hits=[HitOut.of(h) for h in page.hits], next_offset=page.next_offset)


class QueueItemOut(BaseModel):
    recording_id: str
    session_id: str | None
    window_id: str
    score: int
    flags: dict[str, int]
    open: OpenAt
    started_at: datetime | None
    ended_at: datetime | None
    case_number: str | None
    stage: str | None
    staff_id: str | None

    @classmethod
    def of(cls, item: QueueItem) -> QueueItemOut:
        return cls(recording_id=item.recording_id, session_id=item.session_id,
                   window_id=item.window_id, score=item.score, flags=item.flags,
                   open=OpenAt(recording_id=item.recording_id, offset_ms=item.first_offset_ms,
                               offset_s=item.first_offset_ms / 1000),
                   started_at=item.started_at, ended_at=item.ended_at,
                   case_number=item.case_number, stage=item.stage, staff_id=item.staff_id)
