"""Request and response bodies of the ingest API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from archive.evidence.vocabulary import GapCause, SealState, Stage


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordingOpen(_In):
    window_id: str = Field(min_length=1, max_length=64)
    camera_id: str | None = Field(None, max_length=64)
    started_at: AwareDatetime


class RecordingOut(BaseModel):
    id: str
    window_id: str
    state: str
    seal_state: SealState
    segment_count: int
    chain_head: str
    started_at: datetime
    ended_at: datetime | None
    last_sealed_at: datetime | None


class SegmentOut(BaseModel):
    seq: int
    sha256: str
    chain_hash: str
    version_id: str
    created: bool


class GapIn(_In):
    started_at: AwareDatetime
    ended_at: AwareDatetime
    cause: GapCause
    detail: str = Field("", max_length=2000)
    person: str | None = Field(None, max_length=200)


class IdOut(BaseModel):
    id: str


class SessionIn(_In):
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    case_number: str | None = Field(None, min_length=1, max_length=100)
    stage: Stage | None = None
    staff_id: str | None = Field(None, min_length=1, max_length=64)
    attributes: dict[str, Any] = Field(default_factory=dict)


class SessionPatch(_In):
    ended_at: AwareDatetime | None = None
    case_number: str | None = Field(None, min_length=1, max_length=100)
    stage: Stage | None = None
    staff_id: str | None = Field(None, min_length=1, max_length=64)


class MarkerIn(_In):
    at: AwareDatetime
    label: str = Field(min_length=1, max_length=500)


class CloseIn(_In):
    ended_at: AwareDatetime


class HeartbeatIn(_In):
    status: dict[str, Any] = Field(default_factory=dict)
