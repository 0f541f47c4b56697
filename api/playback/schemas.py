"""Request and response bodies of playback."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.playback.service import PlaylistEntry


class PlaybackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str | None = Field(None, max_length=32, description="play this session")
    recording_id: str | None = Field(None, max_length=32,
                                     description="or a range of this recording")
    start: datetime | None = Field(None, description="range start (with recording_id)")
    end: datetime | None = Field(None, description="range end (with recording_id)")
    reason_kind: Literal["complaint", "inspection", "routine"] = Field(
        description="why: a complaint, an inspection, or routine review")
    reason_ref: str = Field("", max_length=200,
                            description="the complaint number or inspection ticket")


class SegmentOut(BaseModel):
    seq: int
    started_at: datetime
    duration_ms: int
    player_start_ms: int
    url: str

    @classmethod
    def of(cls, e: PlaylistEntry, base: str) -> SegmentOut:
        return cls(seq=e.seq, started_at=e.started_at, duration_ms=e.duration_ms,
                   player_start_ms=e.player_start_ms, url=f"{base}/segments/{e.seq}.ts")


class PlaybackOut(BaseModel):
    id: str
    recording_id: str
    session_id: str | None
    mode: Literal["hls", "file"] = Field(description="hls: play playlist_url; file: each "
                                         "segment's url is a whole media file")
    playlist_url: str
    start_ms: int = Field(description="where the range starts on the player's clock")
    end_ms: int
    expires_at: datetime
    segments: list[SegmentOut]
