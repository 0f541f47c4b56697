"""Response bodies of the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from archive.audit.log import AccessEntry, AccessLogHead, Viewer


class EntryOut(BaseModel):
    seq: int
    at: datetime
    user_id: str | None
    role: str | None
    action: str
    target_type: str
    target_id: str
    recording_id: str | None
    session_id: str | None
    window_id: str | None
    reason_kind: str | None
    reason_ref: str | None
    ip: str
    user_agent: str
    outcome: str
    detail: dict[str, Any]
    entry_hash: str

    @classmethod
    def of(cls, e: AccessEntry) -> EntryOut:
        return cls(seq=e.seq, at=e.at, user_id=e.user_id, role=e.role, action=e.action,
                   target_type=e.target_type, target_id=e.target_id,
                   recording_id=e.recording_id, session_id=e.session_id,
                   window_id=e.window_id, reason_kind=e.reason_kind, reason_ref=e.reason_ref,
                   ip=e.ip, user_agent=e.user_agent, outcome=e.outcome, detail=e.detail,
                   entry_hash=e.entry_hash)


class EntryPageOut(BaseModel):
    entries: list[EntryOut]
    next_before: int | None


class HeadOut(BaseModel):
    size: int
    head_hash: str
    sealed_at: datetime
    timestamp_at: datetime
    log_index: int

    @classmethod
    def of(cls, h: AccessLogHead) -> HeadOut:
        return cls(size=h.size, head_hash=h.head_hash, sealed_at=h.sealed_at,
                   timestamp_at=h.timestamp_at, log_index=h.log_index)


class ViewerOut(BaseModel):
    user_id: str
    name: str
    role: str | None
    first_at: datetime
    last_at: datetime
    requests: int
    actions: list[str]
    reasons: list[str]

    @classmethod
    def of(cls, v: Viewer, name: str) -> ViewerOut:
        return cls(user_id=v.user_id, name=name, role=v.role, first_at=v.first_at,
                   last_at=v.last_at, requests=v.requests, actions=list(v.actions),
                   reasons=list(v.reasons))
