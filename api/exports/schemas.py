"""Request and response bodies of the export endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archive.export.jobs import ExportJob


class ExportIn(BaseModel):
    """Exactly one of: a case, session ids, or a window with a time range."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    case: str | None = Field(None, max_length=100, description="case number")
    sessions: list[str] = Field(default_factory=list, max_length=500,
                                description="session ids")
    window: str | None = Field(None, max_length=64, description="window id")
    since: datetime | None = Field(None, alias="from", description="start, with UTC offset")
    until: datetime | None = Field(None, alias="to", description="end, with UTC offset")
    reason: str = Field(..., min_length=1, max_length=2000,
                        description="why: recorded in the package and the log")


class ExportOut(BaseModel):
    id: str
    state: str = Field(description="queued, running, done or failed")
    stage: str = Field(description="selecting, segments, report, sealing or done")
    done_bytes: int
    total_bytes: int
    created_at: str
    updated_at: str
    selection: dict[str, Any]
    reason: str
    error: dict[str, str] | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    download: str | None = Field(None, description="where to fetch the package once done")

    @classmethod
    def of(cls, job: ExportJob) -> ExportOut:
        return cls(id=job.id, state=job.state, stage=job.stage, done_bytes=job.done_bytes,
                   total_bytes=job.total_bytes, created_at=job.created_at,
                   updated_at=job.updated_at, selection=job.selection, reason=job.reason,
                   error=job.error, result=job.result,
                   download=f"/api/v1/exports/{job.id}/download" if job.state == "done"
                   else None)
